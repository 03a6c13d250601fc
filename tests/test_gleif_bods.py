"""Importing GLEIF Level 1/2 records (XML and golden-copy JSON) and Open Ownership BODS 0.4 statements.

tests/fixtures/gleif (LEI-CDF 3.1, RR-CDF 2.1, reporting exceptions 2.1; invented LEIs):

    lei-cdf.xml / .json  5493000INSPURGROUP01  INSPUR GROUP CO., LTD. (the curated Inspur, HQ CN)
                         5493000EXAMPLECLOUD1  Example Inspur Cloud Services Limited (HK)
                         not-an-lei            a broken record
    rr-cdf.xml / .json   CLOUD1 IS_DIRECTLY_CONSOLIDATED_BY INSPURGROUP01, relationship period from 2021-04-01
                         CLOUD1 IS_ULTIMATELY_CONSOLIDATED_BY INSPURGROUP01, INACTIVE, no end date, updated 2023-06-30
                         a branch relationship (not ownership: skipped)
    repex.xml / .json    INSPURGROUP01: no ultimate parent reported (NATURAL_PERSONS)

tests/fixtures/bods/statements.json (BODS 0.4):

    rec-owner        entity  Semiconductor Manufacturing International Corp. (KY, an LEI)  ~ the curated SMIC (CN)
    rec-subsidiary   entity  Example Wafer Services (Singapore) Pte. Ltd.
    rec-person       person  Alex Example
    rec-rel-smic     owner -> subsidiary: 40% (2024 statement), replaced by 65% exact (2025 statement)
    rec-rel-person   person -> subsidiary: shareholding 25 to <50 (a range), voting rights 25-50, indirect
    rec-rel-unknown  an interested party exempt from disclosure (skipped, with the reason)
    a broken statement
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from rdflib import OWL, RDF, Literal
from rdflib.compare import isomorphic

from graph.readwrite.bods import BODS
from graph.readwrite.bods import convert_file as bods_file
from graph.readwrite.csl import to_graph
from graph.readwrite.gleif import GLEIF
from graph.readwrite.gleif import convert_file as gleif_file
from graph.readwrite.imports import add_import
from graph.store.load import load
from graph.namespace import ECG, ID

FIXTURES = Path(__file__).parent / "fixtures"
JUNE = dt.datetime(2025, 6, 1, 9, 0, tzinfo=dt.timezone.utc)


def converted(reader, path: Path, g):
    conv = reader(path, g, name="test", sha256="0" * 64, started=JUNE)
    return to_graph(conv.triples), conv.summary


@pytest.mark.parametrize("name", ["lei-cdf", "rr-cdf", "repex"])
def test_the_xml_and_the_json_form_give_the_same_graph(curated, name):
    xml, _ = converted(gleif_file, FIXTURES / "gleif" / f"{name}.xml", curated)
    js, _ = converted(gleif_file, FIXTURES / "gleif" / f"{name}.json", curated)
    assert len(xml) > 5
    # the file's own name differs between the two forms: compare without the triples that name it
    drop = {(s, p, o) for s, p, o in xml if "xml" in str(o)} | {(s, p, o) for s, p, o in js if "json" in str(o)}
    assert isomorphic(to_graph(t for t in xml if t not in drop), to_graph(t for t in js if t not in drop))


def test_an_lei_record_is_a_firm_with_its_lei_countries_and_a_link_by_name(curated):
    out, summary = converted(gleif_file, FIXTURES / "gleif" / "lei-cdf.xml", curated)
    inspur = GLEIF["5493000INSPURGROUP01"]
    assert out.value(inspur, ECG.lei) == Literal("5493000INSPURGROUP01")
    assert out.value(inspur, ECG.headquarteredIn) == ID["country/CN"]
    assert [(p.row, p.kind) for p in summary.problems] == [(3, "broken record")]
    [link] = summary.linked
    assert link.party == str(ID["firm/inspur"]) and "country CN on both" in link.features


def test_consolidation_is_control_without_a_percentage_with_its_period_and_status(curated):
    out, summary = converted(gleif_file, FIXTURES / "gleif" / "rr-cdf.xml", curated)
    stakes = list(out.subjects(RDF.type, ECG.Ownership))
    assert len(stakes) == 2
    for stake in stakes:
        assert out.value(stake, ECG.owner) == GLEIF["5493000INSPURGROUP01"]
        assert out.value(stake, ECG.ownershipBasis) == ID["ownership-basis/accounting-consolidation"]
        assert out.value(stake, ECG.percentage) is None
    direct = next(s for s in stakes if out.value(s, ECG.directInterest).toPython())
    ultimate = next(s for s in stakes if not out.value(s, ECG.directInterest).toPython())
    assert out.value(direct, ECG.validFrom) == Literal(dt.date(2021, 4, 1)) and out.value(direct, ECG.validUntil) is None
    assert out.value(ultimate, ECG.validUntil) == Literal(dt.date(2023, 6, 30))  # INACTIVE: ended on its last update
    assert [p.kind for p in summary.problems] == ["note", "not imported"]


def test_a_bods_exact_share_a_range_and_directness(curated):
    out, summary = converted(bods_file, FIXTURES / "bods" / "statements.json", curated)
    exact = BODS["rec-rel-smic/interest/1"]
    assert out.value(exact, ECG.percentage).toPython() == 65
    assert out.value(exact, ECG.directInterest).toPython() is True
    ranged = BODS["rec-rel-person/interest/1"]
    assert (out.value(ranged, ECG.percentageMin).toPython(), out.value(ranged, ECG.percentageMax).toPython()) == (25, 50)
    assert out.value(ranged, ECG.percentage) is None and out.value(ranged, ECG.directInterest).toPython() is False
    assert out.value(BODS["rec-rel-person/interest/2"], ECG.ownershipBasis) == ID["ownership-basis/voting-rights"]
    assert out.value(BODS["rec-owner"], ECG.lei) == Literal("5493000SMICEXAMPLE01")
    kinds = [(p.row, p.kind) for p in summary.problems]
    assert kinds == [(4, "note"), (5, "note"), (7, "not imported"), (8, "broken statement")]


def test_a_name_match_whose_countries_differ_waits_for_review_and_a_judgement_outlasts_reimports(curated):
    from graph.readwrite.review import judge, pending

    summary = add_import(FIXTURES / "bods" / "statements.json", curated, kind="bods", started=JUNE)
    [weak] = summary.review
    assert weak.party == str(ID["firm/smic"]) and "countries differ: KY vs CN" in weak.features
    assert [m.id for m in pending()] == [weak.id]
    judge(weak.id, "accepted")
    assert pending() == []
    g = load()
    assert (BODS["rec-owner"], OWL.sameAs, ID["firm/smic"]) in g
    conv = bods_file(FIXTURES / "bods" / "statements.json", curated, name="again", sha256="1" * 64, started=JUNE)
    out = to_graph(conv.triples)
    assert [link.accepted for link in conv.summary.linked] == [True]  # the judgement, not the score, decides
    assert "review: accepted by a person" in conv.summary.linked[0].features
    assert (None, ECG.reviewDecision, Literal("accepted")) in out


def test_a_rejected_match_takes_its_sameas_out_of_the_store(curated, tmp_path):
    from graph.readwrite.review import judge

    summary = add_import(FIXTURES / "gleif" / "lei-cdf.xml", curated, kind="gleif", started=JUNE)
    [strong] = summary.linked
    assert (GLEIF["5493000INSPURGROUP01"], OWL.sameAs, ID["firm/inspur"]) in load(store="memory")
    judge(strong.id, "rejected")
    assert (GLEIF["5493000INSPURGROUP01"], OWL.sameAs, ID["firm/inspur"]) not in load(store="memory")


def test_a_party_owned_65_percent_through_bods_by_an_entity_list_firm_is_exposed(curated):
    from graph.reasoning.exposure import exposures
    from graph.readwrite.review import judge
    from graph.reasoning.usage import usage_from_names

    summary = add_import(FIXTURES / "bods" / "statements.json", curated, kind="bods", started=JUNE)
    judge(summary.review[0].id, "accepted")  # the KY holding company is the curated SMIC
    g = load()
    usage = usage_from_names(g, chip="H100", user="Example Wafer Services (Singapore) Pte. Ltd.", as_of="2025-10-01")
    found = [e for e in exposures(g, usage).exposures if e.party == str(BODS["rec-subsidiary"])]
    assert found
    assert any(str(BODS["statement/st-rel-exact-2"]) in s.sources for e in found for s in e.path)


def test_imported_facts_of_every_kind_conform_to_the_shapes(curated):
    from graph.store.validate import validate

    add_import(FIXTURES / "gleif" / "lei-cdf.xml", curated, kind="gleif", started=JUNE)
    add_import(FIXTURES / "gleif" / "rr-cdf.json", curated, kind="gleif", started=JUNE)
    add_import(FIXTURES / "bods" / "statements.json", curated, kind="bods", started=JUNE)
    add_import(FIXTURES / "ftm" / "entities.ftm.json", curated, kind="ftm", started=JUNE)
    report = validate(load())
    from graph.readwrite.ftm import FTM

    mine = [v for v in report.violations if v.focus.startswith((str(GLEIF), str(BODS), str(FTM), str(ID["list/"])))]
    assert mine == []


def test_the_review_command_lists_accepts_and_refuses_an_unknown_id(curated, capsys):
    from graph.surfaces.cli import main

    assert main(["import", "bods", str(FIXTURES / "bods" / "statements.json")]) == 0
    out = capsys.readouterr().out
    assert "kept 2 entity statements, 1 person statements, 2 relationship statements" in out
    assert "statements.json: statement 8: broken statement" in out
    assert main(["review", "--format", "json"]) == 0
    import json

    [pending] = json.loads(capsys.readouterr().out)
    assert pending["party"] == str(ID["firm/smic"]) and pending["decision"] == ""
    assert main(["review", "accept", pending["id"]]) == 0
    assert f"accepted {pending['id']}" in capsys.readouterr().out
    assert main(["review"]) == 0 and "no matches waiting for review" in capsys.readouterr().out
    assert main(["review", "reject", "m-000000000000"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "unknown match 'm-000000000000'" in err


def test_records_of_two_imports_with_the_same_lei_are_linked(curated, tmp_path):
    import json

    add_import(FIXTURES / "gleif" / "lei-cdf.xml", curated, kind="gleif", started=JUNE)
    statement = {"statementId": "st-lei", "statementDate": "2025-01-15", "recordId": "rec-cloud",
                 "recordType": "entity", "recordStatus": "new",
                 "recordDetails": {"isComponent": False, "entityType": {"type": "registeredEntity"},
                                   "name": "EICS Ltd",  # another name: only the LEI can tell
                                   "identifiers": [{"id": "5493000EXAMPLECLOUD1", "scheme": "XI-LEI"}]},
                 "publicationDetails": {"publicationDate": "2025-01-20", "bodsVersion": "0.4",
                                        "publisher": {"name": "Another Register"}}}
    path = tmp_path / "one.jsonl"
    path.write_text(json.dumps(statement) + "\n", encoding="utf-8")
    summary = add_import(path, curated, kind="bods", started=JUNE)
    [link] = summary.linked
    assert (link.record, link.party) == (str(BODS["rec-cloud"]), str(GLEIF["5493000EXAMPLECLOUD1"]))
    assert link.features == ("identifier LEI:5493000EXAMPLECLOUD1 on both records (an earlier import)",)
    assert (BODS["rec-cloud"], OWL.sameAs, GLEIF["5493000EXAMPLECLOUD1"]) in load(store="memory")


@pytest.mark.parametrize("name", ["lei-cdf.xml", "lei-cdf.json"])
def test_a_file_cut_short_keeps_the_records_before_the_cut(curated, tmp_path, name):
    text = (FIXTURES / "gleif" / name).read_text(encoding="utf-8")
    cut = tmp_path / name
    cut.write_text(text[:text.index("5493000EXAMPLECLOUD1") + 200], encoding="utf-8")  # inside the second record
    _, summary = converted(gleif_file, cut, curated)
    assert dict(summary.kept) == {"LEI records": 1}
    assert [p.kind for p in summary.problems] == ["broken file"]
    assert name in str(summary.problems[0]) and "\n" not in str(summary.problems[0])


# --------------------------------------------------------------------------- files that are not GLEIF or BODS


@pytest.mark.parametrize("kind, text, found", [
    ("gleif", '<?xml version="1.0"?>\n<html><body>hello</body></html>\n', "its root element is <html>"),
    ("gleif", '<?xml version="1.0"?>\n<!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]>\n'
              "<x>&b;</x>\n", "its root element is <x>"),
    ("bods", '{"id": "NK-1", "schema": "Company", "properties": {"name": ["Example Co"]}}\n',
     "statement 1 is an object with 'id', 'properties', 'schema' (FollowTheMoney entities: 'ecgraph import ftm')"),
    ("bods", "[]", "no statement in it"),
])
def test_a_file_that_is_not_gleif_or_bods_is_refused_on_one_line_and_nothing_is_recorded(tmp_path, capsys, kind,
                                                                                         text, found):
    from graph.readwrite.imports import list_imports
    from graph.surfaces.cli import main

    path = tmp_path / ("not-it.xml" if text.startswith("<") else "not-it.json")
    path.write_text(text, encoding="utf-8")
    assert main(["import", kind, str(path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: {path}: not a {'GLEIF XML' if kind == 'gleif' else 'BODS 0.4'} file: {found}")
    assert err.count("\n") == 1 and list_imports() == []


# --------------------------------------------------------------------------- dates that are no dates

def test_a_bods_interest_whose_start_is_no_date_is_reported_and_skipped_not_held_at_all_dates(curated, tmp_path):
    text = (FIXTURES / "bods" / "statements.json").read_text(encoding="utf-8")
    bad = tmp_path / "bad-date.json"
    bad.write_text(text.replace('"startDate": "2025-01-01"', '"startDate": "2025-02-30"', 1), encoding="utf-8")
    _, summary = converted(bods_file, bad, curated)
    [problem] = [p for p in summary.problems if p.kind == "bad date"]
    assert "startDate '2025-02-30'" in str(problem) and "not a date" in str(problem)


def test_a_gleif_relationship_whose_period_is_no_date_is_reported_and_skipped(curated, tmp_path):
    text = (FIXTURES / "gleif" / "rr-cdf.xml").read_text(encoding="utf-8")
    start = text.index("<rr:StartDate>") + len("<rr:StartDate>")
    bad = tmp_path / "rr-bad.xml"
    bad.write_text(text[:start] + "2025-02-30" + text[text.index("<", start):], encoding="utf-8")
    _, summary = converted(gleif_file, bad, curated)
    assert [p for p in summary.problems if p.kind == "bad date" and "'2025-02-30'" in str(p)]
