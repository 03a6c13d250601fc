"""Which country groups a place belongs to on a date, and the facts that say so.

Membership comes from dated ``ecg:GroupMembership`` facts, widened by
``ecg:includesGroup`` (Tier 3 includes D:5), ``ecg:treatedAs`` (Hong Kong is
treated as China) and residual groups (``ecg:isResidual``: every country in no
other group of the same scheme, e.g. AI Diffusion Tier 2).
"""

from __future__ import annotations

import datetime as dt

import networkx as nx
from rdflib.namespace import SKOS

from ..namespace import ECG
from .path import Step, fact_steps
from .timeline import holds

MEMBERSHIP = str(ECG.GroupMembership)
_INCLUDES, _TREATED, _IN_SCHEME = str(ECG.includesGroup), str(ECG.treatedAs), str(SKOS.inScheme)


def direct_groups(G: nx.MultiDiGraph, place: str, day: dt.date) -> dict[str, tuple[Step, ...]]:
    """Groups ``place`` is a member of on ``day`` by its own membership facts."""
    out: dict[str, tuple[Step, ...]] = {}
    if place not in G:
        return out
    for _, group, data in sorted(G.out_edges(place, data=True), key=lambda e: (e[1], e[2].get("fact", ""))):
        if data.get("predicate") == MEMBERSHIP and holds(data.get("validFrom"), data.get("validUntil"), day):
            out.setdefault(group, fact_steps(place, group, data))
    return out


def places_as(G: nx.MultiDiGraph, place: str) -> list[tuple[str, tuple[Step, ...]]]:
    """``place`` itself, then each place it is treated as (``ecg:treatedAs``), with the step that says so."""
    out: list[tuple[str, tuple[Step, ...]]] = [(place, ())]
    if place in G:
        out += [(other, (Step(place, _TREATED, other),))
                for _, other, key in sorted(G.out_edges(place, keys=True)) if key == _TREATED]
    return out


def groups_on(G: nx.MultiDiGraph, place: str, day: dt.date) -> dict[str, tuple[Step, ...]]:
    """Every group ``place`` belongs to on ``day``, each with the path of facts that puts it there.

    >>> from graph.store.load import load
    >>> from graph.reasoning.network import to_networkx
    >>> import datetime as dt
    >>> G = to_networkx(load(imports=False))
    >>> "https://w3id.org/ecgraph/id/group/D5" in groups_on(G, "https://w3id.org/ecgraph/id/country/CN", dt.date(2025, 6, 1))
    True
    """
    found: dict[str, tuple[Step, ...]] = {}
    for where, via in places_as(G, place):
        for group, steps in direct_groups(G, where, day).items():
            found.setdefault(group, via + steps)
    # widen through includesGroup until nothing new
    frontier = list(found)
    while frontier:
        group = frontier.pop()
        for parent, _, key in G.in_edges(group, keys=True):
            if key == _INCLUDES and parent not in found:
                found[parent] = found[group] + (Step(parent, _INCLUDES, group),)
                frontier.append(parent)
    for group, steps in residual_groups(G, found).items():
        found.setdefault(group, steps)
    return found


def residual_groups(G: nx.MultiDiGraph, found: dict) -> dict[str, tuple[Step, ...]]:
    """Residual groups whose scheme has none of the groups in ``found``."""
    out = {}
    # the traversal graph lists its residual groups once (graph.reasoning.exposure.traversal_graph); scanning every
    # node for the flag cost 20 ms per call at 1M triples
    residuals = G.graph.get("residual_groups")
    if residuals is None:
        residuals = [n for n, d in G.nodes(data=True) if d.get("residual")]
    for group in residuals:
        schemes = {v for _, v, k in G.out_edges(group, keys=True) if k == _IN_SCHEME}
        taken = any(
            v in schemes for g in found for _, v, k in G.out_edges(g, keys=True) if k == _IN_SCHEME
        )
        if schemes and not taken:
            out[group] = (Step(group, str(ECG.isResidual), "true"),)
    return out
