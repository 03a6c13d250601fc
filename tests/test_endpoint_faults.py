"""`ecgraph serve` under hostile requests and load: CORS, the dataset, pathological queries, timeouts, lanes.

A tiny --data file is the whole dataset here, so every answer can be counted by hand:

    ex:a --ex:knows--> ex:b      ex:a --ex:name--> "A"      ex:b --ex:name--> "B"
"""

import http.client as httpclient
import socket
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

import pytest
from rdflib import Graph
from rdflib.compare import isomorphic

from graph.surfaces import server
from graph.surfaces.cli import main
from graph.store.load import load

TINY = """@prefix ex: <http://example.org/> .
ex:a ex:knows ex:b ; ex:name "A" .
ex:b ex:name "B" .
"""
RUNAWAY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"
FRANCE = "SELECT ?c WHERE { ?c ecg:isoAlpha2 'FR' }"


def http(url, *, data=None, headers=None, method=None):
    request = urllib.request.Request(url, data=data, headers=headers or {}, method=method)
    try:
        with urllib.request.urlopen(request, timeout=60) as r:
            return r.status, dict(r.headers), r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read().decode()


def ask(url, query, **params):
    return http(url + "?" + urllib.parse.urlencode({"query": query, **params}))


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    path = tmp_path_factory.mktemp("tiny") / "tiny.ttl"
    path.write_text(TINY, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def tiny_endpoint(tiny):
    g = load(tiny, curated=False, imports=False, store="oxigraph")
    with server.start(g, port=0, timeout=5, workers=1, long_workers=1, cors=("https://allowed.example",),
                      default_graph="union") as s:
        yield s.url


# ---- the default graph is exactly what was loaded

def test_count_distinct_and_construct_see_exactly_the_file(tiny_endpoint, tiny):
    assert ask(tiny_endpoint, "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }", format="csv")[2].split() == ["n", "3"]
    assert ask(tiny_endpoint, "SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE { ?s ?p ?o }",
               format="csv")[2].split() == ["n", "2"]
    status, _, body = ask(tiny_endpoint, "CONSTRUCT WHERE { ?s ?p ?o }", format="nt")
    assert status == 200 and isomorphic(Graph().parse(data=body, format="nt"), Graph().parse(tiny))


def test_the_cli_serve_with_no_curated_adds_nothing_to_the_default_graph(tiny, tmp_path):
    import subprocess
    import sys

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([sys.executable, "-m", "graph.surfaces.cli", "serve", "--no-curated", "--data", str(tiny),
                             "--port", str(port), "--workers", "1", "--long-workers", "0"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert "endpoint at" in proc.stdout.readline()
        url = f"http://127.0.0.1:{port}/sparql"
        assert ask(url, "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }", format="csv")[2].split() == ["n", "3"]
        graphs = ask(url, "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }", format="csv")[2].split()
        assert len(graphs) == 2 and graphs[1] == tiny.resolve().as_uri()  # the file's graph, nothing inferred
    finally:
        proc.terminate()
        proc.wait(60)


def test_default_graph_uri_and_named_graph_uri_name_the_dataset(tiny_endpoint, tiny):
    name = tiny.resolve().as_uri()
    count = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
    assert ask(tiny_endpoint, count, format="csv", **{"default-graph-uri": name})[2].split() == ["n", "3"]
    assert ask(tiny_endpoint, count, format="csv", **{"default-graph-uri": "urn:none"})[2].split() == ["n", "0"]
    in_graphs = "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }"
    assert ask(tiny_endpoint, in_graphs, format="csv", **{"named-graph-uri": name})[2].split() == ["n", "3"]
    assert ask(tiny_endpoint, in_graphs, format="csv", **{"named-graph-uri": "urn:none"})[2].split() == ["n", "0"]


# ---- CORS: off by default, on for the origins given, never for the page or the exports

def test_cors_is_off_by_default(curated):
    with server.start(curated, port=0, workers=1, long_workers=0) as s:
        _, headers, _ = http(s.url + "?query=ASK%7B%7D", headers={"Origin": "https://evil.example"})
        assert "Access-Control-Allow-Origin" not in headers
        status, headers, _ = http(s.url, method="OPTIONS", headers={
            "Origin": "https://evil.example", "Access-Control-Request-Method": "POST"})
        assert "Access-Control-Allow-Origin" not in headers


def test_cors_answers_only_the_origins_given_and_only_on_sparql(tiny_endpoint):
    _, headers, _ = http(tiny_endpoint + "?query=ASK%7B%7D", headers={"Origin": "https://allowed.example"})
    assert headers.get("Access-Control-Allow-Origin") == "https://allowed.example"
    _, headers, _ = http(tiny_endpoint + "?query=ASK%7B%7D", headers={"Origin": "https://evil.example"})
    assert "Access-Control-Allow-Origin" not in headers
    _, headers, _ = http(tiny_endpoint.removesuffix("/sparql") + "/", headers={"Origin": "https://allowed.example"})
    assert "Access-Control-Allow-Origin" not in headers  # the query page is same-origin only


def test_a_host_header_that_is_not_loopback_is_refused(tiny_endpoint):
    status, _, body = http(tiny_endpoint + "?query=ASK%7B%7D", headers={"Host": "rebound.evil.example"})
    assert status == 421 and "rebound.evil.example" in body


def test_cli_refuses_a_cors_value_that_is_not_an_origin(tiny, capsys):
    assert main(["serve", "--no-curated", "--data", str(tiny), "--cors", "*", "--port", "1"]) == 2
    assert "--cors '*' is not an origin" in capsys.readouterr().err


# ---- pathological queries: 400 with one line, the worker lives on

@pytest.mark.parametrize("query", [
    "SELECT * WHERE " + "{" * 5000 + " ?s ?p ?o " + "}" * 5000,
    "SELECT * WHERE { ?s ?p ?o FILTER(" + "(" * 5000 + "1" + ")" * 5000 + ") }",
    "SELECT * WHERE { BIND(" + "+".join(["1"] * 20000) + " AS ?x) }",
    "SELECT * WHERE { ?s ?p ?o # }\n" * 1 + "{ # }\n" * 3000 + "?x ?y ?z" + "}" * 3000,
])
def test_a_pathological_query_gets_400_in_one_line_and_the_worker_survives(tiny_endpoint, query):
    status, _, body = http(tiny_endpoint, data=query.encode(), headers={"Content-Type": "application/sparql-query"})
    assert status == 400 and body.count("\n") == 1 and "limit" in body
    assert ask(tiny_endpoint, "ASK { ?s ?p ?o }", format="json")[0] == 200


def test_huge_literals_and_many_variables_are_answered_or_refused_never_500(tiny_endpoint):
    literal = "SELECT ?x WHERE { BIND('" + "x" * 2_000_000 + "' AS ?x) }"
    status, _, _ = http(tiny_endpoint, data=literal.encode(), headers={"Content-Type": "application/sparql-query"})
    assert status in (200, 400, 413)
    many = "SELECT * WHERE { VALUES (" + " ".join(f"?v{i}" for i in range(5000)) + ") { (" + \
           " ".join("1" for _ in range(5000)) + ") } }"
    status, _, _ = http(tiny_endpoint, data=many.encode(), headers={"Content-Type": "application/sparql-query"})
    assert status in (200, 400, 413)


def test_cli_query_deeply_nested_is_one_line_and_exit_2(capsys):
    text = "SELECT * WHERE " + "{" * 20000 + " ?s ?p ?o " + "}" * 20000
    assert main(["query", text, "--no-inferred"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "limit" in err


def test_a_predicate_rdfxml_cannot_write_gets_406(tiny_endpoint):
    query = "CONSTRUCT { ?s <http://example.org/1> ?o } WHERE { ?s ?p ?o }"
    status, _, body = ask(tiny_endpoint, query, format="xml")
    assert status == 406 and body.count("\n") == 1 and "turtle" in body
    assert ask(tiny_endpoint, query, format="nt")[0] == 200


def test_head_has_the_headers_and_no_body(tiny_endpoint):
    parts = urllib.parse.urlsplit(tiny_endpoint)
    conn = httpclient.HTTPConnection(parts.hostname, parts.port, timeout=30)
    conn.request("HEAD", parts.path + "?query=ASK%7B%7D&format=json")
    response = conn.getresponse()
    assert response.status == 200 and int(response.getheader("Content-Length")) > 0
    assert response.read() == b""
    conn.close()


# ---- connections and lanes

def test_an_idle_connection_is_closed_after_the_idle_timeout(curated):
    with server.start(curated, port=0, workers=1, long_workers=0, idle_timeout=1) as s:
        parts = urllib.parse.urlsplit(s.url)
        sock = socket.create_connection((parts.hostname, parts.port), timeout=10)
        started = time.monotonic()
        assert sock.recv(1) == b""  # the server closed it
        assert time.monotonic() - started < 8
        sock.close()


def test_a_runaway_query_does_not_hold_up_a_short_one(curated):
    with server.start(curated, port=0, timeout=8, workers=1, long_workers=1, default_graph="union") as s:
        outcome = {}
        runaway = threading.Thread(target=lambda: outcome.update(answer=ask(s.url, RUNAWAY)))
        runaway.start()
        time.sleep(1.5)  # past the short lane's budget: the runaway now runs on the long worker
        status, _, body = ask(s.url, FRANCE, format="csv")
        assert status == 200 and runaway.is_alive()  # answered by the short worker while the runaway runs
        runaway.join(60)
        status, _, body = outcome["answer"]
        assert status == 503 and "time limit of 8 s" in body


def test_a_query_past_the_memory_cap_gets_503_and_the_endpoint_answers_on(curated):
    hog = "SELECT ?a ?c ?f WHERE { ?a ?b ?c . ?d ?e ?f } ORDER BY ?c ?f ?a"
    with server.start(curated, port=0, timeout=30, workers=1, long_workers=1, memory_mb=64,
                      default_graph="union") as s:
        status, _, body = ask(s.url, hog, format="csv")
        assert status in (503, 413) and body.count("\n") == 1
        assert ask(s.url, FRANCE, format="csv")[0] == 200


def test_the_loadtest_counts_answers_and_runs_only_on_loopback(tiny_endpoint):
    import io

    from graph.surfaces import loadtest

    out = io.StringIO()
    phases = loadtest.run(tiny_endpoint, clients=2, runaway=1, duration=1, out=out)
    ordinary, runaway = phases["ordinary + 1 runaway"]
    assert ordinary.latencies and ordinary.resets == 0 and "p99" in out.getvalue()
    with pytest.raises(SystemExit, match="loopback"):
        loadtest.run("http://example.org/sparql", duration=1, out=out)


def test_start_keeps_a_datasets_own_default_graph_apart_from_its_named_graphs():
    from rdflib import Dataset, Literal, URIRef

    ds = Dataset()
    ds.add((URIRef("http://example.org/d"), URIRef("http://example.org/p"), Literal("in the default graph")))
    ds.graph(URIRef("http://example.org/g")).add(
        (URIRef("http://example.org/n"), URIRef("http://example.org/p"), Literal("in a named graph")))
    count = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
    with server.start(ds, port=0, workers=1, long_workers=0) as s:
        assert ask(s.url, count, format="csv")[2].split() == ["n", "1"]
        assert ask(s.url, "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }", format="csv")[2].split() == ["n", "1"]
    with server.start(ds, port=0, workers=1, long_workers=0, default_graph="union") as s:
        assert ask(s.url, count, format="csv")[2].split() == ["n", "2"]  # the union of all its graphs
