"""Ownership traversals over the networkx view: effective ownership and ultimate parents.

Ownership edges are the collapsed ``ecg:Ownership`` facts (owner -> owned) with a
``percentage`` and optional ``validFrom`` / ``validUntil``. Effective ownership
multiplies percentages along each chain and sums across chains; a chain stops at
the first owner in the given set (its own owners are already counted through it),
cycles are cut, and the total is capped at 100.

A stake may lack a percentage: :func:`share_interval` then works with what is
known, as an interval (a stated range ``percentageMin``..``percentageMax``, or
0..100 when nothing is stated), and with control stated on its own (an
``ecg:ownershipBasis`` whose concept says ``ecg:impliesControl``, such as GLEIF's
accounting consolidation). A stake stated as an indirect, already aggregated
interest (``ecg:directInterest false``) stands for its owner's whole share: other
chains from that owner are not added to it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import networkx as nx

from ..namespace import ECG
from .timeline import holds

OWNERSHIP = str(ECG.Ownership)


@dataclass(frozen=True)
class Chain:
    """One ownership chain from an owner down to the owned party: the fact IRIs and the share it carries."""

    owner: str
    facts: tuple[str, ...]  # ownership fact IRIs, from the owner down
    parties: tuple[str, ...]  # owner, ..., owned
    percentages: tuple[float, ...]
    share: float
    bounds: tuple[tuple[float, float], ...] = ()  # per link, the (lowest, highest) percentage known
    controlled: bool = False  # every link is control stated without a percentage
    low: float | None = None  # the chain's share as an interval (None: the same as share)
    high: float | None = None


@dataclass(frozen=True)
class Share:
    """The share of a party held by a set of owners, as far as it is known: ``low``..``high`` percent, and
    whether some chain is control stated without a percentage (``control``)."""

    low: float
    high: float
    control: bool
    chains: tuple[Chain, ...]


def ownership_view(G: nx.MultiDiGraph, day: dt.date | None = None) -> nx.MultiDiGraph:
    """The ownership edges of ``G`` that hold on ``day`` (a read-only view, ``G`` untouched)."""

    def keep(u, v, k):
        data = G.edges[u, v, k]
        if data.get("predicate") != OWNERSHIP or "percentage" not in data:
            return False
        return day is None or holds(data.get("validFrom"), data.get("validUntil"), day)

    return nx.subgraph_view(G, filter_edge=keep)


def effective_ownership(G: nx.MultiDiGraph, target: str, owners, *, day: dt.date | None = None,
                        max_depth: int = 12) -> tuple[float, tuple[Chain, ...]]:
    """The share of ``target`` held, directly or indirectly and in aggregate, by the parties in ``owners``.

    Returns the total (0..100) and the chains that make it up.

    >>> G = nx.MultiDiGraph()
    >>> _ = G.add_edge("A", "T", key="o1", predicate=OWNERSHIP, percentage=30.0)
    >>> _ = G.add_edge("B", "T", key="o2", predicate=OWNERSHIP, percentage=30.0)
    >>> effective_ownership(G, "T", {"A", "B"})[0]
    60.0
    """
    owners = set(owners)
    view = ownership_view(G, day)
    if target not in view:
        return 0.0, ()
    chains: list[Chain] = []

    def walk(node, facts, parties, pcts, share):
        for owner, _, key, data in sorted(view.in_edges(node, keys=True, data=True), key=lambda e: (e[0], e[2])):
            if owner in parties:  # a cycle
                continue
            pct = max(0.0, min(100.0, float(data["percentage"])))
            new_share = share * pct / 100.0
            chain_facts, chain_parties, chain_pcts = (key, *facts), (owner, *parties), (pct, *pcts)
            if owner in owners:
                chains.append(Chain(owner, chain_facts, chain_parties, chain_pcts, new_share * 100.0))
            elif len(chain_facts) < max_depth and new_share > 0:
                walk(owner, chain_facts, chain_parties, chain_pcts, new_share)

    if target in owners:
        return 100.0, (Chain(target, (), (target,), (), 100.0),)
    walk(target, (), (target,), (), 1.0)
    total = min(100.0, round(sum(c.share for c in chains), 9))
    return total, tuple(chains)


def ultimate_parents(G: nx.MultiDiGraph, party: str, *, day: dt.date | None = None,
                     majority: float = 50.0) -> tuple[Chain, ...]:
    """The chain of majority owners above ``party`` (more than ``majority`` percent at each step), nearest first.

    Returns one chain per step, each from that parent down to ``party``; empty when no majority owner.
    """
    view = ownership_view(G, day)
    out: list[Chain] = []
    node, facts, parties, pcts, share = party, (), (party,), (), 100.0
    while node in view:
        best = None
        for owner, _, key, data in view.in_edges(node, keys=True, data=True):
            pct = float(data["percentage"])
            if pct > majority and owner not in parties and (best is None or (pct, owner) > (best[0], best[1])):
                best = (pct, owner, key)
        if best is None:
            break
        pct, owner, key = best
        facts, parties, pcts, share = (key, *facts), (owner, *parties), (pct, *pcts), share * pct / 100.0
        out.append(Chain(owner, facts, parties, pcts, share))
        node = owner
    return tuple(out)


def stake_view(G: nx.MultiDiGraph, day: dt.date | None = None) -> nx.MultiDiGraph:
    """Every ownership edge of ``G`` that holds on ``day``, with or without a percentage."""

    def keep(u, v, k):
        data = G.edges[u, v, k]
        if data.get("predicate") != OWNERSHIP:
            return False
        return day is None or holds(data.get("validFrom"), data.get("validUntil"), day)

    return nx.subgraph_view(G, filter_edge=keep)


def stake_bounds(data: dict) -> tuple[float, float]:
    """The (lowest, highest) percentage a stake edge states: exact, a range, or 0..100 when unknown."""
    if "percentage" in data:
        p = max(0.0, min(100.0, float(data["percentage"])))
        return p, p
    low = float(data["percentageMin"]) if "percentageMin" in data else 0.0
    high = float(data["percentageMax"]) if "percentageMax" in data else 100.0
    return max(0.0, min(100.0, low)), max(0.0, min(100.0, high))


def share_interval(G: nx.MultiDiGraph, target: str, owners, *, day: dt.date | None = None,
                   control_bases=frozenset(), max_depth: int = 12) -> Share:
    """The share of ``target`` held by ``owners``, directly or indirectly and in aggregate, as an interval.

    ``control_bases`` are the ownership-basis IRIs that state control without a percentage.

    >>> G = nx.MultiDiGraph()
    >>> _ = G.add_edge("A", "T", key="o1", predicate=OWNERSHIP, percentage=30.0)
    >>> _ = G.add_edge("B", "T", key="o2", predicate=OWNERSHIP, percentageMin=10.0, percentageMax=25.0)
    >>> s = share_interval(G, "T", {"A", "B"})
    >>> (s.low, s.high, s.control)
    (40.0, 55.0, False)
    """
    owners = set(owners)
    if target in owners:
        chain = Chain(target, (), (target,), (), 100.0, (), False, 100.0, 100.0)
        return Share(100.0, 100.0, False, (chain,))
    view = stake_view(G, day)
    if target not in view:
        return Share(0.0, 0.0, False, ())
    chains: list[Chain] = []

    def walk(node, facts, parties, bounds, lo, hi, control):
        for owner, _, key, data in sorted(view.in_edges(node, keys=True, data=True), key=lambda e: (e[0], e[2])):
            if owner in parties:  # a cycle
                continue
            is_control = data.get("ownershipBasis") in control_bases and "percentage" not in data
            b_lo, b_hi = stake_bounds(data)
            new_lo, new_hi = lo * b_lo / 100.0, hi * b_hi / 100.0
            direct = data.get("directInterest", True) not in (False, "false")
            step = ((key, *facts), (owner, *parties), ((b_lo, b_hi), *bounds))
            if owner in owners:
                pcts = tuple(b[0] if b[0] == b[1] else float("nan") for b in step[2])
                chains.append(Chain(owner, step[0], step[1], pcts, new_lo * 100.0, step[2],
                                    control and is_control, new_lo * 100.0, new_hi * 100.0))
                if not direct:
                    indirect.add((owner, key))
            elif len(step[0]) < max_depth and new_hi > 0:
                walk(owner, *step, new_lo, new_hi, control and is_control)

    indirect: set = set()
    walk(target, (), (target,), (), 1.0, 1.0, True)
    stated = {owner for owner, _ in indirect}
    # an owner's stated indirect interest is its whole share: drop its other chains
    kept = [c for c in chains if c.owner not in stated or (len(c.facts) == 1 and (c.owner, c.facts[0]) in indirect)]
    low = min(100.0, round(sum(c.low for c in kept), 9))
    high = min(100.0, round(sum(c.high for c in kept), 9))
    return Share(low, high, any(c.controlled for c in kept), tuple(kept))


# --------------------------------------------------------------------------- every party at once (performance)
#
# The same figure as effective_ownership(G, party, owners - {party}, day=day) for every party below the owners,
# in one pass instead of one walk per party (a walk per party re-reads every chain above it: minutes on a
# million ownership edges). Where no chain can pass through a cycle, the sum over chains is a sum over paths
# of a DAG, which a layered propagation from the owners downwards gives exactly (layer k = chains of k stakes,
# up to max_depth as the walk does). A party below a cycle gets the walk itself, so a cut cycle is cut alike.

def listed_owner_shares(G: nx.MultiDiGraph, owners, *, day: dt.date | None = None,
                        max_depth: int = 12) -> dict[str, float]:
    """Each party's aggregate share held by ``owners`` (its own listing aside), for every party with a share above 0.

    >>> G = nx.MultiDiGraph()
    >>> _ = G.add_edge("A", "M", key="o1", predicate=OWNERSHIP, percentage=50.0)
    >>> _ = G.add_edge("M", "T", key="o2", predicate=OWNERSHIP, percentage=80.0)
    >>> _ = G.add_edge("B", "T", key="o3", predicate=OWNERSHIP, percentage=20.0)
    >>> listed_owner_shares(G, {"A", "B"})
    {'M': 50.0, 'T': 60.0}
    """
    import gc

    # a pass over every stake allocates small tuples the cyclic collector would rescan, with the whole traversal
    # graph, again and again (4x the time at a million triples); none of them is cyclic: pause it
    enabled = gc.isenabled()
    gc.disable()
    try:
        return _listed_owner_shares(G, set(owners), day, max_depth)
    finally:
        if enabled:
            gc.enable()


def _listed_owner_shares(G, owners: set, day, max_depth: int) -> dict[str, float]:
    down: dict[str, list[tuple[str, float]]] = {}  # owner -> [(owned, pct)], only the stakes that hold on day
    percent: dict = {}  # each stated percentage as a clamped float, converted once (a registry repeats a few)
    # the raw adjacency, not G.edges(data=True): its generator costs more than the rest of the scan
    for u, nbrs in G._adj.items():
        stakes = None
        for v, keyed in nbrs.items():
            for data in keyed.values():
                if data.get("predicate") != OWNERSHIP or "percentage" not in data:
                    continue
                start, end = data.get("validFrom"), data.get("validUntil")
                if day is not None and (start is not None or end is not None) and not holds(start, end, day):
                    continue
                stated = data["percentage"]
                pct = percent.get(stated)
                if pct is None:
                    pct = percent[stated] = max(0.0, min(100.0, float(stated)))
                if stakes is None:
                    stakes = down[u] = []
                stakes.append((v, pct))
    hops: dict[str, int] = {}  # every party a chain from an owner reaches: the fewest stakes from an owner to it
    frontier = [o for o in owners if o in down]
    for k in range(1, max_depth + 1):
        if not frontier:
            break
        nxt = []
        for node in frontier:
            for owned, _ in down.get(node, ()):
                if owned not in hops:
                    hops[owned] = k
                    if owned not in owners:
                        nxt.append(owned)
        frontier = nxt
    cyclic = _below_cycles(down, hops.keys() | owners)
    totals: dict[str, float] = {}
    layer = {o: 1.0 for o in owners if o in down}  # share carried into each node by chains of k stakes
    for k in range(max_depth):
        nxt: dict[str, float] = {}
        for node, share in layer.items():
            if k and node in owners:  # a chain stops at the first owner: its own owners count through it
                continue
            for owned, pct in down.get(node, ()):
                if owned == node or owned in cyclic:
                    continue
                carried = share * pct / 100.0
                if carried > 0:
                    nxt[owned] = nxt.get(owned, 0.0) + carried
        for node, share in nxt.items():
            totals[node] = totals.get(node, 0.0) + share
        layer = nxt
        if not layer:
            break
    out = {node: min(100.0, round(share * 100.0, 9)) for node, share in totals.items()}
    if cyclic:
        up: dict[str, list[tuple[str, float]]] = {}  # the same stakes, owned -> [(owner, pct)], among those reached
        for u, stakes in down.items():
            if u in hops or u in owners:
                for v, pct in stakes:
                    up.setdefault(v, []).append((u, pct))
        for node in cyclic & hops.keys():
            out[node] = _walked_share(up, node, owners - {node}, hops, max_depth)
    return {node: share for node, share in sorted(out.items()) if share > 0}


def _walked_share(up, target: str, owners: set, hops: dict[str, int], max_depth: int) -> float:
    """:func:`effective_ownership`'s walk for one party, over the stakes ``up`` (owned -> owners), skipping the
    parties no owner reaches within the chain length left (``hops``: the fewest stakes from an owner); the same
    figure, since a chain that cannot reach an owner adds nothing."""
    total = 0.0
    path = {target}

    def walk(node, share, length):
        nonlocal total
        for owner, pct in up.get(node, ()):
            if owner in path:  # a cycle
                continue
            carried = share * pct / 100.0
            if owner in owners:
                total += carried
            elif carried > 0 and length + 1 + hops.get(owner, max_depth + 1) <= max_depth:  # hops >= 1
                path.add(owner)
                walk(owner, carried, length + 1)
                path.discard(owner)

    walk(target, 1.0, 0)
    return min(100.0, round(total * 100.0, 9))


def _below_cycles(down: dict[str, list[tuple[str, float]]], nodes) -> set[str]:
    """The nodes that lie on a cycle of stakes among ``nodes`` or below one.

    Peel off, again and again, the nodes no remaining stake points at (Kahn's topological order): what
    cannot be peeled has a cycle above it or is on one.
    """
    indegree = dict.fromkeys(nodes, 0)
    for u in nodes:
        for v, _ in down.get(u, ()):
            if v in indegree:
                indegree[v] += 1
    ready = [n for n, d in indegree.items() if d == 0]
    while ready:
        u = ready.pop()
        del indegree[u]
        for v, _ in down.get(u, ()):
            if v in indegree:
                indegree[v] -= 1
                if indegree[v] == 0:
                    ready.append(v)
    return set(indegree)
