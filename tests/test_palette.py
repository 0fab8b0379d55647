"""One palette on every page (issue 12): TF Playground's blue for positive / class +1, orange for negative / class -1."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from micrograd.nn import MLP
from micrograd.views import classes, live, network, palette, plots
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
    assert (network.POSITIVE, network.NEGATIVE) == (BLUE, ORANGE)
    assert classes.CLASS_COLOURS[:2] == (ORANGE, BLUE)  # class 0 (-1) orange, class 1 (+1) blue
    assert (G.grad_colour(2.0, 2.0), G.grad_colour(-2.0, 2.0)) == (BLUE, ORANGE)


def test_the_network_figures_heat_maps_and_edges_use_it():
    model = MLP(2, [3, 1], "tanh", seed=1)
    fig = network.network_figure(
        [network.DenseLayer(np.array([[1.0, -1.0]] * 3), np.zeros(3), "tanh"), *_out_layer()],
        feature_names=["x1", "x2"],
        x_range=(-1.0, 1.0),
        y_range=(-1.0, 1.0),
    )
    heat = [t for t in fig.data if t.type == "heatmap"]
    assert heat and all(t.colorscale[0][1] == ORANGE and t.colorscale[-1][1] == BLUE for t in heat)
    colours = {t.line.color for t in fig.data if t.type == "scatter" and t.mode == "lines"}
    assert colours == {BLUE, ORANGE}
    # the neuron view's DOT (bigger nets on the Graph page) draws w > 0 blue and w < 0 orange
    for p, w in zip(model.parameters(), [0.5, -0.5] * 10):
        p.data = w
    ns = G.neuron_snapshot(model, [0.3, -0.2], 1.0, "svm")
    dot = G.neuron_dot(ns)
    for li, j, i, w, _ in ns.weights:
        src = f"in{i}" if li == 0 else f"h{li - 1}_{i}"
        edge = re.search(rf'  {src} -> h{li}_{j} \[color="(#[0-9a-f]+)"', dot)
        assert edge is not None and edge.group(1) == (BLUE if w > 0 else ORANGE)
    assert f'color="{BLUE}"' in dot and f'color="{ORANGE}"' in dot
    assert "red" not in dot.split("legend", 1)[-1]  # the legend names the colours it draws


def _out_layer():
    return [network.DenseLayer(np.array([[1.0, -2.0, 0.5]]), np.zeros(1), "linear")]


def test_the_live_graph_canvas_has_the_same_two_colours():
    js = (ROOT / "ui" / "components" / "graph_codec.js").read_text()
    pos = re.search(r"POS = \[(\d+), (\d+), (\d+)\]", js)
    neg = re.search(r"NEG = \[(\d+), (\d+), (\d+)\]", js)
    assert pos and neg
    assert tuple(map(int, pos.groups())) == palette.rgb(BLUE)
    assert tuple(map(int, neg.groups())) == palette.rgb(ORANGE)


def test_no_page_legend_speaks_of_red_for_a_sign():
    for page in (ROOT / "pages").glob("*.py"):
        text = page.read_text()
        assert not re.search(r"red [<>=]|red w|red gradient|\(red|orange-red", text), page.name
