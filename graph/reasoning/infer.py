"""Facts the engine derives, written to the named graph ``GRAPH.inferred`` so SPARQL can query them.

- ``chip ecg:derivedClassification eccn``: the ECCN the chip's figures meet;
- ``country ecg:inGroupOn group``: group membership on the inference date (through includesGroup,
  treatedAs and residual groups as well as membership facts);
- ``party ecg:listedOwnersShare n``: the aggregate share held by Entity List / MEU parties (as the
  affiliate extensions in the data name them) and by the parties treated as listed through them, when it is
  above zero;
- the exposures of every ``ecg:ChipUsage`` stored in the graph, as ``ecg:Exposure`` nodes.

The inferred graph records its date with ``ecg:asOf``.
"""

from __future__ import annotations

import datetime as dt

from rdflib import RDF, Dataset, Graph, Literal, URIRef
from rdflib.namespace import XSD

from ..namespace import ECG, GRAPH, ID  # noqa: F401  (ID is used by the doctest)

LISTING = str(ECG.Listing)


def inferences(g: Graph, day: dt.date) -> Graph:
    """Everything the engine derives from ``g`` on ``day``, as a new graph.

    >>> from graph.store.load import load
    >>> g = load(imports=False)
    >>> inf = inferences(g, dt.date(2025, 6, 1))
    >>> (URIRef(ID["chip/nvidia-h100-sxm"]), ECG.derivedClassification, URIRef(ID["eccn/3A090.a"])) in inf
    True
    """
    out = Graph()
    for triple in inferred_triples(g, day):
        out.add(triple)
    return out


def inferred_triples(g: Graph, day: dt.date):
    """The triples of :func:`inferences`, one by one (a triple may come twice)."""
    # the engine is imported here: a query that finds the derived facts kept in the store needs none of it
    from .classify import derived_classification
    from .exposure import answer_triples, exposures, restrictions, traversal_graph
    from .membership import groups_on
    from .ownership import listed_owner_shares

    G = traversal_graph(g)
    yield GRAPH.inferred, ECG.asOf, Literal(day, datatype=XSD.date)
    for chip in sorted(set(g.subjects(RDF.type, ECG.Chip))):
        found = derived_classification(g, chip, day)
        if found is not None:
            yield chip, ECG.derivedClassification, URIRef(found.eccn)
    for country in sorted(set(g.subjects(RDF.type, ECG.Country))):
        for group in groups_on(G, str(country), day):
            yield country, ECG.inGroupOn, URIRef(group)
    lists = {str(x) for r in restrictions(g) for x in g.objects(r, ECG.extendsList)}
    # listing edges point at their list: read the lists' in-edges, not every edge of the graph
    listed = {u for v in lists if v in G for u, _, d in G.in_edges(v, data=True) if d.get("predicate") == LISTING}
    # every party below a listed party through ownership, in one pass (one party at a time takes minutes)
    for party, share in listed_owner_shares(G, listed, day=day).items():
        yield URIRef(party), ECG.listedOwnersShare, Literal(round(share, 6), datatype=XSD.decimal)
    from .usage import usages_in

    for usage in usages_in(g, g, day=day):
        yield from answer_triples(exposures(g, usage, G=G))


def add_inferences(ds: Dataset, day: dt.date) -> Graph:
    """Compute :func:`inferences` and put them in ``ds`` as the named graph ``GRAPH.inferred`` (replacing it)."""
    from .network import _oxigraph_of

    target = ds.graph(GRAPH.inferred)
    inner = _oxigraph_of(ds)
    if inner is None:
        target.remove((None, None, None))
        for triple in inferred_triples(ds, day):
            target.add(triple)
        return target
    return put_inferred(ds, inferred_quads(ds, day))


def inferred_quads(ds: Dataset, day: dt.date):
    """The triples of :func:`inferred_triples` as pyoxigraph quads in ``GRAPH.inferred``, to write straight into
    the store in one transaction (rdflib's add is one store round trip per triple); None when ``ds`` is not on
    Oxigraph."""
    from ..store.load import ox_quads
    from .network import _oxigraph_of

    if _oxigraph_of(ds) is None:
        return None
    return ox_quads(inferred_triples(ds, day), GRAPH.inferred)


def put_inferred(ds: Dataset, quads) -> Graph:
    """Put ``quads`` (pyoxigraph quads of :func:`inferred_triples`) in ``ds``'s store as the graph ``GRAPH.inferred``.

    :func:`add_inferences` in two steps: the derivation only reads the store, so it may run beside other readers
    (the checks of --data), and the store is written once they are done.
    """
    import pyoxigraph as ox

    from .network import _oxigraph_of

    inner = _oxigraph_of(ds)
    name = ox.NamedNode(str(GRAPH.inferred))
    if inner.contains_named_graph(name):
        inner.remove_graph(name)
    inner.extend(quads)
    return ds.graph(GRAPH.inferred)


def stored_with_inferences(day: dt.date, note=None) -> Dataset | None:
    """The on-disk store of the imports (read-only) with the facts :func:`add_inferences` makes on ``day``.

    They are kept in the store with the date and the engine's stamp: the first call on a new date, new
    data or a new engine derives them (``note(text)`` says so first) and later calls only open the store.
    None where there is no such store (nothing imported): the caller parses and derives as usual.
    """
    from ..store.load import Derived, persistent_dataset

    stamp = ((ECG.asOf, Literal(day, datatype=XSD.date)), (ECG.derivedBy, Literal(engine_stamp())))
    return persistent_dataset(Derived(GRAPH.inferred, stamp, lambda ds: inferred_triples(_source(ds), day)),
                              note=note)


def _source(stored: Dataset) -> Dataset:
    """What to derive from: the read-only store, or the same files parsed when the traversal graph must be built.

    Building the traversal graph reads one fact at a time: 7 s from the on-disk store of a full CSL against
    2 s in memory (plus 2 s of parsing). Either way it is cached under the same key for the next runs.
    """
    from .exposure import _cache_file

    cache = _cache_file(stored)
    if cache is None or cache.is_file():
        return stored
    from ..store.load import load

    parsed = load(store="oxigraph")
    return parsed if parsed.ecgraph_inputs == stored.ecgraph_inputs else stored  # files changed meanwhile: the store


def engine_stamp() -> str:
    """The package version and a digest of its modules' sizes and times: what derived the stored facts."""
    import hashlib
    from pathlib import Path

    from .. import __version__

    package = Path(__file__).resolve().parent.parent
    seen = []
    for path in sorted(package.rglob("*.py")):
        st = path.stat()
        seen.append(f"{path.relative_to(package)}:{st.st_size}:{st.st_mtime_ns}")
    return f"{__version__} {hashlib.sha256(chr(10).join(seen).encode()).hexdigest()[:16]}"
