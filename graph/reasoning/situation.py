"""The facts of one chip usage the condition functions read: its parties, its acts, places and the chip's class.

A :class:`Situation` is a plain value built once per call of :func:`graph.reasoning.exposure.exposures`;
the functions here look things up in it (headquarters, groups of a place on the
date, the chip's classification, listings), memoising in its ``cache`` dict.
Nothing here names a rule, chip, firm or country.
"""

from __future__ import annotations

import bisect
import datetime as dt
import weakref
from dataclasses import dataclass, field

import networkx as nx
from rdflib import RDF, Graph, URIRef
from rdflib.namespace import DCTERMS

from .classify import Outcome, classification_on
from ..errors import EcgraphError
from .membership import groups_on, places_as
from ..store.names import label_of
from ..namespace import ECG, ID
from .path import Step
from .timeline import _as_date, holds

LISTING = str(ECG.Listing)
SAME_AS = "http://www.w3.org/2002/07/owl#sameAs"
# Roles of the usage; tests/test_exposure.py checks each is in the data.
ROLE = {name: str(ID[f"role/{name}"]) for name in
        ("user", "for", "supplier", "designer", "manufacturer", "matched", "any", "actor", "recipient")}
ROLE_WORDS = {"user": "user", "for": "customer", "supplier": "supplier",
              "designer": "designer of the chip", "manufacturer": "manufacturer of the chip",
              "actor": "party that performs the act", "recipient": "recipient"}
ROLE_OUT = {"designer": "designer of chip", "manufacturer": "manufacturer of chip"}


@dataclass(frozen=True)
class Party:
    """A party of the usage in a role: a node of the graph, or an unnamed party known by its headquarters."""

    key: str  # IRI in the graph, a minted IRI for an unnamed party, "" for nobody in particular
    role: str  # user, for, supplier, designer, manufacturer
    label: str
    named: bool
    country: str | None = None  # headquarters, for unnamed parties


@dataclass(frozen=True)
class Situation:
    """One usage as the conditions see it."""

    g: Graph
    G: nx.MultiDiGraph
    usage: object  # graph.reasoning.exposure.Usage
    parties: dict
    acts: tuple = ()
    cache: dict = field(default_factory=dict, compare=False, repr=False)

    @property
    def day(self) -> dt.date:
        return self.usage.as_of

    @property
    def chip(self) -> URIRef:
        return URIRef(self.usage.chip)


def situation(g: Graph, G: nx.MultiDiGraph, usage) -> Situation:
    """The situation of ``usage``: its parties by role (named, unnamed, and the chip's designers and makers) and acts."""
    chip = URIRef(usage.chip)
    if (chip, RDF.type, ECG.Chip) not in g:
        raise EcgraphError(f"usage chip {usage.chip} is not an ecg:Chip in the graph")
    out: dict[str, list[Party]] = {name: [] for name in ROLE}
    for role, iri, country in (("user", usage.user, usage.user_country), ("for", usage.for_, usage.for_country),
                               ("supplier", usage.supplier, usage.supplier_country)):
        if iri:
            out[role].append(Party(iri, role, label_of(g, URIRef(iri)), True))
        elif country:
            label = f"unnamed {ROLE_WORDS[role]} headquartered in {label_of(g, URIRef(country))}"
            out[role].append(Party(f"{usage.iri}/{role}", role, label, False, country))
    for role, prop in (("designer", ECG.designedBy), ("manufacturer", ECG.manufacturedBy)):
        for firm in sorted(g.objects(chip, prop)):
            out[role].append(Party(str(firm), role, label_of(g, firm), True))
    out["any"] = out["user"] + out["for"] + out["supplier"]
    return Situation(g, G, usage, {k: tuple(v) for k, v in out.items()})


def nobody(role: str) -> Party:
    """The party in ``role`` when the usage names none: said as such, never invented."""
    return Party("", role, f"the {ROLE_WORDS.get(role, role)} (not named in the usage)", False)


def parties_in(s: Situation, roles) -> list[Party]:
    """The usage's parties in any of ``roles`` (role IRIs or names), each once."""
    seen, out = set(), []
    for role in roles:
        name = str(role).rsplit("/", 1)[-1]
        for p in s.parties.get(name, ()):
            if (p.key, p.role) not in seen:
                seen.add((p.key, p.role))
                out.append(p)
    return out


def headquarters(s: Situation, party: Party) -> tuple[str | None, tuple[Step, ...]]:
    """Where ``party`` is headquartered, with the triple that says so (None when unknown)."""
    if not party.named:
        return party.country, ((Step(party.key, str(ECG.headquarteredIn), party.country),) if party.country else ())
    G = s.G
    for _, country, key in G.out_edges(party.key, keys=True) if party.key in G else ():
        if key == str(ECG.headquarteredIn):
            sources = tuple(sorted(str(x) for x in s.g.objects(URIRef(party.key), DCTERMS.source)))
            return country, (Step(party.key, key, country, sources),)
    return None, ()


def groups(s: Situation, place: str) -> dict[str, tuple[Step, ...]]:
    """The groups ``place`` is in on the usage's date (memoised)."""
    return shared(s, ("groups", place), lambda: groups_on(s.G, place, s.day))


def place_in(s: Situation, place: str | None, group_iris, countries) -> tuple[Step, ...] | None:
    """Steps showing ``place`` is one of ``countries`` or in one of ``group_iris`` (None when not)."""
    if not place:
        return None
    for other, via in places_as(s.G, place):
        if other in countries:
            return via
    member = groups(s, place)
    for group in sorted(group_iris):
        if group in member:
            return member[group]
    return None


def same_place(s: Situation, a: str | None, b: str | None) -> bool:
    """Whether two places are the same country (or one is treated as the other)."""
    if not a or not b:
        return False
    return bool({x for x, _ in places_as(s.G, a)} & {x for x, _ in places_as(s.G, b)})


def place_of_use(s: Situation) -> str | None:
    """The place of use: given, else the user's headquarters, else the user's one address country."""
    if s.usage.where:
        return s.usage.where
    for user in s.parties["user"]:
        hq, _ = headquarters(s, user)
        if hq:
            return hq
        if user.named and user.key in s.G:
            countries = sorted({v for _, v, k in s.G.out_edges(user.key, keys=True) if k == str(ECG.addressCountry)})
            if len(countries) == 1:
                return countries[0]
    return None


def origin(s: Situation) -> str | None:
    """Where the item is shipped from: given, else the supplier's headquarters."""
    if s.usage.shipped_from:
        return s.usage.shipped_from
    for supplier in s.parties["supplier"]:
        hq, _ = headquarters(s, supplier)
        if hq:
            return hq
    return None


def classification(s: Situation) -> Outcome:
    """The chip's classification on the usage's date (memoised)."""
    if "classification" not in s.cache:
        s.cache["classification"] = classification_on(s.g, s.chip, s.day)
    return s.cache["classification"]


# ---- listed parties

def same_as(s: Situation, party: str) -> list[str]:
    """Parties linked to ``party`` by owl:sameAs (an imported record and its curated firm), either way."""
    links = s.G.graph.get("same_as")
    if links is None:  # a graph built before the links were indexed
        links = s.G.graph["same_as"] = same_as_links(s.G)
    return links.get(party, [])


def same_as_links(G: nx.MultiDiGraph) -> dict[str, list[str]]:
    """Each node linked by owl:sameAs, with its partners either way (most graphs have few or none)."""
    links: dict[str, set[str]] = {}
    for u, v, k in G.edges(keys=True):
        if k == SAME_AS and u != v:
            links.setdefault(u, set()).add(v)
            links.setdefault(v, set()).add(u)
    return {node: sorted(partners) for node, partners in links.items()}


def shared(s: Situation, key: tuple, make, *, dated: bool = True):
    """A fact of the traversal graph (on the usage's date when ``dated``), worked out once for every usage on it.

    What depends only on the graph and the date (the listing edges into some lists, the parties on them
    on a date, the groups of a place) is the same for every usage and party: :func:`graph.reasoning.infer.inferences`
    asks it for each stored usage. Kept beside ``s.G`` (dropped with it), keyed by ``key`` (and the date).
    """
    table = _SHARED.get(s.G)
    if table is None:
        table = _SHARED[s.G] = {}
    key = (*key, s.day) if dated else key
    if key not in table:
        table[key] = make()
    return table[key]


_SHARED: "weakref.WeakKeyDictionary[nx.MultiDiGraph, dict]" = weakref.WeakKeyDictionary()


def _listing_edges(s: Situation, lists: tuple, footnotes: tuple) -> tuple:
    """(party, edge data) of each listing edge into one of ``lists`` (with one of ``footnotes``), whatever its dates."""
    def make():
        # listing edges point at their list: read the lists' in-edges, not every edge of the graph
        return tuple((u, d) for v in lists if v in s.G for u, _, d in s.G.in_edges(v, data=True)
                     if d.get("predicate") == LISTING and (not footnotes or d.get("fdpFootnote") in footnotes))
    return shared(s, ("listing_edges", lists, footnotes), make, dated=False)


def listed(s: Situation, lists) -> frozenset[str]:
    """Every party on one of ``lists`` on the date (and records linked to one by owl:sameAs)."""
    return listed_with(s, lists, ())


def listed_with(s: Situation, lists, footnotes) -> frozenset[str]:
    """The parties of :func:`listed` with a listing on the date that carries one of ``footnotes`` (all without).

    The same as the parties of :func:`listed` whose :func:`listings_of` with ``footnotes`` is not empty.
    """
    lists, footnotes = tuple(sorted(lists)), tuple(sorted(footnotes))

    def spans():  # each listing's party and dates, and every date on which a listing starts or ends, sorted
        rows = tuple((u, _day(d.get("validFrom")), _day(d.get("validUntil")))
                     for u, d in _listing_edges(s, lists, footnotes))
        return rows, sorted({x for _, a, b in rows for x in (a, b) if x is not None})

    rows, points = shared(s, ("listing_spans", lists, footnotes), spans, dated=False)
    day = s.day
    # days that fall alike before, on or after every start and end see the same listings: usages stored with
    # hundreds of dates share the few sets they need
    period = (bisect.bisect_left(points, day), bisect.bisect_right(points, day))

    def make():
        found = {u for u, a, b in rows if (a is None or a <= day) and (b is None or day <= b)}
        return frozenset(found | {p for u in found for p in same_as(s, u)})
    return shared(s, ("listed", lists, footnotes, period), make, dated=False)


def _day(value):
    return None if value is None else _as_date(value)


def listings_of(s: Situation, party: str, lists, footnotes=()) -> list[dict]:
    """The listings of ``party`` on the date, and those of records linked to it by owl:sameAs."""
    out = []
    for alias in same_as(s, party):
        out += [dict(data, via_same_as=alias) for data in _own_listings(s, alias, lists, footnotes)]
    return _own_listings(s, party, lists, footnotes) + out


def _own_listings(s: Situation, party: str, lists, footnotes) -> list[dict]:
    if party not in s.G:
        return []
    out = []
    # filter before sorting: sorting a networkx edge view first counts it, one walk of the party's edges more
    edges = [(lst, data) for _, lst, data in s.G.out_edges(party, data=True) if data.get("predicate") == LISTING]
    for lst, data in sorted(edges, key=lambda e: e[1].get("fact", "")):
        if lst not in lists:
            continue
        if not holds(data.get("validFrom"), data.get("validUntil"), s.day):
            continue
        if footnotes and data.get("fdpFootnote") not in footnotes:
            continue
        out.append(data)
    return out


def list_of(s: Situation, data: dict) -> str:
    """The list a collapsed listing edge points at."""
    return str(s.g.value(URIRef(data["fact"]), ECG.onList))


def names(s: Situation, iris) -> str:
    """The labels of ``iris``, sorted, joined by "or"."""
    return " or ".join(sorted(label_of(s.g, URIRef(i)) for i in iris))


def values(s: Situation, r, prop) -> set[str]:
    """The objects of ``(r, prop)`` as strings."""
    return {str(x) for x in s.g.objects(r, prop)}
