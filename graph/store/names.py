"""Resolve what a user types (a label, an alternative label, an ISO code, a Federal Register citation or
document number, an IRI) to one IRI.

An unknown name is an error with the closest known names as suggestions; a name
that fits several entities is an error listing them. Nothing is ever guessed.
"""

from __future__ import annotations

import re
from collections import defaultdict

from rdflib import RDFS, Graph, URIRef

from ..errors import EcgraphError, UnknownNameError
from ..namespace import ECG, ID

_NAMES_QUERY = """
SELECT ?s ?name WHERE {
  ?s a ?type .
  ?type rdfs:subClassOf* ?class .
  VALUES ?class { %s }
  { ?s rdfs:label ?name } UNION { ?s skos:altLabel ?name } UNION { ?s skos:prefLabel ?name }
  UNION { ?s skos:notation ?name } UNION { ?s ecg:isoAlpha2 ?name } UNION { ?s ecg:isoAlpha3 ?name }
  UNION { ?s ecg:frCitation ?name } UNION { ?s ecg:frDocNumber ?name }
}
"""

KINDS = {
    "chip": (ECG.Chip,),
    "party": (ECG.Party,),
    "country": (ECG.Country,),
    "activity": (ECG.Activity,),
    "end use": (ECG.EndUse,),
    "red flag": (ECG.RedFlagIndicator,),
    "list": (ECG.ScreeningList,),
    "entity": (),
}


def kind_of_class(cls: URIRef) -> str:
    """The ``kind`` :func:`resolve` takes for the instances of ``cls``: the one already naming that class, or the
    class's own name in words, made a kind (``ecg:CountryGroup``: "country group").

    >>> kind_of_class(ECG.ScreeningList), kind_of_class(ECG.CountryGroup)
    ('list', 'country group')
    """
    for kind, classes in KINDS.items():
        if classes == (cls,):
            return kind
    local = str(cls).rsplit("#", 1)[-1].rsplit("/", 1)[-1]
    kind = " ".join(w.lower() if not w.isupper() else w for w in re.findall(r"[A-Z]+(?![a-z])|[A-Z][a-z]*|[a-z]+", local))
    KINDS.setdefault(kind, (cls,))
    return kind


def normalise(name: str) -> str:
    """Case- and punctuation-insensitive form of a name.

    >>> normalise("  Huawei Technologies Co., Ltd. ")
    'huawei technologies co ltd'
    """
    return " ".join(re.sub(r"[^\w]+", " ", str(name).casefold()).split())


def name_index(g: Graph, kind: str = "entity") -> dict[str, set[URIRef]]:
    """Map each normalised name of the entities of ``kind`` to the IRIs that carry it (kept on ``g``)."""
    kept = g.__dict__.setdefault("_ecgraph_names", {}) if hasattr(g, "__dict__") else {}
    if kind not in kept:
        kept[kind] = _name_index(g, kind)
    return kept[kind]


def _exact(g: Graph, text: str, kind: str) -> set[URIRef]:
    """Entities of ``kind`` with a name spelled exactly ``text``: an index look-up, no scan of all names."""
    from rdflib import Literal
    from rdflib.namespace import XSD

    schema = str(ECG._NS)
    forms = " ".join(lit.n3() for lit in (Literal(text), Literal(text, lang="en"), Literal(text, datatype=XSD.string)))
    query = f"""SELECT DISTINCT ?s WHERE {{
      VALUES ?name {{ {forms} }}
      ?s rdfs:label|skos:altLabel|skos:prefLabel|skos:notation|ecg:isoAlpha2|ecg:isoAlpha3|ecg:frCitation|ecg:frDocNumber ?name .
    }}"""
    rows = g.query(query, initNs={"rdfs": "http://www.w3.org/2000/01/rdf-schema#",
                                  "skos": "http://www.w3.org/2004/02/skos/core#", "ecg": schema})
    return {r[0] for r in rows if isinstance(r[0], URIRef) and not str(r[0]).startswith(schema)
            and is_a(g, r[0], KINDS[kind])}


def _name_index(g: Graph, kind: str) -> dict[str, set[URIRef]]:
    classes = KINDS[kind]
    if classes:
        values = " ".join(f"<{c}>" for c in classes)
        query = _NAMES_QUERY % values
    else:  # any typed entity of the instance namespace
        query = _NAMES_QUERY.replace("?type rdfs:subClassOf* ?class .", "").replace("VALUES ?class { %s }", "")
    index: dict[str, set[URIRef]] = defaultdict(set)
    schema = str(ECG._NS)
    for s, name in g.query(query, initNs={"rdfs": "http://www.w3.org/2000/01/rdf-schema#",
                                          "skos": "http://www.w3.org/2004/02/skos/core#",
                                          "ecg": str(ECG._NS)}):
        if isinstance(s, URIRef) and not str(s).startswith(schema):  # entities, not ontology terms
            index[normalise(name)].add(s)
    return index


def resolve(g: Graph, name: str, kind: str = "entity", index: dict | None = None) -> URIRef:
    """The one IRI that ``name`` denotes among the entities of ``kind``.

    >>> from graph.store.load import load
    >>> g = load(imports=False)
    >>> resolve(g, "cn", kind="country")
    rdflib.term.URIRef('https://w3id.org/ecgraph/id/country/CN')
    """
    text = str(name).strip()
    if not text:
        raise EcgraphError(f"empty {kind} name")
    if text.startswith(("http://", "https://", "urn:")) or text.startswith("id:"):
        iri = URIRef(str(ID) + text[3:]) if text.startswith("id:") else URIRef(text)
        if (iri, None, None) in g and is_a(g, iri, KINDS[kind]):
            return iri
        raise UnknownNameError(kind, text)
    if index is None:  # the common case, a name typed as it is stored, needs no index of every name
        exact = _prefer_curated(g, _exact(g, text, kind))
        if len(exact) == 1:
            return next(iter(exact))
    index = index if index is not None else name_index(g, kind)
    hits = index.get(normalise(text), set())
    if len(hits) == 1:
        return next(iter(hits))
    if len(hits) > 1:
        kept = _prefer_curated(g, hits)
        if len(kept) == 1:
            return next(iter(kept))
    if len(hits) > 1:
        choices = sorted(f"{label_of(g, h)} <{h}>" for h in hits)
        raise EcgraphError(f"ambiguous {kind} name {text!r}: matches {'; '.join(choices)}")
    close = suggestions(index, text, g=g)
    if not close and len(index) <= 30:  # a small code list (activities, red flags): name them all
        close = sorted({label_of(g, s) for hits in index.values() for s in hits})
    raise UnknownNameError(kind, text, close)


def _prefer_curated(g: Graph, hits: set) -> set:
    """An imported record linked (owl:sameAs) to another hit gives way to it."""
    if len(hits) < 2:
        return set(hits)
    from rdflib import OWL

    return {h for h in hits if not any((h, OWL.sameAs, k) in g for k in hits if k != h)}


def is_a(g: Graph, iri: URIRef, classes) -> bool:
    """Whether ``iri`` is typed with one of ``classes`` or a subclass of one (any type when ``classes`` is empty)."""
    from rdflib import RDF, RDFS

    types = set(g.objects(iri, RDF.type))
    if not classes:
        return bool(types)
    for t in types:
        if t in classes or any(c in classes for c in g.transitive_objects(t, RDFS.subClassOf)):
            return True
    return False


def suggestions(index: dict[str, set], text: str, limit: int = 5, *, g: Graph | None = None) -> list[str]:
    """The known names closest to ``text`` (rapidfuzz WRatio, best first).

    Names much shorter than ``text`` (ISO codes against a firm name) are left out: WRatio scores any
    substring highly, so 'hu' would otherwise outrank 'huawei' for 'Huawey'. With ``g``, each
    suggestion is a distinct entity of the index, named by its own label as spelled in the data
    (several names of one entity give one suggestion).
    """
    from rapidfuzz import fuzz, process

    query = normalise(text)
    candidates = [name for name in index if len(name) * 2 >= len(query) or len(name) >= 4]
    if g is None:
        found = process.extract(query, candidates, scorer=fuzz.WRatio, limit=limit, score_cutoff=60)
        return [match for match, _score, _ in found]
    found = process.extract(query, candidates, scorer=fuzz.WRatio, limit=limit * 4, score_cutoff=60)
    out: dict[str, str] = {}
    for match, _score, _ in found:
        for iri in sorted(index[match]):
            out.setdefault(str(iri), label_of(g, iri))
    return list(dict.fromkeys(out.values()))[:limit]


_LABEL = RDFS.label  # read once: each RDFS.label is a call that makes a new URIRef


def label_of(g: Graph, node) -> str:
    """The English (or any) rdfs:label of ``node``, else its local name."""
    best = None
    for label in g.objects(node, _LABEL):
        if getattr(label, "language", None) in (None, "en"):
            return str(label)
        best = best or str(label)
    if best:
        return best
    text = str(node)
    return text.rsplit("#", 1)[-1] if "#" in text else text.rstrip("/").rsplit("/", 1)[-1]
