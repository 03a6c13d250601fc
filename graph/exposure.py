"""Which parties a chip usage exposes, to which restriction, and why.

The engine is generic over the ``ecg:Restriction`` nodes in the data: each
restriction's conditions (items, chips, item origin, destinations, headquarters,
activities, end uses, red flags, listed parties, chip thresholds, shipping
country) are matched against the usage with traversals over the networkx view as
of the usage's date. Nothing here names a rule, chip, firm or country.

A restriction whose instrument is not operative on the date (not enforced,
suspended, superseded) exposes nobody; when its other conditions hold, the
answer says so once, as an informational exposure. A restriction that
``ecg:modifies`` another replaces that one's review policy where it applies.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import weakref
from dataclasses import asdict, dataclass, field, replace

import networkx as nx
from rdflib import OWL, RDF, Graph, URIRef
from rdflib.namespace import DCTERMS, SKOS

from .classify import broader_closure, derived_classification, meets
from .errors import EcgraphError
from .membership import groups_on, places_as
from .memo import forget, memo
from .names import label_of
from .namespace import ECG, ID
from .network import to_networkx
from .ownership import effective_ownership, ultimate_parents
from .path import Step, fact_steps
from .timeline import holds, status_on

LISTING = str(ECG.Listing)
# The few vocabulary entries the engine's mechanics depend on; tests/test_exposure.py checks each is in the data.
ROLE = {name: str(ID[f"role/{name}"]) for name in ("user", "for", "supplier", "designer", "manufacturer", "matched", "any")}
AFFILIATE_EXTENSION = ID["restriction-type/affiliate-extension"]
INFORMATIONAL = ID["severity/informational"]
INFERENCE = ID["activity/inference"]
VOCABULARY = (*map(URIRef, ROLE.values()), AFFILIATE_EXTENSION, INFORMATIONAL, INFERENCE)
USAGE_ROLES = ("user", "for", "supplier")


@dataclass(frozen=True)
class Usage:
    """A chip used in an activity by a party at a place, on behalf of another, supplied by a third, on a date.

    Parties are IRIs of parties in the graph, or unnamed parties given by their headquarters country
    (``user_country`` and so on). ``where`` defaults to the user's headquarters country and
    ``shipped_from`` to the supplier's.
    """

    chip: str
    activity: str = str(INFERENCE)
    user: str | None = None
    user_country: str | None = None
    for_: str | None = None
    for_country: str | None = None
    supplier: str | None = None
    supplier_country: str | None = None
    where: str | None = None
    shipped_from: str | None = None
    end_uses: tuple[str, ...] = ()
    red_flags: tuple[str, ...] = ()
    as_of: dt.date = field(default_factory=dt.date.today)
    iri: str = ""

    def __post_init__(self):
        if not self.iri:
            digest = hashlib.sha256(repr(sorted((k, str(v)) for k, v in asdict(self).items())).encode()).hexdigest()
            object.__setattr__(self, "iri", str(ID[f"usage/{digest[:16]}"]))


@dataclass(frozen=True)
class Exposure:
    """A party exposed to a restriction, with severity, review policy, citations and the path of facts."""

    party: str
    party_label: str
    role: str
    rule: str
    rule_label: str
    restriction: str
    restriction_label: str
    severity: str
    severity_label: str
    policy: str
    policy_label: str
    citations: tuple[str, ...]
    path: tuple[Step, ...]
    explanation: str


@dataclass(frozen=True)
class Check:
    """One restriction the engine tested, and what it found."""

    restriction: str
    label: str
    rule: str
    result: str  # "applies", "not applicable", "undetermined", "not operative", "modifies"
    reason: str
    missing: str = ""  # for "undetermined": the fact the data lacks, in words


@dataclass(frozen=True)
class Answer:
    """Every exposure a usage creates, and every check that ran."""

    usage: Usage
    exposures: tuple[Exposure, ...]
    checked: tuple[Check, ...]


def verdict(answer: Answer) -> str:
    """The answer's headline: ``exposed``, ``not exposed`` or ``undetermined: <what is missing>``.

    An informational exposure (an instrument not in force) exposes nobody. A check that could
    not be decided turns "not exposed" into "undetermined", naming each missing fact once;
    an answer with a real exposure is "exposed" whatever else stayed open.
    """
    if any(e.severity != str(INFORMATIONAL) for e in answer.exposures):
        return "exposed"
    missing = list(dict.fromkeys(c.missing or c.reason for c in answer.checked if c.result == "undetermined"))
    return f"undetermined: {'; '.join(missing)}" if missing else "not exposed"


@dataclass(frozen=True)
class _Party:
    key: str  # IRI in the graph, or a minted IRI for an unnamed party
    role: str  # user, for, supplier, designer, manufacturer
    label: str
    named: bool
    country: str | None  # headquarters, for unnamed parties


@dataclass(frozen=True)
class _Match:
    steps: tuple[Step, ...] = ()
    parties: tuple[_Party, ...] = ()
    reason: str = ""
    policy: str | None = None
    # per matched party: (party, its own steps, its own reason, its own review policy)
    own: tuple[tuple, ...] = ()
    base_steps: tuple[Step, ...] = ()
    base_reason: str = ""


class _Fail(Exception):
    """A condition does not hold; the message says which."""


# --------------------------------------------------------------------------- graph preparation

TRAVERSAL_PREDICATES = (ECG.headquarteredIn, ECG.designedBy, ECG.manufacturedBy, ECG.treatedAs,
                        ECG.includesGroup, SKOS.inScheme, OWL.sameAs, ECG.addressCountry)
SAME_AS = str(OWL.sameAs)


def traversal_graph(g: Graph, *, refresh: bool = False) -> nx.MultiDiGraph:
    """The networkx view the engine traverses: only the predicates it needs, plus the collapsed facts.

    Built once per loaded graph and kept on it. A graph from :func:`graph.load.load` also keeps it on
    disk (``data_dir()/cache``), keyed by the size and time of every file loaded, so the next command
    on the same data reads it instead of building it (3.5 s -> 0.5 s at a million triples). Changing
    ``g`` after loading is not tracked: pass ``refresh=True`` (or ``G=`` to :func:`exposures`).
    """
    if refresh:
        forget(g)
    cached = None if refresh else getattr(g, "_ecgraph_traversal", None)
    if cached is not None:
        return cached
    disk = _cache_file(g)
    G = None if refresh or disk is None else _read_cache(disk)
    if G is None:
        G = to_networkx(g, predicates=TRAVERSAL_PREDICATES)
        for group in g.subjects(ECG.isResidual, None):
            if bool(g.value(group, ECG.isResidual).toPython()):
                G.add_node(str(group), residual=True)
        G.graph["residual_groups"] = tuple(n for n, d in G.nodes(data=True) if d.get("residual"))
        G.graph["same_as"] = same_as_links(G)
        if disk is not None:
            _write_cache(disk, G)
    try:
        g._ecgraph_traversal = G
    except AttributeError:  # pragma: no cover - graphs that refuse attributes
        pass
    return G


def same_as_links(G: nx.MultiDiGraph) -> dict[str, list[str]]:
    """Each node linked by owl:sameAs, with its partners either way (most graphs have few or none)."""
    links: dict[str, set[str]] = {}
    for u, v, k in G.edges(keys=True):
        if k == SAME_AS and u != v:
            links.setdefault(u, set()).add(v)
            links.setdefault(v, set()).add(u)
    return {node: sorted(partners) for node, partners in links.items()}


_CACHE_KEEP = 4  # traversal graphs kept on disk (the most recent)


def _cache_file(g: Graph):
    inputs = getattr(g, "ecgraph_inputs", None)
    if not inputs:
        return None
    from .load import data_dir

    from . import __version__

    key = hashlib.sha256(repr((__version__, inputs, [str(p) for p in TRAVERSAL_PREDICATES])).encode()).hexdigest()
    return data_dir() / "cache" / f"traversal-{key[:24]}.pickle"


def _read_cache(path):
    import gc
    import pickle

    if not path.is_file():
        return None
    gc.disable()  # unpickling a large graph allocates millions of objects the collector need not scan
    try:
        with path.open("rb") as fh:
            return pickle.load(fh)
    except Exception:  # a damaged or foreign cache file is rebuilt, never trusted
        return None
    finally:
        gc.enable()


def _write_cache(path, G) -> None:
    import os
    import pickle

    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        with tmp.open("wb") as fh:
            pickle.dump(G, fh, protocol=pickle.HIGHEST_PROTOCOL)
        tmp.replace(path)
        for old in sorted(path.parent.glob("traversal-*.pickle"), key=lambda p: p.stat().st_mtime)[:-_CACHE_KEEP]:
            old.unlink(missing_ok=True)
    except OSError:  # a read-only data directory just means no cache
        pass


def restrictions(g: Graph) -> list[URIRef]:
    """Every restriction in the data, sorted by IRI."""
    return sorted(set(g.subjects(RDF.type, ECG.Restriction)))


# --------------------------------------------------------------------------- the engine

def exposures(g: Graph, usage: Usage, *, G: nx.MultiDiGraph | None = None) -> Answer:
    """Every exposure ``usage`` creates on ``usage.as_of``, with the checks that ran.

    >>> from graph.load import load
    >>> from graph.names import resolve
    >>> g = load(imports=False)
    >>> u = Usage(chip=str(resolve(g, "Ascend 910C", "chip")), activity=str(ID["activity/training"]),
    ...           user_country=str(ID["country/MY"]), for_country=str(ID["country/CN"]), as_of=dt.date(2025, 6, 1))
    >>> sorted({e.severity_label for e in exposures(g, u).exposures})
    ['enforcement risk', 'informational', 'licence required', 'red flag']
    """
    G = G if G is not None else traversal_graph(g)
    g = memo(g)  # the engine reads the same restrictions, labels and figures on every call
    ctx = _Context(g, G, usage)
    found: list[Exposure] = []
    checks: list[Check] = []
    informed: set[str] = set()
    modifiers = []
    for r in restrictions(g):
        if g.value(r, ECG.restrictionType) == AFFILIATE_EXTENSION:
            continue  # used by the listed-party condition, exposes nobody itself
        if (r, ECG.modifies, None) in g:
            modifiers.append(r)
            continue
        rule = g.value(r, ECG.imposedBy)
        try:
            match = ctx.match(r)
        except _Fail as why:
            checks.append(Check(str(r), label_of(g, r), str(rule or ""), "not applicable", str(why)))
            continue
        operative, status_text = ctx.operative(r)
        if not operative:
            checks.append(Check(str(r), label_of(g, r), str(rule or ""), "not operative", status_text))
            if status_text and not status_text.startswith("restriction ended") and str(rule) not in informed:
                informed.add(str(rule))
                found.append(ctx.informational(r, match, status_text))
            continue
        new = ctx.exposures_for(r, match)
        checks.append(Check(str(r), label_of(g, r), str(rule or ""), "applies",
                            f"{len(new)} exposure(s): {match.reason}"))
        found += new
    for m in modifiers:
        found, check = ctx.apply_modifier(m, found)
        checks.append(check)
    found += ctx.affiliate_notes(informed)
    return Answer(usage, tuple(sorted(found, key=_exposure_order(g))), tuple(checks))


def _exposure_order(g):
    def key(e: Exposure):
        rank = g.value(URIRef(e.severity), ECG.rank) if e.severity else None
        return (int(rank) if rank is not None else 99, e.party_label, e.restriction)
    return key


_FOOTNOTED: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()  # traversal graph -> footnoted listings


class _Context:
    """Per-call state: the usage's parties, the chip's facts, cached group lookups."""

    def __init__(self, g: Graph, G: nx.MultiDiGraph, usage: Usage):
        self.g, self.G, self.u, self.day = g, G, usage, usage.as_of
        self.chip = URIRef(usage.chip)
        if (self.chip, RDF.type, ECG.Chip) not in g:
            raise EcgraphError(f"usage chip {usage.chip} is not an ecg:Chip in the graph")
        self.parties = self._parties()
        self._groups: dict[str, dict] = {}
        self._listed_cache: dict[tuple, set] = {}
        self.affiliate_hits: list[tuple] = []

    # ---- parties
    def _parties(self) -> dict[str, list[_Party]]:
        g, u = self.g, self.u
        out: dict[str, list[_Party]] = {name: [] for name in ROLE}
        for role, iri, country in (("user", u.user, u.user_country), ("for", u.for_, u.for_country),
                                   ("supplier", u.supplier, u.supplier_country)):
            if iri:
                out[role].append(_Party(iri, role, label_of(g, URIRef(iri)), True, None))
            elif country:
                label = f"unnamed {_ROLE_WORDS[role]} headquartered in {label_of(g, URIRef(country))}"
                out[role].append(_Party(f"{u.iri}/{role}", role, label, False, country))
        for role, prop in (("designer", ECG.designedBy), ("manufacturer", ECG.manufacturedBy)):
            for firm in sorted(g.objects(self.chip, prop)):
                out[role].append(_Party(str(firm), role, label_of(g, firm), True, None))
        out["any"] = out["user"] + out["for"] + out["supplier"]
        return out

    def parties_in(self, roles) -> list[_Party]:
        seen, out = set(), []
        for role in roles:
            name = role.rsplit("/", 1)[-1]
            for p in self.parties.get(name, []):
                if (p.key, p.role) not in seen:
                    seen.add((p.key, p.role))
                    out.append(p)
        return out

    def headquarters(self, party: _Party) -> tuple[str | None, tuple[Step, ...]]:
        if not party.named:
            return party.country, (Step(party.key, str(ECG.headquarteredIn), party.country or ""),)
        for _, country, key in self.G.out_edges(party.key, keys=True) if party.key in self.G else ():
            if key == str(ECG.headquarteredIn):
                sources = tuple(sorted(str(s) for s in self.g.objects(URIRef(party.key), DCTERMS.source)))
                return country, (Step(party.key, key, country, sources),)
        return None, ()

    def groups(self, place: str) -> dict[str, tuple[Step, ...]]:
        if place not in self._groups:
            self._groups[place] = groups_on(self.G, place, self.day)
        return self._groups[place]

    def place_in(self, place: str | None, groups, countries) -> tuple[Step, ...] | None:
        """Steps showing ``place`` is one of ``countries`` or in one of ``groups`` (None when not)."""
        if not place:
            return None
        for other, via in places_as(self.G, place):
            if other in countries:
                return via
        member = self.groups(place)
        for group in sorted(groups):
            if group in member:
                return member[group]
        return None

    # ---- status
    def operative(self, r) -> tuple[bool, str]:
        g = self.g
        start, end = g.value(r, ECG.validFrom), g.value(r, ECG.validUntil)
        if not holds(start.toPython() if start is not None else None, end.toPython() if end is not None else None, self.day):
            if start is not None and start.toPython() > self.day:
                return False, f"{label_of(g, r)}: not yet in effect on {self.day} (from {start})"
            return False, f"restriction ended on {end}"  # superseded: checked, not worth a note
        rule = g.value(r, ECG.imposedBy)
        status, period = status_on(g, rule, self.day)
        if status is None:
            starts = sorted(str(g.value(p, ECG.validFrom)) for p in g.subjects(ECG.statusOf, rule))
            return False, f"{_short(g, rule)}: not yet in effect on {self.day}" + (f" (from {starts[0]})" if starts else "")
        if bool((g.value(status, ECG.isOperative) or False) and g.value(status, ECG.isOperative).toPython()):
            return True, ""
        since = g.value(period, ECG.validFrom)
        return False, f"{_short(g, rule)}: {label_of(g, status)} since {since}"

    # ---- conditions
    def match(self, r) -> _Match:
        steps, parties, reasons, own = [], [], [], []
        policy = None
        checks = (self._chip_named, self._item, self._item_origin, self._thresholds, self._destination,
                  self._shipped_from, self._activity, self._end_use, self._red_flag, self._headquarters,
                  self._listed)
        for check in checks:
            m = check(r)
            if m is None:
                continue
            if m.own:  # party-specific evidence stays with its party
                own += m.own
                parties += m.parties
                continue
            steps += m.steps
            if m.reason:
                reasons.append(m.reason)
            policy = m.policy or policy
        all_steps = steps + [s for o in own for s in o[1]]
        all_reasons = reasons + [o[2] for o in own]
        if not own:
            return _Match(tuple(_unique(steps)), (), "; ".join(reasons), policy)
        return _Match(tuple(_unique(all_steps)), tuple(parties), "; ".join(all_reasons),
                      policy or next((o[3] for o in own if o[3]), None), tuple(own),
                      tuple(_unique(steps)), "; ".join(reasons))

    @staticmethod
    def common(match: _Match) -> _Match:
        """The match without any party's own evidence."""
        if not match.own:
            return match
        return _Match(match.base_steps, (), match.base_reason, None)

    def _chip_named(self, r):
        named = {str(c) for c in self.g.objects(r, ECG.appliesToChip)}
        if not named:
            return None
        if self.u.chip not in named:
            raise _Fail(f"{label_of(self.g, self.chip)} is not among the chips it names")
        return _Match((Step(str(r), str(ECG.appliesToChip), self.u.chip),), reason=f"it names {label_of(self.g, self.chip)}")

    def classification(self):
        cached = getattr(self, "_classification", None)
        if cached is None:
            derived = derived_classification(self.g, self.chip, self.day)
            if derived is not None:
                cached = (derived.eccn, derived.steps + (Step(self.u.chip, str(ECG.derivedClassification), derived.eccn),), "derived")
            else:
                stated = sorted(self.g.objects(self.chip, ECG.statedClassification))
                sources = tuple(sorted(str(s) for s in self.g.objects(self.chip, DCTERMS.source)))
                cached = (str(stated[0]), (Step(self.u.chip, str(ECG.statedClassification), str(stated[0]), sources),), "stated") if stated else (None, (), "")
            self._classification = cached
        return cached

    def _item(self, r):
        items = {str(i) for i in self.g.objects(r, ECG.appliesToItem)}
        if not items:
            return None
        eccn, steps, how = self.classification()
        if eccn is None:
            raise _Fail(f"{label_of(self.g, self.chip)} has no derived or stated ECCN")
        hit = broader_closure(self.g, eccn) & items
        if not hit and any(eccn in broader_closure(self.g, item) for item in items):
            raise _Fail(f"undetermined: {label_of(self.g, self.chip)} is only known as {label_of(self.g, URIRef(eccn))} "
                        f"({how}); its figures are needed to tell whether it is a covered item")
        if not hit:
            raise _Fail(f"{label_of(self.g, self.chip)} is {label_of(self.g, URIRef(eccn))} ({how}), not a covered item")
        item = sorted(hit)[0]
        more = self._broader_steps(eccn, item)
        return _Match(steps + more, reason=f"{label_of(self.g, self.chip)} is {label_of(self.g, URIRef(eccn))} ({how})")

    def _broader_steps(self, eccn: str, item: str) -> tuple[Step, ...]:
        """The skos:broader triples leading from ``eccn`` up to ``item`` (empty when they are the same)."""
        paths = {eccn: ()}
        todo = [eccn]
        while todo:
            node = todo.pop(0)
            if node == item:
                return paths[node]
            for up in sorted(self.g.objects(URIRef(node), SKOS.broader)):
                if str(up) not in paths:
                    paths[str(up)] = paths[node] + (Step(node, str(SKOS.broader), str(up)),)
                    todo.append(str(up))
        return ()

    def _item_origin(self, r):
        groups = {str(x) for x in self.g.objects(r, ECG.itemOriginGroup)}
        countries = {str(x) for x in self.g.objects(r, ECG.itemOriginCountry)}
        if not groups and not countries:
            return None
        for designer in self.parties["designer"]:
            hq, hq_steps = self.headquarters(designer)
            inside = self.place_in(hq, groups, countries)
            if inside is not None:
                step = Step(self.u.chip, str(ECG.designedBy), designer.key,
                            tuple(sorted(str(s) for s in self.g.objects(self.chip, DCTERMS.source))))
                return _Match((step,) + hq_steps + inside,
                              reason=f"designed by {designer.label}, headquartered in {label_of(self.g, URIRef(hq))}")
        raise _Fail(f"{label_of(self.g, self.chip)} is not designed by a party headquartered in {self._names(groups | countries)}")

    def _thresholds(self, r):
        if (r, ECG.threshold, None) not in self.g:
            return None
        ok, steps = meets(self.g, self.chip, r)
        if not ok:
            raise _Fail(f"{label_of(self.g, self.chip)} does not meet its thresholds" + (
                f" ({label_of(self.g, URIRef(steps[0].p))} {steps[0].o})" if steps else " (figures missing)"))
        return _Match(steps, reason="within its thresholds (" + ", ".join(
            f"{label_of(self.g, URIRef(s.p))} {s.o}" for s in steps) + ")")

    def where(self) -> str | None:
        """The place of use: given, else the user's headquarters, else the user's one address country."""
        if self.u.where:
            return self.u.where
        for user in self.parties["user"]:
            hq, _ = self.headquarters(user)
            if hq:
                return hq
            if user.named:
                countries = sorted({v for _, v, k in (self.G.out_edges(user.key, keys=True) if user.key in self.G else ())
                                    if k == str(ECG.addressCountry)})
                if len(countries) == 1:
                    return countries[0]
        return None

    def _destination(self, r):
        groups = {str(x) for x in self.g.objects(r, ECG.destinationGroup)}
        countries = {str(x) for x in self.g.objects(r, ECG.destinationCountry)}
        excluded = {str(x) for x in self.g.objects(r, ECG.excludedDestinationGroup)}
        excluded_countries = {str(x) for x in self.g.objects(r, ECG.excludedDestinationCountry)}
        if not (groups or countries or excluded or excluded_countries):
            return None
        place = self.where()
        if place is None:
            raise _Fail("the usage has no place of use (give --where or a user)")
        use_step = Step(self.u.iri, str(ECG.usedIn), place)
        inside: tuple[Step, ...] = ()
        if groups or countries:
            got = self.place_in(place, groups, countries)
            if got is None:
                raise _Fail(f"{label_of(self.g, URIRef(place))} is not in {self._names(groups | countries)} on {self.day}")
            inside = got
        out = self.place_in(place, excluded, excluded_countries) if excluded or excluded_countries else None
        if out is not None:
            raise _Fail(f"{label_of(self.g, URIRef(place))} is excluded ({self._names(excluded | excluded_countries)}) on {self.day}")
        return _Match((use_step,) + inside, reason=f"used in {label_of(self.g, URIRef(place))}" + (
            f" ({self._group_word(inside)})" if inside else ""))

    def _shipped_from(self, r):
        countries = {str(x) for x in self.g.objects(r, ECG.shippedFromCountry)}
        if not countries:
            return None
        origin = self.u.shipped_from
        if not origin:
            for supplier in self.parties["supplier"]:
                origin, _ = self.headquarters(supplier)
                break
        if origin not in countries:
            raise _Fail(f"not shipped from {self._names(countries)}")
        return _Match((Step(self.u.iri, str(ECG.shippedFrom), origin),), reason=f"shipped from {label_of(self.g, URIRef(origin))}")

    def _activity(self, r):
        wanted = {str(x) for x in self.g.objects(r, ECG.appliesToActivity)}
        excluded = {str(x) for x in self.g.objects(r, ECG.excludesActivity)}
        if not wanted and not excluded:
            return None
        lineage = broader_closure(self.g, self.u.activity)
        name = label_of(self.g, URIRef(self.u.activity))
        if wanted and not lineage & wanted:
            raise _Fail(f"the activity {name} is not {self._names(wanted)}")
        if lineage & excluded:
            raise _Fail(f"the activity {name} is excluded")
        return _Match((Step(self.u.iri, str(ECG.activity), self.u.activity),), reason=f"activity {name}")

    def _end_use(self, r):
        wanted = {str(x) for x in self.g.objects(r, ECG.requiresEndUse)}
        if not wanted:
            return None
        hit = sorted(wanted & set(self.u.end_uses))
        if not hit:
            raise _Fail(f"no known end use among {self._names(wanted)}")
        return _Match(tuple(Step(self.u.iri, str(ECG.knownEndUse), e) for e in hit),
                      reason="known end use " + self._names(set(hit)))

    def _red_flag(self, r):
        wanted = {str(x) for x in self.g.objects(r, ECG.requiresRedFlag)}
        if not wanted:
            return None
        hit = sorted(wanted & set(self.u.red_flags))
        if not hit:
            raise _Fail("the usage carries none of its red flags")
        return _Match(tuple(Step(self.u.iri, str(ECG.redFlag), e) for e in hit), reason="red flag " + self._names(set(hit)))

    def _headquarters(self, r):
        groups = {str(x) for x in self.g.objects(r, ECG.headquartersGroup)}
        countries = {str(x) for x in self.g.objects(r, ECG.headquartersCountry)}
        if not groups and not countries:
            return None
        roles = [str(x) for x in self.g.objects(r, ECG.headquartersRole)] or [ROLE["user"]]
        through = bool(self.g.value(r, ECG.throughUltimateParent) is not None
                       and self.g.value(r, ECG.throughUltimateParent).toPython())
        candidates = self.parties_in(sorted(roles))
        for party in candidates:
            hq, hq_steps = self.headquarters(party)
            inside = self.place_in(hq, groups, countries)
            if inside is not None:
                reason = f"{party.label} ({party.role}) is headquartered in {label_of(self.g, URIRef(hq))}"
                return _Match(hq_steps + inside, (party,), reason, own=((party, hq_steps + inside, reason, None),))
            if through and party.named:
                for chain in ultimate_parents(self.G, party.key, day=self.day):
                    top = _Party(chain.owner, party.role, label_of(self.g, URIRef(chain.owner)), True, None)
                    phq, phq_steps = self.headquarters(top)
                    inside = self.place_in(phq, groups, countries)
                    if inside is not None:
                        steps = self._chain_steps(chain) + phq_steps + inside
                        reason = (f"{party.label} ({party.role}) is majority-owned ({_pcts(chain)}) by {top.label}, "
                                  f"headquartered in {label_of(self.g, URIRef(phq))}")
                        return _Match(steps, (party,), reason, own=((party, steps, reason, None),))
        if not candidates:
            raise _Fail(f"no party in the role whose headquarters it tests ({', '.join(r.rsplit('/', 1)[-1] for r in roles)})")
        unknown = [p.label for p in candidates if self.headquarters(p)[0] is None]
        who = ", ".join(p.label for p in candidates)
        raise _Fail(f"{who}: not headquartered in {self._names(groups | countries)}"
                    + (" (nor its ultimate parent)" if through else "")
                    + (f"; headquarters unknown for {', '.join(unknown)}: undetermined" if unknown else ""))

    def _chain_steps(self, chain) -> tuple[Step, ...]:
        steps = []
        for fact, owner, owned in zip(chain.facts, chain.parties, chain.parties[1:]):
            data = self.G.edges[owner, owned, fact]
            steps += fact_steps(owner, owned, data, "percentage")
        return tuple(steps)

    # ---- listed parties, directly or through affiliates
    def listed(self, lists: set[str]) -> set[str]:
        key = tuple(sorted(lists))
        if key not in self._listed_cache:
            # listing edges point at their list: read the lists' in-edges, not every edge of the graph
            # (a full scan cost 0.1 s per usage at 100k triples, 1 s at 1M)
            found = {
                u for v in sorted(lists) if v in self.G for u, _, d in self.G.in_edges(v, data=True)
                if d.get("predicate") == LISTING and holds(d.get("validFrom"), d.get("validUntil"), self.day)
            }
            self._listed_cache[key] = found | {p for u in found for p in self.same_as(u)}
        return self._listed_cache[key]

    def same_as(self, party: str) -> list[str]:
        """Parties linked to ``party`` by owl:sameAs (an imported record and its curated firm), either way."""
        links = self.G.graph.get("same_as")
        if links is None:  # a graph built before the links were indexed
            links = self.G.graph["same_as"] = same_as_links(self.G)
        return links.get(party, [])

    def listings_of(self, party: str, lists: set[str], footnotes: set[int]):
        """The listings of ``party`` on the date, and those of records linked to it by owl:sameAs."""
        out = []
        for alias in self.same_as(party):
            out += [dict(data, via_same_as=alias) for data in self._own_listings(alias, lists, footnotes)]
        return self._own_listings(party, lists, footnotes) + out

    def _own_listings(self, party: str, lists: set[str], footnotes: set[int]):
        if party not in self.G:
            return []
        out = []
        for _, lst, data in sorted(self.G.out_edges(party, data=True), key=lambda e: e[2].get("fact", "")):
            if data.get("predicate") != LISTING or lst not in lists:
                continue
            if not holds(data.get("validFrom"), data.get("validUntil"), self.day):
                continue
            if footnotes and data.get("fdpFootnote") not in footnotes:
                continue
            out.append(data)
        return out

    def _listed(self, r):
        lists = {str(x) for x in self.g.objects(r, ECG.listedOn)}
        if not lists:
            return None
        footnotes = {int(x) for x in self.g.objects(r, ECG.requiresFootnote)}
        roles = [str(x) for x in self.g.objects(r, ECG.listedRole)] or [ROLE["any"]]
        parties, own = [], []
        for party in self.parties_in(sorted(roles)):
            if not party.named:
                continue
            listings = self.listings_of(party.key, lists, footnotes)
            if listings:
                steps, policy, cites = [], None, []
                for data in listings:
                    holder = data.get("via_same_as", party.key)
                    if holder != party.key:  # the link between the record and the party is a step too
                        linked = (URIRef(holder), OWL.sameAs, URIRef(party.key)) in self.g
                        steps.append(Step(holder, SAME_AS, party.key) if linked else Step(party.key, SAME_AS, holder))
                    steps += fact_steps(holder, self._list_of(data), data, "fdpFootnote", "validFrom")
                    policy = _strictest(self.g, policy, data.get("reviewPolicy"))
                    cites.append(data.get("frCitation", "") + (f", footnote {data['fdpFootnote']}" if "fdpFootnote" in data else ""))
                names = " and ".join(sorted({label_of(self.g, URIRef(self._list_of(d))) for d in listings}))
                reason = f"{party.label} ({party.role}) is on the {names} ({'; '.join(cites)})"
                parties.append(party)
                own.append((party, tuple(steps), reason, policy))
                continue
            hit = self._affiliate(party, lists, footnotes)
            if hit:
                parties.append(party)
                own.append((party, hit.steps, hit.reason, hit.policy))
        if not parties:
            raise _Fail(f"no party of the usage is on the {self._names(lists)}"
                        + (f" with footnote {', '.join(map(str, sorted(footnotes)))}" if footnotes else "")
                        + f" on {self.day}")
        return _Match(tuple(s for o in own for s in o[1]), tuple(parties), "; ".join(o[2] for o in own), None, tuple(own))

    def _list_of(self, data) -> str:
        # the collapsed edge's target is the list; recover it from the fact
        return str(self.g.value(URIRef(data["fact"]), ECG.onList))

    def _affiliate(self, party: _Party, lists: set[str], footnotes: set[int]):
        """Whether ``party`` is treated as listed through ownership by an affiliate extension in force."""
        g = self.g
        for ext in sorted(g.subjects(ECG.restrictionType, AFFILIATE_EXTENSION)):
            extended = {str(x) for x in g.objects(ext, ECG.extendsList)}
            if not extended & lists:
                continue
            threshold = float(g.value(ext, ECG.ownershipThreshold) or 50)
            # owners count for the lists this condition asks about (an MEU check is not met by Entity List owners)
            reach = extended & lists
            owners = self._listed_owners(reach, footnotes)
            share, chains = effective_ownership(self.G, party.key, owners, day=self.day)
            if share < threshold or not chains:
                continue
            operative, status_text = self.operative(ext)
            ext_sources = tuple(sorted(str(x) for x in g.objects(ext, DCTERMS.source)))
            steps = [Step(str(ext), str(ECG.ownershipThreshold), _num(threshold), ext_sources),
                     Step(str(ext), str(ECG.imposedBy), str(g.value(ext, ECG.imposedBy)), ext_sources)]
            policy = None
            for chain in chains:
                steps += self._chain_steps(chain)
                for data in self.listings_of(chain.owner, reach, footnotes)[:1]:
                    steps += fact_steps(chain.owner, self._list_of(data), data, "validFrom")
                    policy = _strictest(g, policy, data.get("reviewPolicy"))  # the most restrictive owner
            owners_text = ", ".join(f"{label_of(g, URIRef(c.owner))} ({_pcts(c)})" for c in chains)
            reason = (f"{party.label} ({party.role}) is owned {_num(share)}% in aggregate by listed parties: {owners_text}"
                      f" — treated as listed under {_short(g, g.value(ext, ECG.imposedBy))}")
            if not operative:
                self.affiliate_hits.append((ext, party, share, owners_text, status_text))
                continue
            return _Match(tuple(steps), (party,), reason, policy)
        return None

    def _listed_owners(self, reach: set[str], footnotes: set[int]) -> frozenset[str]:
        # performance only: the owners listed on the day with a footnoted listing, theirs or a same-as record's.
        # It was rebuilt per party from every listed party's listings (16 ms a party at a million triples); the
        # footnoted listings are few, so they are gathered once per traversal graph and filtered by the day.
        listed = self.listed(reach)
        if not footnotes:
            return frozenset(listed)
        kept = _FOOTNOTED.setdefault(self.G, {})
        key = (tuple(sorted(reach)), tuple(sorted(footnotes)))
        if key not in kept:
            kept[key] = tuple((who, d.get("validFrom"), d.get("validUntil"))
                              for v in sorted(reach) if v in self.G for p, _, d in self.G.in_edges(v, data=True)
                              if d.get("predicate") == LISTING and d.get("fdpFootnote") in footnotes
                              for who in (p, *self.same_as(p)))
        return frozenset(who for who, start, end in kept[key] if who in listed and holds(start, end, self.day))

    # ---- results
    def exposed(self, r, match: _Match) -> list[_Party]:
        roles = sorted(str(x) for x in self.g.objects(r, ECG.exposesRole)) or [ROLE["matched"]]
        out: list[_Party] = []
        for role in roles:
            name = role.rsplit("/", 1)[-1]
            candidates = list(match.parties) if name == "matched" else self.parties.get(name, [])
            out += candidates
        if not out:  # nobody in the exposed roles is named: say who would be, without inventing a party
            out = [_Party("", name, f"the {_ROLE_WORDS.get(name, name)} (not named in the usage)", False, None)
                   for name in (r.rsplit("/", 1)[-1] for r in roles) if name not in ("matched", "any")][:1]
        hq_filter = {str(x) for x in self.g.objects(r, ECG.exposedHeadquartersCountry)}
        if hq_filter:
            out = [p for p in out if self.headquarters(p)[0] in hq_filter]
            if not out:
                raise _Fail(f"no party of the usage is headquartered in {self._names(hq_filter)}")
        seen, unique = set(), []
        for p in out:
            if (p.key, p.role) not in seen:
                seen.add((p.key, p.role))
                unique.append(p)
        return unique

    def exposures_for(self, r, match: _Match) -> list[Exposure]:
        try:
            parties = self.exposed(r, match)
        except _Fail:
            return []
        base, out = self.common(match), []
        own = {(o[0].key, o[0].role): o for o in match.own}
        for p in parties:
            mine = own.get((p.key, p.role))
            if mine is not None:  # a matched party: the shared evidence plus its own
                m = _Match(base.steps + mine[1], (p,), "; ".join(x for x in (base.reason, mine[2]) if x), mine[3])
            else:
                m = match
            out.append(self._exposure(r, m, p))
        return out

    def _exposure(self, r, match: _Match, party: _Party, *, severity=None, policy=None, explanation=None) -> Exposure:
        g = self.g
        rule = g.value(r, ECG.imposedBy)
        rtype = g.value(r, ECG.restrictionType)
        severity = severity or g.value(rtype, ECG.severity)
        policy = policy if policy is not None else (match.policy or g.value(r, ECG.reviewPolicy))
        policy = URIRef(policy) if policy else None
        rule_steps = (Step(str(r), str(ECG.imposedBy), str(rule), tuple(sorted(str(s) for s in g.objects(r, DCTERMS.source)))),)
        path = match.steps + rule_steps
        words = explanation or (
            f"{party.label} ({_ROLE_WORDS.get(party.role, party.role)}) is exposed to {label_of(g, r)} under "
            f"{_short(g, rule)}" + (f", {label_of(g, policy)}" if policy else "") + f": {match.reason}.")
        return Exposure(
            party=party.key, party_label=party.label, role=_ROLE_OUT.get(party.role, party.role),
            rule=str(rule or ""), rule_label=label_of(g, rule) if rule is not None else "",
            restriction=str(r), restriction_label=label_of(g, r),
            severity=str(severity or ""), severity_label=label_of(g, severity) if severity is not None else "",
            policy=str(policy or ""), policy_label=label_of(g, policy) if policy is not None else "",
            citations=_citations(g, rule, path, self.day), path=path, explanation=words,
        )

    def informational(self, r, match: _Match, status_text: str) -> Exposure:
        g = self.g
        try:
            parties = self.exposed(r, match)
        except _Fail:
            parties = []
        party = parties[0] if parties else _Party("", "", "", False, None)
        rule = g.value(r, ECG.imposedBy)
        status, period = status_on(g, rule, self.day)
        path = match.steps + ((Step(str(period), str(ECG.status), str(status),
                                    tuple(sorted(str(s) for s in g.objects(period, DCTERMS.source)))),)
                              if period is not None else ())
        words = (f"{status_text}; it would otherwise expose {party.label or 'a party'} to {label_of(g, r)}"
                 f" ({match.reason}).")
        return replace(self._exposure(r, _Match(path, match.parties, match.reason, match.policy), party,
                                      severity=INFORMATIONAL, explanation=words), policy="", policy_label="")

    def affiliate_notes(self, informed: set[str]) -> list[Exposure]:
        out = []
        for ext, party, share, owners_text, status_text in self.affiliate_hits:
            rule = self.g.value(ext, ECG.imposedBy)
            if str(rule) in informed or not status_text:
                continue
            informed.add(str(rule))
            words = (f"{status_text}; while in force it would treat {party.label} ({party.role}) as listed: "
                     f"owned {_num(share)}% by {owners_text}.")
            out.append(self._exposure(ext, _Match(reason=words), party, severity=INFORMATIONAL,
                                      policy="", explanation=words))
        return out

    def apply_modifier(self, m, found: list[Exposure]) -> tuple[list[Exposure], Check]:
        g = self.g
        rule = g.value(m, ECG.imposedBy)
        targets = {str(x) for x in g.objects(m, ECG.modifies)}
        try:
            match = self.match(m)
        except _Fail as why:
            return found, Check(str(m), label_of(g, m), str(rule or ""), "not applicable", str(why))
        operative, status_text = self.operative(m)
        if not operative:
            return found, Check(str(m), label_of(g, m), str(rule or ""), "not operative", status_text or "not in effect")
        policy = g.value(m, ECG.reviewPolicy)
        out, changed = [], 0
        for e in found:
            if e.restriction in targets and e.severity != str(INFORMATIONAL):
                changed += 1
                path = e.path + match.steps + (Step(str(m), str(ECG.modifies), e.restriction),
                                               Step(str(m), str(ECG.imposedBy), str(rule)))
                e = replace(e, policy=str(policy or ""), policy_label=label_of(g, policy) if policy else "",
                            citations=_citations(g, URIRef(e.rule), path, self.day) if e.rule else e.citations, path=path,
                            explanation=e.explanation.rstrip(".") + f"; review policy {label_of(g, policy)} under "
                                        f"{_short(g, rule)} ({match.reason}).")
            out.append(e)
        return out, Check(str(m), label_of(g, m), str(rule or ""), "modifies",
                          f"changed the review policy of {changed} exposure(s): {match.reason}")

    # ---- words
    def _names(self, iris) -> str:
        return " or ".join(sorted(label_of(self.g, URIRef(i)) for i in iris))

    def _group_word(self, steps) -> str:
        groups = [s.o for s in steps if s.p in (str(ECG.memberOf), str(ECG.includesGroup))]
        return label_of(self.g, URIRef(groups[-1])) if groups else ""


# roles of parties reached through the graph rather than named in the usage say how they were reached
_ROLE_OUT = {"designer": "designer of chip", "manufacturer": "manufacturer of chip"}
_ROLE_WORDS = {"user": "user", "for": "party on whose behalf", "supplier": "supplier",
               "designer": "designer of the chip", "manufacturer": "manufacturer of the chip"}


def _short(g: Graph, rule) -> str:
    if rule is None:
        return ""
    citation, label = g.value(rule, ECG.frCitation), label_of(g, rule)
    return f"{label} ({citation})" if citation and str(citation) not in label else label


def _citations(g: Graph, rule, path, day: dt.date | None = None) -> tuple[str, ...]:
    """FR citations (or guidance titles) of the rule and of every instrument behind the path, in order.

    A document published after ``day`` is left out: an answer as of a date cites what existed then.
    """
    out: list[str] = []
    candidates = [rule] + [URIRef(s) for step in path for s in step.sources] + [
        URIRef(step.o) for step in path if step.p == str(ECG.imposedBy)]
    for node in candidates:
        if node is None:
            continue
        published = g.value(node, ECG.publishedOn)
        if day is not None and published is not None and published.toPython() > day:
            continue
        types = set(g.objects(node, RDF.type))
        if ECG.Rule in types or ECG.Instrument in types:
            text = str(g.value(node, ECG.frCitation) or g.value(node, ECG.frDocNumber) or label_of(g, node))
        elif ECG.Guidance in types:
            text = label_of(g, node)
        else:
            continue
        if text not in out:
            out.append(text)
    return tuple(out)


def _strictest(g: Graph, *policies):
    """The most restrictive of the review policies given (lowest ``ecg:rank``); None when none is given."""
    ranked = [(int(g.value(URIRef(p), ECG.rank) or 99), str(p)) for p in policies if p]
    return min(ranked)[1] if ranked else None


def _pcts(chain) -> str:
    return " x ".join(f"{_num(p)}%" for p in chain.percentages)


def _num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:.2f}".rstrip("0").rstrip(".")


def _unique(steps):
    seen = set()
    for s in steps:
        if s not in seen:
            seen.add(s)
            yield s


# --------------------------------------------------------------------------- plain values out

def answer_json(answer: Answer) -> dict:
    """The answer as plain JSON-ready values (IRIs as strings)."""
    usage = {k: (v.isoformat() if isinstance(v, dt.date) else v) for k, v in asdict(answer.usage).items()}
    usage["for"] = usage.pop("for_")
    usage["for_country"] = usage.pop("for_country")
    return {
        "usage": usage,
        "exposures": [
            {
                "party": e.party, "party_label": e.party_label, "role": e.role,
                "rule": e.rule, "rule_label": e.rule_label,
                "restriction": e.restriction, "restriction_label": e.restriction_label,
                "severity": e.severity_label, "severity_iri": e.severity,
                "policy": e.policy_label, "policy_iri": e.policy,
                "citations": list(e.citations),
                "path": [{"s": s.s, "p": s.p, "o": s.o, "sources": list(s.sources)} for s in e.path],
                "explanation": e.explanation,
            }
            for e in answer.exposures
        ],
        "checked": [asdict(c) for c in answer.checked],
    }


def usage_graph(usage: Usage) -> Graph:
    """The usage itself as RDF (an ``ecg:ChipUsage`` node)."""
    from rdflib import Literal

    out = Graph()
    node = URIRef(usage.iri)
    out.add((node, RDF.type, ECG.ChipUsage))
    out.add((node, ECG.chip, URIRef(usage.chip)))
    out.add((node, ECG.activity, URIRef(usage.activity)))
    out.add((node, ECG.asOf, Literal(usage.as_of)))
    for prop, value in ((ECG.usedBy, usage.user), (ECG.onBehalfOf, usage.for_), (ECG.suppliedBy, usage.supplier),
                        (ECG.usedIn, usage.where), (ECG.shippedFrom, usage.shipped_from)):
        if value:
            out.add((node, prop, URIRef(value)))
    for prop, country in ((ECG.usedBy, usage.user_country), (ECG.onBehalfOf, usage.for_country),
                          (ECG.suppliedBy, usage.supplier_country)):
        if country and not {ECG.usedBy: usage.user, ECG.onBehalfOf: usage.for_, ECG.suppliedBy: usage.supplier}[prop]:
            role = {ECG.usedBy: "user", ECG.onBehalfOf: "for", ECG.suppliedBy: "supplier"}[prop]
            party = URIRef(f"{usage.iri}/{role}")
            out.add((node, prop, party))
            out.add((party, RDF.type, ECG.Party))
            out.add((party, ECG.headquarteredIn, URIRef(country)))
    for e in usage.end_uses:
        out.add((node, ECG.knownEndUse, URIRef(e)))
    for f in usage.red_flags:
        out.add((node, ECG.redFlag, URIRef(f)))
    return out


def to_rdf(answer: Answer) -> Graph:
    """The answer as RDF: the usage, and one ``ecg:Exposure`` node per exposure with its path as rdf:Statements."""
    from rdflib import Literal

    out = usage_graph(answer.usage)
    from .namespace import PREFIXES

    for prefix in ("ecg", "id", "rdf", "dcterms"):
        out.bind(prefix, PREFIXES[prefix])
    for i, e in enumerate(answer.exposures):
        node = URIRef(f"{answer.usage.iri}/exposure/{i}")
        out.add((node, RDF.type, ECG.Exposure))
        out.add((node, ECG.fromUsage, URIRef(answer.usage.iri)))
        if e.party:
            out.add((node, ECG.exposedParty, URIRef(e.party)))
        out.add((node, ECG.exposedRole, Literal(e.role)))
        out.add((node, ECG.restriction, URIRef(e.restriction)))
        if e.severity:
            out.add((node, ECG.severity, URIRef(e.severity)))
        if e.policy:
            out.add((node, ECG.reviewPolicy, URIRef(e.policy)))
        out.add((node, ECG.explanation, Literal(e.explanation)))
        for j, step in enumerate(e.path):
            st = URIRef(f"{node}/step/{j}")
            out.add((node, ECG.pathStep, st))
            out.add((st, RDF.type, RDF.Statement))
            out.add((st, ECG.stepIndex, Literal(j)))
            out.add((st, RDF.subject, URIRef(step.s)))
            out.add((st, RDF.predicate, URIRef(step.p)))
            out.add((st, RDF.object, URIRef(step.o) if step.o.startswith(("http://", "https://")) else Literal(step.o)))
            for src in step.sources:
                out.add((st, DCTERMS.source, URIRef(src)))
    return out
