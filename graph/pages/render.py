"""Interactive HTML views of the graph: one self-contained file per view, readable offline.

The page draws a networkx view (see :mod:`graph.reasoning.network`) with vis-network, the
library pyvis bundles: its JavaScript and CSS are inlined from the pyvis package,
so the file opens with no network and no files next to it. pyvis itself is used
as a container of node and edge dicts (assigned directly: ``Network.from_nx``
mutates its input and is quadratic) and the page comes from this module's own
template, because pyvis's links bootstrap from a CDN, inserts ``heading=`` raw
and turns every tooltip into raw HTML once a title contains "href".

Safety: every string from the data reaches the page either through
``html.escape`` (title, legend, notes) or inside a JSON block whose ``<``, ``>``
and ``&`` are written as ``\\u003c`` etc.; the page script writes data with
``textContent`` only, and vis-network shows string tooltips with ``innerText``.

Determinism: nodes and edges are sorted, edge ids are their sorted position,
positions come from a layout computed here (no randomness), and the page has no
timestamp, so rendering the same data twice gives the same bytes.
"""

from __future__ import annotations

import datetime as dt
import html
import json
import math
import re
from collections import defaultdict, deque
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Mapping

import networkx as nx

from ..errors import InputError, QueryError
from ..namespace import ECG

LIMIT = 2000  # nodes; larger views are capped and the page says so
PHYSICS_MAX = 300  # kept for callers; views now open with physics off, laid out here
SEPARATE_MAX = 800  # up to this many nodes the layout is also pushed apart until no two labels overlap
RING = 220  # px between the rings of the radial layout
GAP = 48  # px wanted between neighbours on a ring

# Node classes: (key, legend label, vis shape, colour, legend glyph); the order is the legend's.
CLASSES = (
    ("usage", "chip usage", "star", "#edc948", "\u2605"),
    ("country", "country", "dot", "#4e79a7", "\u25cf"),
    ("group", "country group", "hexagon", "#76b7b2", "\u2b22"),
    ("party", "firm or party", "square", "#f28e2b", "\u25a0"),
    ("chip", "chip", "diamond", "#59a14f", "\u25c6"),
    ("rule", "rule", "triangle", "#e15759", "\u25b2"),
    ("guidance", "guidance", "triangleDown", "#d37295", "\u25bc"),
    ("restriction", "restriction", "box", "#b07aa1", "\u25ac"),
    ("listing", "listing or list", "database", "#9c755f", "\u2261"),
    ("other", "other", "ellipse", "#bab0ac", "\u25ef"),
)
_INSIDE = frozenset({"box", "database", "ellipse"})  # vis shapes that draw their label inside
FONT = '"Noto Sans", "Noto Sans CJK SC", "Noto Sans CJK JP", sans-serif'  # Debian: fonts-noto-cjk
_STYLE = {key: (label, shape, colour, glyph) for key, label, shape, colour, glyph in CLASSES}

# Which rdf:type puts a node in which class (first match in this order wins).
_TYPE_CLASS = (
    (ECG.ChipUsage, "usage"),
    (ECG.Restriction, "restriction"),
    (ECG.Listing, "listing"),
    (ECG.ScreeningList, "listing"),
    (ECG.Rule, "rule"),
    (ECG.Guidance, "guidance"),
    (ECG.Chip, "chip"),
    (ECG.CountryGroup, "group"),
    (ECG.Country, "country"),
    (ECG.Firm, "party"),
    (ECG.Person, "party"),
    (ECG.Party, "party"),
)

# Edges that are not drawn: sources go into tooltips instead of becoming hub nodes
# that link every fact to every other, and schema edges (domain, range,
# subClassOf) belong to the ontology, not to the picture of the data.
# Confidence and scheme membership are shown in tooltips too (drawn, they are hubs as well).
_SOURCE = "http://purl.org/dc/terms/source"
_HIDDEN = frozenset({
    _SOURCE,
    "http://www.w3.org/2004/02/skos/core#inScheme",
    "http://www.w3.org/2004/02/skos/core#topConceptOf",
    str(ECG.confidence),
    str(ECG.edgeFrom),
    str(ECG.edgeTo),
})
_SCHEMA_NS = ("http://www.w3.org/2000/01/rdf-schema#", "http://www.w3.org/2002/07/owl#")

HIGHLIGHT = "#d62728"


@dataclass(frozen=True)
class View:
    """A rendered page and what it shows."""

    title: str
    html: str
    nodes: int
    edges: int
    total_nodes: int  # nodes before the cap


# ---------------------------------------------------------------------------
# Subgraphs


def node_class(types: Iterable[str]) -> str:
    """The drawing class of a node from its rdf:type IRIs.

    >>> node_class(["https://w3id.org/ecgraph/ontology#Firm"])
    'party'
    >>> node_class([])
    'other'
    """
    present = set(types)
    for iri, key in _TYPE_CLASS:
        if str(iri) in present:
            return key
    return "other"


def drawable(G: nx.MultiDiGraph) -> nx.MultiDiGraph:
    """A view of ``G`` without source, confidence, scheme and schema edges (tooltips show them)."""

    def keep(u, v, k):
        p = G[u][v][k].get("predicate", k)
        return p not in _HIDDEN and not p.startswith(_SCHEMA_NS)

    return nx.subgraph_view(G, filter_edge=keep)


def on_day(G: nx.MultiDiGraph, day) -> nx.MultiDiGraph:
    """A view of ``G`` without the fact edges (listings, stakes, memberships, statuses) that do not hold on ``day``."""
    from ..reasoning.timeline import holds, parse_date

    day = parse_date(day, what="--as-of")

    def keep(u, v, k):
        attrs = G[u][v][k]
        if "fact" not in attrs:
            return True
        return holds(_date(attrs.get("validFrom")), _date(attrs.get("validUntil")), day)

    return nx.subgraph_view(G, filter_edge=keep)


def _date(value):
    if value is None or isinstance(value, dt.datetime):
        return value.date() if value is not None else None
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value)[:10])
    except ValueError:
        return None  # an undated or malformed bound does not hide the fact


def neighbourhood(G: nx.MultiDiGraph, node: str, *, depth: int = 2, as_of=None, limit: int = LIMIT,
                  stop: frozenset | set = frozenset()) -> nx.MultiDiGraph:
    """The nodes within ``depth`` hops of ``node`` (either direction), as a read-only view of ``G``.

    With ``as_of``, fact edges that do not hold on that date are left out before
    walking. At most ``limit`` nodes are kept, nearest first; the view's
    ``graph`` dict says ``center``, ``depth``, ``as_of`` and ``total_nodes``
    (how many there were before the cap). Nodes in ``stop`` (hubs: countries,
    groups, statuses, lists) are reached but not walked through, unless they are
    ``node`` itself. ``G`` is never changed.

    >>> G = nx.MultiDiGraph([("a", "b"), ("b", "c"), ("c", "d")])
    >>> sorted(neighbourhood(G, "b", depth=1))
    ['a', 'b', 'c']
    >>> neighbourhood(G, "a", depth=3, limit=2).graph["total_nodes"]
    4
    """
    if node not in G:
        raise InputError(f"{node} has no relations to draw in the graph")
    if depth < 0:
        raise InputError(f"--depth must be 0 or more, not {depth}")
    day = None
    base = G
    if as_of is not None:
        from ..reasoning.timeline import parse_date

        day = parse_date(as_of, what="--as-of")
        base = on_day(G, day)
    order = _bfs(base, node, depth, stop=stop)
    keep = set(order[:limit])
    H = nx.subgraph_view(base, filter_node=keep.__contains__)
    # a fresh dict: the view's own description, G.graph stays as it was
    H.graph = {**G.graph, "center": node, "depth": depth, "total_nodes": len(order),
               "as_of": day.isoformat() if day else None}
    return H


def _bfs(G, start, depth=None, stop=frozenset()) -> list:
    """Nodes reached from ``start`` ignoring direction, nearest first, ties by IRI; ``stop`` nodes are leaves."""
    seen = {start}
    order = [start]
    frontier = [start]
    level = 0
    while frontier and (depth is None or level < depth):
        nxt = []
        for u in frontier:
            if u in stop and u != start:
                continue
            for v in sorted(set(G.successors(u)) | set(G.predecessors(u))):
                if v not in seen:
                    seen.add(v)
                    order.append(v)
                    nxt.append(v)
        frontier = nxt
        level += 1
    return order


# ---------------------------------------------------------------------------
# Words: edge labels and tooltips from the RDF graph


def texts(g, H: nx.MultiDiGraph) -> tuple[dict, dict]:
    """Labels and tooltips for the nodes and edges of ``H``, from the RDF graph ``g``.

    Returns ``(names, tooltips)``: ``names`` maps predicate, class and source
    IRIs to their labels; ``tooltips`` maps each node id and each edge
    ``(u, v, key)`` to plain text (key facts, dates, sources).
    """
    from rdflib import RDF, Literal, URIRef
    from rdflib.namespace import DCTERMS

    from ..store.names import label_of

    names: dict[str, str] = {}

    def name(iri: str) -> str:
        if iri not in names:
            names[iri] = label_of(g, URIRef(iri)) if not iri.startswith("_:") else iri
        return names[iri]

    def source_text(iri: str) -> str:
        node = URIRef(iri)
        cite = g.value(node, ECG.frCitation)
        label = name(iri)
        return f"{label} ({cite})" if cite and str(cite) not in label else label

    tooltips: dict = {}
    for n, attrs in sorted(H.nodes(data=True)):
        lines = [attrs.get("label") or n]
        types = [name(t) for t in attrs.get("types", ())]
        if types:
            lines.append("a " + ", ".join(sorted(types)))
        lines.append(n)
        term = URIRef(n) if not n.startswith("_:") else None
        facts, sources = [], []
        if term is not None:
            for p, o in g.predicate_objects(term):
                if p == DCTERMS.source:
                    sources.append(source_text(str(o)))
                elif p == ECG.confidence:
                    facts.append(f"{name(str(p))}: {name(str(o))}")
                elif isinstance(o, Literal) and p != RDF.type and str(o) != lines[0]:
                    facts.append(f"{name(str(p))}: {_short(o)}")
        lines += sorted(set(facts))[:14]
        if sources:
            lines.append("sources: " + "; ".join(sorted(set(sources))))
        tooltips[n] = "\n".join(lines)

    ecg = str(ECG._NS)
    for u, v, k, attrs in sorted(H.edges(keys=True, data=True), key=lambda e: e[:3]):
        predicate = attrs.get("predicate", k)
        label = name(predicate)
        lines = [f"{H.nodes[u].get('label', u)} \u2192 {label} \u2192 {H.nodes[v].get('label', v)}"]
        if "fact" in attrs:
            lines.append(attrs["fact"])
            for key in sorted(attrs):
                if key in ("predicate", "fact", "label", "sources"):
                    continue
                lines.append(f"{name(ecg + key) if key in ECG.__annotations__ else key}: {_short(attrs[key])}")
            fact = attrs["fact"]
            if not fact.startswith("_:"):
                for c in g.objects(URIRef(fact), ECG.confidence):
                    lines.append(f"{name(str(ECG.confidence))}: {name(str(c))}")
            srcs = attrs.get("sources", ())
            if srcs:
                lines.append("sources: " + "; ".join(sorted(source_text(s) for s in srcs)))
        else:
            lines.append(predicate)
        tooltips[(u, v, k)] = "\n".join(lines)
    for predicate in {attrs.get("predicate", k) for _, _, k, attrs in H.edges(keys=True, data=True)}:
        name(predicate)
    return names, tooltips


def _short(value, width: int = 160) -> str:
    text = " ".join(str(value).split())
    return text if len(text) <= width else text[: width - 1] + "\u2026"


def _default_tooltips(G) -> dict:
    out = {}
    for n, attrs in G.nodes(data=True):
        cls = _STYLE[node_class(attrs.get("types", ()))][0]
        out[n] = "\n".join([str(attrs.get("label") or n), f"a {cls}", n])
    for u, v, k, attrs in G.edges(keys=True, data=True):
        lines = [f"{G.nodes[u].get('label', u)} \u2192 {_edge_label(attrs, k, {})} \u2192 {G.nodes[v].get('label', v)}"]
        for key in sorted(attrs):
            if key not in ("predicate", "label", "sources"):
                lines.append(f"{key}: {_short(attrs[key])}")
        if attrs.get("sources"):
            lines.append("sources: " + "; ".join(attrs["sources"]))
        out[(u, v, k)] = "\n".join(lines)
    return out


def _edge_label(attrs, key, names) -> str:
    predicate = attrs.get("predicate", key)
    if predicate in names:
        return names[predicate]
    if attrs.get("label") and "fact" in attrs:
        return str(attrs["label"])
    text = str(predicate)
    return text.rsplit("#", 1)[-1] if "#" in text else text.rstrip("/").rsplit("/", 1)[-1]


# ---------------------------------------------------------------------------
# Layout


def layout(G, *, center=None) -> dict[str, tuple[int, int]]:
    """Integer positions for every node: radial rings around ``center`` (or each component's busiest node).

    Linear in the size of the graph and free of randomness, so a 2,000-node
    view is laid out in well under a second and twice the same graph gives the
    same positions.

    >>> layout(nx.MultiDiGraph([("a", "b")]), center="a")["a"]
    (0, 0)
    """
    adj: dict = {n: set() for n in G}
    for u, v in G.edges():
        if u != v:
            adj[u].add(v)
            adj[v].add(u)
    starts = sorted(adj, key=lambda n: (-len(adj[n]), n))
    if center is not None and center in adj:
        starts = [center] + [n for n in starts if n != center]
    seen: set = set()
    comps = []
    for root in starts:
        if root in seen:
            continue
        comps.append(_radial(adj, root, seen))
    if not comps:
        return {}
    comps.sort(key=lambda c: (-len(c[0]), min(c[0])))
    # shelf packing: the first (largest or centred) component at the origin, the rest in rows
    pos: dict = {}
    first_pts, first_r = comps[0]
    pos.update(first_pts)
    width = max(2 * first_r, 1600)
    x, y, row_h = -width / 2, first_r + GAP * 2, 0.0
    for pts, r in comps[1:]:
        if x + 2 * r > width / 2 and x > -width / 2:
            x, y, row_h = -width / 2, y + row_h + GAP, 0.0
        cx, cy = x + r, y + r
        for n, (px, py) in pts.items():
            pos[n] = (px + cx, py + cy)
        x += 2 * r + GAP
        row_h = max(row_h, 2 * r)
    return {n: (int(round(px)), int(round(py))) for n, (px, py) in pos.items()}


def _radial(adj, root, seen) -> tuple[dict, float]:
    """Positions of the component of ``root`` on rings by BFS depth; each subtree gets a wedge by its leaf count."""
    parent = {root: None}
    depth = {root: 0}
    order = [root]
    seen.add(root)
    queue = deque([root])
    children = defaultdict(list)
    while queue:
        u = queue.popleft()
        for v in sorted(adj[u]):
            if v not in seen:
                seen.add(v)
                parent[v] = u
                depth[v] = depth[u] + 1
                children[u].append(v)
                order.append(v)
                queue.append(v)
    leaves = {}
    for n in reversed(order):
        leaves[n] = sum(leaves[c] for c in children[n]) or 1
    per_ring = defaultdict(int)
    for n in order:
        per_ring[depth[n]] += 1
    radius = {0: 0.0}
    for d in range(1, max(depth.values()) + 1):
        radius[d] = max(radius[d - 1] + RING, per_ring[d] * GAP / (2 * math.pi))
    wedge = {root: (0.0, 2 * math.pi)}
    pts = {}
    for n in order:
        lo, hi = wedge[n]
        a = (lo + hi) / 2
        r = radius[depth[n]]
        pts[n] = (r * math.cos(a), r * math.sin(a))
        total = leaves[n]
        start = lo
        for c in children[n]:
            span = (hi - lo) * leaves[c] / total
            wedge[c] = (start, start + span)
            start += span
    return pts, radius[max(depth.values())] + GAP


def label_box(attrs: Mapping, *, center: bool = False, cls: str | None = None) -> tuple[float, float]:
    """A generous estimate of the width and height (px) a node takes with its label, as vis-network draws it.

    >>> label_box({"label": "Huawei", "types": ["https://w3id.org/ecgraph/ontology#Firm"]})
    (62.0, 57.0)
    """
    cls = cls or node_class(attrs.get("types", ()))
    shape = _STYLE[cls][1]
    text = _short(str(attrs.get("label") or ""), 28 if shape in _INSIDE else 48)
    width = sum(14.0 if ord(ch) >= 0x2E80 else 8.0 for ch in text)  # CJK glyphs are about a font size wide
    if shape in _INSIDE:
        lines = max(1, math.ceil(width / 170))
        w, h = min(width, 170) + 24, 18.0 * lines + 16
        if shape == "database":  # a cylinder grows as wide as tall around its label
            side = max(w, 80.0)
            return side, side
        return (w + 12, h + 20) if shape == "ellipse" else (w, h)
    body = 52.0 if center else 40.0
    lines = max(1, math.ceil(width / 170))  # labels wrap at the nodes' widthConstraint
    return max(min(width, 170), body) + 14, body + 17.0 * lines


def separate(G, positions: Mapping, *, center=None, margin: float = 8, rounds: int = 80) -> dict:
    """Positions moved apart until no two nodes' label boxes (:func:`label_box`) overlap; deterministic.

    Each round pushes every overlapping pair apart along the axis where they overlap least; ``center``
    stays where it is. Neighbours are found with a grid, so a round is about linear in the nodes.

    >>> G = nx.MultiDiGraph([("urn:a", "urn:b")])
    >>> for n in G: G.nodes[n]["label"] = "a long label of a node"
    >>> p = separate(G, {"urn:a": (0, 0), "urn:b": (5, 0)}, center="urn:a")
    >>> p["urn:a"], abs(p["urn:b"][1]) > 40 or abs(p["urn:b"][0]) > 150
    ((0, 0), True)
    """
    ids = sorted(G)
    if len(ids) < 2:
        return {n: tuple(positions.get(n, (0, 0))) for n in ids}
    pos = {n: [float(positions.get(n, (0, 0))[0]), float(positions.get(n, (0, 0))[1])] for n in ids}
    box = {n: label_box(G.nodes[n], center=n == center) for n in ids}
    cell = max(max(w for w, _ in box.values()), max(h for _, h in box.values())) + margin
    for _ in range(rounds):
        grid: dict = defaultdict(list)
        for n in ids:
            grid[(int(pos[n][0] // cell), int(pos[n][1] // cell))].append(n)
        moved = False
        for n in ids:
            cx, cy = int(pos[n][0] // cell), int(pos[n][1] // cell)
            for dx in (-1, 0, 1):
                for dy in (-1, 0, 1):
                    for m in grid.get((cx + dx, cy + dy), ()):
                        if m <= n:
                            continue
                        ox = (box[n][0] + box[m][0]) / 2 + margin - abs(pos[n][0] - pos[m][0])
                        oy = (box[n][1] + box[m][1]) / 2 + margin - abs(pos[n][1] - pos[m][1])
                        if ox <= 0 or oy <= 0:
                            continue
                        moved = True
                        if oy <= ox:  # apart vertically
                            axis, gap = 1, oy
                        else:
                            axis, gap = 0, ox
                        sign = 1.0 if pos[m][axis] > pos[n][axis] or (pos[m][axis] == pos[n][axis]) else -1.0
                        if n == center:
                            pos[m][axis] += sign * gap
                        elif m == center:
                            pos[n][axis] -= sign * gap
                        else:
                            pos[n][axis] -= sign * gap / 2
                            pos[m][axis] += sign * gap / 2
        if not moved:
            break
    return {n: (int(round(x)), int(round(y))) for n, (x, y) in pos.items()}


# ---------------------------------------------------------------------------
# The page


def render_html(
    G: nx.MultiDiGraph,
    *,
    title: str,
    highlight: Iterable = (),
    names: Mapping[str, str] | None = None,
    tooltips: Mapping | None = None,
    legend: bool = True,
    positions: Mapping[str, tuple] | None = None,
    note: str = "",
    panel: Iterable[Mapping] = (),
    center: str | None = None,
    limit: int = LIMIT,
    more: tuple | None = None,
    hubs: frozenset | set = frozenset(),
) -> str:
    """The HTML page (one self-contained string) drawing ``G``.

    Parameters
    ----------
    G : the networkx view to draw (node attrs ``label``, ``types``; edge key = predicate or fact IRI)
    title : page title, shown as text
    highlight : node ids and ``(u, v, key)`` edges to draw in red over the dimmed context
    names : IRI -> label, for edge labels (predicate labels); see :func:`texts`
    tooltips : node id or ``(u, v, key)`` -> plain text; see :func:`texts`
    legend : show the class legend (with its class filter)
    positions : node -> (x, y); computed by :func:`layout` when not given
    note : a line of text shown under the title
    panel : side-panel entries, each ``{"title": str, "lines": [str], "nodes": [id], "edges": [(u, v, key)]}``
    center : the node the view is about (drawn larger, placed in the middle)
    limit : cap on the number of nodes; the page says when it was reached
    more : ``(R, hidden, tooltips)`` for click-to-expand: ``R`` a graph of nodes not drawn yet and their
        edges, ``hidden`` node -> the ids of ``R`` a click on it adds (see :func:`reserve`)
    hubs : nodes drawn small, as attributes of their neighbours (see :func:`hub_nodes`)

    >>> G = nx.MultiDiGraph()
    >>> _ = G.add_edge("urn:a", "urn:b", key="urn:p", predicate="urn:p")
    >>> page = render_html(G, title="a & b")
    >>> "<title>a &amp; b</title>" in page
    True
    """
    from pyvis.network import Network

    names = dict(names or {})
    total = max(G.number_of_nodes(), int(G.graph.get("total_nodes") or 0))
    if G.number_of_nodes() > limit:
        if center is not None and center in G:
            keep = set(_bfs(G, center)[:limit])
            if len(keep) < limit:  # other components, busiest first
                rest = sorted((n for n in G if n not in keep), key=lambda n: (-G.degree(n), n))
                keep.update(rest[: limit - len(keep)])
        else:
            keep = set(sorted(G, key=lambda n: (-G.degree(n), n))[:limit])
        G = nx.subgraph_view(G, filter_node=keep.__contains__)
    shown = G.number_of_nodes()
    notes = [note] if note else []
    if total > shown:
        notes.append(f"Showing {shown:,} of {total:,} nodes: views are capped at {limit:,} nodes, nearest first.")

    if tooltips is None:
        tooltips = _default_tooltips(G)
    if positions is None:
        positions = layout(G, center=center)
        if G.number_of_nodes() <= SEPARATE_MAX:
            positions = separate(G, positions, center=center)
    marked_nodes = {h for h in highlight if isinstance(h, str)}
    marked_edges = {tuple(h) for h in highlight if not isinstance(h, str)}
    for u, v, _k in marked_edges:
        marked_nodes.update((u, v))
    dim = bool(marked_nodes or marked_edges)

    present = set()

    def node_dict(n, attrs, tips, x, y) -> dict:
        cls = node_class(attrs.get("types", ()))
        present.add(cls)
        _label, shape, colour, _glyph = _STYLE[cls]
        label = str(attrs.get("label") or n)
        hl = n in marked_nodes
        node = {
            "id": n,
            "label": _short(label, 28 if shape in _INSIDE else 48),
            "title": str(tips.get(n, label)),
            "cls": cls,
            "shape": shape,
            "color": {"background": colour, "border": HIGHLIGHT if hl else "#4d4d4d",
                      "highlight": {"background": colour, "border": "#000000"}},
            "borderWidth": 4 if hl else 1,
            "size": 26 if n == center else (20 if hl else 13),
            "x": int(x),
            "y": int(y),
            "hl": hl,
        }
        if n in hubs and n != center:  # an attribute of its neighbours: drawn small, not walked through
            node["size"], node["hub"] = 8, True
            node["font"] = {"size": 11, "color": "#444444"}
        if shape in _INSIDE:
            node["font"] = {"color": "#111111"}
        if dim and not hl:
            node["opacity"] = 0.35
        return node

    def edge_dict(eid, u, v, k, attrs, tips, nth) -> dict:
        hl = (u, v, k) in marked_edges
        listing = attrs.get("predicate") == str(ECG.Listing)
        colour = HIGHLIGHT if hl else ("#9c755f" if listing else "#8c8c8c")
        edge = {
            "id": eid,
            "from": u,
            "to": v,
            "key": str(k),
            "label": _short(_edge_label(attrs, k, names), 40),
            "title": str(tips.get((u, v, k), _edge_label(attrs, k, names))),
            "arrows": "to",
            "color": {"color": colour, "highlight": "#000000", "opacity": 1.0 if (hl or not dim) else 0.3},
            "width": 4 if hl else 1,
            "hl": hl,
        }
        if nth:
            edge["smooth"] = {"enabled": True, "type": "curvedCW", "roundness": round(0.18 * nth, 2)}
        if "fact" in attrs and not listing and not hl:
            edge["dashes"] = attrs.get("validUntil") is not None
        return edge

    nodes = []
    for n in sorted(G):
        x, y = positions.get(n, (0, 0))
        nodes.append(node_dict(n, G.nodes[n], tooltips, x, y))

    edges = []
    parallel: dict = defaultdict(int)
    ordered = sorted(G.edges(keys=True, data=True), key=lambda e: (e[0], e[1], str(e[2])))
    for i, (u, v, k, attrs) in enumerate(ordered):
        pair = (u, v) if u <= v else (v, u)
        edges.append(edge_dict(f"e{i}", u, v, k, attrs, tooltips, parallel[pair]))
        parallel[pair] += 1

    pool, hidden = {}, {}
    if more is not None:  # click-to-expand: nodes and edges shipped in the page, added on click
        R, hidden_of, more_tips = more
        drawn = set(G)
        pool = {"nodes": [node_dict(n, R.nodes[n], more_tips, 0, 0) for n in sorted(R) if n not in drawn]}
        extra = sorted(((u, v, k, a) for u, v, k, a in R.edges(keys=True, data=True)
                        if not (u in drawn and v in drawn)), key=lambda e: (e[0], e[1], str(e[2])))
        pool["edges"] = [edge_dict(f"x{i}", u, v, k, a, more_tips, 0) for i, (u, v, k, a) in enumerate(extra)]
        hidden = {n: sorted(ids) for n, ids in sorted(hidden_of.items()) if ids}

    physics = False  # the layout below is computed here, without label overlaps; "Run physics" is a button
    options = {
        "autoResize": True,
        "edges": {
            "font": {"size": 10, "align": "middle", "strokeWidth": 3, "color": "#333333"},
            "smooth": {"enabled": physics, "type": "continuous", "roundness": 0.3},
            "arrows": {"to": {"enabled": True, "scaleFactor": 0.5}},
        },
        "interaction": {"hover": True, "tooltipDelay": 120, "hideEdgesOnDrag": not physics,
                        "navigationButtons": False, "keyboard": False},
        "layout": {"improvedLayout": False, "randomSeed": 1},
        "nodes": {"font": {"size": 13, "face": FONT, "strokeWidth": 3, "strokeColor": "#ffffff"},
                  "widthConstraint": {"maximum": 170}},
        "physics": {
            "enabled": physics,
            "solver": "barnesHut",
            "barnesHut": {"gravitationalConstant": -6000, "springLength": 160, "springConstant": 0.03,
                          "avoidOverlap": 0.2},
            "minVelocity": 1.0,
            "stabilization": {"enabled": physics, "iterations": 150, "updateInterval": 50, "fit": True},
        },
    }

    # pyvis holds the lists; they are assigned, not built with from_nx
    net = Network(directed=True, cdn_resources="in_line")
    net.nodes, net.edges = nodes, edges
    net.node_ids = [n["id"] for n in nodes]
    net.node_map = {n["id"]: n for n in nodes}
    net.options = options
    nodes, edges, _heading, _h, _w, options_json = net.get_network_data()

    data = {
        "nodes": nodes,
        "edges": edges,
        "options": json.loads(options_json),
        "classes": [{"key": k, "label": lab, "colour": c} for k, lab, _s, c, _g in CLASSES if k in present],
        "panel": [_panel_item(p) for p in panel],
        "center": center,
        "pool": pool,
        "more": hidden,
    }
    return _page(title, notes, data, present if legend else set(), physics)


def _panel_item(item: Mapping) -> dict:
    return {
        "title": str(item.get("title", "")),
        "lines": [str(x) for x in item.get("lines", ())],
        "nodes": sorted({str(n) for n in item.get("nodes", ())}),
        "edges": sorted([str(e[0]), str(e[1]), str(e[2])] for e in item.get("edges", ())),
    }


def _script_json(value) -> str:
    text = json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    # inside <script> nothing may close the element or open a comment
    return (text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
            .replace("\u2028", "\\u2028").replace("\u2029", "\\u2029"))


def _vis_files() -> tuple[str, str]:
    import pyvis

    lib = Path(pyvis.__file__).parent / "templates" / "lib" / "vis-9.1.2"
    js = (lib / "vis-network.min.js").read_text(encoding="utf-8")
    css = (lib / "vis-network.css").read_text(encoding="utf-8")
    return js.replace("</script", "<\\/script"), css.replace("</style", "<\\/style")


def _page(title: str, notes: list[str], data: dict, legend_classes: set, physics: bool) -> str:
    js, css = _vis_files()
    esc = html.escape
    legend = "".join(
        f'<label class="cls"><input type="checkbox" data-cls="{esc(k)}" checked>'
        f'<span class="glyph" style="color:{c}">{esc(gl)}</span> {esc(lab)}</label>'
        for k, lab, _s, c, gl in CLASSES if k in legend_classes
    )
    legend_html = f'<section id="legend"><h2>Show</h2>{legend}</section>' if legend else ""
    note_html = "".join(f'<p class="note">{esc(n)}</p>' for n in notes)
    panel_html = '<section id="panel-box"><h2>Exposures</h2><ol id="panel"></ol></section>' if data["panel"] else ""
    freeze = "Freeze layout" if physics else "Run physics"
    from . import read

    return _fill(read("view.html"), {
        "TITLE": esc(title), "NOTES": note_html, "LEGEND": legend_html, "PANEL": panel_html, "FREEZE": freeze,
        "COUNTS": f"{len(data['nodes']):,} nodes, {len(data['edges']):,} edges", "VISCSS": css,
        "DATA": _script_json(data), "PAGEJS": read("view.js").replace("</script", "<\\/script"), "VISJS": js,
        "PAGECSS": read("view.css").replace("</style", "<\\/style"),
    })


def _fill(template: str, parts: dict[str, str]) -> str:
    """Fill every @@NAME@@ of ``template`` in one pass, so text from the data is never filled in turn."""
    return re.sub(r"@@([A-Z]+)@@", lambda m: parts[m.group(1)], template)



# The page script writes data only through textContent (never innerHTML).


def write_html(path, page: str) -> Path:
    """Write a rendered page to ``path`` (parent folders created); returns the path."""
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(page, encoding="utf-8")
    return out


# ---------------------------------------------------------------------------
# Views of the RDF graph


HUB_DEGREE = 25  # a node with more distinct neighbours than this is a hub too (an agency issuing every rule)


def hub_nodes(g, G: nx.MultiDiGraph, *, degree: int = HUB_DEGREE) -> frozenset:
    """The hubs of ``G``: nodes of a hub class (``ecg:hub true``: countries, groups, statuses, lists, sources)
    and nodes with more than ``degree`` distinct neighbours."""
    from ..reasoning.changes import hub_classes

    hubs = {str(c) for c in hub_classes(g)}
    out = {n for n, types in G.nodes(data="types") if types and hubs & set(types)}
    out.update(n for n in G if G.degree(n) > degree and len(set(G.successors(n)) | set(G.predecessors(n))) > degree)
    return frozenset(out)


def reserve(base: nx.MultiDiGraph, shown, *, stop=frozenset(), per_node: int = 40, total: int = 600,
            levels: int = 2) -> tuple[nx.MultiDiGraph, dict]:
    """What a click on a drawn node adds: its neighbours not drawn yet, ``levels`` deep from the drawn nodes.

    Returns ``(R, hidden)``: ``R`` a view of ``base`` on the drawn nodes and the reserve, ``hidden``
    node -> the neighbours a click on it adds (at most ``per_node``; at most ``total`` reserve nodes in
    all, nearest first). A hub (``stop``) among the reserve is not walked further: it expands on its
    own click only if it was drawn.
    """
    shown = set(shown)
    known = set(shown)
    hidden: dict = {}
    frontier = sorted(shown)
    for level in range(levels):
        nxt = []
        for n in frontier:
            if level and n in stop:
                continue
            near = sorted((set(base.successors(n)) | set(base.predecessors(n))) - shown)
            picks = []
            for m in near[:per_node]:
                if m not in known:
                    if len(known) - len(shown) >= total:
                        break
                    known.add(m)
                    nxt.append(m)
                picks.append(m)
            if picks:
                hidden[n] = picks
        frontier = nxt
    R = nx.subgraph_view(base, filter_node=known.__contains__)
    return R, hidden


def entity_view(g, name: str, *, depth: int = 2, as_of=None, limit: int = LIMIT, G=None, hubs: bool = False) -> View:
    """The page of an entity's neighbourhood within ``depth`` hops (optionally only facts holding on ``as_of``).

    Hubs (countries, groups, statuses, lists) are drawn but not walked through unless ``hubs``; a click
    on a node adds its neighbours that are not drawn yet (shipped in the page, see :func:`reserve`).

    >>> from graph.store.load import load
    >>> v = entity_view(load(imports=False), "Macao", depth=1)
    >>> v.nodes > 1
    True
    """
    from ..store.names import label_of, resolve
    from ..reasoning.network import to_networkx

    iri = resolve(g, name)
    if G is None:
        G = to_networkx(g)
    base = drawable(G)
    if str(iri) not in base:
        raise InputError(f"{label_of(g, iri)} <{iri}> has no relations to draw in the graph")
    stop = frozenset() if hubs else hub_nodes(g, base)
    if as_of is not None:
        base = on_day(base, as_of)
    H = neighbourhood(base, str(iri), depth=depth, as_of=None, limit=limit, stop=stop)
    if as_of is not None:
        from ..reasoning.timeline import parse_date

        H.graph["as_of"] = parse_date(as_of, what="--as-of").isoformat()
    label = label_of(g, iri)
    title = f"{label}: neighbourhood, depth {depth}" + (f", on {H.graph['as_of']}" if H.graph["as_of"] else "")
    notes = [] if not H.graph["as_of"] else [f"Facts that do not hold on {H.graph['as_of']} are left out."]
    if stop:
        notes.append("Countries, groups, statuses and lists are shown but not expanded through; click any node "
                     "to add its neighbours.")
    names, tooltips = texts(g, H)
    R, hidden = reserve(base, H.nodes, stop=stop)
    _more_names, more_tips = texts(g, R)
    names.update({k: v for k, v in _more_names.items() if k not in names})
    page = render_html(H, title=title, names=names, tooltips=tooltips, center=str(iri), note=" ".join(notes),
                       limit=limit, more=(R, hidden, more_tips), hubs=stop)
    return View(title, page, H.number_of_nodes(), H.number_of_edges(), H.graph["total_nodes"])


def query_view(g, text: str, *, title: str = "CONSTRUCT result", where: str = "query", limit: int = LIMIT) -> View:
    """The page drawing the graph a SPARQL CONSTRUCT query returns.

    Labels and types of the result's nodes are looked up in ``g``, and fact
    nodes (listings, stakes, memberships, statuses) collapse into labelled edges
    as in every other view, carrying their dates from ``g``.
    """
    from rdflib import RDF, RDFS, Graph, Literal, URIRef

    from ..reasoning.network import collapsing_classes, to_networkx

    from ..store import sparql

    try:  # the one query path: SERVICE refused from the parse, no network, bounded nesting
        result = sparql.query(g, text)
    except QueryError as exc:
        raise QueryError(f"{where}: {exc}") from None
    if result.type != "CONSTRUCT" or result.graph is None:
        raise QueryError(f"{where}: view --query needs a CONSTRUCT query, this is a {result.type}")
    found = Graph()
    for t in result.graph:
        found.add(t)
    terms = {x for s, _p, o in result.graph for x in (s, o) if isinstance(x, URIRef)}
    collapsers = collapsing_classes(g)
    for term in terms:
        for label in g.objects(term, RDFS.label):
            found.add((term, RDFS.label, label))
        for cls in g.objects(term, RDF.type):
            found.add((term, RDF.type, cls))
            if cls in collapsers:  # a fact node: its dates and sources travel with its edge
                for p, o in g.predicate_objects(term):
                    if isinstance(o, Literal) or p == URIRef(_SOURCE):
                        found.add((term, p, o))
    for cls in {c for _s, c in found.subject_objects(RDF.type)} & set(collapsers):
        found.add((cls, ECG.edgeFrom, collapsers[cls][0]))
        found.add((cls, ECG.edgeTo, collapsers[cls][1]))
    wanted = {str(t) for t in terms}
    full = drawable(to_networkx(found))
    H = nx.subgraph_view(full, filter_node=lambda n: n in wanted)
    H.graph = {**full.graph, "total_nodes": H.number_of_nodes()}
    names, tooltips = texts(g, H)
    page = render_html(H, title=title, names=names, tooltips=tooltips, limit=limit)
    shown = min(H.number_of_nodes(), limit)
    return View(title, page, shown, _edges_among(H, shown, limit), H.number_of_nodes())


def _edges_among(H, shown, limit) -> int:
    if H.number_of_nodes() <= limit:
        return H.number_of_edges()
    keep = set(sorted(H, key=lambda n: (-H.degree(n), n))[:limit])
    return sum(1 for u, v in H.edges() if u in keep and v in keep)


def slug(text: str) -> str:
    """A file-name-safe form of ``text``.

    >>> slug("Ascend 910C / Huawei")
    'ascend-910c-huawei'
    """
    import re

    out = re.sub(r"[^a-z0-9]+", "-", str(text).casefold()).strip("-")
    return out[:80] or "view"


# ---------------------------------------------------------------------------
# Exposures

HUB = 25  # a context node with more neighbours than this brings only its path edges, not its whole neighbourhood


def exposure_graph(g, G: nx.MultiDiGraph, answer) -> tuple[nx.MultiDiGraph, set, list[dict]]:
    """The graph an exposure view draws: the usage, every exposure's path, and their context.

    Returns ``(X, highlight, panel)``: ``X`` is a new MultiDiGraph (``G`` is not
    changed), ``highlight`` the usage's edges, the path edges and one edge per
    exposure from the exposed party (or the usage) to the restriction, keyed by
    the exposure's IRI as :func:`graph.reasoning.exposure.to_rdf` mints it; ``panel`` one
    side-panel entry per exposure.
    """
    from rdflib import URIRef

    from ..reasoning.exposure import usage_graph
    from ..store.names import label_of
    from ..reasoning.network import to_networkx

    usage = answer.usage
    X = nx.MultiDiGraph()
    party_labels = {e.party: e.party_label for e in answer.exposures if e.party}

    def add_node(n):
        if n in X:
            return
        if n in G:
            X.add_node(n, **dict(G.nodes[n]))
        else:
            label = party_labels.get(n) or label_of(g, URIRef(n))
            X.add_node(n, label=label, types=())

    highlight: set = set()
    U = to_networkx(usage_graph(usage))
    for n, attrs in U.nodes(data=True):
        if n in G:
            add_node(n)
        else:
            X.add_node(n, label=party_labels.get(n, attrs.get("label", n)), types=attrs.get("types", ()))
    X.nodes[usage.iri]["label"] = (f"{label_of(g, URIRef(usage.chip))}, {label_of(g, URIRef(usage.activity))}, "
                                   f"as of {usage.as_of.isoformat()}")
    for u, v, k, attrs in U.edges(keys=True, data=True):
        X.add_edge(u, v, key=k, **attrs)
        if u == usage.iri:
            highlight.add((u, v, k))

    facts = {d["fact"]: (u, v, k) for u, v, k, d in G.edges(keys=True, data=True) if "fact" in d}
    panel = []
    core = set(X)
    for i, e in enumerate(answer.exposures):
        marked = []
        for step in e.path:
            if step.s in facts:
                u, v, k = facts[step.s]
            elif step.o.startswith(("http://", "https://", "urn:", "_:")):
                u, v, k = step.s, step.o, step.p
            else:
                continue  # a literal value of a fact: it is in that fact's tooltip
            add_node(u)
            add_node(v)
            if not X.has_edge(u, v, k):
                attrs = dict(G[u][v][k]) if G.has_edge(u, v, k) else {"predicate": k, "sources": tuple(step.sources)}
                X.add_edge(u, v, key=k, **attrs)
            marked.append((u, v, k))
        start = e.party or usage.iri
        add_node(start)
        add_node(e.restriction)
        key = f"{usage.iri}/exposure/{i}"
        sources = tuple(sorted({s for step in e.path for s in step.sources}))
        X.add_edge(start, e.restriction, key=key, predicate=str(ECG.Exposure), label=e.severity_label or "exposure",
                   explanation=e.explanation, citations="; ".join(e.citations), sources=sources)
        marked.append((start, e.restriction, key))
        rule = e.rule
        if rule:
            add_node(rule)
            for k in (str(ECG.imposedBy),):
                if G.has_edge(e.restriction, rule, k) and not X.has_edge(e.restriction, rule, k):
                    X.add_edge(e.restriction, rule, key=k, **dict(G[e.restriction][rule][k]))
            if X.has_edge(e.restriction, rule, str(ECG.imposedBy)):
                marked.append((e.restriction, rule, str(ECG.imposedBy)))
        highlight.update(marked)
        who = e.party_label or "the usage"
        panel.append({
            "title": f"{e.severity_label or 'exposure'}: {who}" + (f" ({e.role})" if e.role else ""),
            "lines": [x for x in (e.restriction_label, e.rule_label and f"rule: {e.rule_label}",
                                  e.policy_label and f"review policy: {e.policy_label}",
                                  e.citations and "cites: " + "; ".join(e.citations), e.explanation) if x],
            "nodes": sorted({n for edge in marked for n in edge[:2]}),
            "edges": sorted(marked),
        })
        core.update(n for edge in marked for n in edge[:2])

    base = drawable(on_day(G, usage.as_of))
    for n in sorted(core):
        if n not in base:
            continue
        around = sorted(set(base.successors(n)) | set(base.predecessors(n)))
        if len(around) > HUB:
            around = [m for m in around if m in core]
        for m in around:
            for a, b in ((n, m), (m, n)):
                if base.has_edge(a, b):
                    for k, attrs in base[a][b].items():
                        add_node(a)
                        add_node(b)
                        if not X.has_edge(a, b, k):
                            X.add_edge(a, b, key=k, **dict(attrs))
    return X, highlight, panel


def render_exposure_html(g, G: nx.MultiDiGraph, answer, *, title: str | None = None) -> str:
    """The page for an exposure answer: usage, exposed parties and their paths highlighted over their context.

    >>> import datetime as dt
    >>> from graph.store.load import load
    >>> from graph.reasoning.exposure import Usage, exposures
    >>> from graph.store.names import resolve
    >>> from graph.reasoning.network import to_networkx
    >>> g = load(imports=False)
    >>> u = Usage(chip=str(resolve(g, "H100", "chip")), user_country="https://w3id.org/ecgraph/id/country/CN",
    ...           as_of=dt.date(2025, 6, 1))
    >>> "Exposures" in render_exposure_html(g, to_networkx(g), exposures(g, u))
    True
    """
    from rdflib import URIRef

    from ..store.names import label_of

    X, highlight, panel = exposure_graph(g, G, answer)
    usage = answer.usage
    if title is None:
        title = f"Exposures: {X.nodes[usage.iri]['label']}"
    names, tooltips = texts(g, X)
    for u, v, k, attrs in X.edges(keys=True, data=True):
        if attrs.get("predicate") == str(ECG.Exposure):
            names.setdefault(str(ECG.Exposure), label_of(g, URIRef(str(ECG.Exposure))))
            lines = [f"{X.nodes[u].get('label', u)} \u2192 {attrs['label']} \u2192 {X.nodes[v].get('label', v)}",
                     attrs.get("explanation", "")]
            if attrs.get("citations"):
                lines.append("cites: " + attrs["citations"])
            if attrs.get("sources"):
                lines.append("sources: " + "; ".join(label_of(g, URIRef(s)) for s in attrs["sources"]))
            tooltips[(u, v, k)] = "\n".join(x for x in lines if x)
    names = {k: v for k, v in names.items() if k != str(ECG.Exposure)}  # exposure edges show their severity
    from ..reasoning.exposure import verdict

    n = len(answer.exposures)
    note = (f"{verdict(answer)}. {n} exposure{'s' if n != 1 else ''} on {usage.as_of.isoformat()}; "
            "their paths are drawn in red.")
    return render_html(X, title=title, highlight=highlight, names=names, tooltips=tooltips, note=note,
                       panel=panel, center=usage.iri)


def write_exposure_html(g, answers, path) -> list[Path]:
    """Write one exposure page per answer: ``path`` itself for one answer, ``path-1``, ``path-2``, ... for several."""
    from ..reasoning.network import to_networkx

    G = to_networkx(g)
    path = Path(path)
    if len(answers) == 1:
        targets = [path]
    else:
        targets = [path.with_name(f"{path.stem}-{i}{path.suffix or '.html'}") for i in range(1, len(answers) + 1)]
    return [write_html(t, render_exposure_html(g, G, a)) for t, a in zip(targets, answers)]


# ---------------------------------------------------------------------------
# The gallery


def gallery_spec() -> dict:
    """The gallery's views as data (``ontology/views/gallery.json``): entities, queries and usages by name."""
    from ..store.load import ontology_dir

    return json.loads((ontology_dir() / "views" / "gallery.json").read_text(encoding="utf-8"))


def write_gallery(g, out_dir, *, spec: dict | None = None) -> Path:
    """Write every view of the gallery and ``index.html`` linking them into ``out_dir``; returns the index path.

    A view whose entity, query or usage the graph cannot answer is listed on the
    index with the reason instead of being drawn.
    """
    from ..errors import EcgraphError
    from ..reasoning.exposure import exposures
    from ..store.load import ontology_dir
    from ..reasoning.network import to_networkx
    from ..reasoning.usage import usage_from_names

    spec = spec if spec is not None else gallery_spec()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    from ..store.names import resolve

    G = to_networkx(g)
    esc = html.escape
    parts = []
    links: dict[str, str] = {}  # entity IRI -> its view, for the timeline's links
    timelines: list = []
    for section in spec.get("sections", ()):
        items = []
        views = list(section.get("views", ()))
        sg = g
        if "usages" in section:  # usages from a file, answered over the graph plus the section's data
            rows = json.loads((ontology_dir() / section["usages"]).read_text(encoding="utf-8"))
            captions = section.get("captions", [])
            stem = slug(Path(section["usages"]).stem)
            views += [{"file": f"{stem}-{i}.html", "usage": row, "caption": captions[i - 1] if i <= len(captions) else ""}
                      for i, row in enumerate(rows, 1)]
            if section.get("data"):
                from ..store.load import load

                sg = load(*(ontology_dir() / d for d in section["data"]), imports=False)
        for v in views:
            file = slug(Path(v["file"]).stem) + ".html"
            try:
                if v.get("timeline"):  # drawn last, linking to the entity views written before it
                    items.append(None)
                    timelines.append((parts, len(parts), len(items) - 1, items, file, v))
                    continue
                if "entity" in v:
                    view = entity_view(g, v["entity"], depth=int(v.get("depth", 2)), as_of=v.get("as_of"), G=G)
                    links.setdefault(str(resolve(g, v["entity"])), file)
                    page, title, size = view.html, view.title, f"{view.nodes} nodes, {view.edges} edges"
                elif "query" in v:
                    text = (ontology_dir() / "views" / v["query"]).read_text(encoding="utf-8")
                    view = query_view(g, text, title=v.get("title", v["query"]), where=v["query"])
                    page, title, size = view.html, view.title, f"{view.nodes} nodes, {view.edges} edges"
                else:
                    fields = {("for_" if k == "for" else k): val for k, val in v["usage"].items()}
                    answer = exposures(sg, usage_from_names(sg, **fields))
                    page = render_exposure_html(sg, G if sg is g else to_networkx(sg), answer)
                    title = v.get("title") or v["caption"]
                    size = f"{len(answer.exposures)} exposures"
            except EcgraphError as exc:
                items.append(f'<li><span class="missing">{esc(v.get("caption", file))}</span>'
                             f'<br><small>not drawn: {esc(str(exc))}</small></li>')
                continue
            write_html(out / file, page)
            items.append(f'<li><a href="{esc(file)}">{esc(title)}</a> <small>({esc(size)})</small>'
                         f'<br>{esc(v.get("caption", ""))}</li>')
        text = f'<p>{esc(section["text"])}</p>\n' if section.get("text") else ""
        parts.append((section, text, items))
    for _parts, _at, slot, items, file, v in timelines:
        from .timeline_view import render_timeline

        tl = render_timeline(g, title=v.get("title", "Export controls over time"), links=links, index="index.html")
        write_html(out / file, tl.html)
        items[slot] = (f'<li><a href="{esc(file)}">{esc(v.get("title", "Export controls over time"))}</a> '
                       f'<small>({tl.items} dated facts)</small><br>{esc(v.get("caption", ""))}</li>')
    parts = [f'<h2>{esc(section.get("heading", ""))}</h2>\n{text}<ul>\n' + "\n".join(items) + "\n</ul>"
             for section, text, items in parts]
    from . import read

    index = _fill(read("gallery.html"), {"TITLE": esc(spec.get("title", "ecgraph views")), "INTRO": esc(spec.get("intro", "")),
                             "SECTIONS": "\n".join(parts)})
    return write_html(out / "index.html", index)


