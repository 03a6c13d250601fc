"""The analyst's desk on the command line: --version, list, show by citation, info by date, changes."""

import json

from graph import __version__
from graph.surfaces.cli import main


def run(capsys, *args):
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_version_and_short_help(capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")
    assert run(capsys, "--version")[:2] == (0, f"ecgraph {__version__}\n")
    code, out, _ = run(capsys, "list", "-h")
    assert code == 0 and "chips|firms|rules|lists|groups" in out


def test_help_names_words_and_choices_not_python_types(capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")
    code, out, _ = run(capsys, "info", "--help")
    assert code == 0
    assert "table|json" in out and "oxigraph|memory" in out
    assert "<str>" not in out and "list[" not in out and "<bool>" not in out


def test_a_wrong_choice_is_one_line(capsys):
    code, _, err = run(capsys, "list", "planets")
    assert code == 2 and "planets" in err and len(err.strip().splitlines()) == 1


def test_show_finds_a_rule_by_citation_and_by_fr_document_number(capsys):
    for name in ("90 FR 47201", "2025-00711"):
        code, out, _ = run(capsys, "show", name, "--format", "json", "--no-inferred")
        assert code == 0, name
        assert json.loads(out)["entity"].startswith("https://w3id.org/ecgraph/id/rule/")
    by_citation = json.loads(run(capsys, "show", "90 FR 47201", "--format", "json", "--no-inferred")[1])
    assert "Affiliates" in by_citation["label"]


def test_suggestions_are_distinct_entities_in_their_own_spelling(capsys):
    code, _, err = run(capsys, "show", "Huawey")
    assert code == 2
    assert "'Huawei Technologies Co., Ltd.'" in err  # the label as spelled, not 'huawei technologies co ltd'
    suggested = err.split("did you mean ", 1)[1].rstrip("?\n").split("', '")
    assert len(suggested) == len(set(suggested))


def test_list_lists_shows_the_entity_list_with_pasteable_iris(capsys):
    code, out, _ = run(capsys, "list", "lists", "--as-of", "2025-06-01", "--format", "json")
    rows = {r["name"]: r for r in json.loads(out)}
    assert code == 0 and int(rows["Entity List"]["listings on 2025-06-01"]) > 0
    iri = rows["Entity List"]["iri"]
    assert iri.startswith("<https://") and iri.endswith(">")
    code, out, _ = run(capsys, "query", f"SELECT ?l WHERE {{ {iri} rdfs:label ?l }}", "--format", "csv")
    assert code == 0 and "Entity List" in out


def test_list_chips_as_a_table(capsys):
    code, out, _ = run(capsys, "list", "chips")
    assert code == 0 and "NVIDIA H100 SXM" in out and "<https://w3id.org/ecgraph/id/chip/nvidia-h100-sxm>" in out


def test_info_sorts_instruments_by_the_date_their_status_began(capsys):
    code, out, _ = run(capsys, "info", "--as-of", "2025-01-01", "--format", "json")
    rows = json.loads(out)["instruments"]
    dates = [r["since"] for r in rows if r["since"]]
    assert code == 0 and dates == sorted(dates)
    later = [r for r in rows if r["since"] > "2025-01-01"]
    assert later and all(r["status"] == "not yet in effect" for r in later)


def test_changes_of_the_affiliates_rule_in_late_2025(capsys):
    code, out, _ = run(capsys, "changes", "--from", "2025-09-01", "--to", "2025-12-31", "--format", "json")
    rows = json.loads(out)
    assert code == 0 and [r["day"] for r in rows] == sorted(r["day"] for r in rows)
    suspended = [r for r in rows if r["day"] == "2025-11-10" and "suspended" in r["label"]]
    assert suspended and suspended[0]["change"] == "begins" and suspended[0]["sources"]


def test_changes_for_a_chip_keep_what_bears_on_it(capsys):
    code, out, _ = run(capsys, "changes", "--chip", "Huawei Ascend 910C", "--from", "2019-01-01",
                       "--to", "2025-12-31", "--format", "json")
    labels = [r["label"] for r in json.loads(out)]
    assert code == 0
    assert any("Huawei" in x and "Entity List" in x for x in labels)
    assert any("GP10" in x for x in labels)
    _, everything, _ = run(capsys, "changes", "--from", "2019-01-01", "--to", "2025-12-31", "--format", "json")
    assert len(labels) < len(json.loads(everything))


def test_changes_take_one_focus_only(capsys):
    code, _, err = run(capsys, "changes", "--chip", "H100", "--party", "Huawei", "--from", "2025-01-01")
    assert code == 2 and "choose one" in err


def test_an_undeclared_prefix_is_named_in_one_line(capsys):
    code, _, err = run(capsys, "query", "SELECT ?x WHERE { ?x foo:bar ?y }")
    assert code == 2 and len(err.strip().splitlines()) == 1
    assert "prefix is not declared" in err or "foo" in err
    assert "expected one of" not in err


def test_timeline_writes_one_offline_page(capsys, tmp_path):
    import re

    out = tmp_path / "t.html"
    code, said, _ = run(capsys, "timeline", "-o", str(out))
    page = out.read_text(encoding="utf-8")
    assert code == 0 and "dated facts" in said
    assert "vis.Timeline" in page and "Affiliates Rule" in page
    for tag in re.findall(r"<(?:script|link|img|iframe)\b[^>]*>", page):
        assert not re.search(r"""(?:src|href)\s*=\s*["']?(?:https?:)?//""", tag), tag
    code, _, err = run(capsys, "timeline", "-o", str(tmp_path))
    assert code == 2 and "is a folder" in err


def test_the_affiliates_rule_bears_on_a_listed_party_but_not_on_an_unlisted_one(capsys):
    def labels(party):
        code, out, _ = run(capsys, "changes", "--party", party, "--from", "2025-09-01", "--to", "2025-12-31",
                           "--format", "json")
        assert code == 0
        return [r["label"] for r in json.loads(out)]

    assert "Affiliates Rule suspended" in labels("Huawei")  # on the Entity List, which the rule extends
    assert not any("Affiliates Rule" in x for x in labels("Advanced Micro Devices, Inc."))
