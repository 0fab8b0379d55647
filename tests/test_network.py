"""The network figure: neuron markers, weight edges by sign and size, hover formulas, heat maps, speed."""

from __future__ import annotations

import numpy as np
import pytest

from micrograd.fast.numeric import DenseLayer, forward_all, grid, layers_of
from micrograd.nn import MLP
from micrograd.views.network import NEGATIVE, POSITIVE, formula, network_figure

RANGES = {"x_range": (-2.0, 2.0), "y_range": (-1.5, 1.0)}


def hand_layers() -> list[DenseLayer]:
    """2-3-1 with known weights: tiny, medium and large magnitudes of both signs."""
    w1 = np.array([[0.53, -1.20], [0.05, 2.0], [-0.3, -0.01]])
    return [
        DenseLayer(w1, np.array([0.10, -0.5, 0.0]), "relu"),
        DenseLayer(np.array([[1.5, -2.0, 0.2]]), np.array([0.25]), "linear"),
    ]


def traces(fig, kind):
    return [t for t in fig.data if t.type == kind]


def markers(fig):
    return [t for t in traces(fig, "scatter") if t.mode and "markers" in t.mode]


def gaps(xs) -> int:
    """Segments in an edge trace: each is (from, to, NaN)."""
    return int(np.isnan(np.asarray(xs, dtype=float)).sum())


def edges(fig):
    return [t for t in traces(fig, "scatter") if t.mode == "lines"]


def test_one_marker_per_neuron_and_input():
    layers = layers_of(MLP(3, [5, 4, 1], seed=0))
    fig = network_figure(layers, feature_names=["a", "b", "c"])
    assert sum(len(t.x) for t in markers(fig)) == 3 + 5 + 4 + 1
    assert traces(fig, "heatmap") == []  # 3-D inputs: no planes
    assert fig.layout.uirevision


def test_edges_colour_by_sign_and_width_by_size():
    layers = hand_layers()
    fig = network_figure(layers, feature_names=["x1", "x2"])
    es = edges(fig)
    assert len(es) <= 6  # a handful of traces, whatever the width
    n_edges = sum(gaps(t.x) for t in es)  # each segment ends in a NaN break
    assert n_edges == 6 + 3
    all_w = np.concatenate([layer.weight.ravel() for layer in layers])
    assert sum(gaps(t.x) for t in es if t.line.color == POSITIVE) == int((all_w > 0).sum())
    assert sum(gaps(t.x) for t in es if t.line.color == NEGATIVE) == int((all_w < 0).sum())
    # the largest |w| (2.0, positive, and -2.0, negative) sit in the widest traces; 0.01 and 0.05 in the thinnest
    widest = max(t.line.width for t in es)
    thinnest = min(t.line.width for t in es)
    assert widest > 2 * thinnest
    by_width = sorted(es, key=lambda t: t.line.width)
    assert by_width[-1].line.width == widest and by_width[0].line.width == thinnest


def _edge_width(fig, x0, y0, x1, y1):
    for t in edges(fig):
        xs, ys = list(t.x), list(t.y)
        for k in range(0, len(xs), 3):
            if (xs[k], ys[k], xs[k + 1], ys[k + 1]) == (x0, y0, x1, y1):
                return t.line.width, t.line.color
    raise AssertionError("edge not found")


def test_edge_styles_follow_each_weight():
    fig = network_figure(hand_layers(), feature_names=["x1", "x2"])
    pos = {name: (x, y) for t in markers(fig) for name, x, y in zip(t.text, t.x, t.y)}
    big, tiny = _edge_width(fig, *pos["x2"], *pos["h1.2"]), _edge_width(fig, *pos["x2"], *pos["h1.3"])
    assert big[1] == POSITIVE and tiny[1] == NEGATIVE and big[0] > tiny[0]  # w = 2.0 vs w = -0.01
    neg = _edge_width(fig, *pos["h1.2"], *pos["out.1"])
    assert neg[1] == NEGATIVE and neg[0] == big[0]  # |-2.0| == |2.0|: same width bucket


def test_hover_shows_the_formula_with_numbers():
    layers = hand_layers()
    fig = network_figure(layers, feature_names=["x1", "x2"])
    hover = " ".join(h for t in markers(fig) for h in t.hovertext)
    assert "a = relu(0.53·x1 − 1.20·x2 + 0.10)" in hover
    assert "a = relu(0.05·x1 + 2.00·x2 − 0.50)" in hover
    assert "a = 1.50·h1.1 − 2.00·h1.2 + 0.20·h1.3 + 0.25" in hover  # linear output: no wrapper


def test_long_sums_are_truncated():
    layer = DenseLayer(np.arange(16, dtype=float).reshape(1, 16) - 8, np.zeros(1), "tanh")
    text = formula(layer, 0, [f"h{i}" for i in range(16)])
    assert text.startswith("a = tanh(−8.00·h0 − 7.00·h1") and "(10 more terms)" in text and "h6" not in text


def test_hover_shows_the_example_activations():
    layers = hand_layers()
    acts = forward_all(layers, np.array([[0.4, -0.7]]))
    fig = network_figure(layers, feature_names=["x1", "x2"], activations_of_example=acts)
    hover = " ".join(h for t in markers(fig) for h in t.hovertext)
    for out in acts:
        for v in out[0]:
            assert f"a = {v:.3f}" in hover


def test_heat_maps_equal_numpy_activations():
    layers = layers_of(MLP(2, [4, 3, 1], activation="tanh", seed=2))
    n = 12
    fig = network_figure(layers, feature_names=["x1", "x2"], X_plane_resolution=n, **RANGES)
    maps = traces(fig, "heatmap")
    assert len(maps) == 3  # one per layer column, each neuron a block in it
    xs, ys, pts = grid(RANGES["x_range"], RANGES["y_range"], n)
    outs = forward_all(layers, pts)
    for hm, out in zip(maps, outs):
        k = out.shape[1]
        raw, z, y = np.asarray(hm.customdata), np.asarray(hm.z), np.asarray(hm.y)
        assert raw.shape == (k * (n + 2) - 2, n) and np.all(np.diff(y) > 0)  # rows bottom to top
        for j in range(k):  # neuron j (top to bottom) is block k - 1 - j from the bottom
            r = (k - 1 - j) * (n + 2)
            want = out[:, j].reshape(n, n)
            np.testing.assert_array_equal(raw[r : r + n], want)
            np.testing.assert_allclose(z[r : r + n], want / np.abs(want).max())  # colours scaled per neuron
            assert abs(y[r : r + n].mean() - ((k - 1) / 2.0 - j)) < 1e-12  # centred on the neuron's marker
            if j:  # NaN rows between neurons
                assert np.isnan(z[r - 2 : r]).all()
    # the corner of the plane with the largest x and y is the top right of each inset
    top = np.asarray(maps[0].customdata)[-n:]  # the top block is neuron 0
    assert top[-1, -1] == outs[0][-1, 0] and np.asarray(maps[0].x)[-1] > np.asarray(maps[0].x)[0]


def test_uirevision_is_stable_per_architecture():
    a = network_figure(layers_of(MLP(2, [3, 1], seed=0)), feature_names=["x1", "x2"])
    b = network_figure(layers_of(MLP(2, [3, 1], seed=9)), feature_names=["x1", "x2"])
    c = network_figure(layers_of(MLP(2, [4, 1], seed=0)), feature_names=["x1", "x2"])
    assert a.layout.uirevision == b.layout.uirevision != c.layout.uirevision


def test_figure_serialises():
    fig = network_figure(hand_layers(), feature_names=["x1", "x2"], **RANGES)
    assert '"heatmap"' in fig.to_json()


def test_bad_arguments():
    with pytest.raises(ValueError, match="1 feature names for 2 inputs"):
        network_figure(hand_layers(), feature_names=["x1"])
    with pytest.raises(ValueError, match="X_plane_resolution"):
        network_figure(hand_layers(), feature_names=["x1", "x2"], X_plane_resolution=1, **RANGES)


def test_a_wide_network_is_a_handful_of_traces():
    """Speed lives in bench/run.py (UI workload); what keeps it fast is one heat map per layer, whatever the width."""
    layers = layers_of(MLP(2, [64] * 6 + [1], seed=0))
    fig = network_figure(layers, feature_names=["x1", "x2"], **RANGES)
    assert len(traces(fig, "heatmap")) == 7 and len(edges(fig)) <= 6 and len(markers(fig)) == 8


def test_a_diverged_network_still_draws():
    layers = layers_of(MLP(2, [3, 1], seed=0))
    layers[0].weight[:] = np.nan  # a divergence: the first layer is all nan
    layers[1].weight[0, 0] = np.inf
    fig = network_figure(layers, feature_names=["x1", "x2"], x_range=(-1, 1), y_range=(-1, 1))
    edges = [t for t in fig.data if t.type == "scatter" and t.mode == "lines"]
    assert sum(gaps(t.x) for t in edges) == 2  # the two finite weights left
