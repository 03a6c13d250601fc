"""The timeline page: rules' and guidance's status periods, listings, group memberships and ownership
over time, as one offline HTML file (vis-timeline, vendored in ``pages/vendor/vis-timeline`` with its
licence and inlined into the page).

Generic over dated facts, like :mod:`graph.reasoning.changes`: every node of a fact-carrying class with an
``ecg:validFrom`` or ``ecg:validUntil`` is one item, in a row named by the fact's kind and its far end
(an instrument's status periods share the instrument's row). Data reaches the page as JSON in a
``<script type="application/json">`` block with ``<``, ``>`` and ``&`` escaped, and the page script
writes it with ``textContent`` only. Same data, same bytes.
"""

from __future__ import annotations

import datetime as dt
import html
import json
from dataclasses import dataclass

from rdflib import Graph, URIRef
from rdflib.namespace import DCTERMS

from ..namespace import ECG
from ..store.names import label_of
from ..reasoning.changes import dated_facts

LIMIT = 3000  # items; a larger timeline (a full CSL import) keeps the earliest-changing rules and lists first


@dataclass(frozen=True)
class Timeline:
    """A rendered timeline page and what it shows."""

    html: str
    items: int
    groups: int
    total_items: int


def _date(value) -> str:
    py = value.toPython()
    return py.isoformat() if isinstance(py, dt.date) else str(py)


def timeline_data(g: Graph, *, links: dict | None = None, limit: int = LIMIT) -> dict:
    """The rows (groups) and items of the timeline as plain values, sorted.

    ``links`` maps an entity IRI to the href of its graph view; an item links to the view of either
    end of its fact when there is one.

    >>> from graph.store.load import load
    >>> data = timeline_data(load(imports=False))
    >>> any(i["kind"] == "status period" and "Affiliates Rule" in i["label"] for i in data["items"])
    True
    """
    links = dict(links or {})
    groups: dict[str, dict] = {}
    items = []
    for fact in dated_facts(g):
        cls, kind, node, start, until, a, b = (fact.cls, fact.kind, fact.node, fact.start, fact.until,
                                               fact.subject, fact.object)
        if cls == ECG.StatusPeriod:  # one row per instrument, its periods side by side
            row, row_label, state = str(a), label_of(g, a), label_of(g, b) if b is not None else ""
        else:
            row, row_label, state = f"{cls}|{b}", f"{label_of(g, b)} ({kind})" if b is not None else kind, ""
        groups.setdefault(row, {"id": row, "label": row_label, "kind": kind})
        sources = sorted(str(s) for s in g.objects(node, DCTERMS.source))
        cites = sorted({str(c) for s in sources for c in g.objects(URIRef(s), ECG.frCitation)}
                       | {str(c) for c in g.objects(node, ECG.frCitation)})
        item = {
            "id": str(node), "group": row, "kind": kind, "label": label_of(g, node), "state": state,
            "start": _date(start) if start is not None else None,
            "end": _date(until) if until is not None else None,
            "subject": str(a or ""), "subject_label": label_of(g, a) if a is not None else "",
            "object": str(b or ""), "object_label": label_of(g, b) if b is not None else "",
            "citations": cites, "sources": [label_of(g, URIRef(s)) for s in sources],
            "view": links.get(str(a)) or links.get(str(b)) or "",
        }
        items.append(item)
    items.sort(key=lambda i: (i["start"] or i["end"] or "", i["group"], i["id"]))
    total = len(items)
    items = items[:limit]
    kept = {i["group"] for i in items}
    rows = sorted((r for r in groups.values() if r["id"] in kept), key=lambda r: (r["kind"] != "status period",
                                                                                 r["kind"], r["label"].casefold()))
    kinds = sorted({r["kind"] for r in rows}, key=lambda k: (k != "status period", k))
    return {"groups": rows, "items": items, "kinds": kinds, "total": total}


def render_timeline(g: Graph, *, title: str = "ecgraph: export controls over time", links: dict | None = None,
                    index: str = "", limit: int = LIMIT) -> Timeline:
    """The timeline page of ``g`` (one self-contained string); ``index`` is the href of the gallery, if any."""
    from . import fill, inline_script, inline_style, read

    data = timeline_data(g, links=links, limit=limit)
    esc = html.escape
    note = (f'<p class="note">Showing {len(data["items"]):,} of {data["total"]:,} dated facts, earliest first.</p>'
            if data["total"] > len(data["items"]) else "")
    filters = "".join(
        f'<label><input type="checkbox" data-kind="{esc(k)}" checked> <span class="swatch k{i}"></span> {esc(k)}</label>'
        for i, k in enumerate(data["kinds"]))
    page = fill(read("timeline.html"), {
        "TITLE": esc(title), "NOTE": note, "FILTERS": filters,
        "INDEX": f'<p><a id="index" href="{esc(index)}">All views</a></p>' if index else "",
        "COUNTS": f"{len(data['items']):,} dated facts in {len(data['groups']):,} rows",
        "VISCSS": inline_style(read("vendor/vis-timeline/vis-timeline-graph2d.min.css")),
        "CSS": inline_style(read("timeline.css")),
        "VISJS": inline_script(read("vendor/vis-timeline/vis-timeline-graph2d.min.js")),
        "JS": inline_script(read("timeline.js")),
        "DATA": _script_json(data),
    })
    return Timeline(page, len(data["items"]), len(data["groups"]), data["total"])


def _script_json(value) -> str:
    text = json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return (text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
            .replace("\u2028", "\\u2028").replace("\u2029", "\\u2029"))
