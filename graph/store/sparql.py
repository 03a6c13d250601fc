"""SPARQL over the graph: one function for local and remote queries, named queries, result formats.

:func:`query` runs a query on a loaded dataset (on the Oxigraph store it is
Oxigraph's own engine that answers, through oxrdflib) or on a remote SPARQL 1.1
endpoint, and returns an :class:`rdflib.query.Result` either way. The standard
prefixes of :data:`graph.namespace.PREFIXES` need no declaration.

Values are bound, never pasted: each binding is an rdflib term, and the terms
go into a ``VALUES`` block placed at the head of the query's WHERE group, found
by a lexer that knows comments, strings and IRIs. A bound variable is therefore
in scope for every pattern and FILTER of that group, whether or not it is
projected. (Oxigraph's own ``substitutions`` and rdflib's ``initBindings`` on an
oxrdflib store refuse a variable that is not projected, and ``prepareQuery``
would fall back to rdflib's slow engine.)

Named queries live in ``ontology/queries/*.rq``. The first comment line says
what the query answers; lines ``# bind ?var TYPE (required|optional|default=V) doc``
declare its parameters, with TYPE one of ``iri``, ``xsd:date``, ``xsd:integer``,
``xsd:decimal``, ``xsd:string``.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import threading
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path

from rdflib import XSD, BNode, Graph, Literal, URIRef
from rdflib.query import Result
from rdflib.term import Variable

from ..errors import InputError, QueryError, UnknownNameError
from ..namespace import PREFIXES

SELECT_FORMATS = ("table", "csv", "tsv", "json", "xml")
"""Formats for SELECT answers (``table`` is plain text for people)."""

ASK_FORMATS = ("table", "json", "xml")
"""Formats for ASK answers: the W3C CSV/TSV results formats are defined for SELECT only."""

GRAPH_FORMATS = ("turtle", "nt", "jsonld", "xml")
"""Formats for CONSTRUCT and DESCRIBE answers (``xml`` is RDF/XML)."""

PARAM_TYPES = ("iri", "xsd:date", "xsd:integer", "xsd:decimal", "xsd:string", "ecg:Class")
"""The types a named query's parameter may declare; ``ecg:Class`` stands for any ontology class (``ecg:Chip``,
``ecg:ScreeningList``): an IRI of one of its instances, a name looked up among them."""

_CLASS_TYPE = re.compile(r"ecg:[A-Z]\w*")

_MEDIA = {
    "json": "application/sparql-results+json",
    "xml": "application/sparql-results+xml",
    "csv": "text/csv",
    "tsv": "text/tab-separated-values",
    "turtle": "text/turtle",
    "nt": "application/n-triples",
    "jsonld": "application/ld+json",
    "rdfxml": "application/rdf+xml",
}


# --------------------------------------------------------------------------- lexing

_TOKEN = re.compile(
    r"""
    (?P<ws>\s+)
  | (?P<comment>\#[^\r\n]*)
  | (?P<string>\"\"\"(?:[^"\\]|\\.|"(?!""))*\"\"\"|'''(?:[^'\\]|\\.|'(?!''))*'''
               |"(?:[^"\\\n\r]|\\.)*"|'(?:[^'\\\n\r]|\\.)*')
  | (?P<iri><[^<>"{}|^`\\\x00-\x20]*>)
  | (?P<var>[?$][\w\u00b7\u0300-\u036f\u203f-\u2040]+)
  | (?P<word>[\w:][\w.:%\-]*)
  | (?P<punct>.)
    """,
    re.VERBOSE | re.DOTALL,
)


def _tokens(text: str):
    """``(kind, value, start, end)`` for each significant token of a SPARQL text."""
    for m in _TOKEN.finditer(text):
        kind = m.lastgroup
        if kind not in ("ws", "comment"):
            yield kind, m.group(), m.start(), m.end()


def variables_of(text: str) -> set[str]:
    """Names of the variables a query mentions (``?x`` and ``$x`` alike).

    >>> sorted(variables_of('SELECT ?a WHERE { ?a ?p "?not" } # ?nor'))
    ['a', 'p']
    """
    return {value[1:] for kind, value, *_ in _tokens(text) if kind == "var"}


def query_form(text: str) -> str:
    """``SELECT``, ``CONSTRUCT``, ``DESCRIBE`` or ``ASK``: the first query-form keyword.

    >>> query_form("PREFIX s: <http://e/select#> ask { ?x s:select ?y }")
    'ASK'
    """
    for kind, value, *_ in _tokens(text):
        if kind == "word" and value.upper() in ("SELECT", "CONSTRUCT", "DESCRIBE", "ASK"):
            return value.upper()
        if kind == "word" and value.upper() in ("INSERT", "DELETE", "LOAD", "CLEAR", "DROP", "CREATE",
                                                 "ADD", "MOVE", "COPY", "WITH"):
            return "UPDATE"
    raise QueryError("not a SPARQL query: no SELECT, CONSTRUCT, DESCRIBE or ASK found")


def has_dataset_clause(text: str) -> bool:
    """Whether the query names its own dataset with ``FROM`` or ``FROM NAMED``.

    ``FROM`` is a keyword only in a dataset clause, so the lexer's token is the test
    (a prefixed name such as ``ex:from``, a variable or a string is no such token).

    >>> has_dataset_clause("SELECT * FROM <http://e/g> WHERE { ?s ?p ?o }")
    True
    >>> has_dataset_clause("SELECT * WHERE { ?s ex:from 'FROM' } # FROM <x>")
    False
    """
    return any(kind == "word" and value.upper() == "FROM" for kind, value, *_ in _tokens(text))


def _where_brace(text: str) -> int:
    """Offset just after the ``{`` that opens the query's WHERE group."""
    tokens = list(_tokens(text))
    form = query_form(text)
    i = next(i for i, t in enumerate(tokens) if t[0] == "word" and t[1].upper() == form)
    if form == "CONSTRUCT" and i + 1 < len(tokens):
        nxt = tokens[i + 1]
        if nxt[0] == "word" and nxt[1].upper() == "WHERE":
            raise QueryError("bindings need a CONSTRUCT with a template; the short form CONSTRUCT WHERE takes only triples")
        if nxt[1] == "{":  # skip the template
            depth = 0
            for i in range(i + 1, len(tokens)):
                depth += {"{": 1, "}": -1}.get(tokens[i][1], 0) if tokens[i][0] == "punct" else 0
                if depth == 0:
                    break
    parens = 0
    for kind, value, _start, end in tokens[i + 1:]:
        if kind != "punct":
            continue
        if value == "(":
            parens += 1
        elif value == ")":
            parens -= 1
        elif value == "{" and parens == 0:
            return end
    raise QueryError("the query has no WHERE group to bind variables in")


def bind_values(text: str, bindings: dict) -> str:
    """The query with ``bindings`` (variable name -> rdflib term) as a VALUES block heading its WHERE group.

    Terms are written by rdflib (escaped), never pasted from user text.

    >>> print(bind_values('SELECT ?o WHERE { ?s ?p ?o }', {"s": URIRef("http://e/a")}))
    SELECT ?o WHERE { VALUES (?s) { (<http://e/a>) }
      ?s ?p ?o }
    """
    if not bindings:
        return text
    known = variables_of(text)
    for name in bindings:
        if name not in known:
            raise QueryError(f"cannot bind ?{name}: the query has no such variable"
                             f" (it has {', '.join('?' + v for v in sorted(known)) or 'none'})")
    at = _where_brace(text)
    names = list(bindings)
    try:
        row = " ".join(_term(bindings[n]).n3() for n in names)
    except Exception as exc:  # an IRI rdflib will not write
        raise InputError(f"cannot bind value: {exc}") from None
    block = f" VALUES ({' '.join('?' + n for n in names)}) {{ ({row}) }}\n "
    return text[:at] + block + text[at:]


def _term(value):
    if isinstance(value, (URIRef, Literal, BNode)):
        return value
    if isinstance(value, dt.date):
        return Literal(value, datatype=XSD.date)
    return Literal(value)


# --------------------------------------------------------------------------- bindings

_DATE_LIKE = re.compile(r"(^|_)(date|day)$|Date$|Day$")


def parse_binding(name: str, raw: str, *, type: str | None = None, g: Graph | None = None):
    """The rdflib term for a ``--bind name=raw`` value.

    Without a declared ``type`` the form decides: ``<iri>``, ``prefix:local`` of a
    standard prefix, an ISO date (``xsd:date``), an integer, a decimal, else a
    string. A variable called ``date`` or ``day`` (or ending so) must get a date.
    With ``type="iri"`` a plain name is resolved in ``g`` with
    :func:`graph.store.names.resolve`.

    >>> parse_binding("date", "2025-06-01")
    rdflib.term.Literal('2025-06-01', datatype=rdflib.term.URIRef('http://www.w3.org/2001/XMLSchema#date'))
    >>> parse_binding("g", "id:group/D5")
    rdflib.term.URIRef('https://w3id.org/ecgraph/id/group/D5')
    >>> parse_binding("n", "5")
    rdflib.term.Literal('5', datatype=rdflib.term.URIRef('http://www.w3.org/2001/XMLSchema#integer'))
    """
    raw = str(raw).strip()
    where = f"--bind {name}={raw!r}"
    if type is None and _DATE_LIKE.search(name):
        type = "xsd:date"
    iri = _iri(raw)
    if type is not None and _CLASS_TYPE.fullmatch(type):
        return _instance(name, raw, iri, type, g)
    if type == "iri":
        if iri is not None:
            return iri
        if g is not None and raw:
            from .names import resolve

            return resolve(g, raw)
        raise InputError(f"{where}: ?{name} takes an IRI: write <https://...> or prefix:local")
    if type == "xsd:date":
        try:
            return Literal(dt.date.fromisoformat(raw), datatype=XSD.date)
        except ValueError:
            raise InputError(f"{where}: ?{name} takes a date in the form YYYY-MM-DD") from None
    if type in ("xsd:integer", "xsd:decimal"):
        try:
            value = int(raw) if type == "xsd:integer" else Decimal(raw)
        except (ValueError, InvalidOperation):
            raise InputError(f"{where}: ?{name} takes an {type[4:]}") from None
        return Literal(value, datatype=XSD[type[4:]])
    if type == "xsd:string":
        return Literal(raw)
    if type is not None:
        raise InputError(f"{where}: unknown parameter type {type!r}; use one of {', '.join(PARAM_TYPES)}")
    if iri is not None:
        return iri
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", raw):
        return parse_binding(name, raw, type="xsd:date")
    if re.match(r"\d{4}-\d{2}-\d{2}T", raw):  # a date and time: all of it valid, or refused
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})?", raw):
            raise InputError(f"{where}: a date and time is written YYYY-MM-DDThh:mm[:ss][Z|+hh:mm]")
        try:
            value = dt.datetime.fromisoformat(raw.replace("Z", "+00:00"))
        except ValueError as exc:
            raise InputError(f"{where}: not a real date and time ({exc})") from None
        return Literal(value, datatype=XSD.dateTime)
    if re.fullmatch(r"[+-]?\d+", raw):
        return Literal(int(raw), datatype=XSD.integer)
    if re.fullmatch(r"[+-]?\d*\.\d+", raw):
        return Literal(Decimal(raw), datatype=XSD.decimal)
    if len(raw) >= 2 and raw[0] == raw[-1] == '"':
        raw = raw[1:-1]
    return Literal(raw)


_ABSOLUTE_IRI = re.compile(r"[A-Za-z][\w+.\-]*:[^<>\"{}|^`\\\x00-\x20]*")


def iri(text: str, what: str = "IRI") -> URIRef:
    """``text`` as a URIRef when it is an absolute IRI that cannot break out of ``<...>``; else an :class:`InputError`.

    >>> iri("https://w3id.org/ecgraph/id/firm/x")
    rdflib.term.URIRef('https://w3id.org/ecgraph/id/firm/x')
    >>> iri("https://a> ?p ?o } UNION { ?s ?p ?o } #")
    Traceback (most recent call last):
    graph.errors.InputError: 'https://a> ?p ?o } UNION { ?s ?p ?o } #' is not an absolute IRI
    """
    text = str(text)
    if not _ABSOLUTE_IRI.fullmatch(text):
        raise InputError(f"{text!r} is not an absolute IRI" if what == "IRI" else f"{what} {text!r} is not an absolute IRI")
    return URIRef(text)


def _iri(raw: str) -> URIRef | None:
    if raw.startswith("<") and raw.endswith(">"):
        text = raw[1:-1]
        if not _ABSOLUTE_IRI.fullmatch(text):
            raise InputError(f"{raw!r} is not an absolute IRI")
        return URIRef(text)
    m = re.fullmatch(r"([A-Za-z][\w\-]*):([^\s<>\"{}|^`\\]*)", raw)
    if m and m.group(1) in PREFIXES and not raw.startswith(("http:", "https:")):
        return URIRef(PREFIXES[m.group(1)] + m.group(2))
    return None


def parse_bindings(pairs, *, params: tuple = (), g: Graph | None = None) -> dict:
    """``name=value`` strings to a dict of rdflib terms, typed by the declared ``params`` if any.

    Declared parameters that are required and not given are an error; those with
    a default get it.

    >>> parse_bindings(["date=2025-01-15", "n=2"])["n"]
    rdflib.term.Literal('2', datatype=rdflib.term.URIRef('http://www.w3.org/2001/XMLSchema#integer'))
    """
    declared = {p.name: p for p in params}
    out = {}
    for pair in with_defaults(pairs, params):
        name, sep, raw = str(pair).partition("=")
        name = name.strip().lstrip("?$")
        if not sep or not re.fullmatch(r"\w+", name):
            raise InputError(f"--bind {pair!r}: write name=value, e.g. --bind date=2025-06-01")
        if params and name not in declared:
            raise InputError(f"--bind {name}: this query takes {', '.join('?' + p for p in declared) or 'no bindings'}")
        out[name] = parse_binding(name, raw, type=declared[name].type if name in declared else None, g=g)
    for p in params:
        if p.name not in out and p.required:
            raise InputError(f"missing --bind {p.name}=...: ?{p.name} ({p.type}) is required: {p.doc}")
    return out


def _instance(name: str, raw: str, iri, type: str, g: Graph | None):
    """The IRI of an instance of the class ``type`` (``ecg:ScreeningList``) that ``raw`` gives: a name is looked
    up among the instances, an IRI must be one (without a graph to look in, an IRI is taken as given)."""
    from ..namespace import ECG
    from .names import is_a, kind_of_class, label_of, resolve

    cls = ECG[type[4:]]
    kind = kind_of_class(cls)
    if iri is None:
        if g is None or not raw:
            raise InputError(f"--bind {name}={raw!r}: ?{name} takes a {kind} ({type}): write <https://...> or prefix:local")
        return resolve(g, raw, kind)
    if g is not None and not is_a(g, iri, (cls,)):
        what = f"{label_of(g, iri)} <{iri}>" if (iri, None, None) in g else f"<{iri}>, which the graph does not hold,"
        raise InputError(f"--bind {name}={raw!r}: {what} is not of class {type} ({kind})")
    return iri


def with_defaults(pairs, params: tuple = (), *, today: str | None = None) -> list[str]:
    """The ``name=value`` pairs with one more for each declared parameter that has a default and is not given
    (``default=today`` as ``today``, else the date when called).

    >>> with_defaults(["list=id:list/entity-list"], (Param("date", "xsd:date", False, "today", ""),), today="2025-06-01")
    ['list=id:list/entity-list', 'date=2025-06-01']
    """
    given = {str(pair).partition("=")[0].strip().lstrip("?$") for pair in pairs or ()}
    defaults = [p for p in params if p.default is not None and p.name not in given]
    today = today or (dt.date.today().isoformat() if any(p.default == "today" for p in defaults) else None)
    return [*(pairs or ()), *(f"{p.name}={today if p.default == 'today' else p.default}" for p in defaults)]


# --------------------------------------------------------------------------- named queries

@dataclass(frozen=True)
class Param:
    """A parameter a named query declares: ``# bind ?name TYPE required|optional|default=V doc``."""

    name: str
    type: str
    required: bool
    default: str | None
    doc: str


@dataclass(frozen=True)
class NamedQuery:
    """A query shipped in ``ontology/queries``: its name, what it answers, its parameters and text."""

    name: str
    path: Path
    summary: str
    params: tuple
    text: str


_PARAM = re.compile(r"#\s*bind\s+[?$](\w+)\s+(\S+)\s+(required|optional|default=\S+)\s*(.*)")


def queries_dir() -> Path:
    """The folder of the shipped named queries."""
    from .load import ontology_dir

    return ontology_dir() / "queries"


def named_queries() -> dict[str, Path]:
    """Every shipped named query, name -> ``.rq`` file, sorted by name.

    >>> "entity-list-footnotes" in named_queries()
    True
    """
    return {p.stem: p for p in sorted(queries_dir().glob("*.rq"))}


def looks_like_name(text: str) -> bool:
    """Whether ``text`` is a bare name (letters, digits, dashes) rather than SPARQL.

    >>> looks_like_name("entity-list-footnotes"), looks_like_name("ASK { ?s ?p ?o }")
    (True, False)
    """
    return bool(re.fullmatch(r"[A-Za-z][\w\-]*", (text or "").strip()))


def named_query(name: str) -> NamedQuery:
    """The named query ``name``, read and its header parsed; unknown names raise with suggestions."""
    paths = named_queries()
    if name not in paths:
        import difflib

        raise UnknownNameError("named query", name, difflib.get_close_matches(name, paths, n=3, cutoff=0.4))
    path = paths[name]
    text = path.read_text(encoding="utf-8")
    lines = text.splitlines()
    if not lines or not lines[0].startswith("#"):
        raise QueryError(f"{path}: a named query must start with a '#' comment saying what it answers")
    params = []
    for number, line in enumerate(lines, 1):
        if not line.startswith("#"):
            break
        if re.match(r"#\s*bind\b", line):
            m = _PARAM.fullmatch(line.strip())
            if not m or (m.group(2) not in PARAM_TYPES and not _CLASS_TYPE.fullmatch(m.group(2))):
                raise QueryError(f"{path}:{number}: write '# bind ?name TYPE required|optional|default=V what it is'"
                                 f" with TYPE one of {', '.join(PARAM_TYPES)}")
            how = m.group(3)
            params.append(Param(m.group(1), m.group(2), how == "required",
                                how[8:] if how.startswith("default=") else None, m.group(4).strip()))
    summary = lines[0].lstrip("#").strip()
    return NamedQuery(name, path, summary, tuple(params), text)


# --------------------------------------------------------------------------- running

MAX_DEPTH = 128
"""Deepest nesting of ``( { [`` a query may have (the engines' parsers recurse per level)."""

MAX_STRUCTURE = 10_000
"""Most brackets and operators (``( { [ + * | & ! ^`` over its whole text, ``- /`` where the lexer reads them as
operators) a query may hold."""

ENGINE_STACK = 1 << 30
"""Stack (bytes of address space) of the thread that runs a query: far more than :data:`MAX_STRUCTURE` needs."""

_HEAVY = frozenset("({[+*|&!^")


def check_shape(text: str) -> None:
    """A :class:`QueryError` if ``text`` nests deeper than :data:`MAX_DEPTH` or holds more than :data:`MAX_STRUCTURE` operators.

    The engines parse and evaluate recursively, and Oxigraph's parser overflows the
    stack (killing the process) a few thousand levels down. Two bounds keep every
    query far from that: the nesting depth, read from the lexer's bracket tokens
    for a message that says where; and, as the bound that holds whatever the lexer
    thinks is a comment, a string or an IRI, the count of bracket and operator
    characters anywhere in the text (an upper bound of the depth of any parse tree
    either engine can build from it, since every level costs one of them).

    >>> check_shape("SELECT * WHERE { { ?s ?p ?o } }")
    >>> check_shape("ASK " + "{" * 500 + "}" * 500)
    Traceback (most recent call last):
    graph.errors.QueryError: the query nests 500 levels deep (at character 132); the limit is 128
    """
    heavy = sum(1 for c in text if c in _HEAVY)
    if heavy <= MAX_STRUCTURE:  # minus and slash are in IRIs and names too: only where they are operators
        heavy += sum(value.count("-") if kind == "word" and ":" not in value else kind == "punct" and value in "-/"
                     for kind, value, *_ in _tokens(text))  # the lexer reads 1-1-1 as one word
    if heavy > MAX_STRUCTURE:
        raise QueryError(f"the query holds {heavy} brackets and operators; the limit is {MAX_STRUCTURE}"
                         " (split it, or bind long lists with VALUES from a file)")
    depth = 0
    for kind, value, start, _ in _tokens(text):
        if kind != "punct":
            continue
        if value in "({[":
            depth += 1
            if depth > MAX_DEPTH:
                raise QueryError(f"the query nests {_depth(text)} levels deep (at character {start});"
                                 f" the limit is {MAX_DEPTH}")
        elif value in ")}]":
            depth = max(depth - 1, 0)


def _depth(text: str) -> int:
    depth = deepest = 0
    for kind, value, *_ in _tokens(text):
        if kind == "punct" and value in "({[":
            depth += 1
            deepest = max(deepest, depth)
        elif kind == "punct" and value in ")}]":
            depth = max(depth - 1, 0)
    return deepest


_ESCAPE = re.compile(r"\\u([0-9A-Fa-f]{4})|\\U([0-9A-Fa-f]{8})")


def _mentions_service(text: str) -> bool:
    """Whether the letters of SERVICE occur anywhere in ``text``, after codepoint escapes and Unicode case folding.

    A superset of every way a parser could read the keyword; only a text that
    mentions it is worth parsing for a SERVICE pattern.
    """
    def unescape(m):
        try:
            return chr(int(m.group(1) or m.group(2), 16))
        except (ValueError, OverflowError):
            return m.group()

    folded = _ESCAPE.sub(unescape, text)
    return "service" in folded.casefold() or "SERVICE" in folded.upper()


def service_refusal(text: str) -> str | None:
    """A message if rdflib's parse of the query holds a SERVICE pattern, else None.

    The decision is made on the parse tree, never on the text. It gives the
    message; the guarantee that no query reaches another host is one level
    lower: queries run in a thread that cannot open network connections
    (:mod:`graph.store.offline`), and rdflib's SERVICE evaluation is replaced by a
    refusal. Where that guard is not available, a query that mentions the word
    in any form is refused.
    """
    if not _mentions_service(text):
        return None
    from . import offline

    try:
        found = parse_node(text, {"ServiceGraphPattern"})
    except Exception:  # rdflib cannot parse it: the engine decides, inside the guard
        found = None
        if not offline.available():
            return "SERVICE (a federated query) is not allowed, and without a network guard on this platform" \
                   " a query that mentions it is refused"
    if found is None:
        return None if offline.available() else (
            "SERVICE (a federated query) is not allowed, and without a network guard on this platform"
            " a query that mentions it is refused")
    term = found.get("term")
    target = ("a variable endpoint" if isinstance(term, Variable) else f"<{term}>" if term is not None
              else "another endpoint")
    return f"SERVICE (a federated query to {target}) is not allowed"


PARSE_LOCK = threading.Lock()
"""Held around rdflib's query parser, which is not safe in two threads at once (pyparsing: RDFLib/rdflib#1282)."""


def parse_node(text: str, names):
    """The first node (in reading order) of rdflib's parse of ``text`` whose name is in ``names``, else None.

    Raises what rdflib's parser raises on a text it cannot read.

    >>> parse_node("SELECT (NOW() AS ?t) WHERE {}", {"Builtin_NOW"}).name, parse_node("ASK {}", {"Builtin_NOW"})
    ('Builtin_NOW', None)
    """
    from rdflib.plugins.sparql.parser import parseQuery
    from rdflib.plugins.sparql.parserutils import CompValue

    with PARSE_LOCK:
        stack = [parseQuery(text)]
    while stack:
        node = stack.pop()
        if isinstance(node, CompValue):
            if node.name in names:
                return node
            stack.extend(reversed(list(node.values())))
        elif isinstance(node, (list, tuple)) or type(node).__name__ == "ParseResults":
            stack.extend(reversed(list(node)))
    return None

_ENGINE_READY = False


def _engines_offline() -> None:
    """Make rdflib's engine refuse SERVICE when it evaluates one and never load a FROM graph from the web."""
    global _ENGINE_READY
    if _ENGINE_READY:
        return
    import rdflib.plugins.sparql
    from rdflib.plugins.sparql import evaluate

    def refuse(ctx, part):
        raise QueryError("SERVICE (a federated query) is not allowed: ecgraph does not fetch other hosts")

    rdflib.plugins.sparql.SPARQL_LOAD_GRAPHS = False
    evaluate.evalServiceQuery = refuse  # evalPart looks it up at each call
    _ENGINE_READY = True


def run_guarded(work, *, timeout: float | None = None):
    """``work()`` in a thread that cannot open network connections and has a stack for deep queries.

    Past ``timeout`` seconds a :class:`QueryError` is raised and the thread is
    abandoned (a thread cannot be stopped; ``ecgraph serve`` kills its workers).
    """
    from . import offline

    box: dict = {}

    def run():
        try:
            if offline.available():
                offline.forbid_network()
            box["result"] = work()
        except BaseException as exc:  # handed to the caller, without the frames: engine objects die here
            exc.__traceback__ = exc.__context__ = exc.__cause__ = None
            box["error"] = exc

    with _STACK_LOCK:
        previous = threading.stack_size(ENGINE_STACK)
        try:
            worker = threading.Thread(target=run, daemon=True, name="ecgraph-query")
            worker.start()
        finally:
            threading.stack_size(previous)
    worker.join(timeout)
    if worker.is_alive():
        raise QueryError(f"query exceeded the time limit of {timeout:g} s")
    if "error" in box:
        raise box["error"]
    return box["result"]


_STACK_LOCK = threading.Lock()


def query(g: Graph | None, text: str, *, bindings: dict | None = None, endpoint: str | None = None,
          timeout: float | None = None) -> Result:
    """Run a SPARQL query on ``g`` (or on a remote ``endpoint``) and return rdflib's result.

    Parameters
    ----------
    g : a dataset from :func:`graph.store.load.load`; ignored when ``endpoint`` is given
    text : the query; the standard prefixes need no PREFIX lines
    bindings : variable name -> rdflib term (or a plain Python value), bound by VALUES
    endpoint : URL of a SPARQL 1.1 Protocol endpoint to ask instead of ``g``
    timeout : seconds; past it a :class:`QueryError` is raised. Locally the
        query is abandoned, not killed (``ecgraph serve`` kills its workers).

    A local query never reaches another host: SERVICE is refused and the engine
    runs in a thread that cannot open network connections (see :func:`run_guarded`).

    >>> from graph.store.load import load
    >>> g = load(imports=False)
    >>> r = query(g, "SELECT ?code WHERE { ?c ecg:isoAlpha3 ?code }", bindings={"c": URIRef("https://w3id.org/ecgraph/id/country/CN")})
    >>> [str(row.code) for row in r]
    ['CHN']
    """
    bound = _prepared(text, bindings)
    if endpoint:
        return _remote(endpoint, bound, timeout)
    _check_local(g, bound)
    return run_guarded(lambda: _local(g, bound), timeout=timeout)


def _prepared(text: str, bindings: dict | None) -> str:
    """The query with its bindings in a VALUES block; SPARQL Update is refused."""
    if query_form(text) == "UPDATE":
        raise QueryError("SPARQL Update is not allowed here; only SELECT, CONSTRUCT, DESCRIBE and ASK")
    return bind_values(text, {k: _term(v) for k, v in (bindings or {}).items()})


def _check_local(g: Graph | None, bound: str) -> None:
    """The checks before a local engine runs ``bound``: a graph, a bounded shape, no SERVICE; rdflib made offline."""
    if g is None:
        raise QueryError("no graph to query: give a dataset or an endpoint")
    check_shape(bound)
    refusal = service_refusal(bound)
    if refusal:  # the local engines would fetch the other host; ecgraph never goes online by itself
        raise QueryError(f"{refusal}: ecgraph does not fetch other hosts")
    _engines_offline()


def answer(g: Graph | None, text: str, fmt: str | None = None, *, bindings: dict | None = None,
           endpoint: str | None = None, timeout: float | None = None) -> str:
    """The answer to a query written in ``fmt``: what ``format_result(query(...), fmt)`` gives, sooner.

    On the Oxigraph store a SELECT or ASK answer in a W3C results format (``csv``,
    ``json``, ``xml``) is written by Oxigraph itself, in the guarded thread, with no
    rdflib term made per row (26,000 rows: about 0.4 s less). Every other case, and
    every check (Update refused, shape, SERVICE, network guard, time limit), is that
    of :func:`query` and :func:`format_result`.
    """
    bound = _prepared(text, bindings)
    from .load import oxigraph_store

    native = oxigraph_store(g) if not endpoint else None
    form = query_form(bound)
    table = (fmt or "table") == "table"
    if native is None or form not in ("SELECT", "ASK") or not (table or fmt in _NATIVE_FORMATS):
        return format_result(query(g, bound, endpoint=endpoint, timeout=timeout), fmt)
    check_format(form, fmt or "table")
    _check_local(g, bound)
    hidden = getattr(g, "ecgraph_hidden_graphs", frozenset())
    if table:  # Oxigraph's JSON results, read back by the C json parser: no rdflib term per cell (26,000 rows: 2 s less)
        return run_guarded(lambda: _engine_errors(lambda: _json_table(_native(native, bound, "json", hidden))),
                           timeout=timeout)
    out = run_guarded(lambda: _engine_errors(lambda: _native(native, bound, fmt, hidden)), timeout=timeout)
    return _xml_chars(out) if fmt == "xml" else out


_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


def _xml_chars(text: str, others: str = "json, csv or tsv") -> str:
    """``text`` if XML 1.0 can hold every character of it; else a :class:`QueryError` naming the first one."""
    bad = _NOT_XML.search(text)
    if bad:
        raise QueryError(f"the answer holds U+{ord(bad.group()):04X}, a character XML 1.0 cannot hold;"
                         f" ask for {others}")
    return text


_NATIVE_FORMATS = ("csv", "json", "xml")
"""W3C results formats Oxigraph writes as rdflib does (TSV is written here: rdflib and Oxigraph spell numbers differently)."""


def _json_table(text: str) -> str:
    """The ``table`` of a SPARQL JSON results document: what :func:`_table` writes from rdflib's result.

    A typed literal is written as rdflib writes its value (``"3"^^xsd:double`` as ``3.0``, a UTC dateTime with
    ``+00:00``), once per distinct value; a triple term as ``<< s p o >>``.
    """
    import json

    doc = json.loads(text)
    if "boolean" in doc:
        return "true" if doc["boolean"] else "false"
    names = list(doc["head"].get("vars", []))
    short: dict = {}
    plain = (None, str(XSD.string))

    def cell(term) -> str:
        if term is None:
            return ""
        kind, value = term["type"], term["value"]
        if kind == "uri":
            key = value
        elif kind == "literal" and "xml:lang" not in term and term.get("datatype") not in plain:
            key = (value, term["datatype"])
        elif kind == "triple":
            return "<< " + " ".join(cell(value[part]) for part in ("subject", "predicate", "object")) + " >>"
        else:  # a text literal or a blank node: its value as it stands
            return value
        found = short.get(key)
        if found is None:
            found = short[key] = (_short(URIRef(value)) if kind == "uri"
                                  else str(Literal(value, datatype=URIRef(term["datatype"]))))
        return found

    return _layout(names, [[cell(b.get(n)) for n in names] for b in doc["results"]["bindings"]])


def _native(store, text: str, fmt: str, hidden=frozenset()) -> str:
    """Run ``text`` on a pyoxigraph store and write the answer with Oxigraph's own results writer."""
    import pyoxigraph as ox

    result = _ox_query(store, text, hidden)
    if not isinstance(result, (ox.QuerySolutions, ox.QueryBoolean)):  # the lexer and the parser disagree
        raise QueryError(f"format {fmt!r} does not suit this query's answer")
    written = result.serialize(format={"csv": ox.QueryResultsFormat.CSV, "json": ox.QueryResultsFormat.JSON,
                                       "xml": ox.QueryResultsFormat.XML}[fmt])
    return written.decode("utf-8")


def _ox_query(store, text: str, hidden=frozenset()):
    """``text`` on a pyoxigraph store: the default graph is the union of the named graphs, but for those in
    ``hidden`` (which no pattern sees), unless the query names its dataset with FROM."""
    if not hidden:
        return store.query(text, prefixes=dict(PREFIXES), use_default_graph_as_union=not has_dataset_clause(text))
    import pyoxigraph as ox

    if has_dataset_clause(text):  # the graphs it names, but for the hidden ones
        defaults, named = _dataset_of(text)
        defaults = [ox.NamedNode(str(n)) for n in defaults if n not in hidden] or [ox.NamedNode(_NO_GRAPH)]
        named = [ox.NamedNode(str(n)) for n in named if n not in hidden]
        return store.query(text, prefixes=dict(PREFIXES), default_graph=defaults, named_graphs=named)
    named = [n for n in store.named_graphs() if URIRef(n.value) not in hidden]
    return store.query(text, prefixes=dict(PREFIXES), default_graph=[ox.DefaultGraph(), *named], named_graphs=named)


_NO_GRAPH = "urn:x-ecgraph:no-graph"  # a default graph that holds nothing (every graph FROM names is hidden)


def _dataset_of(text: str) -> tuple[list[URIRef], list[URIRef]]:
    """The graphs a query's FROM and FROM NAMED clauses name, as rdflib's parser reads them."""
    from rdflib.plugins.sparql.algebra import translateQuery
    from rdflib.plugins.sparql.parser import parseQuery

    try:
        with PARSE_LOCK:
            clauses = translateQuery(parseQuery(with_prefixes(text))).algebra.get("datasetClause") or []
    except Exception as exc:
        raise QueryError(f"query does not parse: {_one_line(exc)}") from None
    return ([c["default"] for c in clauses if "default" in c], [c["named"] for c in clauses if "named" in c])


def rdflib_term(term):
    """A pyoxigraph term as an rdflib one, each literal with the lexical form Oxigraph holds (rdflib would rewrite
    ``"NaN"^^xsd:double`` as ``nan`` and drop a date's time zone); ``"x"^^xsd:string`` is the plain ``"x"``
    (RDF 1.1), and a triple term a tuple, as oxrdflib gives it.

    >>> import pyoxigraph as ox
    >>> str(rdflib_term(ox.Literal("2025-06-01Z", datatype=ox.NamedNode(str(XSD.date)))))
    '2025-06-01Z'
    """
    import pyoxigraph as ox

    if isinstance(term, ox.Literal):
        if term.language:
            return Literal(term.value, lang=term.language)
        if term.datatype.value == _XSD_STRING:
            return Literal(term.value)
        return Literal(term.value, datatype=URIRef(term.datatype.value), normalize=False)
    if isinstance(term, ox.NamedNode):
        return URIRef(term.value)
    if isinstance(term, ox.BlankNode):
        return BNode(term.value)
    if isinstance(term, ox.Triple):
        return rdflib_term(term.subject), rdflib_term(term.predicate), rdflib_term(term.object)
    raise ValueError(f"not an RDF term: {term!r}")


_XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"


class _IllTypedLiterals(logging.Filter):
    """rdflib logs a traceback for each literal whose lexical form is not of its datatype ("abc"^^xsd:integer):
    data as it stands, kept as it is; not worth a traceback."""

    def filter(self, record) -> bool:
        return not record.getMessage().startswith("Failed to convert Literal lexical form")


logging.getLogger("rdflib.term").addFilter(_IllTypedLiterals())


def _rdflib_result(result) -> Result:
    """A pyoxigraph answer as rdflib's :class:`Result`, each term by :func:`rdflib_term`."""
    import pyoxigraph as ox
    from rdflib.term import Variable

    from_ox = rdflib_term

    if isinstance(result, ox.QueryBoolean):
        out = Result("ASK")
        out.askAnswer = bool(result)
    elif isinstance(result, ox.QuerySolutions):
        out = Result("SELECT")
        out.vars = [Variable(v.value) for v in result.variables]
        out.bindings = [{v: from_ox(val) for v, val in zip(out.vars, solution) if val is not None} for solution in result]
    else:
        out = Result("CONSTRUCT")
        out.graph = Graph()
        out.graph += (from_ox(t) for t in result)
    return out


def _local(g: Graph, text: str) -> Result:
    """Run ``text`` on ``g``. The default graph is the union of the named graphs unless the query has FROM/FROM NAMED.

    Oxigraph's union option would override a dataset clause, so a query with one
    goes to the store without it. rdflib would fetch a FROM graph it does not
    hold from the web; its loading is switched off (an unknown graph is empty).
    The answer is read in full here, in the guarded thread.
    """
    def work():
        from .load import oxigraph_store

        hidden = getattr(g, "ecgraph_hidden_graphs", frozenset())
        inner = oxigraph_store(g)
        if hidden and inner is not None:  # some graphs out of sight: the store is asked with the others
            result = _rdflib_result(_ox_query(inner, text, hidden))
        elif has_dataset_clause(text):
            store = getattr(g, "store", None)
            if getattr(store, "_inner", None) is not None:  # oxrdflib: no union default graph, FROM decides
                result = store.query(text, PREFIXES, {}, None)
            else:
                result = g.query(text, initNs=PREFIXES)
        else:
            result = g.query(text, initNs=PREFIXES)
        if result.type == "SELECT":
            result.bindings = list(result.bindings)  # run it here, not lazily later
        elif result.type in ("CONSTRUCT", "DESCRIBE") and result.graph is not None:
            len(result.graph)
        return result

    return _engine_errors(work)


def _engine_errors(work):
    """``work()``, with the engines' errors (parse, network guard, depth, memory) as one-line :class:`QueryError` s."""
    try:
        return work()
    except SyntaxError as exc:  # Oxigraph's parser
        raise QueryError(f"query does not parse: {_one_line(exc)}") from None
    except QueryError:
        raise
    except PermissionError as exc:  # the network guard stopped the engine opening a connection
        raise QueryError(f"the query tried to reach another host (SERVICE), which is not allowed: "
                         f"ecgraph does not fetch other hosts ({_one_line(exc)})") from None
    except RecursionError:
        raise QueryError("the query is nested too deeply for the engine") from None
    except MemoryError:
        raise QueryError("the query needed more memory than there is") from None
    except Exception as exc:  # rdflib's parser (pyparsing) and evaluation errors
        if type(exc).__name__ == "ParseException":
            raise QueryError(f"query does not parse: {_one_line(exc)}") from None
        raise QueryError(f"query failed: {type(exc).__name__}: {_one_line(exc)}") from None


def _one_line(exc) -> str:
    return " ".join(str(exc).split())[:400]


def with_prefixes(text: str) -> str:
    """The query with PREFIX lines for the standard prefixes it uses but does not declare."""
    declared = set(re.findall(r"(?im)^\s*PREFIX\s+([\w\-]*):", text))
    used = {v.split(":", 1)[0] for k, v, *_ in _tokens(text) if k == "word" and ":" in v}
    lines = [f"PREFIX {p}: <{PREFIXES[p]}>" for p in sorted(used - declared) if p in PREFIXES]
    return "\n".join(lines + [text])


def check_url(url: str, what: str = "endpoint") -> str:
    """``url`` when it is an absolute http(s) URL, else a one-line :class:`QueryError`."""
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise QueryError(f"{what} {url!r} is not an http:// or https:// URL")
    return url


def _remote(endpoint: str, text: str, timeout: float | None) -> Result:
    """Ask a SPARQL 1.1 Protocol endpoint by POST form and parse its answer with rdflib."""
    check_url(endpoint)
    import io
    from urllib.error import HTTPError, URLError
    from urllib.parse import urlencode
    from urllib.request import Request, urlopen

    body = urlencode({"query": with_prefixes(text)}).encode()
    accept = ("application/sparql-results+json, application/sparql-results+xml;q=0.9, "
              "application/n-triples;q=0.9, text/turtle;q=0.8, application/rdf+xml;q=0.5")
    request = Request(endpoint, data=body, headers={
        "Accept": accept, "Content-Type": "application/x-www-form-urlencoded", "User-Agent": "ecgraph"})
    try:
        with urlopen(request, timeout=timeout) as response:
            content_type = response.headers.get("Content-Type", "").split(";")[0].strip()
            payload = response.read()
    except HTTPError as exc:
        detail = _one_line(exc.read().decode("utf-8", "replace"))
        raise QueryError(f"{endpoint} answered {exc.code} {exc.reason}: {detail}") from None
    except (URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise QueryError(f"{endpoint}: {_one_line(reason)}") from None
    try:
        return Result.parse(io.BytesIO(payload), content_type=content_type)
    except Exception as exc:
        raise QueryError(f"{endpoint}: cannot read its {content_type or 'untyped'} answer: {_one_line(exc)}") from None


# --------------------------------------------------------------------------- formats

def formats_for(result_type: str) -> tuple[str, ...]:
    """The format names that suit a ``SELECT``, ``ASK``, ``CONSTRUCT`` or ``DESCRIBE`` answer.

    >>> formats_for("ASK")
    ('table', 'json', 'xml')
    """
    if result_type in ("CONSTRUCT", "DESCRIBE"):
        return GRAPH_FORMATS
    return ASK_FORMATS if result_type == "ASK" else SELECT_FORMATS


def check_format(result_type: str, fmt: str) -> str:
    """``fmt`` if it suits a result of ``result_type``, else a :class:`QueryError` naming the choices.

    >>> check_format("ASK", "csv")
    Traceback (most recent call last):
    graph.errors.QueryError: format 'csv' does not suit ASK answers (the W3C CSV and TSV results formats are for SELECT only); choose one of table, json, xml
    """
    allowed = formats_for(result_type)
    if fmt not in allowed:
        known = fmt in SELECT_FORMATS + GRAPH_FORMATS
        why = " (the W3C CSV and TSV results formats are for SELECT only)" if result_type == "ASK" and fmt in (
            "csv", "tsv") else ""
        raise QueryError(f"{'format' if known else 'unknown format'} {fmt!r}"
                         f"{' does not suit ' + result_type + ' answers' + why if known else ''};"
                         f" choose one of {', '.join(allowed)}")
    return fmt


def format_result(result: Result, fmt: str | None = None) -> str:
    """The result written in ``fmt``: a W3C results format, a plain ``table``, or an RDF syntax for graphs.

    The default is ``table`` for SELECT and ASK, ``turtle`` for CONSTRUCT and DESCRIBE.

    >>> from graph.store.load import load
    >>> r = query(load(imports=False), "SELECT ?code WHERE { ?c ecg:isoAlpha3 'FRA' ; ecg:isoAlpha2 ?code }")
    >>> format_result(r, "csv").splitlines()
    ['code', 'FR']
    """
    graph_answer = result.type in ("CONSTRUCT", "DESCRIBE")
    fmt = check_format(result.type, fmt or ("turtle" if graph_answer else "table"))
    if graph_answer:
        g = Graph()
        for prefix, ns in result.graph.namespaces():
            g.bind(prefix, ns)
        for prefix, ns in PREFIXES.items():
            g.bind(prefix, ns, override=True)
        g += result.graph
        rdflib_format = {"nt": "nt", "jsonld": "json-ld", "xml": "xml"}.get(fmt, "turtle")
        if fmt == "jsonld":  # values as typed strings: a double NaN is no JSON number (rdflib writes null)
            return g.serialize(format=rdflib_format, use_native_types=False)
        text = g.serialize(format=rdflib_format)
        if fmt == "xml":
            _well_formed(_xml_chars(text, "turtle, nt or jsonld"))
        return text
    if fmt == "table":
        return _table(result)
    if fmt == "tsv":
        return _tsv(result)
    if fmt == "xml" and result.type == "SELECT":
        result = _lexical_literals(result)
    out = result.serialize(format=fmt)
    text = out.decode("utf-8") if isinstance(out, bytes) else out
    return _xml_chars(text) if fmt == "xml" else text


def _well_formed(text: str) -> None:
    """rdflib's RDF/XML writer leaves ``&`` unescaped in a datatype or namespace IRI: refuse what XML cannot read."""
    import xml.parsers.expat

    try:
        xml.parsers.expat.ParserCreate().Parse(text.encode("utf-8"), True)
    except xml.parsers.expat.ExpatError as exc:
        raise ValueError(f"RDF/XML cannot hold an IRI of this answer ({exc})") from None


class _Lexical(Literal):
    """A literal that is true whenever its lexical form is not empty.

    rdflib's XML results writer hands each literal to SAX ``characters()``, which skips
    "empty" content, and a Literal is false when its *value* is (0, 0.0, PT0S): those
    values came out as ``<literal datatype="...integer"></literal>`` (RDFLib/rdflib#3138).
    """

    def __bool__(self):
        return bool(str(self))


def _lexical_literals(result: Result) -> Result:
    """A copy of a SELECT result whose literals keep their lexical form and are never falsy."""
    out = Result("SELECT")
    out.vars = result.vars
    out.bindings = [{v: _Lexical(str(t), lang=t.language, datatype=t.datatype, normalize=False)
                     if isinstance(t, Literal) else t for v, t in row.items() if t is not None}
                    for row in result.bindings]  # an unbound variable has no binding element
    return out


def _short(node) -> str:
    if node is None:
        return ""
    if isinstance(node, tuple):  # an RDF 1.2 triple term, as oxrdflib gives it
        return "<< " + " ".join(map(_short, node)) + " >>"
    if isinstance(node, URIRef):
        best = max((ns for ns in PREFIXES.values() if node.startswith(ns)), key=len, default=None)
        if best:
            prefix = next(p for p, ns in PREFIXES.items() if ns == best)
            return f"{prefix}:{node[len(best):]}"
        return f"<{node}>"
    return str(node)


def rows(result: Result) -> tuple[list[str], list[list[str]]]:
    """Column names and rows of short strings (``prefix:local`` IRIs, literal values) of a SELECT answer."""
    names = [str(v) for v in result.vars or []]
    return names, [[_short(row[i]) for i in range(len(names))] for row in result]


def _table(result: Result) -> str:
    if result.type == "ASK":
        return "true" if result.askAnswer else "false"
    return _layout(*rows(result))


def _layout(names: list[str], body: list[list[str]]) -> str:
    """Columns padded to their widest cell, a rule under the names, and the count of rows."""
    widths = [max([len(n)] + [len(r[i]) for r in body]) for i, n in enumerate(names)]
    line = lambda cells: "  ".join(c.ljust(w) for c, w in zip(cells, widths)).rstrip()  # noqa: E731
    out = [line(names), line(["-" * w for w in widths])] + [line(r) for r in body]
    out.append(f"({len(body)} row{'s' if len(body) != 1 else ''})")
    return "\n".join(out)


def _tsv(result: Result) -> str:
    r"""SPARQL 1.1 TSV: a header of ``?var`` and terms in N-Triples syntax (a tab or a line break in a literal
    escaped, so each row is one line and each term one column).

    >>> r = Result("SELECT"); r.vars = [Variable("a")]; r.bindings = [{Variable("a"): Literal("x\ty\nz")}]
    >>> _tsv(r)
    '?a\n"x\\ty\\nz"'
    """
    names = [str(v) for v in result.vars or []]
    lines = ["\t".join("?" + n for n in names)]
    for row in result:
        lines.append("\t".join("" if row[i] is None else _nt_term(row[i]) for i in range(len(names))))
    return "\n".join(lines)


_NT_ESCAPES = str.maketrans({"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t"})


def _nt_term(term) -> str:
    if isinstance(term, tuple):  # an RDF 1.2 triple term
        return "<< " + " ".join(map(_nt_term, term)) + " >>"
    if isinstance(term, Literal):
        text = '"' + str(term).translate(_NT_ESCAPES) + '"'
        if term.language:
            return f"{text}@{term.language}"
        if term.datatype is not None and str(term.datatype) != _XSD_STRING:
            return f"{text}^^<{term.datatype}>"
        return text
    return term.n3()


def media_type(fmt: str, result_type: str = "SELECT") -> str:
    """The media type of a format name (RDF/XML for ``xml`` on graph answers)."""
    if fmt == "xml" and result_type in ("CONSTRUCT", "DESCRIBE"):
        return _MEDIA["rdfxml"]
    return _MEDIA.get(fmt, "text/plain") + ("; charset=utf-8" if fmt in ("csv", "tsv", "turtle") else "")


# --------------------------------------------------------------------------- pushing to a store

def push(g: Graph, store_url: str, *, timeout: float = 60) -> dict[str, int]:
    """Copy each named graph of ``g`` into a remote store with the SPARQL 1.1 Graph Store HTTP Protocol.

    Each graph is sent by ``PUT store_url?graph=<name>`` as N-Triples, replacing
    what the store held under that name, so pushing twice leaves one copy.
    ``store_url`` is the store's graph-store endpoint: ``http://host:7878/store``
    for Oxigraph, ``http://host:3030/DATASET/data`` for Fuseki,
    ``http://host:7200/repositories/REPO/rdf-graphs/service`` for GraphDB.

    Returns graph name -> number of triples sent.
    """
    from urllib.error import HTTPError, URLError
    from urllib.parse import urlencode
    from urllib.request import Request, urlopen

    check_url(store_url, "store")
    sent: dict[str, int] = {}
    contexts = list(g.graphs()) if hasattr(g, "graphs") else list(g.contexts()) if hasattr(g, "contexts") else [g]
    for ctx in contexts:
        if len(ctx) == 0:
            continue
        name = ctx.identifier
        if isinstance(name, BNode) or str(name) == "urn:x-rdflib:default":
            target = f"{store_url}?default"
        else:
            target = f"{store_url}?{urlencode({'graph': str(name)})}"
        body = Graph()
        body += ctx
        data = body.serialize(format="nt", encoding="utf-8")
        request = Request(target, data=data, method="PUT", headers={"Content-Type": "application/n-triples"})
        try:
            with urlopen(request, timeout=timeout) as response:
                response.read()
        except HTTPError as exc:
            detail = _one_line(exc.read().decode("utf-8", "replace"))
            raise QueryError(f"{target} answered {exc.code} {exc.reason}: {detail}") from None
        except (URLError, OSError) as exc:
            raise QueryError(f"{store_url}: {_one_line(getattr(exc, 'reason', exc))}") from None
        sent[str(name)] = len(body)
    return sent
