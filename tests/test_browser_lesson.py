"""The step-through lesson in a real browser (Debian's Chromium through Playwright) on a 2-4-1 graph.

lesson.js exposes what it shows on ``.mgg-root`` (lessonStep, lessonSteps, lessonFocus, lessonPhase) and
``root.mgg.lesson.text()`` (the lines on screen), so the test reads the page, not the server.
"""

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from micrograd.studio.config import RunConfig
from micrograd.views import graph as G
from micrograd.views import lesson as L
from tests.test_browser_graph import ROOT_JS, collect_errors, open_graph_page

pytestmark = pytest.mark.browser
SHOT = Path(__file__).resolve().parent.parent / "docs" / "screenshot-lesson.png"


def state(page) -> dict:
    return page.evaluate(
        f"() => ({{ k: Number({ROOT_JS}.dataset.lessonStep), n: Number({ROOT_JS}.dataset.lessonSteps), "
        f"phase: {ROOT_JS}.dataset.lessonPhase, focus: Number({ROOT_JS}.dataset.lessonFocus), "
        f"text: {ROOT_JS}.mgg.lesson.text(), lit: {ROOT_JS}.mgg.lesson.state().lit.length }})"
    )


def lines(page, node: int) -> list[str]:
    """The two lines drawn in a node's box (data ..., grad ...)."""
    return page.evaluate(f"() => {ROOT_JS}.mgg.shown({node}).lines")


def click(page, act: str) -> None:
    page.locator(f".mgl-bar button[data-l={act}]").click()


def test_step_forward_and_back_through_a_2_4_1_graph(app_url, page):
    errors = collect_errors(page)
    open_graph_page(page, f"{app_url}/?layers=4", nodes=54)
    page.get_by_text("Step through one training step", exact=True).click()
    page.wait_for_function(f"() => Number({ROOT_JS}?.dataset.lessonSteps) > 10", timeout=60_000)
    s0 = state(page)
    assert s0["k"] == 0 and s0["phase"] == "forward" and s0["text"].startswith("Given:")

    # the engine's lesson of the same setup and example (the one the network gets most wrong)
    config = RunConfig(layers=[4])
    data = config.make_dataset()
    model = config.make_model(2)
    i, _ = L.hardest_example(model, data.X_train, data.y_train, config.loss)
    les = L.lesson(model, data.X_train[i], data.y_train[i], config.loss, "neuron", data.feature_names)
    snap_nodes = G.snapshot(model, data.X_train[i], data.y_train[i], config.loss, 0, data.feature_names).nodes

    # the first step ("Given: the inputs...") opens where they are: x1 in view (QA: the view opened at the loss end)
    x1_box = page.evaluate(f"() => {ROOT_JS}.mgg.box({next(n.id for n in snap_nodes if n.name == 'x1')})")
    width = page.evaluate("() => document.querySelector('.mgg-canvas').clientWidth")
    assert 0 <= x1_box["x"] and x1_box["x"] + x1_box["w"] <= width, (x1_box, width)

    seen = []
    for k in range(1, 5):  # forward, one neuron value at a time: each line is the engine's, nodes light up
        click(page, "fwd")
        page.wait_for_function(f"() => {ROOT_JS}.dataset.lessonStep === '{k}'")
        st = state(page)
        assert st["text"] == "".join(les.steps[k].lines) and st["phase"] == "forward"
        seen.append(st["lit"])
    assert seen == sorted(seen) and seen[-1] > seen[0]
    page.locator(".mgl-pos").click()  # focus on the page, not in a field: the arrow keys step too
    page.keyboard.press("ArrowLeft")
    page.wait_for_function(f"() => {ROOT_JS}.dataset.lessonStep === '3'")
    assert state(page)["text"] == "".join(les.steps[3].lines)
    # the picture shows only what the step has computed: the values lit so far and no gradient (QA: the forward
    # pass showed every node's gradient already)
    loss = next(n.id for n in snap_nodes if n.kind == "loss")
    done, leaf = les.steps[3].ids[0], les.steps[0].ids[0]
    assert lines(page, done)[0].startswith("data ") and lines(page, done)[0] != "data ?"
    assert lines(page, leaf)[0] != "data ?" and lines(page, leaf)[1] == "grad ?"
    assert lines(page, done)[1] == "grad ?" and lines(page, loss) == ["data ?", "grad ?"]

    # the backward pass starts at the loss with gradient 1, then steps back through the chain rule
    click(page, "bwd")
    page.wait_for_function(f"() => {ROOT_JS}.dataset.lessonPhase === 'backward'")
    st = state(page)
    assert st["text"] == "∂L/∂L = 1 (the loss with respect to itself)"
    assert lines(page, loss)[1] == "grad 1.0000" and lines(page, done) == [lines(page, done)[0], "grad ?"]
    assert lines(page, done)[0] != "data ?"  # every value is known once the forward pass is done
    click(page, "upd")
    page.wait_for_function(f"() => {ROOT_JS}.dataset.lessonPhase === 'update'")
    assert lines(page, done)[1] != "grad ?"  # the update: every gradient is known
    click(page, "bwd")
    page.wait_for_function(f"() => {ROOT_JS}.dataset.lessonPhase === 'backward'")
    k = st["k"]
    click(page, "fwd")
    page.wait_for_function(f"() => {ROOT_JS}.dataset.lessonStep === '{k + 1}'")
    assert state(page)["text"] == "".join(les.steps[k + 1].lines) and "∂L/∂" in state(page)["text"]
    click(page, "back")
    page.wait_for_function(f"() => {ROOT_JS}.dataset.lessonStep === '{k}'")

    # a click on a weight jumps to its chain rule
    snap = G.snapshot(model, data.X_train[i], data.y_train[i], config.loss, 0, data.feature_names)
    node = next(n for n in snap.nodes if n.name == "layers.0.weight.1.0")
    page.locator(".mgg-bar button[data-act=one]").click()
    page.evaluate(f"() => {ROOT_JS}.mgg.lesson.go({les.step_of(node.id)})")  # brings the node into view
    page.evaluate(f"() => {ROOT_JS}.mgg.lesson.go(0)")  # may pan the view: the node's box is read after it
    # the 620 px canvas starts low on the page and may reach below the 1000 px window, with the node under the
    # fold: a mouse click there lands nowhere. Centre the canvas in the window, then click at the node's box.
    page.evaluate("() => document.querySelector('.mgg-canvas').scrollIntoView({block: 'center'})")
    b = page.evaluate(f"() => {ROOT_JS}.mgg.box({node.id})")
    size = page.evaluate(
        "() => [document.querySelector('.mgg-canvas').clientWidth, document.querySelector('.mgg-canvas').clientHeight]"
    )
    at = {"x": b["x"] + b["w"] / 2, "y": b["y"] + b["h"] / 2}
    assert 0 < at["x"] < size[0] and 0 < at["y"] < size[1], (at, size)  # go() keeps the node in the canvas
    page.locator(".mgg-canvas").click(position=at)
    page.wait_for_function(f"() => {ROOT_JS}.dataset.lessonFocus === '{node.id}'")
    st = state(page)
    assert st["phase"] == "backward" and st["text"].startswith("∂L/∂w0[1,0] = ∂L/∂z0[1] · x1 = ")

    # play runs forward on its own, pause stops it
    click(page, "first")
    click(page, "play")
    page.wait_for_function(f"() => Number({ROOT_JS}.dataset.lessonStep) >= 2", timeout=10_000)
    click(page, "play")
    k = state(page)["k"]
    page.wait_for_timeout(1200)
    assert state(page)["k"] == k
    x1 = next(n for n in snap.nodes if n.name == "x1")  # used by all 4 hidden neurons: a sum of 4 chain-rule terms
    page.evaluate(f"() => {ROOT_JS}.mgg.lesson.go({les.step_of(x1.id)})")
    page.wait_for_function(f"() => {ROOT_JS}.dataset.lessonFocus === '{x1.id}'")
    assert state(page)["text"].startswith("∂L/∂x1 = ∂L/∂z0[3] · w0[3,0] + ")
    page.locator(".mgl-panel").scroll_into_view_if_needed()
    page.screenshot(path=str(SHOT), full_page=False)
    assert SHOT.stat().st_size > 20_000
    assert not errors, errors


def test_a_click_on_a_neuron_in_the_network_view_opens_its_scalar_operations(app_url, page):
    errors = collect_errors(page)
    open_graph_page(page, f"{app_url}/?layers=4", nodes=54)
    page.get_by_role("tab", name="Network").click()
    # the live network view: boxes x1, x2, then h1.1, h1.2, ...; h1.2 is hidden neuron layers.0.1
    box = page.locator(".mgl-netview .mgl-node").nth(3)
    box.wait_for(timeout=60_000)
    box.click()
    # the graph tab opens on that neuron: inputs, bias, 2 weights, 2 products, 2 sums, relu
    page.wait_for_function(f"() => {ROOT_JS}?.dataset.nodes === '10'", timeout=60_000)
    assert page.get_by_text("Neuron h1.2 (layers.0.1)", exact=True).is_visible()
    assert not errors, errors


def test_projector_mode_on_the_train_page_hides_the_sidebar_and_enlarges_the_view(app_url, page):
    """?projector=1 worked on the Graph page only; a teacher projects the Train page too."""
    page.set_viewport_size({"width": 1920, "height": 1080})
    page.goto(f"{app_url}/?lesson=lr-too-high&projector=1")
    page.wait_for_function("() => document.body.classList.contains('mg-projector')", timeout=120_000)
    page.get_by_text("Lesson: learning rate too high.", exact=False).wait_for(timeout=30_000)
    bar = page.get_by_test_id("stSidebar")
    assert bar.get_attribute("data-collapsed") == "true"  # collapsed: the picture gets the screen
    sizes = page.evaluate(
        """() => ['.mgl-legend', '.mgl-mlabel', '.mgl-name'].map(
             (q) => parseFloat(getComputedStyle(document.querySelector(q)).fontSize))"""
    )
    assert min(sizes) >= 14, sizes  # 12, 14 and 11 px at a desk
    shapes = page.evaluate(
        """() => [...document.querySelectorAll('.mgl-train canvas.mgl-boundary, .mgl-train canvas.mgl-curve')].map(
             (c) => { const r = c.getBoundingClientRect(); return [r.width, r.height, c.width / c.height]; })"""
    )
    assert shapes[0][:2] == [600, 600], shapes  # the pictures grow, in their own shape
    assert all(abs(w / h - own) < 0.02 for w, h, own in shapes), shapes
    page.get_by_test_id("stExpandSidebarButton").click()  # its arrow opens it: Start is one click away
    bar.get_by_role("button", name="Start", exact=True).wait_for(timeout=10_000)
    assert bar.get_attribute("data-collapsed") == "false"
    page.goto(f"{app_url}/graph?lesson=dead-relu&projector=1")  # the Graph page's, now from live.css too
    page.wait_for_function(f"() => {ROOT_JS}?.dataset.step", timeout=60_000)
    assert page.evaluate("() => document.body.classList.contains('mg-projector')")


def test_a_lessons_question_and_projector_mode_stay_on_from_page_to_page(app_url, page):
    """QA: a click on Graph in the sidebar dropped ?lesson= and ?projector=1 (a page switch drops the query)."""
    page.goto(f"{app_url}/?lesson=dead-relu&projector=1")
    page.locator("canvas.mgl-boundary").wait_for(timeout=60_000)
    page.get_by_test_id("stExpandSidebarButton").click()  # projector mode folds the sidebar
    for name in ("Graph", "Train"):
        page.get_by_test_id("stSidebarNav").get_by_text(name, exact=True).click()
        page.wait_for_url(re.compile(r"/graph\?" if name == "Graph" else r"/\?"), timeout=60_000)
        expect(page.get_by_text(re.compile(r"^Lesson: "))).to_be_visible(timeout=60_000)  # the question is there
        assert "lesson=dead-relu" in page.url and "projector=1" in page.url, page.url
        assert page.evaluate("() => document.body.classList.contains('mg-projector')"), name
