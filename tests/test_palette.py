"""One palette on every page (issue 12): TF Playground's blue for positive / class +1, orange for negative / class -1."""

from __future__ import annotations

import re
from pathlib import Path

from micrograd.nn import MLP
from micrograd.views import classes, live, palette, plots
from micrograd.views import graph as G

ROOT = Path(__file__).resolve().parents[1]
BLUE, ORANGE = "#0877bd", "#f59322"


def test_the_palette_is_tf_playgrounds():
    assert (palette.POSITIVE, palette.NEGATIVE) == (BLUE, ORANGE)
    assert palette.DIVERGING[0][1] == ORANGE and palette.DIVERGING[-1][1] == BLUE
    assert palette.rgb(BLUE) == (8, 119, 189)


def test_every_python_view_colours_positive_blue_and_negative_orange():
    assert (plots.POS, plots.NEG) == (BLUE, ORANGE)
    assert plots.BOUNDARY_SCALE[0][1] == ORANGE and plots.BOUNDARY_SCALE[-1][1] == BLUE
    assert (live.PALETTE["positive"], live.PALETTE["negative"]) == (BLUE, ORANGE)
    assert classes.CLASS_COLOURS[:2] == (ORANGE, BLUE)  # class 0 (-1) orange, class 1 (+1) blue
    assert (G.grad_colour(2.0, 2.0), G.grad_colour(-2.0, 2.0)) == (BLUE, ORANGE)


def test_the_neuron_views_dot_draws_positive_weights_blue_and_negative_orange():
    model = MLP(2, [3, 1], "tanh", seed=1)
    for p, w in zip(model.parameters(), [0.5, -0.5] * 10):
        p.data = w
    ns = G.neuron_snapshot(model, [0.3, -0.2], 1.0, "svm")
    dot = G.neuron_dot(ns)  # bigger nets on the Graph page, and the opened neuron
    for li, j, i, w, _ in ns.weights:
        src = f"in{i}" if li == 0 else f"h{li - 1}_{i}"
        edge = re.search(rf'  {src} -> h{li}_{j} \[color="(#[0-9a-f]+)"', dot)
        assert edge is not None and edge.group(1) == (BLUE if w > 0 else ORANGE)
    assert "red" not in dot.split("legend", 1)[-1]  # the legend names the colours it draws


def test_the_live_views_paint_with_the_palette_they_are_sent():
    # train_net.js, train_view.js and paint.js take their colours from the static part's palette, never their own
    for name in ("train_net.js", "train_view.js", "paint.js", "net_view.js"):
        js = (ROOT / "ui" / "components" / name).read_text()
        assert not re.search(r"#(?:e6550d|d6604d|4393c3|2b6cb0)|RdBu", js), name
    net = (ROOT / "ui" / "components" / "train_net.js").read_text()
    # the edges: drawn with the static part's palette (tests/test_browser_live.py checks the colours on screen)
    assert "drawEdges(v, s.palette)" in net and '=== "+" ? pal.positive : ' in net


def test_the_live_graph_canvas_has_the_same_two_colours():
    js = (ROOT / "ui" / "components" / "graph_codec.js").read_text()
    pos = re.search(r"POS = \[(\d+), (\d+), (\d+)\]", js)
    neg = re.search(r"NEG = \[(\d+), (\d+), (\d+)\]", js)
    assert pos and neg
    assert tuple(map(int, pos.groups())) == palette.rgb(BLUE)
    assert tuple(map(int, neg.groups())) == palette.rgb(ORANGE)
    # and its legend's ramp (a CSS gradient): orange for negative on the left, blue for positive on the right
    css = (ROOT / "ui" / "components" / "graph_view.css").read_text()
    ramp = re.search(r"\.mgg-ramp \{[^}]*linear-gradient\(90deg, rgb\(([\d, ]+)\), #fff, rgb\(([\d, ]+)\)\)", css)
    assert ramp, "the graph legend's ramp is not a two-colour gradient any more"
    left, right = (tuple(int(c) for c in g.split(",")) for g in ramp.groups())
    assert (left, right) == (palette.rgb(ORANGE), palette.rgb(BLUE))


def test_no_page_legend_speaks_of_red_for_a_sign():
    for page in (ROOT / "pages").glob("*.py"):
        text = page.read_text()
        assert not re.search(r"red [<>=]|red w|red gradient|\(red|orange-red", text), page.name
