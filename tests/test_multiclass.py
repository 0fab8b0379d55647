"""Log-sum-exp, softmax cross-entropy and the Weston-Watkins hinge: values, gradients, stability, compiled == scalar."""

from __future__ import annotations

import math
import zlib

import numpy as np
import pytest
from hypothesis import given

from micrograd import ops
from micrograd.engine import Value, logsumexp
from micrograd.fast import arrays, numeric
from micrograd.fast.arrays import EXACT, FAST
from micrograd.fast.compiled import CompiledLoss
from micrograd.gradcheck import central_difference
from micrograd.losses import ce_one, hinge_one, task_batch_loss, task_loss
from micrograd.nn import MLP
from micrograd.studio.config import LOSSES_BY_TASK
from tests.strategies import SETTINGS, class_scores, scores_and_class
from tests.test_compiled import assert_matches, rounding_bound


def grads_of(f, xs: list[float]) -> tuple[float, list[float]]:
    """(f at xs, d f / d xs) by backprop through Values."""
    vs = [Value(x) for x in xs]
    out = f(vs)
    out.backward()
    return out.data, [v.grad for v in vs]


def numeric_grads(f, xs: list[float]) -> list[float]:
    """Central differences of f over each of xs."""
    plain = lambda *a: f([Value(x) for x in a]).data  # noqa: E731
    return [central_difference(plain, *xs, arg=i) for i in range(len(xs))]


def reference_ce(s: list[float], y: int) -> float:
    """-log softmax(s)[y] in exact rational-free form: log Σ e**(s_j - s_y), with math.fsum."""
    m = max(s)
    return m + math.log(math.fsum(math.exp(v - m) for v in s)) - s[y]


# ---------------------------------------------------------------- the log-sum-exp primitive


@SETTINGS
@given(class_scores)
def test_logsumexp_value_and_softmax_gradient(s):
    value, grad = grads_of(logsumexp, s)
    assert value == pytest.approx(math.log(math.fsum(math.exp(v) for v in s)), rel=1e-12)
    total = math.fsum(math.exp(v) for v in s)
    assert grad == pytest.approx([math.exp(v) / total for v in s], rel=1e-9, abs=1e-15)
    assert grad == pytest.approx(numeric_grads(logsumexp, s), rel=1e-5, abs=1e-7)
    assert math.fsum(grad) == pytest.approx(1.0, abs=1e-12)  # the softmax sums to 1


def test_logsumexp_is_one_node_over_all_its_operands():
    vs = [Value(1.0), Value(2.0), Value(3.0), Value(4.0)]
    out = Value.logsumexp(vs)
    assert out.op == "logsumexp" and out.children == tuple(vs) and len(out.local_grads) == 4


@pytest.mark.parametrize("big", [1000.0, -1000.0, 1e5, -1e5])
def test_logsumexp_never_overflows(big):
    value, grad = grads_of(logsumexp, [big, big - 1.0, big - 2.0])
    want = big + math.log(1 + math.exp(-1) + math.exp(-2))
    assert value == pytest.approx(want, rel=1e-15) and all(math.isfinite(g) for g in grad)
    assert grad[0] == pytest.approx(1 / (1 + math.exp(-1) + math.exp(-2)), rel=1e-12)


def test_logsumexp_edge_cases_follow_ieee():
    inf = math.inf
    assert ops.logsumexp([inf, 0.0]) == inf and ops.logsumexp([-inf, -inf]) == -inf
    assert ops.logsumexp([-inf, 2.0]) == 2.0 and math.isnan(ops.logsumexp([math.nan, 1.0]))
    with pytest.raises(ValueError, match="at least one"):
        ops.logsumexp([])


def test_array_tables_agree_with_the_float_op():
    rng = np.random.default_rng(0)
    X = np.concatenate([rng.normal(scale=30.0, size=(4, 50)), [[1000.0, -1000.0, np.inf, -np.inf, np.nan]] * 4], 1)
    X[1, -3:] = [5.0, -np.inf, 0.0]
    want = [ops.logsumexp(col) for col in X.T.tolist()]
    with np.errstate(all="ignore"):
        exact, fast = EXACT.logsumexp(X), FAST.logsumexp(X)
        np.testing.assert_array_equal(exact, want)  # bit for bit, nan where nan
        np.testing.assert_allclose(fast, want, rtol=1e-14)
        soft = [ops.logsumexp_grad(col, o) for col, o in zip(X.T.tolist(), want)]
        np.testing.assert_array_equal(EXACT.softmax(X, exact), np.array(soft).T)
        np.testing.assert_allclose(FAST.softmax(X, fast), np.array(soft).T, rtol=1e-13)


# ---------------------------------------------------------------- cross-entropy


@SETTINGS
@given(scores_and_class())
def test_ce_value_and_gradient(case):
    s, y = case
    value, grad = grads_of(lambda vs: ce_one(vs, y), s)
    assert value == pytest.approx(reference_ce(s, y), rel=1e-12, abs=1e-14)
    assert grad == pytest.approx(numeric_grads(lambda vs: ce_one(vs, y), s), rel=1e-5, abs=1e-7)
    soft = [math.exp(v - ops.logsumexp(s)) for v in s]
    assert grad == pytest.approx([p - (j == y) for j, p in enumerate(soft)], abs=1e-12)


@pytest.mark.parametrize("scale", [1000.0, -1000.0])
def test_ce_at_scores_of_1000_is_finite_and_exact(scale):
    s, y = [scale, -scale, 0.5 * scale], 1
    value, grad = grads_of(lambda vs: ce_one(vs, y), s)
    assert value == reference_ce(s, y) and math.isfinite(value)
    assert all(math.isfinite(g) for g in grad) and math.fsum(grad) == pytest.approx(0.0, abs=1e-12)
    assert arrays.ce(np.array([s]), np.array([y]))[0] == pytest.approx(value, rel=1e-15)


@SETTINGS
@given(scores_and_class())
def test_one_hot_targets_give_exactly_the_index_form(case):
    """What the compiled engine traces (one-hot leaves) is the same number as the index form, bit for bit."""
    s, y = case
    onehot = [float(j == y) for j in range(len(s))]
    for f in (ce_one, hinge_one):
        a, ga = grads_of(lambda vs, f=f: f(vs, y), s)
        b, gb = grads_of(lambda vs, f=f: f(vs, onehot), s)
        assert a == b and ga == gb


# ---------------------------------------------------------------- multi-class hinge (Weston-Watkins)


@SETTINGS
@given(scores_and_class(margin=1e-3))
def test_hinge_is_weston_watkins(case):
    s, y = case
    value, grad = grads_of(lambda vs: hinge_one(vs, y), s)
    assert value == pytest.approx(math.fsum(max(0.0, 1 + v - s[y]) for j, v in enumerate(s) if j != y), abs=1e-12)
    assert grad == pytest.approx(numeric_grads(lambda vs: hinge_one(vs, y), s), rel=1e-5, abs=1e-7)
    assert arrays.hinge(np.array([s]), np.array([y]))[0] == pytest.approx(value, abs=1e-12)


@pytest.mark.parametrize("scale", [1000.0, -1000.0])
def test_hinge_at_scores_of_1000(scale):
    value, grad = grads_of(lambda vs: hinge_one(vs, 0), [scale, -scale, 0.0])
    assert math.isfinite(value) and all(math.isfinite(g) for g in grad)
    assert value == (0.0 if scale > 0 else 2 * 1000.0 + 1 + 1000.0 + 1)


def test_losses_must_fit_the_task():
    with pytest.raises(ValueError, match="does not fit task multiclass; choose one of ce, hinge"):
        task_loss("multiclass", "svm")
    with pytest.raises(ValueError, match="task must be one of"):
        task_loss("ranking", "ce")


# ---------------------------------------------------------------- compiled == scalar on every task x loss

TASK_LOSSES = [(task, loss) for task, names in LOSSES_BY_TASK.items() for loss in names]


def task_data(task: str, k: int, rng: np.random.Generator, n: int = 23) -> tuple[np.ndarray, np.ndarray]:
    X = rng.normal(size=(n, 3)) * 2.0
    if task == "binary":
        return X, rng.choice([-1.0, 1.0], n)
    if task == "multiclass":
        return X, rng.integers(0, k, n)
    return X, rng.normal(size=(n, k)) if k > 1 else rng.normal(size=n)


def scalar_task_reference(model: MLP, task: str, loss: str, X: np.ndarray, y: np.ndarray):
    """(loss, gradient, bound) of the scalar engine, as tests/test_compiled.py's scalar_reference."""

    model.zero_grad()
    outs = []
    for row in X.tolist():
        o = model(row)
        outs.append([o] if isinstance(o, Value) else o)
    labels = [int(v) for v in y] if task == "multiclass" else y.tolist()
    L = task_batch_loss(task, loss, outs, labels)
    L.backward()
    params = model.parameters()
    return L.data, np.array([p.grad for p in params]), rounding_bound(L, params)


@pytest.mark.parametrize("exact", [True, False])
@pytest.mark.parametrize("act", ["relu", "tanh"])
@pytest.mark.parametrize(("task", "loss"), TASK_LOSSES)
def test_compiled_equals_scalar_on_every_task_and_loss(task, loss, act, exact):
    rng = np.random.default_rng(zlib.crc32(f"{task} {loss} {act}".encode()))
    for k in [1] if task == "binary" else [3, 5] if task == "multiclass" else [1, 2]:
        model = MLP(3, [6, 5, k], act, seed=int(rng.integers(1000)))
        X, y = task_data(task, k, rng)
        want = scalar_task_reference(model, task, loss, X, y)
        compiled = CompiledLoss(model, loss, task=task, exact=exact)
        got = compiled(X, y)
        assert_matches(got, want, rtol=1e-12 if exact else 1e-9, btol=1e-13 if exact else 1e-12)
        losses, scores = compiled.evaluate(X, y)
        assert scores.shape == ((len(X),) if k == 1 else (len(X), k))
        out = numeric.outputs(numeric.layers_of(model), X)
        np.testing.assert_allclose(scores.reshape(len(X), -1), out, rtol=1e-12, atol=1e-12)
        # the NumPy metrics' loss is the training loss
        assert numeric.task_loss(task, loss, out, y) == pytest.approx(want[0], rel=1e-12)


def test_compiled_ce_stays_exact_when_the_max_changes_between_rows():
    """A max frozen at trace time would be a constant; the primitive recomputes it for every row."""
    model = MLP(2, [3], "linear", seed=0)
    X = np.array([[500.0, -500.0], [-500.0, 500.0], [0.0, 0.0], [900.0, 20.0]])
    y = np.array([0, 1, 2, 1])
    want = scalar_task_reference(model, "multiclass", "ce", X, y)
    got = CompiledLoss(model, "ce", task="multiclass")(X, y)
    assert math.isfinite(got[0]) and np.isfinite(got[1]).all()
    assert_matches(got, want)


def test_compiled_refuses_labels_out_of_range():
    c = CompiledLoss(MLP(2, [3], seed=0), "ce", task="multiclass")
    with pytest.raises(ValueError, match="class indices 0..2"):
        c(np.zeros((2, 2)), np.array([0, 3]))
    with pytest.raises(ValueError, match="one output unit"):
        CompiledLoss(MLP(2, [3], seed=0), "svm")


# ---------------------------------------------------------------- metrics


def test_predict_and_metrics_for_classes():
    out = np.array([[2.0, 1.0, 0.0], [0.0, 3.0, 1.0], [0.0, 1.0, 5.0], [1.0, 0.0, 0.5], [np.nan, 0.0, 0.0]])
    y = np.array([0, 1, 1, 2, 0])
    assert numeric.predict("multiclass", out).tolist() == [0, 1, 2, 0, 1]
    m = numeric.metrics("multiclass", out, y)
    assert m["accuracy"] == pytest.approx(2 / 5)  # the nan row is wrong whatever argmax says
    assert m["confusion"] == [[1, 1, 0], [0, 1, 1], [1, 0, 0]]
    assert sum(map(sum, m["confusion"])) == len(y)
    b = numeric.metrics("binary", np.array([[1.0], [-2.0], [0.5]]), np.array([1.0, 1.0, -1.0]))
    assert b["accuracy"] == pytest.approx(1 / 3) and b["confusion"] == [[0, 1], [1, 1]]
    assert numeric.predict("binary", np.array([[0.3], [-0.1]])).tolist() == [1.0, -1.0]


@pytest.mark.parametrize(
    ("dataset", "task", "loss"),
    [
        ("spiral", "multiclass", "ce"),
        ("blobs", "multiclass", "hinge"),
        ("sine", "regression", "mse"),
        ("step", "regression", "huber"),
    ],
)
def test_every_task_trains_the_same_in_the_scalar_and_the_compiled_engine(dataset, task, loss):
    from micrograd.studio.presets import preset_config
    from micrograd.studio.trainer import Trainer

    runs = []
    for engine in ("scalar", "compiled"):
        tr = Trainer(preset_config(dataset, task, engine=engine, loss=loss, steps=15, samples=80, layers=[6, 6]))
        assert tr.run() == "finished"
        runs.append(tr)
    a, b = (np.array([p.data for p in tr.model.parameters()]) for tr in runs)
    np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-12)
    score = "train_r2" if task == "regression" else "train_accuracy"
    assert runs[0].history[-1][score] == pytest.approx(runs[1].history[-1][score], abs=1e-9)
