"""The value constraints of the SHACL shapes, checked by SPARQL inside the store, on the user's graphs only.

pySHACL copies the data into rdflib and walks it in Python (minutes for a million triples); the
engine, though, only needs the values it reads to be well-formed: dates that are dates, percentages
in range, one owner per stake, a party and a list per listing. This module compiles the shapes'
value-level constraints (``sh:datatype``, ``sh:minInclusive``, ``sh:maxInclusive``, ``sh:in``,
``sh:pattern``, ``sh:nodeKind``, ``sh:minCount``, ``sh:maxCount``, ``sh:lessThanOrEquals``) into one
SPARQL query each and runs them where the data already is, looking only at triples of the given
named graphs. ``sh:class`` and ``sh:or`` are not compiled: the full SHACL run is
``ecgraph validate --data FILE``. Which constraints run is read from the shapes, never named here.
"""

from __future__ import annotations

from dataclasses import dataclass

from rdflib import RDF, Graph, Literal, URIRef
from rdflib.collection import Collection

SH = "http://www.w3.org/ns/shacl#"
_TYPE = str(RDF.type)
_SHOWN = 20  # violations kept per constraint


@dataclass(frozen=True)
class Check:
    """One compiled constraint: the SPARQL that finds its violations and the words for them."""

    path: str
    message: str
    query: str


def _sh(name: str) -> URIRef:
    return URIRef(SH + name)


def _term(value) -> str:
    return value.n3() if isinstance(value, (URIRef, Literal)) else f"<{value}>"


def _target(shape_targets, schema) -> str:
    """A FILTER that keeps ``?focus`` nodes targeted by the shape (asserted types, subclasses, rdfs:domain)."""
    parts = []
    for kind, value in shape_targets:
        if kind == "class":
            classes, domains = schema(value)
            parts.append(f"EXISTS {{ VALUES ?t0 {{ {classes} }} ?focus <{_TYPE}> ?t0 }}")
            if domains:
                parts.append(f"EXISTS {{ VALUES ?d0 {{ {domains} }} ?focus ?d0 ?dx }}")
        else:
            parts.append(f"EXISTS {{ ?focus {_term(value)} ?sx }}")
    return f"FILTER ({' || '.join(parts)})"


def _schema(ds):
    """For a class: its subclasses and the properties whose rdfs:domain is one of them, as SPARQL VALUES text."""
    from rdflib import RDFS

    seen: dict = {}

    def of(cls):
        if cls not in seen:
            classes = set(ds.transitive_subjects(RDFS.subClassOf, cls)) | {cls}
            domains = {p for c in classes for p in ds.subjects(RDFS.domain, c)}
            seen[cls] = (" ".join(_term(c) for c in sorted(classes)), " ".join(_term(p) for p in sorted(domains)))
        return seen[cls]

    return of


def checks(shapes: Graph, graphs, schema, *, counts: bool = True) -> list[Check]:
    """The value constraints of ``shapes`` as SPARQL over the named ``graphs`` (IRIs of the user's data).

    ``schema`` gives a class's subclasses and domain properties (see :func:`_schema`).
    """
    values = " ".join(f"<{g}>" for g in graphs)
    out: list[Check] = []
    for shape in sorted(set(shapes.subjects(RDF.type, _sh("NodeShape")))):
        targets = [("class", c) for c in shapes.objects(shape, _sh("targetClass"))]
        targets += [("subjects", p) for p in shapes.objects(shape, _sh("targetSubjectsOf"))]
        if not targets:
            continue
        keep = _target(targets, schema)
        for prop in shapes.objects(shape, _sh("property")):
            path = shapes.value(prop, _sh("path"))
            if not isinstance(path, URIRef):  # complex paths are left to the full run
                continue
            message = str(shapes.value(prop, _sh("message")) or f"constraint on {path}")
            p = _term(path)
            value_triple = f"VALUES ?ug {{ {values} }} GRAPH ?ug {{ ?focus {p} ?v }}"

            def one(test: str) -> None:
                # the bad values first (a subquery Oxigraph evaluates as written), then whether the shape targets them
                out.append(Check(str(path), message, f"SELECT DISTINCT ?focus ?v WHERE {{ {{ SELECT ?focus ?v WHERE "
                                 f"{{ {value_triple} FILTER ({test}) }} }} {keep} }} LIMIT {_SHOWN}"))

            datatype = shapes.value(prop, _sh("datatype"))
            if datatype is not None:
                d = _term(datatype)
                one(f"!isLiteral(?v) || DATATYPE(?v) != {d} || !COALESCE(isLiteral({d}(STR(?v))), false)")
            for name, op in (("minInclusive", "<"), ("maxInclusive", ">")):
                bound = shapes.value(prop, _sh(name))
                if bound is not None:
                    one(f"!COALESCE(!(?v {op} {_term(bound)}), false)")
            allowed = shapes.value(prop, _sh("in"))
            if allowed is not None:
                one(f"?v NOT IN ({', '.join(_term(x) for x in Collection(shapes, allowed))})")
            pattern = shapes.value(prop, _sh("pattern"))
            if pattern is not None:
                one(f"isBlank(?v) || !REGEX(STR(?v), {_term(Literal(str(pattern)))})")
            if shapes.value(prop, _sh("nodeKind")) == _sh("IRI"):
                one("!isIRI(?v)")
            other = shapes.value(prop, _sh("lessThanOrEquals"))
            if other is not None:
                out.append(Check(str(path), message, f"SELECT DISTINCT ?focus ?v WHERE {{ {{ SELECT ?focus ?v WHERE "
                                 f"{{ {value_triple} ?focus {_term(other)} ?w FILTER (!COALESCE(?v <= ?w, false)) }} }} "
                                 f"{keep} }} LIMIT {_SHOWN}"))
            if not counts:
                continue
            most = shapes.value(prop, _sh("maxCount"))
            if most is not None:
                out.append(Check(str(path), message, f"""SELECT ?focus ?v WHERE {{
                  {{ SELECT ?focus (COUNT(DISTINCT ?x) AS ?v) WHERE {{ {value_triple} ?focus {p} ?x }}
                     GROUP BY ?focus HAVING (COUNT(DISTINCT ?x) > {int(most)}) }}
                  {keep} }} LIMIT {_SHOWN}"""))
            least = shapes.value(prop, _sh("minCount"))
            if least is not None and int(least) > 0:
                typed = [f"{{ VALUES ?t {{ {schema(c)[0]} }} GRAPH ?ug {{ ?focus <{_TYPE}> ?t }} }}"
                         for kind, c in targets if kind == "class"]
                typed += [f"{{ GRAPH ?ug {{ ?focus {_term(q)} ?sx }} }}" for kind, q in targets if kind == "subjects"]
                out.append(Check(str(path), message, f"""SELECT DISTINCT ?focus ?v WHERE {{
                  VALUES ?ug {{ {values} }} {' UNION '.join(typed)}
                  {{ SELECT ?focus (COUNT(DISTINCT ?x) AS ?v) WHERE {{ ?focus {p} ?x }} GROUP BY ?focus }}
                  FILTER (?v < {int(least)}) }} LIMIT {_SHOWN}""" if int(least) > 1 else f"""SELECT DISTINCT ?focus ?v WHERE {{
                  VALUES ?ug {{ {values} }} {' UNION '.join(typed)}
                  FILTER NOT EXISTS {{ ?focus {p} ?x }} }} LIMIT {_SHOWN}"""))
    return out


def violations(ds, graphs, *, shapes: Graph | None = None, counts: bool = True):
    """The value-constraint violations among the triples of ``graphs`` in ``ds``, as :class:`graph.store.validate.Violation`.

    >>> from graph.store.load import load
    >>> ds = load(imports=False)
    >>> from graph.namespace import GRAPH
    >>> violations(ds, [GRAPH.curated])
    ()
    """
    from .network import _oxigraph_of
    from ..store.validate import Violation, shapes_graph

    graphs = [str(g) for g in graphs]
    if not graphs:
        return ()
    inner = _oxigraph_of(ds)
    found = []
    for check in checks(shapes if shapes is not None else shapes_graph(), graphs, _schema(ds), counts=counts):
        if inner is not None:  # straight to pyoxigraph: no rdflib terms for rows that are not there
            rows = [(r["focus"].value, r["v"]) for r in inner.query(check.query, use_default_graph_as_union=True)]
        else:
            rows = [(str(r[0]), r[1]) for r in ds.query(check.query)]
        found += [Violation(focus=focus, path=check.path, message=check.message, severity="Violation")
                  for focus, _value in rows]
    return tuple(found)


def triples_in(ds, graphs) -> int:
    """How many triples the named ``graphs`` of ``ds`` hold (one count in the store)."""
    from .network import _oxigraph_of

    graphs = [str(g) for g in graphs]
    if not graphs:
        return 0
    query = f"SELECT (COUNT(*) AS ?n) WHERE {{ VALUES ?g {{ {' '.join(f'<{g}>' for g in graphs)} }} GRAPH ?g {{ ?s ?p ?o }} }}"
    inner = _oxigraph_of(ds)
    if inner is not None:
        return int(next(iter(inner.query(query)))["n"].value)
    return int(next(iter(ds.query(query)))[0])
