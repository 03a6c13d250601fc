"""The networkx view of the RDF graph, for traversals and drawing.

Nodes are IRI strings (blank nodes as ``_:id``) with ``label`` and ``types``.
An ordinary object triple ``(s, p, o)`` becomes an edge ``s -> o`` keyed by the
predicate IRI. A node of a fact-carrying class (listing, ownership, membership,
status period: the classes that declare ``ecg:edgeFrom`` / ``ecg:edgeTo`` in the
ontology) collapses into one edge between its two ends, keyed by the fact's own
IRI, carrying the fact's literal values (dates, percentage, footnote) and its
sources, so that a traversal can filter by date and cite the fact.
"""

from __future__ import annotations

from collections import defaultdict

import networkx as nx
from rdflib import RDF, RDFS, BNode, Graph, Literal, URIRef
from rdflib.namespace import DCTERMS

from .namespace import ECG

_LOCAL = str(ECG._NS)


def node_id(term) -> str:
    """The networkx node key of an RDF term."""
    return f"_:{term}" if isinstance(term, BNode) else str(term)


def collapsing_classes(g: Graph) -> dict[URIRef, tuple[URIRef, URIRef]]:
    """Fact-carrying classes and the two properties that give their edge's ends, as declared in the ontology."""
    out = {}
    for cls, frm in g.subject_objects(ECG.edgeFrom):
        to = g.value(cls, ECG.edgeTo)
        if to is not None:
            out[cls] = (frm, to)
    return out


def _python(value: Literal):
    py = value.toPython()
    return py if not isinstance(py, Literal) else str(py)


def to_networkx(g: Graph, *, predicates=None, collapse: bool = True) -> nx.MultiDiGraph:
    """Build the MultiDiGraph view of ``g``.

    Parameters
    ----------
    g : the RDF graph (or dataset)
    predicates : only these predicates become ordinary edges (all object triples when None)
    collapse : turn fact-carrying nodes into single labelled edges

    >>> from graph.load import load
    >>> G = to_networkx(load(imports=False))
    >>> any(k == "https://w3id.org/ecgraph/ontology#headquarteredIn" for _, _, k in G.edges(keys=True))
    True
    """
    G = nx.MultiDiGraph()
    collapsers = collapsing_classes(g) if collapse else {}
    fact_class: dict = {}
    for cls in collapsers:
        for fact in g.subjects(RDF.type, cls):
            fact_class[fact] = cls

    labels = {}
    for s, label in g.subject_objects(RDFS.label):
        if s not in labels or getattr(label, "language", None) == "en":
            labels[s] = str(label)
    types = defaultdict(set)
    for s, t in g.subject_objects(RDF.type):
        types[s].add(str(t))

    def add_node(term):
        key = node_id(term)
        if key not in G:
            G.add_node(key, label=labels.get(term, _local_name(term)), types=tuple(sorted(types.get(term, ()))))
        return key

    if predicates is None:
        triples = (t for t in g.triples((None, None, None)) if t[1] != RDF.type)
    else:
        triples = (t for p in predicates for t in g.triples((None, p, None)))
    for s, p, o in triples:
        if isinstance(o, Literal) or s in fact_class or o in fact_class:
            continue
        G.add_edge(add_node(s), add_node(o), key=str(p), predicate=str(p))

    for fact, cls in fact_class.items():
        frm_p, to_p = collapsers[cls]
        frm, to = g.value(fact, frm_p), g.value(fact, to_p)
        if frm is None or to is None:
            continue
        attrs = {"predicate": str(cls), "fact": node_id(fact), "label": labels.get(cls, _local_name(cls)),
                 "edge_from": str(frm_p), "edge_to": str(to_p)}
        for p, o in g.predicate_objects(fact):
            if isinstance(o, Literal):
                attrs[_local_name(p)] = _python(o)
            elif p not in (frm_p, to_p, RDF.type, DCTERMS.source):
                attrs.setdefault(_local_name(p), node_id(o))  # e.g. reviewPolicy, confidence
        attrs["sources"] = tuple(sorted(str(s) for s in g.objects(fact, DCTERMS.source)))
        G.add_edge(add_node(frm), add_node(to), key=node_id(fact), **attrs)
    return G


def _local_name(term) -> str:
    text = str(term)
    if "#" in text:
        return text.rsplit("#", 1)[-1]
    return text.rstrip("/").rsplit("/", 1)[-1]
