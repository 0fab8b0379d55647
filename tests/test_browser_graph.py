"""The Graph page's live view in a real browser (Debian's Chromium through Playwright).

The canvas exposes what it shows as data attributes on ``.mgg-root`` (step, scale, nodes, pictures, selected)
and ``root.mgg`` (a node's shown numbers and its box on screen), so the test reads the picture, not the server.
Rates are measured by bench/graph_page.py, never asserted here.
"""

import re
import time

import pytest
from playwright.sync_api import expect

from micrograd import MLP
from micrograd.studio.config import RunConfig
from micrograd.views import graph as G
from tests.test_browser import sidebar_button, wait_for_app

pytestmark = pytest.mark.browser

ROOT_JS = "document.querySelector('.mgg-root')"


def collect_errors(page) -> list[str]:
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    return errors


def visit_graph(page, url: str, tab: str | None = None) -> None:
    """Open the app, then the Graph page through the navigation (as a user does), and that tab of it if given."""
    page.goto(url)
    sidebar_button(page, "Start").wait_for(timeout=120_000)  # a cold server on a loaded machine is slow once
    wait_for_app(page)
    page.get_by_test_id("stSidebarNav").get_by_text("Graph", exact=True).click()
    if tab is not None:
        page.get_by_role("tab", name=tab).click()


def open_graph_page(page, url: str, nodes: int) -> None:
    """visit_graph, then wait for the drawn graph."""
    visit_graph(page, url)
    page.wait_for_function(f"() => {ROOT_JS}?.dataset.nodes === '{nodes}' && {ROOT_JS}.dataset.step", timeout=60_000)
    page.locator(".mgg-canvas").scroll_into_view_if_needed()


def scale(page) -> float:
    return float(page.evaluate(f"() => {ROOT_JS}.dataset.scale"))


def inked(page) -> int:
    """Pixels of the canvas that are not white (the graph is drawn)."""
    return page.evaluate(
        """() => {
          const c = document.querySelector('.mgg-canvas');
          const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
          let n = 0;
          for (let i = 0; i < d.length; i += 4) if (d[i] < 250 || d[i + 1] < 250 || d[i + 2] < 250) n++;
          return n;
        }"""
    )


def test_graph_view_draws_zooms_and_shows_the_engines_numbers(app_url, page):
    errors = collect_errors(page)
    assert G.graph_size(MLP(2, [4, 1]), "svm") == 54  # every scalar node of the small net is drawn
    open_graph_page(page, f"{app_url}/?layers=4", nodes=54)
    assert inked(page) > 5_000

    # zoom: the buttons and the mouse wheel change the scale; 100 % puts labels at full size
    before = scale(page)
    page.locator(".mgg-bar button[data-act=in]").click()
    page.wait_for_function(f"() => Number({ROOT_JS}.dataset.scale) > {before * 1.4}")
    assert scale(page) == pytest.approx(min(4, before * 1.5), rel=1e-3)
    box = page.locator(".mgg-canvas").bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    zoomed = scale(page)
    page.mouse.wheel(0, 400)  # scroll down: zoom out around the pointer
    page.wait_for_function(f"() => Number({ROOT_JS}.dataset.scale) < {zoomed * 0.9}")
    page.locator(".mgg-bar button[data-act=one]").click()
    page.wait_for_function(f"() => {ROOT_JS}.dataset.scale === '1.0000'")

    # the engine's graph of the same setup: the default config with one hidden layer of 4, training point 0
    config = RunConfig(layers=[4])
    data = config.make_dataset()
    snap = G.snapshot(config.make_model(2), data.X_train[0], data.y_train[0], config.loss, 0, data.feature_names)
    node = next(n for n in snap.nodes if n.name == "layers.0.weight.1.0")

    # bring the node into view, click it, and read its numbers from the view
    page.evaluate(f"() => {ROOT_JS}.mgg.select(-1)")
    b = page.evaluate(f"() => {ROOT_JS}.mgg.box({node.id})")
    canvas = page.locator(".mgg-canvas").bounding_box()
    dx, dy = canvas["width"] / 2 - (b["x"] + b["w"] / 2), canvas["height"] / 2 - (b["y"] + b["h"] / 2)
    page.mouse.move(canvas["x"] + 30, canvas["y"] + 30)
    page.mouse.down()
    page.mouse.move(canvas["x"] + 30 + dx / 2, canvas["y"] + 30 + dy / 2, steps=4)
    page.mouse.move(canvas["x"] + 30 + dx, canvas["y"] + 30 + dy, steps=4)
    page.mouse.up()
    b = page.evaluate(f"() => {ROOT_JS}.mgg.box({node.id})")
    assert abs(b["x"] + b["w"] / 2 - canvas["width"] / 2) < 2  # dragging panned by exactly the drag
    page.mouse.click(canvas["x"] + b["x"] + b["w"] / 2, canvas["y"] + b["y"] + b["h"] / 2)
    page.wait_for_function(f"() => {ROOT_JS}.dataset.selected === '{node.id}'")
    shown = page.evaluate(f"() => {ROOT_JS}.mgg.shown({node.id})")
    assert shown["title"] == "layers.0.weight.1.0" and shown["step"] == 0
    assert shown["data"] == pytest.approx(node.data, rel=1e-6) and shown["grad"] == pytest.approx(node.grad, rel=1e-6)
    assert shown["lines"] == [f"data {G.format_number(node.data)}", f"grad {G.format_number(node.grad)}"]
    detail = page.locator(".mgg-detail").inner_text()
    assert f"data {G.format_number(node.data)}" in detail and "layers.0.weight.1.0" in detail
    assert "layers.0.weight.1.0 = the weight into h1.2 from input 1 · parameter · " in detail  # the Train page's name
    loss_id = int(page.evaluate(f"() => {ROOT_JS}.dataset.nodes")) - 1  # the root: the last node in topological order
    page.evaluate(f"() => {ROOT_JS}.mgg.select({loss_id})")
    detail = page.locator(".mgg-detail").inner_text()
    assert detail.startswith(f"loss · node {loss_id} · step 0: data "), detail  # its name once, not "loss · loss"
    page.evaluate(f"() => {ROOT_JS}.mgg.select({node.id})")
    assert b["w"] >= 132 * 0.99  # 100 %: boxes (and their 11-12 px labels) at full size
    assert not errors, errors


def test_graph_view_plays_training_without_remounting(app_url, page):
    errors = collect_errors(page)
    open_graph_page(page, f"{app_url}/?steps=3000", nodes=986)  # the default 2-16-16-1: every scalar op
    page.evaluate(f"() => {{ {ROOT_JS}.__kept = true; }}")
    pictures = int(page.evaluate(f"() => {ROOT_JS}.dataset.pictures"))
    sidebar_button(page, "Start").click()
    page.wait_for_function(f"() => Number({ROOT_JS}.dataset.step) > 0", timeout=60_000)
    steps, said, t0 = [], [], time.monotonic()
    while len(set(steps)) < 4 and time.monotonic() - t0 < 60:  # a loaded machine trains slowly; wait for a few
        shown, status = page.evaluate(
            f"() => [{ROOT_JS}.dataset.step, document.querySelector('[data-testid=stSidebar] .mgl-status').dataset.step]"
        )
        steps.append(int(shown))
        said.append(int(status))
        page.wait_for_timeout(100)
    sidebar_button(page, "Pause").click()
    assert steps == sorted(steps) and len(set(steps)) >= 4  # pictures of later and later steps
    # the sidebar's status says the step on screen at every frame, not the step training started from
    assert said == steps
    assert int(page.evaluate(f"() => {ROOT_JS}.dataset.pictures")) > pictures + 3
    assert page.evaluate(f"() => {ROOT_JS}.__kept === true")  # the same element all along
    # the page's own Start and Pause show only where the sidebar's are out of sight: here, once it is folded
    row = page.locator("div.st-key-mg_page_buttons_graph")
    expect(row.get_by_role("button", name="Start", include_hidden=True)).to_have_count(1)  # there, hidden
    assert not row.is_visible()
    expect(page.get_by_test_id("stSidebar").locator(".mgl-status")).to_be_visible()  # not hidden with the row
    page.get_by_test_id("stSidebar").hover()
    page.get_by_test_id("stSidebarCollapseButton").locator("button").click()
    expect(row.get_by_role("button", name="Start")).to_be_visible()
    assert not errors, errors


def test_on_a_phone_the_graph_page_has_its_own_run_buttons_and_they_train_stop_step_and_reset(app_url, browser):
    """The sidebar, and its Start, is folded away on a phone; the Graph page said "Train from the sidebar" (QA)."""
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    page = context.new_page()
    page.goto(f"{app_url}/graph?steps=0")  # a direct link: the page sets the session up first
    page.wait_for_function(f"() => {ROOT_JS}?.dataset.step", timeout=120_000)
    errors = collect_errors(page)  # from here: Streamlit's own loader probes /graph/_stcore/... first (404s)
    box = sidebar_button(page, "Start").bounding_box()
    assert box is None or box["x"] + box["width"] <= 0, box  # the sidebar's Start: folded away, off the screen
    row = page.locator("div.st-key-mg_page_buttons_graph")
    start, pause = row.get_by_role("button", name="Start"), row.get_by_role("button", name="Pause")
    expect(start).to_be_enabled()
    assert start.is_visible() and start.bounding_box()["y"] < 844  # in the first screen
    expect(pause).to_be_disabled()
    start.tap()
    page.wait_for_function(f"() => +{ROOT_JS}.dataset.step >= 5", timeout=60_000)  # the graph plays training
    expect(pause).to_be_enabled()
    expect(start).to_be_disabled()
    pause.tap()
    expect(start).to_be_enabled()
    expect(pause).to_be_disabled()
    expect(page.get_by_text(re.compile(r"^paused · .* snapshots? of this run"))).to_be_visible()  # the caption says so
    page.wait_for_timeout(1000)  # the view jumps to the step the trainer stopped at, once the server says paused
    shown = page.evaluate(f"() => +{ROOT_JS}.dataset.step")
    page.wait_for_timeout(1500)
    assert page.evaluate(f"() => +{ROOT_JS}.dataset.step") == shown  # stopped: no step since
    row.get_by_role("button", name="Step").tap()  # Step and Reset are there too (a diverged run says "press Reset")
    page.wait_for_function(f"() => +{ROOT_JS}.dataset.step === {shown + 1}", timeout=60_000)
    row.get_by_role("button", name="Reset").tap()
    page.wait_for_function(f"() => {ROOT_JS}?.dataset.step === '0'", timeout=60_000)  # a new run: its view
    expect(start).to_be_enabled()
    assert not errors, errors
    context.close()


def test_the_network_tab_plays_training_and_a_click_opens_a_neuron(app_url, page):
    errors = collect_errors(page)
    visit_graph(page, f"{app_url}/?steps=3000&speed=20", "Network")
    net = page.locator(".mgl-netview .mgl-net")
    page.wait_for_function(
        "() => document.querySelector('.mgl-netview .mgl-net')?.dataset.step === '0'", timeout=60_000
    )
    assert net.get_attribute("data-neurons") == "33"  # 2-16-16-1: one box per hidden and output neuron
    page.evaluate("() => { document.querySelector('.mgl-netview').__kept = true; }")
    size = page.evaluate("() => document.querySelector('.mgl-netview .mgl-node').getBoundingClientRect().width")
    assert size > 55  # larger than the Train page's 45 px squares
    sidebar_button(page, "Start").click()
    steps, t0 = [], time.monotonic()
    while len(set(steps)) < 4 and time.monotonic() - t0 < 60:
        step = net.get_attribute("data-step")  # None only on a new element before its first picture: a re-mount,
        if step is not None:  # which the __kept check below reports
            steps.append(int(step))
        page.wait_for_timeout(150)
    sidebar_button(page, "Pause").click()
    assert steps == sorted(steps) and len(set(steps)) >= 4  # pictures of later and later steps
    assert page.evaluate("() => document.querySelector('.mgl-netview').__kept === true")  # never re-mounted
    box = page.locator(".mgl-netview .mgl-node").nth(5)  # h1.4: the 3rd box of the first hidden layer
    box.hover()
    tip = page.locator(".mgl-netview .mgl-tip")
    tip.wait_for(state="visible", timeout=5_000)
    assert tip.inner_text().startswith("h1.4") and "a = relu(" in tip.inner_text()
    box.click()
    page.get_by_text("Neuron h1.4 (layers.0.3)", exact=True).wait_for(timeout=60_000)  # its scalar operations
    # its part of the graph has only layer-0 names, and the view still names the neuron as the Train page does
    page.wait_for_function(f"() => Number({ROOT_JS}?.dataset.nodes) > 0 && Number({ROOT_JS}.dataset.nodes) < 100")
    root = int(page.evaluate(f"() => {ROOT_JS}.dataset.nodes")) - 1  # the neuron's output: last in topological order
    page.evaluate(f"() => {ROOT_JS}.mgg.select({root})")
    assert (
        page.locator(".mgg-detail")
        .inner_text()
        .startswith("layers.0.3.a = h1.4 after its activation (relu) · operation")
    )
    page.wait_for_timeout(500)  # the page's run goes on after the view is drawn: an error box would come below it
    assert page.get_by_text("Something went wrong").count() == 0  # the page's guard turns an exception into one
    assert not errors, errors


NET_STEPS_JS = """() => new Promise((done) => {
  const el = document.querySelector('.mgl-netview .mgl-net'), seen = [], skipped0 = +el.dataset.skipped || 0;
  const t0 = performance.now();
  const loop = () => {
    const s = +el.dataset.step;
    if (!seen.length || seen[seen.length - 1] !== s) seen.push(s);
    if (performance.now() - t0 < 2000) requestAnimationFrame(loop);
    else done({seen, skipped: (+el.dataset.skipped || 0) - skipped0});
  };
  requestAnimationFrame(loop);
})"""


def test_the_network_tab_shows_every_step_at_the_highest_speed(app_url, page):
    """Issue 12: the network view (larger on the Graph page) is updated every frame: at 50 steps a second the default
    net's pictures are consecutive steps (each sent as its change from the previous one: micrograd.views.wire)."""
    errors = collect_errors(page)
    visit_graph(page, f"{app_url}/?steps=0&speed=50", "Network")
    page.wait_for_function(
        "() => document.querySelector('.mgl-netview .mgl-net')?.dataset.step === '0'", timeout=60_000
    )
    sidebar_button(page, "Start").click()
    page.wait_for_function("() => +document.querySelector('.mgl-netview .mgl-net').dataset.step >= 60", timeout=60_000)
    played = page.evaluate(NET_STEPS_JS)
    head = page.locator(".mgl-netview .mgl-head").inner_text()
    sidebar_button(page, "Pause").click()
    seen = played["seen"]
    assert len(seen) >= 20, seen  # ~100 in 2 s
    assert head.startswith("running · step ") and " showing every " not in head, head
    if played["skipped"] == 0:  # the player drops steps only when far behind (a stalled machine)
        assert all(b - a == 1 for a, b in zip(seen, seen[1:])), seen
    assert not errors, errors


FRAME_X_JS = f"""() => {{
  const r = {ROOT_JS}, f = r.mgg.frame();
  const S = [...mgGraph.statics.values()].find((s) => s.n === Number(r.dataset.nodes));
  return [f.step, f.values[S.titles.indexOf('x1')], f.values[S.titles.indexOf('x2')]];
}}"""


def test_paused_a_step_and_a_new_example_show_at_once(app_url, page):
    """Paused, the picture is the model's step and the chosen example (it froze at step 0 after Step)."""
    errors = collect_errors(page)
    open_graph_page(page, f"{app_url}/?layers=4&steps=3000", nodes=54)
    for n in (1, 2):
        sidebar_button(page, "Step").click()
        page.wait_for_function(f"() => {ROOT_JS}?.dataset.step === '{n}'", timeout=30_000)  # a rerun may hold it
    box = page.get_by_test_id("stNumberInput").filter(has_text="Training point").locator("input")
    caption = page.get_by_text(re.compile(r"^x1 = -?[\d.]+, x2 = -?[\d.]+; label"))
    before = caption.inner_text()  # point 0's
    box.fill("5")
    box.press("Enter")
    deadline = time.monotonic() + 30
    while caption.count() != 1 or caption.inner_text() == before:  # until the rerun has replaced it
        assert time.monotonic() < deadline, "the caption never named training point 5"
        page.wait_for_timeout(200)
    x1, x2 = (float(v) for v in re.findall(r"= (-?[\d.]+)", caption.inner_text())[:2])
    deadline = time.monotonic() + 30
    while True:
        step, f1, f2 = page.evaluate(FRAME_X_JS)
        if (step, round(f1, 3), round(f2, 3)) == (2, x1, x2):
            break
        assert time.monotonic() < deadline, f"the view shows step {step} at x = ({f1}, {f2}), not point 5 {x1, x2}"
        page.wait_for_timeout(200)
    status = page.evaluate(f"() => {ROOT_JS}.querySelector('.mgg-status').textContent")
    said = [float(v) for v in re.search(r"x = \((-?[\d.]+), (-?[\d.]+)\)", status).groups()]
    assert abs(said[0] - x1) < 6e-4 and abs(said[1] - x2) < 6e-4 and "step 2" in status, status
    page.locator('.mgg-bar [data-act="colour"]').click()  # paused: no frame comes to redraw the legend
    assert page.locator(".mgg-lnote").inner_text().startswith("fill = value,")  # it kept saying "gradient"
    assert not errors, errors


def test_on_the_why_tab_the_sidebar_status_follows_training(app_url, page):
    """No view plays on "Why training fails": each tick says the trainer's step (QA: the status stood still)."""
    errors = collect_errors(page)
    visit_graph(page, f"{app_url}/?steps=0&speed=20", "Why training fails")
    page.get_by_text(re.compile(r"Train a few steps|No problem found|gradient")).first.wait_for(timeout=60_000)
    status = page.get_by_test_id("stSidebar").locator(".mgl-status")
    sidebar_button(page, "Start").click()
    page.wait_for_function(
        "() => document.querySelector('[data-testid=stSidebar] .mgl-status')?.dataset.state === 'running'",
        timeout=60_000,
    )
    seen, t0 = [], time.monotonic()
    while len(set(seen)) < 4 and time.monotonic() - t0 < 60:
        seen.append(int(status.get_attribute("data-step") or 0))
        page.wait_for_timeout(250)
    sidebar_button(page, "Pause").click()
    assert seen == sorted(seen) and len(set(seen)) >= 4, seen  # later and later steps, while on this tab
    assert not errors, errors
