"""The views in a real headless browser (Playwright driving Debian's chromium), with the network cut off.

Every request that is not for a file:// URL is aborted and recorded, so a passing
test proves the page fetched nothing. Skips when chromium or playwright is
missing, except under CI (env CI set), where that is a failure.
"""

import os
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path

import networkx as nx
import pytest

from graph.store.load import load
from graph.reasoning.network import to_networkx
from graph.pages.render import entity_view, neighbourhood, query_view, render_exposure_html, render_html, write_html

DATA = Path(__file__).parent / "data"
EXAMPLES = Path(__file__).parent.parent / "ontology" / "examples"
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--no-first-run", "--disable-sync"]
HOSTILE = '<img src=x onerror=alert(1)> "Quote" & Sons'
HOSTILE_IRI = "https://w3id.org/ecgraph/id/firm/hostile"


def _missing() -> str:
    if not Path(CHROMIUM).exists() and not shutil.which("chromium"):
        return f"no chromium at {CHROMIUM}"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright package is not installed"
    return ""


@pytest.fixture(scope="module")
def browser():
    why = _missing()
    if why:
        if os.environ.get("CI"):
            pytest.fail(f"browser tests must run in CI: {why}")
        pytest.skip(why)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


@dataclass
class Visit:
    page: object
    blocked: list = field(default_factory=list)  # non-file requests, all aborted
    failed: list = field(default_factory=list)
    errors: list = field(default_factory=list)  # console errors and uncaught exceptions
    dialogs: list = field(default_factory=list)
    seconds: float = 0.0

    def counts(self):
        return tuple(self.page.evaluate("[ecgraph.nodes.length, ecgraph.edges.length]"))


@pytest.fixture
def visit(browser):
    pages = []

    def open_(path: Path, ready: bool = True) -> Visit:
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        v = Visit(page)

        def route(r):
            if r.request.url.startswith("file:"):
                r.continue_()
            else:
                v.blocked.append(r.request.url)
                r.abort()

        page.route("**/*", route)
        page.on("requestfailed", lambda r: v.failed.append(r.url))
        page.on("console", lambda m: v.errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: v.errors.append(str(e)))
        page.on("dialog", lambda d: (v.dialogs.append(d.message), d.dismiss()))
        start = time.perf_counter()
        page.goto(path.resolve().as_uri())
        if ready:  # pages with a script say when they are drawn; a static page (the memo) is ready on load
            page.wait_for_selector("body[data-ready]", timeout=60_000)
        v.seconds = time.perf_counter() - start
        pages.append(page)
        return v

    yield open_
    for page in pages:
        page.close()


def assert_clean(v: Visit):
    assert v.blocked == [] and v.failed == [] and v.errors == [] and v.dialogs == []


@pytest.fixture(scope="module")
def hg():
    return load(DATA / "hostile_firm.ttl", imports=False)


def test_entity_view_loads_offline_with_the_subgraph_counts(visit, curated, tmp_path):
    G = to_networkx(curated)
    view = entity_view(curated, "Huawei", depth=2, G=G)
    v = visit(write_html(tmp_path / "huawei.html", view.html))
    assert_clean(v)
    assert v.counts() == (view.nodes, view.edges)
    v.page.screenshot(path=str(tmp_path / "huawei.png"))
    assert (tmp_path / "huawei.png").stat().st_size > 10_000


def test_construct_view_loads_offline(visit, curated, tmp_path):
    from graph.store.load import ontology_dir

    text = (ontology_dir() / "views" / "ai-diffusion-tiers.rq").read_text()
    view = query_view(curated, text)
    v = visit(write_html(tmp_path / "tiers.html", view.html))
    assert_clean(v)
    assert v.counts() == (view.nodes, view.edges)


def test_hostile_label_shows_as_text_and_runs_nothing(visit, hg, tmp_path):
    view = entity_view(hg, HOSTILE_IRI, depth=1)
    v = visit(write_html(tmp_path / "hostile.html", view.html))
    page = v.page
    assert page.title() == f"{HOSTILE}: neighbourhood, depth 1"
    assert page.text_content("h1") == page.title()
    assert page.evaluate(f"ecgraph.nodes.get({HOSTILE_IRI!r}).label") == HOSTILE
    # hover the node: vis shows its tooltip
    x, y = page.evaluate(f"""() => {{
        const p = ecgraph.network.canvasToDOM(ecgraph.network.getPositions([{HOSTILE_IRI!r}])[{HOSTILE_IRI!r}]);
        const r = document.getElementById('graph').getBoundingClientRect();
        return [r.left + p.x, r.top + p.y];
    }}""")
    page.mouse.move(x - 30, y - 30)
    page.mouse.move(x, y, steps=5)
    page.wait_for_selector("div.vis-tooltip", state="visible", timeout=5_000)
    tip = page.inner_text("div.vis-tooltip")
    assert tip.startswith(HOSTILE) and 'href="javascript:alert(4)"' in tip
    assert page.evaluate("document.querySelectorAll('img, a[href], script:not([id]):not([src])').length") == 2
    assert page.evaluate("document.querySelector('div.vis-tooltip').children.length") == page.evaluate(
        "document.querySelectorAll('div.vis-tooltip br').length")  # only line breaks, no elements from the data
    # the search box finds it by the text of its label
    page.fill("#search", "onerror")
    assert page.text_content("#found") == "1 match"
    page.wait_for_timeout(300)
    v.page.screenshot(path=str(tmp_path / "hostile.png"))
    assert_clean(v)


def test_class_filter_hides_and_shows_nodes(visit, curated, tmp_path):
    v = visit(write_html(tmp_path / "h.html", entity_view(curated, "Huawei", depth=1).html))
    hidden = "ecgraph.nodes.get({filter: n => n.hidden}).length"
    assert v.page.evaluate(hidden) == 0
    v.page.uncheck("input[data-cls=party]")
    parties = v.page.evaluate("ecgraph.nodes.get({filter: n => n.cls === 'party'}).length")
    assert parties > 0 and v.page.evaluate(hidden) == parties
    v.page.check("input[data-cls=party]")
    assert v.page.evaluate(hidden) == 0
    assert_clean(v)


def test_exposure_view_shows_the_highlighted_path(visit, tmp_path):
    from graph.reasoning.exposure import exposures
    from graph.reasoning.usage import usage_from_names

    g = load(EXAMPLES / "scenario_firms.ttl", imports=False)
    answer = exposures(g, usage_from_names(g, chip="Huawei Ascend 910C", user_country="MY", for_country="CN",
                                           activity="training", as_of="2025-06-01"))
    v = visit(write_html(tmp_path / "scenario.html", render_exposure_html(g, to_networkx(g), answer)))
    assert_clean(v)
    marked = v.page.evaluate("ecgraph.edges.get({filter: e => e.hl}).map(e => e.key)")
    assert sum("/exposure/" in k for k in marked) == len(answer.exposures)
    assert "https://w3id.org/ecgraph/ontology#designedBy" in marked
    assert v.page.locator("#panel li").count() == len(answer.exposures)
    v.page.locator("#panel li").first.click()
    assert v.page.evaluate("ecgraph.network.getSelectedNodes().length") > 1
    v.page.screenshot(path=str(tmp_path / "scenario.png"))


def test_a_2000_node_view_opens_laid_out(visit, tmp_path):
    G = nx.MultiDiGraph()
    tree = nx.random_labeled_tree(2500, seed=5)
    for u, w in sorted(tree.edges()):
        G.add_edge(f"urn:n{u}", f"urn:n{w}", key="urn:p", predicate="urn:p")
    for n in G:
        G.nodes[n].update(label=n[4:], types=())
    H = neighbourhood(G, "urn:n0", depth=len(G))
    page = render_html(H, title="synthetic", center="urn:n0")
    v = visit(write_html(tmp_path / "big.html", page))
    assert_clean(v)
    assert v.counts() == (H.number_of_nodes(), H.number_of_edges())
    assert v.page.evaluate("ecgraph.network.physics.physicsEnabled") is False
    assert "Showing 2,000 of" in v.page.text_content("#side")
    v.page.screenshot(path=str(tmp_path / "big.png"))
    print(f"2,000-node view ready in {v.seconds:.2f} s")  # a figure for the record, not an assertion


# --------------------------------------------------------------------------- the analyst's desk: timeline, memo


def test_the_timeline_loads_offline_filters_and_shows_details(visit, hg, tmp_path):
    from graph.pages.timeline_view import render_timeline

    tl = render_timeline(hg, links={HOSTILE_IRI: "hostile.html"}, index="index.html")
    v = visit(write_html(tmp_path / "timeline.html", tl.html))
    page = v.page
    assert_clean(v)
    count = "ecgraphTimeline.itemView.length"
    assert page.evaluate("ecgraphTimeline.items.length") == tl.items and page.evaluate(count) == tl.items
    assert page.locator(".vis-item").count() > 0
    page.screenshot(path=str(tmp_path / "timeline.png"))
    # filter by kind: no listing bar is left
    listings = page.evaluate("ecgraphTimeline.items.get().filter(i => /\\bk\\d/.test(i.className)).length")
    assert listings == tl.items
    page.uncheck("input[data-kind=listing]")
    assert 0 < page.evaluate(count) < tl.items
    page.check("input[data-kind=listing]")
    assert page.evaluate(count) == tl.items
    # search: the Affiliates Rule's periods only
    page.fill("#search", "affiliates rule")
    n = page.evaluate(count)
    assert 1 <= n < 10 and page.text_content("#found") == f"{n} facts"
    page.fill("#search", "")
    # the hostile ownership stake is text in its bar and in the details, and runs nothing
    page.fill("#search", "brien owns")
    assert page.evaluate(count) == 1
    page.evaluate("ecgraphTimeline.timeline.fit({animation: false})")
    page.wait_for_timeout(300)
    page.locator(".vis-item", has_text="Brien owns").click()
    details = page.text_content("#details")
    assert "O'Brien owns 51% of <img>" in details and "2025-12-31 (last day)" in details
    assert page.get_attribute("#details a.view", "href") == "hostile.html"
    assert page.evaluate("document.querySelectorAll('#details img, #details script, .vis-item img').length") == 0
    page.screenshot(path=str(tmp_path / "timeline-selected.png"))
    assert_clean(v)


def test_the_memo_is_static_offline_and_prints_with_its_links(visit, browser, tmp_path):
    from graph.store.audit import audit_record, question_of
    from graph.reasoning.exposure import exposures
    from graph.pages.report import memo_html
    from graph.reasoning.usage import usage_from_names

    g = load(EXAMPLES / "scenario_firms.ttl", imports=False)
    answer = exposures(g, usage_from_names(g, chip="Huawei Ascend 910C", user="Example Cloud Malaysia",
                                           for_country="CN", activity="training", as_of="2025-06-01"))
    path = write_html(tmp_path / "memo.html", memo_html(g, answer, audit_record(question_of(answer.usage))))
    v = visit(path, ready=False)
    page = v.page
    assert_clean(v)
    assert page.evaluate("document.scripts.length") == 0
    assert page.text_content("#verdict") == "exposed"
    assert page.locator("#exposures tbody tr").count() == len(answer.exposures)
    assert page.locator("#paths ol.path").count() == len(answer.exposures)
    fr = page.locator('#citations a[href^="https://www.federalregister.gov/"]')
    assert fr.count() > 0
    assert "SHA-256" in page.text_content("#audit") and "ontology/ecg.ttl" in page.text_content("#audit")
    page.screenshot(path=str(tmp_path / "memo.png"), full_page=True)
    page.emulate_media(media="print")
    after = page.evaluate("getComputedStyle(document.querySelector('#citations a'), '::after').content")
    assert "federalregister.gov" in after  # printed, each link shows where it goes
    assert page.evaluate("getComputedStyle(document.querySelector('main')).boxShadow") == "none"
    pdf = page.pdf(path=str(tmp_path / "memo.pdf"), format="A4")
    assert pdf[:5] == b"%PDF-" and len(pdf) > 10_000


def _overlaps(page) -> list:
    return page.evaluate("""() => {
      const bb = ecgraph.nodes.getIds().map(id => [id, ecgraph.network.getBoundingBox(id)]);
      const out = [];
      for (let i = 0; i < bb.length; i++) for (let j = i + 1; j < bb.length; j++) {
        const a = bb[i][1], c = bb[j][1];
        if (a.left < c.right && c.left < a.right && a.top < c.bottom && c.top < a.bottom) out.push([bb[i][0], bb[j][0]]);
      }
      return out;
    }""")


def test_no_two_labels_overlap_in_any_gallery_view(visit, tmp_path):
    from graph.pages.render import write_gallery

    g = load(EXAMPLES / "scenario_firms.ttl", imports=False)
    write_gallery(g, tmp_path / "gallery")
    pages = sorted(p for p in (tmp_path / "gallery").glob("*.html") if p.stem not in ("index", "timeline"))
    assert len(pages) >= 10
    for page in pages:
        v = visit(page)
        assert _overlaps(v.page) == [], page.name  # vis-network's own boxes: each node with its label
        assert_clean(v)
        v.page.screenshot(path=str(tmp_path / f"{page.stem}.png"))
        v.page.close()


def test_click_a_node_to_add_its_neighbours_in_place(visit, curated, tmp_path):
    v = visit(write_html(tmp_path / "huawei.html", entity_view(curated, "Huawei", depth=1).html))
    page = v.page
    china = "https://w3id.org/ecgraph/id/country/CN"
    before = v.counts()
    assert page.evaluate("ecgraph.nodes.get('https://w3id.org/ecgraph/id/firm/sophgo')") is None
    x, y = page.evaluate(f"""() => {{
        const p = ecgraph.network.canvasToDOM(ecgraph.network.getPositions([{china!r}])[{china!r}]);
        const r = document.getElementById('graph').getBoundingClientRect();
        return [r.left + p.x, r.top + p.y];
    }}""")
    page.mouse.click(x, y)
    page.wait_for_function(f"ecgraph.nodes.length > {before[0]}")
    after = v.counts()
    assert after[0] > before[0] and after[1] > before[1]
    assert page.evaluate("ecgraph.nodes.get('https://w3id.org/ecgraph/id/firm/sophgo').added") is True
    assert page.text_content("#counts") == f"{after[0]:,} nodes, {after[1]:,} edges"
    assert _overlaps(page) == []  # added in place, each on a free spot
    page.mouse.click(x, y)  # a second click adds nothing twice
    page.wait_for_timeout(200)
    assert v.counts() == after
    # an added node expands too: its own neighbours were shipped in the page
    grew = page.evaluate("ecgraph.expand('https://w3id.org/ecgraph/id/firm/sophgo')")
    assert grew >= 0 and v.counts()[0] >= after[0]
    page.screenshot(path=str(tmp_path / "expanded.png"))
    assert_clean(v)


def test_the_legend_stays_in_view_and_cjk_names_render(visit, tmp_path):
    G = nx.MultiDiGraph()
    G.add_edge("urn:huawei", "urn:cn", key="urn:p", predicate="urn:p")
    G.nodes["urn:huawei"].update(label="华为技术有限公司", types=("https://w3id.org/ecgraph/ontology#Firm",))
    G.nodes["urn:cn"].update(label="中国", types=("https://w3id.org/ecgraph/ontology#Country",))
    panel = [{"title": f"item {i}", "lines": ["a line"] * 6, "nodes": ["urn:cn"]} for i in range(30)]
    v = visit(write_html(tmp_path / "cjk.html", render_html(G, title="CJK", panel=panel, center="urn:huawei")))
    page = v.page
    assert page.evaluate("getComputedStyle(document.getElementById('legend')).position") == "fixed"
    page.evaluate("document.getElementById('side').scrollTop = 10000")
    box = page.locator("#legend").bounding_box()
    assert box["y"] >= 0 and box["y"] + box["height"] <= 900
    assert page.evaluate("document.fonts.check('13px \"Noto Sans CJK SC\"', '华为技术有限公司')")
    face = page.evaluate("ecgraph.network.body.nodes['urn:huawei'].options.font.face")
    assert "Noto Sans CJK" in face
    width = page.evaluate("""() => { const c = document.createElement('canvas').getContext('2d');
        c.font = '13px "Noto Sans CJK SC"'; return c.measureText('华为技术有限公司').width; }""")
    assert 90 <= width <= 120  # eight full-width glyphs of a 13 px CJK font, not missing-glyph boxes or nothing
    page.screenshot(path=str(tmp_path / "cjk.png"))
    assert_clean(v)
