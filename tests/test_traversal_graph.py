"""The traversal graph read straight from Oxigraph is the one built through rdflib's API."""

from graph.reasoning.exposure import TRAVERSAL_PREDICATES
from graph.reasoning.network import to_networkx
from graph.store.load import load

EXTRA = """
@prefix ecg: <https://w3id.org/ecgraph/ontology#> . @base <https://w3id.org/ecgraph/id/> .
@prefix dcterms: <http://purl.org/dc/terms/> .
<ownership/two-sources> a ecg:Ownership ; ecg:owner <firm/smic> ; ecg:owned <firm/huawei> ;
    ecg:percentage 12.5 ; ecg:validFrom "2024-01-02"^^<http://www.w3.org/2001/XMLSchema#date> ;
    dcterms:source <source/b>, <source/a> .
"""


def edges(G):
    """Each edge by its key, with its ends and data (values compared as values: Oxigraph keeps 100.0 as 100)."""
    return {(u, v, k): d for u, v, k, d in G.edges(keys=True, data=True)}


def test_the_graph_from_oxigraph_has_the_nodes_edges_and_facts_of_the_graph_from_rdflib(tmp_path):
    extra = tmp_path / "extra.ttl"
    extra.write_text(EXTRA, encoding="utf-8")
    ox = to_networkx(load(extra, imports=False, store="oxigraph"), predicates=TRAVERSAL_PREDICATES)
    mem = to_networkx(load(extra, imports=False, store="memory"), predicates=TRAVERSAL_PREDICATES)
    assert dict(ox.nodes(data=True)) == dict(mem.nodes(data=True))
    assert edges(ox) == edges(mem)
    [(_, _, stake)] = [e for e in ox.edges(data=True) if e[2].get("fact", "").endswith("two-sources")]
    assert stake["percentage"] == 12.5 and stake["sources"] == tuple(sorted(stake["sources"]))
