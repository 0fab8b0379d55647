"""In a real browser: the live views read in the dark theme (the OS's choice, which Streamlit follows) and in
projector mode, and the Train view fits a phone (its pictures shrink; the network scrolls sideways). QA found the views' words dark on dark,
the Graph page's buttons white on white and the pictures cut off on a phone."""

import pytest
from playwright.sync_api import expect

from tests.test_browser import paused_step, sidebar_button, wait_for_app, wait_for_settings, wait_idle

# WCAG contrast of an element's text against what is behind it (alpha blended), in the page itself
CONTRAST_JS = """(sel) => {
  const e = document.querySelector(sel);
  if (!e) return null;
  const probe = document.createElement('canvas').getContext('2d');
  const rgba = (c) => { probe.clearRect(0, 0, 1, 1); probe.fillStyle = '#000'; probe.fillStyle = c; probe.fillRect(0, 0, 1, 1);
    return [...probe.getImageData(0, 0, 1, 1).data].map((x, i) => i < 3 ? x : x / 255); };
  let bg = [255, 255, 255, 1];
  for (let x = e; x; x = x.parentElement) {
    const b = rgba(getComputedStyle(x).backgroundColor);
    if (b[3] > 0) { bg = b; break; }
  }
  if (bg[3] === 0 || document.body === null) bg = [255, 255, 255, 1];
  const fg = rgba(getComputedStyle(e).color), a = fg[3];
  const mix = fg.slice(0, 3).map((c, i) => c * a + bg[i] * (1 - a));
  const lum = (rgb) => rgb.map((v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; })
    .reduce((s, v, i) => s + v * [0.2126, 0.7152, 0.0722][i], 0);
  const [l1, l2] = [lum(mix), lum(bg.slice(0, 3))];
  return (Math.max(l1, l2) + 0.05) / (Math.min(l1, l2) + 0.05);
}"""
# the chosen Trace/Draw button's background against the page's (QA: dark slate on the dark page)
CHOSEN_JS = """() => {
  const probe = document.createElement('canvas').getContext('2d');
  const lum = (c) => { probe.fillStyle = c; probe.fillRect(0, 0, 1, 1);
    return [...probe.getImageData(0, 0, 1, 1).data].slice(0, 3).map((v) => { v /= 255;
      return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; }).reduce((s, v, i) => s + v * [0.2126, 0.7152, 0.0722][i], 0); };
  const a = lum(getComputedStyle(document.querySelector('.mgl-btn.mgl-on')).backgroundColor);
  const b = lum(getComputedStyle(document.querySelector('.stApp')).backgroundColor);
  return (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
}"""
# the curve canvases: the colour of a pixel in their corner (their own panel, drawn by paint.js)
CORNER_JS = "() => [...document.querySelector('canvas.mgl-curve').getContext('2d').getImageData(2, 2, 1, 1).data]"


def contrast(page, selector: str) -> float:
    got = page.evaluate(CONTRAST_JS, selector)
    assert got is not None, f"no {selector} on the page"
    return got


@pytest.fixture(params=["dark", "light"])
def themed(request, browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, color_scheme=request.param)
    page = context.new_page()
    page.set_default_timeout(30_000)
    yield page, request.param
    context.close()


def test_the_train_and_graph_views_read_in_either_theme(app_url, themed):
    page, theme = themed
    page.goto(f"{app_url}/?steps=30")
    wait_for_app(page)
    bg = page.evaluate("() => getComputedStyle(document.querySelector('.stApp')).backgroundColor")
    assert (bg == "rgb(255, 255, 255)") == (theme == "light"), bg  # Streamlit follows the colour scheme
    sidebar_button(page, "Start").click()
    page.wait_for_function("() => +document.querySelector('canvas.mgl-boundary').dataset.step >= 5")
    for sel in (".mgl-head", ".mgl-mvalue", ".mgl-mlabel", ".mgl-title", ".mgl-legend", ".mgl-status"):
        assert contrast(page, sel) >= 4.5, (theme, sel)
    assert page.evaluate(CORNER_JS) == [255, 255, 255, 255]  # the curves sit on a white panel, as the boundary
    assert page.evaluate(CHOSEN_JS) >= 3  # the chosen button stands out from the page (WCAG's 3:1 for controls)
    page.goto(f"{app_url}/graph?steps=30")
    page.locator(".mgg-bar button").first.wait_for()
    for sel in (".mgg-bar button", ".mgg-status", ".mgg-lnote", ".mgg-kind"):
        assert contrast(page, sel) >= 4.5, (theme, sel)


def test_projector_mode_in_the_dark_theme_is_light_on_dark(app_url, browser):
    context = browser.new_context(viewport={"width": 1280, "height": 720}, color_scheme="dark")
    page = context.new_page()
    try:
        page.goto(f"{app_url}/?projector=1")
        page.locator("canvas.mgl-boundary").wait_for(timeout=60_000)
        wait_for_settings(page)  # a first visit draws the settings (the number box read below) after its first screen
        for sel in (
            "h1",
            ".stMain p",
            ".mgl-head",
            ".mgl-mlabel",
            ".mgl-legend",
            ".stMain [data-testid=stCaptionContainer] p",
        ):
            assert contrast(page, sel) >= 7, sel  # high contrast is projector mode's point (captions: QA)
        caption = "() => getComputedStyle(document.querySelector('.stMain [data-testid=stCaptionContainer]')).opacity"
        assert page.evaluate(caption) == "1"  # Streamlit greys a caption by opacity 0.6, which contrast() cannot see
        size = "() => getComputedStyle(document.querySelector('[data-testid=stSidebar] input')).fontSize"
        assert page.evaluate(size) == "20px"  # a number box's value as large as its label (QA)
        # the pictures grow with the words (QA: the boundary stayed 440 px, its tick labels 9 px)
        sizes = page.evaluate(
            "() => [...document.querySelectorAll('canvas.mgl-boundary, canvas.mgl-curve')]"
            ".map((c) => Math.round(c.getBoundingClientRect().width))"
        )
        assert sizes and min(sizes) >= 560, sizes
        page.goto(f"{app_url}/graph?projector=1")
        page.locator(".mgg-bar button").first.wait_for(timeout=60_000)
        for sel in (".mgg-status", ".stMain [data-testid=stCaptionContainer] p"):
            assert contrast(page, sel) >= 7, sel  # the Graph view's status line was greyed (QA)
    finally:
        context.close()


@pytest.fixture
def phone(app_url, browser):
    """The Train page on a phone: 390 px wide, touch, the boundary drawn."""
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    page = context.new_page()
    page.goto(app_url)
    page.locator("canvas.mgl-boundary").wait_for(timeout=60_000)
    wait_for_settings(page)  # the whole page, and no run still in progress
    wait_idle(page)
    yield page
    context.close()


NET_EXTENT_JS = """() => { const t = document.querySelector('.mgl-train'), r = t.getBoundingClientRect();
  const rights = [...t.querySelectorAll('.mgl-net .mgl-node')].map((b) => b.getBoundingClientRect().right);
  return [t.clientWidth, t.scrollWidth, getComputedStyle(t).overflowX, Math.max(...rights) - r.left]; }"""


def test_on_a_phone_the_network_fits_its_width_and_a_deeper_one_scrolls_sideways(phone, app_url):
    """QA: at 390 px the 2-16-16-1 picture was 439 px wide: its output neuron and edges were off screen."""
    width, content, overflow, right = phone.evaluate(NET_EXTENT_JS)
    assert content == width and right <= width and overflow == "auto", (width, content, right)
    # columns close up only so far (MIN_COL in train_net.js): a deeper net scrolls sideways instead of being cut
    phone.goto(f"{app_url}/?layers=8,8,8,8,8")
    phone.wait_for_function("() => document.querySelectorAll('.mgl-train .mgl-net .mgl-node').length === 43")
    width, content, overflow, right = phone.evaluate(NET_EXTENT_JS)
    assert content > width and right > width and overflow == "auto", (width, content, right)
    phone.evaluate("() => { const t = document.querySelector('.mgl-train'); t.scrollLeft = t.scrollWidth; }")
    out = phone.evaluate("() => [...document.querySelectorAll('.mgl-net .mgl-node')].at(-1).getBoundingClientRect()")
    assert out["x"] >= 0 and out["x"] + out["width"] <= 390  # the output neuron can be brought on screen


def test_on_a_phone_the_boundary_and_the_curves_shrink_to_its_width(phone):
    """QA: at 390 px the 440 px boundary and curves were cut off on the right (the axis's end out of sight)."""
    boxes = phone.evaluate(
        """() => { const t = document.querySelector('.mgl-train').getBoundingClientRect();
             return [...document.querySelectorAll('.mgl-train canvas.mgl-boundary, .mgl-train canvas.mgl-curve')]
               .map((c) => { const r = c.getBoundingClientRect();
                 return {left: r.left - t.left, right: t.right - r.right, ratio: r.width / r.height,
                         own: c.width / c.height, width: r.width}; }); }"""
    )
    assert len(boxes) == 3, boxes  # the boundary and two curves
    assert all(b["left"] >= 0 and b["right"] >= 0 and b["width"] < 440 for b in boxes), boxes
    assert all(abs(b["ratio"] - b["own"]) < 0.02 for b in boxes), boxes  # scaled, not squeezed


def test_on_a_phone_the_view_has_its_run_buttons_and_they_train_stop_step_and_reset(phone):
    """QA: on a phone Streamlit folds the sidebar away, Start with it, while the page says "then press Start"; and a
    finished run had no Reset there."""
    box = phone.get_by_test_id("stSidebar").get_by_role("button", name="Start").bounding_box()
    assert box is None or box["x"] + box["width"] <= 0, box  # the sidebar's Start: folded away, off the screen
    buttons = phone.locator(".mgl-train .mgl-run button")
    expect(buttons).to_have_count(4)
    start, pause, step_button, reset = buttons.all()
    assert [b.inner_text() for b in buttons.all()] == ["Start", "Pause", "Step", "Reset"]
    assert all(b.bounding_box()["x"] + b.bounding_box()["width"] <= 390 for b in buttons.all())  # in one row, on screen
    expect(start).to_be_enabled()  # once the view has the run's state
    assert start.is_visible() and pause.is_disabled()
    start.tap()
    # past the steps played ahead of the server at Start (micrograd.views.live.AHEAD_SECONDS): the trainer's own
    phone.wait_for_function("() => +document.querySelector('canvas.mgl-boundary').dataset.step >= 30", timeout=30_000)
    phone.wait_for_function("() => !document.querySelectorAll('.mgl-train .mgl-run button')[1].disabled")
    assert start.is_disabled()
    pause.tap()
    head = phone.locator(".mgl-train .mgl-head[data-state=paused]")
    head.wait_for(timeout=10_000)  # said at once, then the server's update confirms it
    step = paused_step(phone)  # the server's step, and the view shows it
    phone.wait_for_timeout(1500)
    assert int(phone.locator("canvas.mgl-boundary").get_attribute("data-step")) == step  # stopped: no step since
    assert start.is_enabled() and pause.is_disabled()
    step_button.tap()
    phone.wait_for_function(f"() => +document.querySelector('canvas.mgl-boundary').dataset.step === {step + 1}")
    reset.tap()
    phone.wait_for_function("() => document.querySelector('canvas.mgl-boundary').dataset.step === '0'")
    expect(start).to_be_enabled()


def test_on_a_wide_screen_the_views_own_start_shows_only_when_the_sidebar_is_folded(app_url, page):
    page.goto(app_url)
    wait_for_settings(page)
    expect(page.locator(".mgl-train .mgl-run button")).to_have_count(4)
    expect(page.locator(".mgl-train .mgl-run button").first).to_be_enabled()  # the view has the run's state
    assert not page.locator(".mgl-train .mgl-run button").first.is_visible()
    assert sidebar_button(page, "Start").is_visible()
    # a folded sidebar takes its Start out of sight: the view's own shows (QA)
    page.get_by_test_id("stSidebar").hover()
    page.get_by_test_id("stSidebarCollapseButton").locator("button").click()
    expect(page.get_by_test_id("stSidebar")).to_have_attribute("data-collapsed", "true")
    expect(page.locator(".mgl-train .mgl-run button").first).to_be_visible()


def test_on_a_phone_a_tap_on_a_neuron_shows_its_formula_and_a_second_hides_it(phone):
    """A touch has no hover; the formula was out of reach on a phone (QA)."""
    node = phone.locator(".mgl-node").nth(3)  # h1.2: a neuron, not an input
    node.scroll_into_view_if_needed()
    tip = phone.locator(".mgl-train .mgl-tip").first
    node.tap()
    phone.wait_for_function("() => getComputedStyle(document.querySelector('.mgl-train .mgl-tip')).display === 'block'")
    assert "h1.2" in tip.inner_text() and "weights at step 0" in tip.inner_text()
    node.tap()
    phone.wait_for_function("() => getComputedStyle(document.querySelector('.mgl-train .mgl-tip')).display === 'none'")


# each neuron name's right edge and the left edge of the next column's boxes, and its full name (title)
NAMES_JS = """() => {
  const boxes = [...document.querySelectorAll('.mgl-train .mgl-net .mgl-node')];
  const lefts = [...new Set(boxes.map((b) => Math.round(b.getBoundingClientRect().left)))].sort((a, b) => a - b);
  return boxes.map((b) => {
    const n = b.querySelector('.mgl-name'), r = n.getBoundingClientRect();
    const next = lefts.find((x) => x > Math.round(b.getBoundingClientRect().left) + 1);
    return {name: b.dataset.name, title: n.title, right: r.right, next: next ?? Infinity};
  });
}"""


def open_net(page, app_url: str, dataset: str, nodes: int) -> None:
    """The Train page on a dataset, once its network picture has more than ``nodes`` boxes."""
    page.goto(f"{app_url}/?dataset={dataset}")
    wait_for_app(page)
    page.wait_for_function(f"() => document.querySelectorAll('.mgl-train .mgl-net .mgl-node').length > {nodes}")


def test_long_input_names_stop_before_the_next_column(app_url, page):
    """QA: iris's "sepal length (cm)" ran across the edges into the first hidden layer."""
    open_net(page, app_url, "iris", 10)
    names = page.evaluate(NAMES_JS)
    inputs = [n for n in names if n["name"].endswith("(cm)")]
    assert len(inputs) == 4 and all(n["title"] == n["name"] for n in names)
    assert all(n["right"] <= n["next"] - 4 for n in names), [n for n in names if n["right"] > n["next"] - 4]


NET_JS = """() => {
  const net = document.querySelector('.mgl-train .mgl-net');
  const boxes = [...net.querySelectorAll('.mgl-node')].map((b) => b.getBoundingClientRect());
  const left = Math.min(...boxes.map((r) => r.left));
  const inputs = boxes.filter((r) => Math.abs(r.left - left) < 1);
  const line = net.querySelector('canvas.mgl-edges').mglEdges()[0], first = inputs[0], o = net.getBoundingClientRect();
  return {height: o.height, inputs: inputs.map((r) => [r.width, r.height]), tiny: net.querySelectorAll('.mgl-tiny').length,
          others: boxes.filter((r) => r.left - left >= 1).map((r) => r.width),
          edge: [line.x1 + o.left - first.left, line.y1 + o.top - first.top]};
}"""


def test_a_net_with_many_inputs_draws_them_small_so_the_picture_fits_the_page(app_url, page):
    """QA: digits' 64 inputs made the network picture ~4,000 px tall, the evaluation below it out of reach."""
    open_net(page, app_url, "digits", 64)
    net = page.evaluate(NET_JS)
    assert len(net["inputs"]) == 64 == net["tiny"] and all(w == h == 10 for w, h in net["inputs"]), net["inputs"][:3]
    assert set(net["others"]) == {45} and net["height"] < 1000, net["height"]  # 16 neurons of 45 px set the height
    assert net["edge"] == [10, 5]  # edges leave an input from its right side's middle


def test_the_legend_names_test_points_only_when_there_are_some(app_url, page):
    """QA: drawn points (no test set) had a legend promising "black rings: test points"."""
    legend = ".mgl-train .mgl-legend >> nth=0"
    page.goto(f"{app_url}/?test_fraction=0")
    wait_for_app(page)
    text = page.locator(legend).inner_text()
    assert "dots: training points" in text and "test points" not in text
    page.goto(f"{app_url}/")
    wait_for_app(page)
    assert "dots: training points, black rings: test points" in page.locator(legend).inner_text()


KEYS_JS = """() => [...document.querySelectorAll('.mgl-train .mgl-legend .mgl-sw')].map((sw) => {
  const words = document.createRange();
  words.selectNodeContents(sw.parentElement);
  words.setStartAfter(sw);
  const a = sw.getBoundingClientRect(), rects = [...words.getClientRects()].filter((r) => r.width > 0);
  return {text: words.toString().trim(), gap: rects.length ? rects[0].top - a.top : null};
})"""


def test_a_legend_colour_stays_on_the_line_of_its_words(app_url, page):
    """QA: spiral's key read "■ 0 ■ 1 ■ 2 ■" with "3" on the next line (iris: "setosa ■" / "versicolor")."""
    for url in ("/?dataset=spiral&task=multiclass&classes=4&loss=ce", "/?dataset=iris&task=multiclass&loss=ce", "/"):
        page.goto(app_url + url)
        wait_for_app(page)
        keys = page.evaluate(KEYS_JS)
        assert len(keys) >= 2 and all(k["text"] for k in keys), keys
        assert all(k["gap"] is not None and abs(k["gap"]) < 8 for k in keys), keys  # the words start on its line
