"""Large --data is checked in the store: the shapes' value constraints as SPARQL, on the user's graphs only.

    <urn:stake>  a ecg:Ownership ; ecg:owner <urn:a> ; ecg:owned <urn:b> ;
                 ecg:percentage 150 (out of 0..100) ; ecg:validFrom "2024-13-45"^^xsd:date (no such day)
"""

import json

import pytest

from graph.surfaces import cli
from graph.store.load import load
from graph.reasoning.shapecheck import triples_in, violations

PREFIXES = """@prefix ecg: <https://w3id.org/ecgraph/ontology#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
@prefix dcterms: <http://purl.org/dc/terms/> .
"""

GOOD = PREFIXES + """
<urn:stake> a ecg:Ownership ; ecg:owner <urn:a> ; ecg:owned <urn:b> ; ecg:percentage 60.0 ;
    ecg:validFrom "2024-01-02"^^xsd:date ; dcterms:source <urn:src> .
"""

BAD = PREFIXES + """
<urn:stake> a ecg:Ownership ; ecg:owner <urn:a> ; ecg:owned <urn:b> ; ecg:percentage 150.0 ;
    ecg:validFrom "2024-13-45"^^xsd:date ; dcterms:source <urn:src> .
"""


@pytest.fixture
def files(tmp_path):
    good, bad = tmp_path / "good.ttl", tmp_path / "bad.ttl"
    good.write_text(GOOD)
    bad.write_text(BAD)
    return good, bad


def test_out_of_range_percentages_and_impossible_dates_are_found_in_the_store(files):
    ds = load(files[1], imports=False)
    found = {(v.focus, v.path.rsplit("#", 1)[-1]) for v in violations(ds, ds.ecgraph_user_graphs, counts=False)}
    assert found == {("urn:stake", "percentage"), ("urn:stake", "validFrom")}


def test_good_data_and_the_curated_set_pass(files):
    ds = load(files[0], imports=False)
    assert triples_in(ds, ds.ecgraph_user_graphs) == 6
    from graph.namespace import GRAPH

    assert violations(ds, (*ds.ecgraph_user_graphs, GRAPH.curated)) == ()


def test_large_data_is_refused_by_the_in_store_check_with_a_note_on_the_full_one(files, capsys, monkeypatch):
    monkeypatch.setattr(cli, "FULL_CHECK_TRIPLES", 0)  # every file counts as large
    code = cli.main(["info", "--data", str(files[1])])
    err = capsys.readouterr().err
    assert code == 2 and "breaks the shapes (2 violations" in err and "ecgraph validate --data" in err
    assert cli.main(["info", "--data", str(files[0]), "--format", "json"]) == 0


def test_a_query_on_large_data_runs_beside_the_checks_and_is_answered_only_when_they_pass(files, capsys, monkeypatch):
    monkeypatch.setattr(cli, "FULL_CHECK_TRIPLES", 0)  # every file counts as large: the query runs while checked
    count = "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } FILTER (STRSTARTS(STR(?g), 'file:')) }"
    code = cli.main(["query", "--no-inferred", "--data", str(files[1]), "--format", "csv", count])
    out, err = capsys.readouterr()
    assert code == 2 and "breaks the shapes (2 violations" in err and out == ""
    assert cli.main(["query", "--no-inferred", "--data", str(files[0]), "--format", "csv", count]) == 0
    assert capsys.readouterr().out.split() == ["n", "6"]
    assert cli.main(["query", "--no-inferred", "--data", str(files[0]), "SELECT ?x WHERE {"]) == 2
    assert "error:" in capsys.readouterr().err



def test_facts_derived_beside_the_checks_are_written_only_when_the_data_passes(files, capsys, monkeypatch):
    """With derived facts (the default), large --data is derived from while it is checked: bad data is refused
    as without them; good data is answered with the derived facts in their graph."""
    monkeypatch.setattr(cli, "FULL_CHECK_TRIPLES", 0)
    derived = ("ASK { GRAPH <https://w3id.org/ecgraph/graph/inferred> { <https://w3id.org/ecgraph/id/chip/nvidia-h100-sxm>"
               " ecg:derivedClassification <https://w3id.org/ecgraph/id/eccn/3A090.a> } }")
    code = cli.main(["query", "--as-of", "2025-06-01", "--data", str(files[1]), "--format", "csv", derived])
    out, err = capsys.readouterr()
    assert code == 2 and "breaks the shapes (2 violations" in err and out == ""
    assert cli.main(["query", "--as-of", "2025-06-01", "--data", str(files[0]), "--format", "json", derived]) == 0
    assert json.loads(capsys.readouterr().out)["boolean"] is True
