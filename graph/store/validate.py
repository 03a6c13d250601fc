"""Validate data against the SHACL shapes in ``ontology/shapes.ttl``: pySHACL, or the same shapes as SPARQL in the store.

:func:`validate` runs pySHACL with RDFS inference over a copy of the graph in
memory: complete, and right for the curated data (a few thousand triples), but
minutes for a 30,000-record import. :func:`validate_in_store` checks the same
shapes with SPARQL queries that the store answers where the data is (Oxigraph
for the persistent store of the imports): each SHACL constraint component the
shapes use is one small function, registered under its ``sh:`` term in
:data:`COMPONENTS`, that writes the pattern of the focus nodes that violate it.
RDFS inference is reproduced the way pySHACL's ``inference="rdfs"`` sees it: a
node is of class C when it is typed with a subclass of C, or is the subject
(object, literals included) of a property whose domain (range) is such a class;
a property's values include those of its sub-properties. Shapes that use a component without a
function raise :class:`UnsupportedShapes` and the caller falls back to pySHACL.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from rdflib import RDF, RDFS, Graph, Literal, Namespace, URIRef
from rdflib.collection import Collection

from .load import ontology_dir

SH = Namespace("http://www.w3.org/ns/shacl#")


@dataclass(frozen=True)
class Violation:
    """One shape violation: the focus node, the property path and the message."""

    focus: str
    path: str
    message: str
    severity: str


@dataclass(frozen=True)
class Report:
    """The outcome of a validation run."""

    conforms: bool
    violations: tuple[Violation, ...]


def shapes_graph() -> Graph:
    """The shipped SHACL shapes."""
    return Graph().parse(ontology_dir() / "shapes.ttl", format="turtle")


def validate(g: Graph, *, shapes: Graph | None = None) -> Report:
    """Validate ``g`` (copied into memory) against the shapes; RDFS inference uses the ontology in ``g``.

    >>> from graph.store.load import load
    >>> validate(load(imports=False)).conforms
    True
    """
    import pyshacl

    data = Graph()
    for triple in g.triples((None, None, None)):
        data.add(triple)
    try:
        conforms, results, _text = pyshacl.validate(
            data, shacl_graph=shapes or shapes_graph(), inference="rdfs", advanced=True, allow_warnings=True
        )
    except TypeError:  # pySHACL compares an ill-typed literal ("2020-13-45"^^xsd:date) and fails: ask the store
        return validate_in_store(_in_oxigraph(data), shapes=shapes)
    return Report(conforms=bool(conforms), violations=tuple(_violations(results)))


def _in_oxigraph(data: Graph):
    from .load import new_dataset

    ds = new_dataset("oxigraph")
    target = ds.graph(URIRef("urn:ecgraph:validated"))
    for triple in data:
        target.add(triple)
    return ds


def _violations(results: Graph):
    SH = "http://www.w3.org/ns/shacl#"
    from rdflib import RDF

    for result in results.subjects(RDF.type, URIRef(SH + "ValidationResult")):
        yield Violation(
            focus=str(results.value(result, URIRef(SH + "focusNode"))),
            path=str(results.value(result, URIRef(SH + "resultPath")) or ""),
            message=str(results.value(result, URIRef(SH + "resultMessage"))),
            severity=str(results.value(result, URIRef(SH + "resultSeverity"))).rsplit("#", 1)[-1],
        )


# --------------------------------------------------------------------------- the shapes as SPARQL in the store


class UnsupportedShapes(Exception):
    """The shapes use a SHACL feature :func:`validate_in_store` has no query for (pySHACL is used instead)."""


@dataclass(frozen=True)
class _Schema:
    """What RDFS inference needs, read once from the data: the class and property hierarchies, domains, ranges."""

    subclasses: dict  # class -> the classes below it, itself included
    subproperties: dict  # property -> the properties below it, itself included
    domains: dict  # class -> properties whose domain lies below it
    ranges: dict  # class -> properties whose range lies below it

    def below(self, table: dict, term) -> list:
        return sorted(table.get(term, {term}) | {term})


def _closure(pairs) -> dict:
    up: dict = {}
    for lower, upper in pairs:
        up.setdefault(lower, set()).add(upper)
    down: dict = {}
    for start in list(up):
        seen, todo = set(), [start]
        while todo:
            for upper in up.get(todo.pop(), ()):
                if upper not in seen:
                    seen.add(upper)
                    todo.append(upper)
        for upper in seen:
            down.setdefault(upper, {upper}).add(start)
    return down


def _schema(g) -> _Schema:
    def pairs(predicate):
        return [(a, b) for a, b in g.subject_objects(predicate) if isinstance(a, URIRef) and isinstance(b, URIRef)]

    subclasses = _closure(pairs(RDFS.subClassOf))
    subproperties = _closure(pairs(RDFS.subPropertyOf))
    domains: dict = {}
    ranges: dict = {}
    for table, predicate in ((domains, RDFS.domain), (ranges, RDFS.range)):
        for prop, cls in pairs(predicate):
            for upper in [c for c, below in subclasses.items() if cls in below] + [cls]:
                table.setdefault(upper, set()).update(subproperties.get(prop, {prop}) | {prop})
    return _Schema(subclasses, subproperties, domains, ranges)


class _Store:
    """Answers the SELECT queries of the checks where the data is (Oxigraph itself when it can), each once."""

    def __init__(self, g):
        self.g, self._seen = g, {}
        inner = getattr(getattr(g, "store", None), "_inner", None)  # oxrdflib's pyoxigraph store
        if not hasattr(inner, "query"):  # rdflib's engine differs (casts, speed): pySHACL is the check there
            raise UnsupportedShapes("the graph is not in an Oxigraph store")
        self._native = inner

    def nodes(self, query: str) -> set:
        """The distinct values of the first variable."""
        if query not in self._seen:
            solutions = self._native.query(query, use_default_graph_as_union=True)
            self._seen[query] = {solution[0] for solution in solutions}
        return self._seen[query]


def _text(term) -> str:
    return term.value  # a pyoxigraph term


class _Writer:
    """Writes SPARQL patterns under RDFS inference: fresh variables, class membership, property values.

    With ``graphs`` (IRIs of named graphs), the patterns read those graphs only, where they are ``scoped``:
    the values a check tests and the nodes a shape targets are the user's, what they are compared with
    (another property, the values a node already has elsewhere) may be anywhere.
    """

    def __init__(self, schema: _Schema, graphs=()):
        self.schema, self.n, self.graphs = schema, 0, tuple(graphs)

    def _in_graphs(self, pattern: str, scoped: bool) -> str:
        if not (self.graphs and scoped):
            return pattern
        g = self.var()
        return f"VALUES {g} {{ {' '.join(f'<{x}>' for x in self.graphs)} }} GRAPH {g} {{ {pattern} }}"

    def var(self) -> str:
        self.n += 1
        return f"?x{self.n}"

    @staticmethod
    def values(var: str, terms) -> str:
        return f"VALUES {var} {{ {' '.join(t.n3() for t in terms)} }}"

    def typed(self, node: str, cls) -> str:
        """A pattern that holds when ``node`` is of class ``cls`` (asserted or entailed)."""
        s = self.schema
        t = self.var()
        scoped = self._in_graphs
        branches = [f"{{ {scoped(f'{node} a {t} .', True)} {self.values(t, s.below(s.subclasses, cls))} }}"]
        if s.domains.get(cls):
            p, o = self.var(), self.var()
            branches.append(f"{{ {scoped(f'{node} {p} {o} .', True)} {self.values(p, sorted(s.domains[cls]))} }}")
        if s.ranges.get(cls):  # pySHACL's RDFS inference types literal objects by range too
            p, o = self.var(), self.var()
            branches.append(f"{{ {scoped(f'{o} {p} {node} .', True)} {self.values(p, sorted(s.ranges[cls]))} }}")
        return " UNION ".join(branches)

    def path(self, focus: str, path, value: str, *, scoped: bool = True) -> str:
        """A pattern binding ``value`` to each value of ``path`` (an IRI, with its sub-properties) at ``focus``."""
        if not isinstance(path, URIRef):
            raise UnsupportedShapes(f"sh:path {path!r} (only single properties are turned into SPARQL)")
        props = self.schema.below(self.schema.subproperties, path)
        if len(props) == 1:
            return self._in_graphs(f"{focus} {path.n3()} {value} .", scoped)
        p = self.var()
        return f"{self._in_graphs(f'{focus} {p} {value} .', scoped)} {self.values(p, props)}"


@dataclass(frozen=True)
class _Context:
    shapes: Graph
    shape: object  # the shape that holds the constraint
    path: object  # its sh:path, None for a node shape
    w: _Writer
    store: _Store


Check = Callable[[set], set]  # the focus nodes -> those that violate the constraint


@dataclass(frozen=True)
class _Test:
    """A check by one query: the nodes ``pattern`` binds to ``?this`` break the constraint (``breaking``),
    or meet it (not ``breaking``: the focus nodes it does not bind break it)."""

    ctx: object
    pattern: str
    breaking: bool

    def __call__(self, focus: set) -> set:
        found = self.ctx.store.nodes(f"SELECT DISTINCT ?this WHERE {{ {self.pattern} }}")
        return focus & found if self.breaking else focus - found

COMPONENTS: dict[URIRef, Callable[[_Context, object], Check]] = {}
"""SHACL constraint component (its ``sh:`` parameter) -> a function making the check of one constraint."""

_IGNORED = {RDF.type, RDFS.comment, RDFS.label, SH.message, SH.severity, SH.name, SH.description, SH.path,
            SH.property, SH.targetClass, SH.targetSubjectsOf, SH.targetObjectsOf, SH.targetNode, SH.order, SH.group,
            SH.flags}


def component(term: URIRef):
    """Register the function that makes the check of one SHACL constraint component."""
    def register(fn):
        COMPONENTS[term] = fn
        return fn
    return register


def _breaking(ctx: _Context, pattern: str) -> Check:
    """The focus nodes among those ``pattern`` binds to ``?this`` (the nodes that break the constraint)."""
    return _Test(ctx, pattern, True)


def _lacking(ctx: _Context, pattern: str) -> Check:
    """The focus nodes ``pattern`` does not bind to ``?this`` (it binds those that meet the constraint)."""
    return _Test(ctx, pattern, False)


def _each_value(ctx: _Context, test: Callable[[str], str]) -> Check:
    v = ctx.w.var()
    return _breaking(ctx, f"{ctx.w.path('?this', ctx.path, v)} FILTER({test(v)})")


def _counted(ctx: _Context, having: str, *, scoped: bool = True) -> str:
    v = ctx.w.var()
    return (f"{{ SELECT ?this WHERE {{ {ctx.w.path('?this', ctx.path, v, scoped=scoped)} }} "
            f"GROUP BY ?this HAVING (COUNT(DISTINCT {v}) {having}) }}")


@component(SH.minCount)
def _min_count(ctx, n):
    if int(n) <= 0:
        return lambda focus: set()
    if int(n) == 1:  # the values a node has may be anywhere (scoped or not)
        return _lacking(ctx, ctx.w.path("?this", ctx.path, ctx.w.var(), scoped=False))
    return _lacking(ctx, _counted(ctx, f">= {int(n)}", scoped=False))


@component(SH.maxCount)
def _max_count(ctx, n):
    return _breaking(ctx, _counted(ctx, f"> {int(n)}"))


_CASTABLE = {URIRef(f"http://www.w3.org/2001/XMLSchema#{t}") for t in
             ("date", "dateTime", "decimal", "integer", "boolean", "double", "float")}


@component(SH.datatype)
def _datatype(ctx, dt):
    def test(v):
        # a literal of the datatype but not of its lexical space (e.g. "2020-13-45"^^xsd:date) breaks it too
        ill = f" || !COALESCE(isLiteral({dt.n3()}(STR({v}))), false)" if dt in _CASTABLE else ""
        return f"!isLiteral({v}) || datatype({v}) != {dt.n3()}{ill}"
    return _each_value(ctx, test)


@component(SH["class"])
def _class(ctx, cls):
    return _each_value(ctx, lambda v: f"isLiteral({v}) || NOT EXISTS {{ {ctx.w.typed(v, cls)} }}")


_KINDS = {
    SH.IRI: "isIRI({v})", SH.BlankNode: "isBlank({v})", SH.Literal: "isLiteral({v})",
    SH.BlankNodeOrIRI: "(isBlank({v}) || isIRI({v}))", SH.BlankNodeOrLiteral: "(isBlank({v}) || isLiteral({v}))",
    SH.IRIOrLiteral: "(isIRI({v}) || isLiteral({v}))",
}


@component(SH.nodeKind)
def _node_kind(ctx, kind):
    if kind not in _KINDS:
        raise UnsupportedShapes(f"sh:nodeKind {kind}")
    return _each_value(ctx, lambda v: "!" + _KINDS[kind].format(v=v))


@component(SH["in"])
def _in(ctx, members):
    allowed = list(Collection(ctx.shapes, members))
    return _each_value(ctx, lambda v: "!(" + " || ".join(f"sameTerm({v}, {m.n3()})" for m in allowed) + ")"
                       if allowed else "true")


@component(SH.pattern)
def _pattern(ctx, regex):
    flags = ctx.shapes.value(ctx.shape, SH.flags)
    extra = f", {Literal(str(flags)).n3()}" if flags else ""
    return _each_value(ctx, lambda v: f"isBlank({v}) || !REGEX(STR({v}), {Literal(str(regex)).n3()}{extra})")


def _bound(op: str):
    def make(ctx, limit):
        return _each_value(ctx, lambda v: f"!COALESCE({v} {op} {limit.n3()}, false)")
    return make


for _term, _op in ((SH.minInclusive, ">="), (SH.maxInclusive, "<="), (SH.minExclusive, ">"), (SH.maxExclusive, "<")):
    component(_term)(_bound(_op))


def _pair(op: str):
    def make(ctx, other):
        v, o = ctx.w.var(), ctx.w.var()
        return _breaking(ctx, f"{ctx.w.path('?this', ctx.path, v)} {ctx.w.path('?this', other, o, scoped=False)} "
                              f"FILTER(!COALESCE({v} {op} {o}, false))")
    return make


component(SH.lessThan)(_pair("<"))
component(SH.lessThanOrEquals)(_pair("<="))


def _shape_check(ctx: _Context, shape) -> Check:
    """The focus nodes that do not conform to ``shape`` (a node or property shape), for sh:or, sh:and, sh:not."""
    inner = _Context(ctx.shapes, shape, ctx.shapes.value(shape, SH.path), ctx.w, ctx.store)
    parts = [check for _, check in _constraints(inner)]
    parts += [_shape_check(inner, prop) for prop in ctx.shapes.objects(shape, SH.property)]
    return lambda focus: set().union(*(part(focus) for part in parts))


@component(SH["or"])
def _or(ctx, members):
    parts = [_shape_check(ctx, m) for m in Collection(ctx.shapes, members)]
    return lambda focus: set(focus).intersection(*(part(focus) for part in parts))


@component(SH["and"])
def _and(ctx, members):
    parts = [_shape_check(ctx, m) for m in Collection(ctx.shapes, members)]
    return lambda focus: set().union(*(part(focus) for part in parts))


@component(SH["not"])
def _not(ctx, member):
    part = _shape_check(ctx, member)
    return lambda focus: focus - part(focus)


def _constraints(ctx: _Context):
    """(term, check) of each constraint the shape holds itself; its sh:property shapes are separate."""
    for term, value in sorted(ctx.shapes.predicate_objects(ctx.shape)):
        if term in _IGNORED:
            continue
        if term not in COMPONENTS:
            raise UnsupportedShapes(f"{term} in shape {ctx.shape}")
        yield term, COMPONENTS[term](ctx, value)


def _focus(shapes: Graph, shape, w: _Writer) -> str | None:
    """The query of the focus nodes of ``shape`` as ``?this`` (None without a target)."""
    pattern = _focus_pattern(shapes, shape, w)
    return f"SELECT DISTINCT ?this WHERE {{ {pattern} }}" if pattern else None


def _focus_pattern(shapes: Graph, shape, w: _Writer) -> str | None:
    """The pattern binding the focus nodes of ``shape`` to ``?this`` (None without a target)."""
    branches = [w.typed("?this", cls) for cls in shapes.objects(shape, SH.targetClass)]
    branches += [f"{{ {w.path('?this', p, w.var())} }}" for p in shapes.objects(shape, SH.targetSubjectsOf)]
    branches += [f"{{ {w.path(w.var(), p, '?this')} }}" for p in shapes.objects(shape, SH.targetObjectsOf)]
    branches += [f"{{ {w.values('?this', [node])} }}" for node in shapes.objects(shape, SH.targetNode)]
    if (shape, RDF.type, RDFS.Class) in shapes:
        raise UnsupportedShapes(f"implicit class target of {shape}")
    return " UNION ".join(branches) if branches else None


def validate_in_store(g, *, shapes: Graph | None = None) -> Report:
    """Validate ``g`` where it is stored: the focus nodes of each shape and the nodes breaking each constraint
    are SPARQL queries; RDFS inference as pySHACL's. Raises :class:`UnsupportedShapes` (see the module).

    >>> from graph.store.load import load
    >>> validate_in_store(load(imports=False)).conforms
    True
    """
    shapes = shapes or shapes_graph()
    schema, store = _schema(g), _Store(g)
    planned = []
    for shape in sorted(set(shapes.subjects(RDF.type, SH.NodeShape))):  # plan everything first: unsupported fails fast
        w = _Writer(schema)
        focus = _focus(shapes, shape, w)
        if focus is None:
            continue
        for owner, path in [(shape, None)] + [(p, shapes.value(p, SH.path)) for p in shapes.objects(shape, SH.property)]:
            ctx = _Context(shapes, owner, path, w, store)
            message = str(shapes.value(owner, SH.message) or f"does not conform to {owner}")
            severity = str(shapes.value(owner, SH.severity) or SH.Violation).rsplit("#", 1)[-1]
            planned += [(focus, check, str(path or ""), message, severity) for _, check in _constraints(ctx)]
    violations = []
    for focus, check, path, message, severity in planned:
        for node in sorted(_text(n) for n in check(store.nodes(focus))):
            violations.append(Violation(focus=node, path=path, message=message, severity=severity))
    return Report(conforms=not any(v.severity == "Violation" for v in violations), violations=tuple(violations))


def validate_imports(*, store: str | None = None, shapes: Graph | None = None) -> Report:
    """The stored imports, with the curated data they refer to, checked against the shapes in the store.

    Reads the persistent Oxigraph store of the imports when it can (see :func:`graph.store.load.persistent_dataset`);
    shapes with a feature :func:`validate_in_store` cannot write as SPARQL are checked with pySHACL instead.
    """
    from .load import load, stored_imports

    if not stored_imports():
        return Report(conforms=True, violations=())
    ds = load(store=store, persistent=True)
    try:
        return validate_in_store(ds, shapes=shapes)
    except UnsupportedShapes:
        return validate(ds, shapes=shapes)


def merged(*reports: Report) -> Report:
    """One report of several, each violation once."""
    seen = dict.fromkeys(v for r in reports for v in r.violations)
    return Report(conforms=all(r.conforms for r in reports), violations=tuple(seen))
