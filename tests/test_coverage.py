"""What the restrictions data leaves out (``ecgraph coverage``), and the shapes of the engine's own terms."""

from graph.reasoning.coverage import coverage
from graph.store.load import load
from graph.store.validate import validate

RULE = """@prefix ecg: <https://w3id.org/ecgraph/ontology#> . @base <https://w3id.org/ecgraph/id/> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> . @prefix dcterms: <http://purl.org/dc/terms/> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
<rule/test-new> a ecg:Rule ; rdfs:label "A new rule nobody encoded" ; ecg:frDocNumber "2099-00001" ;
    dcterms:source <source/srcreg> .
<status-period/test-new/1> a ecg:StatusPeriod ; ecg:statusOf <rule/test-new> ; ecg:status <status/in-force> ;
    ecg:validFrom "2026-01-01"^^xsd:date ; dcterms:source <source/srcreg> .
<chip/test-bare> a ecg:Chip ; rdfs:label "A chip with nothing known" ; dcterms:source <source/srcreg> .
"""


def test_the_curated_data_has_no_gap_without_a_reason(curated):
    gaps = coverage(curated)
    assert gaps and all(gap.note for gap in gaps)
    assert {"https://w3id.org/ecgraph/id/chip/nvidia-gb200"} <= {gap.iri for gap in gaps}


def test_a_new_operative_rule_without_restrictions_and_a_bare_chip_are_reported(tmp_path):
    path = tmp_path / "new.ttl"
    path.write_text(RULE, encoding="utf-8")
    open_gaps = {(gap.kind, gap.iri.rsplit("/", 1)[-1]) for gap in coverage(load(path, imports=False, store="memory"))
                 if gap.note is None}
    assert open_gaps == {("instrument", "test-new"), ("chip", "test-bare")}


def test_the_coverage_command_exits_1_on_an_open_gap(tmp_path, capsys):
    from graph.surfaces.cli import main

    assert main(["coverage"]) == 0
    path = tmp_path / "new.ttl"
    path.write_text(RULE, encoding="utf-8")
    assert main(["coverage", "--data", str(path)]) == 1
    assert "GAP: instrument A new rule nobody encoded" in capsys.readouterr().out


def test_the_shapes_catch_an_act_given_as_text_and_a_condition_without_words(tmp_path):
    bad = tmp_path / "bad.ttl"
    bad.write_text("""@prefix ecg: <https://w3id.org/ecgraph/ontology#> . @base <https://w3id.org/ecgraph/id/> .
        @prefix dcterms: <http://purl.org/dc/terms/> .
        <restriction/test-bad> a ecg:Restriction ; ecg:coversAct "export" ; ecg:hasCondition <urn:c> ;
            dcterms:source <source/srcreg> .
        <urn:c> a ecg:Condition .""", encoding="utf-8")
    messages = {v.message for v in validate(load(bad, imports=False, store="memory")).violations}
    assert "ecg:coversAct must name an ecg:Act (an IRI)" in messages
    assert "a condition needs an rdfs:label (its words)" in messages
