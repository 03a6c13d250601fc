"""The W3C SPARQL 1.1 query tests over HTTP, against ``ecgraph serve`` and ``oxigraph serve`` side by side.

The suites come from the rdflib source distribution (``test/data/suites/w3c/sparql11``);
``ECGRAPH_W3C_SUITES`` names the folder holding ``sparql11/`` (``.ci/run`` fetches it).
Each query-evaluation test's data (default graph and named graphs) is loaded into
both servers, the query is sent over HTTP, and the answer is compared with the
expected result: solutions as multisets with blank nodes up to renaming (in order
when the query ends with ORDER BY), numbers by value, graphs by isomorphism.
Syntax tests check that a good query is answered and a bad one gets 4xx; the
protocol tests are real HTTP checks (see :data:`PROTOCOL`).

    python tests/w3c/harness.py [SUITES]      # prints the table of pass counts

``deviations.toml`` beside this file lists every test where ecgraph and Oxigraph
differ, with the reason; ``tests/test_w3c.py`` keeps that list true.
"""

from __future__ import annotations

import http.client
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import tomllib
import urllib.parse
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from io import BytesIO
from pathlib import Path

from rdflib import RDF, XSD, BNode, Dataset, Graph, Literal, Namespace, URIRef, Variable
from rdflib.collection import Collection
from rdflib.query import Result

SUITES_ENV = "ECGRAPH_W3C_SUITES"
BASE = "http://www.w3.org/2009/sparql/docs/tests/data-sparql11/"
"""The IRI the sparql11 folder stands for: test IRIs, data IRIs and graph names are under it."""
SUITES = {"sparql11": BASE, "dawg-data-r2": "http://www.w3.org/2001/sw/DataAccess/tests/data-r2/"}
"""Suite folder -> the IRI it stands for. Categories of the SPARQL 1.0 suite are spelled ``data-r2/FOLDER``."""
DEVIATIONS = Path(__file__).with_name("deviations.toml")
PROTOCOL_DATA = Path(__file__).with_name("protocol.trig")

MF = Namespace("http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#")
QT = Namespace("http://www.w3.org/2001/sw/DataAccess/tests/test-query#")
DAWGT = Namespace("http://www.w3.org/2001/sw/DataAccess/tests/test-dawg#")
RS = Namespace("http://www.w3.org/2001/sw/DataAccess/tests/result-set#")

CATEGORIES = ("aggregates", "bind", "bindings", "construct", "csv-tsv-res", "exists", "functions", "grouping",
              "json-res", "negation", "project-expression", "property-path", "subquery", "service",
              "syntax-query", "syntax-fed", "protocol", "data-r2/dataset", "data-r2/graph")
"""The manifest folders run, in the table's order (SPARQL 1.0's dataset and GRAPH tests check the default graph)."""
NOT_RUN = {
    "entailment": "entailment regimes (RDFS, OWL...): neither server claims one",
    "add basic-update clear copy delete delete-data delete-insert delete-where drop move update-silent "
    "syntax-update-1 syntax-update-2": "SPARQL Update: ecgraph serve is read-only by design",
    "http-rdf-update service-description": "Graph Store protocol and service description: no query manifests",
}
"""Folders of the suite left out, and why (printed under the table)."""

SERVERS = ("ecgraph", "oxigraph")
ECGRAPH_SERVERS = 3
"""ecgraph servers running at once (each test dataset gets its own; starting one is most of the time)."""
_RESULTS_ACCEPT = "application/sparql-results+json, application/n-triples;q=0.9"
_ACCEPTS = (_RESULTS_ACCEPT, "application/sparql-results+xml, text/turtle;q=0.9")
"""What an evaluation test asks for, in turn: any query form gets an answer it can give."""
_RESULT_TYPES = {"application/sparql-results+json": "json", "application/json": "json",
                 "application/sparql-results+xml": "xml", "text/csv": "csv", "text/tab-separated-values": "tsv"}
_GRAPH_TYPES = {"application/n-triples": "nt", "text/plain": "nt", "text/turtle": "turtle",
                "application/rdf+xml": "xml", "application/ld+json": "json-ld", "application/n-quads": "nquads"}


# --------------------------------------------------------------------------- the tests


@dataclass(frozen=True)
class Case:
    """One W3C test: its IRI, manifest folder, kind, and the files it names."""

    iri: str
    category: str
    kind: str  # "eval", "syntax+", "syntax-" or "protocol"
    query: Path | None = None
    data: tuple[Path, ...] = ()
    graph_data: tuple[tuple[str, Path], ...] = ()  # (graph name, file)
    service_data: tuple[tuple[str, Path], ...] = ()  # (endpoint IRI, file)
    result: Path | None = None

    @property
    def name(self) -> str:
        return self.iri.rsplit("#", 1)[-1]

    @property
    def dataset_key(self) -> tuple:
        return (self.data, self.graph_data)


@dataclass(frozen=True)
class Outcome:
    """What one server did on one test: passed or not, and if not, why in one line."""

    case: Case
    server: str
    passed: bool
    detail: str = ""


_KINDS = {MF.QueryEvaluationTest: "eval", MF.CSVResultFormatTest: "eval", MF.PositiveSyntaxTest11: "syntax+",
          MF.NegativeSyntaxTest11: "syntax-", MF.ProtocolTest: "protocol"}


def suites_dir() -> Path | None:
    """The folder holding ``sparql11/`` from ``$ECGRAPH_W3C_SUITES``, or None when it is not there."""
    root = os.environ.get(SUITES_ENV)
    if root and (Path(root) / "sparql11" / "manifest-all.ttl").is_file():
        return Path(root)
    return None


def _suite(category: str) -> tuple[str, str, str]:
    """(suite folder, its IRI, manifest folder) of a category."""
    if category.startswith("data-r2/"):
        return "dawg-data-r2", SUITES["dawg-data-r2"], category[len("data-r2/"):]
    return "sparql11", BASE, category


def cases(root: Path, categories=CATEGORIES) -> list[Case]:
    """The tests of ``categories`` in the suites at ``root``, in manifest order."""
    out = []
    for category in categories:
        suite, base, sub = _suite(category)
        folder = root / suite

        def local(iri, folder=folder, base=base) -> Path:
            return folder / str(iri)[len(base):]

        manifest = folder / sub / "manifest.ttl"
        g = Graph().parse(manifest, format="turtle", publicID=f"{base}{sub}/manifest.ttl")
        for entries in g.objects(None, MF.entries):
            for test in Collection(g, entries):
                kind = _KINDS.get(g.value(test, RDF.type))
                if kind is None or (test, DAWGT.approval, DAWGT.Withdrawn) in g:
                    continue
                action = g.value(test, MF.action)
                if kind == "protocol":
                    out.append(Case(str(test), category, kind))
                elif kind != "eval":
                    out.append(Case(str(test), category, kind, query=local(action)))
                else:
                    query = local(g.value(action, QT.query))
                    named = {str(d): local(d) for d in g.objects(action, QT.graphData)}
                    named.update(_from_graphs(query, folder, base))
                    services = []
                    for sd in g.objects(action, QT.serviceData):
                        services.append((str(g.value(sd, QT.endpoint)), local(g.value(sd, QT.data))))
                    out.append(Case(
                        str(test), category, kind, query=query,
                        data=tuple(sorted(local(d) for d in g.objects(action, QT.data))),
                        graph_data=tuple(sorted(named.items())),
                        service_data=tuple(sorted(services)), result=local(g.value(test, MF.result))))
    return out


def _from_graphs(query: Path, folder: Path, suite_base: str) -> dict[str, Path]:
    """The suite's files a query names with FROM / FROM NAMED: the harness loads them as named graphs.

    A server does not fetch FROM IRIs (neither of these does), so a test whose
    dataset is only in its FROM clauses gets those graphs loaded beforehand, the way
    the W3C harnesses of other engines do it.
    """
    from urllib.parse import urljoin

    from rdflib.plugins.sparql.parser import parseQuery

    base = suite_base + query.relative_to(folder).as_posix()
    try:
        parsed = parseQuery(query.read_text(encoding="utf-8"))[1]
    except Exception:  # a query rdflib cannot read: the servers will tell
        return {}
    clauses = parsed["datasetClause"] if "datasetClause" in parsed else []
    out = {}
    for clause in clauses:
        iri = urljoin(base, str(clause["named"] if "named" in clause else clause["default"]))
        if iri.startswith(suite_base) and (folder / iri[len(suite_base):]).is_file():
            out[iri] = folder / iri[len(suite_base):]
    return out


def _iri_of(path: Path, root: Path) -> str:
    for suite, base in SUITES.items():
        if (root / suite) in path.parents:
            return base + path.relative_to(root / suite).as_posix()
    raise ValueError(f"{path} is in none of the suites")


def _format_of(path: Path) -> str:
    return {".ttl": "turtle", ".rdf": "xml", ".nt": "nt", ".nq": "nquads", ".trig": "trig"}[path.suffix]


def dataset(root: Path, data=(), graph_data=(), *, rewrite: dict | None = None) -> Dataset:
    """The test's dataset: ``data`` files merged into the default graph, each ``graph_data`` file a named graph.

    ``rewrite``: IRI -> IRI to replace wherever it occurs (SERVICE endpoints named in data).
    """
    ds = Dataset()
    for path in data:
        ds.default_graph.parse(path, format=_format_of(path), publicID=_iri_of(path, root))
    for name, path in graph_data:
        ds.graph(URIRef(name)).parse(path, format=_format_of(path), publicID=name)
    if rewrite:
        swap = {URIRef(k): URIRef(v) for k, v in rewrite.items()}
        for g in list(ds.graphs()):
            for t in [t for t in g if any(x in swap for x in t)]:
                g.remove(t)
                g.add(tuple(swap.get(x, x) for x in t))
    return ds


def query_text(case: Case, root: Path, *, base: str | None = None) -> str:
    """The query, with its own IRI as BASE (a server's base IRI is its own choice, the test's is the file's)."""
    text = case.query.read_bytes().decode("utf-8")
    return f"BASE <{base or _iri_of(case.query, root)}>\n{text}"


# --------------------------------------------------------------------------- comparing answers

_INTEGERS = {XSD[t] for t in ("integer", "int", "long", "short", "byte", "nonNegativeInteger", "positiveInteger",
                              "nonPositiveInteger", "negativeInteger", "unsignedLong", "unsignedInt",
                              "unsignedShort", "unsignedByte")}
_FLOATS = {XSD.float, XSD.double}


def canonical(term):
    """``term`` with numbers in one lexical form and simple literals spelled one way, so equal values compare equal.

    >>> canonical(Literal("01", datatype=XSD.integer)) == canonical(Literal("1", datatype=XSD.integer))
    True
    >>> str(canonical(Literal("2.50", datatype=XSD.decimal))), str(canonical(Literal("1.0E0", datatype=XSD.double)))
    ('2.5', '1.0')
    >>> canonical(Literal("a", datatype=XSD.string)) == Literal("a")
    True
    """
    if not isinstance(term, Literal):
        return term
    lexical, dt = str(term), term.datatype
    if term.language:
        return Literal(lexical, lang=term.language.lower())
    if dt is None or dt == XSD.string:
        return Literal(lexical)
    try:
        if dt in _INTEGERS:
            return Literal(str(int(lexical.strip())), datatype=dt, normalize=False)
        if dt == XSD.decimal:
            value = Decimal(lexical.strip())
            return Literal(f"{value.normalize():f}" if value.is_finite() else lexical, datatype=dt, normalize=False)
        if dt in _FLOATS:
            return Literal(repr(float(lexical.strip())), datatype=dt, normalize=False)
    except (ValueError, InvalidOperation):
        pass  # an ill-typed literal compares by its spelling
    return Literal(lexical, datatype=dt, normalize=False)


def _skeleton(row: dict) -> frozenset:
    """A solution with every blank node the same, to match solutions before matching blank nodes."""
    return frozenset((v, "_:" if isinstance(t, BNode) else t) for v, t in row.items())


def _extend(mapping: dict, back: dict, a: dict, b: dict) -> tuple[dict, dict] | None:
    """``mapping`` (expected blank node -> actual) grown so that row ``a`` maps onto row ``b``, or None."""
    mapping, back = dict(mapping), dict(back)
    for v, t in a.items():
        if isinstance(t, BNode):
            u = b.get(v)
            if mapping.setdefault(t, u) != u or back.setdefault(u, t) != t:
                return None
    return mapping, back


def same_solutions(expected: list[dict], actual: list[dict], *, ordered: bool = False) -> bool:
    """Whether two lists of solutions (variable -> term) are the same multiset, blank nodes up to renaming.

    ``ordered``: also in the same order (for a query with ORDER BY: give the solutions
    reduced to the ordering variables).

    >>> a, b = BNode(), BNode()
    >>> x, y = Variable("x"), Variable("y")
    >>> same_solutions([{x: a, y: a}, {x: b}], [{x: BNode("q")}, {x: BNode("p"), y: BNode("p")}])
    True
    >>> same_solutions([{x: a, y: a}], [{x: BNode("p"), y: BNode("q")}])
    False
    >>> same_solutions([{x: Literal(1)}, {x: Literal(2)}], [{x: Literal(2)}, {x: Literal(1)}], ordered=True)
    False
    """
    expected = [{v: canonical(t) for v, t in r.items()} for r in expected]
    actual = [{v: canonical(t) for v, t in r.items()} for r in actual]
    if len(expected) != len(actual):
        return False
    if ordered:
        return all(_skeleton(a) == _skeleton(b) for a, b in zip(expected, actual)) and \
            _bijection(expected, actual, pairs=True)
    if Counter(map(_skeleton, expected)) != Counter(map(_skeleton, actual)):
        return False
    return _bijection(expected, actual)


def _bijection(expected, actual, *, pairs=False) -> bool:
    """Whether one renaming of blank nodes maps the expected solutions onto the actual ones."""
    has = [r for r in expected if any(isinstance(t, BNode) for t in r.values())]
    if pairs:
        state = ({}, {})
        for a, b in zip(expected, actual):
            state = _extend(*state, a, b)
            if state is None:
                return False
        return True
    pool = [r for r in actual if any(isinstance(t, BNode) for t in r.values())]
    budget = [200_000]

    def search(i, mapping, back, used):
        if i == len(has):
            return True
        budget[0] -= 1
        if budget[0] < 0:
            return False
        row = has[i]
        for j, cand in enumerate(pool):
            if j in used or _skeleton(cand) != _skeleton(row):
                continue
            grown = _extend(mapping, back, row, cand)
            if grown and search(i + 1, *grown, used | {j}):
                return True
        return False

    return search(0, {}, {}, frozenset())


def canonical_graph(g: Graph) -> Graph:
    """A copy of ``g`` with :func:`canonical` literals, for :func:`rdflib.compare.isomorphic`."""
    out = Graph()
    for s, p, o in g:
        out.add((s, p, canonical(o)))
    return out


def _order_variables(text: str) -> list[Variable] | None:
    """The variables of the query's top-level ORDER BY, or None when it has none (or rdflib cannot read it)."""
    from rdflib.plugins.sparql.parser import parseQuery
    from rdflib.plugins.sparql.parserutils import CompValue
    from rdflib.plugins.sparql.algebra import translateQuery

    try:
        node = translateQuery(parseQuery(text)).algebra
    except Exception:
        return None
    while isinstance(node, CompValue) and node.name in ("SelectQuery", "Project", "Distinct", "Reduced",
                                                        "Slice", "ToMultiSet", "Extend"):
        node = node.p
    if not (isinstance(node, CompValue) and node.name == "OrderBy"):
        return None
    found: list[Variable] = []

    def walk(x):
        if isinstance(x, Variable):
            found.append(x)
        elif isinstance(x, dict):
            for k, v in x.items():
                if k not in ("_vars", "p"):
                    walk(v)
        elif isinstance(x, (list, tuple)):
            for v in x:
                walk(v)

    walk(node.expr)
    return list(dict.fromkeys(found))


def _order_keys(text: str) -> list[tuple[Variable, bool]] | None:
    """``(variable, descending)`` per condition of the top-level ORDER BY, or None unless each is a plain variable."""
    from rdflib.plugins.sparql.parser import parseQuery
    from rdflib.plugins.sparql.parserutils import CompValue
    from rdflib.plugins.sparql.algebra import translateQuery

    try:
        node = translateQuery(parseQuery(text)).algebra
    except Exception:
        return None
    while isinstance(node, CompValue) and node.name in ("SelectQuery", "Project", "Distinct", "Reduced",
                                                        "Slice", "ToMultiSet", "Extend"):
        node = node.p
    if not (isinstance(node, CompValue) and node.name == "OrderBy"):
        return None
    keys = []
    for cond in node.expr:
        expr, desc = (cond.expr, cond.order == "DESC") if isinstance(cond, CompValue) else (cond, False)
        if not isinstance(expr, Variable):
            return None
        keys.append((expr, desc))
    return keys


_NUMERIC = _INTEGERS | _FLOATS | {XSD.decimal}


def order_of(a, b) -> int | None:
    """How SPARQL's ORDER BY ranks two terms (None: unbound): -1, 0, 1, or None where SPARQL leaves it open.

    Unbound < blank nodes < IRIs < literals; numbers by value, strings by code point,
    same-typed dates and booleans by value; literals of other differing kinds are unordered.

    >>> order_of(Literal(2), Literal("10", datatype=XSD.decimal)), order_of(None, BNode())
    (-1, -1)
    >>> order_of(Literal("a"), Literal(1)) is None
    True
    """
    def rank(t):
        return 0 if t is None else 1 if isinstance(t, BNode) else 2 if isinstance(t, URIRef) else 3
    ra, rb = rank(a), rank(b)
    if ra != rb:
        return -1 if ra < rb else 1
    if ra in (0, 1):
        return 0 if ra == 0 or a == b else None
    if ra == 2:
        return (a > b) - (a < b)
    da, db = a.datatype or (None if a.language else XSD.string), b.datatype or (None if b.language else XSD.string)
    try:
        if da in _NUMERIC and db in _NUMERIC:
            x, y = float(str(a)), float(str(b))
        elif da == db == XSD.string:
            x, y = str(a), str(b)
        elif da == db and da in (XSD.boolean, XSD.dateTime, XSD.date) and a.value is not None and b.value is not None:
            x, y = a.value, b.value
        elif a == b:
            return 0
        else:
            return None
        return (x > y) - (x < y)
    except (TypeError, ValueError):
        return None


def in_order(rows: list[dict], keys: list[tuple[Variable, bool]]) -> bool:
    """Whether no two neighbouring solutions are in an order SPARQL forbids for ORDER BY ``keys``."""
    for first, second in zip(rows, rows[1:]):
        for var, desc in keys:
            c = order_of(first.get(var), second.get(var))
            if c is None:
                break  # SPARQL leaves these two unordered
            if c:
                if (c > 0) != desc:
                    return False
                break
    return True


def expected_answer(path: Path, iri: str | None = None):
    """The expected result file (``iri``: what it stands for): a :class:`Result` or a :class:`Graph`."""
    fmt = {".srx": "xml", ".srj": "json", ".csv": "csv", ".tsv": "tsv"}.get(path.suffix)
    if fmt:
        with path.open("rb") as f:
            return Result.parse(f, format=fmt)
    g = Graph().parse(path, format=_format_of(path), publicID=iri or path.as_uri())
    if (None, RDF.type, RS.ResultSet) in g:  # SPARQL 1.0 tests give solutions as RDF
        from rdflib.plugins.sparql.results.rdfresults import RDFResultParser

        return RDFResultParser().parse(g)
    return g


def answer_of(ctype: str, body: bytes):
    """A server's answer, parsed by its content type: a :class:`Result` or a :class:`Graph`."""
    media = ctype.split(";")[0].strip().lower()
    if media in _RESULT_TYPES:
        return Result.parse(BytesIO(body), format=_RESULT_TYPES[media])
    if media in _GRAPH_TYPES:
        return Graph().parse(data=body, format=_GRAPH_TYPES[media])
    raise ValueError(f"unexpected content type {ctype!r}")


def compare(expected, actual, query: str) -> str:
    """'' when ``actual`` answers as ``expected`` does, else what differs in one line."""
    from rdflib.compare import isomorphic

    if isinstance(expected, Graph) or (isinstance(expected, Result) and expected.type in ("CONSTRUCT", "DESCRIBE")):
        exp_g = expected if isinstance(expected, Graph) else expected.graph
        act_g = actual if isinstance(actual, Graph) else getattr(actual, "graph", None)
        if act_g is None:
            return f"expected a graph, got a {actual.type} result"
        if isomorphic(canonical_graph(exp_g), canonical_graph(act_g)):
            return ""
        return f"graphs differ: expected {len(exp_g)} triples, got {len(act_g)}"
    if isinstance(actual, Graph):
        return f"expected a {expected.type} result, got a graph"
    if expected.type == "ASK":
        if actual.type != "ASK":
            return f"expected a boolean, got a {actual.type} result"
        return "" if bool(actual.askAnswer) == bool(expected.askAnswer) else \
            f"expected {bool(expected.askAnswer)}, got {bool(actual.askAnswer)}"
    if actual.type != "SELECT":
        return f"expected solutions, got a {actual.type} result"
    exp_rows = [dict(b) for b in expected.bindings]
    act_rows = [dict(b) for b in actual.bindings]
    if not same_solutions(exp_rows, act_rows):
        return f"solutions differ: expected {len(exp_rows)}, got {len(act_rows)}"
    keys = _order_keys(query)
    if keys:
        return "" if in_order(act_rows, keys) else "same solutions, in an order ORDER BY forbids"
    order = _order_variables(query)
    if order:
        def cut(rows):
            return [{v: r[v] for v in order if v in r} for r in rows]
        if not same_solutions(cut(exp_rows), cut(act_rows), ordered=True):
            return "same solutions, wrong ORDER BY order"
    return ""


# --------------------------------------------------------------------------- HTTP


def request(url: str, *, method: str = "GET", params: dict | list | None = None, body: bytes | None = None,
            headers: dict | None = None, timeout: float = 30) -> tuple[int, str, bytes]:
    """One HTTP request with :mod:`http.client` (which adds no Content-Type of its own): status, type, body."""
    parts = urllib.parse.urlsplit(url)
    path = parts.path + ("?" + urllib.parse.urlencode(params, doseq=True) if params else "")
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        r = conn.getresponse()
        return r.status, r.getheader("Content-Type", ""), r.read()
    finally:
        conn.close()


def form(pairs) -> tuple[bytes, dict]:
    """A URL-encoded form body and its Content-Type header."""
    return urllib.parse.urlencode(pairs, doseq=True).encode(), {"Content-Type": "application/x-www-form-urlencoded"}


@dataclass
class Endpoint:
    """Where a server answers queries (and updates, if it takes them); ``dead``: a loopback URL nobody answers."""

    server: str
    query: str
    update: str | None = None
    dead: str = "http://127.0.0.1:9/"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Oxigraph:
    """An ``oxigraph serve`` process on a loopback port, reloaded with each test's dataset."""

    def __init__(self):
        binary = shutil.which("oxigraph")
        if binary is None:
            raise RuntimeError("the oxigraph binary (pip install oxigraph) is not on PATH")
        self.dir = tempfile.TemporaryDirectory(prefix="w3c-oxigraph-")
        port = _free_port()
        self.proc = subprocess.Popen([binary, "serve", "--location", self.dir.name, "--bind", f"127.0.0.1:{port}"],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        self.base = f"http://127.0.0.1:{port}"
        self.endpoint = Endpoint("oxigraph", f"{self.base}/query", f"{self.base}/update")
        for _ in range(400):
            try:
                if request(f"{self.base}/query", params={"query": "ASK {}"}, timeout=2)[0] == 200:
                    return
            except OSError:
                if self.proc.poll() is not None:
                    raise RuntimeError(f"oxigraph serve exited: {self.proc.stderr.read().decode()[-300:]}") from None
                time.sleep(0.05)
        self.close()
        raise RuntimeError("oxigraph serve did not start")

    def load(self, ds: Dataset) -> None:
        """Replace the store's content by dataset ``ds`` (Graph Store protocol PUTs)."""
        body, headers = form({"update": "DROP ALL"})
        status, _, text = request(self.endpoint.update, method="POST", body=body, headers=headers)
        if status >= 300:
            raise RuntimeError(f"oxigraph DROP ALL: {status} {text[:200]!r}")
        for g in ds.graphs():
            if not len(g):
                continue
            target = {"default": ""} if g.identifier == ds.default_graph.identifier else {"graph": str(g.identifier)}
            status, _, text = request(f"{self.base}/store", method="PUT", params=target,
                                      body=g.serialize(format="nt", encoding="utf-8"),
                                      headers={"Content-Type": "application/n-triples"})
            if status >= 300:
                raise RuntimeError(f"oxigraph PUT {target}: {status} {text[:200]!r}")

    def close(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self.dir.cleanup()


def ecgraph(ds: Dataset):
    """A running ``ecgraph serve`` over dataset ``ds`` on a free loopback port (a context manager; ``.url``)."""
    from graph.surfaces import server

    return server.start(ds, host="127.0.0.1", port=0, workers=1, timeout=20)


def ask(endpoint: Endpoint, text: str, *, accept: str = _RESULTS_ACCEPT) -> tuple[int, str, bytes]:
    """Send query ``text`` as a URL-encoded POST, the way most SPARQL clients do."""
    body, headers = form({"query": text})
    return request(endpoint.query, method="POST", body=body, headers={**headers, "Accept": accept})


def evaluate(case: Case, endpoint: Endpoint, root: Path, expected, rewrite: dict | None = None) -> Outcome:
    """Run one evaluation or syntax test on ``endpoint``.

    An evaluation test passes when the answer matches in each format asked for
    (:data:`_ACCEPTS`: JSON then XML results, N-Triples then Turtle graphs; CSV or TSV
    when that is the expected file's format), so each server's writers are tested too.

    ``rewrite``: SERVICE endpoint IRI -> loopback URL, applied to the query and undone in
    the answer. Syntax tests get a dead loopback BASE, so that a relative SERVICE IRI
    (``SERVICE <g>``) a server runs goes nowhere: the harness never reaches other hosts.
    """
    if case.kind == "eval":
        text = query_text(case, root)
    else:
        text = query_text(case, root, base=endpoint.dead + case.category + "/")
    for iri, url in (rewrite or {}).items():
        text = text.replace(f"<{iri}>", f"<{url}>")
    if case.kind == "eval" and case.result.suffix in (".csv", ".tsv"):
        accepts = ({".csv": "text/csv", ".tsv": "text/tab-separated-values"}[case.result.suffix],)
    else:
        accepts = _ACCEPTS if case.kind == "eval" else _ACCEPTS[:1]
    for accept in accepts:
        try:
            status, ctype, body = ask(endpoint, text, accept=accept)
        except OSError as exc:
            return Outcome(case, endpoint.server, False, f"no answer: {exc}")
        message = " ".join(body[:160].decode("utf-8", "replace").split())
        if case.kind == "syntax-":
            return Outcome(case, endpoint.server, 400 <= status < 500, f"HTTP {status}: {message}")
        if case.kind == "syntax+":  # accepted as SPARQL, whatever running it gave (an unknown function: 500)
            return Outcome(case, endpoint.server, not 400 <= status < 500, f"HTTP {status}: {message}")
        if status != 200:
            return Outcome(case, endpoint.server, False, f"HTTP {status}: {message}")
        media = ctype.split(";")[0].strip()
        try:
            actual = answer_of(ctype, body)
        except Exception as exc:
            why = " ".join(str(exc).split())[:160]
            return Outcome(case, endpoint.server, False, f"unreadable {media} answer: {why}")
        if rewrite:
            actual = _unmap(actual, {URIRef(v): URIRef(k) for k, v in rewrite.items()})
        want = expected
        if case.result.suffix == ".csv":
            want, actual = _csv_numbers(expected), _csv_numbers(actual)
        diff = compare(want, actual, text)
        if diff:
            return Outcome(case, endpoint.server, False, f"{media}: {diff}")
    return Outcome(case, endpoint.server, True)


# --------------------------------------------------------------------------- SERVICE


def _csv_numbers(result: Result) -> Result:
    """A CSV result with number-looking cells read as decimals: CSV drops datatypes, so ``1.0E6`` is ``1000000``."""
    out = Result("SELECT")
    out.vars = result.vars
    out.bindings = [{v: _number(t) for v, t in row.items()} for row in result.bindings]
    return out


def _number(term):
    if isinstance(term, Literal) and term.datatype is None and not term.language:
        try:
            value = Decimal(str(term))
        except InvalidOperation:
            return term
        if value.is_finite():
            return Literal(f"{value.normalize():f}", datatype=XSD.decimal, normalize=False)
    return term


def _unmap(answer, back: dict):
    """``answer`` with the loopback stand-ins' URLs turned back into the test's endpoint IRIs."""
    if isinstance(answer, Graph):
        out = Graph()
        for t in answer:
            out.add(tuple(back.get(x, x) for x in t))
        return out
    if answer.type == "SELECT":
        answer.bindings = [{v: back.get(t, t) for v, t in row.items()} for row in answer.bindings]
    return answer


def service_iris(tests: list[Case]) -> list[str]:
    """Every endpoint IRI the SERVICE tests name: in their service data, or after SERVICE in their query."""
    import re

    found = {iri for case in tests for iri, _ in case.service_data}
    for case in tests:
        if case.category == "service":
            text = case.query.read_text(encoding="utf-8")
            found |= set(re.findall(r"(?i)SERVICE\s+(?:SILENT\s+)?<(https?://[^>]+)>", text))
    return sorted(found)


# --------------------------------------------------------------------------- protocol

PROTOCOL: dict = {}
"""Protocol test name -> check(endpoint) returning '' (passed) or why it failed."""

_G1, _G2 = "http://example.org/protocol/g1", "http://example.org/protocol/g2"


def _check(fn):
    PROTOCOL[fn.__name__.removeprefix("p_")] = fn
    return fn


def _answer(status, ctype, body):
    if status != 200:
        raise AssertionError(f"HTTP {status}: {' '.join(body[:160].decode('utf-8', 'replace').split())}")
    return answer_of(ctype, body)


def _values(result, var="x") -> list[str]:
    return sorted(str(b[Variable(var)]) for b in result.bindings if Variable(var) in b)


def _fourxx(status, *_):
    if not 400 <= status < 500:
        raise AssertionError(f"expected a 4xx answer, got HTTP {status}")


@_check
def p_query_get(ep):
    result = _answer(*request(ep.query, params={"query": "ASK { ?s ?p ?o }"},
                              headers={"Accept": _RESULTS_ACCEPT}))
    assert result.type == "ASK", result.type


@_check
def p_query_post_form(ep):
    body, headers = form({"query": "ASK { ?s ?p ?o }"})
    assert _answer(*request(ep.query, method="POST", body=body, headers=headers)).type == "ASK"


@_check
def p_query_post_direct(ep):
    result = _answer(*request(ep.query, method="POST", body=b"ASK { ?s ?p ?o }",
                              headers={"Content-Type": "application/sparql-query"}))
    assert result.type == "ASK"


_WHO = "SELECT ?x WHERE { ?s <http://example.org/protocol/in> ?x }"
_GRAPHS = "SELECT DISTINCT ?x WHERE { GRAPH ?x { ?s ?p ?o } }"


@_check
def p_query_dataset_default_graphs_get(ep):
    got = _values(_answer(*request(ep.query, params={"query": _WHO, "default-graph-uri": _G1},
                                   headers={"Accept": _RESULTS_ACCEPT})))
    assert got == ["g1"], got


@_check
def p_query_dataset_default_graphs_post(ep):
    body, headers = form([("query", _WHO), ("default-graph-uri", _G1), ("default-graph-uri", _G2)])
    got = _values(_answer(*request(ep.query, method="POST", body=body, headers=headers)))
    assert got == ["g1", "g2"], got


@_check
def p_query_dataset_named_graphs_post(ep):
    body, headers = form([("query", _GRAPHS), ("named-graph-uri", _G1), ("named-graph-uri", _G2)])
    got = _values(_answer(*request(ep.query, method="POST", body=body, headers=headers)))
    assert got == [_G1, _G2], got


@_check
def p_query_dataset_named_graphs_get(ep):
    got = _values(_answer(*request(ep.query, params={"query": _GRAPHS, "named-graph-uri": _G2},
                                   headers={"Accept": _RESULTS_ACCEPT})))
    assert got == [_G2], got


@_check
def p_query_dataset_full(ep):
    query = "SELECT DISTINCT ?x ?y WHERE { ?s <http://example.org/protocol/in> ?x . GRAPH ?y { ?a ?b ?c } }"
    result = _answer(*request(ep.query, params={"query": query, "default-graph-uri": _G1, "named-graph-uri": _G2},
                              headers={"Accept": _RESULTS_ACCEPT}))
    got = sorted((str(b[Variable("x")]), str(b[Variable("y")])) for b in result.bindings)
    assert got == [("g1", _G2)], got


@_check
def p_query_multiple_dataset(ep):
    query = f"SELECT ?x FROM <{_G2}> WHERE {{ ?s <http://example.org/protocol/in> ?x }}"
    got = _values(_answer(*request(ep.query, params={"query": query, "default-graph-uri": _G1},
                                   headers={"Accept": _RESULTS_ACCEPT})))
    assert got == ["g1"], f"{got}: the protocol's dataset must win over FROM"


def _content_type(ep, query, accept, allowed):
    status, ctype, body = request(ep.query, params={"query": query}, headers={"Accept": accept})
    answer = _answer(status, ctype, body)
    media = ctype.split(";")[0].strip().lower()
    assert media in allowed, f"{media} is none of {allowed}"
    return answer


@_check
def p_query_content_type_select(ep):
    allowed = ("application/sparql-results+xml", "application/sparql-results+json", "text/csv",
               "text/tab-separated-values")
    answer = _content_type(ep, "SELECT * WHERE { ?s ?p ?o }", ", ".join(allowed), allowed)
    assert answer.type == "SELECT"


@_check
def p_query_content_type_ask(ep):
    allowed = ("application/sparql-results+xml", "application/sparql-results+json")
    assert _content_type(ep, "ASK { ?s ?p ?o }", ", ".join(allowed), allowed).type == "ASK"


_GRAPH_ACCEPT = ("application/rdf+xml", "text/turtle", "application/n-triples")


@_check
def p_query_content_type_describe(ep):
    answer = _content_type(ep, f"DESCRIBE <http://example.org/protocol/a> FROM <{_G1}>",
                           ", ".join(_GRAPH_ACCEPT), _GRAPH_ACCEPT)
    assert isinstance(answer, Graph) and len(answer) > 0, "an empty description"


@_check
def p_query_content_type_construct(ep):
    answer = _content_type(ep, "CONSTRUCT { ?s ?p ?o } WHERE { GRAPH ?g { ?s ?p ?o } }",
                           ", ".join(_GRAPH_ACCEPT), _GRAPH_ACCEPT)
    assert isinstance(answer, Graph) and len(answer) == 4, len(answer)


@_check
def p_bad_query_method(ep):
    _fourxx(*request(ep.query, method="PUT", params={"query": "ASK {}"}, body=b""))


@_check
def p_bad_multiple_queries(ep):
    _fourxx(*request(ep.query, params=[("query", "ASK {}"), ("query", "SELECT * WHERE { ?s ?p ?o }")]))


@_check
def p_bad_query_wrong_media_type(ep):
    _fourxx(*request(ep.query, method="POST", body=b"ASK {}", headers={"Content-Type": "text/plain"}))


@_check
def p_bad_query_missing_form_type(ep):
    _fourxx(*request(ep.query, method="POST", body=b"query=ASK%20%7B%7D"))


@_check
def p_bad_query_missing_direct_type(ep):
    _fourxx(*request(ep.query, method="POST", body=b"ASK {}"))


@_check
def p_bad_query_non_utf8(ep):
    _fourxx(*request(ep.query, method="POST", body="ASK { ?s ?p \"\u00e9\" }".encode("utf-16"),
                     headers={"Content-Type": "application/sparql-query"}))


@_check
def p_bad_query_syntax(ep):
    _fourxx(*request(ep.query, params={"query": "ASK { ?s ?p }"}))


def _update_target(ep):
    if ep.update is None:
        raise AssertionError("no update endpoint")
    return ep.update


_INSERT = ("INSERT DATA { GRAPH <http://example.org/protocol/u> "
           "{ <http://example.org/protocol/u1> <http://example.org/protocol/in> 'u' } }")


def _updated(ep, graph="http://example.org/protocol/u", value="u"):
    query = f"SELECT ?x WHERE {{ GRAPH <{graph}> {{ ?s ?p ?x }} }}"
    got = _values(_answer(*request(ep.query, params={"query": query},
                                   headers={"Accept": _RESULTS_ACCEPT})))
    assert value in got, f"the update left no trace: {got}"


def _update_ok(status, ctype, body):
    if not 200 <= status < 300:
        raise AssertionError(f"HTTP {status}: {' '.join(body[:160].decode('utf-8', 'replace').split())}")


@_check
def p_update_post_form(ep):
    body, headers = form({"update": _INSERT})
    _update_ok(*request(_update_target(ep), method="POST", body=body, headers=headers))
    _updated(ep)


@_check
def p_update_post_direct(ep):
    _update_ok(*request(_update_target(ep), method="POST", body=_INSERT.encode(),
                        headers={"Content-Type": "application/sparql-update"}))
    _updated(ep)


def _update_with(ep, pairs, graph, value):
    body, headers = form(pairs)
    _update_ok(*request(_update_target(ep), method="POST", body=body, headers=headers))
    _updated(ep, graph, value)


_COPY = ("INSERT {{ GRAPH <{target}> {{ ?s <http://example.org/protocol/in> ?x }} }} "
         "WHERE {{ {pattern} }}")


@_check
def p_update_dataset_default_graph(ep):
    target = "http://example.org/protocol/u-default"
    _update_with(ep, [("update", _COPY.format(target=target, pattern="?s <http://example.org/protocol/in> ?x")),
                      ("using-graph-uri", _G1)], target, "g1")


@_check
def p_update_dataset_default_graphs(ep):
    target = "http://example.org/protocol/u-defaults"
    _update_with(ep, [("update", _COPY.format(target=target, pattern="?s <http://example.org/protocol/in> ?x")),
                      ("using-graph-uri", _G1), ("using-graph-uri", _G2)], target, "g2")


@_check
def p_update_dataset_named_graphs(ep):
    target = "http://example.org/protocol/u-named"
    _update_with(ep, [("update", _COPY.format(target=target,
                                              pattern="GRAPH ?g { ?s <http://example.org/protocol/in> ?x }")),
                      ("using-named-graph-uri", _G2)], target, "g2")


@_check
def p_update_dataset_full(ep):
    target = "http://example.org/protocol/u-full"
    pattern = "?s <http://example.org/protocol/in> ?x . GRAPH ?g { ?t ?p ?o }"
    _update_with(ep, [("update", _COPY.format(target=target, pattern=pattern)),
                      ("using-graph-uri", _G1), ("using-named-graph-uri", _G2)], target, "g1")


@_check
def p_update_base_uri(ep):
    body, headers = form({"update": "INSERT DATA { GRAPH <http://example.org/protocol/base> { <s> <p> 'b' } }"})
    _update_ok(*request(_update_target(ep), method="POST", body=body, headers=headers))
    _updated(ep, "http://example.org/protocol/base", "b")


@_check
def p_bad_update_get(ep):
    _fourxx(*request(_update_target(ep), params={"update": _INSERT}))


@_check
def p_bad_multiple_updates(ep):
    body, headers = form([("update", _INSERT), ("update", _INSERT)])
    _fourxx(*request(_update_target(ep), method="POST", body=body, headers=headers))


@_check
def p_bad_update_wrong_media_type(ep):
    _fourxx(*request(_update_target(ep), method="POST", body=_INSERT.encode(),
                     headers={"Content-Type": "text/plain"}))


@_check
def p_bad_update_missing_form_type(ep):
    _fourxx(*request(_update_target(ep), method="POST", body=form({"update": _INSERT})[0]))


@_check
def p_bad_update_non_utf8(ep):
    _fourxx(*request(_update_target(ep), method="POST", body=_INSERT.encode("utf-16"),
                     headers={"Content-Type": "application/sparql-update"}))


@_check
def p_bad_update_syntax(ep):
    body, headers = form({"update": "INSERT DATA { <http://example.org/s> }"})
    _fourxx(*request(_update_target(ep), method="POST", body=body, headers=headers))


@_check
def p_bad_update_dataset_conflict(ep):
    update = (f"INSERT {{ GRAPH <http://example.org/protocol/c> {{ ?s ?p ?o }} }} USING <{_G1}> "
              f"WHERE {{ ?s ?p ?o }}")
    body, headers = form([("update", update), ("using-graph-uri", _G2)])
    _fourxx(*request(_update_target(ep), method="POST", body=body, headers=headers))


def protocol(case: Case, endpoint: Endpoint) -> Outcome:
    check = PROTOCOL.get(case.name)
    if check is None:
        return Outcome(case, endpoint.server, False, "no HTTP check written for this test")
    try:
        check(endpoint)
    except (AssertionError, OSError, ValueError) as exc:
        return Outcome(case, endpoint.server, False, " ".join(str(exc).split())[:200] or type(exc).__name__)
    return Outcome(case, endpoint.server, True)


def protocol_dataset() -> Dataset:
    ds = Dataset()
    ds.parse(PROTOCOL_DATA, format="trig")
    return ds


# --------------------------------------------------------------------------- running


def _group(tests: list[Case]) -> dict[tuple, list[Case]]:
    groups: dict[tuple, list[Case]] = {}
    for case in tests:
        key = ("protocol",) if case.kind == "protocol" else case.dataset_key
        groups.setdefault(key, []).append(case)
    return groups


def _expected(case: Case, root: Path):
    if case.kind != "eval":
        return None
    try:
        return expected_answer(case.result, _iri_of(case.result, root))
    except Exception as exc:  # a result file rdflib cannot read: both servers fail the test alike
        return exc


def _run_group(group, endpoint: Endpoint, root: Path, rewrite: dict, stand_ins: dict) -> list[Outcome]:
    """The outcomes of tests sharing one dataset, already loaded at ``endpoint``.

    ``rewrite``: SERVICE endpoint IRI -> URL; ``stand_ins``: IRI -> the :class:`Oxigraph`
    behind that URL, loaded with each test's service data (none for ecgraph, which refuses SERVICE).
    """
    out = []
    for case in group:
        if case.kind == "protocol":
            out.append(protocol(case, endpoint))
            continue
        expected = _expected(case, root)
        if isinstance(expected, Exception):
            out.append(Outcome(case, endpoint.server, False, f"expected result unreadable: {expected}"))
            continue
        for iri, path in case.service_data:
            if iri in stand_ins:
                stand_ins[iri].load(dataset(root, (path,), rewrite=rewrite))
        out.append(evaluate(case, endpoint, root, expected, rewrite if case.category == "service" else None))
    return out


def run(root: Path, categories=CATEGORIES, servers=SERVERS) -> list[Outcome]:
    """Every test of ``categories`` on each of ``servers``; a server is started once per distinct dataset."""
    tests = cases(root, categories)
    groups = _group(tests)
    iris = service_iris(tests)
    dead = f"http://127.0.0.1:{_free_port()}/"  # free a moment ago, and nothing of ours listens there
    out: list[Outcome] = []

    def load(key, rewrite):
        if key == ("protocol",):
            return protocol_dataset()
        return dataset(root, *key, rewrite=rewrite if any(c.category == "service" for c in groups[key]) else None)

    closing: list[threading.Thread] = []

    def ecgraph_group(item):
        key, group = item
        rewrite = {iri: f"{dead}{n}/sparql" for n, iri in enumerate(iris)}
        running = ecgraph(load(key, rewrite))
        try:
            return _run_group(group, Endpoint("ecgraph", running.url, running.url, dead), root, rewrite, {})
        finally:  # stopping takes half a second (the server's poll interval): let the next one start meanwhile
            closing.append(threading.Thread(target=running.close))
            closing[-1].start()

    with ThreadPoolExecutor(max_workers=ECGRAPH_SERVERS) as pool:
        pending = pool.map(ecgraph_group, groups.items()) if "ecgraph" in servers else iter(())
        if "oxigraph" in servers:
            ox = Oxigraph()
            stand_ins = {iri: Oxigraph() for iri in iris if any(iri == i for c in tests for i, _ in c.service_data)}
            rewrite = {iri: stand_ins[iri].endpoint.query if iri in stand_ins else f"{dead}{n}/sparql"
                       for n, iri in enumerate(iris)}
            ox.endpoint.dead = dead
            try:
                for key, group in groups.items():
                    ox.load(load(key, rewrite))
                    out += _run_group(group, ox.endpoint, root, rewrite, stand_ins)
            finally:
                ox.close()
                for s in stand_ins.values():
                    s.close()
        for part in pending:
            out += part
    for thread in closing:
        thread.join()
    return out


def counts(outcomes: list[Outcome]) -> dict[str, dict[str, Counter]]:
    """category -> server -> Counter(passed=, total=)."""
    table: dict[str, dict[str, Counter]] = {}
    for o in outcomes:
        c = table.setdefault(o.case.category, {}).setdefault(o.server, Counter())
        c["total"] += 1
        c["passed"] += o.passed
    return table


def deviations(outcomes: list[Outcome]) -> dict[str, dict[str, Outcome]]:
    """Test IRI -> server -> outcome, for every test that one server passes and the other fails."""
    by_test: dict[str, dict[str, Outcome]] = {}
    for o in outcomes:
        by_test.setdefault(o.case.iri, {})[o.server] = o
    return {iri: v for iri, v in by_test.items()
            if len(v) == 2 and v["ecgraph"].passed != v["oxigraph"].passed}


def listed_deviations(path: Path = DEVIATIONS) -> dict[str, str]:
    """The checked-in list: test IRI -> the reason ecgraph and Oxigraph differ there."""
    with path.open("rb") as f:
        return dict(tomllib.load(f).get("deviations", {}))


def table(outcomes: list[Outcome]) -> str:
    """The pass counts by category, ecgraph and Oxigraph side by side, plain text."""
    data = counts(outcomes)
    width = max(len(c) for c in [*data, "category"]) + 2
    lines = [f"{'category':<{width}}{'ecgraph':>12}{'oxigraph':>12}{'tests':>8}"]
    total = {s: Counter() for s in SERVERS}
    for category in [c for c in CATEGORIES if c in data]:
        row = data[category]
        cells = []
        for s in SERVERS:
            c = row.get(s, Counter())
            total[s].update(c)
            cells.append(f"{c['passed']:>12}" if c else f"{'-':>12}")
        n = max(c["total"] for c in row.values())
        lines.append(f"{category:<{width}}{''.join(cells)}{n:>8}")
    n = max(t["total"] for t in total.values())
    lines.append(f"{'total':<{width}}" + "".join(f"{total[s]['passed']:>12}" for s in SERVERS) + f"{n:>8}")
    return "\n".join(lines)


def report(outcomes: list[Outcome], seconds: float | None = None) -> str:
    """The table, the deviations with their listed reasons, and what was not run."""
    listed = listed_deviations()
    lines = [table(outcomes), ""]
    found = deviations(outcomes)
    lines.append(f"{len(found)} deviation(s) from Oxigraph:")
    for iri, v in sorted(found.items()):
        who = "ecgraph fails" if not v["ecgraph"].passed else "ecgraph passes, Oxigraph fails"
        detail = v["ecgraph"].detail if not v["ecgraph"].passed else v["oxigraph"].detail
        reason = listed.get(iri, "NOT LISTED in tests/w3c/deviations.toml")
        lines.append(f"  {iri}\n    {who}: {detail}\n    reason: {reason}")
    lines.append("not run: " + "; ".join(f"{k} ({v})" for k, v in NOT_RUN.items()))
    if seconds is not None:
        lines.append(f"harness time: {seconds:.1f} s")
    return "\n".join(lines)


def main(argv=None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if args and args[0] in ("-h", "--help"):
        print(__doc__)
        return 0
    root = Path(args[0]) if args else suites_dir()
    if root is None or not (root / "sparql11").is_dir():
        print(f"no W3C suites: give the folder holding sparql11/ or set {SUITES_ENV}", file=sys.stderr)
        return 2
    started = time.perf_counter()
    outcomes = run(root)
    print(report(outcomes, time.perf_counter() - started))
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # the repository, for `graph`
    sys.exit(main())
