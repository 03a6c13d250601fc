"""Which parties a chip usage exposes, to which restriction, and why.

The engine is generic over the ``ecg:Restriction`` nodes in the data. Each
restriction's conditions are tested by the functions of :mod:`graph.reasoning.conditions`,
each registered under the ontology term it reads, against the usage's
:mod:`graph.reasoning.situation` (its parties and its :mod:`graph.reasoning.acts`) as of the usage's
date. Every check ends in one of three outcomes: it applies, it does not, or it is
undetermined and names the fact the data lacks. Nothing here names a rule, chip,
firm or country.

A restriction exposes the parties in its ``ecg:exposesRole`` (``id:role/actor``:
whoever performs the act it covers, naming the recipient); its type says how
severe that is and what the party must do. A restriction whose instrument is not
operative on the date exposes nobody; when its other conditions hold, the answer
says so once, as an informational exposure. A restriction that ``ecg:modifies``
another replaces that one's review policy (and adds its conditions) where it
applies; one that ``ecg:relieves`` another (a licence exception, an authorisation,
approved parties) turns its exposures into "licence exception available" with
the conditions attached.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import asdict, dataclass, field, replace

import networkx as nx
from rdflib import OWL, RDF, Graph, URIRef
from rdflib.namespace import DCTERMS, SKOS

from .acts import ACT, with_acts
from .conditions import AFFILIATE_EXTENSION, Match, base_of, evaluate, in_effect, short
from .memo import forget, memo
from ..store.names import label_of
from ..namespace import ECG, ID
from .network import to_networkx
from .path import Step
from .situation import ROLE, ROLE_OUT, ROLE_WORDS, Party, headquarters, nobody, same_as_links, situation
from .timeline import status_on

LISTING = str(ECG.Listing)
INFORMATIONAL = ID["severity/informational"]
INTERPRETATION = ID["restriction-type/interpretation"]
INFERENCE = ID["activity/inference"]
# The few vocabulary entries the engine's mechanics depend on; tests/test_exposure.py checks each is in the data.
VOCABULARY = (*map(URIRef, ROLE.values()), *map(URIRef, ACT.values()), AFFILIATE_EXTENSION, INFORMATIONAL,
              INTERPRETATION, INFERENCE)
USAGE_ROLES = ("user", "for", "supplier")


@dataclass(frozen=True)
class Usage:
    """A chip used in an activity by a party at a place, on behalf of another, supplied by a third, on a date.

    Parties are IRIs of parties in the graph, or unnamed parties given by their headquarters country
    (``user_country`` and so on). ``where`` defaults to the user's headquarters country and
    ``shipped_from`` to the supplier's. ``act`` is the act asked about (an ``id:act/...`` IRI); empty, the
    acts are derived from the usage (see :mod:`graph.reasoning.acts`).
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
    act: str = ""

    def __post_init__(self):
        if not self.iri:
            fields = {k: v for k, v in asdict(self).items() if not (k == "act" and not v)}
            digest = hashlib.sha256(repr(sorted((k, str(v)) for k, v in fields.items())).encode()).hexdigest()
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
    verdict_effect: str = "exposed"  # "exposed", "undetermined" (seek counsel) or "none" (context, informational)
    action: str = ""  # who must do what, in a few words
    act: str = ""  # the act that exposes the party (IRI), and the party that receives it
    act_label: str = ""
    recipient: str = ""
    recipient_label: str = ""
    notes: tuple[str, ...] = ()  # conditions attached: certifications, deadlines, contested status, unofficial
    links: tuple[str | None, ...] = ()  # per citation, its Federal Register or BIS address (None when unknown)
    counsel: str = ""  # for "seek counsel": the question the rules leave open


@dataclass(frozen=True)
class Check:
    """One restriction the engine tested, and what it found."""

    restriction: str
    label: str
    rule: str
    result: str  # "applies", "not applicable", "undetermined", "not operative", "modifies", "relieves"
    reason: str
    missing: str = ""  # for "undetermined": the fact the data lacks, in words


@dataclass(frozen=True)
class Answer:
    """Every exposure a usage creates, and every check that ran."""

    usage: Usage
    exposures: tuple[Exposure, ...]
    checked: tuple[Check, ...]
    acts: tuple[tuple[str, str, str], ...] = ()  # (act IRI, actor label, recipient label) of each act of the usage


def verdict(answer: Answer) -> str:
    """The answer's headline: ``exposed``, ``not exposed`` or ``undetermined: <what is missing>``.

    An informational or context exposure exposes nobody. A check that could not be decided, or a question
    left to counsel, turns "not exposed" into "undetermined", naming each missing fact once; an answer with a
    real exposure is "exposed" whatever else stayed open.
    """
    effects = [(e, "none" if e.severity == str(INFORMATIONAL) else e.verdict_effect) for e in answer.exposures]
    if any(effect == "exposed" for _, effect in effects):
        return "exposed"
    missing = [c.missing or c.reason for c in answer.checked if c.result == "undetermined"]
    missing += [f"seek counsel: {e.counsel or e.explanation}" for e, effect in effects if effect == "undetermined"]
    missing = list(dict.fromkeys(missing))
    return f"undetermined: {'; '.join(missing)}" if missing else "not exposed"


# --------------------------------------------------------------------------- graph preparation

TRAVERSAL_PREDICATES = (ECG.headquarteredIn, ECG.designedBy, ECG.manufacturedBy, ECG.treatedAs,
                        ECG.includesGroup, SKOS.inScheme, OWL.sameAs, ECG.addressCountry)


def traversal_graph(g: Graph, *, refresh: bool = False) -> nx.MultiDiGraph:
    """The networkx view the engine traverses: only the predicates it needs, plus the collapsed facts.

    Built once per loaded graph and kept on it. A graph from :func:`graph.store.load.load` also keeps it on
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


_CACHE_KEEP = 4  # traversal graphs kept on disk (the most recent)


def _cache_file(g: Graph):
    inputs = getattr(g, "ecgraph_inputs", None)
    if not inputs:
        return None
    from ..store.load import data_dir

    from .. import __version__

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
    import pickle

    from ..store.atomic import open_atomic

    try:  # written as every file of the data directory is (fsync, rename; a killed run's file is cleaned up)
        with open_atomic(path, binary=True) as fh:
            pickle.dump(G, fh, protocol=pickle.HIGHEST_PROTOCOL)
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

    >>> from graph.store.load import load
    >>> from graph.store.names import resolve
    >>> g = load(imports=False)
    >>> u = Usage(chip=str(resolve(g, "Ascend 910C", "chip")), activity=str(ID["activity/training"]),
    ...           user_country=str(ID["country/MY"]), for_country=str(ID["country/CN"]), as_of=dt.date(2025, 6, 1))
    >>> sorted({e.severity_label for e in exposures(g, u).exposures})
    ['context', 'enforcement risk', 'red flag']
    """
    G = G if G is not None else traversal_graph(g)
    g = memo(g)  # the engine reads the same restrictions, labels and figures on every call
    s = with_acts(situation(g, G, usage))
    found: list[Exposure] = []
    checks: list[Check] = []
    informed: set[str] = set()
    modifiers, reliefs = [], []
    for r in restrictions(g):
        if g.value(r, ECG.restrictionType) == AFFILIATE_EXTENSION:
            continue  # used by the listed-party condition, exposes nobody itself
        if (r, ECG.modifies, None) in g:
            modifiers.append(r)
            continue
        if (r, ECG.relieves, None) in g:
            reliefs.append(r)
            continue
        rule = str(g.value(r, ECG.imposedBy) or "")
        result = evaluate(s, r)
        if result.result == "not applicable":
            checks.append(Check(str(r), label_of(g, r), rule, "not applicable", result.reason))
            continue
        operative, status_text = in_effect(s, r)
        if not operative:
            checks.append(Check(str(r), label_of(g, r), rule, "not operative", status_text))
            if (result.result == "applies" and status_text and not status_text.startswith("restriction ended")
                    and rule not in informed and _published_by(g, rule, s.day)):
                informed.add(rule)
                found.append(_informational(s, r, result.match, status_text))
            continue
        if result.result == "undetermined":
            if _effect(g, r) == "none":  # context exposes nobody: what it cannot tell leaves the verdict alone
                checks.append(Check(str(r), label_of(g, r), rule, "not applicable",
                                    f"context only, cannot tell: {result.missing}"))
            else:
                checks.append(Check(str(r), label_of(g, r), rule, "undetermined", result.reason, result.missing))
            continue
        new = _exposures_for(s, r, result.match)
        checks.append(Check(str(r), label_of(g, r), rule, "applies", f"{len(new)} exposure(s): {result.match.reason}"))
        found += new
    for m in modifiers:
        found, check = _apply_modifier(s, m, found)
        checks.append(check)
    for x in reliefs:
        found, check = _apply_relief(s, x, found)
        checks.append(check)
    found += _affiliate_notes(s, informed)
    acts = tuple((a.kind, a.actor.label, a.recipient.label if a.recipient is not None else "") for a in s.acts)
    return Answer(usage, tuple(sorted(found, key=_exposure_order(g))), tuple(checks), acts)


def _effect(g, r) -> str:
    """The verdict effect of the severity of ``r``'s type ("exposed", "undetermined" or "none")."""
    severity = g.value(g.value(r, ECG.restrictionType), ECG.severity)
    effect = g.value(severity, ECG.verdictEffect) if severity is not None else None
    return str(effect) if effect is not None else "exposed"


def _exposure_order(g):
    def key(e: Exposure):
        rank = g.value(URIRef(e.severity), ECG.rank) if e.severity else None
        return (int(rank) if rank is not None else 99, e.party_label, e.restriction)
    return key


def _exposed(s, r, match: Match) -> list[tuple[Party, object]]:
    """The parties ``r`` exposes, each with the act that exposes it (None when no act is involved)."""
    roles = sorted(str(x) for x in s.g.objects(r, ECG.exposesRole)) or [ROLE["matched"]]
    acts = match.acts or tuple(a for a in s.acts if a.kind != ACT["use"]) or s.acts
    out: list[tuple[Party, object]] = []
    for role in roles:
        name = role.rsplit("/", 1)[-1]
        if name == "matched":
            out += [(p, _act_with(acts, p)) for p in match.parties]
        elif name == "actor":
            out += [(a.actor, a) for a in acts]
        elif name == "recipient":
            out += [(a.recipient, a) for a in acts if a.recipient is not None]
        else:
            out += [(p, _act_with(acts, p)) for p in s.parties.get(name, ())]
    if not out:  # nobody in the exposed roles is named: say who would be, without inventing a party
        out = [(nobody(name), None) for name in (x.rsplit("/", 1)[-1] for x in roles)
               if name not in ("matched", "any")][:1]
    hq_filter = {str(x) for x in s.g.objects(r, ECG.exposedHeadquartersCountry)}
    if hq_filter:
        out = [(p, a) for p, a in out if p.key and headquarters(s, p)[0] in hq_filter]
    seen, unique = set(), []
    for p, a in out:
        if (p.key, p.role, p.label) not in seen:
            seen.add((p.key, p.role, p.label))
            unique.append((p, a))
    return unique


def _act_with(acts, party: Party):
    return next((a for a in acts if a.actor.key == party.key and a.actor.role == party.role), None)


def _exposures_for(s, r, match: Match) -> list[Exposure]:
    base = base_of(match)
    own = {(o[0].key, o[0].role): o for o in match.own}
    out = []
    for party, act in _exposed(s, r, match):
        mine = own.get((party.key, party.role))
        if mine is not None:  # a matched party: the shared evidence plus its own
            m = Match(base.steps + mine[1], (party,), "; ".join(x for x in (base.reason, mine[2]) if x), mine[3],
                      acts=match.acts, counsel=match.counsel)
        else:
            m = match
        out.append(_exposure(s, r, m, party, act))
    return out


def _exposure(s, r, match: Match, party: Party, act=None, *, severity=None, policy=None,
              explanation=None) -> Exposure:
    g = s.g
    rule = g.value(r, ECG.imposedBy)
    rtype = g.value(r, ECG.restrictionType)
    if match.counsel and severity is None:
        rtype = INTERPRETATION
    severity = severity or g.value(rtype, ECG.severity)
    policy = policy if policy is not None else (match.policy or g.value(r, ECG.reviewPolicy))
    policy = URIRef(policy) if policy else None
    rule_steps = (Step(str(r), str(ECG.imposedBy), str(rule), tuple(sorted(str(x) for x in g.objects(r, DCTERMS.source)))),)
    path = match.steps + rule_steps
    recipient = act.recipient if act is not None and act.recipient is not None else None
    act_words = label_of(g, URIRef(act.kind)) if act is not None else ""
    to_whom = f" ({act_words} to {recipient.label})" if recipient is not None and recipient.key != party.key else (
        f" ({act_words})" if act_words else "")
    effect = g.value(severity, ECG.verdictEffect) if severity is not None else None
    verb = "is shown, as context, with" if effect is not None and str(effect) == "none" else "is exposed to"
    words = explanation or (
        f"{party.label} ({ROLE_WORDS.get(party.role, party.role)}) {verb} {label_of(g, r)} under "
        f"{short(g, rule)}" + (f", {label_of(g, policy)}" if policy else "") + to_whom + f": {match.reason}"
        + (f"; seek counsel: {match.counsel}" if match.counsel else "") + ".")
    citations, links = citations_on(g, rule, path, s.day)
    return Exposure(
        party=party.key, party_label=party.label, role=ROLE_OUT.get(party.role, party.role),
        rule=str(rule or ""), rule_label=label_of(g, rule) if rule is not None else "",
        restriction=str(r), restriction_label=label_of(g, r),
        severity=str(severity or ""), severity_label=label_of(g, severity) if severity is not None else "",
        policy=str(policy or ""), policy_label=label_of(g, policy) if policy is not None else "",
        citations=citations, path=path, explanation=words,
        verdict_effect=str(effect) if effect is not None else "exposed",
        action=_action(g, rtype, act, recipient),
        act=act.kind if act is not None else "", act_label=act_words,
        recipient=recipient.key if recipient is not None else "",
        recipient_label=recipient.label if recipient is not None else "",
        notes=conditions_of(g, r, s.day), links=links, counsel=match.counsel,
    )


def _action(g, rtype, act, recipient) -> str:
    template = g.value(rtype, ECG.requiredAction) if rtype is not None else None
    if template is None:
        return ""
    act_words = label_of(g, URIRef(act.kind)) if act is not None else "transaction"
    return str(template).replace("{act}", act_words).replace(
        "{recipient}", recipient.label if recipient is not None else "the recipient")


def conditions_of(g, r, day: dt.date | None = None) -> tuple[str, ...]:
    """The conditions ``r`` attaches (``ecg:hasCondition``) that hold on ``day``, each as "kind: text"."""
    from .timeline import holds

    out = []
    for c in sorted(g.objects(r, ECG.hasCondition)):
        start, end = g.value(c, ECG.validFrom), g.value(c, ECG.validUntil)
        if day is not None and not holds(start.toPython() if start is not None else None,
                                         end.toPython() if end is not None else None, day):
            continue
        kind = g.value(c, ECG.conditionKind)
        text = label_of(g, c)
        out.append(f"{label_of(g, kind)}: {text}" if kind is not None else text)
    return tuple(out)


def _published_by(g: Graph, rule: str, day: dt.date) -> bool:
    """Whether ``rule`` was known on ``day``: published by then (or no date of publication recorded), or already
    in one of its status periods (a rule may take effect before the Federal Register prints it). A rule known only
    later is no news on that day: an answer as of a date does not speak of rules to come."""
    published = g.value(URIRef(rule), ECG.publishedOn) if rule else None
    return published is None or published.toPython() <= day or status_on(g, URIRef(rule), day)[0] is not None


def _informational(s, r, match: Match, status_text: str) -> Exposure:
    g = s.g
    parties = _exposed(s, r, match)
    party, act = parties[0] if parties else (Party("", "", "", False), None)
    rule = g.value(r, ECG.imposedBy)
    status, period = status_on(g, rule, s.day)
    path = match.steps + ((Step(str(period), str(ECG.status), str(status),
                                tuple(sorted(str(x) for x in g.objects(period, DCTERMS.source)))),)
                          if period is not None else ())
    words = (f"{status_text}; it would otherwise expose {party.label or 'a party'} to {label_of(g, r)}"
             f" ({match.reason}).")
    e = _exposure(s, r, Match(path, match.parties, match.reason, match.policy, acts=match.acts), party, act,
                  severity=INFORMATIONAL, explanation=words)
    action = ("no action yet: not in effect on this date" if "not yet in effect" in status_text
              else "no action while it is not operative")
    return replace(e, policy="", policy_label="", action=action, counsel="")


def _affiliate_notes(s, informed: set[str]) -> list[Exposure]:
    out = []
    for ext, party, how, status_text in s.cache.get("affiliate_hits", []):
        rule = s.g.value(ext, ECG.imposedBy)
        if str(rule) in informed or not status_text:
            continue
        informed.add(str(rule))
        words = f"{status_text}; while in force it would treat {party.label} ({party.role}) as listed: it {how}."
        e = _exposure(s, ext, Match(reason=words), party, severity=INFORMATIONAL, policy="", explanation=words)
        out.append(replace(e, action="no action while it is not operative"))
    return out


def _apply_modifier(s, m, found: list[Exposure]) -> tuple[list[Exposure], Check]:
    g = s.g
    rule = g.value(m, ECG.imposedBy)
    targets = {str(x) for x in g.objects(m, ECG.modifies)}
    result = evaluate(s, m)
    if result.result == "not applicable":
        return found, Check(str(m), label_of(g, m), str(rule or ""), "not applicable", result.reason)
    operative, status_text = in_effect(s, m)
    if not operative:
        return found, Check(str(m), label_of(g, m), str(rule or ""), "not operative", status_text or "not in effect")
    hit = [e for e in found if e.restriction in targets and e.severity != str(INFORMATIONAL)]
    if result.result == "undetermined":
        if not hit:
            return found, Check(str(m), label_of(g, m), str(rule or ""), "not applicable", "nothing to modify")
        note = f"{label_of(g, m)} may apply: {result.missing} is unknown"
        return ([replace(e, notes=e.notes + (note,)) if e in hit else e for e in found],
                Check(str(m), label_of(g, m), str(rule or ""), "undetermined", result.reason, result.missing))
    policy = g.value(m, ECG.reviewPolicy)
    match = result.match
    out = []
    for e in found:
        if e in hit:
            path = e.path + match.steps + (Step(str(m), str(ECG.modifies), e.restriction),
                                           Step(str(m), str(ECG.imposedBy), str(rule)))
            citations, links = citations_on(g, URIRef(e.rule), path, s.day) if e.rule else (e.citations, e.links)
            change = (f"review policy {label_of(g, policy)} under {short(g, rule)}" if policy is not None
                      else f"changed by {short(g, rule)}")
            e = replace(e, policy=str(policy) if policy is not None else e.policy,
                        policy_label=label_of(g, policy) if policy is not None else e.policy_label,
                        citations=citations, links=links, path=path, notes=e.notes + conditions_of(g, m, s.day),
                        explanation=e.explanation.rstrip(".") + f"; {change}" + (f" ({match.reason})." if match.reason else "."))
        out.append(e)
    return out, Check(str(m), label_of(g, m), str(rule or ""), "modifies",
                      f"changed {len(hit)} exposure(s): {match.reason}")


def _apply_relief(s, x, found: list[Exposure]) -> tuple[list[Exposure], Check]:
    """A licence exception or authorisation: where its conditions hold, the exposures it relieves say so."""
    g = s.g
    rule = g.value(x, ECG.imposedBy)
    targets = {str(t) for t in g.objects(x, ECG.relieves)}
    hit = [e for e in found if e.restriction in targets and e.verdict_effect == "exposed"
           and e.severity != str(INFORMATIONAL)]
    label = label_of(g, x)
    if not hit:
        return found, Check(str(x), label, str(rule or ""), "not applicable", "nothing it relieves applies")
    result = evaluate(s, x)
    if result.result == "not applicable":
        return found, Check(str(x), label, str(rule or ""), "not applicable", result.reason)
    operative, status_text = in_effect(s, x)
    if not operative:
        return found, Check(str(x), label, str(rule or ""), "not operative", status_text or "not in effect")
    if result.result == "undetermined":
        note = f"{label} may be available: {result.missing} is unknown"
        return ([replace(e, notes=e.notes + (note,)) if e in hit else e for e in found],
                Check(str(x), label, str(rule or ""), "undetermined", result.reason, result.missing))
    rtype = g.value(x, ECG.restrictionType)
    severity = g.value(rtype, ECG.severity)
    match = result.match
    out = []
    for e in found:
        if e in hit:
            path = e.path + match.steps + (Step(str(x), str(ECG.relieves), e.restriction),
                                           Step(str(x), str(ECG.imposedBy), str(rule)))
            citations, links = citations_on(g, URIRef(e.rule), path, s.day) if e.rule else (e.citations, e.links)
            template = g.value(rtype, ECG.requiredAction)
            action = str(template).replace("{act}", e.act_label or "transaction").replace(
                "{recipient}", e.recipient_label or "the recipient") if template is not None else e.action
            e = replace(e, severity=str(severity), severity_label=label_of(g, severity), citations=citations,
                        links=links, path=path, action=action,
                        verdict_effect=str(g.value(severity, ECG.verdictEffect) or "exposed"),
                        notes=e.notes + (f"{label} ({short(g, rule)})",) + conditions_of(g, x, s.day),
                        explanation=e.explanation.rstrip(".") + f"; relieved by {label} ({match.reason}).")
        out.append(e)
    return out, Check(str(x), label, str(rule or ""), "relieves", f"relieved {len(hit)} exposure(s): {match.reason}")


# --------------------------------------------------------------------------- citations

# Steps whose sources are instruments that apply to the exposure: the listing, the criterion met, the affiliate
# extension. Other steps (a chip's figures, a party's headquarters, a group membership) are evidence; their
# sources describe facts, they do not apply to the usage.
_APPLYING = {str(ECG.listedParty), str(ECG.onList), str(ECG.fdpFootnote), str(ECG.hasCriterion), str(ECG.anyCriterion),
             str(ECG.ownershipThreshold), str(ECG.imposedBy), str(ECG.modifies), str(ECG.relieves)}


def citations_on(g: Graph, rule, path, day: dt.date | None = None) -> tuple[tuple[str, ...], tuple[str | None, ...]]:
    """The FR citations (or guidance titles) of the rule and of every instrument behind the path, with their links.

    The rule the exposure is about is always cited, in effect or not (a line on a rule not yet in effect names
    that rule). The other documents are cited when they apply on ``day``: in one of their status periods when
    they have some (a rule may take effect before its publication), else published by then. Only the
    instruments that apply are candidates: the rule, the rules behind the listings, criteria and extensions on the
    path, and the instruments the path names (``imposedBy``, ``classifiedBy``); the sources of a chip's figures
    or a party's headquarters describe facts and are not citations.
    """
    texts: list[str] = []
    links: list[str | None] = []
    candidates = [rule] + [URIRef(src) for step in path if step.p in _APPLYING for src in step.sources] + [
        URIRef(step.o) for step in path if step.p in (str(ECG.imposedBy), str(ECG.classifiedBy))]
    for node in candidates:
        if node is None:
            continue
        types = set(g.objects(node, RDF.type))
        if not types & {ECG.Rule, ECG.Instrument, ECG.Guidance}:
            continue
        if day is not None and node != rule:
            if (None, ECG.statusOf, node) in g:
                if status_on(g, node, day)[0] is None:
                    continue
            else:
                published = g.value(node, ECG.publishedOn)
                if published is not None and published.toPython() > day:
                    continue
        if ECG.Guidance in types:
            text = label_of(g, node)
        else:
            text = str(g.value(node, ECG.frCitation) or g.value(node, ECG.frDocNumber) or label_of(g, node))
        if text not in texts:
            texts.append(text)
            url = g.value(node, ECG.url)
            links.append(str(url) if url is not None else None)
    return tuple(texts), tuple(links)


def _citations(g: Graph, rule, path, day: dt.date | None = None) -> tuple[str, ...]:
    return citations_on(g, rule, path, day)[0]


# --------------------------------------------------------------------------- plain values out

def answer_json(answer: Answer) -> dict:
    """The answer as plain JSON-ready values (IRIs as strings)."""
    usage = {k: (v.isoformat() if isinstance(v, dt.date) else (v if v != "" else None))
             for k, v in asdict(answer.usage).items()}
    usage["for"] = usage.pop("for_")
    usage["for_country"] = usage.pop("for_country")
    return {
        "usage": usage,
        "exposures": [
            {
                "party": e.party or None, "party_label": e.party_label, "role": e.role or None,
                "rule": e.rule or None, "rule_label": e.rule_label or None,
                "restriction": e.restriction, "restriction_label": e.restriction_label,
                "severity": e.severity_label, "severity_iri": e.severity or None,
                "policy": e.policy_label or None, "policy_iri": e.policy or None,
                "citations": list(e.citations),
                "links": [{"citation": c, "url": u} for c, u in zip(e.citations, e.links or (None,) * len(e.citations))],
                "action": e.action or None,
                "act": e.act or None, "act_label": e.act_label or None,
                "recipient": e.recipient or None, "recipient_label": e.recipient_label or None,
                "notes": list(e.notes),
                "counsel": e.counsel or None,
                "verdict_effect": e.verdict_effect,
                "path": [{"s": s.s, "p": s.p, "o": s.o, "sources": list(s.sources)} for s in e.path],
                "explanation": e.explanation,
            }
            for e in answer.exposures
        ],
        "checked": [{**asdict(c), "missing": c.missing or None} for c in answer.checked],
        "acts": [{"act": kind, "actor": actor, "recipient": recipient or None} for kind, actor, recipient in answer.acts],
        "verdict": verdict(answer),
    }


def usage_graph(usage: Usage) -> Graph:
    """The usage itself as RDF (an ``ecg:ChipUsage`` node)."""
    out = Graph()
    for triple in usage_triples(usage):
        out.add(triple)
    return out


def usage_triples(usage: Usage):
    """The triples of :func:`usage_graph`, one by one."""
    from rdflib import Literal

    node = URIRef(usage.iri)
    yield node, RDF.type, ECG.ChipUsage
    yield node, ECG.chip, URIRef(usage.chip)
    yield node, ECG.activity, URIRef(usage.activity)
    yield node, ECG.asOf, Literal(usage.as_of)
    if usage.act:
        yield node, ECG.act, URIRef(usage.act)
    for prop, value in ((ECG.usedBy, usage.user), (ECG.onBehalfOf, usage.for_), (ECG.suppliedBy, usage.supplier),
                        (ECG.usedIn, usage.where), (ECG.shippedFrom, usage.shipped_from)):
        if value:
            yield node, prop, URIRef(value)
    for prop, country in ((ECG.usedBy, usage.user_country), (ECG.onBehalfOf, usage.for_country),
                          (ECG.suppliedBy, usage.supplier_country)):
        if country and not {ECG.usedBy: usage.user, ECG.onBehalfOf: usage.for_, ECG.suppliedBy: usage.supplier}[prop]:
            role = {ECG.usedBy: "user", ECG.onBehalfOf: "for", ECG.suppliedBy: "supplier"}[prop]
            party = URIRef(f"{usage.iri}/{role}")
            yield node, prop, party
            yield party, RDF.type, ECG.Party
            yield party, ECG.headquarteredIn, URIRef(country)
    for e in usage.end_uses:
        yield node, ECG.knownEndUse, URIRef(e)
    for f in usage.red_flags:
        yield node, ECG.redFlag, URIRef(f)


def to_rdf(answer: Answer) -> Graph:
    """The answer as RDF: the usage, and one ``ecg:Exposure`` node per exposure with its path as rdf:Statements."""
    from ..namespace import PREFIXES

    out = Graph()
    for prefix in ("ecg", "id", "rdf", "dcterms"):
        out.bind(prefix, PREFIXES[prefix])
    for triple in answer_triples(answer):
        out.add(triple)
    return out


def answer_triples(answer: Answer):
    """The triples of :func:`to_rdf`, one by one (repeats possible; a graph keeps each once)."""
    from rdflib import Literal

    yield from usage_triples(answer.usage)
    usage = URIRef(answer.usage.iri)
    for i, e in enumerate(answer.exposures):
        node = URIRef(f"{answer.usage.iri}/exposure/{i}")
        yield node, RDF.type, ECG.Exposure
        yield node, ECG.fromUsage, usage
        if e.party:
            yield node, ECG.exposedParty, URIRef(e.party)
        yield node, ECG.exposedRole, Literal(e.role)
        yield node, ECG.restriction, URIRef(e.restriction)
        if e.severity:
            yield node, ECG.severity, URIRef(e.severity)
        if e.policy:
            yield node, ECG.reviewPolicy, URIRef(e.policy)
        yield node, ECG.explanation, Literal(e.explanation)
        for j, step in enumerate(e.path):
            st = URIRef(f"{node}/step/{j}")
            yield node, ECG.pathStep, st
            yield st, RDF.type, RDF.Statement
            yield st, ECG.stepIndex, Literal(j)
            yield st, RDF.subject, URIRef(step.s)
            yield st, RDF.predicate, URIRef(step.p)
            yield st, RDF.object, URIRef(step.o) if step.o.startswith(("http://", "https://")) else Literal(step.o)
            for src in step.sources:
                yield st, DCTERMS.source, URIRef(src)
