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

from ..namespace import ECG

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

    >>> from graph.store.load import load
    >>> G = to_networkx(load(imports=False))
    >>> any(k == "https://w3id.org/ecgraph/ontology#headquarteredIn" for _, _, k in G.edges(keys=True))
    True
    """
    collapsers = collapsing_classes(g) if collapse else {}
    inner = _oxigraph_of(g)
    if inner is not None:
        return _to_networkx_oxigraph(inner, predicates, collapsers)
    G = nx.MultiDiGraph()
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


# --------------------------------------------------------------------------- the same view, read from Oxigraph
#
# Going through rdflib's API costs one Python round trip and several rdflib term objects per triple (and four
# pattern look-ups per fact node): 7.6 s for 100k triples. Read straight from the pyoxigraph store behind
# oxrdflib instead, one pass per predicate, with plain strings as keys, and convert only literal values to
# rdflib (memoised, so that values such as dates and percentages are the same Python objects as before).

def _oxigraph_of(g: Graph):
    """The pyoxigraph store under ``g`` when ``g`` reads all of it (an oxrdflib union dataset), else None."""
    from rdflib.graph import ConjunctiveGraph

    from ..store.load import oxigraph_store

    if not isinstance(g, ConjunctiveGraph) or not g.default_union:
        return None
    return oxigraph_store(g)


def _to_networkx_oxigraph(inner, predicates, collapsers) -> nx.MultiDiGraph:
    import gc

    # hundreds of thousands of small dicts and tuples, none of them cyclic: the cyclic collector's repeated
    # full passes over them made the build grow faster than the data (15 s at 1M triples); pause it
    enabled = gc.isenabled()
    gc.disable()
    try:
        return _build_from_oxigraph(inner, predicates, collapsers)
    finally:
        if enabled:
            gc.enable()


def _build_from_oxigraph(inner, predicates, collapsers) -> nx.MultiDiGraph:
    import pyoxigraph as ox
    from oxrdflib._converter import from_ox

    Literal_ = ox.Literal

    def key(term) -> str:
        return f"_:{term.value}" if isinstance(term, ox.BlankNode) else term.value

    def objects_of(p):  # (subject key, object term) for one predicate, over all graphs
        for q in inner.quads_for_pattern(None, ox.NamedNode(str(p)), None, None):
            yield key(q.subject), q.object

    values: dict = {}

    def python(lit):
        k = (lit.value, lit.datatype.value, lit.language)
        if k not in values:
            values[k] = _python(from_ox(lit))
        return values[k]

    G = nx.MultiDiGraph()
    fact_class: dict[str, tuple] = {}
    for cls in collapsers:
        for q in inner.quads_for_pattern(None, ox.NamedNode(str(RDF.type)), ox.NamedNode(str(cls)), None):
            fact_class[key(q.subject)] = (cls, q.subject)
    labels: dict[str, str] = {}
    for s, label in objects_of(RDFS.label):
        if s not in labels or getattr(label, "language", None) == "en":
            labels[s] = label.value
    types: dict[str, set] = defaultdict(set)
    kinds: dict[str, str] = {}
    for s, t in objects_of(RDF.type):
        types[s].add(kinds.setdefault(t.value, t.value))

    # one string object for each IRI and one tuple for each set of types, however often they occur: the graph
    # is smaller, and pickled to the cache as references (each reading from Oxigraph makes a new string)
    one: dict = {}
    nodes = G._node  # the node table itself: 'k not in G' is a method call, made twice an edge

    def add_node(k):
        found = one.get(k)
        if found is None:
            found = one[k] = k
        if found not in nodes:
            kinds = tuple(sorted(types.get(found, ())))
            G.add_node(found, label=labels.get(found, _local_name(found)), types=one.setdefault(kinds, kinds))
        return found

    if predicates is None:  # every triple, in the store's order, as rdflib would iterate them
        pairs = ((key(q.subject), q.predicate.value, q.object) for q in inner.quads_for_pattern(None, None, None, None)
                 if q.predicate.value != _TYPE)
    else:
        pairs = ((s, p, o) for p in map(str, predicates) for s, o in objects_of(p))
    for s, p, o in pairs:
        if isinstance(o, ox.Literal):
            continue
        o = key(o)
        if s in fact_class or o in fact_class:
            continue
        G.add_edge(add_node(s), add_node(o), key=p, predicate=p)

    local = {}  # predicate IRI -> local name; shared strings and tuples keep 100k edges small

    def name(p):
        if p not in local:
            local[p] = _local_name(p)
        return local[p]

    shared: dict = {}
    heads = {cls: (str(frm_p), str(to_p), str(cls), labels.get(str(cls), _local_name(cls)))
             for cls, (frm_p, to_p) in collapsers.items()}
    for fact, (cls, term) in fact_class.items():
        frm_p, to_p, cls_iri, cls_label = heads[cls]
        # one look-up per fact, in the store's own order, as rdflib's predicate_objects would give them
        attrs = {"predicate": cls_iri, "fact": fact, "label": cls_label, "edge_from": frm_p, "edge_to": to_p}
        sources, frm, to = [], None, None
        for q in inner.quads_for_pattern(term, None, None, None):
            p, o = q.predicate.value, q.object
            if p == frm_p and frm is None:  # the first of each, in the store's order
                frm = o
            elif p == to_p and to is None:
                to = o
            if isinstance(o, Literal_):
                attrs[name(p)] = python(o)
            elif p == _SOURCE:
                sources.append(o.value)
            elif p not in (frm_p, to_p, _TYPE):
                iri = key(o)
                attrs.setdefault(name(p), one.setdefault(iri, iri))  # a review policy, a confidence: a few IRIs
        if frm is None or to is None:
            continue
        sources = tuple(sorted(sources))
        attrs["sources"] = shared.setdefault(sources, sources)
        G.add_edge(add_node(key(frm)), add_node(key(to)), key=fact, **attrs)
    return G


_SOURCE, _TYPE = str(DCTERMS.source), str(RDF.type)


def _local_name(term) -> str:
    text = str(term)
    if "#" in text:
        return text.rsplit("#", 1)[-1]
    return text.rstrip("/").rsplit("/", 1)[-1]
