"""The Train page's live view in a real browser: the picture is the model's, step by step (rates: bench/browser.py)."""

import json
import re
import time

import numpy as np
import pytest

from micrograd.fast import numeric
from micrograd.studio.config import RunConfig
from micrograd.studio.trainer import Trainer
from micrograd.studio.weights import load
from micrograd.views import live
from tests.test_browser import metric, paused_step, sidebar_button, step_of, wait_for_app
from ui.options import TICK_SECONDS

pytestmark = pytest.mark.browser

CANVAS = "canvas.mgl-boundary"

# one animation frame's step and the colours of a lattice of pixels, read together
SAMPLE_JS = """(el) => {
  const ctx = el.getContext('2d');
  const p = JSON.parse(el.dataset.plot);
  const img = ctx.getImageData(0, 0, el.width, el.height).data;
  const out = [];
  for (let gy = 0; gy < 14; gy++) for (let gx = 0; gx < 14; gx++) {
    const x = Math.floor(p.left + (gx + 0.5) * p.width / 14), y = Math.floor(p.top + (gy + 0.5) * p.height / 14);
    const i = (y * el.width + x) * 4;
    out.push([x, y, img[i], img[i + 1], img[i + 2]]);
  }
  const pts = [];
  for (let k = 0; el.mglPoint(k); k++) pts.push(el.mglPoint(k));
  return {step: +el.dataset.step, plot: p, pixels: out, points: pts};
}"""

STEPS_JS = """(el) => new Promise((done) => {
  const seen = [], skipped0 = +el.dataset.skipped, t0 = performance.now();
  const loop = () => {
    const s = +el.dataset.step;
    if (!seen.length || seen[seen.length - 1] !== s) seen.push(s);
    if (performance.now() - t0 < 2000) requestAnimationFrame(loop);
    else done({seen, skipped: +el.dataset.skipped - skipped0});
  };
  requestAnimationFrame(loop);
})"""


def within(js: str, seconds: float = 60) -> str:
    """js, a function of one argument that returns a promise (e.g. a loop over animation frames), bounded: Playwright's
    evaluate waits for a promise without a timeout, so a page that stopped drawing frames would hang the suite."""
    ms = int(seconds * 1000)
    reason = f"no answer in {seconds:g} s: the page stopped drawing animation frames"
    return f"(arg) => Promise.race([({js})(arg), new Promise((_, no) => setTimeout(() => no(new Error({reason!r})), {ms}))])"


def watch_console(page) -> list[str]:
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    return errors


def open_train(page, url: str):
    """Open the Train page at url and wait until the live view shows step 0; returns the boundary canvas."""
    page.goto(url)
    wait_for_app(page)
    page.wait_for_function(f"() => document.querySelector('{CANVAS}')?.dataset.step === '0'")
    return page.locator(CANVAS)


def start_training(page, url: str, step: int, timeout: int = 20_000):
    """Open the Train page at url, press Start and wait until the view shows step (or later); returns the canvas."""
    canvas = open_train(page, url)
    sidebar_button(page, "Start").click()
    page.wait_for_function(f"() => +document.querySelector('{CANVAS}').dataset.step >= {step}", timeout=timeout)
    return canvas


def agree(sample: dict, layers: list) -> int:
    """Assert the drawn colour's side (blue > 0, orange < 0) matches NumPy's score; return the pixels checked."""
    p = sample["plot"]
    (x0, x1), (y0, y1) = p["x_range"], p["y_range"]
    pts = np.array(sample["points"])
    checked = 0
    for x, y, r, _, b in sample["pixels"]:
        if len(pts) and np.min(np.hypot(pts[:, 0] - x - 0.5, pts[:, 1] - y - 0.5)) < 10:
            continue  # a point or its ✕ is drawn over the background here
        fx = x0 + (x + 0.5 - p["left"]) / p["width"] * (x1 - x0)
        fy = y1 - (y + 0.5 - p["top"]) / p["height"] * (y1 - y0)
        s = float(numeric.scores(layers, np.array([[fx, fy]]))[0])
        if abs(s) < 0.5:
            continue  # near the boundary the painted cells blend both sides
        assert (b > r) == (s > 0), f"pixel ({x}, {y}) at step {sample['step']}: rgb r={r} b={b}, NumPy score {s:.3f}"
        checked += 1
    return checked


def test_the_drawn_boundary_is_numpys_at_the_step_shown_and_steps_are_consecutive(app_url, page, tmp_path):
    errors = watch_console(page)
    canvas = open_train(page, f"{app_url}/?steps=300")
    sidebar_button(page, "Start").click()
    page.get_by_test_id("stSidebar").get_by_text("running", exact=True).wait_for(timeout=10_000)
    page.wait_for_function(f"() => +document.querySelector('{CANVAS}').dataset.step >= 5", timeout=20_000)
    samples = []
    for _ in range(4):  # while training: each sample is one animation frame's picture and its step
        samples.append(canvas.evaluate(SAMPLE_JS))
        page.wait_for_timeout(300)
    played = canvas.evaluate(within(STEPS_JS))
    seen = played["seen"]
    assert len(seen) >= 5, f"the view hardly moved: {seen}"
    if played["skipped"] == 0:  # the player drops frames only when far behind (a stalled machine)
        assert all(b - a == 1 for a, b in zip(seen, seen[1:])), f"steps shown were not consecutive: {seen}"

    sidebar_button(page, "Pause").click()
    page.get_by_test_id("stSidebar").get_by_text("paused", exact=True).wait_for(timeout=10_000)
    stopped = paused_step(page)  # the view plays out to the last step taken and stays there
    page.wait_for_timeout(1500)
    assert step_of(page) == stopped and canvas.get_attribute("data-step") == str(stopped)
    status = page.get_by_test_id("stSidebar").locator(".mgl-status").inner_text()
    assert status.startswith("paused") and f"step {stopped} / 300" in status
    samples.append(canvas.evaluate(SAMPLE_JS))

    with page.expect_download() as dl:
        page.get_by_role("button", name="Download weights (JSON)").click()
    path = tmp_path / "w.json"
    dl.value.save_as(path)
    loaded = load(path)
    assert loaded.metrics["step"] == stopped  # what the view shows is what the model, and the export, hold

    # replay the run here (same configuration and seeds, so the same weights at every step) and compare
    replay = Trainer(RunConfig.from_dict(loaded.training))
    wanted = {s["step"] for s in samples}
    at = {}
    while replay.step_count < max(wanted):
        replay.step()
        if replay.step_count in wanted:
            at[replay.step_count] = numeric.layers_of(replay.model)
    final = [p.data for p in replay.model.parameters()]
    assert np.allclose(final, [p.data for p in loaded.model.parameters()], atol=1e-9), "the replay drifted"
    for s in samples:
        assert agree(s, at[s["step"]]) >= 20
    assert percent_ok(metric(page, "Train accuracy"))
    assert not errors, errors


def percent_ok(text: str) -> bool:
    return text.endswith("%")


def test_hover_shows_a_point_and_a_click_picks_it_for_the_graph_page(app_url, page):
    errors = watch_console(page)
    canvas = open_train(page, app_url)
    x, y = canvas.evaluate("(el) => el.mglPoint(4)")
    box = canvas.bounding_box()
    page.mouse.move(box["x"] + x, box["y"] + y)
    tip = page.locator(".mgl-tip")
    tip.wait_for()
    text = tip.inner_text()
    assert "training point 4" in text and "x1 = " in text and "label" in text and "score" in text
    # a score travels as float16: 3 significant digits, and one beyond its range says so (it read -60000.000
    # for a diverged net's -349842)
    said = page.evaluate("() => [1.8198, -0.8266, -349842.26, 0, null].map(mgLive.paint.half)")
    assert said == ["1.82", "-0.827", "< −60000", "0", "—"]
    shown = re.search(r"score (\S+) at step", text).group(1)  # the tooltip uses it: no fourth digit it cannot hold
    assert len(shown.lstrip("-").replace(".", "").lstrip("0")) <= 3, text
    page.mouse.click(box["x"] + x, box["y"] + y)
    page.get_by_text("traces training point 4").wait_for(timeout=20_000)
    node = page.locator('.mgl-node[data-name="h1.1"]')
    node.hover()
    assert "relu(" in tip.inner_text() and "·x1" in tip.inner_text()
    assert not errors, errors


def test_tooltips_show_the_numbers_of_the_frame_on_screen_while_training(app_url, page):
    errors = watch_console(page)
    canvas = start_training(page, f"{app_url}/?steps=3000&speed=20", 5, timeout=30_000)
    x, y = canvas.evaluate("(el) => el.mglPoint(4)")
    box = canvas.bounding_box()
    page.mouse.move(box["x"] + x, box["y"] + y)  # the mouse stays still from here on
    tip = page.locator(".mgl-tip")
    tip.wait_for()

    def tip_step(pattern: str) -> int:
        return int(re.search(pattern, tip.inner_text()).group(1).replace(",", ""))

    first = tip_step(r"at step ([\d,]+)")
    page.wait_for_timeout(1500)
    later = tip_step(r"at step ([\d,]+)")
    assert later > first + 5 and later <= step_of(page)  # the point's score follows the picture
    page.locator('.mgl-node[data-name="h1.1"]').hover()
    first = tip_step(r"weights at step ([\d,]+)")
    page.wait_for_timeout(1500)
    assert tip_step(r"weights at step ([\d,]+)") > first  # and a neuron's formula follows the network
    sidebar_button(page, "Pause").click()
    assert not errors, errors


def test_the_output_neurons_formula_opens_on_its_left_unsqueezed(app_url, page):
    """QA: out.1 sits at the view's right edge; its formula was squeezed into a ~55 px column, cut off on the right."""
    open_train(page, app_url)
    page.locator('.mgl-node[data-name="out.1"]').hover()
    tip = page.locator(".mgl-train .mgl-tip")
    tip.wait_for()
    assert "out.1" in tip.inner_text() and "a = " in tip.inner_text()
    t, wrap, box = (
        page.locator(sel).bounding_box()
        for sel in (".mgl-train .mgl-tip", ".mgl-train", '.mgl-node[data-name="out.1"]')
    )
    assert t["width"] > 200, t  # the formula at its own width
    assert t["x"] + t["width"] <= wrap["x"] + wrap["width"] + 1, (t, wrap)  # inside the view
    assert t["x"] + t["width"] <= box["x"], (t, box)  # on the box's left: the right has no room


def test_the_view_survives_ticks_without_remounting(app_url, page):
    page.goto(f"{app_url}/?steps=200")
    wait_for_app(page)
    canvas = page.locator(CANVAS)
    canvas.wait_for()
    canvas.evaluate("(el) => { el.dataset.marker = 'kept'; }")
    sidebar_button(page, "Start").click()
    deadline = time.monotonic() + 20
    while int(canvas.get_attribute("data-step") or 0) < 30:
        assert time.monotonic() < deadline, "training did not reach step 30"
        page.wait_for_timeout(100)
    assert page.locator(CANVAS).get_attribute("data-marker") == "kept"  # the same element: never re-mounted
    assert json.loads(canvas.get_attribute("data-plot"))["width"] > 300


def test_no_budget_reads_so_in_the_status_line_and_the_view_head(app_url, page):
    errors = watch_console(page)
    page.goto(f"{app_url}/?steps=0&speed=50")  # issue 12: no budget, train until Pause
    wait_for_app(page)
    sidebar = page.get_by_test_id("stSidebar")
    assert sidebar.get_by_role("checkbox", name="No budget (train until Pause)").is_checked()
    status = sidebar.locator(".mgl-status")
    assert status.inner_text() == "ready · step 0 · no budget"
    sidebar_button(page, "Start").click()
    page.wait_for_function(f"() => +document.querySelector('{CANVAS}').dataset.step >= 5", timeout=20_000)
    running = status.inner_text()
    assert running.startswith("running · step ") and running.endswith(" · no budget") and "/" not in running
    head = page.locator(".mgl-head").inner_text()
    assert (
        head.startswith("running · step ") and " · no budget · next learning rate 1.00" in head and " of " not in head
    )
    feed = live.LiveFeed()
    feed.set_speed(50, [2, 16, 16, 1])  # the highest speed: every step a picture
    assert feed.every == 1 and " · showing every " not in head
    # the network's stride follows the bytes sent: in a run's first seconds it may say so, settled it is every step
    # (test_at_the_highest_speed_each_frame_is_one_steps_boundary_and_network_with_its_exact_weights)
    nth = lambda n: f"{n}{'th' if 11 <= n % 100 <= 13 else {1: 'st', 2: 'nd', 3: 'rd'}.get(n % 10, 'th')}"  # noqa: E731
    said = re.search(r" · network every (\d+)\w\w step$", head)
    assert not said or (int(said[1]) > 1 and head.endswith(f" · network every {nth(int(said[1]))} step")), head
    sidebar_button(page, "Pause").click()
    stopped = paused_step(page)
    assert status.inner_text() == f"paused · step {stopped:,} · no budget"
    assert not errors, errors


# each animation frame's boundary step, network step and edge weights (the network picture's), for 2 s
FRAMES_JS = """(el) => new Promise((done) => {
  const net = document.querySelector('.mgl-train .mgl-net'), edges = document.querySelector('.mgl-train canvas.mgl-edges');
  const seen = [], t0 = performance.now();
  const loop = () => {
    seen.push({step: +el.dataset.step, net: +net.dataset.step, w: edges.mglEdges().map((e) => e.w)});
    if (performance.now() - t0 < 2000) requestAnimationFrame(loop);
    else done(seen);
  };
  requestAnimationFrame(loop);
})"""


def test_at_the_highest_speed_each_frame_is_one_steps_boundary_and_network_with_its_exact_weights(
    app_url, page, tmp_path
):
    """Issue 12: the network view is updated every frame. At 50 steps a second the default net's network picture
    travels with every boundary frame once the run has settled (micrograd.views.wire sends each picture as its change
    from the previous one): every animation frame shows one step's boundary and the same step's network, and the
    edges carry that step's weights exactly (float32), as a replay of the run has them."""
    errors = watch_console(page)
    canvas = start_training(page, f"{app_url}/?steps=0&speed=50", 1)  # no budget: until Pause
    head = page.locator(".mgl-head")
    deadline = time.monotonic() + 30
    while " · network every " in head.inner_text() or step_of(page) < 300:  # its first seconds: see the docstring
        assert time.monotonic() < deadline, head.inner_text()
        page.wait_for_timeout(250)
    seen = canvas.evaluate(within(FRAMES_JS))
    sidebar_button(page, "Pause").click()
    shown = sorted({s["step"] for s in seen})
    assert len(shown) >= 20, shown  # it played on (50 steps a second: ~100 in 2 s)
    assert all(s["net"] == s["step"] for s in seen), [(s["step"], s["net"]) for s in seen if s["net"] != s["step"]]
    assert " · network every " not in head.inner_text()

    page.get_by_test_id("stSidebar").get_by_text("paused", exact=True).wait_for(timeout=10_000)
    with page.expect_download() as dl:
        page.get_by_role("button", name="Download weights (JSON)").click()
    path = tmp_path / "w.json"
    dl.value.save_as(path)
    replay = Trainer(RunConfig.from_dict(load(path).training))  # the same run, step by step
    want = {s["step"]: s["w"] for s in seen}
    checked = 0
    while replay.step_count < max(want):
        replay.step()
        if replay.step_count in want:
            w = np.concatenate([L.weight.ravel() for L in replay.layers()]).astype(np.float32)
            assert np.array_equal(w, np.array(want[replay.step_count], dtype=np.float32)), replay.step_count
            checked += 1
    assert checked == len(want) >= 20
    assert not errors, errors


def test_a_hidden_tab_jumps_to_the_newest_step_and_the_numbers_are_wall_clock_and_whole(app_url, page):
    errors = watch_console(page)
    page.goto(f"{app_url}/?steps=5000&speed=20")
    wait_for_app(page)
    sidebar_button(page, "Start").click()
    page.wait_for_function(f"() => +document.querySelector('{CANVAS}').dataset.step >= 30", timeout=60_000)
    # steps per second: wall-clock steps (20 asked), not the rate inside one tick (~10x more)
    sps = []
    for _ in range(3):
        page.wait_for_timeout(700)
        sps.append(float(metric(page, "Steps / s")))
    assert all(5 <= s <= 40 for s in sps), sps
    # the tab goes to the background: it paints nothing, and keeps only the newest step it is sent
    page.evaluate(
        """() => { Object.defineProperty(document, 'hidden', {value: true, configurable: true});
                   document.dispatchEvent(new Event('visibilitychange')); }"""
    )
    hidden_at = step_of(page)
    page.wait_for_timeout(3000)
    assert step_of(page) == hidden_at  # nothing painted while hidden
    skipped = int(page.locator(CANVAS).get_attribute("data-skipped"))
    page.evaluate(
        """() => { Object.defineProperty(document, 'hidden', {value: false, configurable: true});
                   document.dispatchEvent(new Event('visibilitychange')); }"""
    )
    page.wait_for_function(f"() => +document.querySelector('{CANVAS}').dataset.step > {hidden_at + 30}", timeout=10_000)
    shown = step_of(page)
    # back at once at the newest step (about 60 steps later), not played through the 3 s it missed
    assert int(page.locator(CANVAS).get_attribute("data-skipped")) > skipped
    sidebar_button(page, "Pause").click()
    stopped = paused_step(page)
    assert stopped >= shown
    # a step number of four digits and more is shown whole, in the metric and the status line
    page.goto(f"{app_url}/?steps=5000&speed=50")
    wait_for_app(page)
    sidebar_button(page, "Start").click()
    page.wait_for_function(f"() => +document.querySelector('{CANVAS}').dataset.step >= 1200", timeout=120_000)
    sidebar_button(page, "Pause").click()
    stopped = paused_step(page)
    assert metric(page, "Step") == str(stopped)
    box = page.locator('.mgl-metric[data-label="Step"] .mgl-mvalue')
    assert box.evaluate("(e) => e.scrollWidth <= e.clientWidth")  # not cut off
    status = page.get_by_test_id("stSidebar").locator(".mgl-status").inner_text()
    assert status == f"paused · step {stopped:,} / 5,000"
    assert not errors, errors


def test_a_late_burst_of_steps_is_played_faster_not_skipped(app_url, page):
    """Updates held back 1.8 s, then decoded at once (a late tick): every step is still shown, and the view catches up."""
    errors = watch_console(page)
    canvas = start_training(page, f"{app_url}/?steps=3000&speed=20", 5)
    played = canvas.evaluate(
        within(
            """(el) => new Promise((done) => {
          const mg = globalThis.mgLive, decode = mg.decode, until = performance.now() + 1800;
          mg.decode = (b) => decode(b).then((u) => new Promise((r) => setTimeout(() => r(u), until - performance.now())));
          const seen = [], skipped0 = +el.dataset.skipped, t0 = performance.now();
          let lag = 0;
          const loop = () => {
            const s = +el.dataset.step;
            if (!seen.length || seen[seen.length - 1] !== s) seen.push(s);
            const v = el.mglView, buf = v.player.buf;
            if (buf.length) lag = Math.max(lag, (buf[buf.length - 1].step - s) / v.player.speed);
            if (performance.now() - t0 < 6500) requestAnimationFrame(loop);
            else done({seen, skipped: +el.dataset.skipped - skipped0, lag,
                       behind: buf.length ? (buf[buf.length - 1].step - s) / v.player.speed : 0});
          };
          requestAnimationFrame(loop);
        })"""
        )
    )
    seen = played["seen"]
    assert page.evaluate("() => mgLive.tick") == TICK_SECONDS  # sent with the status line: the player counts in ticks
    assert played["lag"] > 1.0, played  # the burst put the view more than a second behind
    assert played["skipped"] == 0 and all(b - a == 1 for a, b in zip(seen, seen[1:])), played
    assert played["behind"] < played["lag"] - 0.2, played  # and it is catching up (as fast as frames allow)
    assert not errors, errors


# each neuron's square as drawn (all squares share one canvas: box.mglSquare() reads the box's part of it)
THUMBS_JS = """() => [...document.querySelectorAll('.mgl-train .mgl-node')].map((b) => {
  const im = b.mglSquare(), d = im.data, w = im.width, h = im.height;
  const px = (x, y) => d.slice(4 * (y * w + x), 4 * (y * w + x) + 3).join();
  let inked = 0;
  for (let i = 0; i < d.length; i += 4) if (d[i] < 235 || d[i + 1] < 235 || d[i + 2] < 235) inked++;
  const colours = new Set();
  for (let i = 0; i < d.length; i += 4) colours.add(d.slice(i, i + 3).join());
  return {inked, colours: colours.size, across: px(1, h >> 1) !== px(w - 2, h >> 1), down: px(w >> 1, 1) !== px(w >> 1, h - 2)};
})"""


def test_four_feature_data_draws_each_neurons_activation_over_the_boundarys_plane(app_url, page):
    """Iris: the squares were empty boxes. Each neuron's is its activation over the two features the boundary
    shows; an input's is a ramp along its axis, flat (its mean) for a feature the plane does not show."""
    errors = watch_console(page)
    open_train(page, f"{app_url}/?dataset=iris&task=multiclass&loss=ce&layers=4")
    note = page.locator(".mgl-train .mgl-legend").filter(has_text="Squares:")
    note.wait_for()
    assert (
        "activation over sepal length (cm) × sepal width (cm) (the other features at their mean)" in note.inner_text()
    )
    page.wait_for_function(
        "() => document.querySelectorAll('.mgl-train .mgl-node').length === 4 + 4 + 3"
        " && document.querySelector('.mgl-train .mgl-net').dataset.step !== undefined"
    )
    page.wait_for_timeout(300)
    thumbs = page.evaluate(THUMBS_JS)
    x, y, petal_length, petal_width = thumbs[:4]
    assert x["across"] and not x["down"] and y["down"] and not y["across"], thumbs[:2]
    assert petal_length["colours"] == petal_width["colours"] == 1, thumbs[2:4]
    assert all(t["inked"] > 0 for t in thumbs[4:]), thumbs[4:]  # four hidden neurons and three outputs: drawn
    assert any(t["colours"] > 1 for t in thumbs[4:8]), thumbs[4:8]  # and they vary over the plane
    assert not errors, errors


EDGES_JS = """() => {
  const cv = document.querySelector('.mgl-train canvas.mgl-edges'), ctx = cv.getContext('2d');
  const r = cv.width / parseFloat(cv.style.width);
  const at = (e, t) => [...ctx.getImageData(Math.round(r * (e.x1 + t * (e.x2 - e.x1))),
                                            Math.round(r * (e.y1 + t * (e.y2 - e.y1))), 1, 1).data];
  return cv.mglEdges().map((e) => ({w: e.w, rgba: [0.35, 0.45, 0.55, 0.65].map((t) => at(e, t))}));
}"""


def test_each_edge_is_drawn_in_its_weights_colour_after_training(app_url, page):
    """The edges moved from SVG lines to one canvas: each strong edge is drawn blue for a positive weight, orange for
    a negative one, at the last step (a faint edge is nearly white)."""
    errors = watch_console(page)
    start_training(page, f"{app_url}/?layers=4&steps=60&speed=50", 1)
    page.wait_for_function("() => document.querySelector('.mgl-train .mgl-net')?.dataset.step === '60'", timeout=30_000)
    edges = page.evaluate(EDGES_JS)
    assert len(edges) == 2 * 4 + 4 * 1, edges  # 2-4-1: every weight an edge
    biggest = max(abs(e["w"]) for e in edges)
    strong = [e for e in edges if abs(e["w"]) > 0.5 * biggest]
    assert strong and {e["w"] > 0 for e in edges} == {True, False}, edges  # both signs occur in this run
    for e in strong:  # four points along the edge's middle (another edge may cross it at one of them)
        right = [a > 30 and ((b > r) if e["w"] > 0 else (r > b)) for r, g, b, a in e["rgba"]]
        assert sum(right) >= 3, e  # drawn, blue for a positive weight, orange for a negative (TF Playground's)
    assert not errors, errors


def test_one_feature_data_draws_each_neurons_activation_over_x(app_url, page):
    """The sine net's squares are pictures (they were blank) and the note says what they show."""
    errors = watch_console(page)
    open_train(page, f"{app_url}/?dataset=sine&layers=4")
    note = page.locator(".mgl-legend").filter(has_text="Squares:")
    note.wait_for()
    assert "activation over x, left to right" in note.inner_text()
    inked = page.evaluate(
        """() => [...document.querySelectorAll('.mgl-node')].map((b) => {
             const d = b.mglSquare().data;
             let n = 0;
             for (let i = 0; i < d.length; i += 4) if (d[i] < 235 || d[i + 1] < 235 || d[i + 2] < 235) n++;
             return n;
           })"""
    )
    assert len(inked) >= 5 and all(n > 0 for n in inked), inked  # x, four hidden neurons, the output: all drawn
    assert not errors, errors


def test_a_diverged_run_says_in_the_view_where_the_advice_is(app_url, page):
    """QA: at 1400 × 1000 the divergence message sat ~1,400 px down; the view's line said only "diverged · step 6"."""
    open_train(page, f"{app_url}/?lr=10&momentum=0.99&steps=200&speed=50&schedule=constant")
    sidebar_button(page, "Start").click()
    head = page.locator(".mgl-train .mgl-head[data-state=diverged]")
    head.wait_for(timeout=30_000)
    assert "why, and what to try: below the pictures" in head.inner_text()
    alert = page.get_by_test_id("stAlert").filter(has_text="Training diverged at step")
    alert.wait_for()
    assert "try 1)" in alert.inner_text()  # the sidebar's own choice at a tenth of lr 10


def test_the_page_trains_and_draws_with_every_outside_request_refused(app_url, page):
    """Issue 12: plain JS/CSS files in the repository, no CDN, works offline. Every request that leaves this server
    is refused: the Train page still loads, trains, and draws its boundary and network, and it asked for nothing
    outside (its components' code, styles and fonts all come from the server)."""
    from urllib.parse import urlsplit

    host, outside, asked = urlsplit(app_url).netloc, [], []

    def gate(route) -> None:
        url = urlsplit(route.request.url)
        asked.append(route.request.url)
        if url.scheme in ("data", "blob") or url.netloc == host:
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    page.route("**/*", gate)
    errors = watch_console(page)
    start_training(page, f"{app_url}/?steps=200&speed=50", 30)
    page.wait_for_function("() => +document.querySelector('.mgl-train .mgl-net')?.dataset.step >= 30", timeout=20_000)
    inked = [t["inked"] for t in page.evaluate(THUMBS_JS)]
    assert len(inked) == 2 + 16 + 16 + 1 and sum(n > 0 for n in inked) > 20, inked  # the network's squares drawn
    assert any("/component/" in u or u.endswith(".js") for u in asked), asked[:20]  # the gate saw the page's code
    assert not outside, outside
    assert not errors, errors
