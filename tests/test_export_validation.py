"""Weights files that are wrong in every way the validator knows, corrupted at random, hostile or extreme: each is
refused with one clear error naming the problem, never a crash."""

from __future__ import annotations

import copy
import json
import math
import os

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from micrograd.nn import MLP
from micrograd.studio import weights as E
from micrograd.studio import weights_check
from tests.test_export import FAST, problems_of, valid_doc

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
