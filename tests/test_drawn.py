"""Drawn data (micrograd.studio.drawn): checks, Dataset, link codec and CSV round trips; the link in the dashboard."""

import numpy as np
import pytest

from micrograd.studio import datasets, drawn
from micrograd.studio.datasets import DataError
from ui.options import drawn_widgets
from ui.url import read_url


def three_classes(n: int = 30) -> drawn.Drawn:
    rng = np.random.default_rng(0)
    xy = rng.uniform(-3, 3, size=(n, 2))
    return drawn.points("classes", xy[:, 0].tolist(), xy[:, 1].tolist(), [k % 3 for k in range(n)])


def test_the_link_codec_round_trips_200_points_in_under_2000_characters():
    rng = np.random.default_rng(1)
    xy = rng.normal(size=(200, 2)) * [5, 0.01]
    d = drawn.points("classes", xy[:, 0].tolist(), xy[:, 1].tolist(), rng.integers(0, 10, 200).tolist())
    text = drawn.encode_url(d)
    assert len(text) < 2000 and set(text) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
    back = drawn.decode_url(text)
    span = xy.max(axis=0) - xy.min(axis=0)
    assert back.kind == "classes" and np.array_equal(back.label, d.label)
    assert np.all(np.abs(back.xy - d.xy) <= span / 65535 * 0.5 + 1e-6 * np.abs(xy))
    curve = drawn.points("curve", [0.0, 1.0, 2.0, 3.0], [1.0, -1.0, 0.5, 0.25])
    back = drawn.decode_url(drawn.encode_url(curve))
    assert back.kind == "curve" and np.allclose(back.xy, curve.xy, atol=1e-4)
    values = drawn.points("values", [0.0, 1.0, 2.0, 3.0], [1.0, -1.0, 0.5, 0.25], [-1.0, 0.5, 1.0, 0.3])
    back = drawn.decode_url(drawn.encode_url(values))
    assert back.kind == "values" and np.allclose(back.xy, values.xy, atol=1e-4)
    assert np.allclose(back.label, values.label, atol=2 / 65535 + 1e-7)


@pytest.mark.parametrize("text", ["", "abc", "eJwLy8xLTc3Lz0lVyC9KSS0q0lFIzs8rSc0rUUjNS84HAG2YCRo", "%%%"])
def test_a_damaged_link_is_a_clear_error(text):
    with pytest.raises(DataError, match="damaged"):
        drawn.decode_url(text)


def test_points_are_checked():
    with pytest.raises(DataError, match="at most 200"):
        drawn.points("classes", [0.0] * 201, [0.0] * 201, [0] * 201)
    with pytest.raises(DataError, match="finite"):
        drawn.points("classes", [0.0, float("nan")], [0.0, 1.0], [0, 1])
    with pytest.raises(DataError, match="0 to 9"):
        drawn.points("classes", [0.0], [0.0], [10])
    with pytest.raises(DataError, match="finite"):
        drawn.points("values", [0.0, 1.0], [0.0, 1.0], [0.5, float("inf")])
    with pytest.raises(DataError, match="one of classes, curve, values"):
        drawn.points("lines", [0.0], [0.0])
    with pytest.raises(DataError, match="numbers"):
        drawn.points("classes", ["a"], [0.0], [0])
    assert "at least 4" in drawn.problem(drawn.points("classes", [0.0, 1.0], [0.0, 1.0], [0, 1]))
    assert "two classes" in drawn.problem(drawn.points("classes", [0.0] * 5, [1.0] * 5, [2] * 5))


def test_a_drawing_is_a_dataset_of_its_task():
    d = three_classes()
    ds = drawn.to_dataset(d)
    assert ds.task == "multiclass" and ds.class_names == ("0", "1", "2") and ds.n_outputs == 3 and ds.name == "drawn"
    assert np.array_equal(ds.X_train, d.xy) and ds.preprocessing is None  # the drawn units, not standardised
    two = drawn.points("classes", [0.0, 1, 2, 3], [0.0, 1, 2, 3], [1, 4, 1, 4])
    b = drawn.to_dataset(two)
    assert b.task == "binary" and b.class_names == ("1", "4") and b.y_train.tolist() == [-1, 1, -1, 1]
    c = drawn.to_dataset(drawn.points("curve", [0.0, 1, 2, 3, 4], [0.0, 1, 4, 9, 16]))
    assert c.task == "regression" and c.feature_names == ["x"] and np.allclose(c.unscale(c.y_train), [0, 1, 4, 9, 16])
    with pytest.raises(DataError, match="at least 4"):
        drawn.to_dataset(drawn.points("curve", [0.0], [1.0]))
    v = drawn.to_dataset(drawn.points("values", [0.0, 1, 2, 3], [3.0, 2, 1, 0], [0.5, -1, 1, 0.25]))
    assert v.task == "regression" and v.feature_names == ["x1", "x2"] and v.class_names == ("value",)
    assert np.allclose(v.unscale(v.y_train), [0.5, -1, 1, 0.25])


def test_the_csv_file_reads_back_with_load_csv():
    d = three_classes()
    back = datasets.load_csv(drawn.to_csv(d), standardize=False)
    assert back.task == "multiclass" and back.class_names == ("0", "1", "2") and back.feature_names == ["x1", "x2"]
    assert np.array_equal(back.X_train, d.xy) and back.y_train.tolist() == d.label.tolist()
    curve = drawn.points("curve", np.linspace(-3, 3, 20).tolist(), np.sin(np.linspace(-3, 3, 20)).tolist())
    back = datasets.load_csv(drawn.to_csv(curve), standardize=False)
    assert back.task == "regression" and np.allclose(back.unscale(back.y_train), curve.xy[:, 1])
    rng = np.random.default_rng(2)
    values = drawn.points("values", *rng.normal(size=(2, 20)).tolist(), rng.normal(size=20).tolist())
    back = datasets.load_csv(drawn.to_csv(values), standardize=False)
    assert back.task == "regression" and back.feature_names == ["x1", "x2"]
    assert np.array_equal(back.X_train, values.xy) and np.allclose(back.unscale(back.y_train), values.label)


def test_a_link_with_drawn_points_sets_the_drawn_data():
    d = three_classes()
    state, warnings = read_url({"dataset": "drawn", "draw": drawn.encode_url(d), "task": "multiclass", "loss": "ce"})
    assert warnings == []
    assert state["w_dataset"] == "drawn" and state["w_task"] == "multiclass" and state["w_loss"] == "ce"
    assert len(state["drawing"]["points"]) == 30 and state["drawing"]["url"] == drawn.encode_url(d)
    state, warnings = read_url({"dataset": "drawn", "draw": "nonsense"})
    assert state["w_dataset"] == "moons" and len(warnings) == 1 and "damaged" in warnings[0]  # not "carries none" too
    state, warnings = read_url({"dataset": "drawn"})
    assert state["w_dataset"] == "moons" and len(warnings) == 1 and "carries none" in warnings[0]


def test_drawn_widgets_keep_a_loss_that_fits_and_replace_one_that_does_not():
    d = three_classes()
    assert drawn_widgets(d, "hinge")["w_loss"] == "hinge" and drawn_widgets(d, "svm")["w_loss"] == "ce"
    w = drawn_widgets(drawn.points("curve", [0.0, 1, 2, 3], [0.0, 1, 2, 3]), "ce")
    assert w["w_task"] == "regression" and w["w_loss"] == "mse" and w["drawing"]["csv"].startswith(b"x,y\n")


def test_a_drawing_reads_back_from_its_csv_file_bit_for_bit():
    """The run store keeps a drawn run's points as this file, so the run can be replayed."""
    rng = np.random.default_rng(4)
    curve = drawn.points("curve", np.linspace(-3, 3, 20).tolist(), np.sin(np.linspace(-3, 3, 20)).tolist())
    values = drawn.points("values", *rng.normal(size=(2, 20)).tolist(), rng.normal(size=20).tolist())
    for d in (three_classes(), curve, values):
        back = drawn.from_csv(drawn.to_csv(d))
        assert back.kind == d.kind and back.xy.tobytes() == d.xy.tobytes()
        assert np.asarray(back.label).tobytes() == np.asarray(d.label).tobytes()
    for bad, says in ((b"a,b\n1,2\n", "header is none of"), (b"x1,x2,class\n1,2\n", "not numbers"), (b"", "header")):
        with pytest.raises(DataError, match=says):
            drawn.from_csv(bad)
