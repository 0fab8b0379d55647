"""The Sandbox page's graph in Chromium: every node keeps its shape when the expression changes; labels are readable."""

import pytest

pytestmark = pytest.mark.browser

CHART = "[data-testid=stGraphVizChart] svg"

# Per node: its shape's tag and whether the tag fits the attributes (a polygon with an ellipse's cx/rx is the
# d3-graphviz transition bug: the node shows as text only), and whether the shape is filled.
SHAPES = """() => [...document.querySelectorAll('[data-testid=stGraphVizChart] svg g.node')].map(n => {
  const s = n.querySelector('polygon, ellipse, path');
  if (!s) return {title: n.querySelector('title')?.textContent, tag: null, ok: false, filled: false};
  const has = a => s.hasAttribute(a);
  const ok = s.tagName === 'polygon' ? has('points') && !has('cx') && !has('rx')
    : s.tagName === 'ellipse' ? has('rx') && has('ry') && !has('points') : true;
  const fill = s.getAttribute('fill');
  return {title: n.querySelector('title')?.textContent, tag: s.tagName, ok, filled: !!fill && fill !== 'none'};
})"""

# Each node label's size on screen: its CSS font size (Streamlit's stylesheet overrides the SVG attribute) times
# the SVG's scale to the screen.
LABEL_PX = """() => [...document.querySelectorAll('[data-testid=stGraphVizChart] svg g.node text')].map(
  t => parseFloat(getComputedStyle(t).fontSize) * t.getScreenCTM().a)"""


def open_sandbox(page, app_url):
    page.goto(f"{app_url}/sandbox")
    page.wait_for_selector(f"{CHART} g.node")
    page.wait_for_function(f"document.querySelectorAll('{CHART} g.node').length >= 40")  # the README preset


def nodes_after_change(page):
    """The shapes once the graph of a*b + c.tanh() is on screen (nodes a, b, *, c, tanh, +)."""
    page.wait_for_function(
        f"[...document.querySelectorAll('{CHART} g.node')].length < 40"
        f" && [...document.querySelectorAll('{CHART} g.node text')].some(t => t.textContent === 'tanh')"
    )
    page.wait_for_timeout(1500)  # d3-graphviz's transition, had it run, is over by now
    return page.evaluate(SHAPES)


def test_a_new_preset_draws_every_node_with_its_shape(page, app_url):
    open_sandbox(page, app_url)
    page.get_by_test_id("stSelectbox").filter(has_text="Preset").click()
    page.get_by_role("option", name="product plus tanh").click()
    shapes = nodes_after_change(page)
    assert all(s["ok"] and s["filled"] for s in shapes), shapes


def test_a_typed_expression_draws_every_node_with_its_shape(page, app_url):
    open_sandbox(page, app_url)
    box = page.get_by_role("textbox", name="Expression")
    box.fill("a*b + c.tanh()")
    box.press("Control+Enter")
    shapes = nodes_after_change(page)
    assert all(s["ok"] and s["filled"] for s in shapes), shapes
    c = page.get_by_test_id("stMainBlockContainer").get_by_role("spinbutton", name="c", exact=True)
    c.fill("0.25")  # a new value: the same graph, new numbers
    c.press("Enter")
    page.wait_for_function(
        f"[...document.querySelectorAll('{CHART} g.node text')].some(t => t.textContent === 'data 0.2500')"
    )
    page.wait_for_timeout(1500)
    shapes = page.evaluate(SHAPES)
    assert all(s["ok"] and s["filled"] for s in shapes), shapes


def test_the_readme_graph_labels_are_at_least_11_px(page, app_url):
    """At 1,500 px wide the README preset was scaled to fit the page's width: labels were ~5 px (7 px boxes)."""
    open_sandbox(page, app_url)
    sizes = page.evaluate(LABEL_PX)
    assert len(sizes) > 100 and min(sizes) >= 11, sorted(sizes)[:5]
    width = page.evaluate(f"document.querySelector('{CHART}').getBoundingClientRect().width")
    main = page.evaluate("document.querySelector('[data-testid=stMainBlockContainer]').getBoundingClientRect().width")
    assert width <= main  # it fits the page: no sideways scrolling


# Per node: the hover text the browser shows over its shape (Graphviz's tooltip is the title of a link around it).
TIPS = """() => [...document.querySelectorAll('[data-testid=stGraphVizChart] svg g.node')].map(n => {
  const a = n.querySelector('a');
  return a ? (a.getAttribute('xlink:title') || a.getAttribute('title')) : null;
})"""


def test_hovering_a_node_says_what_it_is_not_its_internal_name(page, app_url):
    """The browser's hover text was the node's DOT name (n<key>_<id>), meaningless to a reader."""
    open_sandbox(page, app_url)
    box = page.get_by_role("textbox", name="Expression")
    box.fill("a*b + c.tanh()")
    box.press("Control+Enter")
    nodes_after_change(page)
    tips = page.evaluate(TIPS)
    assert len(tips) == 6 and all(tips), tips
    assert any(t.startswith("a (variable): data ") and ", grad " in t for t in tips), tips
    assert any(t.startswith("tanh (operation): data ") for t in tips), tips
    assert any(t.startswith("+ (output): data ") and t.endswith("grad 1.0000") for t in tips), tips
    assert not any(t.startswith("n") and "_" in t.split(":")[0] for t in tips), tips


# Per box-shaped node (inputs, parameters, constants): how far its widest text line stays inside the box, in px.
BOX_ROOM = """() => [...document.querySelectorAll('[data-testid=stGraphVizChart] svg g.node')].flatMap(n => {
  const box = n.querySelector('polygon'), texts = [...n.querySelectorAll('text')];
  if (!box || !texts.length) return [];
  const b = box.getBoundingClientRect();
  return [Math.min(...texts.map(t => { const r = t.getBoundingClientRect(); return Math.min(r.left - b.left, b.right - r.right); }))];
})"""


def test_no_text_touches_the_border_of_its_box(page, app_url):
    """QA: the README preset's constants read "grad -13.8834" against both sides of their dotted boxes."""
    open_sandbox(page, app_url)
    page.wait_for_timeout(1000)
    room = page.evaluate(BOX_ROOM)
    assert len(room) >= 5 and min(room) >= 2, sorted(room)[:5]
