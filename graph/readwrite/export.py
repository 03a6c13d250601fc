"""Write the graph, or a part of it, in the formats other tools read.

* RDF: Turtle (``ttl``), N-Triples (``nt``), JSON-LD (``jsonld``) of the union
  graph; TriG (``trig``) and N-Quads (``nq``) keep the named graphs (curated,
  each import, each user file).
* Graph tools: GraphML (``graphml``) and GEXF (``gexf``, Gephi) of the networkx
  view (:func:`graph.reasoning.network.to_networkx`), every attribute a plain string or
  number as those formats require.
* Screening tools: ``ftm``, FollowTheMoney entities one JSON object a line
  (parties as Company/Person/LegalEntity, stakes as Ownership, listings as
  Sanction), each built and checked by the followthemoney model
  (:func:`graph.readwrite.ftm.write_ftm`).
* Spreadsheets: ``csv`` of listings (one row per listing: party, list, from,
  until, citation, footnote, policy, sources) or of the exposures of given
  chip usages.

What is exported is the whole graph, the neighbourhood of one entity
(``subgraph=NAME, depth=N``: every node within N hops in the networkx view, each
with all its own triples and those of the facts between them), or the result of
a SPARQL CONSTRUCT (``query=TEXT``).
"""

from __future__ import annotations

import csv
import datetime as dt
import re
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from rdflib import RDF, BNode, Dataset, Graph, Literal, URIRef
from rdflib.graph import DATASET_DEFAULT_GRAPH_ID
from rdflib.namespace import DCTERMS

from ..errors import InputError, QueryError
from ..namespace import ECG, PREFIXES

RDF_FORMATS = {"ttl": "turtle", "nt": "nt", "jsonld": "json-ld", "trig": "trig", "nq": "nquads"}
QUAD_FORMATS = ("trig", "nq")
GRAPH_FORMATS = ("graphml", "gexf")
FORMATS = (*RDF_FORMATS, *GRAPH_FORMATS, "csv", "ftm")
TABLES = ("listings", "exposures")
_SUFFIXES = {"ttl": "ttl", "turtle": "ttl", "nt": "nt", "jsonld": "jsonld", "json": "jsonld", "trig": "trig",
             "nq": "nq", "graphml": "graphml", "gexf": "gexf", "csv": "csv"}

LISTING_COLUMNS = ("listing", "party", "party_label", "list", "list_label", "valid_from", "valid_until",
                   "citation", "footnote", "policy", "licence_requirement", "sources")
EXPOSURE_COLUMNS = ("usage", "chip", "as_of", "party", "party_label", "role", "severity", "rule", "rule_label",
                    "restriction", "policy", "citations", "explanation")


@dataclass(frozen=True)
class Written:
    """What an export wrote: format, file, and how many triples, nodes and edges, or rows."""

    format: str
    path: str
    count: int
    unit: str  # "triples", "quads", "nodes", "rows", "entities"
    edges: int = 0
    skipped: int = 0  # entities the format cannot hold (ftm), each named in ``notes``
    notes: tuple[str, ...] = ()  # one line each: what was skipped or left out, and why

    def __str__(self) -> str:
        """The summary line, then one indented line per note (as an import lists the rows it skipped)."""
        extra = f" and {self.edges} edges" if self.unit == "nodes" else ""
        skipped = f"; skipped {self.skipped} {self.unit} the {self.format} format cannot hold" if self.skipped else ""
        return "\n".join([f"wrote {self.count} {self.unit}{extra} to {self.path} ({self.format}){skipped}",
                          *(f"  {note}" for note in self.notes)])


def format_for(path: Path, fmt: str | None = None) -> str:
    """The export format: ``fmt`` when given, else from the file suffix.

    >>> format_for(Path("graph.gexf"))
    'gexf'
    """
    if fmt:
        if fmt not in FORMATS:
            raise InputError(f"unknown export format {fmt!r}; choose one of {', '.join(FORMATS)}")
        return fmt
    if Path(path).name.lower().endswith(".ftm.json"):
        return "ftm"
    suffix = Path(path).suffix.lower().lstrip(".")
    if suffix not in _SUFFIXES:
        raise InputError(f"{path}: cannot tell the format from the suffix; give --format ({', '.join(FORMATS)})")
    return _SUFFIXES[suffix]


def export(
    g: Graph,
    fmt: str,
    out: Path,
    *,
    query: str | None = None,
    subgraph: str | None = None,
    depth: int = 1,
    table: str = "listings",
    usages=(),
) -> Written:
    """Write ``g`` (or the part selected) to ``out`` in format ``fmt``.

    Parameters
    ----------
    g : the loaded dataset (or any rdflib graph)
    fmt : one of :data:`FORMATS`
    out : the file to write
    query : text of a SPARQL CONSTRUCT (or DESCRIBE) query; its result is exported
    subgraph : a name or IRI; its neighbourhood of ``depth`` hops is exported
    table : for ``csv``: ``listings`` or ``exposures``
    usages : for ``table="exposures"``: the :class:`graph.reasoning.exposure.Usage` values to evaluate
    """
    fmt = format_for(out, fmt)
    if query is not None and subgraph is not None:
        raise InputError("choose one of --query and --subgraph")
    if depth < 0:
        raise InputError(f"--depth {depth}: give 0 or more hops")
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    selected = g
    if query is not None:
        selected = construct(g, query)
    elif subgraph is not None:
        selected = neighbourhood(g, subgraph, depth=depth)
    if fmt in RDF_FORMATS:
        return _write_rdf(selected, fmt, out)
    if fmt in GRAPH_FORMATS:
        return _write_network(selected, fmt, out)
    if fmt == "ftm":
        from .ftm import write_ftm

        count, skipped, notes = write_ftm(selected, out)
        return Written(fmt, str(out), count, "entities", skipped=skipped, notes=notes)
    if table not in TABLES:
        raise InputError(f"unknown table {table!r}; choose one of {', '.join(TABLES)}")
    if table == "exposures":
        if not usages:
            raise InputError("the exposures table needs usages: give --usage FILE")
        return _write_csv(out, EXPOSURE_COLUMNS, exposure_rows(g, usages), fmt)
    return _write_csv(out, LISTING_COLUMNS, listing_rows(selected), fmt)


# --------------------------------------------------------------------------- selecting


def construct(g: Graph, text: str) -> Graph:
    """The graph a SPARQL CONSTRUCT or DESCRIBE query builds from ``g``."""
    from ..store.sparql import query as run, query_form

    form = query_form(text)
    if form not in ("CONSTRUCT", "DESCRIBE"):
        raise QueryError(f"an export query must be a CONSTRUCT or DESCRIBE query, not {form}")
    result = run(g, text)
    out = _plain_graph()
    for triple in result.graph if result.graph is not None else result:
        out.add(triple)
    return out


def neighbourhood(g: Graph, name: str, *, depth: int = 1) -> Graph | Dataset:
    """The entity called ``name`` and everything within ``depth`` hops of it, each node with all its triples.

    Hops are counted in the networkx view, in either direction, with fact nodes
    (listings, ownership stakes, memberships) collapsed into one hop; the fact
    nodes on the edges between selected nodes come along. On a dataset the
    result keeps the named graphs.
    """
    import networkx as nx

    from ..store.names import resolve
    from ..reasoning.network import to_networkx

    center = str(resolve(g, name))
    G = to_networkx(g)
    nodes = set(nx.ego_graph(G.to_undirected(as_view=True), center, radius=depth)) if center in G else {center}
    facts = {d["fact"] for u, v, d in G.subgraph(nodes).edges(data=True) if "fact" in d}
    subjects = {URIRef(n) for n in nodes | facts if not n.startswith("_:")}
    if isinstance(g, Dataset):
        out = _plain_dataset()
        for s in subjects:
            for s_, p, o, ctx in g.quads((s, None, None, None)):
                out.add((s_, p, o, _context_id(ctx)))
        return out
    out = _plain_graph()
    for s in subjects:
        for triple in g.triples((s, None, None)):
            out.add(triple)
    return out


def _context_id(ctx):
    return ctx.identifier if hasattr(ctx, "identifier") else ctx


def _plain_graph() -> Graph:
    out = Graph()
    for prefix, ns in PREFIXES.items():
        out.bind(prefix, ns, override=True)
    return out


def _plain_dataset() -> Dataset:
    out = Dataset(default_union=True)
    for prefix, ns in PREFIXES.items():
        out.bind(prefix, ns, override=True)
    return out


# --------------------------------------------------------------------------- RDF


def _write_rdf(g: Graph, fmt: str, out: Path) -> Written:
    """Serialise with Oxigraph's writers: fast, and literals keep their lexical form (rdflib's Turtle
    writer turns ``"3200"^^xsd:decimal`` into ``3200.0``, which breaks a round trip)."""
    import pyoxigraph as ox

    # instance IRIs stay whole: as prefixed names their slashes would need escaping (id:chip\/h100)
    prefixes = {k: v for k, v in PREFIXES.items() if k != "id"}
    if fmt in QUAD_FORMATS:
        if isinstance(g, Dataset):
            items = {(s, p, o, _context_id(c)) for s, p, o, c in g.quads((None, None, None, None))}
        else:
            items = {(s, p, o, None) for s, p, o in g}
        unit = "quads"
        stream = (ox.Quad(_ox(s), _ox(p), _ox(o), _ox_graph(c)) for s, p, o, c in sorted(items, key=_order))
    else:
        items = set(g.triples((None, None, None)))
        unit = "triples"
        stream = (ox.Triple(_ox(s), _ox(p), _ox(o)) for s, p, o in sorted(items, key=_order))
    formats = {"ttl": ox.RdfFormat.TURTLE, "nt": ox.RdfFormat.N_TRIPLES, "jsonld": ox.RdfFormat.JSON_LD,
               "trig": ox.RdfFormat.TRIG, "nq": ox.RdfFormat.N_QUADS}
    from ..store.atomic import open_atomic

    with open_atomic(out, binary=True) as fh:  # complete or not at all
        ox.serialize(stream, fh, format=formats[fmt], prefixes=prefixes if fmt in ("ttl", "trig", "jsonld") else None)
    return Written(fmt, str(out), len(items), unit)


def _order(item) -> tuple:
    # graph first (TriG writes one block per graph), then subject, so each subject's triples sit together
    *triple, graph = item if len(item) == 4 else (*item, None)
    return (str(graph or ""), *(str(t) for t in triple))


def _ox(term):
    import pyoxigraph as ox

    if isinstance(term, URIRef):
        return ox.NamedNode(str(term))
    if isinstance(term, BNode):
        return ox.BlankNode(str(term))
    if isinstance(term, Literal):
        if term.language:
            return ox.Literal(str(term), language=term.language)
        if term.datatype is not None:
            return ox.Literal(str(term), datatype=ox.NamedNode(str(term.datatype)))
        return ox.Literal(str(term))
    raise TypeError(f"not an RDF term: {term!r}")


def _ox_graph(name):
    import pyoxigraph as ox

    if name is None or name == DATASET_DEFAULT_GRAPH_ID:
        return ox.DefaultGraph()
    return _ox(name)


# --------------------------------------------------------------------------- GraphML / GEXF


def _write_network(g: Graph, fmt: str, out: Path) -> Written:
    import networkx as nx

    from ..reasoning.network import to_networkx

    from ..store.atomic import open_atomic

    G = simple_attributes(to_networkx(g))
    with open_atomic(out, binary=True) as fh:  # complete or not at all
        if fmt == "graphml":
            nx.write_graphml(G, fh)
        else:
            nx.write_gexf(G, fh)
    return Written(fmt, str(out), G.number_of_nodes(), "nodes", G.number_of_edges())


def simple_attributes(G):
    """A copy of ``G`` whose attribute values are strings, numbers or booleans (GraphML and GEXF need that).

    Tuples become ``;``-joined text, dates ISO text, decimals floats; empty values are dropped. A character
    XML 1.0 cannot hold (a control character of a name) is spelled out, ``\\x1b``: the file stays readable.

    >>> import networkx as nx
    >>> G = nx.MultiDiGraph()
    >>> _ = G.add_edge("a", "b", key="k", validFrom=dt.date(2020, 1, 2), sources=("s1", "s2"), percentage=Decimal("60"))
    >>> sorted(simple_attributes(G).edges["a", "b", "k"].items())
    [('percentage', 60.0), ('sources', 's1; s2'), ('validFrom', '2020-01-02')]
    """
    import networkx as nx

    H = nx.MultiDiGraph()
    H.graph.update({k: _simple(v) for k, v in G.graph.items() if _simple(v) is not None})
    for n, data in G.nodes(data=True):
        H.add_node(n, **_simple_dict(data))
    for u, v, k, data in G.edges(keys=True, data=True):
        H.add_edge(u, v, key=k, **_simple_dict(data))
    return H


def _simple_dict(data: dict) -> dict:
    out = {}
    for k, v in data.items():
        value = _simple(v)
        if value is not None and k != "id":  # "id" is the element's own id in both formats
            out[k] = value
    return out


_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


def _simple(value):
    if value is None:
        return None
    if isinstance(value, str):
        return _NOT_XML.sub(lambda m: f"\\x{ord(m.group()):02x}" if ord(m.group()) < 0x100
                            else f"\\u{ord(m.group()):04x}", value) if value != "" else None
    if isinstance(value, bool | int | float):
        return value
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, dt.date | dt.datetime | dt.time):
        return value.isoformat()
    if isinstance(value, (tuple, list, set, frozenset)):
        text = "; ".join(str(_simple(v)) for v in (sorted(value) if isinstance(value, (set, frozenset)) else value)
                         if _simple(v) is not None)
        return text or None
    return str(value)


# --------------------------------------------------------------------------- CSV


def _write_csv(out: Path, columns, rows, fmt: str) -> Written:
    from ..store.atomic import open_atomic

    n = 0
    with open_atomic(out) as fh:  # complete or not at all
        w = csv.writer(fh)
        w.writerow(columns)
        for row in rows:
            w.writerow([row.get(c, "") for c in columns])
            n += 1
    return Written(fmt, str(out), n, "rows")


def listing_rows(g: Graph) -> list[dict[str, str]]:
    """One row per ``ecg:Listing`` in ``g``: party, list, dates, citation, footnote, policy, sources.

    Several values (two citations, three sources) are joined with ``; ``. A
    review policy that maps to no policy node shows its verbatim text.
    """
    from ..store.names import label_of

    rows = []
    for lst in set(g.subjects(RDF.type, ECG.Listing)):
        party, on = g.value(lst, ECG.listedParty), g.value(lst, ECG.onList)
        policies = [label_of(g, p) for p in g.objects(lst, ECG.reviewPolicy)]
        if not policies:
            prefix = "Licence review policy (verbatim): "
            policies = [str(n)[len(prefix):] for n in g.objects(lst, ECG.note) if str(n).startswith(prefix)]
        rows.append({
            "listing": str(lst),
            "party": str(party or ""), "party_label": label_of(g, party) if party is not None else "",
            "list": str(on or ""), "list_label": label_of(g, on) if on is not None else "",
            "valid_from": _joined(g.objects(lst, ECG.validFrom)),
            "valid_until": _joined(g.objects(lst, ECG.validUntil)),
            "citation": _joined(g.objects(lst, ECG.frCitation)),
            "footnote": _joined(g.objects(lst, ECG.fdpFootnote)),
            "policy": "; ".join(sorted(set(policies))),
            "licence_requirement": _joined(g.objects(lst, ECG.licenceRequirement)),
            "sources": _joined(g.objects(lst, DCTERMS.source)),
        })
    return sorted(rows, key=lambda r: (r["list_label"], r["party_label"], r["valid_from"], r["listing"]))


def _joined(values) -> str:
    return "; ".join(sorted({str(v) for v in values}))


def exposure_rows(g: Graph, usages) -> list[dict[str, str]]:
    """One row per exposure of each usage, in the engine's order."""
    from ..reasoning.exposure import exposures

    rows = []
    for usage in usages:
        for e in exposures(g, usage).exposures:
            rows.append({
                "usage": usage.iri, "chip": usage.chip, "as_of": usage.as_of.isoformat(),
                "party": e.party, "party_label": e.party_label, "role": e.role,
                "severity": e.severity_label, "rule": e.rule, "rule_label": e.rule_label,
                "restriction": e.restriction, "policy": e.policy_label, "citations": "; ".join(e.citations),
                "explanation": e.explanation,
            })
    return rows

