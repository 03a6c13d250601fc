"""What the graph holds: counts by class (``info``) and everything known about one entity (``show``)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace

from rdflib import RDF, RDFS, Graph, Literal, URIRef
from rdflib.namespace import DCTERMS

from ..namespace import ECG
from ..store.names import label_of
from .network import collapsing_classes
from .timeline import status_on

_COUNT_QUERY = """
SELECT ?class (COUNT(DISTINCT ?s) AS ?n) WHERE {
  ?class a owl:Class .
  FILTER(STRSTARTS(STR(?class), STR(ecg:)))
  OPTIONAL { ?t rdfs:subClassOf* ?class . ?s a ?t . }
} GROUP BY ?class
"""


@dataclass(frozen=True)
class InstrumentStatus:
    """A rule or guidance document and its status on a day."""

    iri: str
    label: str
    kind: str
    citation: str
    status: str
    since: str


@dataclass(frozen=True)
class Fact:
    """One fact about an entity: ``(subject, predicate, object)`` with its sources and dates."""

    subject: str
    predicate: str
    predicate_label: str
    object: str
    object_label: str
    sources: tuple[str, ...] = ()
    valid_from: str = ""
    valid_until: str = ""
    via: str = ""  # the fact node (listing, ownership, ...) when the fact is one
    derived: bool = False  # computed by ecgraph (the inferred graph), not asserted by a source


def counts(g: Graph) -> dict[str, int]:
    """Number of instances of each ontology class (subclasses included), keyed by class local name."""
    rows = g.query(_COUNT_QUERY, initNs={"owl": "http://www.w3.org/2002/07/owl#",
                                         "rdfs": str(RDFS), "ecg": str(ECG._NS)})
    return {str(cls).rsplit("#", 1)[-1]: int(n) for cls, n in rows}


def instrument_statuses(g: Graph, day: dt.date) -> list[InstrumentStatus]:
    """Every rule and guidance document with its status on ``day`` and the date that status began, by date.

    An instrument not yet in effect on ``day`` shows the date its first status begins (``since``
    is then after ``day``); one with no dated status at all comes last.
    """
    out = []
    for kind, cls in (("rule", ECG.Rule), ("guidance", ECG.Guidance)):
        for inst in set(g.subjects(RDF.type, cls)):
            status, period = status_on(g, inst, day)
            since = g.value(period, ECG.validFrom) if period is not None else None
            if period is None:  # not yet in effect: when does it begin?
                starts = sorted(str(v) for p in g.subjects(ECG.statusOf, inst)
                                for v in g.objects(p, ECG.validFrom) if str(v) > day.isoformat())
                since = starts[0] if starts else None
            citation = g.value(inst, ECG.frCitation) or g.value(inst, ECG.frDocNumber) or ""
            out.append(InstrumentStatus(
                iri=str(inst), label=label_of(g, inst), kind=kind, citation=str(citation),
                status=label_of(g, status) if status is not None else "not yet in effect",
                since=str(since or ""),
            ))
    return sorted(out, key=lambda s: (s.since or "9999", s.kind, s.citation or s.label))


def facts_about(g: Graph, iri: URIRef) -> list[Fact]:
    """Every fact about ``iri``: its own triples, then the fact nodes (listings, ownership, ...) it takes part in."""
    from ..namespace import GRAPH

    facts = []
    own_sources = tuple(sorted(str(s) for s in g.objects(iri, DCTERMS.source)))
    inferred = g.graph(GRAPH.inferred) if hasattr(g, "graph") else None
    for p, o in sorted(set(g.predicate_objects(iri))):
        if p in (DCTERMS.source,):
            continue
        derived = inferred is not None and (iri, p, o) in inferred
        facts.append(replace(_fact(g, iri, p, o, () if derived else own_sources), derived=derived))
    collapsers = collapsing_classes(g)
    for cls, (frm_p, to_p) in sorted(collapsers.items()):
        for role_p in (frm_p, to_p):
            for node in sorted(g.subjects(role_p, iri)):
                if (node, RDF.type, cls) not in g:
                    continue
                other_p = to_p if role_p == frm_p else frm_p
                other = g.value(node, other_p)
                sources = tuple(sorted(str(s) for s in g.objects(node, DCTERMS.source)))
                frm, until = g.value(node, ECG.validFrom), g.value(node, ECG.validUntil)
                details = [f"{label_of(g, p)}: {o}" for p, o in sorted(g.predicate_objects(node))
                           if isinstance(o, Literal) and p not in (RDFS.label, ECG.validFrom, ECG.validUntil)]
                facts.append(Fact(
                    subject=str(iri), predicate=str(cls),
                    predicate_label=label_of(g, cls) + ("" if role_p == frm_p else f" (as {label_of(g, to_p)})"),
                    object=str(other or ""),
                    object_label=(label_of(g, other) if other is not None else "")
                    + (f" [{'; '.join(details)}]" if details else ""),
                    sources=sources, valid_from=str(frm or ""), valid_until=str(until or ""), via=str(node),
                ))
    return facts


def _fact(g, s, p, o, sources) -> Fact:
    if isinstance(o, Literal):
        obj_label = str(o)
    else:
        obj_label = label_of(g, o)
    return Fact(subject=str(s), predicate=str(p), predicate_label=label_of(g, p), object=str(o),
                object_label=obj_label, sources=sources)
