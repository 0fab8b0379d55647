"""The compiled executor against the scalar engine it replays: same loss, same gradients, same IEEE edge cases."""

from __future__ import annotations

import itertools
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from micrograd.engine import Value, topological_order
from micrograd.fast.compiled import CompiledLoss
from micrograd.losses import batch_loss
from micrograd.nn import MLP, Module
from micrograd.optim import SGD
from micrograd.studio.trainer import gc_paused

ROOT = Path(__file__).resolve().parents[1]
ARCHS = [(2, [1]), (2, [4, 1]), (2, [16, 16, 1]), (3, [5, 4, 3, 1]), (30, [16, 16, 1])]
ACTS = ["relu", "tanh", "sigmoid", "linear"]
LOSSES = ["mse", "svm", "bce"]


def scalar_reference(model: Module, loss: str, X: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
    """(loss, gradient, bound) from the scalar engine; bound[i] = sum over paths of |local derivatives|.

    The compiled engine adds the same contributions in another order, so its rounding differs by at most a
    few eps times bound[i]: that, not |grad[i]|, is the scale of an honest tolerance where terms cancel.
    """
    model.zero_grad()
    with gc_paused():
        L = batch_loss(loss, [model(row) for row in X.tolist()], y.tolist())
        L.backward()
        return L.data, np.array([p.grad for p in model.parameters()]), rounding_bound(L, model.parameters())


def rounding_bound(L: Value, params: list[Value]) -> np.ndarray:
    """For each parameter, the sum over the paths from it to L of the product of |local derivatives|."""
    order = topological_order(L)
    bound = {id(v): 0.0 for v in order}
    bound[id(L)] = 1.0
    for v in reversed(order):
        for c, d in zip(v.children, v.local_grads):
            bound[id(c)] += abs(d) * bound[id(v)]
    return np.array([bound[id(p)] for p in params])


def assert_matches(got: tuple[float, np.ndarray], want: tuple[float, np.ndarray, np.ndarray], rtol=1e-12, btol=1e-13):
    loss, grad = got
    want_loss, want_grad, bound = want
    assert loss == pytest.approx(want_loss, rel=rtol, abs=1e-300)
    err = np.abs(grad - want_grad)
    ok = (err <= rtol * np.abs(want_grad) + btol * bound) | (grad == want_grad)
    assert ok.all(), f"worst at {np.argmax(err)}: {grad[~ok][:3]} vs {want_grad[~ok][:3]} (bound {bound[~ok][:3]})"


def data(rng: np.random.Generator, n: int, nin: int, scale: float = 2.0) -> tuple[np.ndarray, np.ndarray]:
    return rng.normal(size=(n, nin)) * scale, rng.choice([-1.0, 1.0], n)


@pytest.mark.parametrize("act,loss", list(itertools.product(ACTS, LOSSES)))
def test_exact_mode_matches_scalar_engine(act: str, loss: str) -> None:
    rng = np.random.default_rng(len(act) * 7 + len(loss))
    for (nin, nouts), n in itertools.product(ARCHS, [1, 7, 100]):
        if n == 100 and (nin == 30 or nouts == [16, 16, 1]) and loss != "svm":
            n = 20  # the scalar reference is the slow part: the full batch once per activation keeps this fast
        # U(-1, 1) weights and inputs of scale 2 saturate tanh / sigmoid units: the hardest case for exactness
        model = MLP(nin, nouts, act, seed=int(rng.integers(10**6)))
        X, y = data(rng, n, nin)
        compiled = CompiledLoss(model, loss, exact=True)
        got = compiled(X, y)
        want = scalar_reference(model, loss, X, y)
        assert got[0] == want[0], "exact mode replays the forward pass bit for bit"
        assert_matches(got, want, btol=1e-14)


@pytest.mark.parametrize("act", ACTS)
def test_fast_mode_matches_scalar_engine(act: str) -> None:
    """Matrix products reorder the sums: agreement is to rounding, on units that are not saturated."""
    rng = np.random.default_rng(3)
    for i, ((nin, nouts), n) in enumerate(itertools.product(ARCHS, [1, 7, 100])):
        loss = LOSSES[i % 3]
        model = MLP(nin, nouts, act, init="xavier", seed=int(rng.integers(10**6)))
        X, y = data(rng, n if nouts != [16, 16, 1] or n < 100 else 15, nin, scale=1.0)
        fast = CompiledLoss(model, loss, exact=False)
        assert_matches(fast(X, y), scalar_reference(model, loss, X, y), rtol=1e-9, btol=1e-12)


def test_fast_mode_on_saturated_tanh_is_close_but_not_bitwise() -> None:
    """1 - t*t of a saturated unit magnifies a last-bit difference of tanh: documented, and still small."""
    rng = np.random.default_rng(11)
    model = MLP(30, [16, 16, 1], "tanh", seed=5)
    X, y = data(rng, 20, 30, scale=3.0)
    loss, grad = CompiledLoss(model, "mse", exact=False)(X, y)
    want_loss, want_grad, bound = scalar_reference(model, "mse", X, y)
    assert loss == pytest.approx(want_loss, rel=1e-12)
    assert np.all(np.abs(grad - want_grad) <= 1e-6 * np.abs(want_grad) + 1e-12 * bound)


@settings(max_examples=12, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), size=st.integers(1, 40), act=st.sampled_from(ACTS), loss=st.sampled_from(LOSSES))
def test_random_minibatches(seed: int, size: int, act: str, loss: str) -> None:
    rng = np.random.default_rng(seed)
    X, y = data(rng, 200, 3)
    model = MLP(3, [8, 6, 1], act, seed=seed)
    compiled = CompiledLoss(model, loss, exact=True)
    for _ in range(2):
        rows = rng.choice(200, size=size, replace=False)
        assert_matches(compiled(X[rows], y[rows]), scalar_reference(model, loss, X[rows], y[rows]), btol=1e-14)


@pytest.mark.parametrize("exact", [True, False])
def test_reads_current_parameters_between_sgd_steps(exact: bool) -> None:
    rng = np.random.default_rng(2)
    X, y = data(rng, 30, 2, scale=1.0)
    model = MLP(2, [8, 8, 1], "tanh", seed=4)
    compiled = CompiledLoss(model, "bce", exact=exact)
    opt = SGD(model.parameters(), lr=0.5, momentum=0.9)
    before = compiled(X, y)[0]
    for _ in range(5):
        loss, grad = compiled(X, y)
        assert_matches((loss, grad), scalar_reference(model, "bce", X, y), rtol=1e-12 if exact else 1e-9, btol=1e-12)
        for p, g in zip(model.parameters(), grad.tolist()):
            p.grad = g
        opt.step()
    assert compiled(X, y)[0] < before, "the steps changed the parameters and the compiled loss saw it"


def test_chunked_rows_give_the_same_result() -> None:
    rng = np.random.default_rng(5)
    X, y = data(rng, 1000, 2)
    model = MLP(2, [16, 16, 1], seed=1)
    whole = CompiledLoss(model, "svm", exact=True)
    chunked = CompiledLoss(model, "svm", exact=True, max_chunk_bytes=20_000)
    assert chunked.chunk_rows < 100 and whole.chunk_rows >= 1000
    (l1, g1), (l2, g2) = whole(X, y), chunked(X, y)
    assert l1 == l2  # per-example losses are identical and summed in the same order
    np.testing.assert_allclose(g2, g1, rtol=1e-12, atol=1e-15)
    np.testing.assert_array_equal(chunked.evaluate(X, y)[1], whole.evaluate(X, y)[1])


class Exotic(Module):
    """A one-output 'model' using every op the engine has, with parameters read elementwise."""

    sizes = [2]

    def __init__(self) -> None:
        self.a, self.b, self.c = Value(0.7), Value(-1.3), Value(1.5)

    def tensors(self) -> dict:
        return {"a": self.a, "b": self.b, "c": self.c}

    def __call__(self, x: list[Value | float]) -> Value:
        x = [xi if isinstance(xi, Value) else Value(xi) for xi in x]
        u = (x[0] * self.a + self.b).tanh() + (x[1] * self.b).sigmoid() * x[0].exp().log()
        v = (x[1] * x[1] + 0.25) ** self.c / (x[0] - self.a) + x[1].relu().softplus()
        return u - v * self.a + x[0] ** 3 + (x[1] ** -1.0) * 0.01


@pytest.mark.parametrize("loss", LOSSES)
def test_every_op_and_inf_nan_edge_cases(loss: str) -> None:
    """Poles (x = a, x = 0), logs of negatives and overflowing exps must give the scalar engine's inf/nan."""
    model = Exotic()
    X = np.array([[0.3, -0.8], [0.7, 0.5], [-2.0, 0.0], [800.0, 1.0], [1.0, -0.0], [-1.5, 2.5]])
    y = np.array([1.0, -1.0, 1.0, -1.0, 1.0, -1.0])
    compiled = CompiledLoss(model, loss, exact=True)
    assert compiled.n_dense == 1 and compiled._prow_slots is not None  # x0 * a + b is a one-input neuron
    for rows in ([0, 5], [0, 1, 2, 3, 4, 5], [1], [2], [3]):
        loss_value, grad = compiled(X[rows], y[rows])
        want_loss, want_grad, _ = scalar_reference(model, loss, X[rows], y[rows])
        np.testing.assert_array_equal(loss_value, want_loss)  # nan == nan here, and inf == inf
        np.testing.assert_allclose(grad, want_grad, rtol=1e-12, atol=0, equal_nan=True)
        fast = CompiledLoss(model, loss, exact=False)(X[rows], y[rows])
        assert math.isnan(fast[0]) == math.isnan(want_loss)
        np.testing.assert_array_equal(np.isnan(fast[1]), np.isnan(want_grad))


@pytest.mark.parametrize("exact", [True, False])
def test_nan_and_inf_propagate_through_a_model(exact: bool) -> None:
    rng = np.random.default_rng(9)
    model = MLP(2, [4, 1], "sigmoid", seed=2)
    X, y = data(rng, 5, 2)
    X[1, 0] = np.inf
    X[3, 1] = np.nan
    compiled = CompiledLoss(model, "bce", exact=exact)
    loss, grad = compiled(X, y)
    want_loss, want_grad, _ = scalar_reference(model, "bce", X, y)
    assert math.isnan(loss) and math.isnan(want_loss)
    np.testing.assert_array_equal(np.isnan(grad), np.isnan(want_grad))
    model.parameters()[0].data = math.inf  # a diverged weight: no exception, non-finite gradients
    loss, grad = compiled(X[[0, 2]], y[[0, 2]])
    want_loss, want_grad, _ = scalar_reference(model, "bce", X[[0, 2]], y[[0, 2]])
    np.testing.assert_array_equal(np.isfinite(grad), np.isfinite(want_grad))


@pytest.mark.parametrize("nin,m", [(2, 16), (9, 1), (16, 16), (33, 3)])
@pytest.mark.parametrize("rows", [1, 2, 7, 80])
@pytest.mark.parametrize("bias", [True, False])
def test_exact_neurons_add_their_terms_left_to_right_as_python_does(nin: int, m: int, rows: int, bias: bool) -> None:
    """b + w0*x0 + w1*x1 + ... in that order, whatever the batch (a pairwise sum would differ in the last bits)."""
    from micrograd.fast.compiled import _Dense

    rng = np.random.default_rng(nin * 100 + m + rows)
    theta = rng.normal(size=nin * m + m) * rng.choice([1e-8, 1.0, 1e8], size=nin * m + m)
    V = np.zeros((nin + m, rows))
    V[:nin] = rng.normal(size=(nin, rows)) * rng.choice([1e-8, 1.0, 1e8], size=(nin, rows))
    w = list(range(nin * m))
    dense = _Dense(
        slice(nin, nin + m), list(range(nin)), w, list(range(nin * m, nin * m + m)) if bias else None, m, False
    )
    dense.exact = True
    dense.forward(V, theta)
    for j in range(m):
        for r in range(rows):
            want = float(theta[nin * m + j]) if bias else 0.0
            terms = [float(theta[j * nin + i]) * float(V[i, r]) for i in range(nin)]
            want = want + terms[0] if bias else terms[0]
            for t in terms[1:]:
                want = want + t
            assert V[nin + j, r] == want


def test_structure_one_matrix_product_per_layer() -> None:
    model = MLP(2, [16, 16, 1], seed=1337)
    compiled = CompiledLoss(model, "svm", exact=False)
    assert compiled.n_dense == 3
    # 3 dense + 2 relu + the hinge's 4 elementwise ops, out of ~1,000 scalar nodes
    assert compiled.n_ops == 9 and compiled.n_nodes > 900
    assert "3 dense" in repr(compiled)


def test_evaluate_gives_the_scores_of_the_numpy_forward_pass() -> None:
    from micrograd.fast.numeric import layers_of, per_example_loss, scores

    rng = np.random.default_rng(1)
    X, y = data(rng, 50, 3)
    model = MLP(3, [5, 4, 1], "tanh", seed=3)
    losses, s = CompiledLoss(model, "bce").evaluate(X, y)
    np.testing.assert_allclose(s, scores(layers_of(model), X), rtol=1e-12)
    np.testing.assert_allclose(losses, per_example_loss("bce", s, y), rtol=1e-12)


def test_bad_input_is_rejected_with_a_clear_message() -> None:
    model = MLP(2, [3, 1], seed=0)
    with pytest.raises(ValueError, match="loss must be one of"):
        CompiledLoss(model, "hinge")
    with pytest.raises(ValueError, match="one output unit"):
        CompiledLoss(MLP(2, [3, 2], seed=0), "mse")
    compiled = CompiledLoss(model, "mse")
    with pytest.raises(ValueError, match="2 features"):
        compiled(np.zeros((4, 3)), np.zeros(4))
    with pytest.raises(ValueError, match="4 rows in X but 3 labels"):
        compiled(np.zeros((4, 2)), np.zeros(3))
    with pytest.raises(ValueError, match="empty batch"):
        compiled(np.zeros((0, 2)), np.zeros(0))


def test_quick_benchmark_runs() -> None:
    run = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "run.py"), "--quick"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    assert "| W1" in run.stdout and "compiled" in run.stdout
