"""Validate data against the SHACL shapes in ``ontology/shapes.ttl`` with pySHACL."""

from __future__ import annotations

from dataclasses import dataclass

from rdflib import Graph, URIRef

from .load import ontology_dir


@dataclass(frozen=True)
class Violation:
    """One shape violation: the focus node, the property path and the message."""

    focus: str
    path: str
    message: str
    severity: str


@dataclass(frozen=True)
class Report:
    """The outcome of a validation run."""

    conforms: bool
    violations: tuple[Violation, ...]


def shapes_graph() -> Graph:
    """The shipped SHACL shapes."""
    return Graph().parse(ontology_dir() / "shapes.ttl", format="turtle")


def validate(g: Graph, *, shapes: Graph | None = None) -> Report:
    """Validate ``g`` (copied into memory) against the shapes; RDFS inference uses the ontology in ``g``.

    >>> from graph.load import load
    >>> validate(load(imports=False)).conforms
    True
    """
    import pyshacl

    data = Graph()
    for triple in g.triples((None, None, None)):
        data.add(triple)
    conforms, results, _text = pyshacl.validate(
        data, shacl_graph=shapes or shapes_graph(), inference="rdfs", advanced=True, allow_warnings=True
    )
    return Report(conforms=bool(conforms), violations=tuple(_violations(results)))


def _violations(results: Graph):
    SH = "http://www.w3.org/ns/shacl#"
    from rdflib import RDF

    for result in results.subjects(RDF.type, URIRef(SH + "ValidationResult")):
        yield Violation(
            focus=str(results.value(result, URIRef(SH + "focusNode"))),
            path=str(results.value(result, URIRef(SH + "resultPath")) or ""),
            message=str(results.value(result, URIRef(SH + "resultMessage"))),
            severity=str(results.value(result, URIRef(SH + "resultSeverity"))).rsplit("#", 1)[-1],
        )
