"""A newer full file of FtM, GLEIF or BODS records ends the dated facts it no longer holds, as the CSL import does.

Each test writes an earlier file with three stakes and a newer one with two (in tmp_path, in the
format's published shape): the dropped stake stays in the graph once, carried into the newer import
with ``ecg:validUntil`` the day before the newer import, so a question as of an earlier date still
sees it. A record the newer file holds but could not read keeps its earlier fact as it was.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from rdflib import RDFS, Literal

from graph.readwrite.bods import BODS
from graph.readwrite.bods import convert_file as bods_file
from graph.readwrite.csl import to_graph
from graph.readwrite.ftm import FTM
from graph.readwrite.gleif import GLEIF
from graph.readwrite.imports import add_import, list_imports
from graph.store.load import load
from graph.namespace import ECG

JUNE = dt.datetime(2025, 6, 1, 9, 0, tzinfo=dt.timezone.utc)
SEPTEMBER = dt.datetime(2025, 9, 1, 9, 0, tzinfo=dt.timezone.utc)
LAST_DAY = Literal(dt.date(2025, 8, 31))  # the newer import's date minus one day

HELD_AS_OF = """
SELECT ?stake ?day WHERE {
  ?stake a ecg:Ownership ; ecg:validFrom ?from .
  OPTIONAL { ?stake ecg:validUntil ?until }
  FILTER (?from <= ?day && (!BOUND(?until) || ?until >= ?day))
}"""


def graphs_of(g, fact) -> list[str]:
    return [str(row.g) for row in g.query("SELECT DISTINCT ?f ?g WHERE { GRAPH ?g { ?f a ?c } }", initBindings={"f": fact})]


def held_on(g, day: str) -> set[str]:
    rows = g.query(HELD_AS_OF, initNs={"ecg": ECG._NS}, initBindings={"day": Literal(dt.date.fromisoformat(day))})
    return {str(row.stake) for row in rows}


def write_lines(path: Path, items) -> Path:
    path.write_text("".join(json.dumps(i) + "\n" for i in items), encoding="utf-8")
    return path


# --------------------------------------------------------------------------- FtM


def ftm_company(key: str, name: str) -> dict:
    return {"id": key, "schema": "Company", "properties": {"name": [name], "country": ["my"]},
            "datasets": ["example_registry"]}


def ftm_stake(n: int, percentage: str = "60") -> dict:
    return {"id": f"stake-{n}", "schema": "Ownership",
            "properties": {"owner": ["NK-huawei-tech"], "asset": [f"NK-sub-{n}"], "percentage": [percentage],
                           "startDate": ["2024-01-15"]},
            "datasets": ["example_registry"]}


HUAWEI = {"id": "NK-huawei-tech", "schema": "Company", "datasets": ["example_registry"],
          "properties": {"name": ["HUAWEI TECHNOLOGIES CO., LTD."], "jurisdiction": ["cn"], "country": ["cn"]}}


def ftm_file(path: Path, stakes, extra=()) -> Path:
    subs = [ftm_company(f"NK-sub-{n}", f"Example Subsidiary {n} Sdn. Bhd.") for n in (1, 2, 3)]
    return write_lines(path, [HUAWEI, *subs, *(ftm_stake(n) for n in stakes), *extra])


def test_an_ftm_stake_dropped_from_a_newer_file_is_ended_and_carried_once(curated, tmp_path):
    first = add_import(ftm_file(tmp_path / "june.ftm.json", (1, 2, 3)), curated, kind="ftm", started=JUNE)
    assert (first.added, first.ended) == (3, 0)
    newer = add_import(ftm_file(tmp_path / "september.ftm.json", (1, 2)), curated, kind="ftm", started=SEPTEMBER)
    assert (newer.added, newer.ended, newer.kept_earlier) == (0, 1, 0)
    assert [s.superseded_by for s in list_imports()] == [newer.name, ""]

    g = load()
    dropped = FTM["stake-3"]
    assert graphs_of(g, dropped) == [newer.graph]  # in the newer import only, and once
    assert list(g.objects(dropped, ECG.validUntil)) == [LAST_DAY]
    assert g.value(dropped, ECG.percentage).toPython() == 60  # the fact as it was
    labels = [line for line in Path(list_imports()[-1].path).read_text(encoding="utf-8").splitlines()
              if line.startswith(f"<{FTM['NK-sub-3']}> <{RDFS.label}>")]
    assert len(labels) == 1  # its party is in the newer file: not carried a second time
    assert str(dropped) in held_on(g, "2025-06-01") and str(dropped) not in held_on(g, "2025-10-01")
    assert g.value(FTM["stake-1"], ECG.validUntil) is None


def test_the_engine_sees_a_dropped_stake_as_of_a_day_before_its_end(curated, tmp_path):
    from graph.reasoning.exposure import exposures
    from graph.reasoning.usage import usage_from_names

    add_import(ftm_file(tmp_path / "june.ftm.json", (1, 2, 3)), curated, kind="ftm", started=JUNE)
    october = dt.datetime(2025, 10, 20, tzinfo=dt.timezone.utc)  # the affiliates rule is in force 2025-09-29..11-09
    add_import(ftm_file(tmp_path / "october.ftm.json", (1, 2)), curated, kind="ftm", started=october)
    g = load()
    record = str(FTM["stake-3/record"])

    def through_the_dropped_stake(day: str) -> list:
        usage = usage_from_names(g, chip="H100", user="Example Subsidiary 3 Sdn. Bhd.", as_of=day)
        return [e for e in exposures(g, usage).exposures if any(record in step.sources for step in e.path)]

    assert through_the_dropped_stake("2025-10-01")
    assert not through_the_dropped_stake("2025-11-01")
    kept = usage_from_names(g, chip="H100", user="Example Subsidiary 2 Sdn. Bhd.", as_of="2025-11-01")
    assert exposures(g, kept).exposures  # the stake the newer file still holds still counts


def test_a_third_file_carries_the_ended_stake_again_without_ending_it_twice(curated, tmp_path):
    add_import(ftm_file(tmp_path / "june.ftm.json", (1, 2, 3)), curated, kind="ftm", started=JUNE)
    add_import(ftm_file(tmp_path / "september.ftm.json", (1, 2)), curated, kind="ftm", started=SEPTEMBER)
    later = add_import(ftm_file(tmp_path / "october.ftm.json", (1,)), curated, kind="ftm",
                       started=dt.datetime(2025, 10, 1, tzinfo=dt.timezone.utc))
    assert (later.added, later.ended) == (0, 1)
    g = load()
    assert list(g.objects(FTM["stake-3"], ECG.validUntil)) == [LAST_DAY]
    assert list(g.objects(FTM["stake-2"], ECG.validUntil)) == [Literal(dt.date(2025, 9, 30))]
    assert graphs_of(g, FTM["stake-3"]) == graphs_of(g, FTM["stake-2"]) == [later.graph]


def test_a_stake_whose_record_is_broken_in_the_newer_file_keeps_its_earlier_fact(curated, tmp_path):
    add_import(ftm_file(tmp_path / "june.ftm.json", (1, 2, 3)), curated, kind="ftm", started=JUNE)
    broken = {**ftm_stake(3), "properties": {"asset": ["NK-sub-3"], "percentage": ["60"]}}  # no owner: invalid
    newer = add_import(ftm_file(tmp_path / "september.ftm.json", (1, 2), [broken]), curated, kind="ftm",
                       started=SEPTEMBER)
    assert (newer.ended, newer.kept_earlier) == (0, 1)
    assert any(p.kind == "invalid entity" and "stake-3" in str(p) for p in newer.problems)
    g = load()
    assert graphs_of(g, FTM["stake-3"]) == [newer.graph]
    assert g.value(FTM["stake-3"], ECG.validUntil) is None
    assert g.value(FTM["stake-3"], ECG.owner) == FTM["NK-huawei-tech"]


def test_a_partial_file_ends_nothing(curated, tmp_path):
    add_import(ftm_file(tmp_path / "june.ftm.json", (1, 2, 3)), curated, kind="ftm", started=JUNE)
    newer = add_import(ftm_file(tmp_path / "extract.ftm.json", (1,)), curated, kind="ftm", started=SEPTEMBER,
                       partial=True)
    assert newer.ended == 0
    g = load()
    assert g.value(FTM["stake-3"], ECG.validUntil) is None and len(graphs_of(g, FTM["stake-3"])) == 1


def test_the_cli_reports_the_real_added_and_ended_counts(curated, tmp_path, capsys):
    from graph.surfaces.cli import main

    assert main(["import", "ftm", str(ftm_file(tmp_path / "june.ftm.json", (1, 2, 3)))]) == 0
    assert "(3 added, 0 ended since the previous import)" in capsys.readouterr().out
    assert main(["import", "ftm", str(ftm_file(tmp_path / "september.ftm.json", (1, 2)))]) == 0
    assert "(0 added, 1 ended since the previous import)" in capsys.readouterr().out


# --------------------------------------------------------------------------- GLEIF


def rr(child: str, parent: str = "5493000INSPURGROUP01") -> dict:
    return {"RelationshipRecord": {
        "Relationship": {"StartNode": {"NodeID": {"$": child}, "NodeIDType": {"$": "LEI"}},
                         "EndNode": {"NodeID": {"$": parent}, "NodeIDType": {"$": "LEI"}},
                         "RelationshipType": {"$": "IS_DIRECTLY_CONSOLIDATED_BY"},
                         "RelationshipPeriods": {"RelationshipPeriod": [
                             {"StartDate": {"$": "2021-04-01T00:00:00Z"}, "PeriodType": {"$": "RELATIONSHIP_PERIOD"}}]},
                         "RelationshipStatus": {"$": "ACTIVE"}},
        "Registration": {"LastUpdateDate": {"$": "2025-02-01T00:00:00Z"}, "RegistrationStatus": {"$": "PUBLISHED"}}}}


CHILDREN = ("5493000EXAMPLECLOUD1", "5493000EXAMPLECLOUD2", "5493000EXAMPLECLOUD3")


def gleif_file(path: Path, children) -> Path:
    path.write_text(json.dumps({"relations": [rr(c) for c in children]}), encoding="utf-8")
    return path


def test_a_gleif_relationship_dropped_from_a_newer_golden_copy_is_ended_and_carried_once(curated, tmp_path):
    first = add_import(gleif_file(tmp_path / "rr-june.json", CHILDREN), curated, kind="gleif", started=JUNE)
    assert first.added == 3
    newer = add_import(gleif_file(tmp_path / "rr-september.json", CHILDREN[:2]), curated, kind="gleif",
                       started=SEPTEMBER)
    assert (newer.added, newer.ended) == (0, 1)
    g = load()
    [dropped] = [s for s in g.subjects(ECG.owned, GLEIF[CHILDREN[2]])]
    assert graphs_of(g, dropped) == [newer.graph]
    assert list(g.objects(dropped, ECG.validUntil)) == [LAST_DAY]
    assert g.value(dropped, ECG.ownershipBasis) is not None
    assert (GLEIF[CHILDREN[2]], ECG.lei, Literal(CHILDREN[2])) in g  # the child only the dropped record named
    assert str(dropped) in held_on(g, "2025-06-01") and str(dropped) not in held_on(g, "2025-10-01")


# --------------------------------------------------------------------------- BODS

PUBLISHED = {"publicationDate": "2025-01-20", "bodsVersion": "0.4", "publisher": {"name": "Example Register"}}


def bods_entity(record: str, name: str) -> dict:
    return {"statementId": f"st-{record}", "statementDate": "2025-01-15", "recordId": record, "recordType": "entity",
            "recordStatus": "new", "recordDetails": {"isComponent": False, "name": name,
                                                    "entityType": {"type": "registeredEntity"}},
            "publicationDetails": PUBLISHED}


def bods_interest(n: int, share=60) -> dict:
    return {"statementId": f"st-rel-{n}", "statementDate": "2025-01-15", "recordId": f"rel-{n}",
            "recordType": "relationship", "recordStatus": "new",
            "recordDetails": {"isComponent": False, "subject": f"sub-{n}", "interestedParty": "owner",
                              "interests": [{"type": "shareholding", "directOrIndirect": "direct",
                                             "share": {"exact": share}, "startDate": "2024-05-01"}]},
            "publicationDetails": PUBLISHED}


def bods_statements(interests, extra=()) -> list:
    return [bods_entity("owner", "Example Holdings Ltd"),
            *(bods_entity(f"sub-{n}", f"Example Subsidiary {n} Ltd") for n in (1, 2, 3)),
            *(bods_interest(n) for n in interests), *extra]


def test_a_bods_interest_dropped_from_a_newer_file_is_ended_and_a_broken_one_kept(curated, tmp_path):
    add_import(write_lines(tmp_path / "june.jsonl", bods_statements((1, 2, 3))), curated, kind="bods", started=JUNE)
    broken = {**bods_interest(2), "recordDetails": {**bods_interest(2)["recordDetails"],
                                                    "interests": [{"type": "shareholding", "share": {"exact": "lots"}}]}}
    newer = add_import(write_lines(tmp_path / "september.jsonl", bods_statements((1,), [broken])), curated,
                       kind="bods", started=SEPTEMBER)
    assert (newer.added, newer.ended, newer.kept_earlier) == (0, 1, 1)
    g = load()
    dropped, kept = BODS["rel-3/interest/1"], BODS["rel-2/interest/1"]
    assert graphs_of(g, dropped) == graphs_of(g, kept) == [newer.graph]
    assert list(g.objects(dropped, ECG.validUntil)) == [LAST_DAY]
    assert g.value(kept, ECG.validUntil) is None and g.value(kept, ECG.percentage).toPython() == 60
    assert str(dropped) in held_on(g, "2025-06-01") and str(dropped) not in held_on(g, "2025-10-01")


# --------------------------------------------------------------------------- BODS JSON arrays, streamed


def test_a_bods_array_gives_the_graph_its_json_lines_give(curated, tmp_path):
    statements = bods_statements((1, 2, 3)) + [bods_entity(f"extra-{i}", f"Extra Entity {i}") for i in range(500)]
    array = tmp_path / "statements.json"
    array.write_text("\ufeff" + json.dumps(statements, indent=1), encoding="utf-8")
    lines = write_lines(tmp_path / "statements.jsonl", statements)
    kw = dict(name="t", sha256="0" * 64, started=JUNE)
    a, b = bods_file(array, curated, **kw), bods_file(lines, curated, **kw)
    ga, gb = to_graph(a.triples), to_graph(b.triples)
    assert a.summary.imported == b.summary.imported == 507
    assert {t for t in ga if "statements.json" not in str(t[2])} == {t for t in gb if "statements.jsonl" not in str(t[2])}


def test_a_bods_array_cut_short_keeps_the_statements_before_the_cut(curated, tmp_path):
    statements = bods_statements((1, 2, 3))
    text = json.dumps(statements)
    cut = tmp_path / "cut.json"
    cut.write_text(text[:text.index('"rel-2"') + 40], encoding="utf-8")  # inside the sixth statement
    conv = bods_file(cut, curated, name="t", sha256="0" * 64, started=JUNE)
    out = to_graph(conv.triples)
    assert conv.summary.imported == 5 and (BODS["rel-1/interest/1"], ECG.percentage, None) in out
    [problem] = [p for p in conv.summary.problems if p.kind == "broken file"]
    assert "cut.json" in str(problem) and "the 5 statements before it were read" in str(problem)


def test_a_dataset_the_newer_file_does_not_mention_keeps_its_stakes_unended(curated, tmp_path):
    other = {**ftm_stake(3), "datasets": ["other_registry"]}
    add_import(ftm_file(tmp_path / "june.ftm.json", (1, 2), [other]), curated, kind="ftm", started=JUNE)
    newer = add_import(ftm_file(tmp_path / "september.ftm.json", (1, 2)), curated, kind="ftm", started=SEPTEMBER)
    assert newer.ended == 0
    g = load()
    assert graphs_of(g, FTM["stake-3"]) == [newer.graph] and g.value(FTM["stake-3"], ECG.validUntil) is None


# --------------------------------------------------------------------------- the same file read again another way


def test_a_file_first_given_to_the_wrong_importer_can_then_be_imported_by_the_right_one(curated, tmp_path):
    path = write_lines(tmp_path / "statements.jsonl", bods_statements((1, 2, 3)))
    wrong = add_import(path, curated, kind="ftm", started=JUNE)  # JSON lines, but no FtM entity among them
    assert (wrong.records, wrong.imported) == (7, 0)
    right = add_import(path, curated, kind="bods", started=JUNE)
    assert not right.unchanged and right.imported == 7 and right.name != wrong.name
    assert add_import(path, curated, kind="bods", started=SEPTEMBER).unchanged  # the same importer again: nothing new


def test_a_file_first_imported_as_partial_can_then_be_imported_in_full(curated, tmp_path):
    path = ftm_file(tmp_path / "june.ftm.json", (1, 2, 3))
    partial = add_import(path, curated, kind="ftm", started=JUNE, partial=True)
    full = add_import(path, curated, kind="ftm", started=JUNE)  # the same day: a name of its own
    assert not full.unchanged and full.imported == 7 and full.name == f"{partial.name}-2"
    assert [(s.partial, s.superseded_by) for s in list_imports()] == [(True, full.name), (False, "")]
    g = load()
    assert graphs_of(g, FTM["stake-3"]) == [full.graph]  # held once, by the full import
    again = add_import(path, curated, kind="ftm", started=JUNE, partial=True)
    assert again.unchanged and again.name == full.name  # a full import holds all a partial one of its file would
