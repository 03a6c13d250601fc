"""The ontology itself: it parses, every term is labelled and commented, domains and ranges resolve,
the closed namespace module matches it, and the curated data conforms to the shapes."""


import pytest
from rdflib import OWL, RDF, RDFS, Graph, URIRef

from graph.store.load import curated_files, ontology_dir
from graph.namespace import ECG
from graph.store.validate import validate

NS = str(ECG._NS)
EXTERNAL = ("http://www.w3.org/", "http://purl.org/dc/terms/", "https://schema.org/", "http://xmlns.com/foaf/0.1/")


@pytest.fixture(scope="module")
def schema():
    return Graph().parse(ontology_dir() / "ecg.ttl", format="turtle")


def declared(schema):
    return {s for s in schema.subjects() if isinstance(s, URIRef) and str(s).startswith(NS)}


def test_every_term_has_an_english_label_and_comment(schema):
    for term in declared(schema):
        assert (term, RDFS.label, None) in schema, term
        assert (term, RDFS.comment, None) in schema, term


def test_every_domain_and_range_resolves(schema):
    classes = set(schema.subjects(RDF.type, OWL.Class))
    for prop in ("domain", "range"):
        for term, target in schema.subject_objects(RDFS[prop]):
            if str(target).startswith(EXTERNAL):
                continue
            assert target in classes, f"{term} rdfs:{prop} {target} is not a declared class"


def test_the_namespace_module_declares_exactly_the_ontology_terms(schema):
    in_module = {URIRef(NS + name) for name in ECG.__annotations__}
    assert in_module == declared(schema)


def test_the_closed_namespace_refuses_a_typo():
    with pytest.raises(AttributeError):
        ECG.headquarteredInn


def test_every_shipped_turtle_file_parses():
    files = curated_files() + [ontology_dir() / "shapes.ttl"]
    for path in files:
        assert len(Graph().parse(path, format="turtle")) > 0, path


def test_the_curated_data_conforms_to_the_shapes(curated):
    report = validate(curated)
    assert report.conforms, report.violations[:5]


def test_the_shapes_catch_a_fact_without_source_and_a_bad_percentage(curated, tmp_path):
    from graph.store.load import load

    bad = tmp_path / "bad.ttl"
    bad.write_text("""@prefix ecg: <https://w3id.org/ecgraph/ontology#> .
        @prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
        <urn:own> a ecg:Ownership ; ecg:owner <https://w3id.org/ecgraph/id/firm/huawei> ;
            ecg:owned <https://w3id.org/ecgraph/id/firm/hisilicon> ; ecg:percentage 150.0 .
        <urn:listing> a ecg:Listing ; ecg:listedParty <https://w3id.org/ecgraph/id/firm/huawei> ;
            ecg:onList <https://w3id.org/ecgraph/id/list/entity-list> ; ecg:validFrom "2020-13-01" .
        """, encoding="utf-8")
    report = validate(load(bad, imports=False))
    assert not report.conforms
    messages = {(v.focus, v.message) for v in report.violations}
    assert any(f == "urn:own" and m.startswith("percentage must be at most one xsd:decimal between 0 and 100") for f, m in messages)
    assert any(f == "urn:own" and "dcterms:source" in m for f, m in messages)
    assert any(f == "urn:listing" and "xsd:date" in m for f, m in messages)
