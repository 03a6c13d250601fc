"""`ecgraph serve` against real clients: SPARQLWrapper, rdflib's SPARQLStore and plain HTTP on a loopback port."""

import io
import json
import threading
import urllib.error
import urllib.parse
import urllib.request

import pytest
from rdflib import Graph, Namespace, URIRef
from rdflib.query import Result

from graph.surfaces import server
from graph.namespace import GRAPH, ID

SD = Namespace("http://www.w3.org/ns/sparql-service-description#")
FRANCE = "SELECT ?c WHERE { ?c ecg:isoAlpha2 'FR' }"
FRANCE_DECLARED = ("PREFIX ecg: <https://w3id.org/ecgraph/ontology#>\n"
                   "SELECT ?c WHERE { ?c ecg:isoAlpha2 'FR' }")
RUNAWAY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"


@pytest.fixture(scope="module")
def endpoint(curated, tmp_path_factory):
    exports = tmp_path_factory.mktemp("exports")
    (exports / "network.html").write_text("<html>the network view</html>")
    with server.start(curated, port=0, timeout=3, max_rows=500, workers=2, exports=exports,
                      default_graph="union") as running:
        yield running.url


def http(url, *, data=None, headers=None, method=None):
    """(status, content type, body) of one request; HTTP errors are answers too."""
    request = urllib.request.Request(url, data=data, headers=headers or {}, method=method)
    try:
        with urllib.request.urlopen(request, timeout=60) as r:
            return r.status, r.headers.get("Content-Type", ""), r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.headers.get("Content-Type", ""), e.read().decode()


def get(endpoint, query, **params):
    return http(endpoint + "?" + urllib.parse.urlencode({"query": query, **params}),
                headers={"Accept": params.pop("accept", "*/*")} if "accept" in params else None)


def test_sparqlwrapper_default_xml_mode(endpoint):
    from SPARQLWrapper import SPARQLWrapper

    client = SPARQLWrapper(endpoint)
    client.setQuery(FRANCE_DECLARED)
    document = client.query().convert()  # an xml.dom document
    uris = [n.firstChild.data for n in document.getElementsByTagName("uri")]
    assert uris == [str(ID["country/FR"])]


@pytest.mark.parametrize("method,request_method", [("GET", None), ("POST", "urlencoded"), ("POST", "postdirectly")])
def test_sparqlwrapper_json_get_post_and_postdirectly(endpoint, method, request_method):
    from SPARQLWrapper import JSON, POST, POSTDIRECTLY, URLENCODED, SPARQLWrapper

    client = SPARQLWrapper(endpoint)
    client.setQuery(FRANCE_DECLARED)
    client.setReturnFormat(JSON)
    if method == "POST":
        client.setMethod(POST)
        client.setRequestMethod(POSTDIRECTLY if request_method == "postdirectly" else URLENCODED)
    answer = client.queryAndConvert()
    assert [b["c"]["value"] for b in answer["results"]["bindings"]] == [str(ID["country/FR"])]


def test_sparqlwrapper_construct_in_xml_mode_gets_a_graph(endpoint):
    from SPARQLWrapper import SPARQLWrapper

    client = SPARQLWrapper(endpoint)
    client.setQuery("PREFIX ecg: <https://w3id.org/ecgraph/ontology#>\n"
                    "CONSTRUCT { ?c ecg:isoAlpha3 ?code } WHERE { ?c ecg:isoAlpha2 'FR' ; ecg:isoAlpha3 ?code }")
    g = client.queryAndConvert()
    assert isinstance(g, Graph) and len(g) == 1
    assert str(g.value(ID["country/FR"], URIRef("https://w3id.org/ecgraph/ontology#isoAlpha3"))) == "FRA"


def test_rdflib_sparqlstore_with_its_prefix_lines(endpoint):
    from rdflib.plugins.stores.sparqlstore import SPARQLStore

    remote = Graph(store=SPARQLStore(endpoint, returnFormat="json"))
    rows = list(remote.query("SELECT ?code WHERE { ?c ecg:isoAlpha2 'FR' ; ecg:isoAlpha3 ?code }",
                             initNs={"ecg": "https://w3id.org/ecgraph/ontology#"}))
    assert [str(r.code) for r in rows] == ["FRA"]
    assert (ID["country/FR"], URIRef("https://w3id.org/ecgraph/ontology#isoAlpha2"), None) in remote


@pytest.mark.parametrize("accept,media", [
    ("application/sparql-results+json", "application/sparql-results+json"),
    ("application/sparql-results+xml", "application/sparql-results+xml"),
    ("text/csv", "text/csv"),
    ("text/tab-separated-values", "text/tab-separated-values"),
])
def test_select_content_negotiation(endpoint, accept, media):
    status, ctype, body = http(endpoint + "?" + urllib.parse.urlencode({"query": FRANCE}), headers={"Accept": accept})
    assert status == 200 and ctype.startswith(media)
    rows = list(Result.parse(io.BytesIO(body.encode()), content_type=media))
    assert [str(r[0]) for r in rows] == [str(ID["country/FR"])]


@pytest.mark.parametrize("accept,media,rdflib_format", [
    ("text/turtle", "text/turtle", "turtle"),
    ("application/n-triples", "application/n-triples", "nt"),
    ("application/ld+json", "application/ld+json", "json-ld"),
    ("application/rdf+xml", "application/rdf+xml", "xml"),
])
def test_construct_content_negotiation(endpoint, accept, media, rdflib_format):
    query = "CONSTRUCT { ?c rdfs:label ?l } WHERE { ?c ecg:isoAlpha2 'FR' ; rdfs:label ?l }"
    status, ctype, body = http(endpoint + "?" + urllib.parse.urlencode({"query": query}), headers={"Accept": accept})
    assert status == 200 and ctype.startswith(media)
    assert len(Graph().parse(data=body, format=rdflib_format)) == 1


def test_format_and_output_parameters_win_over_accept(endpoint):
    for param in ("format", "output"):
        url = endpoint + "?" + urllib.parse.urlencode({"query": FRANCE, param: "csv"})
        status, ctype, body = http(url, headers={"Accept": "application/sparql-results+xml"})
        assert status == 200 and ctype.startswith("text/csv") and body.splitlines()[0] == "c"


def test_default_graph_uri_restricts_the_dataset(endpoint):
    count = "SELECT (COUNT(*) AS ?n) WHERE { ?c ecg:isoAlpha2 ?code }"
    def n(**params):
        status, _, body = get(endpoint, count, format="csv", **params)
        assert status == 200
        return int(body.splitlines()[1])
    assert n() == n(**{"default-graph-uri": str(GRAPH.curated)}) > 200
    assert n(**{"default-graph-uri": "urn:ecgraph:no-such-graph"}) == 0


def test_named_graph_uri_limits_graph_patterns(endpoint):
    query = "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }"
    _, _, body = get(endpoint, query, format="csv")
    assert body.split() == ["g", str(GRAPH.curated)]
    _, _, body = get(endpoint, query, format="csv", **{"named-graph-uri": "urn:ecgraph:other"})
    assert body.split() == ["g"]


def test_service_description_without_a_query(endpoint):
    status, ctype, body = http(endpoint)
    assert status == 200 and ctype.startswith("text/turtle")
    g = Graph().parse(data=body, format="turtle")
    service = g.value(None, SD.endpoint, URIRef(endpoint))
    assert service is not None and (service, SD.supportedLanguage, SD.SPARQL11Query) in g


def test_start_page_is_an_offline_form_with_the_views(endpoint):
    status, ctype, body = http(endpoint.removesuffix("/sparql") + "/")
    assert status == 200 and ctype.startswith("text/html")
    assert '<form action="/sparql"' in body and "entity-list-footnotes" in body
    assert 'href="/exports/network.html"' in body
    assert "src=" not in body and "<link" not in body  # nothing fetched from a CDN
    assert http(endpoint.removesuffix("/sparql") + "/exports/network.html")[2] == "<html>the network view</html>"
    assert http(endpoint.removesuffix("/sparql") + "/exports/..%2Fsecret")[0] == 404
    status, _, text = http(endpoint.removesuffix("/sparql") + "/queries/entity-list-footnotes.rq")
    assert status == 200 and text.startswith("# ")


# ---- refusals

@pytest.mark.parametrize("data,ctype", [
    (b"update=INSERT+DATA+%7B+%3Curn%3Aa%3E+%3Curn%3Ab%3E+%3Curn%3Ac%3E+%7D", "application/x-www-form-urlencoded"),
    (b"INSERT DATA { <urn:a> <urn:b> <urn:c> }", "application/sparql-update"),
])
def test_updates_are_refused(endpoint, data, ctype):
    status, _, body = http(endpoint, data=data, headers={"Content-Type": ctype})
    assert status == 403 and "read-only" in body
    assert json.loads(get(endpoint, "ASK { <urn:a> <urn:b> <urn:c> }", format="json")[2])["boolean"] is False


def test_an_update_sent_as_a_query_is_refused(endpoint):
    status, _, body = get(endpoint, "DELETE WHERE { ?s ?p ?o }")
    assert status == 403 and "read-only" in body


@pytest.mark.parametrize("query", [
    "SELECT * WHERE { SERVICE <http://127.0.0.1:1/sparql> { ?s ?p ?o } }",
    "SELECT * WHERE { ?s ?p ?o OPTIONAL { service silent <http://example.org/sparql> { ?s ?q ?r } } } LIMIT 1",
])
def test_service_is_refused(endpoint, query):
    status, _, body = get(endpoint, query)
    assert status == 403 and "SERVICE" in body


def test_a_word_service_inside_a_string_or_iri_is_not_a_service(endpoint):
    status, _, _ = get(endpoint, "SELECT * WHERE { ?s rdfs:label 'SERVICE' } # SERVICE <x>")
    assert status == 200


def test_a_malformed_query_gets_400_with_the_parser_message(endpoint):
    status, _, body = get(endpoint, "SELECT ?s WHERE { ?s ?p }")
    assert status == 400 and "does not parse" in body and "error at 1:" in body


def test_an_unknown_format_gets_400(endpoint):
    status, _, body = get(endpoint, FRANCE, format="yaml")
    assert status == 400 and "unknown format 'yaml'" in body


def test_the_result_cap_is_a_clear_error(endpoint):
    status, _, body = get(endpoint, "SELECT ?s ?p WHERE { ?s a ecg:Country ; ?p ?o }")
    assert status == 413 and "more than 500 rows" in body
    assert get(endpoint, "SELECT ?s ?p WHERE { ?s a ecg:Country ; ?p ?o } LIMIT 500")[0] == 200


def test_a_runaway_query_is_stopped_while_other_clients_are_answered(endpoint):
    outcome = {}
    runaway = threading.Thread(target=lambda: outcome.update(answer=get(endpoint, RUNAWAY)))
    runaway.start()
    status, _, body = get(endpoint, FRANCE, format="csv")  # answered by the other worker
    answered_while_running = runaway.is_alive()
    runaway.join(60)
    assert status == 200 and body.split() == ["c", str(ID["country/FR"])]
    assert answered_while_running
    status, _, body = outcome["answer"]
    assert status == 503 and "time limit of 3 s" in body
    # the killed worker is replaced: the endpoint keeps answering
    for _ in range(3):
        assert get(endpoint, FRANCE, format="csv")[0] == 200


def test_it_binds_loopback_by_default():
    import inspect

    assert inspect.signature(server.start).parameters["host"].default == "127.0.0.1"


# ---- the dataset a query names

COUNT_ALL = "SELECT (COUNT(*) AS ?n) {from} WHERE {{ ?s ?p ?o }}"


def count(endpoint, query, **params):
    status, _, body = get(endpoint, query, format="csv", **params)
    assert status == 200, body
    return int(body.splitlines()[1])


def test_from_names_the_default_graph_instead_of_the_union(endpoint):
    union = count(endpoint, COUNT_ALL.format(**{"from": ""}))
    assert count(endpoint, COUNT_ALL.format(**{"from": f"FROM <{GRAPH.curated}>"})) == union > 0
    assert count(endpoint, COUNT_ALL.format(**{"from": "FROM <urn:ecgraph:no-such-graph>"})) == 0


def test_default_graph_uri_wins_over_the_querys_from(endpoint):
    query = COUNT_ALL.format(**{"from": "FROM <urn:ecgraph:no-such-graph>"})
    assert count(endpoint, query, **{"default-graph-uri": str(GRAPH.curated)}) > 0


def test_a_default_graph_uri_that_is_not_an_iri_gets_400_naming_it(endpoint):
    status, _, body = get(endpoint, FRANCE, **{"default-graph-uri": "not an iri"})
    assert status == 400 and "default-graph-uri 'not an iri' is not an absolute IRI" in body


# ---- formats that do not suit the answer

def test_ask_in_csv_or_tsv_gets_406_naming_the_formats_that_work(endpoint):
    for fmt in ("csv", "tsv"):
        status, _, body = get(endpoint, "ASK { ?s ?p ?o }", format=fmt)
        assert status == 406 and "use one of json, xml" in body
    status, _, body = http(endpoint + "?" + urllib.parse.urlencode({"query": "ASK { ?s ?p ?o }"}),
                           headers={"Accept": "text/csv"})
    assert status == 406 and "application/sparql-results+json" in body


def test_ask_with_csv_preferred_and_anything_else_accepted_gets_json(endpoint):
    status, ctype, body = http(endpoint + "?" + urllib.parse.urlencode({"query": "ASK { ?s ?p ?o }"}),
                               headers={"Accept": "text/csv, */*;q=0.1"})
    assert status == 200 and ctype.startswith("application/sparql-results+json")
    assert json.loads(body)["boolean"] is True


def test_turtle_for_a_select_gets_406(endpoint):
    status, _, body = get(endpoint, FRANCE, format="turtle")
    assert status == 406 and "does not suit SELECT answers; use one of json, xml, csv, tsv" in body


def test_an_accept_header_naming_no_result_format_gets_406(endpoint):
    status, _, body = http(endpoint + "?" + urllib.parse.urlencode({"query": FRANCE}), headers={"Accept": "image/png"})
    assert status == 406 and "image/png" in body


# ---- malformed requests

def raw_post(endpoint, headers: dict, body: bytes):
    """(status, body) of a POST written by hand, headers and all."""
    import http.client

    parts = urllib.parse.urlsplit(endpoint)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
    conn.putrequest("POST", parts.path, skip_accept_encoding=True)
    for name, value in headers.items():
        conn.putheader(name, value)
    conn.endheaders(body)
    response = conn.getresponse()
    out = response.status, response.read().decode()
    conn.close()
    return out


def test_a_content_length_that_is_not_a_number_gets_400(endpoint):
    status, body = raw_post(endpoint, {"Content-Type": "application/sparql-query", "Content-Length": "abc"},
                            FRANCE.encode())
    assert status == 400 and "Content-Length" in body  # waitress refuses it before the app


def test_a_chunked_post_is_read(endpoint):
    text = FRANCE.encode()
    chunked = b"".join(b"%x\r\n%s\r\n" % (len(c), c) for c in (text[:10], text[10:])) + b"0\r\n\r\n"
    status, body = raw_post(endpoint, {"Content-Type": "application/sparql-query", "Transfer-Encoding": "chunked",
                                       "Accept": "text/csv"}, chunked)
    assert status == 200 and body.split() == ["c", str(ID["country/FR"])]


def test_sigterm_stops_serve_and_removes_its_temporary_store(tmp_path):
    import os
    import signal
    import subprocess
    import sys
    from pathlib import Path

    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    data = Path(__file__).parent / "data" / "hostile_firm.ttl"
    env = dict(os.environ, TMPDIR=str(tmp_path))
    proc = subprocess.Popen([sys.executable, "-m", "graph.surfaces.cli", "serve", "--no-curated", "--data", str(data),
                             "--port", str(port), "--workers", "1"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, text=True)
    try:
        first = proc.stdout.readline()
        assert "ecgraph SPARQL endpoint at" in first, proc.stderr.read()[-500:]
        assert len(list(tmp_path.glob("ecgraph-serve-*"))) == 1
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=60) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
    assert list(tmp_path.glob("ecgraph-serve-*")) == []


# --------------------------------------------------------------------------- found by review (2026-12-04)

def test_literals_come_back_as_the_store_holds_them_in_every_format(endpoint):
    """NaN stays NaN (not nan), a date keeps its time zone (2025-06-01Z is not 2025-06-01)."""
    query = ('SELECT ?x WHERE { VALUES ?x { "NaN"^^xsd:double "INF"^^xsd:double "2025-06-01Z"^^xsd:date'
             ' "2025-06-01+05:00"^^xsd:date } }')
    status, _, body = get(endpoint, query, format="json")
    assert status == 200
    assert [b["x"]["value"] for b in json.loads(body)["results"]["bindings"]] == \
        ["NaN", "INF", "2025-06-01Z", "2025-06-01+05:00"]
    for fmt in ("xml", "csv", "tsv"):
        status, _, body = get(endpoint, query, format=fmt)
        assert status == 200 and "NaN" in body and "2025-06-01Z" in body and "nan" not in body, fmt


def test_a_long_chain_of_minus_signs_is_refused_before_it_reaches_an_engine(endpoint):
    status, _, body = http(endpoint, data=("ASK { FILTER(1" + "-1" * 20_000 + " < 0) }").encode(),
                           headers={"Content-Type": "application/sparql-query"})
    assert status == 400 and "brackets and operators" in body


def test_a_dataset_iri_that_oxigraph_cannot_read_is_a_bad_request(endpoint):
    status, _, body = get(endpoint, "ASK {}", **{"default-graph-uri": "http://e.org:abc/"})
    assert status == 400 and "not an IRI" in body


def test_a_wrong_method_names_the_allowed_ones_and_an_unknown_path_is_not_found(endpoint):
    request = urllib.request.Request(endpoint, data=b"x", method="PUT")
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=30)
    assert refused.value.code == 405 and refused.value.headers["Allow"] == "GET, HEAD, POST, OPTIONS"
    assert http(endpoint.rsplit("/", 1)[0] + "/no/such/path", method="OPTIONS")[0] == 404


def test_a_request_from_another_site_s_page_is_refused(endpoint):
    form = urllib.parse.urlencode({"query": FRANCE}).encode()
    ctype = {"Content-Type": "application/x-www-form-urlencoded"}
    assert http(endpoint, data=form, headers={**ctype, "Sec-Fetch-Site": "cross-site"})[0] == 403
    assert http(endpoint, data=form, headers={**ctype, "Origin": "https://evil.example"})[0] == 403
    own = endpoint.rsplit("/", 1)[0]
    assert http(endpoint, data=form, headers={**ctype, "Origin": own, "Sec-Fetch-Site": "same-origin"})[0] == 200
    assert http(endpoint, data=form, headers=ctype)[0] == 200  # a client that is no browser


def test_rdf_xml_that_xml_cannot_read_is_refused_with_the_formats_that_can(endpoint):
    query = 'CONSTRUCT { <urn:s> <urn:p> "x"^^<http://e.org/dt?a=1&b=2> } WHERE {}'
    status, _, body = get(endpoint, query, format="xml")
    assert status == 406 and "turtle" in body


def test_an_export_that_links_out_of_the_folder_is_not_served(endpoint, tmp_path):
    import graph.surfaces.server as srv

    folder = tmp_path / "exports"
    folder.mkdir()
    (folder / "kept.html").write_text("kept")
    secret = tmp_path / "secret.txt"
    secret.write_text("secret")
    (folder / "link.txt").symlink_to(secret)
    ep = srv.Endpoint.__new__(srv.Endpoint)
    object.__setattr__(ep, "exports", folder) if hasattr(ep, "__dataclass_fields__") else setattr(ep, "exports", folder)
    assert [p.name for p in srv._export_files(ep)] == ["kept.html"]
