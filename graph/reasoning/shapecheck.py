"""The value constraints of the SHACL shapes, checked by SPARQL inside the store, on the user's graphs only.

pySHACL copies the data into rdflib and walks it in Python (minutes for a million triples); the
engine, though, only needs the values it reads to be well-formed: dates that are dates, percentages
in range, one owner per stake, a party and a list per listing. This module runs the shapes'
value-level constraints (``sh:datatype``, the bounds, ``sh:in``, ``sh:pattern``, ``sh:nodeKind``,
``sh:lessThan(OrEquals)``, and with ``counts`` ``sh:minCount`` and ``sh:maxCount``) where the data
already is, looking only at the values in the given named graphs. The SPARQL of each constraint is
that of :func:`graph.store.validate.validate_in_store` (one compiler, :data:`graph.store.validate.COMPONENTS`),
with its patterns scoped to the user's graphs: the bad values are found first, then whether the
shape targets their nodes, so a million good triples cost one scan per constraint. ``sh:class`` and
``sh:or`` are not run here: the full SHACL run is ``ecgraph validate --data FILE``. Which
constraints run is read from the shapes, never named here.
"""

from __future__ import annotations

import os

from rdflib import RDF, Graph, URIRef

SH = "http://www.w3.org/ns/shacl#"
_SHOWN = 20  # violations kept per constraint
_VALUES = ("datatype", "minInclusive", "maxInclusive", "minExclusive", "maxExclusive", "in", "pattern", "nodeKind",
           "lessThan", "lessThanOrEquals")
_COUNTS = ("minCount", "maxCount")


def queries(shapes: Graph, graphs, g, *, counts: bool = True) -> list[tuple[str, str, str]]:
    """(path, message, SELECT of at most a few violating ``?this``) for each value constraint of ``shapes``,
    reading the values in the named ``graphs`` of ``g`` (``g`` gives the class and property hierarchies)."""
    from dataclasses import replace

    from ..store import validate as v

    schema = v._schema(g)
    # a node is targeted when typed (or, for the bad values, the subject of a property of the class's domain) in
    # the user's graphs; pySHACL's typing of objects by rdfs:range is left to the full run
    by_domain, by_type = replace(schema, ranges={}), replace(schema, domains={}, ranges={})
    wanted = {URIRef(SH + name) for name in _VALUES + (_COUNTS if counts else ())}
    out = []
    for shape in sorted(set(shapes.subjects(RDF.type, v.SH.NodeShape))):
        w = v._Writer(by_domain, graphs)
        focus = v._focus_pattern(shapes, shape, w)
        if focus is None:
            continue
        w.schema = by_type  # the same writer, so that no variable of one pattern names another's
        typed = v._focus_pattern(shapes, shape, w)
        w.schema = by_domain
        for prop in sorted(shapes.objects(shape, v.SH.property)):
            path = shapes.value(prop, v.SH.path)
            if not isinstance(path, URIRef):  # complex paths are left to the full run
                continue
            message = str(shapes.value(prop, v.SH.message) or f"constraint on {path}")
            ctx = v._Context(shapes, prop, path, w, None)
            for term, value in sorted(shapes.predicate_objects(prop)):
                if term not in wanted:
                    continue
                test = v.COMPONENTS[term](ctx, value)
                if not isinstance(test, v._Test):  # e.g. sh:minCount 0: nothing can break it
                    continue
                if test.breaking:  # the bad values first (a subquery Oxigraph evaluates as written), then the target
                    query = (f"SELECT DISTINCT ?this WHERE {{ {{ SELECT DISTINCT ?this WHERE {{ {test.pattern} }} }} "
                             f"FILTER EXISTS {{ {focus} }} }} LIMIT {_SHOWN}")
                else:  # the user's focus nodes that lack what the pattern binds
                    query = (f"SELECT DISTINCT ?this WHERE {{ {typed} FILTER NOT EXISTS {{ {test.pattern} }} }} "
                             f"LIMIT {_SHOWN}")
                out.append((str(path), message, query))
    return out


def violations(ds, graphs, *, shapes: Graph | None = None, counts: bool = True):
    """The value-constraint violations among the triples of ``graphs`` in ``ds``, as :class:`graph.store.validate.Violation`.

    >>> from graph.store.load import load
    >>> ds = load(imports=False)
    >>> from graph.namespace import GRAPH
    >>> violations(ds, [GRAPH.curated])
    ()
    """
    from ..store.load import oxigraph_store
    from ..store.validate import Violation, shapes_graph

    graphs = [str(g) for g in graphs]
    if not graphs:
        return ()
    inner = oxigraph_store(ds)
    checks = queries(shapes if shapes is not None else shapes_graph(), graphs, ds, counts=counts)
    if inner is not None:  # straight to pyoxigraph, which lets go of the interpreter while it scans: one check per core
        from concurrent.futures import ThreadPoolExecutor

        def bad(query):  # no rdflib terms for rows that are not there
            return [r["this"].value for r in inner.query(query, use_default_graph_as_union=True)]

        with ThreadPoolExecutor(max_workers=min(len(checks), os.cpu_count() or 1) or 1) as pool:
            answers = list(pool.map(bad, [query for _, _, query in checks]))
    else:
        answers = [[str(r[0]) for r in ds.query(query)] for _, _, query in checks]
    return tuple(Violation(focus=node, path=path, message=message, severity="Violation")
                 for (path, message, _), nodes in zip(checks, answers) for node in nodes)


def triples_in(ds, graphs, *, at_most: int | None = None) -> int:
    """How many triples the named ``graphs`` of ``ds`` hold (one count in the store), or ``at_most`` when they hold more.

    Counting a million triples is a walk over them all (0.7 s); a bound stops the walk there.
    """
    from ..store.load import oxigraph_store

    graphs = [str(g) for g in graphs]
    if not graphs:
        return 0
    pattern = f"VALUES ?g {{ {' '.join(f'<{g}>' for g in graphs)} }} GRAPH ?g {{ ?s ?p ?o }}"
    if at_most is not None:
        pattern = f"{{ SELECT ?s WHERE {{ {pattern} }} LIMIT {int(at_most)} }}"
    query = f"SELECT (COUNT(*) AS ?n) WHERE {{ {pattern} }}"
    inner = oxigraph_store(ds)
    if inner is not None:
        return int(next(iter(inner.query(query)))["n"].value)
    return int(next(iter(ds.query(query)))[0])
