"""Change over time: the dated facts that begin or end in a window, and what changes in an answer between two dates.

Generic over dated facts: every node of a fact-carrying class (the classes that
declare ``ecg:edgeFrom``/``ecg:edgeTo``: listings, ownership, group membership,
instruments' status periods, ...) with an ``ecg:validFrom`` or ``ecg:validUntil``
is a change on the day it begins and on the day after its last day. Which facts
bear on an entity is read from the graph: the entity and what it reaches without
passing through a hub class (``ecg:hub``: countries, groups, statuses, sources).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from rdflib import RDF, Graph, Literal, URIRef
from rdflib.namespace import DCTERMS

from ..namespace import ECG
from ..store.names import label_of
from .network import collapsing_classes


@dataclass(frozen=True)
class Change:
    """A dated fact that begins or ends on ``day`` (the first day it holds, or the first day it no longer does)."""

    day: str
    change: str  # "begins" or "ends"
    kind: str  # the fact's class label: listing, ownership, group membership, status period, ...
    fact: str
    label: str
    subject: str
    subject_label: str
    object: str
    object_label: str
    sources: tuple[str, ...] = ()
    citations: tuple[str, ...] = ()


@dataclass(frozen=True)
class AnswerChange:
    """One difference between two answers to the same usage: an exposure or a check that appears, goes or changes."""

    change: str  # "new", "gone" or "changed"
    what: str  # "exposure" or "check"
    party: str
    restriction: str
    before: str
    after: str
    citations: tuple[str, ...] = ()


def hub_classes(g: Graph) -> set[URIRef]:
    """The classes marked ``ecg:hub true`` in the ontology.

    >>> from graph.store.load import load
    >>> str(ECG.Country) in {str(c) for c in hub_classes(load(imports=False))}
    True
    """
    return {c for c, v in g.subject_objects(ECG.hub) if isinstance(c, URIRef) and bool(v.toPython())}


def is_hub(g: Graph, node, hubs: set | None = None) -> bool:
    """Whether ``node`` is an instance of a hub class."""
    hubs = hub_classes(g) if hubs is None else hubs
    return any(t in hubs for t in g.objects(URIRef(node), RDF.type))


def bearing_on(g: Graph, iri, *, depth: int = 4, G=None) -> set[str]:
    """The entities whose dated facts bear on ``iri``: itself and what it reaches in ``depth`` hops, not through hubs.

    A hop follows an edge of the networkx view outwards (a chip to its designer and ECCN, a
    party to its listings), a collapsed fact inwards (a party's owners, a list's listings), or a
    restriction that names the entity inwards (the restrictions on an ECCN, then their rules). The
    entity's own hubs (its country, its groups, the lists it is on) lead only to the restrictions
    that name them.
    """
    from .network import to_networkx

    G = to_networkx(g) if G is None else G
    hubs = hub_classes(g)
    root = str(iri)
    restriction = str(ECG.Restriction)
    seen, frontier = {root}, [root]
    for level in range(depth):
        nxt = []
        for n in frontier:
            if n not in G:
                continue
            names_it = [u for u, _, data in G.in_edges(n, data=True) if restriction in G.nodes[u].get("types", ())]
            if n != root and is_hub(g, n, hubs):
                # the entity's own country, group or list: only the restrictions that name it, not its members
                ahead = names_it if level == 1 else []
            else:
                ahead = [v for _, v in G.out_edges(n)] + names_it
                ahead += [u for u, _, data in G.in_edges(n, data=True) if "fact" in data]
            for m in ahead:
                if m not in seen:
                    seen.add(m)
                    nxt.append(m)
        frontier = nxt
    return seen


def changes(g: Graph, *, start, end, about=None, depth: int = 4) -> list[Change]:
    """Every dated fact that begins or ends between ``start`` and ``end`` (inclusive), sorted by date.

    Parameters
    ----------
    g : the graph
    start, end : the window (dates or ISO strings)
    about : an entity IRI; only facts one of whose ends is in :func:`bearing_on` it (a hub end counts
        only when it is the entity itself), or None for every fact
    depth : hops for :func:`bearing_on`

    >>> from graph.store.load import load
    >>> g = load(imports=False)
    >>> rows = changes(g, start="2025-11-10", end="2025-11-10")
    >>> any(c.kind == "status period" and c.change == "begins" for c in rows)
    True
    """
    from .timeline import parse_date

    lo, hi = parse_date(start, what="--from"), parse_date(end, what="--to")
    focus = bearing_on(g, about, depth=depth) if about is not None else None
    hubs = hub_classes(g)
    root = str(about) if about is not None else None
    near = {str(o) for o in g.objects(URIRef(root))} | {root} if root else set()  # its own country, group, list
    out = []
    for fact in dated_facts(g):
        a, b = fact.subject, fact.object
        if focus is not None and not _bears(g, a, b, focus, near, hubs):
            continue
        days = []
        if fact.start is not None:
            days.append((_day(fact.start), "begins"))
        if fact.until is not None:
            days.append((_day(fact.until) + dt.timedelta(days=1), "ends"))
        for day, what in days:
            if lo <= day <= hi:
                out.append(_change(g, fact.node, fact.kind, day, what, a, b))
    return sorted(out, key=lambda c: (c.day, c.change != "ends", c.kind, c.subject_label, c.fact))


@dataclass(frozen=True)
class DatedFact:
    """A fact node with a start or an end date, and the two ends its class collapses into (``ecg:edgeFrom``/``To``)."""

    cls: URIRef
    kind: str  # the class's label
    node: URIRef
    start: Literal | None
    until: Literal | None
    subject: URIRef | None
    object: URIRef | None


def dated_facts(g: Graph):
    """Every fact node of a collapsing class that carries ``ecg:validFrom`` or ``ecg:validUntil``, by class then IRI."""
    for cls, (frm_p, to_p) in sorted(collapsing_classes(g).items()):
        kind = label_of(g, cls)
        for node in sorted(set(g.subjects(RDF.type, cls))):
            start, until = g.value(node, ECG.validFrom), g.value(node, ECG.validUntil)
            if start is None and until is None:
                continue
            yield DatedFact(cls, kind, node, start, until, g.value(node, frm_p), g.value(node, to_p))


def _bears(g, a, b, focus, near, hubs) -> bool:
    for end in (a, b):
        if end is None:
            continue
        if str(end) in near:
            return True
        if str(end) in focus and not is_hub(g, end, hubs):
            return True
    return False


def _day(value) -> dt.date:
    py = value.toPython() if isinstance(value, Literal) else value
    return py if isinstance(py, dt.date) else dt.date.fromisoformat(str(py))


def _change(g, node, kind, day, what, a, b) -> Change:
    sources = tuple(sorted(str(s) for s in g.objects(node, DCTERMS.source)))
    cites = {str(c) for c in g.objects(node, ECG.frCitation)}
    cites.update(str(c) for s in sources for c in g.objects(URIRef(s), ECG.frCitation))
    return Change(
        day=day.isoformat(), change=what, kind=kind, fact=str(node), label=label_of(g, node),
        subject=str(a or ""), subject_label=label_of(g, a) if a is not None else "",
        object=str(b or ""), object_label=label_of(g, b) if b is not None else "",
        sources=sources, citations=tuple(sorted(cites)),
    )


def answer_changes(before, after) -> list[AnswerChange]:
    """What differs between two :class:`~graph.reasoning.exposure.Answer` s of one usage (say, on two dates).

    Exposures are matched by (party, role, restriction); checks by restriction. An exposure that
    appears or goes, or whose severity or policy changes, is one row; so is a check whose result changes.
    """
    def key(e):
        return (e.party, e.role, e.restriction)

    def words(e):
        return e.severity_label + (f", {e.policy_label}" if e.policy_label else "")

    out = []
    old, new = {key(e): e for e in before.exposures}, {key(e): e for e in after.exposures}
    for k in sorted(set(old) | set(new), key=lambda k: tuple(str(x) for x in k)):
        e0, e1 = old.get(k), new.get(k)
        e = e1 or e0
        who = (e.party_label or "(rule status)") + (f" ({e.role})" if e.role else "")
        if e0 is None:
            out.append(AnswerChange("new", "exposure", who, e.restriction_label, "", words(e1), e1.citations))
        elif e1 is None:
            out.append(AnswerChange("gone", "exposure", who, e.restriction_label, words(e0), "", e0.citations))
        elif words(e0) != words(e1):
            out.append(AnswerChange("changed", "exposure", who, e.restriction_label, words(e0), words(e1),
                                    e1.citations))
    c0, c1 = {c.restriction: c for c in before.checked}, {c.restriction: c for c in after.checked}
    for r in sorted(set(c0) | set(c1)):
        a, b = c0.get(r), c1.get(r)
        if a is not None and b is not None and a.result == b.result:
            continue
        label = (b or a).label
        out.append(AnswerChange("changed" if a and b else ("new" if b else "gone"), "check", "", label,
                                a.result if a else "", b.result if b else ""))
    return out
