"""The traversal graph is kept on disk and rebuilt only when the loaded files change."""

import networkx as nx

from graph.reasoning.exposure import traversal_graph
from graph.store.load import data_dir, load

FIRM = """@prefix ecg: <https://w3id.org/ecgraph/ontology#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix dcterms: <http://purl.org/dc/terms/> .
<urn:firm:a> a ecg:Firm ; rdfs:label "Cache Test Firm"@en ; dcterms:source <urn:src> ;
    ecg:headquarteredIn <https://w3id.org/ecgraph/id/country/%s> .
"""


def cached_files():
    return sorted((data_dir() / "cache").glob("traversal-*.pickle"))


def test_a_second_load_of_the_same_files_reads_the_cache(tmp_path):
    path = tmp_path / "firm.ttl"
    path.write_text(FIRM % "DE", encoding="utf-8")
    first = traversal_graph(load(path))
    [cache] = cached_files()
    second = traversal_graph(load(path))
    assert second is not first and nx.utils.graphs_equal(first, second)
    assert cached_files() == [cache]


def test_changing_a_file_builds_a_new_graph(tmp_path):
    path = tmp_path / "firm.ttl"
    path.write_text(FIRM % "DE", encoding="utf-8")
    traversal_graph(load(path))
    path.write_text(FIRM % "FR", encoding="utf-8")
    G = traversal_graph(load(path))
    assert "https://w3id.org/ecgraph/id/country/FR" in G["urn:firm:a"]
    assert len(cached_files()) == 2


def test_a_damaged_cache_is_rebuilt(tmp_path):
    path = tmp_path / "firm.ttl"
    path.write_text(FIRM % "DE", encoding="utf-8")
    traversal_graph(load(path))
    [cache] = cached_files()
    cache.write_bytes(b"not a pickle")
    G = traversal_graph(load(path))
    assert "https://w3id.org/ecgraph/id/country/DE" in G["urn:firm:a"]
