"""Regression: the Huber op, MSE and Huber losses, R² / MAE / RMSE, target scaling, training and the weights file."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from micrograd import ops
from micrograd.engine import Value
from micrograd.fast import arrays, numeric
from micrograd.gradcheck import gradcheck
from micrograd.losses import huber_reg, mse_one, mse_reg
from micrograd.studio import weights as W
from micrograd.studio.config import RunConfig
from micrograd.studio.datasets import from_arrays, make_dataset
from micrograd.studio.trainer import Trainer
from tests.strategies import SETTINGS, finite, huber_arg


@SETTINGS
@given(huber_arg)
def test_huber_op_value_and_gradient(x):
    want = 0.5 * x * x if abs(x) <= 1 else abs(x) - 0.5
    assert ops.huber(x) == want
    gradcheck(lambda v: v.huber(), x)
    assert Value(x).huber().local_grads[0] == max(-1.0, min(1.0, x))


def test_huber_edge_cases():
    assert ops.huber(math.inf) == math.inf and ops.huber(-math.inf) == math.inf
    assert math.isnan(ops.huber(math.nan)) and math.isnan(ops.huber_grad(math.nan, math.nan))
    assert (ops.huber_grad(-5.0, 4.5), ops.huber_grad(1.0, 0.5), ops.huber_grad(7.0, 6.5)) == (-1.0, 1.0, 1.0)


@SETTINGS
@given(st.lists(st.tuples(finite(-5.0, 5.0), finite(-5.0, 5.0)), min_size=1, max_size=3))
def test_regression_losses_average_over_the_targets(pairs):
    s, t = [p[0] for p in pairs], [p[1] for p in pairs]
    outs = [Value(v) for v in s]
    mse = mse_reg(outs, t if len(t) > 1 else t[0])
    assert mse.data == pytest.approx(sum((a - b) ** 2 for a, b in pairs) / len(pairs), rel=1e-12)
    hub = huber_reg([Value(v) for v in s], t)
    assert hub.data == pytest.approx(sum(ops.huber(a - b) for a, b in pairs) / len(pairs), rel=1e-12)
    S, Y = np.array([s]), np.array([t])
    assert arrays.mse_reg(S, Y)[0] == pytest.approx(mse.data, rel=1e-12)
    assert arrays.huber_reg(S, Y)[0] == pytest.approx(hub.data, rel=1e-12)
    for f in (mse_reg, huber_reg):
        gradcheck(lambda *vs, f=f: f(list(vs), t), *s)


def test_one_target_mse_is_the_binary_mse_node_for_node():
    a, b = mse_reg([Value(0.3)], 1.5), mse_one(Value(0.3), 1.5)
    assert a.data == b.data and a.op == b.op


def test_r2_mae_rmse_match_their_definitions():
    from sklearn.metrics import mean_absolute_error, mean_squared_error, r2_score

    rng = np.random.default_rng(0)
    y = rng.normal(size=(50, 2))
    out = y + rng.normal(scale=0.3, size=(50, 2))
    m = numeric.metrics("regression", out, y)
    assert m["r2"] == pytest.approx(r2_score(y, out), rel=1e-12)
    assert m["mae"] == pytest.approx(mean_absolute_error(y, out), rel=1e-12)
    assert m["rmse"] == pytest.approx(math.sqrt(mean_squared_error(y, out)), rel=1e-12)
    one = numeric.metrics("regression", out[:, :1], y[:, 0])
    assert one["r2"] == pytest.approx(r2_score(y[:, 0], out[:, 0]), rel=1e-12)
    assert all(math.isnan(v) for v in numeric.metrics("regression", np.zeros((0, 1)), np.zeros(0)).values())
    assert numeric.predict("regression", out).shape == (50, 2) and numeric.predict("regression", out[:, :1]).ndim == 1


def test_targets_are_standardised_with_the_training_rows():
    d = make_dataset("sine", 200, 0.1, 0.25, seed=3)
    assert d.task == "regression" and d.n_outputs == 1 and d.class_names == ("y",)
    assert d.y_train.mean() == pytest.approx(0.0, abs=1e-12) and d.y_train.std() == pytest.approx(1.0, rel=1e-12)
    raw = np.sin(np.concatenate([d.X_train[:, 0], d.X_test[:, 0]]))
    back = d.unscale(np.concatenate([d.y_train, d.y_test]))
    assert np.abs(back - raw).max() < 0.5  # the noise, σ = 0.1, is all that separates them
    s = d.target_scaling
    assert s is not None and len(s["mean"]) == len(s["std"]) == 1 and s["std"][0] > 0


def test_two_targets_from_arrays_train_and_export_version_2():
    rng = np.random.default_rng(1)
    X = rng.uniform(-1, 1, size=(60, 2))
    Y = np.column_stack([X[:, 0] + 10.0, 100.0 * X[:, 1]])
    d = from_arrays(X, Y, "regression", ["a", "b"], ["x1", "x2"], test_fraction=0.25, seed=2)
    assert d.n_outputs == 2 and d.y_train.shape == (45, 2) and d.target_scaling["mean"][0] == pytest.approx(10, abs=0.2)
    for engine in ("compiled", "scalar"):
        config = RunConfig(
            dataset="csv",
            csv="drawn",
            task="regression",
            loss="huber",
            layers=[8],
            engine=engine,
            activation="tanh",
            init="scaled",
            lr=0.1,
            lr_end=0.05,
            steps=150,
            momentum=0.9,
        )
        tr = Trainer(config.replace(), d)
        tr.run()
        assert tr.status == "finished" and tr.history[-1]["train_r2"] > 0.9 and "train_accuracy" not in tr.history[-1]
    doc = json.loads(tr.export_json())
    assert (doc["version"], doc["task"], doc["class_names"]) == (2, "regression", ["a", "b"])
    assert doc["target_scaling"]["std"][1] == pytest.approx(d.target_scaling["std"][1])
    lm = W.loads(json.dumps(doc))
    want = d.unscale(numeric.outputs(numeric.layers_of(tr.model), d.X_test))
    np.testing.assert_allclose(lm.predict(d.X_test), want, rtol=1e-12)
    assert set(lm.metrics) >= {"train_r2", "test_r2"} and lm.metrics["train_r2"] > 0.9
    with pytest.raises(ValueError, match="predicts values"):
        lm.labels(d.X_test)


def test_a_bad_target_scaling_is_refused():
    tr = Trainer(RunConfig(dataset="sine", task="regression", loss="mse", steps=1, layers=[2]))
    doc = json.loads(tr.export_json())
    doc["target_scaling"] = {"mean": [0.0, 1.0], "std": [0.0]}
    with pytest.raises(W.WeightsError) as e:
        W.loads(json.dumps(doc))
    text = str(e.value)
    assert "target_scaling.mean has 2 numbers; expected 1" in text and "target_scaling.std[0] is 0.0" in text
    doc = json.loads(tr.export_json())
    doc["task"] = "multiclass"
    with pytest.raises(W.WeightsError, match="a multiclass model has one per class"):
        W.loads(json.dumps(doc))
