"""Each op's math once: the float ops, the array table, and the metrics and boundary that use them."""

from __future__ import annotations

import ast
import itertools
import math
from pathlib import Path

import numpy as np
import pytest

from micrograd import ops
from micrograd.engine import Value
from micrograd.fast import arrays, numeric
from micrograd.fast.arrays import EXACT, FAST
from micrograd.fast.compiled import CompiledLoss
from micrograd.losses import per_example
from micrograd.nn import MLP
from micrograd.studio.config import RunConfig
from micrograd.studio.trainer import Trainer

ROOT = Path(__file__).resolve().parents[1]
# the old field names and every private slot of Value today
PRIVATE = {"_prev", "_local", "_op"} | {s for s in Value.__slots__ if s.startswith("_")}
# every float class the ops must handle: ordinary, tiny, huge (overflowing exp), zeros, inf and nan
EDGE = [
    -800.0,
    -40.0,
    -3.5,
    -1.0,
    -1e-300,
    -0.0,
    0.0,
    1e-300,
    0.25,
    1.0,
    2.5,
    40.0,
    800.0,
    math.inf,
    -math.inf,
    math.nan,
]


def same(a: np.ndarray, b: np.ndarray) -> bool:
    """Equal to the bit, nan equal to nan and 0.0 distinct from -0.0."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return a.shape == b.shape and a.tobytes() == b.tobytes() or bool(np.all((a == b) | (np.isnan(a) & np.isnan(b))))


def private_reads(source: str) -> list[str]:
    """Where source reads one of Value's private fields: attribute access, or the name as a string (getattr)."""
    found = []
    for n in ast.walk(ast.parse(source)):
        if isinstance(n, ast.Attribute) and n.attr in PRIVATE:
            found.append(f"{n.lineno} .{n.attr}")
        if isinstance(n, ast.Constant) and n.value in PRIVATE:
            found.append(f"{n.lineno} {n.value!r}")
    return found


def test_no_module_outside_the_engine_reads_its_private_fields() -> None:
    offenders = []
    for path in sorted((ROOT / "micrograd").rglob("*.py")):
        if path != ROOT / "micrograd" / "engine.py":
            offenders += [f"{path.relative_to(ROOT)}:{where}" for where in private_reads(path.read_text())]
    assert offenders == []


def test_the_private_field_check_can_fail() -> None:
    assert private_reads("def f(v):\n    return v._prev, getattr(v, '_local'), v.children, v._c0\n") == [
        "2 ._prev",
        "2 ._c0",
        "2 '_local'",
    ]


def test_public_properties_are_read_only_and_describe_the_node() -> None:
    a, b = Value(2.0), Value(3.0)
    out = a * b
    assert out.children == (a, b) and out.local_grads == (3.0, 2.0) and out.op == "*"
    t = a.tanh()
    assert t.children == (a,) and t.op == "tanh" and t.local_grads == (1.0 - math.tanh(2.0) ** 2,)
    three = Value(6.0, (a, b, out), "sum3", (1.0, 1.0, 1.0))
    assert three.children == (a, b, out) and three.local_grads == (1.0, 1.0, 1.0)
    assert a.children == () and a.local_grads == () and a.op == ""
    for name in ("children", "local_grads", "op"):
        with pytest.raises(AttributeError):
            setattr(out, name, ())
    with pytest.raises(ValueError, match="one local derivative per child"):
        Value(1.0, (a, b), "+", (1.0,))


@pytest.mark.parametrize("name", list(ops.UNARY))
def test_value_ops_use_the_float_table(name: str) -> None:
    f, grad = ops.UNARY[name]
    for x in EDGE:
        out = getattr(Value(x), name)()
        assert same(out.data, f(x)) and out.op == name
        assert same(out.local_grads[0], grad(x, f(x)))


@pytest.mark.parametrize("name", list(ops.UNARY))
def test_exact_table_is_the_float_ops_element_by_element(name: str) -> None:
    f, grad = ops.UNARY[name]
    x = np.array(EDGE + list(np.random.default_rng(0).normal(scale=5.0, size=200)))
    fwd, d = EXACT.unary(name)
    with np.errstate(all="ignore"):
        out = fwd(x)
        local = d(x, out)
    assert same(out, [f(v) for v in x.tolist()])
    assert same(local, [grad(v, o) for v, o in zip(x.tolist(), out.tolist())])


@pytest.mark.parametrize("name", list(ops.UNARY))
def test_fast_table_agrees_with_the_float_ops(name: str) -> None:
    """NumPy's vectorised functions may differ in the last bit, never in inf/nan/sign conventions."""
    f, grad = ops.UNARY[name]
    x = np.array(EDGE + list(np.random.default_rng(1).normal(scale=5.0, size=200)))
    fwd, d = FAST.unary(name)
    with np.errstate(all="ignore"):
        out = fwd(x)
        local = d(x, out)
    want = np.array([f(v) for v in x.tolist()])
    want_d = np.array([grad(v, o) for v, o in zip(x.tolist(), want.tolist())])
    np.testing.assert_allclose(out, want, rtol=1e-15, atol=0)
    # 1 - t*t of a saturated unit turns tanh's last-bit difference into a relative one: compare absolutely
    np.testing.assert_allclose(local, want_d, rtol=1e-13, atol=1e-15)


def test_pow_derivatives_match_between_tables() -> None:
    a = np.array([0.0, -0.0, 0.5, 2.0, -2.0, -8.0, math.inf, 3.0])
    b = np.array([2.0, -1.0, 0.5, -3.0, 2.0, 1.0 / 3.0, 1.0, 0.0])
    with np.errstate(all="ignore"):
        out = EXACT.pow(a, b)
        assert same(out, [ops.pow(x, y) for x, y in zip(a.tolist(), b.tolist())])
        assert same(EXACT.pow_grad_base(a, b), [ops.pow_grad_base(x, y) for x, y in zip(a.tolist(), b.tolist())])
        got = EXACT.pow_grad_exponent(a, out)
    assert same(got, [ops.pow_grad_exponent(x, o) for x, o in zip(a.tolist(), out.tolist())])


def test_one_sigmoid_and_one_of_each_loss_per_representation() -> None:
    """The metrics' activations are the executor's functions, and each loss is built from the table."""
    assert numeric.activate("sigmoid", np.array([0.5])) == FAST.sigmoid(np.array([0.5]))
    assert arrays.ACTIVATIONS["sigmoid"] is FAST.sigmoid and arrays.ACTIVATIONS["tanh"] is FAST.tanh
    assert arrays.ACTIVATIONS["relu"] is arrays.relu
    s = np.linspace(-30, 30, 241)
    for y in (-1.0, 1.0):
        for name in ("mse", "svm", "bce"):
            scalar = [per_example(name)(Value(v), y).data for v in s.tolist()]
            got = numeric.per_example_loss(name, s, np.full_like(s, y))
            np.testing.assert_allclose(got, scalar, rtol=1e-15, atol=0)


@pytest.mark.parametrize("activation,loss", list(itertools.product(["relu", "tanh", "sigmoid"], ["mse", "svm", "bce"])))
def test_train_loss_of_a_step_equals_its_exact_data_loss(activation: str, loss: str) -> None:
    """Full batch, no L2: the objective a step minimised (compiled, exact mode) is the train loss the
    metrics report for it (NumPy forward at the same weights). Matrix products sum in another order than
    the scalar engine, so agreement is to 1e-12 relative, not to the bit."""
    cfg = RunConfig(
        dataset="moons", samples=60, test_fraction=0.25, layers=[8, 8], activation=activation, loss=loss, l2=0.0
    )
    cfg = cfg.replace(batch_size=0, steps=6, lr=0.3, lr_end=0.3, engine="compiled")
    tr = Trainer(cfg)
    records = [tr.step() for _ in range(6)]
    for r in records:
        assert r is not None
        assert r["train_loss"] == pytest.approx(r["loss"], rel=1e-12, abs=1e-300)
    # and the scalar engine reports the same objective for the same weights
    scalar = Trainer(cfg.replace(engine="scalar"))
    assert scalar.step()["loss"] == records[0]["loss"]


def test_numeric_mean_is_the_executor_mean() -> None:
    rng = np.random.default_rng(3)
    model = MLP(2, [6, 1], "tanh", seed=5)
    X, y = rng.normal(size=(37, 2)) * 3, rng.choice([-1.0, 1.0], 37)
    compiled = CompiledLoss(model, "bce", exact=True)
    losses, _ = compiled.evaluate(X, y)
    assert arrays.mean(losses) == compiled(X, y)[0]  # the same sequential sum, to the bit


@pytest.mark.parametrize("activation", ["relu", "tanh", "sigmoid", "linear"])
def test_boundary_grid_sign_agrees_with_the_scalar_forward(activation: str) -> None:
    model = MLP(2, [16, 16, 1], activation, seed=11)
    _, _, pts = numeric.grid((-3.0, 3.0), (-3.0, 3.0), 41)
    out = model.layers[-1].neurons[0]
    out.b.data -= float(np.median([model(p).data for p in pts[::7].tolist()]))  # put the boundary in the grid
    grid_scores = numeric.scores(numeric.layers_of(model), pts)
    scalar = np.array([model(p).data for p in pts.tolist()])
    np.testing.assert_allclose(grid_scores, scalar, rtol=1e-12, atol=1e-13)
    clear = np.abs(scalar) > 1e-9  # where rounding cannot flip the sign
    assert clear.mean() > 0.95
    assert np.array_equal(grid_scores[clear] > 0, scalar[clear] > 0)
    assert (scalar > 0).any() and (scalar <= 0).any()  # the grid crosses the boundary
