"""Importing FollowTheMoney entities (OpenSanctions) and writing them back.

tests/fixtures/ftm/entities.ftm.json, one entity a line:

    line 1  Company  NK-huawei-tech      "HUAWEI TECHNOLOGIES CO., LTD." (the curated Huawei, in capitals)
    line 2  Company  NK-example-sub      Example Cloud Subsidiary Sdn. Bhd. (MY)
    line 3  Person   NK-example-person   Jane Example
    line 4  Ownership   NK-huawei-tech --60%--> NK-example-sub, from 2024-01-15
    line 5  Directorship Jane Example -> NK-example-sub, start "2024" (not a full date: a note)
    line 6  Sanction  NK-huawei-tech, programme "Entity List (EL) - Bureau of Industry and Security"
    line 7  Sanction  Jane Example, "Example Asset Freeze Programme" (a list the graph does not know)
    line 8  Address   (a schema the graph does not hold: skipped)
    line 9  not JSON
    line 10 Ownership without an owner (required by the FtM schema)
    line 11 an unknown schema
"""

from __future__ import annotations

import datetime as dt
import json
import random
import sys
from pathlib import Path

import pytest
from rdflib import RDF, Literal
from rdflib.namespace import DCTERMS

from graph.readwrite.csl import to_graph
from graph.readwrite.ftm import FTM, convert_file
from graph.readwrite.imports import add_import, list_imports
from graph.store.load import load
from graph.namespace import ECG, ID

FIXTURE = Path(__file__).parent / "fixtures" / "ftm" / "entities.ftm.json"
JUNE = dt.datetime(2025, 6, 1, 9, 0, tzinfo=dt.timezone.utc)


def converted(path: Path, g, name: str = "test"):
    conv = convert_file(path, g, name=name, sha256="0" * 64, started=JUNE)
    out = to_graph(conv.triples)
    return out, conv.summary


@pytest.fixture(scope="module")
def sample(curated):
    return converted(FIXTURE, curated)


def test_every_line_is_kept_or_reported_with_its_line_number_and_reason(sample):
    _, summary = sample
    assert dict(summary.kept) == {"Company": 2, "Person": 1, "Ownership": 1, "Directorship": 1, "Sanction": 2}
    assert [(p.row, p.kind) for p in summary.problems if p.kind not in ("note", "new list")] == [
        (8, "not imported"), (9, "broken line"), (10, "invalid entity"), (11, "invalid entity")]
    assert (summary.records, summary.imported, summary.skipped) == (11, 7, 4)
    assert "no owner (required by the FtM schema)" in str(summary.problems[-2])


def test_an_ownership_becomes_a_stake_citing_its_source_record(sample):
    out, _ = sample
    stake = FTM["ownership-huawei-sub"]
    assert out.value(stake, ECG.owner) == FTM["NK-huawei-tech"] and out.value(stake, ECG.owned) == FTM["NK-example-sub"]
    assert out.value(stake, ECG.percentage).toPython() == 60
    assert out.value(stake, ECG.validFrom) == Literal(dt.date(2024, 1, 15))
    [source] = out.objects(stake, DCTERMS.source)
    assert (source, RDF.type, ECG.SourceRecord) in out
    assert str(out.value(source, ECG.externalId)) == "ownership-huawei-sub"


def test_a_sanction_goes_on_the_list_its_programme_names_and_an_unknown_programme_on_a_new_list(sample):
    out, summary = sample
    assert out.value(FTM["sanction-huawei-el/listing"], ECG.onList) == ID["list/entity-list"]
    assert out.value(FTM["sanction-huawei-el/listing"], ECG.reviewPolicy) == ID["policy/presumption-of-denial"]
    new = out.value(FTM["sanction-person-new/listing"], ECG.onList)
    assert (new, RDF.type, ECG.ScreeningList) in out and summary.new_lists == ("Example Asset Freeze Programme",)


def test_a_party_is_linked_to_the_curated_firm_with_the_features_that_matched(sample):
    out, summary = sample
    [link] = summary.linked
    assert (link.record, link.party) == (str(FTM["NK-huawei-tech"]), str(ID["firm/huawei"]))
    assert any(f.startswith("name identical") for f in link.features) and "country CN on both" in link.features
    [match] = out.subjects(ECG.matchedRecord, FTM["NK-huawei-tech"])
    assert {str(f) for f in out.objects(match, ECG.matchFeature)} == set(link.features)


def test_an_empty_file_or_one_that_is_not_ftm_is_one_line(tmp_path, curated):
    from graph.errors import InputError

    for text, message in (("", "empty file"), ("id,name\n", "not an FtM entity file")):
        path = tmp_path / "x.ftm.json"
        path.write_text(text, encoding="utf-8")
        with pytest.raises(InputError, match=message) as caught:
            convert_file(path, curated, name="x", sha256="0" * 64, started=JUNE)
        assert "\n" not in str(caught.value)


def test_hostile_lines_are_reported_and_the_good_lines_around_them_kept(tmp_path, curated):
    good = json.dumps({"id": "c1", "schema": "Company", "properties": {"name": ["Good Co"]}})
    lines = [good, '{"id": "n1", "schema": "Company", "properties": {"name": ["' + "9" * 5000 + '"]}, "x": 1' + "0" * 5000 + "}",
             '{"id": "s1", "schema": "Company", "properties": {"name": ["\\ud800"]}}',
             "[" * 5000 + "]" * 5000, json.dumps({"id": "c2", "schema": "Company", "properties": {"name": ["Also Good"]}})]
    path = tmp_path / "hostile.ftm.json"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    _, summary = converted(path, curated)
    assert dict(summary.kept) == {"Company": 2}
    assert [p.row for p in summary.problems] == [2, 3, 4]
    assert all("\n" not in str(p) for p in summary.problems)


def test_a_stake_whose_dates_are_not_dates_is_reported_and_skipped_not_held_at_all_dates(tmp_path, curated):
    def stake(key: str, **dates) -> dict:
        return {"id": key, "schema": "Ownership", "properties": {"owner": ["c1"], "asset": ["c2"], "percentage": ["50"],
                                                                 **{k: [v] for k, v in dates.items()}}}

    lines = [{"id": "c1", "schema": "Company", "properties": {"name": ["Owner Co"]}},
             {"id": "c2", "schema": "Company", "properties": {"name": ["Owned Co"]}},
             stake("good", startDate="2025-02-28"),
             stake("bad", startDate="2025-02-30", endDate="tomorrow"),  # FtM's cleaning drops both values
             {"id": "s1", "schema": "Sanction", "properties": {"entity": ["c2"], "listingDate": ["2024-13-01"]}}]
    path = tmp_path / "dates.ftm.json"
    path.write_text("".join(json.dumps(e) + "\n" for e in lines), encoding="utf-8")
    out, summary = converted(path, curated)
    assert [str(p) for p in summary.problems if p.kind == "bad date"] == [
        "line 4: bad date: Ownership bad: startDate '2025-02-30', endDate 'tomorrow' are not dates "
        "(YYYY-MM-DD, YYYY-MM or YYYY)",
        "line 5: bad date: Sanction s1: listingDate '2024-13-01' is not a date (YYYY-MM-DD, YYYY-MM or YYYY)"]
    assert (summary.imported, summary.skipped) == (3, 2)
    assert (FTM["bad"], None, None) not in out and (FTM["s1/listing"], None, None) not in out
    assert out.value(FTM["good"], ECG.validFrom) == Literal(dt.date(2025, 2, 28))
    assert str(FTM["bad"]) in summary.skipped_ids  # an earlier import's fact of it is kept, never ended


# --------------------------------------------------------------------------- the store and the engine


def write_synthetic_ftm(path: Path, n: int, *, seed: int = 7) -> Path:
    """Write ``n`` FtM entities of the OpenSanctions shape: companies, people, ownership chains, sanctions.

    Every tenth entity is a 60% stake of one company in the next; the first is held
    by "Huawei Technologies Co., Ltd." (the curated Entity List firm), which the
    file names but does not sanction, in syn-c1.
    """
    rnd = random.Random(seed)
    countries = ["cn", "hk", "my", "sg", "ae", "ru", "tr", "de"]
    with path.open("w", encoding="utf-8") as fh:
        fh.write(json.dumps({"id": "syn-huawei", "schema": "Company", "datasets": ["syn"],
                             "properties": {"name": ["Huawei Technologies Co., Ltd."], "country": ["cn"]}}) + "\n")
        companies = 0
        for i in range(1, n):
            kind = i % 10
            if kind in (0, 1, 2, 3, 4):
                companies += 1
                e = {"id": f"syn-c{i}", "schema": "Company", "datasets": ["syn"],
                     "properties": {"name": [f"Synthetic Holding {i} Co., Ltd."], "country": [rnd.choice(countries)],
                                    "registrationNumber": [f"R{i:08d}"], "incorporationDate": ["2015-03-01"]}}
            elif kind == 5:
                e = {"id": f"syn-p{i}", "schema": "Person", "datasets": ["syn"],
                     "properties": {"name": [f"Person Example {i}"], "nationality": [rnd.choice(countries)]}}
            elif kind in (6, 7, 8):  # 60% of the next company by the one before; a minority stake; a person's stake
                owner, asset = {6: ("syn-huawei" if i == 6 else f"syn-c{i - 6}", f"syn-c{i - 5}"),
                                7: (f"syn-c{i - 5}", f"syn-c{i - 4}"), 8: (f"syn-p{i - 3}", f"syn-c{i - 4}")}[kind]
                e = {"id": f"syn-o{i}", "schema": "Ownership", "datasets": ["syn"],
                     "properties": {"owner": [owner], "asset": [asset],
                                    "percentage": ["60" if kind == 6 else str(rnd.randint(1, 49))],
                                    "startDate": ["2020-01-01"], "sourceUrl": [f"https://registry.example.org/{i}"]}}
            else:
                e = {"id": f"syn-s{i}", "schema": "Sanction", "datasets": ["syn"],
                     "properties": {"entity": [f"syn-c{i - 5}"], "program": ["Entity List (EL) - Bureau of Industry and Security"
                                                                          if i % 20 == 19 else "Example Freeze Programme"],
                                    "authority": ["Example Authority"], "listingDate": ["2021-05-01"]}}
            fh.write(json.dumps(e) + "\n")
    return path


def test_a_party_reached_only_through_imported_ownership_is_exposed_with_the_record_on_the_path(tmp_path, curated):
    from graph.reasoning.exposure import exposures
    from graph.reasoning.usage import usage_from_names

    path = write_synthetic_ftm(tmp_path / "entities.ftm.json", 3000)
    summary = add_import(path, curated, kind="ftm", started=JUNE)
    assert summary.skipped == 0 and summary.imported == 3000
    g = load()
    usage = usage_from_names(g, chip="H100", user="Synthetic Holding 1 Co., Ltd.", as_of="2025-10-01")
    found = [e for e in exposures(g, usage).exposures if e.party == str(FTM["syn-c1"])]
    assert found, "the 60% subsidiary of the curated Entity List firm is exposed through the imported stake"
    steps = {(s.s, s.p) for e in found for s in e.path}
    assert (str(FTM["syn-o6"]), str(ECG.owner)) in steps
    assert any(str(FTM["syn-o6/record"]) in s.sources for e in found for s in e.path)


def test_reimport_is_idempotent_and_a_newer_full_file_supersedes(tmp_path, curated):
    first = write_synthetic_ftm(tmp_path / "a.ftm.json", 200)
    add_import(first, curated, kind="ftm", name="june", started=JUNE)
    assert add_import(first, curated, kind="ftm", started=JUNE).unchanged
    second = write_synthetic_ftm(tmp_path / "b.ftm.json", 220)
    add_import(second, curated, kind="ftm", name="july", started=JUNE + dt.timedelta(days=30))
    assert {s.name: s.superseded_by for s in list_imports()} == {"june": "july", "july": ""}


def test_the_graph_written_as_ftm_is_valid_by_the_model_and_reads_back(tmp_path, curated):
    from followthemoney import model

    from graph.readwrite.export import export

    out = tmp_path / "graph.ftm.json"
    written = export(curated, None, out)
    entities = [model.get_proxy(json.loads(line)) for line in out.read_text(encoding="utf-8").splitlines()]
    assert written.count == len(entities) and written.format == "ftm"
    for e in entities:
        e.schema.validate(e.to_dict())
        assert not [p for p in e.schema.required if not e.get(p)]
    schemata = {e.schema.name for e in entities}
    assert {"Company", "Ownership", "Sanction"} <= schemata
    back, summary = converted(out, curated)
    assert summary.skipped == 0
    assert len(set(back.subjects(RDF.type, ECG.Ownership))) == len(set(curated.subjects(RDF.type, ECG.Ownership)))


def a_listed_firm(g, key: str, name: str, on_list) -> None:
    """Add to ``g`` a firm called ``name`` and its listing on ``on_list``."""
    from rdflib import RDFS

    firm, listing = ID[f"test/{key}"], ID[f"test/{key}/listing"]
    g.add((firm, RDF.type, ECG.Firm))
    g.add((firm, RDFS.label, Literal(name)))
    g.add((listing, RDF.type, ECG.Listing))
    g.add((listing, ECG.listedParty, firm))
    g.add((listing, ECG.onList, on_list))


def test_an_entity_ftm_cannot_hold_is_skipped_by_name_and_the_rest_is_written(tmp_path):
    from rdflib import RDFS, Graph

    from graph.readwrite.export import export

    g = Graph()
    g.add((ID["test/list"], RDFS.label, Literal("Example List")))
    a_listed_firm(g, "good", "Good Example Co", ID["test/list"])
    a_listed_firm(g, "long", "Long " + "L" * 5000 + " Co", ID["test/list"])  # FtM names hold 384 characters
    out = tmp_path / "graph.ftm.json"
    written = export(g, "ftm", out)
    names = [json.loads(line)["properties"].get("name") for line in out.read_text(encoding="utf-8").splitlines()]
    assert names == [["Good Example Co"], None]  # the good firm and its Sanction; never a shortened name
    assert (written.count, written.skipped) == (2, 2)
    assert written.notes == (
        f"skipped Company <{ID['test/long']}>: its name 'Long LLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLL'... "
        "(5,008 characters) is longer than the 384 characters an FtM name holds",
        f"skipped Sanction <{ID['test/long/listing']}>: its entity <{ID['test/long']}> was skipped")
    assert "skipped 2 entities" in str(written).splitlines()[0]


def test_an_ftm_export_that_fails_leaves_the_earlier_file_whole(tmp_path, curated, monkeypatch):
    import orjson

    from graph.readwrite.export import export

    out = tmp_path / "graph.ftm.json"
    export(curated, "ftm", out)
    before = out.read_bytes()
    dumps, calls = orjson.dumps, []

    def fails_on_the_third_entity(value, **options):
        calls.append(value)
        if len(calls) == 3:
            raise OSError("No space left on device")
        return dumps(value, **options)

    monkeypatch.setattr(orjson, "dumps", fails_on_the_third_entity)
    with pytest.raises(OSError):
        export(curated, "ftm", out)
    assert out.read_bytes() == before and [p.name for p in tmp_path.iterdir()] == ["graph.ftm.json"]

if __name__ == "__main__":  # benchmark: python tests/test_ftm.py [N]  (import time and peak RSS of N entities)
    import os
    import resource
    import tempfile
    import time

    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["ECGRAPH_DATA_DIR"] = tmp
        path = write_synthetic_ftm(Path(tmp) / "entities.ftm.json", n)
        g = load(imports=False)
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        t0 = time.perf_counter()
        summary = add_import(path, g, kind="ftm")
        t1 = time.perf_counter()
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        size = Path(list_imports()[0].path).stat().st_size
        print(f"{n:,} FtM entities ({path.stat().st_size / 1e6:.0f} MB): imported {summary.imported:,} in {t1 - t0:.1f} s "
              f"({summary.imported / (t1 - t0):,.0f} entities/s); linked {len(summary.linked)}, review {len(summary.review)}, "
              f"skipped {summary.skipped}; N-Quads {size / 1e6:.0f} MB; peak RSS {peak:.0f} MB "
              f"(before the import {before:.0f} MB)")


def test_a_party_of_a_dataset_that_is_one_list_is_on_it_without_a_sanction_record(tmp_path, curated):
    lines = [{"id": "dpl-1", "schema": "Person", "datasets": ["us_bis_denied"], "first_seen": "2023-04-05T10:00:00",
              "properties": {"name": ["Denied Example"], "topics": ["export.control"]}},
             {"id": "dpl-2", "schema": "Company", "datasets": ["us_bis_denied"],
              "properties": {"name": ["Denied Example Trading"]}},
             {"id": "dpl-2-s", "schema": "Sanction", "datasets": ["us_bis_denied"],
              "properties": {"entity": ["dpl-2"], "authority": ["Bureau of Industry and Security"],
                             "listingDate": ["2022-01-01"]}}]
    path = tmp_path / "dpl.ftm.json"
    path.write_text("".join(json.dumps(e) + "\n" for e in lines), encoding="utf-8")
    out, _ = converted(path, curated)
    on = {(out.value(lst, ECG.listedParty), out.value(lst, ECG.onList)) for lst in out.subjects(RDF.type, ECG.Listing)}
    dpl = ID["list/denied-persons-list"]
    assert on == {(FTM["dpl-1"], dpl), (FTM["dpl-2"], dpl)}  # dpl-2 once: by its Sanction, not again by its dataset
    [by_dataset] = out.subjects(ECG.listedParty, FTM["dpl-1"])
    assert out.value(by_dataset, ECG.validFrom) == Literal(dt.date(2023, 4, 5))


def test_the_fact_index_keeps_the_order_and_values_a_dict_would():
    from graph.readwrite.ftm import FactIndex

    index, mirror = FactIndex(), {}

    def note(cover, found):
        index.note(cover, found)
        mirror.setdefault(cover, {}).update(found)

    note("urn:c:b", {"urn:f:z": True, "urn:f:é": False})
    note("", {"urn:f:u": True})
    note("urn:c:a", {"urn:f:y": True})
    note("urn:c:b", {"urn:f:a": False, "urn:f:z": False})  # noted again: keeps its place, takes the newer value
    for cover in ("urn:c:a", "urn:c:new"):
        index.copy("", cover)
        mirror.setdefault(cover, {}).update(mirror[""])
    index.drop("")
    del mirror[""]
    assert list(index.listings) == list(mirror) == ["urn:c:b", "urn:c:a", "urn:c:new"]
    for cover, facts in mirror.items():
        held = index.listings[cover]
        assert list(held.items()) == list(facts.items()) and list(held) == list(facts) and len(held) == len(facts)
        assert all(held[k] == v and k in held for k, v in facts.items()) and "urn:f:nowhere" not in held
        for flag in (True, False):
            assert list(held.sorted_keys(flag)) == sorted(k for k, v in facts.items() if v == flag)
    index.mark("k1")
    assert index.marked("k1") and not index.marked("k2")


def test_the_import_index_writes_streamed_keys_as_it_writes_a_list():
    from graph.readwrite.ftm import FactIndex
    from graph.readwrite.imports import _sorted_keys

    index = FactIndex()
    index.note("urn:c", {"urn:f:b": True, "urn:f:ü": True, "urn:f:a": False, "urn:f:c": True})
    current = dict(index.listings["urn:c"].items())
    for flag, more in ((True, {"urn:f:bb", "urn:f:0"}), (False, set()), (True, set())):
        streamed, plain = _sorted_keys(index.listings["urn:c"], flag, more), _sorted_keys(current, flag, more)
        assert streamed == plain and len(streamed) == len(plain)
        assert json.dumps({"k": streamed}, indent=1) == json.dumps({"k": plain}, indent=1)
    assert json.dumps({"k": _sorted_keys(index.listings["urn:c"], False, set())}, indent=1) != \
        json.dumps({"k": _sorted_keys(current, True, set())}, indent=1)
