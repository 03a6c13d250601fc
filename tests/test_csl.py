"""Importing the Consolidated Screening List: both shapes, bad rows, linking, the import store.

Fixtures in tests/data (organisations only; all but the Huawei rows are invented):

    csl_sample.csv   row 2  Huawei Technologies Co., Ltd.   EL   aliases "Huawei; Huawei Technologies",
                                                                 two addresses (CN; HK), two FR citations
                     row 3  Example Precision Optics         EL   policy text that maps to no policy node
                     row 4  Example Freight Forwarding LLC   DPL  ended 2020-10-15, "82 F.R. 48792 10/01/2017"
                     row 5  duplicate of row 2 (same _id)
                     row 6  Example Aviation Industry Corp   MEU
                     row 7  broken: 12 fields
                     row 8  a list the graph does not know: "Imaginary Export List (IEL) - Nowhere Department"
                     row 9  bad start date 2020-13-45
                     row 10 Huawei Technology Co., Ltd.      UVL  a near miss of the curated Huawei: review
    csl_sample.tsv   rows 2, 3, 4, 6, 10 of the CSV, tab-separated
    csl_sample.json  the same five records, then a broken record and a bad date
    csl_newer.csv    a later file: Example Precision Optics gone, Example Quantum Computing Institute new,
                     the Imaginary Export List row still there
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import sys
from pathlib import Path

import pytest
from rdflib import OWL, RDF, RDFS, Graph, Literal, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import DCTERMS, PROV, SKOS

from graph.readwrite.csl import COLUMNS, CSL, convert, file_node, read_csl, run_node, to_graph
from graph.errors import InputError, UnknownNameError
from graph.readwrite.imports import add_import, list_imports, remove_import
from graph.store.load import load
from graph.namespace import ECG, ID

DATA = Path(__file__).parent / "data"
SAMPLE_CSV, SAMPLE_TSV, SAMPLE_JSON, NEWER = (DATA / n for n in (
    "csl_sample.csv", "csl_sample.tsv", "csl_sample.json", "csl_newer.csv"))
JUNE = dt.datetime(2025, 6, 1, 9, 0, tzinfo=dt.timezone.utc)
JULY = dt.datetime(2025, 7, 1, 9, 0, tzinfo=dt.timezone.utc)

HUAWEI = ID["firm/huawei"]
HUAWEI_ROW = CSL["5f1c2e0c8a7d4b9e13f0a6b2c4d8e9f1a2b3c4d5"]
OPTICS_ROW = CSL["a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9"]
FREIGHT_ROW = CSL["0c9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a3b2c1d"]
NEAR_MISS_ROW = CSL["1234567890abcdef1234567890abcdef12345678"]
QUANTUM_ROW = CSL["b1b2b3b4b5b6b7b8b9b0c1c2c3c4c5c6c7c8c9c0"]


def listing(party: URIRef) -> URIRef:
    return URIRef(f"{party}/listing")


def converted(path: Path, g: Graph, name: str = "test", started=JUNE):
    records, problems = read_csl(path)
    sha = hashlib.sha256(path.read_bytes()).hexdigest()
    conv = convert(records, g, name=name, file=path, sha256=sha, started=started, problems=problems)
    return to_graph(conv.triples), conv.summary


@pytest.fixture(scope="module")
def sample(curated):
    return converted(SAMPLE_CSV, curated)


# --------------------------------------------------------------------------- reading


def test_both_shapes_give_the_same_parties_and_listings(curated):
    def content(path):
        out, summary = converted(path, curated)
        doc, run = file_node(summary.sha256), run_node(summary.name)
        anon = URIRef("urn:the-file")
        return to_graph((anon if s == doc else s, p, anon if o == doc else o)
                        for s, p, o in out if run not in (s, o) and s != doc)

    imaginary = (str(CSL["ffff0000ffff0000ffff0000ffff0000ffff0000"]), str(ID["list/imported/"]))
    csv_graph = to_graph(t for t in content(SAMPLE_CSV) if not str(t[0]).startswith(imaginary))  # row 8: CSV only
    assert isomorphic(csv_graph, content(SAMPLE_TSV))
    assert isomorphic(csv_graph, content(SAMPLE_JSON))


def test_multi_valued_fields_become_several_values(sample):
    out, _ = sample
    assert set(out.objects(HUAWEI_ROW, SKOS.altLabel)) == {Literal("Huawei"), Literal("Huawei Technologies")}
    assert len(set(out.objects(HUAWEI_ROW, ECG.address))) == 2
    assert set(out.objects(HUAWEI_ROW, ECG.addressCountry)) == {ID["country/CN"], ID["country/HK"]}
    assert set(out.objects(listing(HUAWEI_ROW), ECG.frCitation)) == {Literal("84 FR 22961"), Literal("85 FR 29849")}


def test_a_citation_of_a_curated_rule_also_cites_the_rule(sample):
    out, _ = sample
    assert (listing(HUAWEI_ROW), DCTERMS.source, ID["rule/84-FR-22961"]) in out


def test_an_ended_listing_is_kept_with_its_end_date_and_verbatim_notice(sample):
    out, _ = sample
    lst = listing(FREIGHT_ROW)
    assert out.value(lst, ECG.onList) == ID["list/denied-persons-list"]
    assert out.value(lst, ECG.validFrom) == Literal(dt.date(2017, 10, 18))
    assert out.value(lst, ECG.validUntil) == Literal(dt.date(2020, 10, 15))
    assert out.value(lst, ECG.frNotice) == Literal("82 F.R. 48792 10/01/2017")
    assert out.value(lst, ECG.frCitation) == Literal("82 FR 48792")


def test_each_party_is_typed_by_the_csl_type_and_each_listing_cites_the_file(sample):
    out, summary = sample
    assert (HUAWEI_ROW, RDF.type, ECG.Firm) in out
    doc = file_node(summary.sha256)
    assert all((lst, DCTERMS.source, doc) in out for lst in out.subjects(RDF.type, ECG.Listing))
    assert out.value(doc, ECG.sha256) == Literal(summary.sha256)
    run = run_node(summary.name)
    assert out.value(run, ECG.importedFile) == doc
    assert out.value(run, ECG.recordCount) == Literal(6)
    assert out.value(run, PROV.startedAtTime) is not None


def test_a_licence_policy_maps_to_a_policy_node_by_label_else_stays_a_note(sample):
    out, _ = sample
    assert out.value(listing(HUAWEI_ROW), ECG.reviewPolicy) == ID["policy/presumption-of-denial"]
    assert out.value(listing(OPTICS_ROW), ECG.reviewPolicy) is None
    notes = [str(n) for n in out.objects(listing(OPTICS_ROW), ECG.note)]
    assert any(n.startswith("Licence review policy (verbatim): Case-by-case review for items") for n in notes)


def test_bad_rows_are_reported_with_their_row_numbers_and_skipped(sample):
    out, summary = sample
    assert [(p.row, p.kind) for p in summary.problems] == [
        (5, "duplicate"), (7, "broken row"), (8, "new list"), (9, "bad date")]
    assert (summary.records, summary.imported, summary.skipped) == (9, 6, 3)
    assert summary.reasons() == {"duplicate": 1, "broken row": 1, "bad date": 1}
    assert len(set(out.subjects(RDF.type, ECG.Listing))) == 6


def test_a_record_of_a_list_the_graph_does_not_know_is_kept_on_a_list_made_from_its_source(sample):
    out, summary = sample
    party = CSL["ffff0000ffff0000ffff0000ffff0000ffff0000"]
    new = out.value(listing(party), ECG.onList)
    assert (new, RDF.type, ECG.ScreeningList) in out
    assert out.value(new, ECG.cslSourceName) == Literal("Imaginary Export List (IEL) - Nowhere Department")
    assert out.value(new, DCTERMS.source) == file_node(summary.sha256)
    assert summary.new_lists == ("Imaginary Export List (IEL) - Nowhere Department",)


def test_bad_json_records_are_reported_with_their_position(curated):
    _, summary = converted(SAMPLE_JSON, curated)
    assert [(p.row, p.kind) for p in summary.problems] == [(6, "broken row"), (7, "bad date")]
    assert summary.imported == 5


def test_skipped_rows_keep_their_ids_so_a_reimport_does_not_end_them(sample, curated):
    _, summary = sample
    # row 7 broken (12 fields), row 9 a bad date; the duplicate (row 5) is present anyway
    assert summary.skipped_ids == {"a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9", "eeee1111eeee1111eeee1111eeee1111eeee1111"}
    _, from_json = converted(SAMPLE_JSON, curated)
    assert from_json.skipped_ids == {"dddd2222dddd2222dddd2222dddd2222dddd2222"}  # "not a record" has no id


def test_an_unreadable_csv_row_keeps_the_id_that_opens_it(tmp_path):
    lines = SAMPLE_CSV.read_text(encoding="utf-8").splitlines()
    broken = tmp_path / "quote.csv"
    broken.write_text("\n".join([lines[0], "h2,Entity List (EL) - Bureau of Industry and Security,,Entity,,"
                                            '"Broken "quote Co' + "," * 23, lines[1]]) + "\n", encoding="utf-8")
    records, problems = read_csl(broken)
    assert [(p.row, p.kind, p.key) for p in problems] == [(2, "broken row", "h2")]
    assert len(records) == 1


def test_a_file_that_is_not_utf8_is_one_line_naming_the_byte(tmp_path):
    latin1 = tmp_path / "latin1.csv"
    header = ",".join(COLUMNS)
    row = "x1,Entity List (EL) - Bureau of Industry and Security,,Entity,,Société Optique" + "," * 23
    latin1.write_bytes(f"{header}\n{row}\n".encode("latin-1"))
    at = len(header) + 1 + row.index("é")
    with pytest.raises(InputError, match=rf"latin1.csv: not UTF-8: byte {at} \(line 2\) is 0xe9; save it as UTF-8"):
        read_csl(latin1)


def test_a_utf8_file_with_a_byte_order_mark_is_read(tmp_path):
    bom = tmp_path / "bom.csv"
    bom.write_bytes(b"\xef\xbb\xbf" + SAMPLE_CSV.read_bytes())
    assert len(read_csl(bom)[0]) == len(read_csl(SAMPLE_CSV)[0])


@pytest.mark.parametrize("name,content,message", [
    ("empty.csv", "", r"empty.csv: empty file"),
    ("empty.json", "  \n", r"empty.json: empty file"),
    ("noresults.json", '{"total": 0}', r"noresults.json: not a CSL JSON file: no 'results' list"),
    ("null.json", '{"results": null}', r"null.json: not a CSL JSON file: no 'results' list"),
    ("array.json", '[{"name": "x"}]', r"array.json: not a CSL JSON file: no 'results' list"),
])
def test_an_empty_file_or_json_without_results_is_one_line(tmp_path, name, content, message):
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    with pytest.raises(InputError, match=message) as caught:
        read_csl(path)
    assert "\n" not in str(caught.value)


def test_import_command_gives_one_line_for_a_latin1_file(tmp_path, capsys):
    from graph.surfaces.cli import main

    bad = tmp_path / "latin1.csv"
    bad.write_bytes(SAMPLE_CSV.read_text(encoding="utf-8").encode("latin-1", "replace"))
    assert main(["import", "csl", str(bad)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "save it as UTF-8" in err


def test_a_file_without_the_csl_columns_is_refused_at_row_1(tmp_path):
    bad = tmp_path / "people.csv"
    bad.write_text("id,full_name,list\n1,Example Co,EL\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"people.csv:1: not a CSL header: no column source, name"):
        read_csl(bad)


def test_a_reordered_header_is_read_by_name_and_reported(tmp_path):
    rows = list(csv.reader(SAMPLE_CSV.open(encoding="utf-8", newline="")))
    order = list(reversed(range(len(COLUMNS))))
    path = tmp_path / "reordered.csv"
    with path.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows([[r[i] for i in order] for r in rows if len(r) == len(COLUMNS)])
    records, problems = read_csl(path)
    assert [p.kind for p in problems] == ["header", "duplicate", "bad date"]
    assert records[0].name == "Huawei Technologies Co., Ltd."


def test_list_names_come_from_the_graph_not_from_code(tmp_path):
    g = Graph()
    imaginary = URIRef("https://example.org/list/imaginary")
    g.add((imaginary, RDF.type, ECG.ScreeningList))
    g.add((imaginary, RDFS.label, Literal("Imaginary Export List")))
    g.add((imaginary, ECG.cslSourceName, Literal("Imaginary Export List (IEL) - Nowhere Department")))
    out, summary = converted(SAMPLE_CSV, g)
    assert {o for o in out.objects(None, ECG.onList) if not str(o).startswith(str(ID["list/imported/"]))} == {imaginary}
    assert summary.imported == 6 and len(summary.new_lists) == 4


# --------------------------------------------------------------------------- linking


def test_an_entity_named_like_a_curated_firm_is_linked_to_it(sample):
    out, summary = sample
    assert (HUAWEI_ROW, OWL.sameAs, HUAWEI) in out
    [match] = out.subjects(ECG.matchedRecord, HUAWEI_ROW)
    assert out.value(match, ECG.matchedParty) == HUAWEI
    assert out.value(match, ECG.accepted).toPython() is True
    assert out.value(match, ECG.matchScore).toPython() == 100
    assert [(m.record, m.party) for m in summary.linked] == [(str(HUAWEI_ROW), str(HUAWEI))]


def test_a_weak_match_is_recorded_for_review_and_not_merged(sample):
    out, summary = sample
    assert (NEAR_MISS_ROW, OWL.sameAs, None) not in out
    [match] = out.subjects(ECG.matchedRecord, NEAR_MISS_ROW)
    assert out.value(match, ECG.accepted).toPython() is False
    assert 80 <= out.value(match, ECG.matchScore).toPython() < 95
    assert [m.record_name for m in summary.review] == ["Huawei Technology Co., Ltd."]


def test_unrelated_entities_are_not_linked(sample):
    out, _ = sample
    assert (OPTICS_ROW, OWL.sameAs, None) not in out
    assert (None, ECG.matchedRecord, OPTICS_ROW) not in out


def test_linking_works_on_both_stores(g):
    out, summary = converted(SAMPLE_CSV, g)
    assert (HUAWEI_ROW, OWL.sameAs, HUAWEI) in out and len(summary.review) == 1


# --------------------------------------------------------------------------- the store


def test_an_import_is_kept_and_loaded_by_every_command(curated):
    summary = add_import(SAMPLE_CSV, curated, started=JUNE)
    assert [s.name for s in list_imports()] == [summary.name]
    ds = load()
    assert (listing(HUAWEI_ROW), ECG.onList, ID["list/entity-list"]) in ds
    rows = ds.query(
        "SELECT ?party ?list ?firm WHERE { ?l a ecg:Listing ; ecg:onList ?list ; ecg:listedParty ?party . ?party owl:sameAs ?firm }",
        initBindings={"list": ID["list/entity-list"], "firm": HUAWEI})
    assert [r.party for r in rows] == [HUAWEI_ROW]


def test_importing_the_same_file_again_changes_nothing(curated):
    first = add_import(SAMPLE_CSV, curated, started=JUNE)
    before = {p.name: p.read_bytes() for p in (Path(list_imports()[0].path).parent).iterdir()}
    again = add_import(SAMPLE_CSV, curated, started=JULY)
    after = {p.name: p.read_bytes() for p in (Path(list_imports()[0].path).parent).iterdir()}
    assert again.unchanged and again.name == first.name
    assert before == after
    assert isomorphic(converted(SAMPLE_CSV, curated)[0], converted(SAMPLE_CSV, curated)[0])


def test_a_newer_file_records_what_was_added_and_what_ended(curated):
    add_import(SAMPLE_CSV, curated, name="june", started=JUNE)
    newer = add_import(NEWER, curated, name="july", started=JULY)
    assert (newer.added, newer.ended) == (1, 1)
    ds = load(store="memory")
    run = run_node("july")
    assert (run, PROV.generated, listing(QUANTUM_ROW)) in ds
    assert (run, PROV.invalidated, listing(OPTICS_ROW)) in ds
    assert ds.value(listing(OPTICS_ROW), ECG.validUntil) == Literal(dt.date(2025, 6, 30))
    assert ds.value(listing(HUAWEI_ROW), ECG.validUntil) is None


def test_an_ended_listing_survives_removing_the_earlier_import(curated):
    add_import(SAMPLE_CSV, curated, name="june", started=JUNE)
    add_import(NEWER, curated, name="july", started=JULY)
    remove_import("june")
    ds = load()
    assert ds.value(listing(OPTICS_ROW), ECG.listedParty) == OPTICS_ROW
    assert ds.value(listing(OPTICS_ROW), ECG.validUntil) == Literal(dt.date(2025, 6, 30))
    assert ds.value(listing(FREIGHT_ROW), ECG.validUntil) == Literal(dt.date(2020, 10, 15))


def test_removing_an_unknown_import_names_the_closest(curated):
    add_import(SAMPLE_CSV, curated, name="june", started=JUNE)
    with pytest.raises(UnknownNameError, match="did you mean 'june'"):
        remove_import("jun")


def test_imported_facts_conform_to_the_shapes(curated):
    from graph.store.validate import validate

    add_import(SAMPLE_CSV, curated, started=JUNE)
    report = validate(load())
    mine = [v for v in report.violations if v.focus.startswith((str(CSL), str(ID["import/"]), str(ID["file/"])))]
    assert mine == []


def test_the_exposure_engine_reports_an_imported_entity_list_party(curated):
    from graph.reasoning.exposure import Usage, exposures
    from graph.store.names import resolve

    add_import(SAMPLE_CSV, curated, started=JUNE)
    g = load()
    usage = Usage(chip=str(resolve(g, "H100", "chip")), user=str(OPTICS_ROW), as_of=dt.date(2025, 6, 1))
    found = exposures(g, usage).exposures
    assert str(OPTICS_ROW) in {e.party for e in found}
    assert any(str(ID["list/entity-list"]) in {s.o for s in e.path} for e in found if e.party == str(OPTICS_ROW))


# --------------------------------------------------------------------------- the command line


def test_import_command_prints_the_summary(capsys):
    from graph.surfaces.cli import main

    assert main(["import", "csl", str(SAMPLE_CSV), "--name", "june"]) == 0
    out = capsys.readouterr().out
    assert "imported 6 of 9 records" in out
    assert "linked  Huawei Technologies Co., Ltd. = Huawei Technologies Co., Ltd." in out
    assert "row 8: new list" in out
    assert main(["import", "--list"]) == 0
    assert "june" in capsys.readouterr().out
    assert main(["import", "--remove", "june"]) == 0
    assert list_imports() == []


def test_import_command_gives_one_line_for_a_bad_file(tmp_path, capsys):
    from graph.surfaces.cli import main

    bad = tmp_path / "notes.csv"
    bad.write_text("a,b\n1,2\n", encoding="utf-8")
    assert main(["import", "csl", str(bad)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1 and "notes.csv:1" in err


# --------------------------------------------------------------------------- a file of any size


def write_synthetic_csl(path: Path, n: int) -> Path:
    """Write an ``n``-record CSL CSV of the published shape (invented organisations, real list names)."""
    sources = ["Entity List (EL) - Bureau of Industry and Security",
               "Military End User (MEU) List - Bureau of Industry and Security",
               "Specially Designated Nationals (SDN) - Treasury Department",
               "Non-SDN Chinese Military-Industrial Complex Companies List (CMIC) - Treasury Department"]
    countries = ["CN", "HK", "RU", "IR", "AE", "SG", "TR", "BY"]
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(COLUMNS)
        for i in range(n):
            row = dict.fromkeys(COLUMNS, "")
            c = countries[i % len(countries)]
            row.update({
                "_id": hashlib.sha1(f"synthetic-{i}".encode()).hexdigest(), "source": sources[i % len(sources)],
                "type": "Entity", "programs": "EAR", "name": f"Example Trading Company No. {i} Ltd.",
                "addresses": f"{i} Example Road, Example City, , , {c}; Unit {i}, Example Tower, Example Town, , , HK",
                "federal_register_notice": f"{80 + i % 10} FR {1000 + i}", "start_date": f"20{10 + i % 15}-0{1 + i % 9}-1{i % 10}",
                "end_date": "2024-12-31" if i % 50 == 0 else "",
                "license_requirement": "For all items subject to the EAR.", "license_policy": "Presumption of denial.",
                "alt_names": f"Example Trading {i}; ETC {i}",
            })
            w.writerow([row[c] for c in COLUMNS])
    return path


def test_a_synthetic_file_imports_every_record(tmp_path, curated):
    path = write_synthetic_csl(tmp_path / "synthetic.csv", 300)
    seen = []
    summary = add_import(path, curated, started=JUNE, progress=lambda done, total: seen.append((done, total)))
    assert (summary.records, summary.imported, summary.skipped) == (300, 300, 0)
    assert seen[-1] == (300, 300)


if __name__ == "__main__":  # benchmark: python tests/test_csl.py [N]
    import os
    import tempfile
    import time

    n = int(sys.argv[1]) if len(sys.argv) > 1 else 30_000
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["ECGRAPH_DATA_DIR"] = tmp
        path = write_synthetic_csl(Path(tmp) / "consolidated.csv", n)
        g = load(imports=False)
        t0 = time.perf_counter()
        summary = add_import(path, g)
        t1 = time.perf_counter()
        ds = load()
        t2 = time.perf_counter()
        size = Path(list_imports()[0].path).stat().st_size
        print(f"{n} records ({path.stat().st_size / 1e6:.1f} MB CSV): imported {summary.imported} in {t1 - t0:.1f} s "
              f"({summary.imported / (t1 - t0):,.0f} records/s); store file {size / 1e6:.1f} MB; "
              f"load() with the import: {t2 - t1:.1f} s, {len(ds):,} triples")


def test_a_newer_full_file_supersedes_the_earlier_import_so_no_fact_is_held_twice(curated):
    add_import(SAMPLE_CSV, curated, name="june", started=JUNE)
    add_import(NEWER, curated, name="july", started=JULY)
    status = {s.name: s.superseded_by for s in list_imports()}
    assert status == {"june": "july", "july": ""}
    for store in ("oxigraph", "memory"):
        rows = list(load(store=store).query("SELECT ?l WHERE { ?l a ecg:Listing ; ecg:onList ?list }"))
        assert len(rows) == len(set(rows)), store
    remove_import("july")  # the earlier import is current again
    assert [s.superseded_by for s in list_imports()] == [""]


def test_a_partial_file_ends_nothing_and_supersedes_nothing(curated):
    add_import(SAMPLE_CSV, curated, name="june", started=JUNE)
    partial = add_import(NEWER, curated, name="july", started=JULY, partial=True)
    assert partial.ended == 0
    assert [s.superseded_by for s in list_imports()] == ["", ""]
    assert load(store="memory").value(listing(OPTICS_ROW), ECG.validUntil) is None


# --------------------------------------------------------------------------- hostile input loses nothing good


EL = "Entity List (EL) - Bureau of Industry and Security"


def _record(i: int, **extra) -> str:
    fields = {"id": f"good{i}", "name": f"Example Good Company {i}", "type": "Entity", "source": EL,
              "start_date": "2020-01-01", **extra}
    return "{" + ", ".join(f'"{k}": {v if k.startswith("raw") else json_text(v)}' for k, v in fields.items()) + "}"


def json_text(value) -> str:
    import json

    return json.dumps(value)


def test_a_json_file_with_a_huge_number_a_lone_surrogate_and_deep_nesting_keeps_every_good_record(tmp_path, capsys):
    huge = '{"id": "huge1", "name": "Huge Number Co", "type": "Entity", "source": "%s", "gross_tonnage": 1%s}' % (EL, "0" * 5000)
    lone = '{"id": "lone1", "name": "Lone \\ud800 Surrogate", "type": "Entity", "source": "%s"}' % EL
    deep = '{"id": "deep1", "name": "Deep", "source": "%s", "remarks": %s"x"%s}' % (EL, "[" * 5000, "]" * 5000)
    path = tmp_path / "consolidated.json"
    path.write_text('{"results": [' + ", ".join([_record(1), huge, lone, deep, _record(2)]) + '], "total": 5}',
                    encoding="utf-8")
    records, problems = read_csl(path)
    assert [r.name for r in records] == ["Example Good Company 1", "Huge Number Co", "Example Good Company 2"]
    assert [(p.row, p.kind) for p in problems] == [(3, "broken row"), (4, "broken row")]
    assert "lone surrogate" in problems[0].detail and "nested deeper" in problems[1].detail
    from graph.surfaces.cli import main

    assert main(["import", "csl", str(path)]) == 0
    out = capsys.readouterr().out
    assert "consolidated.json: row 3: broken row: name holds a lone surrogate" in out
    assert "consolidated.json: row 4: broken row: a record nested deeper than can be read" in out


def test_an_unterminated_quote_loses_only_its_own_row(tmp_path):
    good = SAMPLE_CSV.read_text(encoding="utf-8").splitlines()
    broken = 'q1,' + EL + ',,Entity,,"Unterminated Quote Co' + "," * 23
    path = tmp_path / "quote.csv"
    path.write_text("\n".join([good[0], good[1], broken, good[2], good[3]]) + "\n", encoding="utf-8")
    records, problems = read_csl(path)
    assert [r.name for r in records] == ["Huawei Technologies Co., Ltd.", "Example Precision Optics Co., Ltd.",
                                         "Example Freight Forwarding LLC"]
    [problem] = problems
    assert (problem.row, problem.kind, problem.key) == (3, "broken row", "q1")
    assert problem.detail.startswith("line 3: ")


def test_a_quoted_field_over_several_lines_is_still_one_row(tmp_path):
    rows = list(csv.reader(SAMPLE_CSV.open(encoding="utf-8", newline="")))
    rows[1][COLUMNS.index("remarks")] = "first line\nsecond line"
    path = tmp_path / "multiline.csv"
    with path.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows(rows[:4])
    records, problems = read_csl(path)
    assert len(records) == 3 and problems == []
    assert records[0].remarks == "first line\nsecond line"
