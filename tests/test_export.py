"""Weights as JSON: exact round trips, a numpy-only reader, and one clear error for every kind of bad file."""

from __future__ import annotations

import copy
import json
import math
import os

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from micrograd.nn import ACTIVATIONS, MLP
from micrograd.studio import weights as E
from micrograd.studio import weights_check

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


# ---- validation: every case is caught and named


DELETE = object()


def changed(d: dict, changes: dict) -> None:
    for k, v in changes.items():
        if v is DELETE:
            del d[k]
        else:
            d[k] = v


def mutated(**changes) -> str:
    """A valid file with top-level keys replaced (DELETE removes the key)."""
    doc = valid_doc()
    changed(doc, changes)
    return json.dumps(doc)


def with_layer(i: int, **changes) -> str:
    doc = valid_doc()
    changed(doc["layers"][i], changes)
    return json.dumps(doc)


def layer_dict(rows: int, cols: int, act: str = "relu", value: float = 0.5) -> dict:
    return {"activation": act, "weights": [[value] * cols for _ in range(rows)], "biases": [0.0] * rows}


BAD_FILES = {
    "not utf-8": (b'{"format": "\xff"}', ["not UTF-8", "byte 12"]),
    "not json": ('{\n  "format": "micrograd-mlp",\n  "nin": ,\n}', ["not valid JSON", "line 3, column 10"]),
    "top level array": ("[1, 2]", ["top level must be a JSON object", "array"]),
    "too big": (" " * (E.MAX_BYTES + 1), ["5,000,001 bytes", "limit is 5,000,000"]),
    "too big bytes": (b" " * (E.MAX_BYTES + 1), ["limit is 5,000,000"]),
    "format wrong": (mutated(format="keras"), ["'format' is \"keras\"", "micrograd-mlp"]),
    "format missing": (mutated(format=DELETE), ["'format' is missing"]),
    "version 3": (mutated(version=3), ["'version' is 3", "supported versions: 1, 2"]),
    "version true": (mutated(version=True), ["'version' is true"]),
    "version string": (mutated(version="1"), ["'version' is \"1\""]),
    "nin zero": (mutated(nin=0), ["'nin'", "whole number >= 1"]),
    "nin float": (mutated(nin=2.0), ["'nin'", "whole number >= 1"]),
    "nin bool": (mutated(nin=True), ["'nin' (the number of input features) is true"]),
    "nin huge": (mutated(nin=5000), ["limit is 1024", "MAX_WIDTH"]),
    "layers missing": (mutated(layers=DELETE), ["'layers' is missing", "non-empty list"]),
    "layers empty": (mutated(layers=[]), ["'layers' is []"]),
    "layers object": (mutated(layers={"0": {}}), ["'layers' is {", "non-empty list"]),
    "too many layers": (
        mutated(nin=1, layers=[layer_dict(1, 1)] * 17, preprocessing=None, feature_names=["a"]),
        ["17 layers", "limit is 16", "MAX_LAYERS"],
    ),
    "layer not object": (mutated(layers=[[1.0, 2.0]]), ["layers[0] is an array", "activation, weights and biases"]),
    "activation unknown": (
        with_layer(0, activation="elu"),
        ['layers[0].activation is "elu"', "relu, tanh, sigmoid, linear"],
    ),
    "activation missing": (with_layer(1, activation=None), ["layers[1].activation is null"]),
    "weights flat": (with_layer(0, weights=[1.0, 2.0, 3.0]), ["layers[0].weights[0] is a number", "list of numbers"]),
    "weights missing": (with_layer(0, weights=DELETE), ["layers[0].weights is missing"]),
    "weights string entry": (
        with_layer(1, weights=[[0.1, "0.2", 0.3]]),
        ['layers[1].weights[0][1] is "0.2"', "expected a number"],
    ),
    "weights bool entry": (
        with_layer(1, weights=[[0.1, 0.2, True]]),
        ["layers[1].weights[0][2] is true", "expected a number"],
    ),
    "weights null entry": (with_layer(1, weights=[[0.1, None, 0.3]]), ["layers[1].weights[0][1] is null"]),
    "row too long": (
        with_layer(1, weights=[[0.1, 0.2, 0.3, 0.4]]),
        ["layers[1].weights", "has 4 numbers", "expected 3", "layers[0]"],
    ),
    "one row short": (
        with_layer(0, weights=[[0.1, 0.2], [0.3], [0.4, 0.5]]),
        ["layers[0].weights[1] has 1 numbers", "expected 2", "nin"],
    ),
    "biases short": (with_layer(0, biases=[0.0, 0.0]), ["layers[0].biases has 2 numbers", "3 rows"]),
    "biases missing": (with_layer(0, biases=DELETE), ["layers[0].biases is missing"]),
    "biases strings": (with_layer(1, biases=["0"]), ['layers[1].biases[0] is "0"']),
    "nan weight": (
        with_layer(0, weights=[[0.1, math.nan], [0.2, 0.3], [0.4, 0.5]]),
        ["layers[0].weights[0][1] is nan", "finite"],
    ),
    "inf bias": (with_layer(1, biases=[math.inf]), ["layers[1].biases[0] is inf", "finite"]),
    "-inf weight": (with_layer(1, weights=[[0.1, -math.inf, 0.3]]), ["layers[1].weights[0][1] is -inf"]),
    "huge int": (with_layer(1, weights=[[0.1, 10**400, 0.3]]), ["layers[1].weights[0][1] is too large"]),
    "last layer wide": (
        mutated(layers=[layer_dict(3, 2), layer_dict(2, 3, "linear")]),
        ["last layer has 2 units", "exactly 1"],
    ),
    "layer too wide": (
        mutated(nin=1, layers=[layer_dict(1025, 1), layer_dict(1, 1025)], preprocessing=None, feature_names=["a"]),
        ["layers[0] has 1025 units", "limit is 1024", "MAX_WIDTH"],
    ),
    "too many parameters": (
        mutated(nin=1000, layers=[layer_dict(250, 1000, value=0), layer_dict(1, 250)], feature_names=None),
        ["250,501 parameters", "limit is 250,000", "MAX_PARAMETERS"],
    ),
    "preprocessing list": (mutated(preprocessing=[0.0, 1.0]), ["'preprocessing' is an array", "'mean' and 'std'"]),
    "mean short": (
        mutated(preprocessing={"mean": [0.0], "std": [1.0, 1.0]}),
        ["preprocessing.mean has 1 numbers", "expected 2"],
    ),
    "std zero": (
        mutated(preprocessing={"mean": [0.0, 0.0], "std": [1.0, 0.0]}),
        ["preprocessing.std[1] is 0.0", "> 0"],
    ),
    "std negative": (mutated(preprocessing={"mean": [0.0, 0.0], "std": [-1.0, 1.0]}), ["preprocessing.std[0] is -1.0"]),
    "std missing": (mutated(preprocessing={"mean": [0.0, 0.0]}), ["preprocessing.std is missing"]),
    "std nan": (mutated(preprocessing={"mean": [0.0, 0.0], "std": [math.nan, 1.0]}), ["preprocessing.std[0] is nan"]),
    "feature names short": (mutated(feature_names=["a"]), ["'feature_names' is [\"a\"]", "2 strings"]),
    "feature names numbers": (mutated(feature_names=[1, 2]), ["'feature_names' is [1, 2]"]),
    "class names three": (mutated(class_names=["a", "b", "c"]), ["'class_names'", "2 strings"]),
    "class names string": (mutated(class_names="ab"), ["'class_names' is \"ab\""]),
    "training list": (mutated(training=[1]), ["'training' is an array", "object"]),
    "metrics string": (mutated(metrics="good"), ["'metrics' is a string"]),
    "metrics nan": (mutated(metrics={"step": 1, "train_loss": math.nan}), ["metrics.train_loss is nan", "null"]),
    "metric string": (mutated(metrics={"step": 1, "test_accuracy": "90%"}), ['metrics.test_accuracy is "90%"']),
    "step negative": (mutated(metrics={"step": -3}), ["metrics.step is -3"]),
    "training nan": (mutated(training={"lr": math.nan}), ["training.lr is nan", "use null"]),
    "duplicate key": ('{"format": "micrograd-mlp", "format": "x"}', ["key 'format' appears twice"]),
    "nested too deeply": ("[" * 100_000, ["nested too deeply"]),
    "not text": (12, ["str or bytes", "int"]),
}


@pytest.mark.parametrize("name", list(BAD_FILES))
def test_each_problem_is_reported(name):
    data, needles = BAD_FILES[name]
    problems = problems_of(data)
    text = "\n".join(problems)
    for needle in needles:
        assert needle in text, f"{needle!r} not in {problems}"


def test_several_problems_are_all_listed():
    doc = valid_doc()
    doc["version"] = 7
    doc["layers"][0]["activation"] = "swish"
    doc["layers"][1]["biases"] = [0.0, 1.0]
    doc["preprocessing"] = {"mean": [0.0, 0.0], "std": [0.0, 1.0]}
    doc["class_names"] = ["only one"]
    problems = problems_of(json.dumps(doc))
    text = "\n".join(problems)
    for needle in ["'version' is 7", "swish", "layers[1].biases has 2", "preprocessing.std[0]", "'class_names'"]:
        assert needle in text, problems
    assert len(problems) == 5
    assert str(len(problems)) + " problems" in str(pytest.raises(E.WeightsError, E.loads, json.dumps(doc)).value)


def test_many_bad_numbers_are_counted_not_listed():
    doc = valid_doc()
    doc["nin"] = 100
    doc["feature_names"] = doc["preprocessing"] = None
    doc["layers"][0]["weights"] = [["x"] * 100] * 3
    problems = problems_of(json.dumps(doc))
    assert len(problems) == weights_check._LISTED + 1
    assert problems[-1] == f"layers[0].weights: {300 - weights_check._LISTED} more problems like these"


def test_a_row_mismatch_in_every_row_is_one_message():
    doc = valid_doc()
    doc["layers"][0]["weights"] = [[0.0] * 5] * 3
    assert problems_of(json.dumps(doc)) == [
        "every row of layers[0].weights has 5 numbers; expected 2 (nin, the number of inputs)"
    ]


def test_utf8_bom_and_bytes_are_accepted():
    text = E.dumps(MLP(2, [1], seed=0), feature_names=["é", "ß"])
    for data in (text.encode(), b"\xef\xbb\xbf" + text.encode(), "\ufeff" + text):
        assert E.loads(data).feature_names == ["é", "ß"]


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=20,
)


def paths_of(x: object, prefix: tuple = ()) -> list[tuple]:
    """Every key/index path into a JSON document."""
    items = x.items() if isinstance(x, dict) else enumerate(x) if isinstance(x, list) else []
    return [p for k, v in items for p in [(*prefix, k), *paths_of(v, (*prefix, k))]]


CORRUPTIBLE = valid_doc(preprocessing={"mean": [0.0, 1.0], "std": [1.0, 2.0]}, training={"lr": 0.1})
PATHS = paths_of(CORRUPTIBLE)


@FAST
@given(path=st.sampled_from(PATHS), value=json_values, delete=st.booleans())
def test_any_corruption_gives_a_weights_error_or_a_usable_model(path, value, delete):
    doc = copy.deepcopy(CORRUPTIBLE)
    parent = doc
    for k in path[:-1]:
        parent = parent[k]
    if delete:
        del parent[path[-1]]
    else:
        parent[path[-1]] = value
    try:
        lm = E.loads(json.dumps(doc))
    except E.WeightsError as err:
        assert err.problems and all(isinstance(p, str) for p in err.problems)
    else:  # it loaded, so it must still describe a usable model
        assert lm.model.sizes[-1] == 1
        assert lm.predict(np.zeros((2, lm.model.sizes[0]))).shape == (2,)


@FAST
@given(st.binary(max_size=200))
def test_random_bytes_never_crash(data):
    with pytest.raises(E.WeightsError):
        E.loads(data)


def test_the_documented_example_loads_and_scores_as_documented():
    doc_text = open("docs/weights-format.md", encoding="utf-8").read()
    example = doc_text.split("```json\n", 1)[1].split("```", 1)[0]
    lm = E.loads(example)
    assert lm.class_names == ("blue", "red") and lm.preprocessing == {"mean": [0.5, 0.25], "std": [0.87, 0.5]}
    score = lm.predict(np.array([[0.5, 0.25]]))[0]
    assert f"≈ {score:.4f}`" in doc_text
    assert E.dumps(lm.model, **lm.metadata()) == example  # the example is exactly what dumps writes


def test_a_layer_with_mixed_neuron_activations_cannot_be_exported():
    m = MLP(2, [2, 1], seed=0)
    m.layers[0].neurons[1].activation = "tanh"
    with pytest.raises(E.WeightsError, match="cannot export") as info:
        E.dumps(m)
    assert "layers[0]" in info.value.problems[0] and "different activations" in info.value.problems[0]


def test_dumps_refuses_a_file_over_the_size_limit(monkeypatch):
    monkeypatch.setattr(E, "MAX_BYTES", 200)
    with pytest.raises(E.WeightsError, match="limit is 200"):
        E.dumps(MLP(2, [1], seed=0))


# ---------------------------------------------------------------- hostile text and extreme numbers


def test_a_lone_surrogate_anywhere_is_refused_naming_the_field():
    doc = json.loads(E.dumps(MLP(2, [1], seed=0), feature_names=["a", "b"]))
    doc["feature_names"][1] = "\ud800"
    doc["training"] = {"note\udc80": "x", "csv": "data\udfff.csv"}
    with pytest.raises(E.WeightsError) as e:
        E.loads(json.dumps(doc))  # ASCII JSON: the surrogates travel as legal \ud800 escapes
    problems = e.value.problems
    assert any(p.startswith("feature_names[1] holds a character that is not valid Unicode") for p in problems)
    assert any(p.startswith("a key in training") for p in problems)
    assert any(p.startswith("training.csv") and "U+DFFF" in p for p in problems)
    str(e.value).encode("utf-8")  # the message itself can be shown and logged


def test_a_message_quoting_a_bad_value_is_valid_text():
    with pytest.raises(E.WeightsError) as e:
        E.loads('{"format": "\\ud800x"}')
    assert '"\\ud800x"' in str(e.value)  # shown as its escape
    str(e.value).encode("utf-8")


def test_predict_standardises_huge_inputs_without_overflow(recwarn):
    model = MLP(1, [1], activation="linear", output_activation="linear", seed=0)
    text = E.dumps(model, preprocessing={"mean": [-1e308], "std": [1e308]})
    loaded = E.loads(text)
    scores = loaded.predict(np.array([[1e308], [-1e308]]))
    w, b = model.layers[0].neurons[0].w[0].data, model.layers[0].neurons[0].b.data
    assert np.allclose(scores, [2.0 * w + b, b])  # (1e308 + 1e308) / 1e308 = 2, no inf on the way
    assert not [w for w in recwarn if issubclass(w.category, RuntimeWarning)]


def test_save_goes_through_the_one_writer(tmp_path):
    import stat

    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    with pytest.raises(OSError, match="named pipe"):
        E.save(fifo, MLP(2, [1], seed=0))  # refused, not opened (which would block) nor replaced
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)
