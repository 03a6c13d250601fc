"""A chip's ECCN on a date: derived from its figures and the dated criteria of each ECCN, else as stated.

Each ECCN may carry ``ecg:hasCriterion`` alternatives, each with its own dates; a
criterion holds when all of its ``ecg:threshold`` bounds hold on the chip's
figures. When several ECCNs match, the lowest ``ecg:precedence`` wins (3A090.a
before 3A090.b). A threshold on a figure the chip lacks is *unknown*, not failed:
the answer then names the missing figure. A stated classification
(``ecg:statedClassification``) holds only from the day its ECCN exists and, when
the chip says which rule made it so (``ecg:classifiedBy``), from that rule's
effective date.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from rdflib import RDF, Graph, URIRef
from rdflib.namespace import DCTERMS, SKOS

from ..namespace import ECG
from .path import Step
from .timeline import holds

HOLDS, FAILS, UNKNOWN = "holds", "fails", "unknown"


@dataclass(frozen=True)
class Classification:
    """A derived ECCN with the criterion it met and the triples behind it."""

    eccn: str
    criterion: str
    steps: tuple[Step, ...]


@dataclass(frozen=True)
class Outcome:
    """What is known of a chip's classification on a date.

    ``eccn`` is None when the chip is not classified; ``missing`` then says what is needed to tell (empty when
    its figures meet no criterion, so it is known not to be classified).
    """

    eccn: str | None
    steps: tuple[Step, ...] = ()
    how: str = ""  # "derived" or "stated"
    missing: str = ""
    sources: tuple[str, ...] = ()  # instruments that make the classification so on the date


def _number(g: Graph, node, prop):
    value = g.value(node, prop)
    return None if value is None else float(value.toPython())


def threshold_outcome(g: Graph, chip: URIRef, threshold) -> tuple[str, tuple[Step, ...], str]:
    """Whether the chip's figure meets one threshold: (holds/fails/unknown, the chip's figure as a step, the parameter)."""
    prop = g.value(threshold, ECG.onParameter)
    value = _number(g, chip, prop) if prop is not None else None
    if value is None:
        return UNKNOWN, (), str(prop or "")
    low, high = _number(g, threshold, ECG.minInclusive), _number(g, threshold, ECG.maxExclusive)
    above = _number(g, threshold, ECG.minExclusive)
    ok = (low is None or value >= low) and (high is None or value < high) and (above is None or value > above)
    sources = tuple(sorted(str(s) for s in g.objects(chip, DCTERMS.source)))
    return (HOLDS if ok else FAILS), (Step(str(chip), str(prop), _fmt(value), sources),), str(prop)


def threshold_holds(g: Graph, chip: URIRef, threshold) -> tuple[bool, tuple[Step, ...]]:
    """Whether the chip's figure meets one threshold (a missing figure does not)."""
    result, steps, _ = threshold_outcome(g, chip, threshold)
    return result == HOLDS, steps


def all_thresholds(g: Graph, chip: URIRef, holder) -> tuple[str, tuple[Step, ...], tuple[str, ...]]:
    """Whether all thresholds of ``holder`` hold: (holds/fails/unknown, steps, parameters missing)."""
    steps: list[Step] = []
    missing: list[str] = []
    for threshold in sorted(g.objects(holder, ECG.threshold)):
        result, more, prop = threshold_outcome(g, chip, threshold)
        if result == FAILS:
            return FAILS, tuple(more), ()
        if result == UNKNOWN:
            missing.append(prop)
        steps += more
    return (UNKNOWN if missing else HOLDS), tuple(steps), tuple(dict.fromkeys(missing))


def meets(g: Graph, chip: URIRef, holder) -> tuple[bool, tuple[Step, ...]]:
    """Whether all thresholds of ``holder`` (a criterion or a restriction) hold for ``chip``."""
    result, steps, _ = all_thresholds(g, chip, holder)
    return result == HOLDS, steps


def _criteria_on(g: Graph, day):
    for eccn, criterion in g.subject_objects(ECG.hasCriterion):
        if (None, ECG.hasCriterion, criterion) in g and (criterion, ECG.threshold, None) in g:
            if day is None or holds(_date(g, criterion, ECG.validFrom), _date(g, criterion, ECG.validUntil), day):
                yield eccn, criterion


def derived_classification(g: Graph, chip: URIRef, day=None) -> Classification | None:
    """The ECCN the chip's figures meet, by the stored criteria; None when none is met or figures are missing.

    With ``day``, only criteria in force that day count (a criterion carries ``ecg:validFrom``/``ecg:validUntil``:
    the TPP and performance-density tests date from 2023-11-17).

    >>> from graph.store.load import load
    >>> g = load(imports=False)
    >>> derived_classification(g, URIRef("https://w3id.org/ecgraph/id/chip/nvidia-h100-sxm")).eccn
    'https://w3id.org/ecgraph/id/eccn/3A090.a'
    """
    best = None
    for eccn, criterion in _criteria_on(g, day):
        if (eccn, RDF.type, ECG.ECCN) not in g:
            continue  # criteria of restrictions (alternatives of thresholds) are not classifications
        ok, steps = meets(g, chip, criterion)
        if not ok or not steps:
            continue
        rank = _number(g, eccn, ECG.precedence)
        key = (rank if rank is not None else 1e9, str(eccn), str(criterion))
        if best is None or key < best[0]:
            sources = tuple(sorted(str(s) for s in g.objects(criterion, DCTERMS.source)))
            best = (key, Classification(
                str(eccn), str(criterion),
                steps + (Step(str(eccn), str(ECG.hasCriterion), str(criterion), sources),),
            ))
    return best[1] if best else None


def classification_on(g: Graph, chip: URIRef, day: dt.date) -> Outcome:
    """The chip's classification on ``day``: derived, else stated (if it holds that day), else what is missing.

    >>> from graph.store.load import load
    >>> g = load(imports=False)
    >>> classification_on(g, URIRef("https://w3id.org/ecgraph/id/chip/nvidia-gb200"), dt.date(2025, 6, 1)).missing
    'figures (total processing performance, performance density) or a stated ECCN for NVIDIA GB200 Grace Blackwell Superchip'
    """
    from ..store.names import label_of

    derived = derived_classification(g, chip, day)
    if derived is not None:
        sources = tuple(s for s in derived.steps[-1].sources)
        return Outcome(derived.eccn, derived.steps + (Step(str(chip), str(ECG.derivedClassification), derived.eccn),),
                       "derived", sources=sources)
    for eccn in sorted(g.objects(chip, ECG.statedClassification)):
        start = stated_from(g, chip, eccn)
        if start is None or start <= day:
            sources = tuple(sorted(str(s) for s in g.objects(chip, DCTERMS.source)))
            by = tuple(str(x) for x in g.objects(chip, ECG.classifiedBy))
            return Outcome(str(eccn), (Step(str(chip), str(ECG.statedClassification), str(eccn), sources),),
                           "stated", sources=by)
    eccn_criteria = [(e, c) for e, c in g.subject_objects(ECG.hasCriterion) if (e, RDF.type, ECG.ECCN) in g]
    in_force = [(e, c) for e, c in eccn_criteria
                if holds(_date(g, c, ECG.validFrom), _date(g, c, ECG.validUntil), day)]
    name = label_of(g, chip)
    if not in_force:
        firsts = sorted(d for _, c in eccn_criteria if (d := _date(g, c, ECG.validFrom)) is not None)
        if firsts and day < firsts[0]:
            return Outcome(None, missing=f"classification criteria before {firsts[0]} (none in the data)")
        return Outcome(None, missing=f"classification criteria in force on {day} (none in the data)")
    missing: list[str] = []
    for _, criterion in sorted(in_force, key=lambda ec: str(ec[1])):
        result, _, props = all_thresholds(g, chip, criterion)
        if result == UNKNOWN:
            missing += props
    if not missing:
        return Outcome(None)  # every criterion in force fails on the chip's figures: not classified
    figures = ", ".join(label_of(g, URIRef(p)) for p in dict.fromkeys(missing))
    parameters = {g.value(t, ECG.onParameter) for _, c in in_force for t in g.objects(c, ECG.threshold)}
    has_any = any(p is not None and g.value(chip, p) is not None for p in parameters)
    if has_any:
        return Outcome(None, missing=f"{figures} of {name}")
    return Outcome(None, missing=f"figures ({figures}) or a stated ECCN for {name}")


def stated_from(g: Graph, chip: URIRef, eccn) -> dt.date | None:
    """The first day a stated classification holds: its ECCN's ``ecg:validFrom`` and the ``ecg:classifiedBy`` rule's
    effective date, whichever is later (None when neither is given)."""
    days = [d for d in (_date(g, URIRef(str(e)), ECG.validFrom) for e in broader_closure(g, eccn)) if d is not None]
    for rule in g.objects(chip, ECG.classifiedBy):
        day = _date(g, rule, ECG.effectiveOn)
        if day is not None:
            days.append(day)
    return max(days) if days else None


def broader_closure(g: Graph, eccn) -> set[str]:
    """The ECCN and everything broader than it (``skos:broader*``)."""
    seen, todo = set(), [URIRef(str(eccn))]
    while todo:
        node = todo.pop()
        if str(node) in seen:
            continue
        seen.add(str(node))
        todo += list(g.objects(node, SKOS.broader))
    return seen


def _date(g: Graph, node, prop):
    value = g.value(node, prop)
    return None if value is None else value.toPython()


def _fmt(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)

