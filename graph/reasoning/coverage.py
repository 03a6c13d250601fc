"""What the restrictions data leaves out: operative instruments that impose nothing, chips nothing can classify.

An instrument in force (a status period whose status is operative) *has effect* in
the graph when a restriction is imposed by it or cites it, or a listing, group
membership, classification criterion or status period of another instrument is
sourced to it, or a chip is classified by it. A chip *can be classified* when it has
a figure some threshold reads or a stated classification. Each gap either carries an
``ecg:coverageNote`` saying why (an accepted exception) or is reported as open.
"""

from __future__ import annotations

from dataclasses import dataclass

from rdflib import RDF, Graph
from rdflib.namespace import DCTERMS

from ..store.names import label_of
from ..namespace import ECG


@dataclass(frozen=True)
class Gap:
    """An instrument without effect or a chip without figures or classification, and the note excepting it."""

    iri: str
    label: str
    kind: str  # "instrument" or "chip"
    what: str
    note: str | None = None


_FACT_CLASSES = (ECG.Listing, ECG.GroupMembership, ECG.ClassificationCriterion, ECG.StatusPeriod, ECG.Restriction)


def coverage(g: Graph) -> list[Gap]:
    """Every gap in the data's coverage, instruments first, sorted by IRI.

    >>> from graph.store.load import load
    >>> [gap.note is not None for gap in coverage(load(imports=False))].count(False)
    0
    """
    out: list[Gap] = []
    with_effect = set(g.objects(None, ECG.imposedBy)) | set(g.objects(None, ECG.classifiedBy))
    for cls in _FACT_CLASSES:
        for fact in g.subjects(RDF.type, cls):
            own = set(g.objects(fact, ECG.statusOf))
            with_effect |= {src for src in g.objects(fact, DCTERMS.source)} - own
    instruments = set()
    for cls in (ECG.Rule, ECG.Instrument, ECG.Guidance):
        instruments |= set(g.subjects(RDF.type, cls))
    for node in sorted(instruments):
        operative = any(
            (status := g.value(p, ECG.status)) is not None and bool((g.value(status, ECG.isOperative) or False)
                                                                    and g.value(status, ECG.isOperative).toPython())
            for p in g.subjects(ECG.statusOf, node))
        if operative and node not in with_effect:
            note = g.value(node, ECG.coverageNote)
            out.append(Gap(str(node), label_of(g, node), "instrument", "operative, but imposes, relaxes or "
                           "conditions nothing in the data", str(note) if note is not None else None))
    parameters = {g.value(t, ECG.onParameter) for t in g.subjects(RDF.type, ECG.Threshold)} - {None}
    for chip in sorted(set(g.subjects(RDF.type, ECG.Chip))):
        has_figure = any(g.value(chip, p) is not None for p in parameters)
        if not has_figure and g.value(chip, ECG.statedClassification) is None:
            note = g.value(chip, ECG.coverageNote)
            out.append(Gap(str(chip), label_of(g, chip), "chip", "no figures and no stated classification",
                           str(note) if note is not None else None))
    return out
