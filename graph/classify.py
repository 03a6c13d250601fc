"""Derive a chip's ECCN from its figures and the thresholds stored with each ECCN.

Each ECCN may carry ``ecg:hasCriterion`` alternatives; a criterion holds when all
of its ``ecg:threshold`` bounds hold on the chip's figures. When several ECCNs
match, the lowest ``ecg:precedence`` wins (3A090.a before 3A090.b). A chip
lacking a figure a criterion needs does not meet that criterion.
"""

from __future__ import annotations

from dataclasses import dataclass

from rdflib import Graph, URIRef
from rdflib.namespace import DCTERMS, SKOS

from .namespace import ECG
from .path import Step
from .timeline import holds


@dataclass(frozen=True)
class Classification:
    """A derived ECCN with the criterion it met and the triples behind it."""

    eccn: str
    criterion: str
    steps: tuple[Step, ...]


def _number(g: Graph, node, prop):
    value = g.value(node, prop)
    return None if value is None else float(value.toPython())


def threshold_holds(g: Graph, chip: URIRef, threshold) -> tuple[bool, tuple[Step, ...]]:
    """Whether the chip's figure meets one threshold, with the chip's figure as the step."""
    prop = g.value(threshold, ECG.onParameter)
    value = _number(g, chip, prop) if prop is not None else None
    if value is None:
        return False, ()
    low, high = _number(g, threshold, ECG.minInclusive), _number(g, threshold, ECG.maxExclusive)
    ok = (low is None or value >= low) and (high is None or value < high)
    sources = tuple(sorted(str(s) for s in g.objects(chip, DCTERMS.source)))
    return ok, (Step(str(chip), str(prop), _fmt(value), sources),)


def meets(g: Graph, chip: URIRef, holder) -> tuple[bool, tuple[Step, ...]]:
    """Whether all thresholds of ``holder`` (a criterion or a restriction) hold for ``chip``."""
    steps: list[Step] = []
    for threshold in sorted(g.objects(holder, ECG.threshold)):
        ok, more = threshold_holds(g, chip, threshold)
        if not ok:
            return False, tuple(more)
        steps += more
    return True, tuple(steps)


def derived_classification(g: Graph, chip: URIRef, day=None) -> Classification | None:
    """The ECCN the chip's figures meet, by the stored criteria; None when none is met or figures are missing.

    With ``day``, only criteria in force that day count (a criterion carries ``ecg:validFrom``/``ecg:validUntil``:
    the TPP and performance-density tests date from 2023-11-17).

    >>> from graph.load import load
    >>> g = load(imports=False)
    >>> derived_classification(g, URIRef("https://w3id.org/ecgraph/id/chip/nvidia-h100-sxm")).eccn
    'https://w3id.org/ecgraph/id/eccn/3A090.a'
    """
    best = None
    for eccn, criterion in g.subject_objects(ECG.hasCriterion):
        if day is not None and not holds(_date(g, criterion, ECG.validFrom), _date(g, criterion, ECG.validUntil), day):
            continue
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
