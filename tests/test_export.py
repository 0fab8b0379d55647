"""Weights as JSON: exact round trips, a numpy-only reader, and one clear error for every kind of bad file."""

from __future__ import annotations

import json
import math
import os

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from micrograd.nn import ACTIVATIONS, MLP
from micrograd.studio import weights as E

FAST = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def reference_scores(text: str, X: np.ndarray) -> np.ndarray:
    """What a user of the file would write: json + numpy, nothing from micrograd."""
    doc = json.loads(text)
    acts = {
        "relu": lambda z: np.maximum(z, 0.0),
        "tanh": np.tanh,
        "sigmoid": lambda z: 1.0 / (1.0 + np.exp(-z)),
        "linear": lambda z: z,
    }
    h = np.asarray(X, dtype=float)
    if doc["preprocessing"] is not None:
        h = (h - np.array(doc["preprocessing"]["mean"])) / np.array(doc["preprocessing"]["std"])
    for layer in doc["layers"]:
        h = acts[layer["activation"]](h @ np.array(layer["weights"]).T + np.array(layer["biases"]))
    return h[:, 0]


def micrograd_scores(model: MLP, X: np.ndarray) -> np.ndarray:
    return np.array([model([float(v) for v in row]).data for row in X])


def params(model: MLP) -> list[tuple[str, float]]:
    return [(name, p.data) for name, p in model.named_parameters()]


def set_biases(model: MLP, rng: np.random.Generator) -> None:
    """Random biases, so a reader that ignored them would be caught (MLP starts them at 0)."""
    for layer in model.layers:
        for n in layer.neurons:
            n.b.data = float(rng.normal())


def valid_doc(**kwargs) -> dict:
    m = MLP(2, [3, 1], "tanh", seed=0)
    return json.loads(E.dumps(m, **kwargs))


def problems_of(data: str | bytes) -> list[str]:
    with pytest.raises(E.WeightsError) as info:
        E.loads(data)
    err = info.value
    assert err.problems, "a WeightsError must say what is wrong"
    assert all(p in str(err) for p in err.problems)
    assert "Traceback" not in str(err)
    return err.problems


# ---- round trips


@FAST
@given(
    nin=st.integers(1, 4),
    hidden=st.lists(st.integers(1, 5), max_size=3),
    activation=st.sampled_from(ACTIVATIONS),
    output_activation=st.sampled_from(ACTIVATIONS),
    init=st.sampled_from(["uniform", "xavier", "he"]),
    seed=st.integers(0, 2**32),
)
def test_round_trip_is_bit_identical_and_stable(nin, hidden, activation, output_activation, init, seed):
    m = MLP(nin, [*hidden, 1], activation, output_activation=output_activation, init=init, seed=seed)
    set_biases(m, np.random.default_rng(seed))
    text = E.dumps(m)
    lm = E.loads(text)
    assert params(lm.model) == params(m)
    assert [layer.activation for layer in lm.model.layers] == [layer.activation for layer in m.layers]
    assert lm.model.sizes == m.sizes
    assert E.dumps(lm.model, **lm.metadata()) == text


def test_extreme_values_survive_exactly():
    m = MLP(3, [1], seed=0)
    specials = [-0.0, 5e-324, 1.7976931348623157e308]
    for w, x in zip(m.layers[0].neurons[0].w, specials):
        w.data = x
    m.layers[0].neurons[0].b.data = -2.2250738585072014e-308
    got = [p.data for p in E.loads(E.dumps(m)).model.parameters()]
    assert got == [*specials, -2.2250738585072014e-308]
    assert math.copysign(1.0, got[0]) == -1.0  # -0.0 kept its sign


def test_metadata_round_trips():
    m = MLP(2, [4, 1], seed=3)
    meta = {
        "feature_names": ["age", "größe"],
        "preprocessing": {"mean": [1.5, -2.0], "std": [0.5, 3.0]},
        "class_names": ("benign", "malignant"),
        "training": {"lr": 0.05, "loss": "svm", "hidden": [4], "nested": {"ok": True, "none": None}},
        "metrics": {"step": 120, "train_loss": 0.25, "train_accuracy": 0.9, "test_loss": None, "train_seconds": 1.5},
    }
    lm = E.loads(E.dumps(m, **meta))
    assert lm.feature_names == meta["feature_names"]
    assert lm.preprocessing == meta["preprocessing"]
    assert lm.class_names == ("benign", "malignant")
    assert lm.training == meta["training"]
    assert lm.metrics == {**meta["metrics"], "test_accuracy": None}


def test_defaults():
    doc = json.loads(E.dumps(MLP(3, [2, 1], seed=0)))
    assert doc["feature_names"] == ["x1", "x2", "x3"]
    assert doc["class_names"] == ["-1", "+1"]
    assert doc["preprocessing"] is None
    assert doc["training"] == {}
    assert doc["metrics"] == {k: (0 if k == "step" else None) for k in E.METRIC_KEYS}
    assert [doc[k] for k in ("format", "version", "nin")] == ["micrograd-mlp", 1, 3]


def test_optional_keys_may_be_left_out():
    doc = valid_doc()
    for key in ("preprocessing", "feature_names", "class_names", "training", "metrics"):
        del doc[key]
    lm = E.loads(json.dumps(doc))
    assert (lm.feature_names, lm.class_names, lm.preprocessing, lm.training) == (["x1", "x2"], ("-1", "+1"), None, {})
    assert lm.metrics["step"] == 0 and lm.metrics["test_loss"] is None


def test_numpy_inputs_are_accepted():
    m = MLP(2, [1], seed=0)
    text = E.dumps(
        m,
        feature_names=np.array(["a", "b"]),
        preprocessing={"mean": np.array([1.0, 2.0]), "std": np.array([3, 4])},
        metrics={"step": np.int64(7), "train_loss": np.float64(0.5), "test_accuracy": np.float32(0.25)},
    )
    doc = json.loads(text)
    assert doc["preprocessing"] == {"mean": [1.0, 2.0], "std": [3.0, 4.0]}
    assert doc["metrics"]["step"] == 7 and type(doc["metrics"]["step"]) is int
    assert doc["metrics"]["train_loss"] == 0.5 and doc["metrics"]["test_accuracy"] == 0.25
    assert doc["feature_names"] == ["a", "b"]


# ---- the file is runnable without micrograd


@pytest.mark.parametrize("output_activation", ACTIVATIONS)
@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_numpy_only_reader_reproduces_the_model(activation, output_activation):
    rng = np.random.default_rng(ACTIVATIONS.index(activation) * 10 + ACTIVATIONS.index(output_activation))
    m = MLP(3, [5, 4, 1], activation, output_activation=output_activation, init="xavier", seed=7)
    set_biases(m, rng)
    X = rng.normal(size=(12, 3)) * 2.0
    np.testing.assert_allclose(reference_scores(E.dumps(m), X), micrograd_scores(m, X), rtol=1e-12, atol=1e-300)


def test_numpy_only_reader_applies_preprocessing_to_raw_inputs():
    rng = np.random.default_rng(1)
    m = MLP(2, [6, 1], "tanh", seed=2)
    set_biases(m, rng)
    mean, std = np.array([50.0, -3.0]), np.array([10.0, 0.5])
    X_raw = mean + std * rng.normal(size=(10, 2))
    text = E.dumps(m, preprocessing={"mean": mean, "std": std})
    expected = micrograd_scores(m, (X_raw - mean) / std)
    np.testing.assert_allclose(reference_scores(text, X_raw), expected, rtol=1e-12, atol=1e-300)
    lm = E.loads(text)
    np.testing.assert_allclose(lm.predict(X_raw), expected, rtol=1e-12, atol=1e-300)
    # without preprocessing the raw inputs would give other scores: the test above can tell the difference
    assert not np.allclose(micrograd_scores(m, X_raw), expected)


def test_mixed_hidden_activations_are_kept():
    m = MLP(2, [3, 3, 3, 1], "relu", output_activation="sigmoid", seed=4)
    for layer, act in zip(m.layers, ["tanh", "relu", "linear", "sigmoid"]):
        layer.activation = act
        for n in layer.neurons:
            n.activation = act
    set_biases(m, np.random.default_rng(4))
    text = E.dumps(m)
    lm = E.loads(text)
    assert [layer.activation for layer in lm.model.layers] == ["tanh", "relu", "linear", "sigmoid"]
    assert [n.activation for layer in lm.model.layers for n in layer.neurons] == [
        a for a, k in zip(["tanh", "relu", "linear", "sigmoid"], [3, 3, 3, 1]) for _ in range(k)
    ]
    X = np.random.default_rng(5).normal(size=(8, 2))
    np.testing.assert_array_equal(micrograd_scores(lm.model, X), micrograd_scores(m, X))
    np.testing.assert_allclose(reference_scores(text, X), micrograd_scores(m, X), rtol=1e-12, atol=1e-300)
    np.testing.assert_allclose(lm.predict(X), micrograd_scores(m, X), rtol=1e-12, atol=1e-300)


def test_predict_checks_its_input():
    lm = E.loads(E.dumps(MLP(2, [1], seed=0), feature_names=["a", "b"]))
    assert lm.predict(np.zeros((0, 2))).shape == (0,)
    for bad in (np.zeros(2), np.zeros((3, 3))):
        with pytest.raises(ValueError, match=r"one column per feature \(2: a, b\)"):
            lm.predict(bad)


def test_loads_builds_a_new_model_each_time():
    text = E.dumps(MLP(2, [1], seed=0))
    a, b = E.loads(text), E.loads(text)
    a.model.parameters()[0].data = 123.0
    assert b.model.parameters()[0].data != 123.0


# ---- writing refuses what it could not read back


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_dumps_refuses_a_diverged_model(bad):
    m = MLP(2, [3, 1], seed=0)
    m.layers[1].neurons[0].w[2].data = bad
    with pytest.raises(E.WeightsError, match="diverged") as info:
        E.dumps(m)
    assert "learning rate" in str(info.value) and "layers.1.weight.0.2" in str(info.value)


def test_no_nan_or_infinity_tokens_in_dumped_text():
    m = MLP(2, [2, 1], seed=0)
    text = E.dumps(
        m,
        training={"lr": math.nan, "hist": [math.inf, 1.0]},
        metrics={"train_loss": math.nan, "test_loss": math.inf, "test_accuracy": -math.inf, "step": 3},
    )
    assert "NaN" not in text and "Infinity" not in text
    doc = json.loads(text, parse_constant=lambda c: pytest.fail(f"non-standard JSON constant {c}"))
    assert doc["metrics"]["train_loss"] is None and doc["metrics"]["test_loss"] is None
    assert doc["metrics"]["test_accuracy"] is None and doc["training"] == {"lr": None, "hist": [None, 1.0]}


@pytest.mark.parametrize(
    ("kwargs", "needle"),
    [
        ({"feature_names": ["a"]}, "feature_names"),
        ({"feature_names": ["a", 2]}, "feature_names"),
        ({"class_names": ["a", "b", "c"]}, "class_names"),
        ({"preprocessing": {"mean": [0.0, 0.0], "std": [1.0, 0.0]}}, "preprocessing.std[1]"),
        ({"preprocessing": {"mean": [0.0, 0.0]}}, "preprocessing.std"),
        ({"preprocessing": [0.0, 1.0]}, "preprocessing must be a dict"),
        ({"training": {"f": object()}}, "training.f is a object"),
        ({"training": {1: 2}}, "keys must be strings"),
        ({"metrics": {"step": -1}}, "metrics.step"),
        ({"metrics": {"step": 1.5}}, "metrics.step"),
    ],
)
def test_to_dict_refuses_bad_metadata(kwargs, needle):
    with pytest.raises(E.WeightsError) as info:
        E.to_dict(MLP(2, [1], seed=0), **kwargs)
    assert any(needle in p for p in info.value.problems), info.value.problems


def test_to_dict_needs_an_mlp():
    with pytest.raises(TypeError, match="MLP"):
        E.to_dict({"layers.0.weight": [[1.0]]})


def test_save_and_load(tmp_path):
    path = tmp_path / "model.json"
    m = MLP(2, [4, 1], seed=9)
    E.save(path, m, class_names=["no", "yes"])
    lm = E.load(path)
    assert params(lm.model) == params(m) and lm.class_names == ("no", "yes")
    assert E.load(str(path)).class_names == ("no", "yes")
    assert os.listdir(tmp_path) == ["model.json"]  # no temp file left behind


def test_failed_save_keeps_the_old_file(tmp_path):
    path = tmp_path / "model.json"
    good = MLP(2, [1], seed=1)
    E.save(path, good)
    before = path.read_bytes()
    bad = MLP(2, [1], seed=2)
    bad.parameters()[0].data = math.nan
    with pytest.raises(E.WeightsError):
        E.save(path, bad)
    assert path.read_bytes() == before and os.listdir(tmp_path) == ["model.json"]
    E.save(path, bad.__class__(2, [1], seed=3))  # a good save replaces it
    assert path.read_bytes() != before


def test_load_refuses_a_big_file_without_reading_it_all(tmp_path):
    path = tmp_path / "big.json"
    path.write_bytes(b" " * (E.MAX_BYTES + 10))
    with pytest.raises(E.WeightsError, match="5,000,000") as info:
        E.load(path)
    assert f"{E.MAX_BYTES + 10:,} bytes" in str(info.value)
