"""The command line as a user meets it: info, show, validate, expose, and the one-line errors."""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from graph.surfaces.cli import app, main

ROOT = Path(__file__).resolve().parent.parent


def run(capsys, *args):
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_info_counts_what_the_issue_asks_for(capsys):
    code, out, _ = run(capsys, "info", "--format", "json", "--as-of", "2026-11-29")
    assert code == 0
    data = json.loads(out)
    counts = data["counts"]
    import pycountry

    assert counts["Country"] >= len(pycountry.countries)
    assert counts["Firm"] >= 25 and counts["Chip"] >= 15 and counts["Restriction"] >= 10
    assert counts["Rule"] + counts["Guidance"] >= 12
    assert counts["Listing"] >= 15 and counts["Ownership"] >= 5
    status = {i["citation"]: i["status"] for i in data["instruments"]}
    assert status["90 FR 4544"] == "not enforced"
    assert status["90 FR 47201"] == "in force"


def test_info_shows_the_affiliates_rule_suspended_in_2026(capsys):
    _, out, _ = run(capsys, "info", "--format", "json", "--as-of", "2026-03-01")
    status = {i["citation"]: (i["status"], i["since"]) for i in json.loads(out)["instruments"]}
    assert status["90 FR 47201"] == ("suspended", "2025-11-10")


def test_show_huawei_lists_its_listings_with_citations_and_affiliates(capsys):
    code, out, _ = run(capsys, "show", "Huawei Technologies", "--format", "json")
    assert code == 0
    facts = json.loads(out)["facts"]
    listings = [f for f in facts if f["predicate"].endswith("#Listing")]
    assert {"84 FR 22961", "85 FR 29849"} <= {c for f in listings for c in re.findall(r"\d+ FR \d+", f["object_label"])}
    assert all(f["sources"] for f in listings)
    owned = [f["object_label"] for f in facts if f["predicate"].endswith("#Ownership")]
    assert any("HiSilicon" in o for o in owned)


def test_show_table_prints(capsys):
    code, out, _ = run(capsys, "show", "CN")
    assert code == 0 and "China" in out


def test_an_unknown_name_is_one_line_with_suggestions(capsys):
    code, out, err = run(capsys, "show", "Huawei Technologes")
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and "did you mean" in err and "huawei technologies" in err.lower()


def test_validate_exits_0_on_the_curated_data(capsys):
    code, out, _ = run(capsys, "validate")
    assert code == 0 and "conforms" in out


def test_validate_exits_1_with_violations_and_2_on_a_broken_file(capsys, tmp_path):
    bad = tmp_path / "bad.ttl"
    bad.write_text("@prefix ecg: <https://w3id.org/ecgraph/ontology#> .\n<urn:x> a ecg:Ownership .\n")
    code, out, _ = run(capsys, "validate", "--data", str(bad))
    assert code == 1 and "urn:x" in out
    broken = tmp_path / "broken.ttl"
    broken.write_text('@prefix ecg: <https://w3id.org/ecgraph/ontology#> .\n<urn:x> ecg:note "open .\n')
    code, out, err = run(capsys, "validate", "--data", str(broken))
    assert code == 2 and f"{broken}:2" in err


def test_data_that_breaks_the_shapes_is_refused_by_other_commands(capsys, tmp_path):
    bad = tmp_path / "bad.ttl"
    bad.write_text("@prefix ecg: <https://w3id.org/ecgraph/ontology#> .\n<urn:x> a ecg:Ownership .\n")
    code, _, err = run(capsys, "info", "--data", str(bad))
    assert code == 2 and "breaks the shapes" in err


def test_expose_scenario_1_as_json(capsys):
    code, out, _ = run(capsys, "expose", "--chip", "Huawei Ascend 910C", "--user-country", "MY",
                       "--for-country", "CN", "--activity", "training", "--as-of", "2025-06-01", "--format", "json")
    assert code == 0
    data = json.loads(out)
    assert {e["severity"] for e in data["exposures"]} >= {"enforcement risk", "red flag", "context"}
    assert data["verdict"] == "exposed"
    assert all(set(step) >= {"s", "p", "o"} for e in data["exposures"] for step in e["path"])


def test_expose_table_groups_by_party(capsys):
    code, out, _ = run(capsys, "expose", "--chip", "H100", "--user-country", "CN", "--as-of", "2025-06-01")
    assert code == 0 and "presumption of denial" in out


def test_expose_bad_date_and_unknown_country(capsys):
    code, _, err = run(capsys, "expose", "--chip", "H100", "--user-country", "SG", "--as-of", "June 1")
    assert code == 2 and "YYYY-MM-DD" in err
    code, _, err = run(capsys, "expose", "--chip", "H100", "--user-country", "ZZ")
    assert code == 2 and "unknown country 'ZZ'" in err


def test_expose_writes_exposures_as_rdf(capsys, tmp_path):
    from rdflib import Graph

    out = tmp_path / "exposures.ttl"
    code, _, _ = run(capsys, "expose", "--chip", "H100", "--user-country", "CN", "--as-of", "2025-06-01",
                     "--rdf", str(out))
    assert code == 0
    g = Graph().parse(out)
    assert len(list(g.subjects(predicate=None, object=None))) > 0


def test_every_command_has_help_and_is_in_the_readme():
    import typer.main

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    group = typer.main.get_command(app)
    for name, command in group.commands.items():
        assert command.help, name
        assert f"ecgraph {name}" in readme, f"README does not mention 'ecgraph {name}'"


def test_the_installed_entry_point_runs():
    result = subprocess.run([sys.executable, "-m", "graph.surfaces.cli", "--help"], capture_output=True, text=True, check=True)
    assert "expose" in result.stdout


def test_the_program_flushes_its_answer_and_keeps_its_exit_code_when_it_ends_without_teardown(tmp_path):
    env = {**os.environ, "ECGRAPH_DATA_DIR": str(tmp_path)}
    program = [sys.executable, "-m", "graph.surfaces.cli", "query", "--no-inferred", "--format", "csv"]
    rows = subprocess.run([*program, "SELECT ?c WHERE { ?c a ecg:Country }"], capture_output=True, text=True, env=env)
    assert rows.returncode == 0 and rows.stdout.startswith("c\n") and len(rows.stdout.splitlines()) > 100
    refused = subprocess.run([*program, "SELECT ?c WHERE {"], capture_output=True, text=True, env=env)
    assert refused.returncode == 2 and refused.stderr.startswith("error: ") and refused.stdout == ""


@pytest.mark.parametrize("argv, words", [
    (["expose", "--bogus"], "No such option"),
    (["nosuch"], "No such command"),
    (["view", "Huawei", "--depth", "abc"], "--depth"),
    (["serve", "--port", "99999"], "--port"),
    (["query", "SELECT * WHERE { ?s ?p ?o }", "--endpoint", "notaurl"], "not an http"),
    (["query", "SELECT * WHERE { SERVICE <http://example.org/sparql> { ?s ?p ?o } }"], "SERVICE"),
    (["expose", "--chip", "H100", "--user", "NVIDIA", "--user-country", "CN"], "not both"),
    (["expose", "--chip", "H100", "--user", "https://w3id.org/ecgraph/id/country/CN"], "unknown party"),
])
def test_usage_mistakes_are_one_line_and_exit_2(capsys, argv, words):
    code, out, err = run(capsys, *argv)
    assert code == 2 and words in err and err.count("\n") == 1 and "Traceback" not in err


def test_writing_to_a_folder_is_one_line(capsys, tmp_path):
    code, _, err = run(capsys, "export", "-o", str(tmp_path), "--format", "ttl")
    assert code == 2 and "is a folder" in err


def test_show_marks_derived_facts_apart_from_sourced_ones(capsys):
    code, out, _ = run(capsys, "show", "H100", "--format", "json", "--as-of", "2025-06-01")
    facts = json.loads(out)["facts"]
    derived = [f for f in facts if f["derived"]]
    assert [(f["predicate"].rsplit("#", 1)[1], f["object"].rsplit("/", 1)[1]) for f in derived] == [
        ("derivedClassification", "3A090.a")]
    assert all(f["sources"] for f in facts if not f["derived"] and not f["predicate"].endswith("#type"))
    code, out, _ = run(capsys, "show", "H100", "--format", "json", "--no-inferred")
    assert not any(f["derived"] for f in json.loads(out)["facts"])


def test_a_usage_with_no_party_and_no_place_is_refused(capsys):
    code, _, err = run(capsys, "expose", "--chip", "H100")
    assert code == 2 and "needs at least a party" in err


def test_the_suspension_rule_is_expired_once_its_year_is_over(capsys):
    _, out, _ = run(capsys, "info", "--format", "json", "--as-of", "2026-11-29")
    status = {i["citation"]: i["status"] for i in json.loads(out)["instruments"]}
    assert status["90 FR 50857"] == "expired" and status["90 FR 47201"] == "in force"


def test_expose_says_when_screening_lists_are_only_the_curated_ones(capsys):
    _, out, _ = run(capsys, "expose", "--chip", "H100", "--user-country", "CN", "--format", "json")
    [note] = json.loads(out)["notes"]
    assert "ecgraph import csl" in note


# --------------------------------------------------------------------------- found by review (2026-12-04)

def test_a_query_file_that_is_not_utf8_is_one_line_naming_the_byte(capsys, tmp_path):
    latin1 = tmp_path / "latin1.rq"
    latin1.write_bytes('SELECT * WHERE { ?s ?p "caf\xe9" }'.encode("latin-1"))
    code, _, err = run(capsys, "query", "-f", str(latin1))
    assert code == 2 and err.count("\n") == 1 and "latin1.rq:1: not UTF-8 text (byte 0xe9" in err


def test_a_query_file_with_a_byte_order_mark_is_read(capsys, tmp_path):
    bom = tmp_path / "bom.rq"
    bom.write_bytes(b"\xef\xbb\xbfSELECT (1 AS ?x) WHERE {}")
    code, out, _ = run(capsys, "query", "-f", str(bom), "--no-inferred", "--format", "csv")
    assert code == 0 and out.split() == ["x", "1"]


@pytest.mark.parametrize("value", ["nan", "inf", "-1"])
def test_a_timeout_that_is_no_number_of_seconds_is_refused(capsys, value):
    code, _, err = run(capsys, "query", "ASK {}", "--timeout", value)
    assert code == 2 and "--timeout must be" in err


def test_serve_on_a_host_that_cannot_be_listened_on_is_one_line(capsys):
    code, _, err = run(capsys, "serve", "--host", "not..a..host", "--port", "17998")
    assert code == 2 and "cannot listen on not..a..host" in err and err.count("\n") == 1
    code, _, err = run(capsys, "serve", "--timeout", "nan", "--port", "17998")
    assert code == 2 and "--timeout" in err


def test_changes_in_a_window_that_ends_before_it_begins_is_refused(capsys):
    code, _, err = run(capsys, "changes", "--party", "Huawei", "--from", "2026-01-01", "--to", "2025-01-01")
    assert code == 2 and "--from 2026-01-01 is after --to 2025-01-01" in err


def test_a_bind_value_of_the_wrong_kind_is_refused_with_the_names_of_the_right_kind(capsys):
    """?list takes a screening list: Huawei is a firm, so no empty answer but the lists' names."""
    code, _, err = run(capsys, "query", "listings-on-date", "--bind", "list=Huawei", "--no-inferred")
    assert code == 2 and err.startswith("error: unknown list 'Huawei'; did you mean")
    code, _, err = run(capsys, "query", "chips-by-eccn", "--bind", "eccn=id:firm/huawei", "--no-inferred")
    assert code == 2 and "is not of class ecg:ECCN" in err
    code, out, _ = run(capsys, "query", "listings-on-date", "--bind", "list=Entity List", "--no-inferred",
                       "--format", "csv")
    assert code == 0 and "Entity List" in out


def test_data_and_store_may_come_before_the_command(capsys, tmp_path):
    """'ecgraph --data FILE query ...', as the issue wrote it, is 'ecgraph query --data FILE ...'."""
    extra = tmp_path / "extra.ttl"
    extra.write_text('<https://example.org/a> <https://example.org/p> "before the command" .\n', encoding="utf-8")
    ask = "SELECT ?o WHERE { <https://example.org/a> ?p ?o }"
    code, out, _ = run(capsys, "--data", str(extra), "--store=memory", "query", "--no-inferred", ask, "--format", "csv")
    assert (code, out.splitlines()) == (0, ["o", "before the command"])
    assert run(capsys, "query", "--no-inferred", ask, "--format", "csv")[1].splitlines() == ["o"]
    code, _, err = run(capsys, "--data", str(extra), "watch", "list")  # a command without --data refuses it
    assert code == 2 and "No such option: --data" in err
    code, _, err = run(capsys, "--data", str(extra))
    assert code == 2 and "No such option: --data" in err
