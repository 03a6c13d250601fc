"""Past one machine: the graph in a SPARQL 1.1 store, ``expose`` fetching only the neighbourhood a usage needs.

Put the graph into a store with :func:`graph.store.sparql.push` (SPARQL 1.1 Graph Store
Protocol; each named graph is PUT in turn), for example an Oxigraph server::

    oxigraph serve --location ./ecgraph-db --bind 127.0.0.1:7878 --union-default-graph
    python -c "from graph.store.load import load; from graph.store.sparql import push; push(load(), 'http://127.0.0.1:7878/store')"
    ecgraph expose --endpoint http://127.0.0.1:7878/query --chip H100 --user-country SG --as-of 2025-06-01

The store must answer queries over the union of its graphs (``--union-default-graph``
for Oxigraph; ``tdb2:unionDefaultGraph`` for Fuseki). :func:`neighbourhood` then
copies into a small local graph what the engine reads, with a handful of
CONSTRUCT queries (IRIs are checked by :func:`graph.store.sparql.iri` before they are
written into a query, and a user's words are bound with :func:`graph.store.sparql.bind_values`,
so no typed text can change a query): the schema, the vocabularies (restrictions, instruments and
their status periods, sources, lists, groups, ECCNs and their thresholds), the
chip with its designer and manufacturer, the named parties with their listings
and their owners up to ``hops`` ownership steps up (a property path), and the
countries involved with their memberships. :func:`exposures` answers on that
graph with the same engine as a local run, so the answers are the same.
"""

from __future__ import annotations

import itertools

from rdflib import RDF, RDFS, Graph, Literal, URIRef
from rdflib.namespace import OWL, SKOS

from ..errors import QueryError
from ..namespace import ECG, ID

HOPS = None  # ownership steps up from each party: all of them, as the engine itself follows (graph.reasoning.ownership)

# Instances of these classes (and their subclasses) are many and belong to parties: fetched around a usage only.
# Every other class of the ontology is vocabulary, fetched whole.
_PER_PARTY = (ECG.Party, ECG.Place, ECG.Chip, ECG.Ownership, ECG.Listing, ECG.GroupMembership, ECG.NameMatch,
              ECG.ChipUsage, ECG.Exposure, ECG.ImportRun)

_SCHEMA = """
CONSTRUCT { ?s ?p ?o } WHERE {
  VALUES ?kind { owl:Class rdfs:Class owl:ObjectProperty owl:DatatypeProperty owl:AnnotationProperty owl:Ontology }
  ?s a ?kind ; ?p ?o .
}"""

_VOCABULARY = """
CONSTRUCT { ?s ?p ?o } WHERE {
  VALUES ?type { %s }
  ?s a ?type ; ?p ?o .
}"""

# Some parties (the seeds: the chip and the named parties; then the chip's designer and manufacturer; then, a
# step at a time, the owners found so far): for each, its own triples, its listings, and the ownership stakes in
# it. One query per step, each anchored on the parties it names: a single property path of twelve optional steps
# made Oxigraph scan the store (37 s at two million stakes, against milliseconds a step).
_PARTIES = """
CONSTRUCT { ?x ?p ?o . ?fact ?fp ?fo } WHERE {
  VALUES ?x { %s }
  { ?x ?p ?o }
  UNION { ?fact ecg:listedParty ?x ; ?fp ?fo }
  UNION { ?fact ecg:owned ?x ; ?fp ?fo }
}"""

# The countries involved, the places they are treated as, and every membership fact of either.
_COUNTRIES = """
CONSTRUCT { ?c ?p ?o . ?m ?mp ?mo } WHERE {
  VALUES ?place { %s }
  ?place ecg:treatedAs? ?c .
  { ?c ?p ?o } UNION { ?m ecg:memberCountry ?c ; ?mp ?mo }
}"""

# Candidates for a name a user typed: entities carrying a name that contains its longest word (bound to ?probe).
_NAMES = """
CONSTRUCT { ?s ?np ?name . ?s a ?type } WHERE {
  ?s %s ?hit .
  FILTER(CONTAINS(LCASE(STR(?hit)), ?probe))
  ?s a ?type ; ?np ?name .
  VALUES ?np { %s }
}"""

# Everything said about one IRI (bound to ?x).
_ABOUT = "CONSTRUCT { ?x ?p ?o } WHERE { ?x ?p ?o }"
_NAME_PROPS = (RDFS.label, SKOS.altLabel, SKOS.prefLabel, SKOS.notation, ECG.isoAlpha2, ECG.isoAlpha3)


def construct(endpoint: str, text: str, *, bindings: dict | None = None, timeout: float | None = 60) -> Graph:
    """The graph a CONSTRUCT query returns from ``endpoint`` (standard prefixes need no PREFIX lines).

    ``bindings`` (variable name -> rdflib term) are bound with a VALUES block, never pasted.
    """
    from ..store.sparql import query

    result = query(None, text, bindings=bindings, endpoint=endpoint, timeout=timeout)
    if result.type not in ("CONSTRUCT", "DESCRIBE") or result.graph is None:
        raise QueryError(f"{endpoint}: expected a graph in answer to a CONSTRUCT query, got {result.type}")
    return result.graph


def _iris(terms) -> str:
    """IRIs written for a VALUES list, each checked to be an absolute IRI that cannot close its ``<...>``."""
    from ..store.sparql import iri

    return " ".join(iri(t).n3() for t in sorted({str(t) for t in terms}))


def vocabulary(endpoint: str, *, timeout: float | None = 60) -> Graph:
    """The schema and every vocabulary instance (all classes but the per-party ones) from ``endpoint``."""
    out = Graph()
    out += construct(endpoint, _SCHEMA, timeout=timeout)
    roots = {str(c) for c in _PER_PARTY}
    per_party = set()
    for cls in set(out.subjects(RDF.type, OWL.Class)) | set(out.subjects(RDF.type, RDFS.Class)):
        if str(cls) in roots or any(str(sup) in roots for sup in out.transitive_objects(cls, RDFS.subClassOf)):
            per_party.add(cls)
    classes = {c for c in out.subjects(RDF.type, OWL.Class) if isinstance(c, URIRef)} - per_party
    out += construct(endpoint, _VOCABULARY % _iris(classes | {SKOS.ConceptScheme}), timeout=timeout)
    return out


def neighbourhood(endpoint: str, usage, *, hops: int | None = HOPS, vocab: Graph | None = None,
                  timeout: float | None = 60) -> Graph:
    """Everything :func:`graph.reasoning.exposure.exposures` reads for ``usage``, fetched from ``endpoint`` into a local graph.

    Parameters
    ----------
    endpoint : the SPARQL 1.1 query URL of a store holding the graph (union default graph)
    usage : a :class:`graph.reasoning.exposure.Usage`
    hops : how many ownership steps up from each party to follow (None: until no new owner is found)
    vocab : the result of :func:`vocabulary`, to reuse between usages
    """
    out = Graph()
    out += vocab if vocab is not None else vocabulary(endpoint, timeout=timeout)
    seeds = {str(x) for x in (usage.chip, usage.user, usage.for_, usage.supplier) if x}
    out += _parties(endpoint, seeds, hops, timeout)
    places = {str(c) for c in out.objects(None, ECG.headquarteredIn)}
    places |= {x for x in (usage.user_country, usage.for_country, usage.supplier_country, usage.where,
                           usage.shipped_from) if x}
    if places:
        out += construct(endpoint, _COUNTRIES % _iris(places), timeout=timeout)
    return out


def _parties(endpoint: str, seeds: set[str], hops: int, timeout) -> Graph:
    """The seeds, the chip's designer and manufacturer, and their owners up to ``hops`` stakes up (breadth first;
    None: every owner above them)."""
    out = Graph()
    done: set[str] = set()

    def fetch(parties: set[str]) -> set[str]:
        parties = parties - done
        if parties:
            out.__iadd__(construct(endpoint, _PARTIES % _iris(parties), timeout=timeout))
            done.update(parties)
        return parties

    fetch(seeds)
    makers = {str(o) for s in seeds for p in (ECG.designedBy, ECG.manufacturedBy)
              for o in out.objects(URIRef(s), p) if isinstance(o, URIRef)}
    level = seeds | fetch(makers)
    for _ in (itertools.count() if hops is None else range(max(0, hops))):
        owners = {str(o) for x in level for fact in out.subjects(ECG.owned, URIRef(x))
                  for o in out.objects(fact, ECG.owner) if isinstance(o, URIRef)}
        level = fetch(owners)
        if not level:
            break
    return out


def exposures(endpoint: str, usage, *, hops: int | None = HOPS, vocab: Graph | None = None, timeout: float | None = 60):
    """The :class:`graph.reasoning.exposure.Answer` for ``usage``, computed on the neighbourhood fetched from ``endpoint``."""
    from ..reasoning.exposure import exposures as local_exposures

    g = neighbourhood(endpoint, usage, hops=hops, vocab=vocab, timeout=timeout)
    return local_exposures(g, usage)


def names_graph(endpoint: str, names, *, vocab: Graph | None = None, timeout: float | None = 60) -> Graph:
    """The vocabulary plus the candidates for each name (or IRI) a user typed: enough to resolve them locally.

    A name is looked up by its longest word, case-insensitively, in labels, alternative labels, notations
    and ISO codes; :func:`graph.store.names.resolve` then decides (and suggests) exactly as it does locally.
    """
    import re

    from ..store.names import normalise

    out = Graph()
    out += vocab if vocab is not None else vocabulary(endpoint, timeout=timeout)
    props = " ".join(f"<{p}>" for p in _NAME_PROPS)
    path = "|".join(f"<{p}>" for p in _NAME_PROPS)
    for name in {str(n).strip() for n in names if n}:
        if name.startswith(("http://", "https://", "urn:", "id:")):
            from ..store.sparql import iri

            term = iri(str(ID) + name[3:] if name.startswith("id:") else name)
            out += construct(endpoint, _ABOUT, bindings={"x": term}, timeout=timeout)
            continue
        words = sorted(re.findall(r"\w+", normalise(name)), key=len, reverse=True)
        # the longest word, else (a typo) its first three letters: candidates enough for resolve's suggestions
        for probe in dict.fromkeys(words[:1] + [w[:3] for w in words[:1]]):
            found = construct(endpoint, _NAMES % (f"({path})", props), bindings={"probe": Literal(probe)},
                              timeout=timeout)
            out += found
            if len(found):
                break
    return out


def usage_from_names(endpoint: str, *, vocab: Graph | None = None, timeout: float | None = 60, **names):
    """A :class:`graph.reasoning.exposure.Usage` from names as a user types them, resolved against ``endpoint``.

    Takes the keyword arguments of :func:`graph.reasoning.usage.usage_from_names`.
    """
    from ..reasoning.usage import usage_from_names as local_usage

    typed = [v for k, v in names.items() if k in ("chip", "user", "for_", "supplier", "user_country", "for_country",
                                                   "supplier_country", "where", "shipped_from")]
    g = names_graph(endpoint, typed, vocab=vocab, timeout=timeout)
    return local_usage(g, **names)
