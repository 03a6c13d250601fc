"""No query makes ecgraph reach another host: every SERVICE variant, on both stores, the CLI and the endpoint.

    query text --> sparql.query() on Oxigraph / rdflib        \
               --> ecgraph query (the CLI)                     >--X--> a loopback listener that records
               --> ecgraph serve /sparql (a worker process)   /         every connection it is offered

Each variant is refused (QueryError, exit 2, HTTP 4xx) or answered without the
service, and the listener must see no connection at all. The guarantee does not
rest on reading the text: SERVICE is refused from rdflib's parse, rdflib's SERVICE
evaluation is replaced by a refusal, and the engines run where the kernel refuses
network sockets (graph/store/offline.py).
"""

import socket
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

import pytest

from graph.store import offline, sparql
from graph.surfaces import server
from graph.surfaces.cli import main
from graph.errors import QueryError


class Listener:
    """A TCP listener on a free loopback port that counts the connections it accepts."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.sock.settimeout(0.1)
        self.port = self.sock.getsockname()[1]
        self.connections = 0
        self._stop = False
        self.thread = threading.Thread(target=self._loop, daemon=True)
        self.thread.start()

    def _loop(self):
        while not self._stop:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            self.connections += 1
            conn.close()

    def settle(self) -> int:
        time.sleep(0.2)  # a connection in flight is accepted before we count
        return self.connections

    def close(self):
        self._stop = True
        self.thread.join(2)
        self.sock.close()


@pytest.fixture(scope="module")
def listener():
    lst = Listener()
    yield lst
    lst.close()


def variants(port: int) -> dict[str, str]:
    """Every way we know of to write a federated query to the listener."""
    url = f"http://127.0.0.1:{port}/sparql"
    body = "{ ?s ?p ?o }"
    return {
        "plain": f"SELECT * WHERE {{ SERVICE <{url}> {body} }}",
        "lower case": f"select * where {{ service <{url}> {body} }}",
        "mixed case": f"SELECT * WHERE {{ SeRvIcE <{url}> {body} }}",
        "silent": f"SELECT * WHERE {{ SERVICE SILENT <{url}> {body} }}",
        "comment ended by CR": f"SELECT * WHERE {{ # a comment\rSERVICE <{url}> {body}\n}}",
        "comment ended by CR hiding from rdflib": f"SELECT * WHERE {{ ?s ?p ?o # c\rSERVICE <{url}> {{ ?a ?b ?c }}\n}}",
        "CR LF and tabs around the keyword": f"SELECT * WHERE {{\r\n\tSERVICE\r\n\t<{url}>\t{body} }}",
        "no whitespace": f"SELECT*WHERE{{SERVICE<{url}>{{?s ?p ?o}}}}",
        "comment between keyword and IRI": f"SELECT * WHERE {{ SERVICE # why not\n <{url}> {body} }}",
        "codepoint escape in the keyword": f"SELECT * WHERE {{ \\u0053ERVICE <{url}> {body} }}",
        "long codepoint escape in the keyword": f"SELECT * WHERE {{ \\U00000053ERVICE <{url}> {body} }}",
        "codepoint escape in the IRI": f"SELECT * WHERE {{ SERVICE <http://127.0.0.1:{port}/\\u0073parql> {body} }}",
        "long s folding to S": f"SELECT * WHERE {{ \u017fERVICE <{url}> {body} }}",
        "dotless i folding to I": f"SELECT * WHERE {{ SERV\u0131CE <{url}> {body} }}",
        "inside OPTIONAL": f"SELECT * WHERE {{ ?x ?y ?z OPTIONAL {{ SERVICE <{url}> {body} }} }} LIMIT 1",
        "inside UNION": f"SELECT * WHERE {{ {{ ?x ?y ?z }} UNION {{ SERVICE <{url}> {body} }} }} LIMIT 1",
        "inside MINUS": f"SELECT * WHERE {{ ?s ?p ?o MINUS {{ SERVICE <{url}> {body} }} }} LIMIT 1",
        "inside FILTER EXISTS": f"SELECT * WHERE {{ ?s ?p ?o FILTER EXISTS {{ SERVICE <{url}> {body} }} }} LIMIT 1",
        "inside GRAPH": f"SELECT * WHERE {{ GRAPH ?g {{ SERVICE <{url}> {body} }} }}",
        "nested groups": f"SELECT * WHERE {{ {{ {{ {{ SERVICE <{url}> {body} }} }} }} }}",
        "in a subquery": f"SELECT * WHERE {{ {{ SELECT * WHERE {{ SERVICE <{url}> {body} }} }} }}",
        "SERVICE in SERVICE": f"SELECT * WHERE {{ SERVICE <{url}> {{ SERVICE <{url}> {body} }} }}",
        "variable endpoint from VALUES": f"SELECT * WHERE {{ VALUES ?e {{ <{url}> }} SERVICE ?e {body} }}",
        "variable endpoint from BIND": f"SELECT * WHERE {{ BIND(IRI('{url}') AS ?e) SERVICE ?e {body} }}",
        "prefixed name endpoint": f"PREFIX remote: <http://127.0.0.1:{port}/> SELECT * WHERE {{ SERVICE remote:sparql {body} }}",
        "relative IRI against BASE": f"BASE <http://127.0.0.1:{port}/> SELECT * WHERE {{ SERVICE <sparql> {body} }}",
        "ASK": f"ASK {{ SERVICE <{url}> {body} }}",
        "CONSTRUCT": f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ SERVICE <{url}> {body} }}",
        "CONSTRUCT WHERE": f"CONSTRUCT WHERE {{ SERVICE <{url}> {body} }}",
        "DESCRIBE": f"DESCRIBE ?s WHERE {{ SERVICE <{url}> {body} }}",
        "FROM a remote graph": f"SELECT * FROM <{url}> WHERE {{ ?s ?p ?o }}",
        "FROM NAMED a remote graph": f"SELECT * FROM NAMED <{url}> WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }}",
        "FROM behind a CR comment": f"SELECT * # c\rFROM <{url}>\nWHERE {{ ?s ?p ?o }} LIMIT 1",
    }


IDS = list(variants(1))
REFUSED_OR_EMPTY = "refused, or answered without reaching the host"


def run_local(g, text):
    try:
        sparql.query(g, text, timeout=20)
    except QueryError as exc:
        return str(exc)
    return None


@pytest.mark.parametrize("name", IDS)
def test_query_never_reaches_another_host(g, listener, name):
    before = listener.settle()
    message = run_local(g, variants(listener.port)[name])
    assert listener.settle() == before, f"{name}: the engine connected to the listener"
    if message is not None:
        assert "\n" not in message


@pytest.mark.parametrize("name", ["plain", "silent", "inside OPTIONAL", "in a subquery",
                                  "variable endpoint from VALUES", "prefixed name endpoint"])
def test_service_is_refused_from_the_parse_naming_it(g, listener, name):
    with pytest.raises(QueryError, match="SERVICE"):
        sparql.query(g, variants(listener.port)[name])


def test_the_word_service_as_data_is_no_service(g):
    text = ("SELECT ?s WHERE { ?s rdfs:label ?l FILTER (?l != 'SERVICE' && ?l != \"\"\"x\rSERVICE <http://a/>\"\"\") }"
            " LIMIT 3 # SERVICE <http://127.0.0.1:1/>")
    assert len(list(sparql.query(g, text))) == 3


@pytest.mark.skipif(not offline.available(), reason="the network guard is for Linux on x86-64 and AArch64")
def test_a_guarded_thread_cannot_connect_but_others_can(listener):
    outcome = {}

    def guarded():
        offline.forbid_network()
        try:
            socket.create_connection(("127.0.0.1", listener.port), timeout=2).close()
            outcome["guarded"] = "connected"
        except OSError as exc:
            outcome["guarded"] = type(exc).__name__
        a, b = socket.socketpair()  # local AF_UNIX sockets stay allowed
        a.close(), b.close()

    before = listener.settle()
    thread = threading.Thread(target=guarded)
    thread.start()
    thread.join()
    assert outcome["guarded"] == "PermissionError" and listener.settle() == before
    socket.create_connection(("127.0.0.1", listener.port), timeout=2).close()  # this thread is not guarded
    assert listener.settle() == before + 1


@pytest.mark.parametrize("name", ["plain", "comment ended by CR", "comment ended by CR hiding from rdflib",
                                  "silent", "variable endpoint from BIND", "FROM a remote graph"])
def test_cli_query_never_reaches_another_host(listener, name, capsys):
    before = listener.settle()
    code = main(["query", variants(listener.port)[name], "--no-inferred", "--timeout", "20"])
    err = capsys.readouterr().err
    assert listener.settle() == before
    assert code in (0, 2) and err.count("\n") <= 1


def test_cli_refuses_a_service_endpoint_given_by_bind(listener, capsys):
    text = "SELECT * WHERE { SERVICE ?e { ?s ?p ?o } }"
    before = listener.settle()
    code = main(["query", text, "--bind", f"e=<http://127.0.0.1:{listener.port}/sparql>", "--no-inferred"])
    assert code == 2 and "SERVICE" in capsys.readouterr().err
    assert listener.settle() == before


@pytest.fixture(scope="module")
def endpoint(curated):
    with server.start(curated, port=0, timeout=10, workers=1, long_workers=1, default_graph="union") as running:
        yield running.url


@pytest.mark.parametrize("name", IDS)
def test_the_endpoint_never_reaches_another_host(endpoint, listener, name):
    url = endpoint + "?" + urllib.parse.urlencode({"query": variants(listener.port)[name]})
    before = listener.settle()
    try:
        with urllib.request.urlopen(url, timeout=60) as response:
            status = response.status
    except urllib.error.HTTPError as exc:
        status, body = exc.code, exc.read().decode()
        assert body.count("\n") == 1, body
    assert listener.settle() == before, f"{name}: the endpoint connected to the listener"
    assert status in (200, 400, 403)
