"""The live view's data for every task (micrograd.views.live + classes), the gallery and the K-class confusion."""

import json

import numpy as np
import pytest

from micrograd.fast import numeric
from micrograd.studio.config import RunConfig
from micrograd.studio.trainer import Trainer
from micrograd.views import classes, gallery, live, plots
from tests.test_live import bytes_per_second


def feed_of(tr: Trainer, speed: float = 20) -> live.LiveFeed:
    feed = live.LiveFeed()
    feed.set_speed(speed, tr.model.sizes)
    return feed


def first(tr: Trainer) -> tuple[live.LiveFeed, dict]:
    feed = feed_of(tr)
    return feed, live.decode(live.encode(feed.update(tr, state="paused")))


def grid_inputs(s: dict, n_features: int = 2) -> np.ndarray:
    xs, ys = np.linspace(*s["x_range"], live.GRID_N), np.linspace(*s["y_range"], live.GRID_N)
    gx, gy = np.meshgrid(xs, ys)
    return np.column_stack([gx.ravel(), gy.ravel()])


@pytest.fixture(scope="module")
def spiral() -> Trainer:
    tr = Trainer(RunConfig(dataset="spiral", task="multiclass", classes=4, loss="ce", layers=[8], steps=200))
    tr.run(30)
    return tr


def test_k_classes_send_one_byte_per_cell_the_winning_class_and_its_confidence(spiral):
    _, u = first(spiral)
    s, f = u["static"], u["frames"][-1]
    assert s["task"] == "multiclass" and s["mode"] == "multiclass" and len(s["palette"]["classes"]) == 4
    assert set(s["points"]["label"]) == {0, 1, 2, 3} and s["class_names"] == list(spiral.dataset.class_names)
    assert f["grid"].dtype == np.uint8 and f["grid"].shape == (live.GRID_N**2,) and "scores" not in f
    out = numeric.outputs(numeric.layers_of(spiral.model), grid_inputs(s))
    assert np.array_equal(f["grid"] & 15, np.argmax(out, axis=1))  # the class of every cell is NumPy's argmax
    p = classes.softmax(out).max(axis=1)
    level = f["grid"] >> 4
    assert level.max() <= 15 and np.all(np.abs(level - (p - 0.25) / 0.75 * 15) <= 0.5 + 1e-9)
    X = np.vstack([spiral.dataset.X_train, spiral.dataset.X_test])
    pts = numeric.outputs(numeric.layers_of(spiral.model), X)
    assert np.array_equal(f["pred"], numeric.predict("multiclass", pts))
    # a few hundred points: every frame carries their confidence, so a tooltip's class and certainty are of one step
    assert len(pts) <= live.CONF_EVERY_FRAME
    assert f["pred"].dtype == np.uint8 and f["conf"].dtype == np.uint8 and "conf" not in f["net"]
    assert np.array_equal(f["conf"], classes.point_classes(pts)[1])


def test_k_class_ticks_send_only_new_steps_and_accuracy_curves(spiral):
    feed = feed_of(spiral)
    feed.update(spiral, state="running")
    for _ in range(3):
        spiral.step()
        feed.record(spiral)
    u = live.decode(live.encode(feed.update(spiral, state="running")))
    assert "static" not in u and [f["step"] for f in u["frames"]] == [31, 32, 33]
    assert set(u["metrics"]) == {"step", "train_loss", "test_loss", "train_accuracy", "test_accuracy"}
    idle = live.decode(live.encode(feed.update(spiral, state="running")))
    assert "frames" not in idle and "static" not in idle and "metrics" not in idle


def test_quantise_classes_levels_and_nan():
    out = np.array([[5.0, 0.0, 0.0], [0.0, 0.0, 0.0], [0.0, 1.0, 1.0 + 1e-12], [np.nan, 0.0, 1.0]])
    q = classes.quantise_classes(out)
    assert q[0] & 15 == 0 and q[0] >> 4 == 15  # sure of class 0
    assert q[1] >> 4 == 0  # a three-way tie: the least confident level
    assert q[2] & 15 == 2 and q[3] == classes.NAN_CELL
    pred, conf = classes.point_classes(out)
    assert pred.tolist()[:3] == [0, 0, 2] and pred[3] == classes.NAN_POINT and conf[0] > 250


def test_regression_2d_sends_the_unscaled_prediction_as_a_heat_map():
    tr = Trainer(RunConfig(dataset="plane", task="regression", loss="mse", layers=[6], steps=50, lr=0.01))
    tr.run(10)
    _, u = first(tr)
    s, f = u["static"], u["frames"][-1]
    d = tr.dataset
    assert s["mode"] == "heat" and f["grid"].dtype == np.int8 and "scores" not in f
    raw = d.unscale(np.concatenate([d.y_train, d.y_test]))
    assert np.allclose(s["points"]["target"], raw, atol=1e-4)  # targets are shown in the data's units
    lo, hi = s["value_range"]
    assert lo < raw.min() and hi > raw.max()
    out = numeric.outputs(numeric.layers_of(tr.model), grid_inputs(s))
    want = classes.quantise_value(d.unscale(out[:, 0]), lo, hi)
    assert np.array_equal(f["grid"], want)
    X = np.vstack([d.X_train, d.X_test])
    pred = d.unscale(numeric.outputs(numeric.layers_of(tr.model), X)[:, 0])
    assert np.allclose(f["pred"], pred, rtol=1e-3, atol=1e-3)


def test_regression_1d_sends_the_fitted_curve_and_r2_curves():
    tr = Trainer(RunConfig(dataset="sine", task="regression", loss="mse", layers=[8], steps=50))
    feed, u = first(tr)
    s, f = u["static"], u["frames"][-1]
    assert s["mode"] == "curve" and s["y_name"] == tr.dataset.class_names[0] == "y" and "grid" not in f  # as the legend
    assert f["curve"].dtype == np.float32 and f["curve"].shape == (live.CURVE_N,) and s["curve_n"] == live.CURVE_N
    xs = np.linspace(*s["x_range"], live.CURVE_N)[:, None]
    want = tr.dataset.unscale(numeric.outputs(numeric.layers_of(tr.model), xs)[:, 0])
    assert np.allclose(f["curve"], want, rtol=1e-5, atol=1e-5)
    assert s["y_range"] == s["value_range"]  # the plane's height is the target
    for _ in range(2):
        tr.step()
        feed.record(tr)
    m = live.decode(live.encode(feed.update(tr, state="running")))["metrics"]
    assert set(m) == {"step", "train_loss", "test_loss", "train_r2", "test_r2"} and m["step"] == [1, 2]


def test_one_feature_data_gets_neuron_thumbnails_over_x():
    """Each neuron's thumbnail is its activation along x, in vertical stripes (the boxes were empty for sine)."""
    tr = Trainer(RunConfig(dataset="sine", task="regression", loss="mse", layers=[8], steps=50))
    _, u = first(tr)
    n = u["static"]["thumb_n"]
    frame = next(f for f in u["frames"] if "net" in f)
    thumbs = np.asarray(frame["net"]["thumbs"]).reshape(-1, n, n)  # neuron by neuron, row-major
    assert n == live.THUMB_N and len(thumbs) == 8 + 1
    assert all((t == t[:1]).all() for t in thumbs)  # every row alike: only x varies
    assert any(len(set(t[0].tolist())) > 1 for t in thumbs)  # and the activations vary along it


@pytest.mark.parametrize("pair", [(0, 1), (2, 3), (3, 0)])
def test_wider_data_gets_thumbnails_over_the_boundarys_plane(pair):
    """Iris has four features: each neuron's thumbnail is its activation over the two the boundary shows, the other
    two at their mean (0), as the boundary computes its regions (the boxes were empty for more than two features)."""
    tr = Trainer(RunConfig(dataset="iris", task="multiclass", loss="ce", layers=[5], steps=50, seed=3))
    tr.run(20)
    feed = feed_of(tr)
    feed.set_pair(*pair)
    u = live.decode(live.encode(feed.update(tr, state="paused")))
    s, n = u["static"], u["static"]["thumb_n"]
    assert n == live.THUMB_N and (s["x_index"], s["y_index"]) == pair
    frame = next(f for f in u["frames"] if "net" in f)
    thumbs = np.asarray(frame["net"]["thumbs"]).reshape(-1, n, n)
    assert len(thumbs) == 5 + 3
    X = np.vstack([tr.dataset.X_train, tr.dataset.X_test])
    xs = np.linspace(*plots.span(X[:, pair[0]]), n)
    ys = np.linspace(*plots.span(X[:, pair[1]]), n)
    gx, gy = np.meshgrid(xs, ys)
    inputs = np.zeros((n * n, 4))
    inputs[:, pair[0]], inputs[:, pair[1]] = gx.ravel(), gy.ravel()
    outs = numeric.forward_all(numeric.layers_of(tr.model), inputs)
    want = np.concatenate([live.quantise_unit(o).T for o in outs]).reshape(-1, n, n)
    assert (thumbs == want).all()
    assert all(len(np.unique(t)) > 1 for t in thumbs[:5])  # hidden units vary over the plane: not blank


def test_a_binary_nets_output_thumbnail_is_drawn_as_the_boundary_draws_its_score():
    """QA: XOR's output square, scaled by its largest |score|, showed the orange quadrants near-white."""
    tr = Trainer(RunConfig(dataset="xor", layers=[4], steps=50))
    tr.run(30)
    _, u = first(tr)
    n = u["static"]["thumb_n"]
    thumbs = np.asarray(next(f for f in u["frames"] if "net" in f)["net"]["thumbs"]).reshape(-1, n, n)
    X = np.vstack([tr.dataset.X_train, tr.dataset.X_test])
    gx, gy = np.meshgrid(np.linspace(*plots.span(X[:, 0]), n), np.linspace(*plots.span(X[:, 1]), n))
    outs = numeric.forward_all(numeric.layers_of(tr.model), np.column_stack([gx.ravel(), gy.ravel()]))
    assert (thumbs[-1].ravel() == classes.quantise_tanh(outs[-1][:, 0])).all()
    assert (thumbs[:4] == live.quantise_unit(outs[0]).T.reshape(-1, n, n)).all()  # hidden units: scaled per unit
    assert not (thumbs[-1].ravel() == live.quantise_unit(outs[-1])[:, 0]).all()  # which differs from the scaled


def test_wide_data_sends_no_feature_table():
    tr = Trainer(RunConfig(dataset="digits", task="multiclass", loss="ce", layers=[4], steps=5))
    _, u = first(tr)
    assert "features" not in u["static"]["points"] and len(u["static"]["palette"]["classes"]) == 10


@pytest.mark.parametrize(
    "settings",
    [
        dict(dataset="spiral", task="multiclass", classes=3, loss="ce"),
        dict(dataset="blobs", task="multiclass", classes=10, loss="ce"),
        dict(dataset="digits", task="multiclass", loss="ce", lr=0.1),  # 1,797 points: a class byte each per frame
        dict(dataset="sine", task="regression", lr=0.03),
        dict(dataset="plane", task="regression", lr=0.03),
    ],
)
def test_bytes_per_second_fit_the_budget(settings):
    """At 60 steps a second (a picture each), the encoded updates of K classes and regression stay < 100 KB/s."""
    tr = Trainer(RunConfig(steps=3000, loss=settings.pop("loss", "mse"), **settings))
    per_second = bytes_per_second(feed_of(tr, 60), tr)
    assert per_second < 100_000, per_second


def test_the_largest_net_stays_within_its_budget_and_shows_its_network_less_often():
    """Issue 12: larger nets may show fewer pictures but stay <= 200 KB/s. The sidebar's largest net (6 x 64) at its
    highest speed: every step's boundary still travels; the network picture, 29x the default's bytes, much less often."""
    from ui.options import MAX_LAYERS, MAX_WIDTH, SPEED_OPTIONS

    top = max(SPEED_OPTIONS)
    tr = Trainer(RunConfig(steps=0, layers=[MAX_WIDTH] * MAX_LAYERS, activation="tanh", lr=0.001))
    big = feed_of(tr, top)
    per_second = bytes_per_second(big, tr, top)
    assert not tr.done, tr.status  # trained throughout (a diverged run would send nothing)
    assert per_second < 200_000, per_second
    small = Trainer(RunConfig(steps=0))
    default = feed_of(small, top)
    bytes_per_second(default, small, top)
    assert big.every == 1 and big.net_every > 4 * default.net_every, (big.net_every, default.net_every)


def test_gallery_orders_misclassified_first_and_escapes_names():
    X = np.arange(5 * 64, dtype=float).reshape(5, 64)
    true, pred = np.array([0, 1, 2, 1, 0]), np.array([0, 2, 2, 1, 1])
    assert gallery.image_side(64) == 8 and gallery.image_side(30) is None
    assert gallery.order(pred, true).tolist() == [1, 4, 0, 2, 3]
    fig = gallery.gallery_figure(X, true, pred, ["<b>zero</b>", "one", "two"])
    notes = [a.text for a in fig.layout.annotations]
    assert notes[0] == "two / one" and notes[1] == "one / &lt;b&gt;zero&lt;/b&gt;" and len(notes) == 5
    assert [a.font.color for a in fig.layout.annotations[:3]] == [gallery.WRONG, gallery.WRONG, gallery.RIGHT]
    img = np.asarray(fig.data[0].z, dtype=float)
    assert img.shape == (8, 5 * 9 - 1) and np.array_equal(img[:, :8], X[1].reshape(8, 8))


def test_class_confusion_counts_rows_true_columns_predicted():
    m = plots.class_confusion(np.array([0, 1, 2, 2, 1]), np.array([0, 2, 2, 255, 1]), 3)
    assert m.tolist() == [[1, 0, 0], [0, 1, 1], [0, 0, 1]]  # a point without a prediction counts in no column
    fig = plots.matrix_figure(m, ["a", "b", "c"], "test set")
    assert json.loads(fig.to_json())["data"][0]["x"] == ["a", "b", "c"]
