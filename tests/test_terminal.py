"""Control characters in the data are shown, never obeyed, by every command's table and text output.

The fixture is a firm whose label carries a terminal attack of each kind:

    <urn:hostile:firm>  rdfs:label  "Evil ESC[2J ESC]0;pwned BEL CR [/] [red]Corp U+202E exe.txt CSI(U+009B)31m"
                        headquarteredIn  China (curated)

JSON output keeps the label exactly as the data holds it.
"""

from __future__ import annotations

import json

import pytest

from graph.surfaces.cli import main
from graph.surfaces.terminal import printable

FIRM = "urn:hostile:firm"
LABEL = "Evil \x1b[2J \x1b]0;pwned\x07 \r[/] [red]Corp \u202eexe.txt \x9b31m"
RAW = ("\x1b", "\x07", "\r", "\u202e", "\x9b")  # none of these may reach a terminal


@pytest.fixture
def hostile(tmp_path):
    path = tmp_path / "hostile.ttl"
    path.write_text(f"""@prefix ecg: <https://w3id.org/ecgraph/ontology#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
<{FIRM}> a ecg:Firm ; rdfs:label {json.dumps(LABEL)}@en ;
    ecg:headquarteredIn <https://w3id.org/ecgraph/id/country/CN> .
""", encoding="utf-8")
    return path


def shown(capsys) -> str:
    out, err = capsys.readouterr()
    text = out + err
    assert not [c for c in RAW if c in text], text
    return text


@pytest.mark.parametrize("char, spelled", [
    ("\x1b", "\\x1b"), ("\x00", "\\x00"), ("\r", "\\x0d"), ("\x7f", "\\x7f"), ("\x85", "\\x85"), ("\x9b", "\\x9b"),
    ("\u202e", "\\u202e"), ("\u2066", "\\u2066"), ("\u200f", "\\u200f"), ("\u2028", "\\u2028"), ("\u061c", "\\u061c"),
])
def test_each_control_is_spelled_out_and_the_rest_is_kept(char, spelled):
    assert printable(f"Café {char}Ltd") == f"Café {spelled}Ltd"


def test_show_prints_a_hostile_label_as_visible_text(hostile, capsys):
    assert main(["show", FIRM, "--data", str(hostile), "--no-inferred"]) == 0
    text = shown(capsys)
    assert "Evil \\x1b[2J \\x1b]0;pwned\\x07 \\x0d[/] [red]Corp \\u202eexe.txt \\x9b31m" in text


def test_expose_prints_a_hostile_party_as_visible_text(hostile, capsys):
    assert main(["expose", "--chip", "H100", "--user", FIRM, "--as-of", "2025-06-01", "--data", str(hostile)]) == 0
    assert "\\u202eexe.txt" in shown(capsys)


def test_query_tables_spell_controls_out_and_json_keeps_them(hostile, capsys):
    sparql = f"SELECT ?label WHERE {{ <{FIRM}> rdfs:label ?label }}"
    assert main(["query", sparql, "--data", str(hostile), "--no-inferred"]) == 0
    assert "\\x1b[2J" in shown(capsys)
    assert main(["query", sparql, "--data", str(hostile), "--no-inferred", "--format", "json"]) == 0
    body = json.loads(capsys.readouterr().out)
    assert [b["label"]["value"] for b in body["results"]["bindings"]] == [LABEL]
    assert main(["show", FIRM, "--data", str(hostile), "--no-inferred", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["label"] == LABEL


def test_an_error_naming_hostile_input_stays_one_visible_line(capsys):
    assert main(["info", "--data", "/no/such \x1b[2J\rfile\u202e.ttl"]) == 2
    err = shown(capsys)
    assert err.count("\n") == 1 and "/no/such \\x1b[2J\\x0dfile\\u202e.ttl" in err


def test_list_prints_a_name_with_a_stray_closing_tag_as_stored(hostile, capsys, monkeypatch):
    """A label such as "QA [/red] Markup Ltd" once crashed every table built from the data (rich read it as markup)."""
    monkeypatch.setenv("COLUMNS", "250")  # the label on one line
    assert main(["list", "firms", "--data", str(hostile)]) == 0
    text = shown(capsys)
    assert "[/] [red]Corp" in text and "\\x1b[2J" in text


def test_csv_written_to_a_pipe_keeps_the_label_exactly(hostile, tmp_path):
    import subprocess
    import sys

    sparql = f"SELECT ?label WHERE {{ <{FIRM}> rdfs:label ?label }}"
    done = subprocess.run([sys.executable, "-m", "graph.surfaces.cli", "query", sparql, "--data", str(hostile),
                           "--no-inferred", "--format", "csv"], capture_output=True, check=True,
                          env={**__import__("os").environ, "ECGRAPH_DATA_DIR": str(tmp_path / "data")})
    assert LABEL.encode("utf-8") in done.stdout.replace(b'""', b'"')
    assert not done.stdout.endswith(b"\n\n")


def test_xml_that_cannot_hold_a_control_character_is_refused_in_one_line(hostile, capsys):
    """XML 1.0 has no way to write ESC: the answer is refused, naming it and the formats that can."""
    sparql = f"SELECT ?label WHERE {{ <{FIRM}> rdfs:label ?label }}"
    assert main(["query", sparql, "--data", str(hostile), "--no-inferred", "--format", "xml"]) == 2
    err = capsys.readouterr().err
    assert "U+001B, a character XML 1.0 cannot hold; ask for json, csv or tsv" in err and err.count("\n") == 1


@pytest.mark.parametrize("suffix", [".graphml", ".gexf"])
def test_graph_files_for_graph_tools_stay_readable_xml_with_the_controls_spelled_out(hostile, tmp_path, suffix):
    import xml.dom.minidom

    out = tmp_path / f"net{suffix}"
    assert main(["export", "-o", str(out), "--data", str(hostile)]) == 0
    xml.dom.minidom.parse(str(out))  # well-formed
    assert "Evil \\x1b[2J" in out.read_text(encoding="utf-8")
