"""HTML views: self-contained, escaped, deterministic, capped, and drawn from views that leave G alone.

The hostile firm lives in tests/data/hostile_firm.ttl; the browser checks are in test_browser.py.
"""

import json
import re
from pathlib import Path

import networkx as nx
import pytest

from graph.surfaces.cli import main
from graph.store.load import load
from graph.reasoning.network import to_networkx
from graph.pages.render import (
    LIMIT,
    entity_view,
    gallery_spec,
    neighbourhood,
    query_view,
    render_exposure_html,
    render_html,
    write_gallery,
)

DATA = Path(__file__).parent / "data"
EXAMPLES = Path(__file__).parent.parent / "ontology" / "examples"
HOSTILE = '<img src=x onerror=alert(1)> "Quote" & Sons'
HOSTILE_IRI = "https://w3id.org/ecgraph/id/firm/hostile"
OWNER = "O'Brien & \"Partners\" <script>alert(2)</script>"


@pytest.fixture(scope="module")
def hg():
    """The curated graph plus the hostile firm."""
    return load(DATA / "hostile_firm.ttl", imports=False)


def page_data(page: str) -> dict:
    """The JSON block the page script reads."""
    block = re.search(r'<script type="application/json" id="ecgraph-data">(.*?)</script>', page, re.S)
    return json.loads(block.group(1))


def chain(n: int) -> nx.MultiDiGraph:
    G = nx.MultiDiGraph()
    for i in range(n - 1):
        G.add_edge(f"urn:n{i:04d}", f"urn:n{i + 1:04d}", key="urn:p", predicate="urn:p")
    for n_ in G:
        G.nodes[n_].update(label=n_[4:], types=())
    return G


# --------------------------------------------------------------------------- offline and deterministic

def test_page_loads_nothing_from_the_network(curated):
    page = entity_view(curated, "Huawei", depth=1).html
    for tag in re.findall(r"<(?:script|link|img|iframe)\b[^>]*>", page):
        assert not re.search(r"""(?:src|href)\s*=\s*["']?(?:https?:)?//""", tag), tag
    assert "cdn.jsdelivr" not in page and "cdnjs" not in page and "bootstrap.min" not in page
    assert "vis.Network" in page  # vis-network is inlined


def test_rendering_twice_gives_identical_bytes(curated):
    first = entity_view(curated, "Huawei", depth=2).html
    again = entity_view(curated, "Huawei", depth=2, G=to_networkx(load(imports=False))).html
    assert first == again


def test_node_and_edge_counts_match_the_neighbourhood(curated):
    G = to_networkx(curated)
    view = entity_view(curated, "Huawei", depth=2, G=G)
    data = page_data(view.html)
    assert (len(data["nodes"]), len(data["edges"])) == (view.nodes, view.edges)
    assert len({n["id"] for n in data["nodes"]}) == view.nodes
    assert [e["id"] for e in data["edges"]] == [f"e{i}" for i in range(view.edges)]


def test_edges_are_labelled_by_predicate_label(curated):
    data = page_data(entity_view(curated, "Huawei", depth=1).html)
    labels = {e["label"] for e in data["edges"]}
    assert "headquartered in" in labels and "listing" in labels


# --------------------------------------------------------------------------- escaping

def test_hostile_label_is_escaped_in_the_file_and_intact_in_the_data(hg):
    page = entity_view(hg, HOSTILE_IRI, depth=1).html
    for raw in ("<img src=x", "onerror=alert(1)>", "<script>alert(2)", 'href="javascript', "<b>bold"):
        assert raw not in page
    assert "&lt;img src=x onerror=alert(1)&gt; &quot;Quote&quot; &amp; Sons" in page  # the <title> and <h1>
    data = page_data(page)
    by_id = {n["id"]: n for n in data["nodes"]}
    assert by_id[HOSTILE_IRI]["title"].startswith(HOSTILE)
    assert 'href="javascript:alert(4)"' in by_id[HOSTILE_IRI]["title"]  # shown as text by vis (innerText)
    assert OWNER in {n["label"] for n in data["nodes"]} | {n["title"].split("\n")[0] for n in data["nodes"]}


def test_title_note_and_panel_text_are_escaped():
    G = chain(3)
    page = render_html(G, title="<b>t</b> & 'q'", note='<i onmouseover="x">n</i>',
                       panel=[{"title": "<svg onload=alert(5)>", "lines": ["a & b"], "nodes": ["urn:n0000"]}])
    assert "<b>t</b>" not in page and "&lt;b&gt;t&lt;/b&gt; &amp; &#x27;q&#x27;" in page
    assert "<i onmouseover" not in page and "<svg onload" not in page
    assert page_data(page)["panel"][0]["title"] == "<svg onload=alert(5)>"


def test_template_placeholders_in_the_data_stay_text():
    G = chain(3)
    plain = render_html(G, title="t")
    page = render_html(G, title="@@VISJS@@ and @@PAGEJS@@", note="@@DATA@@")
    assert page.count("vis.Network") == plain.count("vis.Network")  # the library is inlined once
    assert len(page) < len(plain) + 200
    assert page_data(page)["nodes"] == page_data(plain)["nodes"]


# --------------------------------------------------------------------------- size

def test_an_empty_graph_still_renders():
    assert page_data(render_html(nx.MultiDiGraph(), title="nothing"))["nodes"] == []


def test_a_larger_view_is_capped_and_says_so():
    page = render_html(chain(30), title="chain", limit=10, center="urn:n0000")
    assert len(page_data(page)["nodes"]) == 10
    assert "Showing 10 of 30 nodes" in page


def test_neighbourhood_cap_is_reported_on_the_page():
    G = chain(LIMIT + 50)
    H = neighbourhood(G, "urn:n0000", depth=LIMIT + 50)
    assert H.number_of_nodes() == LIMIT and H.graph["total_nodes"] == LIMIT + 50
    page = render_html(H, title="chain", center="urn:n0000")
    assert f"Showing {LIMIT:,} of {LIMIT + 50:,} nodes" in page
    assert page_data(page)["options"]["physics"]["enabled"] is False  # big views come laid out


# --------------------------------------------------------------------------- views leave G alone

def test_neighbourhood_and_render_do_not_change_g(hg):
    G = to_networkx(hg)
    before = (sorted(G.nodes(data="label")), sorted(G.edges(keys=True)), dict(G.graph))
    H = neighbourhood(G, HOSTILE_IRI, depth=2, as_of="2026-06-01")
    render_html(H, title="x", center=HOSTILE_IRI)
    assert (sorted(G.nodes(data="label")), sorted(G.edges(keys=True)), dict(G.graph)) == before


def test_as_of_leaves_out_facts_that_do_not_hold(hg):
    G = to_networkx(hg)
    owner = "https://w3id.org/ecgraph/id/firm/hostile-owner"
    assert owner in neighbourhood(G, HOSTILE_IRI, depth=1, as_of="2025-06-01")
    assert owner not in neighbourhood(G, HOSTILE_IRI, depth=1, as_of="2026-01-01")


# --------------------------------------------------------------------------- queries, exposures, gallery

TIERS = """PREFIX ecg: <https://w3id.org/ecgraph/ontology#>
CONSTRUCT { ?m ecg:memberCountry ?c ; ecg:memberOf <https://w3id.org/ecgraph/id/group/ai-tier-1> }
WHERE { ?m ecg:memberOf <https://w3id.org/ecgraph/id/group/ai-tier-1> ; ecg:memberCountry ?c }"""


def test_construct_result_is_drawn_with_facts_collapsed(curated):
    view = query_view(curated, TIERS)
    data = page_data(view.html)
    assert view.nodes == len(data["nodes"]) > 10
    assert {e["label"] for e in data["edges"]} == {"country group membership"}
    assert {e["to"] for e in data["edges"]} == {"https://w3id.org/ecgraph/id/group/ai-tier-1"}


def test_exposure_view_highlights_paths_and_lists_exposures():
    from graph.reasoning.exposure import exposures
    from graph.reasoning.usage import usage_from_names

    g = load(EXAMPLES / "scenario_firms.ttl", imports=False)
    answer = exposures(g, usage_from_names(g, chip="Huawei Ascend 910C", user_country="MY", for_country="CN",
                                           activity="training", as_of="2025-06-01"))
    page = render_exposure_html(g, to_networkx(g), answer)
    data = page_data(page)
    marked = [e for e in data["edges"] if e["hl"]]
    assert len([e for e in marked if "/exposure/" in e["key"]]) == len(answer.exposures)
    assert any(e["key"] == "https://w3id.org/ecgraph/ontology#designedBy" for e in marked)
    assert len(data["panel"]) == len(answer.exposures)
    assert any(n["cls"] == "usage" for n in data["nodes"])


def test_cli_view_writes_the_file(tmp_path, capsys):
    out = tmp_path / "v" / "huawei.html"
    assert main(["view", "Huawei", "--depth", "1", "--as-of", "2025-06-01", "-o", str(out)]) == 0
    assert out.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert f"wrote {out}" in capsys.readouterr().out


def test_cli_view_query_refuses_a_select(tmp_path, capsys):
    q = tmp_path / "q.rq"
    q.write_text("SELECT * WHERE { ?s ?p ?o } LIMIT 1")
    assert main(["view", "--query", "-f", str(q), "-o", str(tmp_path / "q.html")]) == 2
    assert "needs a CONSTRUCT query" in capsys.readouterr().err


def test_cli_view_unknown_name_is_one_line_error(capsys):
    assert main(["view", "No Such Firm Anywhere"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: unknown entity") and err.count("\n") == 1


def test_gallery_links_a_file_for_every_view(tmp_path):
    g = load(imports=False)
    index = write_gallery(g, tmp_path)
    text = index.read_text(encoding="utf-8")
    links = re.findall(r'<a href="([^"]+)"', text)
    spec = gallery_spec()
    wanted = sum(len(s.get("views", ())) + len(s.get("captions", ())) for s in spec["sections"])
    assert len(links) == wanted and "not drawn" not in text
    assert all((tmp_path / link).is_file() for link in links)


# --------------------------------------------------------------------------- hubs, click-to-expand, glyphs

CHINA = "https://w3id.org/ecgraph/id/country/CN"


def test_hubs_are_drawn_but_not_walked_through(curated):
    ids = {n["id"] for n in page_data(entity_view(curated, "Huawei", depth=2).html)["nodes"]}
    assert CHINA in ids  # Huawei's headquarters, drawn
    walked = {n["id"] for n in page_data(entity_view(curated, "Huawei", depth=2, hubs=True).html)["nodes"]}
    assert "https://w3id.org/ecgraph/id/firm/sophgo" in walked - ids  # another Chinese firm, only through China
    china = [n for n in page_data(entity_view(curated, "Huawei", depth=2).html)["nodes"] if n["id"] == CHINA][0]
    assert china.get("hub") is True and china["size"] < 13


def test_the_page_carries_the_neighbours_a_click_adds(curated):
    data = page_data(entity_view(curated, "Huawei", depth=1).html)
    drawn = {n["id"] for n in data["nodes"]}
    pool = {n["id"] for n in data["pool"]["nodes"]}
    assert pool and not pool & drawn
    assert set(data["more"][CHINA]) <= pool and "https://w3id.org/ecgraph/id/firm/sophgo" in data["more"][CHINA]
    assert all(e["from"] in drawn | pool and e["to"] in drawn | pool for e in data["pool"]["edges"])
    assert not {e["id"] for e in data["pool"]["edges"]} & {e["id"] for e in data["edges"]}


def test_every_class_has_its_own_glyph():
    from graph.pages.render import CLASSES

    assert len({shape for _k, _l, shape, _c, _g in CLASSES}) == len(CLASSES)
    assert len({glyph for *_rest, glyph in CLASSES}) == len(CLASSES)


def test_the_default_layout_keeps_label_boxes_apart(curated):
    from graph.pages.render import label_box

    data = page_data(entity_view(curated, "Huawei Ascend 910C", depth=2, as_of="2025-06-01").html)
    assert data["options"]["physics"]["enabled"] is False
    boxes = [(n["x"], n["y"], *label_box({"label": n["label"]}, cls=n["cls"], center=n["id"] == data["center"]))
             for n in data["nodes"]]
    overlaps = [(a, b) for i, a in enumerate(boxes) for b in boxes[i + 1:]
                if abs(a[0] - b[0]) * 2 < (a[2] + b[2]) * 0.9 and abs(a[1] - b[1]) * 2 < (a[3] + b[3]) * 0.9]
    assert overlaps == []


def test_pages_are_package_data_files():
    from graph.pages import HERE

    for name in ("view.html", "view.js", "view.css", "gallery.html", "timeline.html", "timeline.js", "memo.html",
                 "vendor/vis-timeline/LICENSE.md"):
        assert (HERE / name).is_file(), name


def test_a_view_of_a_federated_query_is_refused_before_any_request(curated):
    from graph.errors import QueryError
    from graph.pages.render import query_view

    with pytest.raises(QueryError, match="SERVICE|another host"):
        query_view(curated, "CONSTRUCT { ?s ?p ?o } WHERE { # hidden\r SERVICE <http://127.0.0.1:59999/> { ?s ?p ?o } }")


def test_an_exposure_page_opens_with_the_verdict(curated):
    from graph.reasoning.exposure import exposures
    from graph.pages.render import render_exposure_html
    from graph.reasoning.usage import usage_from_names

    answer = exposures(curated, usage_from_names(curated, chip="GB200", user_country="CN", supplier="NVIDIA",
                                                 as_of="2025-06-01"))
    page = render_exposure_html(curated, to_networkx(curated), answer)
    assert "undetermined: figures" in page and "No exposure" not in page
