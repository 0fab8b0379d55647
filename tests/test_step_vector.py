"""The vector pieces of Trainer.step() equal, bit for bit, the Value loops they replace (issue 12)."""

from __future__ import annotations

import ast
import math
import os
import random
import subprocess
import sys

import numpy as np
import pytest

from micrograd.engine import Value
from micrograd.fast import numeric
from micrograd.fast.compiled import CompiledLoss
from micrograd.nn import MLP
from micrograd.optim import SGD
from micrograd.studio import diagnostics
from micrograd.studio import trainer as trainer_module
from micrograd.studio.config import RunConfig
from micrograd.studio.threads import BLAS_THREAD_VARIABLES
from micrograd.studio.trainer import Trainer, sgd_update


def bits(a) -> list[str]:
    return [float(v).hex() for v in np.asarray(a, dtype=float).ravel()]


def awkward_floats(n: int, seed: int) -> list[float]:
    """Floats of every scale, subnormals and near-overflow values included, both signs."""
    rng = random.Random(seed)
    return [rng.choice((-1, 1)) * rng.random() * 10.0 ** rng.randint(-310, 300) for _ in range(n)]


def test_layers_from_a_vector_are_the_layers_of_the_model():
    model = MLP(3, [5, 4, 2], activation="tanh", seed=3)
    params = model.parameters()
    theta = np.array([p.data for p in params])
    got = numeric.layers_from(theta, numeric.layer_index(model, params))
    want = numeric.layers_of(model)
    assert len(got) == len(want) == 3
    for g, w in zip(got, want):
        assert g.activation == w.activation
        assert g.weight.shape == w.weight.shape and g.weight.flags.c_contiguous
        assert bits(g.weight) == bits(w.weight) and bits(g.bias) == bits(w.bias)
    theta[0] = 123.0  # a copy, not a view: the step's layers keep the weights they were taken at
    assert 123.0 not in got[0].weight


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_gradient_norms_are_those_of_the_values(seed):
    model = MLP(2, [6, 5, 1], seed=seed)
    params = model.parameters()
    for p, g in zip(params, awkward_floats(len(params), seed)):
        p.grad = g
    grads = np.array([p.grad for p in params])
    total, layers = diagnostics.grad_norms(grads, model.sizes)
    assert total == pytest.approx(math.sqrt(math.fsum(p.grad * p.grad for p in params)), rel=1e-14)
    assert bits(layers) == bits(diagnostics.layer_grad_norms(model, params))
    start = 0
    for (nin, nout), norm in zip(zip(model.sizes, model.sizes[1:]), layers):  # each layer's own slice
        end = start + (nin + 1) * nout
        assert norm == pytest.approx(math.sqrt(math.fsum(p.grad * p.grad for p in params[start:end])), rel=1e-14)
        start = end
    assert end == len(params)


def test_gradient_norms_overflow_as_the_values_do():
    model = MLP(2, [3, 1], seed=0)
    grads = np.full(len(model.parameters()), 1e200)
    total, layers = diagnostics.grad_norms(grads, model.sizes)
    assert total == math.inf and all(v == math.inf for v in layers)


@pytest.mark.parametrize("momentum, weight_decay", [(0.0, 0.0), (0.9, 0.0), (0.5, 0.01), (0.0, 0.3)])
def test_sgd_on_a_vector_is_sgd_step_bit_for_bit(momentum, weight_decay):
    data, grads = awkward_floats(40, 1), awkward_floats(40, 2)
    values = [Value(x) for x in data]
    opt = SGD(values, lr=0.37, momentum=momentum, weight_decay=weight_decay)
    twin = SGD([Value(x) for x in data], lr=0.37, momentum=momentum, weight_decay=weight_decay)
    theta = np.array(data)
    for step in range(3):  # momentum buffers carried over between steps
        for p, g in zip(values, grads):
            p.grad = g
        with np.errstate(all="ignore"):
            opt.step()
            theta = sgd_update(twin, theta, np.array(grads))
        assert bits(theta) == bits([p.data for p in values]), step
        assert bits(twin.velocity) == bits(opt.velocity) and all(type(v) is float for v in twin.velocity)


def test_the_compiled_loss_runs_at_a_given_vector():
    model = MLP(2, [4, 1], seed=5)
    X, y = np.random.default_rng(0).normal(size=(9, 2)), np.where(np.arange(9) % 2, 1.0, -1.0)
    f = CompiledLoss(model, "svm")
    theta = f.parameter_vector() * 0.5
    at_theta = f(X, y, theta)
    for p, x in zip(model.parameters(), theta.tolist()):
        p.data = x
    at_values = f(X, y)
    assert at_theta[0].hex() == at_values[0].hex() and bits(at_theta[1]) == bits(at_values[1])


def test_a_weight_edited_between_steps_is_the_one_the_next_step_uses():
    """The trainer reads the parameter vector from the Values every step, so an edit on a page is not lost."""
    tr = Trainer(RunConfig(samples=40, layers=[4], steps=5, l2=0.0))
    tr.step()
    tr.params[0].data = 0.25
    rec = tr.step()
    assert rec is not None
    assert tr.params[0].data == 0.25 - rec["lr"] * tr.params[0].grad


def test_the_values_hold_the_new_weights_and_grads_when_step_returns():
    tr = Trainer(RunConfig(samples=40, layers=[4], steps=5, l2=0.01))
    before = np.array([p.data for p in tr.params])
    tr.step()
    grads = np.array([p.grad for p in tr.params])
    assert bits([p.data for p in tr.params]) == bits(before - tr.optimizer.lr * grads)
    assert np.any(grads != 0)


def test_a_trainer_limits_blas_to_one_thread(monkeypatch):
    calls = []
    monkeypatch.setattr(trainer_module, "one_blas_thread", lambda: calls.append(1))
    Trainer(RunConfig(samples=20, layers=[3], steps=1))
    assert calls == [1]


def test_a_real_trainer_leaves_one_blas_thread_even_for_a_blas_loaded_later():
    """In a fresh process (no thread variables set): NumPy's OpenBLAS, and SciPy's loaded after the trainer."""
    code = (
        "from micrograd.studio.config import RunConfig\n"
        "from micrograd.studio.trainer import Trainer\n"
        "Trainer(RunConfig(samples=20, layers=[3], steps=1))\n"
        "import scipy.linalg\n"
        "from threadpoolctl import threadpool_info\n"
        "print([p['num_threads'] for p in threadpool_info() if p['user_api'] == 'blas'])\n"
    )
    env = {k: v for k, v in os.environ.items() if k not in BLAS_THREAD_VARIABLES and k != "OMP_NUM_THREADS"}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True).stdout
    threads = ast.literal_eval(out.strip())
    assert len(threads) >= 2 and set(threads) == {1}, threads


@pytest.mark.parametrize(
    "task, says, never",
    [
        ("binary", "an SVM or BCE loss instead of MSE", "Huber"),
        ("regression", "the Huber loss instead of MSE", "SVM"),
        ("multiclass", "momentum 0", "SVM"),
    ],
)
def test_divergence_advice_fits_the_task(task, says, never):
    m = diagnostics.Monitor()
    text = m.divergence(3, math.inf, 1.0, True, 0.5, task)
    assert says in text and never not in text and "try 0.03" in text


def test_a_diverging_regression_is_told_to_try_huber_not_svm():
    tr = Trainer(RunConfig(dataset="sine", task="regression", loss="mse", layers=[8], lr=1000.0, momentum=0.99))
    tr.run()
    assert tr.status == "diverged"
    assert "Huber" in tr.message and "SVM" not in tr.message


@pytest.mark.parametrize("seed", range(6))
def test_quantiles_are_numpys_bit_for_bit(seed):
    """Every size from 1 up, ties, signed zeros (a zero is always 0.0, whichever NumPy's partition picks), all scales."""
    rng = np.random.default_rng(seed)
    for n in [*range(1, 40), 99, 100, 1600, 1601, 4000]:
        kind = (n + seed) % 4
        if kind == 0:
            a = rng.normal(size=n)
        elif kind == 1:  # ReLU-like: many exact zeros of both signs
            a = np.maximum(rng.normal(size=n), 0.0) * rng.choice([-1.0, 1.0], size=n)
        elif kind == 2:  # few distinct values
            a = rng.integers(-2, 3, size=n).astype(float)
        else:
            a = np.array(awkward_floats(n, seed + n))
        got, want = diagnostics.quantiles(a), np.quantile(a, diagnostics.QUANTILES)
        assert bits(got) == bits(want + 0.0), (n, kind)  # -0.0 + 0.0 is 0.0; any other value keeps its bits
        assert not np.signbit(got[got == 0.0]).any()
