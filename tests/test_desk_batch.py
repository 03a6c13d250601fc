"""Batch screening, the audit record, the screening memo, --compare and watched answers, on the command line."""

import csv
import json
from pathlib import Path

import pytest

from graph.surfaces.cli import main

DATA = Path(__file__).parent / "data"
ASCEND = ["--chip", "Huawei Ascend 910C", "--activity", "training", "--user-country", "MY", "--for-country", "CN"]

BATCH = """chip,activity,user_country,for_country,supplier,where,as_of,party
Huawei Ascend 910C,training,MY,CN,,,2025-06-01,
H100,,SG,,NVIDIA,SG,2026-06-01,
H100,,XX,,,,2025-06-01,
,,,,,,2025-06-01,HiSilicon
,,,,,,2025-06-01,Nobody Ltd
H100,,SG,,,,not-a-date,
,,,,,,2025-06-01,NVIDIA
"""


def run(capsys, *args):
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def batch(tmp_path):
    path = tmp_path / "batch.csv"
    path.write_text(BATCH, encoding="utf-8")
    return path


def test_a_batch_answers_every_row_and_bad_rows_become_error_rows(capsys, batch, tmp_path):
    out = tmp_path / "out.csv"
    code, said, err = run(capsys, "screen", batch, "-o", out)
    assert code == 0 and "7 rows" in said and "4 answered, 3 errors" in said
    rows = {int(r["row"]): r for r in csv.DictReader(out.open(encoding="utf-8"))}
    assert sorted(rows) == [2, 3, 4, 5, 6, 7, 8]
    assert rows[2]["verdict"] == "exposed" and "GP10" in rows[2]["details"]
    assert rows[4]["error"].startswith("unknown country 'XX'") and rows[4]["verdict"] == ""
    assert rows[5]["kind"] == "counterparty" and rows[5]["verdict"] == "listed" and "84 FR 22961" in rows[5]["details"]
    assert "unknown party 'Nobody Ltd'" in rows[6]["error"]
    assert "not-a-date" in rows[7]["error"]
    assert rows[8]["verdict"] == "not listed"
    assert len({r["data_version"] for r in rows.values()}) == 1 and len(rows[2]["data_version"]) == 64
    assert "row 4: unknown country" in err


def test_xlsx_in_and_json_and_xlsx_out(capsys, batch, tmp_path):
    from openpyxl import Workbook, load_workbook

    wb = Workbook()
    ws = wb.active
    for line in csv.reader(batch.open(encoding="utf-8")):
        ws.append(line)
    src = tmp_path / "batch.xlsx"
    wb.save(src)
    code, _, _ = run(capsys, "screen", src, "-o", tmp_path / "out.json")
    body = json.loads((tmp_path / "out.json").read_text(encoding="utf-8"))
    assert code == 0 and len(body["results"]) == 7 and body["audit"]["data_version"]
    assert body["results"][0]["error"] is None and body["results"][2]["verdict"] is None
    code, _, _ = run(capsys, "screen", batch, "-o", tmp_path / "out.xlsx")
    sheet = load_workbook(tmp_path / "out.xlsx", read_only=True)["results"]
    values = list(sheet.iter_rows(values_only=True))
    assert code == 0 and values[0][:4] == ("row", "kind", "question", "verdict") and len(values) == 8


def test_a_file_without_a_chip_or_party_column_is_one_line(capsys, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("name,country\nA,B\n", encoding="utf-8")
    code, _, err = run(capsys, "screen", bad)
    assert code == 2 and "row 1 names no 'chip' or 'party' column" in err and len(err.splitlines()) == 1
    assert not (tmp_path / "bad-screened.csv").exists()


def test_the_memo_is_byte_stable_but_for_its_time(capsys, tmp_path):
    a, b = tmp_path / "a.html", tmp_path / "b.html"
    for path in (a, b):
        code, _, _ = run(capsys, "expose", *ASCEND, "--as-of", "2025-06-01", "--report", path)
        assert code == 0
    import re

    def strip(text):
        return re.sub(r"<dt>time</dt><dd>[^<]*</dd>", "", text)

    first, second = a.read_text(encoding="utf-8"), b.read_text(encoding="utf-8")
    assert strip(first) == strip(second)
    assert "exposed" in first and "https://www.federalregister.gov/" in first and "ontology/ecg.ttl" in first
    assert "@media print" in first and "<script" not in first


def test_compare_says_what_changes_between_two_dates(capsys):
    code, out, _ = run(capsys, "expose", *ASCEND, "--as-of", "2025-01-01", "--compare", "2025-06-01",
                       "--format", "json")
    answer = json.loads(out)
    assert code == 0 and answer["usage"]["as_of"] == "2025-01-01" and answer["compare"]["to"] == "2025-06-01"
    assert any(c["change"] in ("new", "changed") and "GP10" in c["restriction"] and c["after"] == "enforcement risk"
               for c in answer["compare"]["changes"])
    assert answer["audit"]["question"]["chip"] and answer["audit"]["data_version"]  # the audit record rides along
    code, out, _ = run(capsys, "expose", *ASCEND, "--as-of", "2025-01-01", "--compare", "2025-06-01")
    assert code == 0 and "from 2025-01-01 to 2025-06-01" in out and "-> enforcement risk" in out
    code, out, _ = run(capsys, "expose", *ASCEND, "--as-of", "2025-06-01", "--compare", "2025-06-02")
    assert code == 0 and "no change in the answer" in out


def test_a_watched_party_changes_after_an_import(capsys):
    assert run(capsys, "watch")[1].startswith("nothing watched")
    code, out, _ = run(capsys, "watch", "add", "huawei", "--party", "Huawei")
    assert code == 0 and "listed" in out
    assert run(capsys, "watch", "add", "nobody", "--party", "Nobody Ltd")[0] == 2
    code, out, _ = run(capsys, "watch", "--format", "json")
    assert code == 0 and json.loads(out)["changed"] == []
    assert run(capsys, "import", "csl", DATA / "csl_sample.csv")[0] == 0
    code, out, _ = run(capsys, "watch", "--format", "json")
    changed = json.loads(out)["changed"]
    assert code == 0 and [c["name"] for c in changed] == ["huawei"] and changed[0]["new"]
    assert changed[0]["data_before"] != changed[0]["data_after"] and changed[0]["new_imports"][0].startswith("csl-")
    code, out, _ = run(capsys, "watch", "add", "hisilicon", "--party", "HiSilicon")
    assert code == 0
    code, out, _ = run(capsys, "watch")
    assert code == 0 and "checked 2 saved answers" in out and "0 changed" in out
    assert json.loads(run(capsys, "watch", "--format", "json")[1])["changed"] == []  # stored: no change twice
    assert run(capsys, "watch", "remove", "huawei")[0] == 0
    assert [w["name"] for w in json.loads(run(capsys, "watch", "list", "--format", "json")[1])] == ["hisilicon"]
    assert run(capsys, "watch", "remove", "huawei")[0] == 2


def test_a_broken_line_or_a_spreadsheet_encoding_does_not_stop_the_batch(capsys, tmp_path):
    src = tmp_path / "odd.csv"
    src.write_bytes("party,as_of\nHiSilicon,2025-06-01\nBad\x00Row,2025-06-01\nNVIDIA,2025-06-01\n"
                    "Soci\xe9t\xe9 Inconnue,2025-06-01\n".encode("cp1252"))
    out = tmp_path / "odd-out.csv"
    code, said, _ = run(capsys, "screen", src, "-o", out)
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert code == 0 and len(rows) == 4, said
    assert [r["verdict"] for r in rows] == ["listed", "", "not listed", ""]
    assert "unreadable row" in rows[1]["error"] or "unknown party" in rows[1]["error"]
    assert "Société Inconnue" in rows[3]["question"]  # read as Windows-1252, not mangled


def test_an_unterminated_quote_is_one_error_row_and_the_rows_after_it_are_screened(capsys, tmp_path):
    src = tmp_path / "quote.csv"
    src.write_text('party,as_of\nHiSilicon,2025-06-01\n"NVIDIA,2025-06-01\nNVIDIA,2025-06-01\n'
                   'HiSilicon,2025-06-01\n', encoding="utf-8")
    out = tmp_path / "quote-out.csv"
    code, said, _ = run(capsys, "screen", src, "-o", out)
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert code == 0 and [r["row"] for r in rows] == ["2", "3", "4", "5"], said
    assert [r["verdict"] for r in rows] == ["listed", "", "not listed", "listed"]
    assert "unreadable" in rows[1]["error"]
