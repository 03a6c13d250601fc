"""Facts the engine derives, written to the named graph ``GRAPH.inferred`` so SPARQL can query them.

- ``chip ecg:derivedClassification eccn``: the ECCN the chip's figures meet;
- ``country ecg:inGroupOn group``: group membership on the inference date (through includesGroup,
  treatedAs and residual groups as well as membership facts);
- ``party ecg:listedOwnersShare n``: the aggregate share held by Entity List / MEU parties (as the
  affiliate extensions in the data name them), when it is above zero;
- the exposures of every ``ecg:ChipUsage`` stored in the graph, as ``ecg:Exposure`` nodes.

The inferred graph records its date with ``ecg:asOf``.
"""

from __future__ import annotations

import datetime as dt

from rdflib import RDF, Dataset, Graph, Literal, URIRef
from rdflib.namespace import XSD

from .classify import derived_classification
from .exposure import exposures, restrictions, to_rdf, traversal_graph
from .membership import groups_on
from ..namespace import ECG, GRAPH, ID  # noqa: F401  (ID is used by the doctest)
from .ownership import listed_owner_shares

LISTING = str(ECG.Listing)


def inferences(g: Graph, day: dt.date) -> Graph:
    """Everything the engine derives from ``g`` on ``day``, as a new graph.

    >>> from graph.store.load import load
    >>> g = load(imports=False)
    >>> inf = inferences(g, dt.date(2025, 6, 1))
    >>> (URIRef(ID["chip/nvidia-h100-sxm"]), ECG.derivedClassification, URIRef(ID["eccn/3A090.a"])) in inf
    True
    """
    G = traversal_graph(g)
    out = Graph()
    out.add((GRAPH.inferred, ECG.asOf, Literal(day, datatype=XSD.date)))
    for chip in sorted(set(g.subjects(RDF.type, ECG.Chip))):
        found = derived_classification(g, chip, day)
        if found is not None:
            out.add((chip, ECG.derivedClassification, URIRef(found.eccn)))
    for country in sorted(set(g.subjects(RDF.type, ECG.Country))):
        for group in groups_on(G, str(country), day):
            out.add((country, ECG.inGroupOn, URIRef(group)))
    lists = {str(x) for r in restrictions(g) for x in g.objects(r, ECG.extendsList)}
    listed = {u for u, v, d in G.edges(data=True) if d.get("predicate") == LISTING and v in lists}
    # every party below a listed party through ownership, in one pass (one walk per party took minutes)
    for party, share in listed_owner_shares(G, listed, day=day).items():
        out.add((URIRef(party), ECG.listedOwnersShare, Literal(round(share, 6), datatype=XSD.decimal)))
    from .usage import usages_in

    for usage in usages_in(g, g, day=day):
        out += to_rdf(exposures(g, usage, G=G))
    return out


def add_inferences(ds: Dataset, day: dt.date) -> Graph:
    """Compute :func:`inferences` and put them in ``ds`` as the named graph ``GRAPH.inferred`` (replacing it)."""
    target = ds.graph(GRAPH.inferred)
    target.remove((None, None, None))
    for triple in inferences(ds, day):
        target.add(triple)
    return target
