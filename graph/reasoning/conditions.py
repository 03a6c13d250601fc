"""The conditions of a restriction, one small function per kind, registered under the ontology term it reads.

:data:`CONDITIONS` maps an ``ecg:`` property (``ecg:appliesToItem``,
``ecg:destinationGroup``, ...) to the function that tests it on a
:class:`graph.reasoning.situation.Situation`. A function returns a :class:`Match` (the
condition holds, with the steps that show it), ``None`` (nothing to test), or
raises :class:`NotApplicable` (it does not hold) or :class:`Undetermined` (the data
lacks a fact to tell, named in words). :func:`evaluate` runs every condition a
restriction states: one that does not hold makes the restriction not applicable;
otherwise one that cannot be told makes it undetermined. Adding a kind of
condition is one function and one term.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from rdflib import OWL, URIRef
from rdflib.namespace import DCTERMS, SKOS

from .acts import ACT
from .classify import HOLDS, UNKNOWN, all_thresholds, broader_closure
from ..store.names import label_of
from ..namespace import ECG, ID
from .ownership import above, affiliations, ultimate_parents
from .path import Step, fact_steps
from .situation import (ROLE, SAME_AS, Party, Situation, classification, headquarters, list_of, listed_with,
                        listings_of, names, origin, parties_in, place_in, place_of_use, shared, values)
from .timeline import holds, status_on

AFFILIATE_EXTENSION = ID["restriction-type/affiliate-extension"]


@dataclass(frozen=True)
class Match:
    """A condition that holds: the steps that show it, the parties it matched, and why."""

    steps: tuple[Step, ...] = ()
    parties: tuple[Party, ...] = ()
    reason: str = ""
    policy: str | None = None
    own: tuple = ()  # per matched party: (party, its own steps, its own reason, its own review policy)
    acts: tuple = ()  # the usage's acts the restriction covers (empty: it does not say)
    counsel: str = ""  # a question the rules leave to interpretation


class NotApplicable(Exception):
    """A condition does not hold; the message says which."""


class Undetermined(Exception):
    """The data lacks a fact needed to tell whether a condition holds; ``missing`` names it."""

    def __init__(self, reason: str, missing: str):
        super().__init__(reason)
        self.missing = missing


CONDITIONS: dict[URIRef, Callable[[Situation, URIRef], Match | None]] = {}


def reads(*terms):
    """Register a condition function under the ontology terms it reads (the first is its own)."""
    def register(fn):
        for term in terms:
            CONDITIONS[term] = fn
        return fn
    return register


@dataclass(frozen=True)
class Result:
    """The outcome of testing one restriction: applies, not applicable or undetermined."""

    result: str  # "applies", "not applicable", "undetermined"
    match: Match | None
    reason: str
    missing: str = ""


def evaluate(s: Situation, r: URIRef) -> Result:
    """Test every condition ``r`` states on ``s``."""
    stated = {p for p, _ in s.g.predicate_objects(r)}
    functions = list(dict.fromkeys(fn for term, fn in CONDITIONS.items() if term in stated))
    steps, parties, reasons, own, acts = [], [], [], [], ()
    policy, counsel, unknown = None, "", []
    for fn in functions:
        try:
            m = fn(s, r)
        except NotApplicable as why:
            return Result("not applicable", None, str(why))
        except Undetermined as why:
            unknown.append(why)
            continue
        if m is None:
            continue
        acts = m.acts or acts
        counsel = m.counsel or counsel
        if m.own:  # party-specific evidence stays with its party
            own += m.own
            parties += m.parties
            continue
        steps += m.steps
        if m.reason:
            reasons.append(m.reason)
        policy = m.policy or policy
    if unknown:
        return Result("undetermined", None, "; ".join(str(u) for u in unknown),
                      "; ".join(dict.fromkeys(u.missing for u in unknown)))
    base = tuple(_unique(steps))
    all_steps = tuple(_unique(list(base) + [x for o in own for x in o[1]]))
    match = Match(all_steps, tuple(parties), "; ".join(reasons + [o[2] for o in own]),
                  policy or next((o[3] for o in own if o[3]), None), tuple(own), acts, counsel)
    return Result("applies", match, match.reason)


def base_of(match: Match) -> Match:
    """The match without any party's own evidence."""
    if not match.own:
        return match
    own_steps = {x for o in match.own for x in o[1]}
    return Match(tuple(x for x in match.steps if x not in own_steps), (), "; ".join(
        part for part in match.reason.split("; ") if part not in {o[2] for o in match.own}), None, (), match.acts,
        match.counsel)


# --------------------------------------------------------------------------- status of an instrument

def in_effect(s: Situation, r) -> tuple[bool, str]:
    """Whether restriction ``r`` is operative on the date (its own dates, its instrument's status), and if not why."""
    g, day = s.g, s.day
    start, end = g.value(r, ECG.validFrom), g.value(r, ECG.validUntil)
    if not holds(start.toPython() if start is not None else None, end.toPython() if end is not None else None, day):
        if start is not None and start.toPython() > day:
            return False, f"{label_of(g, r)}: not yet in effect on {day} (from {start})"
        return False, f"restriction ended on {end}"  # superseded: checked, not worth a note
    rule = g.value(r, ECG.imposedBy)
    status, period = status_on(g, rule, day)
    if status is None:
        starts = sorted(str(g.value(p, ECG.validFrom)) for p in g.subjects(ECG.statusOf, rule))
        return False, f"{short(g, rule)}: not yet in effect on {day}" + (f" (from {starts[0]})" if starts else "")
    operative = g.value(status, ECG.isOperative)
    if operative is not None and operative.toPython():
        return True, ""
    since = g.value(period, ECG.validFrom)
    return False, f"{short(g, rule)}: {label_of(g, status)} since {since}"


def short(g, rule) -> str:
    """A rule's label with its FR citation."""
    if rule is None:
        return ""
    citation, label = g.value(rule, ECG.frCitation), label_of(g, rule)
    return f"{label} ({citation})" if citation and str(citation) not in label else label


# --------------------------------------------------------------------------- the item

@reads(ECG.appliesToChip)
def chip_named(s: Situation, r) -> Match | None:
    named = values(s, r, ECG.appliesToChip)
    if s.usage.chip not in named:
        raise NotApplicable(f"{label_of(s.g, s.chip)} is not among the chips it names")
    return Match((Step(str(r), str(ECG.appliesToChip), s.usage.chip),), reason=f"it names {label_of(s.g, s.chip)}")


@reads(ECG.appliesToItem)
def item(s: Situation, r) -> Match | None:
    items = values(s, r, ECG.appliesToItem)
    found = classification(s)
    chip = label_of(s.g, s.chip)
    if found.eccn is None:
        if found.missing:
            raise Undetermined(f"whether {chip} is {names(s, items)} is unknown", found.missing)
        raise NotApplicable(f"{chip} meets no classification criterion in force on {s.day}, so it is not "
                            f"{names(s, items)}")
    eccn_label = label_of(s.g, URIRef(found.eccn))
    hit = broader_closure(s.g, found.eccn) & items
    if not hit and any(found.eccn in broader_closure(s.g, i) for i in items):
        raise Undetermined(f"{chip} is only known as {eccn_label} ({found.how})",
                           f"figures of {chip} (to tell whether it is {names(s, items)})")
    if not hit:
        raise NotApplicable(f"{chip} is {eccn_label} ({found.how}), not a covered item")
    return Match(found.steps + _broader_steps(s, found.eccn, sorted(hit)[0]),
                 reason=f"{chip} is {eccn_label} ({found.how})")


@reads(ECG.excludesItem)
def excluded_item(s: Situation, r) -> Match | None:
    """The chip must not be one of these items on the date (it is reached by another restriction already)."""
    items = values(s, r, ECG.excludesItem)
    found = classification(s)
    chip = label_of(s.g, s.chip)
    if found.eccn is None:
        if found.missing:
            raise Undetermined(f"whether {chip} is {names(s, items)} (and so outside this restriction) is unknown",
                               found.missing)
        return Match(reason=f"{chip} is not {names(s, items)}")
    if broader_closure(s.g, found.eccn) & items:
        raise NotApplicable(f"{chip} is {label_of(s.g, URIRef(found.eccn))} ({found.how}): another restriction reaches it")
    if any(found.eccn in broader_closure(s.g, i) for i in items):
        raise Undetermined(f"{chip} is only known as {label_of(s.g, URIRef(found.eccn))} ({found.how})",
                           f"figures of {chip} (to tell whether it is {names(s, items)})")
    return Match(found.steps, reason=f"{chip} is {label_of(s.g, URIRef(found.eccn))}, not {names(s, items)}")


def _broader_steps(s: Situation, eccn: str, target: str) -> tuple[Step, ...]:
    paths = {eccn: ()}
    todo = [eccn]
    while todo:
        node = todo.pop(0)
        if node == target:
            return paths[node]
        for up in sorted(s.g.objects(URIRef(node), SKOS.broader)):
            if str(up) not in paths:
                paths[str(up)] = paths[node] + (Step(node, str(SKOS.broader), str(up)),)
                todo.append(str(up))
    return ()


@reads(ECG.itemOriginGroup, ECG.itemOriginCountry)
def item_origin(s: Situation, r) -> Match | None:
    group_iris, countries = values(s, r, ECG.itemOriginGroup), values(s, r, ECG.itemOriginCountry)
    unknown = []
    for designer in s.parties["designer"]:
        hq, hq_steps = headquarters(s, designer)
        if hq is None:
            unknown.append(designer.label)
            continue
        inside = place_in(s, hq, group_iris, countries)
        if inside is not None:
            step = Step(s.usage.chip, str(ECG.designedBy), designer.key,
                        tuple(sorted(str(x) for x in s.g.objects(s.chip, DCTERMS.source))))
            return Match((step,) + hq_steps + inside,
                         reason=f"designed by {designer.label}, headquartered in {label_of(s.g, URIRef(hq))}")
    chip = label_of(s.g, s.chip)
    if unknown or not s.parties["designer"]:
        who = ", ".join(unknown) or f"the designer of {chip}"
        raise Undetermined(f"where {chip} was developed is unknown", f"headquarters of {who}")
    raise NotApplicable(f"{chip} is not designed by a party headquartered in {names(s, group_iris | countries)}")


@reads(ECG.threshold, ECG.anyCriterion)
def thresholds(s: Situation, r) -> Match | None:
    """The chip's figures against the restriction's own thresholds, or against any of its criteria (alternatives)."""
    chip = label_of(s.g, s.chip)
    holders = sorted(s.g.objects(r, ECG.anyCriterion)) if (r, ECG.anyCriterion, None) in s.g else [r]
    missing = []
    for holder in holders:
        result, steps, props = all_thresholds(s.g, s.chip, holder)
        if result == HOLDS:
            words = ", ".join(f"{label_of(s.g, URIRef(x.p))} {x.o}" for x in steps)
            via = (Step(str(r), str(ECG.anyCriterion), str(holder)),) if holder != r else ()
            return Match(steps + via, reason=f"within its thresholds ({words})"
                         + (f": {label_of(s.g, holder)}" if holder != r else ""))
        if result == UNKNOWN:
            missing += props
    if missing:
        figures = ", ".join(label_of(s.g, URIRef(p)) for p in dict.fromkeys(missing))
        raise Undetermined(f"whether {chip} meets its thresholds is unknown", f"{figures} of {chip}")
    raise NotApplicable(f"{chip} does not meet its thresholds")


# --------------------------------------------------------------------------- places

@reads(ECG.destinationGroup, ECG.destinationCountry, ECG.excludedDestinationGroup, ECG.excludedDestinationCountry)
def destination(s: Situation, r) -> Match | None:
    group_iris, countries = values(s, r, ECG.destinationGroup), values(s, r, ECG.destinationCountry)
    excluded, excluded_countries = values(s, r, ECG.excludedDestinationGroup), values(s, r, ECG.excludedDestinationCountry)
    place = place_of_use(s)
    if place is None:
        raise Undetermined("the usage has no place of use", "the place of use (give --where or a user)")
    inside: tuple[Step, ...] = ()
    if group_iris or countries:
        got = place_in(s, place, group_iris, countries)
        if got is None:
            raise NotApplicable(f"{label_of(s.g, URIRef(place))} is not in {names(s, group_iris | countries)} on {s.day}")
        inside = got
    if (excluded or excluded_countries) and place_in(s, place, excluded, excluded_countries) is not None:
        raise NotApplicable(f"{label_of(s.g, URIRef(place))} is excluded ({names(s, excluded | excluded_countries)}) on {s.day}")
    groups_named = [x.o for x in inside if x.p in (str(ECG.memberOf), str(ECG.includesGroup))]
    word = f" ({label_of(s.g, URIRef(groups_named[-1]))})" if groups_named else ""
    return Match((Step(s.usage.iri, str(ECG.usedIn), place),) + inside,
                 reason=f"used in {label_of(s.g, URIRef(place))}{word}")


@reads(ECG.shippedFromCountry)
def shipped_from(s: Situation, r) -> Match | None:
    countries = values(s, r, ECG.shippedFromCountry)
    start = origin(s)
    if start is None:
        raise Undetermined(f"whether the item is shipped from {names(s, countries)} is unknown",
                           "where the export starts (give --from or the supplier)")
    if start not in countries:
        raise NotApplicable(f"not shipped from {names(s, countries)}")
    return Match((Step(s.usage.iri, str(ECG.shippedFrom), start),), reason=f"shipped from {label_of(s.g, URIRef(start))}")


# --------------------------------------------------------------------------- what is done, and why

@reads(ECG.coversAct)
def covered_act(s: Situation, r) -> Match | None:
    covered = values(s, r, ECG.coversAct)
    hits = tuple(a for a in s.acts if broader_closure(s.g, a.kind) & covered)
    if not hits:
        have = ", ".join(label_of(s.g, URIRef(a.kind)) for a in s.acts) or "no act"
        raise NotApplicable(f"it covers {names(s, covered)}; the usage is {have}")
    words = ", ".join(f"{label_of(s.g, URIRef(a.kind))} by {a.actor.label}" for a in hits)
    return Match(tuple(Step(s.usage.iri, str(ECG.act), a.kind) for a in hits), reason=words, acts=hits)


@reads(ECG.addressedTo)
def addressee(s: Situation, r) -> Match | None:
    """A letter binds its addressee; whether it reaches anyone else performing the act is left to counsel."""
    bound = values(s, r, ECG.addressedTo)
    designers = {p.key for p in s.parties["designer"]}
    if (r, ECG.appliesToChip, s.chip) not in s.g and not designers & bound:
        raise NotApplicable(f"the letter to {names(s, bound)} covers its own ICs; {label_of(s.g, s.chip)} is designed by "
                            + (", ".join(p.label for p in s.parties["designer"]) or "an unknown designer"))
    actors = [a.actor for a in s.acts if a.actor.key and a.kind != ACT["use"]] or [
        a.actor for a in s.acts if a.kind != ACT["use"]]
    if any(p.key in bound for p in actors):
        return Match((Step(str(r), str(ECG.addressedTo), next(p.key for p in actors if p.key in bound)),),
                     reason=f"addressed to {names(s, bound)}")
    who = ", ".join(p.label for p in actors) or "the party that performs the act"
    return Match(reason=f"addressed to {names(s, bound)}",
                 counsel=f"the letter was addressed to {names(s, bound)}; whether it reaches {who} "
                         "(for example through knowledge of it) is not settled by the data")


@reads(ECG.appliesToActivity, ECG.excludesActivity)
def activity(s: Situation, r) -> Match | None:
    wanted, excluded = values(s, r, ECG.appliesToActivity), values(s, r, ECG.excludesActivity)
    lineage = broader_closure(s.g, s.usage.activity)
    name = label_of(s.g, URIRef(s.usage.activity))
    if wanted and not lineage & wanted:
        raise NotApplicable(f"the activity {name} is not {names(s, wanted)}")
    if lineage & excluded:
        raise NotApplicable(f"the activity {name} is excluded")
    return Match((Step(s.usage.iri, str(ECG.activity), s.usage.activity),), reason=f"activity {name}")


@reads(ECG.requiresEndUse)
def end_use(s: Situation, r) -> Match | None:
    wanted = values(s, r, ECG.requiresEndUse)
    hit = sorted(wanted & set(s.usage.end_uses))
    if not hit:
        raise NotApplicable(f"no known end use among {names(s, wanted)}")
    return Match(tuple(Step(s.usage.iri, str(ECG.knownEndUse), e) for e in hit), reason="known end use " + names(s, hit))


@reads(ECG.requiresRedFlag)
def red_flag(s: Situation, r) -> Match | None:
    wanted = values(s, r, ECG.requiresRedFlag)
    hit = sorted(wanted & set(s.usage.red_flags))
    if not hit:
        raise NotApplicable("the usage carries none of its red flags")
    return Match(tuple(Step(s.usage.iri, str(ECG.redFlag), e) for e in hit), reason="red flag " + names(s, hit))


# --------------------------------------------------------------------------- parties

@reads(ECG.headquartersGroup, ECG.headquartersCountry, ECG.headquartersRole, ECG.throughUltimateParent)
def headquarters_in(s: Situation, r) -> Match | None:
    g = s.g
    group_iris, countries = values(s, r, ECG.headquartersGroup), values(s, r, ECG.headquartersCountry)
    if not group_iris and not countries:
        return None
    roles = sorted(values(s, r, ECG.headquartersRole)) or [ROLE["user"]]
    flag = g.value(r, ECG.throughUltimateParent)
    through = bool(flag is not None and flag.toPython())
    candidates = parties_in(s, roles)
    above: dict[str, list[Party]] = {}  # each named party and its majority owners, nearest first
    unknown_parents = []  # majority owners whose headquarters are not recorded
    for party in candidates:
        hq, hq_steps = headquarters(s, party)
        inside = place_in(s, hq, group_iris, countries)
        if inside is not None:
            reason = f"{party.label} ({party.role}) is headquartered in {label_of(g, URIRef(hq))}"
            return Match(hq_steps + inside, (party,), reason, own=((party, hq_steps + inside, reason, None),))
        if through and party.named:
            above[party.key] = [party]
            for chain in ultimate_parents(s.G, party.key, day=s.day):
                top = Party(chain.owner, party.role, label_of(g, URIRef(chain.owner)), True)
                above[party.key].append(top)
                phq, phq_steps = headquarters(s, top)
                inside = place_in(s, phq, group_iris, countries)
                if inside is not None:
                    steps = chain_steps(s, chain) + phq_steps + inside
                    reason = (f"{party.label} ({party.role}) is majority-owned ({_pcts(chain)}) by {top.label}, "
                              f"headquartered in {label_of(g, URIRef(phq))}")
                    return Match(steps, (party,), reason, own=((party, steps, reason, None),))
                if phq is None:
                    unknown_parents.append(f"headquarters of {top.label} (majority owner of {party.label})")
    where = names(s, group_iris | countries)
    possible = []
    for party in candidates if through else ():
        for node in above.get(party.key, ()):
            for owner, how, steps in _uncertain_parents(s, node):
                holder = Party(owner, party.role, label_of(g, URIRef(owner)), True)
                ohq, ohq_steps = headquarters(s, holder)
                inside = place_in(s, ohq, group_iris, countries)
                if inside is not None and how == "control" and node is party:
                    # control stated without a percentage: the parent is known
                    reason = (f"{party.label} ({party.role}) is controlled (accounting consolidation) by "
                              f"{holder.label}, headquartered in {label_of(g, URIRef(ohq))}")
                    all_steps = steps + ohq_steps + inside
                    return Match(all_steps, (party,), reason, own=((party, all_steps, reason, None),))
                where_from = _possibly_in(s, holder, group_iris, countries)
                if where_from:
                    of = node.label if node is party else f"{node.label} (majority owner of {party.label})"
                    possible.append(f"share of {holder.label} ({where_from}) in {of} {how}")
    if possible or unknown_parents:
        missing = (["possible ultimate parent: " + "; ".join(possible)] if possible else []) + unknown_parents
        raise Undetermined(f"the ultimate parent may be headquartered in {where}: " + "; ".join(possible + unknown_parents),
                           "; ".join(missing))
    if not candidates:
        raise NotApplicable("no party in the role whose headquarters it tests "
                            f"({', '.join(x.rsplit('/', 1)[-1] for x in roles)})")
    unknown = [p.label for p in candidates if headquarters(s, p)[0] is None]
    if unknown:
        raise Undetermined(f"{', '.join(unknown)}: headquarters unknown, so whether it is headquartered in {where} "
                           "is undetermined", f"headquarters of {', '.join(unknown)}")
    who = ", ".join(p.label for p in candidates)
    raise NotApplicable(f"{who}: not headquartered in {where}" + (" (nor its ultimate parent)" if through else ""))


def _possibly_in(s: Situation, holder: Party, group_iris, countries) -> str:
    """Where ``holder`` or one of its majority owners is headquartered inside the groups or countries, or whose
    headquarters are not recorded, in words ("China"; "headquarters unknown"); empty when none of them can be."""
    g = s.g
    for who in [holder] + [Party(c.owner, holder.role, label_of(g, URIRef(c.owner)), True)
                           for c in ultimate_parents(s.G, holder.key, day=s.day)]:
        hq, _ = headquarters(s, who)
        if hq is None:
            return "headquarters unknown" if who is holder else f"owned by {who.label}, headquarters unknown"
        if place_in(s, hq, group_iris, countries) is not None:
            return label_of(g, URIRef(hq)) if who is holder else f"owned by {who.label}, {label_of(g, URIRef(hq))}"
    return ""


def _uncertain_parents(s: Situation, party: Party):
    """Direct owners of ``party`` whose stake is not a stated majority: control stated without a percentage
    (``"control"``), or a share that may exceed half (``"unknown"`` / ``"between a% and b%"``)."""
    from .ownership import stake_bounds, stake_view

    if not party.named:
        return []
    view = stake_view(s.G, s.day)
    if party.key not in view:
        return []
    out = []
    for owner, _, key, data in sorted(view.in_edges(party.key, keys=True, data=True), key=lambda e: (e[0], e[2])):
        if "percentage" in data:
            continue  # a stated share: ultimate_parents has decided it
        steps = fact_steps(owner, party.key, data, "percentageMin", "percentageMax", "ownershipBasis")
        if data.get("ownershipBasis") in control_bases(s):
            out.append((owner, "control", steps))
            continue
        low, high = stake_bounds(data)
        if high > 50.0:
            out.append((owner, "unknown" if (low, high) == (0.0, 100.0) else f"between {num(low)}% and {num(high)}%",
                        steps))
    return out


def chain_steps(s: Situation, chain) -> tuple[Step, ...]:
    """The ownership facts of a chain, as triples."""
    out = []
    for fact, owner, owned in zip(chain.facts, chain.parties, chain.parties[1:]):
        data = s.G.edges[owner, owned, fact]
        out += fact_steps(owner, owned, data, "percentage", "percentageMin", "percentageMax", "ownershipBasis",
                          "directInterest")
    return tuple(out)


def _pcts(chain) -> str:
    parts = []
    for lo, hi in (chain.bounds or [(p, p) for p in chain.percentages]):
        parts.append(num(lo) + "%" if lo == hi else f"{num(lo)}-{num(hi)}%")
    return " x ".join(parts)


def num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:.2f}".rstrip("0").rstrip(".")


@reads(ECG.listedOn, ECG.listedRole, ECG.requiresFootnote)
def listed_party(s: Situation, r) -> Match | None:
    """A party of the usage is on one of the lists, directly, through owl:sameAs, or through ownership."""
    g = s.g
    lists = values(s, r, ECG.listedOn)
    if not lists:
        return None
    footnotes = {int(x) for x in g.objects(r, ECG.requiresFootnote)}
    roles = sorted(values(s, r, ECG.listedRole)) or [ROLE["any"]]
    parties, own, unknown = [], [], []
    for party in parties_in(s, roles):
        if not party.named:
            continue
        listings = listings_of(s, party.key, lists, footnotes)
        if listings:
            steps, policy, cites = [], None, []
            for data in listings:
                holder = data.get("via_same_as", party.key)
                if holder != party.key:  # the link between the record and the party is a step too
                    linked = (URIRef(holder), OWL.sameAs, URIRef(party.key)) in g
                    steps.append(Step(holder, SAME_AS, party.key) if linked else Step(party.key, SAME_AS, holder))
                steps += fact_steps(holder, list_of(s, data), data, "fdpFootnote", "validFrom")
                policy = strictest(g, policy, data.get("reviewPolicy"))
                cites.append(data.get("frCitation", "") + (f", footnote {data['fdpFootnote']}" if "fdpFootnote" in data else ""))
            on = " and ".join(sorted({label_of(g, URIRef(list_of(s, d))) for d in listings}))
            cited = "; ".join(c for c in cites if c)
            reason = f"{party.label} ({party.role}) is on the {on}" + (f" ({cited})" if cited else "")
            parties.append(party)
            own.append((party, tuple(steps), reason, policy))
            continue
        try:
            hit = affiliate(s, party, lists, footnotes)
        except Undetermined as why:
            unknown.append(why)
            continue
        if hit:
            parties.append(party)
            own.append((party, hit.steps, hit.reason, hit.policy))
    if not parties:
        if unknown:
            raise Undetermined("; ".join(str(u) for u in unknown), "; ".join(u.missing for u in unknown))
        raise NotApplicable(f"no party of the usage is on the {names(s, lists)}"
                            + (f" with footnote {', '.join(map(str, sorted(footnotes)))}" if footnotes else "")
                            + f" on {s.day}")
    return Match(tuple(x for o in own for x in o[1]), tuple(parties), "; ".join(o[2] for o in own), None, tuple(own))


def control_bases(s: Situation) -> frozenset:
    """Ownership bases that state control without a percentage (``ecg:impliesControl``)."""
    if "control_bases" not in s.cache:
        s.cache["control_bases"] = frozenset(
            str(b) for b, v in s.g.subject_objects(ECG.impliesControl) if v.toPython())
    return s.cache["control_bases"]


def affiliate(s: Situation, party: Party, lists: set[str], footnotes: set[int]) -> Match | None:
    """Whether ``party`` is treated as listed through ownership, by an affiliate extension in force.

    Owned at or above the threshold, in the aggregate, by listed parties and parties treated as listed
    (:func:`graph.reasoning.ownership.affiliations`: a party so owned counts as listed further down, stakes are
    not multiplied down a chain), or controlled by one: treated as listed. Three-valued: where stakes of unknown
    size decide, it is undetermined ("possible affiliate", naming those stakes).
    """
    g = s.g
    undetermined = []
    for ext in sorted(g.subjects(ECG.restrictionType, AFFILIATE_EXTENSION)):
        reach = values(s, ext, ECG.extendsList) & lists
        if not reach:
            continue
        threshold = float(g.value(ext, ECG.ownershipThreshold) or 50)
        owners = listed_with(s, reach, footnotes)
        found = _affiliations(s, party.key, owners, (tuple(sorted(reach)), tuple(sorted(footnotes))), threshold)
        mine = found.get(party.key)
        if mine is None or not mine.possibly(threshold):
            continue
        operative, status_text = in_effect(s, ext)
        held = _held_text(s, mine, owners)
        if not mine.treated_as_listed(threshold):
            if not operative:
                continue
            span = ("unknown" if mine.low == 0 and mine.high >= 100
                    else f"between {num(mine.low)}% and {num(mine.high)}%")
            unknown = _unknown_stakes(s, found, party.key, owners)
            undetermined.append(Undetermined(
                f"{party.label} ({party.role}) may be an affiliate of listed parties ({held}): "
                f"share {span}, the threshold is {num(threshold)}%",
                "possible affiliate: " + "; ".join(unknown)))
            continue
        ext_sources = tuple(sorted(str(x) for x in g.objects(ext, DCTERMS.source)))
        steps = [Step(str(ext), str(ECG.ownershipThreshold), num(threshold), ext_sources),
                 Step(str(ext), str(ECG.imposedBy), str(g.value(ext, ECG.imposedBy)), ext_sources)]
        support, policy = _support(s, found, party.key, owners, reach, footnotes)
        steps += support
        if mine.control:
            by = ", ".join(sorted({label_of(g, URIRef(h.owner)) for h in mine.held if h.control and h.certain}))
            how = f"is controlled by listed {by} (control stated without a percentage: accounting consolidation)"
        else:
            how = f"is owned {num(mine.low)}% in aggregate by listed parties or parties treated as listed: {held}"
        reason = f"{party.label} ({party.role}) {how} — treated as listed under {short(g, g.value(ext, ECG.imposedBy))}"
        if not operative:
            s.cache.setdefault("affiliate_hits", []).append((ext, party, how, status_text))
            continue
        return Match(tuple(steps), (party,), reason, policy)
    if undetermined:
        raise Undetermined("; ".join(str(u) for u in undetermined), "; ".join(u.missing for u in undetermined))
    return None


# a party with at most this many parties above it is worked out from them; one with more, from every party's
# affiliations in one pass from the listed parties down (once a date, for every usage on it)
ABOVE_LIMIT = 2000


def _affiliations(s: Situation, party: str, owners, key: tuple, threshold: float) -> dict:
    """The affiliations of ``party`` and the parties above it (or of every party) to ``owners`` on the date.

    Both give the party the same answer. From its owners up is quick for most parties, and usages stored with
    many dates each ask on their own day; but in a registry of a million stakes a party may have 100,000 above
    it (7.6 s), where the one pass down from the listed parties takes 1.8 s and serves every party on that day.
    """
    table = shared(s, ("affiliations", *key, threshold), dict)  # party -> its answer; "*" -> every party's
    if "*" in table:
        return table["*"]
    if party not in table:
        within = above(s.G, party, owners, s.day, limit=ABOVE_LIMIT)
        found = affiliations(s.G, owners, day=s.day, threshold=threshold, control_bases=control_bases(s),
                             within=within)
        if within is None:
            table["*"] = found
            return found
        table[party] = found
    return table[party]


def _held_text(s: Situation, mine, owners) -> str:
    """The stakes in a party that count, in words: "SMIC (60%), Mid Co (60%, itself treated as listed)"."""
    parts = []
    for h in mine.held:
        size = (f"{num(h.low)}%" if h.low == h.high else "control" if h.control
                else "unknown share" if (h.low, h.high) == (0.0, 100.0) else f"{num(h.low)}-{num(h.high)}%")
        status = "" if h.owner in owners else ", itself treated as listed" if h.certain else ", possibly treated as listed"
        parts.append(f"{label_of(s.g, URIRef(h.owner))} ({size}{status})")
    return ", ".join(parts)


def _support(s: Situation, found, party: str, owners, reach, footnotes):
    """The facts that make ``party`` treated as listed: the stakes counted, down from the listed parties (whose
    listings are steps too), and the strictest review policy among those listed owners."""
    g, steps, policy = s.g, [], None
    seen, todo = {party}, [party]
    while todo:
        node = todo.pop()
        for h in found[node].held:
            if not h.certain:
                continue
            steps += fact_steps(h.owner, node, s.G.edges[h.owner, node, h.fact], "percentage", "percentageMin",
                                "percentageMax", "ownershipBasis", "directInterest")
            if h.owner in seen:
                continue
            seen.add(h.owner)
            if h.owner in owners:
                for data in listings_of(s, h.owner, reach, footnotes)[:1]:
                    steps += fact_steps(h.owner, list_of(s, data), data, "validFrom")
                    policy = strictest(g, policy, data.get("reviewPolicy"))  # the most restrictive owner
            elif h.owner in found:
                todo.append(h.owner)
    return tuple(_unique(steps)), policy


def _unknown_stakes(s: Situation, found, party: str, owners) -> list[str]:
    """The stakes of unknown or ranged size on which ``party``'s being treated as listed turns, in words."""
    g, out = s.g, []
    seen, todo = {party}, [party]
    while todo:
        node = todo.pop()
        for h in found[node].held:
            if h.low != h.high:
                span = ("unknown" if (h.low, h.high) == (0.0, 100.0) and not h.control
                        else "not stated (control)" if h.control else f"between {num(h.low)}% and {num(h.high)}%")
                out.append(f"share of {label_of(g, URIRef(h.owner))} in {label_of(g, URIRef(node))} {span}")
            if h.owner not in seen and h.owner not in owners and not h.certain and h.owner in found:
                seen.add(h.owner)
                todo.append(h.owner)
    return sorted(set(out)) or [f"share of the owners in {label_of(g, URIRef(party))}"]


def strictest(g, *policies):
    """The most restrictive of the review policies given (lowest ``ecg:rank``); None when none is given."""
    ranked = [(int(g.value(URIRef(p), ECG.rank) or 99), str(p)) for p in policies if p]
    return min(ranked)[1] if ranked else None


def _unique(steps):
    seen = set()
    for x in steps:
        if x not in seen:
            seen.add(x)
            yield x


