"""SPARQL from Python and the command line: bound values, prefixes, formats, errors, remote stores."""

import io
import json
import socket

import pytest
from rdflib import XSD, Graph, Literal, URIRef
from rdflib.compare import isomorphic
from rdflib.query import Result

from graph.store import sparql
from graph.surfaces.cli import main
from graph.errors import InputError, QueryError
from graph.namespace import ID

CN = ID["country/CN"]


def test_a_bound_variable_need_not_be_projected(g):
    # the Oxigraph trap: substitutions/initBindings refuse an unprojected variable
    rows = list(sparql.query(g, "SELECT ?code WHERE { ?c ecg:isoAlpha3 ?code }", bindings={"c": CN}))
    assert [str(r.code) for r in rows] == ["CHN"]


def test_a_bound_value_is_in_scope_for_filters_and_aggregates(g):
    text = "SELECT (COUNT(?c) AS ?n) WHERE { ?c ecg:isoAlpha2 ?code FILTER (?code = ?wanted) }"
    assert int(next(iter(sparql.query(g, text, bindings={"wanted": "FR"}))).n) == 1


def test_a_bound_string_is_a_value_never_query_text(g):
    hostile = 'FR" } ?x ?y ?z . FILTER (true'
    rows = list(sparql.query(g, "SELECT ?c WHERE { ?c ecg:isoAlpha2 ?code }", bindings={"code": hostile}))
    assert rows == []


def test_binding_an_unknown_variable_is_an_error(curated):
    with pytest.raises(QueryError, match=r"no such variable"):
        sparql.query(curated, "SELECT ?c WHERE { ?c a ecg:Country }", bindings={"country": CN})


def test_bind_values_skips_the_construct_template_and_strings():
    text = 'CONSTRUCT { ?s rdfs:label "{" } WHERE { ?s a ?t } # { not here'
    out = sparql.bind_values(text, {"t": URIRef("http://e/T")})
    assert out.startswith('CONSTRUCT { ?s rdfs:label "{" } WHERE { VALUES (?t) { (<http://e/T>) }')


def test_standard_prefixes_need_no_declaration(curated):
    assert sparql.query(curated, "ASK { ?c a ecg:Country ; skos:altLabel ?l ; dcterms:source ?s }").askAnswer is True


def test_parse_binding_types():
    assert sparql.parse_binding("g", "<https://w3id.org/ecgraph/id/group/D5>") == ID["group/D5"]
    assert sparql.parse_binding("g", "id:group/D5") == ID["group/D5"]
    assert sparql.parse_binding("n", "3").toPython() == 3
    assert str(sparql.parse_binding("x", "1.5").datatype).endswith("#decimal")
    assert sparql.parse_binding("s", "Huawei") == Literal("Huawei")
    assert sparql.parse_binding("on", "2025-01-15").datatype.endswith("#date")


def test_a_wrong_type_for_a_date_is_an_error():
    with pytest.raises(InputError, match=r"--bind date='tomorrow'.*YYYY-MM-DD"):
        sparql.parse_binding("date", "tomorrow")
    params = sparql.named_query("group-members-on-date").params
    with pytest.raises(InputError, match="YYYY-MM-DD"):
        sparql.parse_bindings(["date=2025-13-45"], params=params)
    with pytest.raises(InputError, match="takes"):
        sparql.parse_bindings(["nonsense=1"], params=params)


@pytest.mark.parametrize("raw", ["2020-01-01T25:99", "2020-01-01T10:61", "2020-02-30T10:00", "2020-01-01T10"])
def test_a_date_and_time_with_an_impossible_part_is_refused_not_half_read(raw):
    with pytest.raises(InputError, match=r"--bind when="):
        sparql.parse_binding("when", raw)


def test_a_real_date_and_time_is_bound_as_xsd_datetime():
    term = sparql.parse_binding("when", "2020-01-01T23:59:30Z")
    assert term.datatype.endswith("#dateTime") and term.toPython().hour == 23


def test_a_query_that_does_not_parse_says_where(g):
    with pytest.raises(QueryError, match="does not parse"):
        sparql.query(g, "SELECT ?s WHERE { ?s ?p }")


def test_updates_are_refused(curated):
    with pytest.raises(QueryError, match="Update"):
        sparql.query(curated, "INSERT DATA { id:x rdfs:label 'x' }")


SELECT = "SELECT ?c ?code WHERE { ?c ecg:isoAlpha2 ?code } ORDER BY ?code LIMIT 3"


@pytest.mark.parametrize("fmt,media", [("json", "application/sparql-results+json"),
                                       ("xml", "application/sparql-results+xml"),
                                       ("csv", "text/csv"), ("tsv", "text/tab-separated-values")])
def test_select_formats_read_back_as_the_same_rows(curated, fmt, media):
    result = sparql.query(curated, SELECT)
    text = sparql.format_result(result, fmt)
    back = Result.parse(io.BytesIO(text.encode()), content_type=media)
    as_strings = lambda rows: [tuple(str(v) for v in r) for r in rows]  # noqa: E731
    assert as_strings(back) == as_strings(sparql.query(curated, SELECT))


def test_the_table_is_for_people(curated):
    table = sparql.format_result(sparql.query(curated, SELECT))
    assert table.splitlines()[0].split() == ["c", "code"]
    assert "id:country/AD" in table and table.endswith("(3 rows)")


MIXED = """SELECT ?x ?y WHERE {
  { ?x ecg:isoAlpha2 ?y FILTER (?y IN ("FR", "DE")) } UNION { VALUES (?x ?y) { (1 'Äpfel'@de) (UNDEF <http://example.org/z>) ("a\\tb" UNDEF)
    ("3"^^xsd:double "2500"^^xsd:float) ("INF"^^xsd:double " 7 "^^xsd:integer) ("2025-06-01Z"^^xsd:date UNDEF)
    ("2025-06-01T10:00:00Z"^^xsd:dateTime "2025-06-01T10:00:00.5"^^xsd:dateTime) ("x"^^<http://example.org/t> 1.50) } }
  UNION { BIND (TRIPLE(<urn:a>, ecg:note, "c"@en) AS ?x) }
} ORDER BY ?x"""


@pytest.mark.parametrize("text", [MIXED, "ASK { ?c ecg:isoAlpha2 'FR' }", "ASK { ?c ecg:isoAlpha2 'XX' }"])
def test_the_table_oxigraph_writes_is_the_table_of_rdflibs_result(curated, text):
    # the table of a local answer on Oxigraph is made from its JSON results, not from rdflib terms: the same text
    assert sparql.answer(curated, text) == sparql.format_result(sparql.query(curated, text))


@pytest.mark.parametrize("fmt,rdflib_format", [("turtle", "turtle"), ("nt", "nt"), ("jsonld", "json-ld"),
                                               ("xml", "xml")])
def test_construct_formats_read_back_as_the_same_graph(curated, fmt, rdflib_format):
    text = "CONSTRUCT { ?c rdfs:label ?l } WHERE { ?c ecg:isoAlpha2 'FR' ; rdfs:label ?l }"
    result = sparql.query(curated, text)
    back = Graph().parse(data=sparql.format_result(result, fmt), format=rdflib_format)
    assert len(back) == 1 and isomorphic(back, result.graph)


def test_a_format_that_does_not_suit_the_answer_is_an_error(curated):
    with pytest.raises(QueryError, match="does not suit SELECT"):
        sparql.format_result(sparql.query(curated, SELECT), "turtle")
    with pytest.raises(QueryError, match="unknown format 'yaml'"):
        sparql.format_result(sparql.query(curated, SELECT), "yaml")


# ---- the command line

def test_cli_runs_a_named_query_with_bindings(capsys):
    assert main(["query", "entity-list-footnotes", "--bind", "date=2021-01-01", "--format", "csv"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("party,partyLabel,footnote")
    assert len([l for l in lines[1:] if l.strip()]) == 2  # Huawei and HiSilicon; Cambricon came in 2022


def test_cli_lists_named_queries_with_what_they_answer(capsys):
    assert main(["query", "--list"]) == 0
    out = capsys.readouterr().out
    assert "entity-list-footnotes" in out and "foreign-direct-product" in out and "[bind ?list ?date]" in out


def test_cli_reads_a_query_file(tmp_path, capsys):
    rq = tmp_path / "question.rq"
    rq.write_text("# France's code\nSELECT ?code WHERE { ?c ecg:isoAlpha3 ?code ; ecg:isoAlpha2 ?two }\n")
    assert main(["query", "-f", str(rq), "--bind", "two=FR", "--format", "json"]) == 0
    answer = json.loads(capsys.readouterr().out)
    assert [b["code"]["value"] for b in answer["results"]["bindings"]] == ["FRA"]


@pytest.mark.parametrize("argv,message", [
    (["query", "entity-list-footnote"], "unknown named query 'entity-list-footnote'; did you mean 'entity-list-footnotes'"),
    (["query", "SELECT * WHERE { ?s }"], "does not parse"),
    (["query", "ASK { ?s ?p ?o }", "--format", "yaml"], "unknown format 'yaml'"),
    (["query", "group-members-on-date", "--bind", "date=someday"], "YYYY-MM-DD"),
    (["query", "ASK { ?s ?p ?o }", "--bind", "novalue"], "write name=value"),
])
def test_cli_bad_input_is_one_line_and_exit_2(argv, message, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1


# ---- a real remote store: `oxigraph serve`

def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_push_copies_each_named_graph_into_a_store_and_query_reads_it_back(curated, oxigraph_server):
    sent = sparql.push(curated, oxigraph_server + "/store")
    assert sent == {str(ID).replace("/id/", "/graph/") + "curated": len(curated)}
    sparql.push(curated, oxigraph_server + "/store")  # PUT replaces: pushing twice keeps one copy
    count = "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }"
    remote = sparql.query(None, count, endpoint=oxigraph_server + "/query")
    assert int(next(iter(remote)).n) == len(curated)
    rows = sparql.query(None, "SELECT ?code WHERE { GRAPH ?g { ?c ecg:isoAlpha3 ?code } }",
                        bindings={"c": CN}, endpoint=oxigraph_server + "/query")
    assert [str(r.code) for r in rows] == ["CHN"]


def test_cli_queries_a_remote_endpoint(curated, oxigraph_server, capsys):
    sparql.push(curated, oxigraph_server + "/store")
    argv = ["query", "entity-list-footnotes", "--endpoint", oxigraph_server + "/query?union-default-graph",
            "--format", "csv"]
    assert main(argv) == 0
    assert "85 FR 29849" in capsys.readouterr().out


def test_a_remote_error_is_one_clear_line(oxigraph_server):
    with pytest.raises(QueryError, match=r"answered 400"):
        sparql.query(None, "SELECT * WHERE { ?s ?p ?o } ORDER BY ?nothere(", endpoint=oxigraph_server + "/query")


def test_an_unreachable_endpoint_is_a_query_error():
    with pytest.raises(QueryError, match=f"127.0.0.1:{_free_port()}|refused"):
        sparql.query(None, "ASK {}", endpoint=f"http://127.0.0.1:{_free_port()}/sparql", timeout=5)


def test_cli_push_then_query_the_store(oxigraph_server, capsys):
    assert main(["push", oxigraph_server + "/store"]) == 0
    assert "triples ->" in capsys.readouterr().out
    argv = ["query", "SELECT (COUNT(*) AS ?n) WHERE { ?c ecg:isoAlpha2 ?code }", "--endpoint",
            oxigraph_server + "/query?union-default-graph", "--format", "csv"]
    assert main(argv) == 0
    assert capsys.readouterr().out.split()[1] == "249"


# ---- the dataset a query names

def count_all(g, dataset=""):
    return int(next(iter(sparql.query(g, f"SELECT (COUNT(*) AS ?n) {dataset} WHERE {{ ?s ?p ?o }}"))).n)


def test_from_replaces_the_union_default_graph_on_both_stores(g):
    from graph.namespace import GRAPH

    curated_only = count_all(g, f"FROM <{GRAPH.curated}>")
    assert 0 < curated_only <= count_all(g)
    assert count_all(g, "FROM <urn:ecgraph:no-such-graph>") == 0


def test_the_stores_agree_on_a_from_query():
    from pathlib import Path

    from graph.store.load import load
    from graph.namespace import GRAPH

    extra = Path(__file__).parent / "data" / "hostile_firm.ttl"  # loaded into a graph of its own
    on = {store: load(extra, imports=False, store=store) for store in ("oxigraph", "memory")}
    counts = {store: count_all(g, f"FROM <{GRAPH.curated}>") for store, g in on.items()}
    assert counts["oxigraph"] == counts["memory"] < count_all(on["memory"])


def test_from_named_limits_the_graphs_of_graph_patterns(g):
    text = "SELECT (COUNT(DISTINCT ?g) AS ?n) {} WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }}"
    assert int(next(iter(sparql.query(g, text.format("FROM NAMED <urn:ecgraph:none>")))).n) == 0
    assert int(next(iter(sparql.query(g, text.format("")))).n) >= 1


def test_a_from_graph_the_store_lacks_is_empty_never_fetched(g):
    # rdflib would otherwise download the IRI; port 1 refuses, so a fetch would show as an error
    assert count_all(g, "FROM <http://127.0.0.1:1/graph.ttl>") == 0


@pytest.mark.parametrize("fmt", ["csv", "tsv"])
def test_ask_in_csv_or_tsv_is_refused_naming_the_formats_that_work(curated, fmt):
    result = sparql.query(curated, "ASK { ?s ?p ?o }")
    with pytest.raises(QueryError, match=r"choose one of table, json, xml"):
        sparql.format_result(result, fmt)
    assert json.loads(sparql.format_result(result, "json"))["boolean"] is True


def test_cli_ask_in_csv_is_one_line_and_exit_2(capsys):
    assert main(["query", "ASK { ?s ?p ?o }", "--format", "csv"]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "does not suit ASK answers" in err


def test_xml_results_keep_zero_values_as_written(g):
    # rdflib's XML writer used to drop literals whose value is false (0, 0.0, PT0S): RDFLib/rdflib#3138
    r = sparql.query(g, 'SELECT ?n ?d ?t ?e WHERE { BIND(0 AS ?n) BIND(0.0 AS ?d) '
                        'BIND("PT0S"^^xsd:duration AS ?t) BIND("" AS ?e) }')
    from xml.etree import ElementTree

    ns = {"r": "http://www.w3.org/2005/sparql-results#"}
    root = ElementTree.fromstring(sparql.format_result(r, "xml"))
    values = {b.get("name"): b.find("r:literal", ns).text or "" for b in root.iterfind(".//r:binding", ns)}
    assert values["n"] == "0" and values["e"] == ""
    assert Literal(values["d"], datatype=XSD.decimal).toPython() == 0  # each store writes its own lexical form
    assert values["t"] in ("PT0S", "P0D")


ODD_ROWS = ('SELECT ?n ?d ?e ?lang ?iri ?none WHERE { VALUES (?n ?lang ?iri) { (0 "zéro"@fr <http://e/x>) '
            '(1 "one" UNDEF) } BIND(0.0 AS ?d) BIND("" AS ?e) } ORDER BY ?n')


@pytest.mark.parametrize("fmt,media", [("json", "application/sparql-results+json"),
                                       ("xml", "application/sparql-results+xml"), ("csv", "text/csv")])
def test_an_answer_written_by_the_store_reads_back_as_rdflib_writes_it(g, fmt, media):
    # on Oxigraph the engine writes the W3C formats itself; on rdflib's store it is format_result, as always
    written = sparql.answer(g, ODD_ROWS, fmt)
    expected = sparql.format_result(sparql.query(g, ODD_ROWS), fmt)
    read = lambda text: [tuple(None if v is None else str(v) for v in r)  # noqa: E731
                         for r in Result.parse(io.BytesIO(text.encode()), content_type=media)]
    assert read(written) == read(expected) and len(read(written)) == 2
    if fmt == "csv":
        assert written == expected  # the same bytes: header, CRLF, empty cells for unbound values


def test_an_answer_keeps_every_check_of_query(g):
    with pytest.raises(QueryError, match="Update"):
        sparql.answer(g, "INSERT DATA { id:x rdfs:label 'x' }", "csv")
    with pytest.raises(QueryError, match="SERVICE"):
        sparql.answer(g, "SELECT * WHERE { SERVICE <http://127.0.0.1:9/sparql> { ?s ?p ?o } }", "json")
    with pytest.raises(QueryError, match="does not parse"):
        sparql.answer(g, "SELECT * WHERE { ?s ?p }", "csv")
    with pytest.raises(QueryError, match="choose one of table, json, xml"):
        sparql.answer(g, "ASK { ?s ?p ?o }", "csv")
    assert json.loads(sparql.answer(g, "ASK { ?s ?p ?o }", "json"))["boolean"] is True
    assert sparql.answer(g, "SELECT ?code WHERE { ?c ecg:isoAlpha3 ?code }", "csv",
                         bindings={"c": ID["country/CN"]}).split() == ["code", "CHN"]
