"""Ownership traversals over the networkx view: which parties are treated as listed, and ultimate parents.

Ownership edges are the collapsed ``ecg:Ownership`` facts (owner -> owned) with a ``percentage`` (or a
stated range ``percentageMin``..``percentageMax``, or nothing: 0..100) and optional ``validFrom`` /
``validUntil``.

:func:`affiliations` is the 50% test of the affiliate extensions (the Affiliates Rule), counted as OFAC's
50 Percent Rule counts: a party owned 50% or more in the aggregate by listed parties is treated as listed, and
its own stakes then count in full further down; stakes are never multiplied along a chain. A stake of unknown
size gives a range, so a party is certainly, possibly or not treated as listed. Control stated on its own (an
``ecg:ownershipBasis`` whose concept says ``ecg:impliesControl``, such as GLEIF's accounting consolidation)
counts as control. A stake stated as an indirect, already aggregated interest (``ecg:directInterest false``)
stands for its owner's whole share: the stakes of the parties below that owner are not added to it.

:func:`ultimate_parents` follows majority stakes upwards (the headquarters rule's ultimate parent).
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


def ownership_view(G: nx.MultiDiGraph, day: dt.date | None = None) -> nx.MultiDiGraph:
    """The ownership edges of ``G`` that hold on ``day`` (a read-only view, ``G`` untouched)."""

    def keep(u, v, k):
        data = G.edges[u, v, k]
        if data.get("predicate") != OWNERSHIP or "percentage" not in data:
            return False
        return day is None or holds(data.get("validFrom"), data.get("validUntil"), day)

    return nx.subgraph_view(G, filter_edge=keep)


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


def listed_owner_shares(G: nx.MultiDiGraph, owners, *, day: dt.date | None = None) -> dict[str, float]:
    """Each party's aggregate share held by ``owners`` and the parties treated as listed through them
    (:func:`affiliations`, each stake at its lowest), for every party with a share above 0, in one pass.

    >>> G = nx.MultiDiGraph()
    >>> _ = G.add_edge("A", "M", key="o1", predicate=OWNERSHIP, percentage=50.0)
    >>> _ = G.add_edge("M", "T", key="o2", predicate=OWNERSHIP, percentage=40.0)
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
        found = affiliations(G, owners, day=day)
    finally:
        if enabled:
            gc.enable()
    return {party: a.low for party, a in sorted(found.items()) if a.low > 0}


# --------------------------------------------------------------------------- the 50% test: treated as listed
#
# A party owned 50% or more, directly or indirectly, individually or in the aggregate, by listed parties is
# treated as listed itself (the Affiliates Rule, 90 FR 47201, after OFAC's 50 Percent Rule). Indirect ownership
# is counted as OFAC counts it: a party so owned is then treated as listed, so its own stakes count in full
# further down (L --60%--> M --60%--> T: M is treated as listed, and so is T, owned 60% by M); a stake held by a
# party that is not treated as listed counts for nothing (L --40%--> M --100%--> T: neither M nor T). Stakes
# are not multiplied down a chain: that figure (36% above) is look-through ownership, not the test.
#
# The set of parties treated as listed is the least one that holds the listed parties and every party whose
# stakes held by members add up to the threshold, found by one pass over the stakes (a worklist from the listed
# parties down). A stake whose size is unknown or a range gives two such sets: with each stake at its lowest
# (certainly treated as listed) and at its highest (possibly). A party's status depends only on the parties
# above it, so the status of one party is found from its owners upwards, without reading the whole registry.


@dataclass(frozen=True)
class Held:
    """One stake in a party held by a party listed or treated as listed (``certain``) or possibly so."""

    owner: str
    fact: str  # the stake's key in the traversal graph
    low: float
    high: float
    control: bool  # control stated without a percentage
    certain: bool  # the owner is listed or certainly treated as listed


@dataclass(frozen=True)
class Affiliation:
    """How much of a party listed parties and the parties treated as listed hold: at least ``low`` percent
    (stakes held by parties certainly treated as listed, each at its lowest), at most ``high`` (stakes held by
    parties possibly so, each at its highest); ``control`` when such a party controls it without a percentage."""

    party: str
    low: float
    high: float
    control: bool
    maybe_control: bool
    held: tuple[Held, ...]

    def treated_as_listed(self, threshold: float = 50.0) -> bool:
        return self.control or _reaches(self.low, threshold)

    def possibly(self, threshold: float = 50.0) -> bool:
        return self.maybe_control or _reaches(self.high, threshold)


def _reaches(share: float, threshold: float) -> bool:
    return round(share, 9) >= threshold


def affiliations(G: nx.MultiDiGraph, listed, *, target: str | None = None, day: dt.date | None = None,
                 threshold: float = 50.0, control_bases=frozenset(), within: set | None = None
                 ) -> dict[str, Affiliation]:
    """Each party's :class:`Affiliation` to the ``listed`` parties on ``day``: for every party some stake of a
    listed party (or of a party treated as listed) reaches, or, given ``target``, for it and the parties above it
    (``within``: those parties, as :func:`above` found them).

    >>> G = nx.MultiDiGraph()
    >>> _ = G.add_edge("L", "M", key="s1", predicate=OWNERSHIP, percentage=60.0)
    >>> _ = G.add_edge("M", "T", key="s2", predicate=OWNERSHIP, percentage=60.0)
    >>> _ = G.add_edge("L", "X", key="s3", predicate=OWNERSHIP, percentage=40.0)
    >>> _ = G.add_edge("X", "Y", key="s4", predicate=OWNERSHIP, percentage=100.0)
    >>> found = affiliations(G, {"L"})
    >>> [(p, found[p].low, found[p].treated_as_listed()) for p in sorted(found)]
    [('M', 60.0, True), ('T', 60.0, True), ('X', 40.0, False)]
    """
    # the stakes are read from the adjacency as the walks reach their owners: a registry of a million stakes
    # is not scanned whole when the listed parties reach a few thousand of them
    if target is not None and within is None:
        within = above(G, target, listed, day)
    # given the parties asked about, only the listed among them count (every stake read is between two of them)
    listed = set(listed) if within is None else set(within).intersection(listed)
    stakes = _Stakes(G, day, within, listed)
    sizes = _Sizes(control_bases)  # each stake's (lowest, highest, control), read when a walk first reaches it
    certain = _treated(stakes, listed, sizes.low, threshold)
    possible = _treated(stakes, listed, sizes.high, threshold)
    found: dict[str, dict] = {}
    for owner in possible:
        for owned, key, data in stakes.down(owner):
            if owned == owner or stakes.covered(owned, owner):
                continue
            low, high, control = sizes(key, data)
            entry = found.setdefault(owned, {"held": []})
            entry["held"].append(Held(owner, key, low, high, control, owner in certain))
    out = {}
    for party, entry in found.items():
        held = tuple(sorted(entry["held"], key=lambda h: (not h.certain, -h.low, h.owner, h.fact)))
        low = min(100.0, round(sum(h.low for h in held if h.certain), 9))
        high = min(100.0, round(sum(h.high for h in held), 9))
        out[party] = Affiliation(party, low, high, any(h.control and h.certain for h in held),
                                 any(h.control for h in held), held)
    return out


def above(G: nx.MultiDiGraph, target: str, listed, day, limit: int | None = None) -> set | None:
    """``target`` and every party above it through stakes that hold on ``day`` (not above a listed party);
    None when they are more than ``limit``.

    >>> G = nx.MultiDiGraph()
    >>> _ = G.add_edge("L", "M", key="s1", predicate=OWNERSHIP, percentage=60.0)
    >>> _ = G.add_edge("M", "T", key="s2", predicate=OWNERSHIP, percentage=60.0)
    >>> sorted(above(G, "T", {"L"}, None)), above(G, "T", {"L"}, None, limit=2)
    (['L', 'M', 'T'], None)
    """
    seen, todo = {target}, [target]
    while todo:
        node = todo.pop()
        if node in listed and node != target:
            continue
        for owner, keyed in G._pred.get(node, {}).items():
            if owner not in seen and any(_stake_holds(data, day) for data in keyed.values()):
                seen.add(owner)
                if limit is not None and len(seen) > limit:
                    return None
                todo.append(owner)
    return seen


def _stake_holds(data: dict, day) -> bool:
    """Whether an edge's data is a stake that holds on ``day`` (any day: None)."""
    if data.get("predicate") != OWNERSHIP:
        return False
    start, end = data.get("validFrom"), data.get("validUntil")
    return day is None or (start is None and end is None) or holds(start, end, day)


class _Stakes:
    """The stakes that hold on ``day`` (among the parties ``within``, if given), read from ``G``'s adjacency as
    they are asked for: ``down(owner)`` the stakes it holds, ``covered(owned, owner)`` whether ``owner``'s stake
    is part of an indirect, aggregated interest another owner states in ``owned`` (``directInterest false``):
    the stakes of the parties below that owner (down to a listed party) are not added to it."""

    def __init__(self, G: nx.MultiDiGraph, day, within, listed: set):
        self.G, self.day, self.within, self.listed = G, day, within, listed
        self._down: dict[str, list] = {}
        self._covered: dict[str, frozenset] = {}

    def _holds(self, data) -> bool:
        return _stake_holds(data, self.day)

    def down(self, owner: str) -> list:
        found = self._down.get(owner)
        if found is None:
            found = self._down[owner] = [
                (v, key, data) for v, keyed in self.G._adj.get(owner, {}).items()
                if self.within is None or v in self.within
                for key, data in keyed.items() if self._holds(data)]
        return found

    def covered(self, owned: str, owner: str) -> bool:
        below = self._covered.get(owned)
        if below is None:
            stating = {u for u, keyed in self.G._pred.get(owned, {}).items()
                       if self.within is None or u in self.within
                       for data in keyed.values()
                       if self._holds(data) and data.get("directInterest", True) in (False, "false")}
            seen, todo = set(), list(stating)
            while todo:
                node = todo.pop()
                for child, _, _ in self.down(node):
                    if child != owned and child not in seen and child not in stating and child not in self.listed:
                        seen.add(child)
                        todo.append(child)
            below = self._covered[owned] = frozenset(seen)
        return owner in below


class _Sizes:
    """A stake's (lowest, highest) percentage and whether it states control without one, kept once read."""

    def __init__(self, control_bases):
        self.control_bases, self.seen = control_bases, {}

    def __call__(self, key, data) -> tuple[float, float, bool]:
        found = self.seen.get(key)
        if found is None:
            low, high = stake_bounds(data)
            control = "percentage" not in data and data.get("ownershipBasis") in self.control_bases
            found = self.seen[key] = (low, high, control)
        return found

    def low(self, key, data) -> tuple[float, bool]:
        low, _, control = self(key, data)
        return low, control

    def high(self, key, data) -> tuple[float, bool]:
        _, high, control = self(key, data)
        return high, control


def _treated(stakes: _Stakes, listed: set, size, threshold: float) -> set:
    """The least set holding ``listed`` and every party whose stakes held by members (each of the ``size`` it
    gives: a percentage and whether it states control) reach ``threshold``, or that a member controls."""
    members = set(listed)
    total: dict[str, float] = {}
    work = list(listed)
    while work:
        owner = work.pop()
        for owned, key, data in stakes.down(owner):
            if owned in members or owned == owner or stakes.covered(owned, owner):
                continue
            share, control = size(key, data)
            total[owned] = total.get(owned, 0.0) + share
            if control or _reaches(total[owned], threshold):
                members.add(owned)
                work.append(owned)
    return members
