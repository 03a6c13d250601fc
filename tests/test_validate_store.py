"""The shapes checked as SPARQL in the store give what pySHACL gives, in seconds for a large import.

The fixture breaks each constraint kind the shapes use once or more:

    listing/1  on two lists (one a firm), a literal party, footnote 3, validFrom "2020-13-45"^^xsd:date, no source
    listing/2  untyped (a Listing by the domain of listedParty), no list, validFrom "2020", a literal source
    listing/3  two parties, two start dates, ends before it starts
    own/1      no owner, 150 %, min above max, "yes" as a boolean, "many" as a maximum
    rule/1     a citation of the wrong form and one with a language tag; rule/2 no citation at all (sh:or)
    chip/1     negative TPP, designed by a rule and by a literal
    firm/a, firm/b  no label

Benchmark: python tests/test_validate_store.py [N] (pySHACL over everything against the checks in the store).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from rdflib import Graph

from graph.surfaces.cli import main
from graph.readwrite.imports import imports_dir
from graph.store.load import load
from graph.store.validate import UnsupportedShapes, shapes_graph, validate, validate_imports, validate_in_store

BROKEN = """@prefix ecg: <https://w3id.org/ecgraph/ontology#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix dcterms: <http://purl.org/dc/terms/> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
@base <urn:broken:> .

<listing/1> a ecg:Listing ; ecg:onList <https://w3id.org/ecgraph/id/list/entity-list>, <firm/a> ;
    ecg:listedParty "a literal party" ; ecg:fdpFootnote 3 ; ecg:validFrom "2020-13-45"^^xsd:date .
<listing/2> ecg:listedParty <firm/a> ; ecg:validFrom "2020" ; dcterms:source "a literal source" .
<listing/3> a ecg:Listing ; ecg:listedParty <firm/a>, <firm/b> ; ecg:onList <https://w3id.org/ecgraph/id/list/entity-list> ;
    ecg:validFrom "2021-01-01"^^xsd:date, "2021-02-01"^^xsd:date ; ecg:validUntil "2020-01-01"^^xsd:date ;
    dcterms:source <https://w3id.org/ecgraph/id/rule/91-FR-43034> .
<firm/a> a ecg:Firm .
<own/1> a ecg:Ownership ; ecg:owned <firm/a> ; ecg:percentage 150.0 ; ecg:percentageMin 60.0 ; ecg:percentageMax 40.0 ;
    ecg:directInterest "yes" ; ecg:percentageMax "many" ; dcterms:source <urn:s> .
<rule/1> a ecg:Rule ; rdfs:label "R" ; ecg:frCitation "not a citation", "90 FR 1"@en ; dcterms:source <urn:s> .
<rule/2> a ecg:Rule ; rdfs:label "R2" ; dcterms:source <urn:s> .
<chip/1> a ecg:Chip ; rdfs:label "C" ; ecg:tpp -1.0 ; ecg:designedBy <rule/1>, "x" ; dcterms:source <urn:s> .
"""


def found(report) -> set:
    return {(v.focus, v.path, v.message) for v in report.violations}


@pytest.fixture(scope="module")
def broken(tmp_path_factory):
    path = tmp_path_factory.mktemp("broken") / "broken.ttl"
    path.write_text(BROKEN, encoding="utf-8")
    return load(path, imports=False, store="oxigraph")


def test_the_store_checks_find_what_pyshacl_finds(broken):
    expected = found(validate(broken))
    assert len(expected) > 20
    assert found(validate_in_store(broken)) == expected
    assert ("urn:rule/2", "", "a rule needs an ecg:frCitation or ecg:frDocNumber (or type it ecg:Guidance)") in expected


def test_the_curated_data_conforms_in_the_store_too(curated):
    report = validate_in_store(curated)
    assert report.conforms and report.violations == ()


def test_shapes_beyond_the_sparql_checks_are_refused_so_pyshacl_runs(broken):
    shapes = Graph().parse(data="""@prefix sh: <http://www.w3.org/ns/shacl#> .
@prefix ecg: <https://w3id.org/ecgraph/ontology#> .
<urn:s> a sh:NodeShape ; sh:targetClass ecg:Listing ;
    sh:property [ sh:path ( ecg:listedParty ecg:headquarteredIn ) ; sh:minCount 1 ] .""", format="turtle")
    with pytest.raises(UnsupportedShapes, match="sh:path"):
        validate_in_store(broken, shapes=shapes)
    with pytest.raises(UnsupportedShapes, match="Oxigraph"):
        validate_in_store(load(imports=False, store="memory"))


def test_an_ill_typed_date_in_a_period_is_a_violation_not_a_crash(tmp_path, capsys):
    path = tmp_path / "dates.ttl"
    path.write_text("""@prefix ecg: <https://w3id.org/ecgraph/ontology#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
<urn:x> ecg:validFrom "2020-13-45"^^xsd:date ; ecg:validUntil "2019-01-01"^^xsd:date .""", encoding="utf-8")
    assert main(["validate", "--data", str(path)]) == 1
    out = capsys.readouterr().out
    assert "urn:x https://w3id.org/ecgraph/ontology#validFrom: validFrom must be one xsd:date" in out
    assert "validFrom is after validUntil" in out


def write_import(name: str, nquads: str) -> None:
    """A stored import written by hand: its N-Quads and its index."""
    folder = imports_dir()
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{name}.nq").write_text(nquads, encoding="utf-8")
    (folder / f"{name}.json").write_text(json.dumps({"name": name, "kind": "rdf", "started": "2025-06-01T00:00:00"}),
                                         encoding="utf-8")


def test_validate_imports_checks_the_stored_imports_in_the_store(capsys):
    assert main(["validate", "--imports"]) == 0
    write_import("hand", "<urn:l> <https://w3id.org/ecgraph/ontology#listedParty> <urn:p> <urn:g> .\n")
    report = validate_imports()
    assert ("urn:l", "http://purl.org/dc/terms/source",
            "a fact needs at least one dcterms:source (an IRI of a rule, guidance or source document)") in found(report)
    assert main(["validate"]) == 0  # the curated data alone
    capsys.readouterr()
    assert main(["validate", "--imports"]) == 1
    out = capsys.readouterr().out
    assert "Violation: urn:l https://w3id.org/ecgraph/ontology#onList" in out and "urn:p" in out


if __name__ == "__main__":  # benchmark: python tests/test_validate_store.py [N]
    import os
    import tempfile
    import time

    from test_csl import write_synthetic_csl

    from graph.readwrite.imports import add_import
    from graph.store.validate import merged

    def timed(fn):
        wall, cpu = time.perf_counter(), time.process_time()
        out = fn()
        return out, time.perf_counter() - wall, time.process_time() - cpu

    n = int(sys.argv[1]) if len(sys.argv) > 1 else 30_000
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["ECGRAPH_DATA_DIR"] = tmp
        add_import(write_synthetic_csl(Path(tmp) / "consolidated.csv", n), load(imports=False))
        # what 'validate --imports' did: pySHACL over the curated data and the imports
        before, w0, c0 = timed(lambda: validate(load()))
        # what it does now: pySHACL on the curated data, the imports checked in the on-disk store (built here)
        after, w1, c1 = timed(lambda: merged(validate(load(imports=False)), validate_imports()))
        _, w2, c2 = timed(validate_imports)  # the store checks alone, the store already built
        print(f"{n} records (CPU s, wall s): pySHACL over everything {c0:.1f} ({w0:.1f}); now {c1:.1f} ({w1:.1f}), "
              f"x{c0 / c1:.0f} in CPU; store checks alone {c2:.1f} ({w2:.1f}); "
              f"same violations: {found(before) == found(after)} ({len(found(after))})")
