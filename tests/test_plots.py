"""The dashboard's figure builders: trace content, colours, and that the heat map is the model's real score."""

import numpy as np
import pytest

from micrograd.fast import numeric
from micrograd.nn import MLP
from micrograd.views import compare, plots


@pytest.fixture
def setup():
    rng = np.random.default_rng(0)
    X_train, X_test = rng.normal(size=(40, 2)), rng.normal(size=(10, 2))
    y_train, y_test = np.where(X_train[:, 0] > 0, 1.0, -1.0), np.where(X_test[:, 0] > 0, 1.0, -1.0)
    layers = numeric.layers_of(MLP(2, [5, 1], "tanh", seed=3))
    return layers, X_train, y_train, X_test, y_test


def test_boundary_heatmap_is_the_score_on_the_grid(setup):
    layers, X_train, y_train, X_test, y_test = setup
    fig = plots.boundary_figure(layers, X_train, y_train, X_test, y_test, ["a", "b"])
    heat = fig.data[0]
    z = np.asarray(heat.z)
    assert heat.type == "heatmap" and z.shape == (100, 100)
    xs, ys = np.asarray(heat.x), np.asarray(heat.y)
    X_all = np.vstack([X_train, X_test])
    assert xs[0] < X_all[:, 0].min() and xs[-1] > X_all[:, 0].max()  # the plane covers every point
    gx, gy = np.meshgrid(xs, ys)  # z[r, c] is the score at (xs[c], ys[r])
    expected = numeric.scores(layers, np.column_stack([gx.ravel(), gy.ravel()])).reshape(100, 100)
    np.testing.assert_allclose(z, expected, rtol=0, atol=1e-12)
    assert heat.zmid == 0 and heat.zmin == -heat.zmax and fig.layout.plot_bgcolor == "white"
    assert heat.colorscale[0][1] == plots.NEG and heat.colorscale[-1][1] == plots.POS


def test_boundary_points_colours_outline_and_mistakes(setup):
    layers, X_train, y_train, X_test, y_test = setup
    fig = plots.boundary_figure(layers, X_train, y_train, X_test, y_test, ["a", "b"])
    train, test, wrong = fig.data[1:]
    assert (train.name, test.name, wrong.name) == ("train", "test", "misclassified")
    assert len(train.x) == 40 and len(test.x) == 10
    assert list(train.marker.color) == [plots.POS if y > 0 else plots.NEG for y in y_train]
    assert test.marker.line.color == "black" and train.marker.line.color == "white"
    np.testing.assert_array_equal(np.asarray(train.customdata)[:, 0], y_train)  # hover shows the label...
    np.testing.assert_allclose(np.asarray(train.customdata)[:, 1], numeric.scores(layers, X_train))  # ...and score
    s = numeric.scores(layers, np.vstack([X_train, X_test]))
    n_wrong = int(np.sum((s > 0) != (np.concatenate([y_train, y_test]) > 0)))
    assert n_wrong > 0 and len(wrong.x) == n_wrong and wrong.marker.symbol == "x-thin"


def test_boundary_other_features_held_at_zero():
    rng = np.random.default_rng(1)
    X, y = rng.normal(size=(30, 4)), np.where(rng.normal(size=30) > 0, 1.0, -1.0)
    layers = numeric.layers_of(MLP(4, [3, 1], seed=2))
    fig = plots.boundary_figure(layers, X, y, X[:0], y[:0], list("abcd"), 2, 0)
    heat = fig.data[0]
    xs, ys = np.asarray(heat.x), np.asarray(heat.y)
    inputs = np.zeros((3, 4))
    inputs[:, 2], inputs[:, 0] = xs[[0, 50, 99]], ys[[7, 7, 7]]
    np.testing.assert_allclose(np.asarray(heat.z)[7, [0, 50, 99]], numeric.scores(layers, inputs))
    assert fig.layout.xaxis.title.text == "c" and fig.layout.yaxis.title.text == "a"
    assert [t.name for t in fig.data] == ["score", "train", "misclassified"]  # no test trace for an empty test set


def test_boundary_one_feature_puts_points_at_their_labels():
    X, y = np.array([[-1.0], [0.0], [2.0]]), np.array([-1.0, 1.0, 1.0])
    layers = numeric.layers_of(MLP(1, [2, 1], seed=0))
    fig = plots.boundary_figure(layers, X, y, X[:0], y[:0], ["x"], 0, None)
    z = np.asarray(fig.data[0].z)
    np.testing.assert_allclose(z, np.tile(z[0], (100, 1)))  # score does not depend on the dummy axis
    assert list(fig.data[1].y) == [-1.0, 1.0, 1.0]


def test_curves_follow_history():
    """One run's curves (the Experiments and Sweeps pages draw them; the Train page's live view draws its own)."""
    history = [
        {"step": k, "train_loss": 1.0 / k, "test_loss": 2.0 / k, "train_accuracy": 0.5, "test_accuracy": None}
        for k in (1, 2, 3)
    ]
    loss = compare.loss_figure([("run", history)], log_y=True)
    assert [t.name for t in loss.data] == ["run · train", "run · test"]
    assert list(loss.data[1].y) == [2.0, 1.0, 2.0 / 3] and list(loss.data[0].x) == [1, 2, 3]
    assert loss.layout.yaxis.type == "log" and loss.layout.uirevision == "Loss"
    assert compare.loss_figure([("run", history)]).layout.yaxis.type == "linear"
    acc = compare.accuracy_figure([("run", history)])
    assert list(acc.data[0].y) == [50.0, 50.0, 50.0] and len(acc.data) == 1  # no test accuracy: no empty trace


def test_confusion_counts_and_figure():
    y = np.array([-1, -1, -1, 1, 1])
    s = np.array([-0.5, 0.3, -2.0, 0.1, -0.1])
    m = plots.confusion(y, s)
    np.testing.assert_array_equal(m, [[2, 1], [1, 1]])
    fig = plots.confusion_figure(y, s, ("no", "yes"))
    np.testing.assert_array_equal(np.asarray(fig.data[0].z), m)
    assert list(fig.data[0].x) == ["no (-1)", "yes (+1)"]


def test_diverged_model_gives_nan_heat_without_error(setup):
    _, X_train, y_train, X_test, y_test = setup
    layers = [numeric.DenseLayer(np.full((1, 2), np.nan), np.zeros(1), "linear")]
    fig = plots.boundary_figure(layers, X_train, y_train, X_test, y_test, ["a", "b"])
    assert np.isnan(np.asarray(fig.data[0].z)).all() and fig.data[0].zmax == 1.0
    assert fig.layout.plot_bgcolor == plots.NAN_COLOR  # what shows through where the score is NaN
    assert len(fig.data[3].x) == 50  # every point counts as misclassified
