"""The ops of micrograd.ops over NumPy arrays, written once: forward, local derivative, activations and losses.

Used by the compiled executor (``FAST``: NumPy's vectorised functions; ``EXACT``: micrograd.ops' float
functions applied element by element, bit for bit the scalar engine), and by the NumPy forward passes of
micrograd.fast.numeric (boundary grid, metrics), so the metrics use the same formulas as training.
Call inside ``np.errstate(all="ignore")``: like the scalar engine, these give inf and nan, never an error.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from micrograd import ops

Array = np.ndarray
Grad = Callable[[Array, Array], Array]  # (x, out) -> d out / d x


def sigmoid(x: Array) -> Array:
    """1 / (1 + e**-x): ops.sigmoid's two branches from one exp that never overflows."""
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def softplus(x: Array) -> Array:
    """log(1 + e**x) without overflow, as ops.softplus."""
    return np.maximum(x, 0.0) + np.log1p(np.exp(-np.abs(x)))


def relu(x: Array, out: Array | None = None) -> Array:
    """max(0, x), keeping nan as nan (as ops.relu); + 0.0 turns -0.0 into 0.0. Into out, if given."""
    r = np.maximum(x, 0.0, out=out)
    r += 0.0  # in place: a second array of a large grid's size cost more than the rest of the function
    return r


def relu_grad(x: Array, out: Array) -> Array:
    """1.0 above zero, else 0.0 (as booleans: a product with them is the product with 1.0 or 0.0)."""
    return x > 0


def huber(x: Array) -> Array:
    """Huber's function (delta 1), as ops.huber: x**2 / 2 for |x| <= 1, |x| - 1/2 beyond."""
    a = np.abs(x)
    return np.where(a <= 1.0, 0.5 * x * x, a - 0.5)


def logsumexp(X: Array) -> Array:
    """log Σ_k e**X[k] over the first axis, as ops.logsumexp: the max subtracted inside, inf and nan kept."""
    return _logsumexp_with(np.exp, np.log, X)


def _logsumexp_with(exp: Callable[[Array], Array], log: Callable[[Array], Array], X: Array) -> Array:
    """ops.logsumexp's steps over the first axis with the given exp and log (libm's: bit for bit the float op)."""
    m = np.max(X, axis=0)  # nan if any operand is nan, as in ops.logsumexp
    shift = np.where(np.isfinite(m), m, 0.0)
    # summed in operand order, one row after another, as Python's sum() adds the float op's terms
    total = np.add.reduce(exp(X - shift), axis=0)
    return np.where(np.isinf(m), m, shift + log(total))


def softmax(X: Array, out: Array) -> Array:
    """d logsumexp / d X[k] = e**(X[k] - out), as ops.logsumexp_grad."""
    return np.exp(X - out)


def lift(f: Callable[..., float]) -> Callable[..., Array]:
    """A float function of micrograd.ops applied to every element: slow, but bit for bit the scalar engine."""

    def run(x: Array, *rest: Array | float) -> Array:
        x = np.asarray(x, dtype=float)
        cols = [np.broadcast_to(r, x.shape).ravel().tolist() for r in rest]
        return np.fromiter(map(f, x.ravel().tolist(), *cols), dtype=float, count=x.size).reshape(x.shape)

    run.__doc__ = f"{f.__name__} of micrograd.ops, element by element."
    return run


@dataclass(frozen=True)
class Table:
    """One representation of every op over arrays: each forward, with its local derivative beside it."""

    exp: Callable[[Array], Array]
    log: Callable[[Array], Array]
    tanh: Callable[[Array], Array]
    sigmoid: Callable[[Array], Array]
    softplus: Callable[[Array], Array]
    pow: Callable[[Array, Array | float], Array]
    huber: Callable[[Array], Array]
    logsumexp: Callable[[Array], Array]  # over the first axis (the operands)
    softmax: Callable[[Array, Array], Array]  # (X, out) -> d out / d X, same shape as X

    # derivatives, the same formulas as micrograd.ops, through this table's functions

    def unary(self, name: str) -> tuple[Callable[[Array], Array], Grad]:
        """(forward, local derivative) of the unary op called name (see ops.UNARY)."""
        if name == "relu":
            return relu, relu_grad
        grads: dict[str, Grad] = {
            "exp": lambda x, out: out,
            "log": lambda x, out: 1.0 / x,
            "tanh": lambda x, out: 1.0 - out * out,
            "sigmoid": lambda x, out: out * (1.0 - out),
            "softplus": lambda x, out: self.sigmoid(x),
            "huber": lambda x, out: np.clip(x, -1.0, 1.0),
        }
        if name not in grads:
            raise ValueError(f"unknown op {name!r}; the unary ops are {', '.join(ops.UNARY)}")
        return getattr(self, name), grads[name]

    def pow_grad_base(self, a: Array, b: Array | float) -> Array:
        """d (a**b) / d a = b * a**(b - 1)."""
        return b * self.pow(a, b - 1.0)

    def pow_grad_exponent(self, a: Array, out: Array) -> Array:
        """d (a**b) / d b = a**b * ln(a), 0 where a**b is 0."""
        return np.where(out == 0.0, 0.0, out * self.log(a))


FAST = Table(
    exp=np.exp,
    log=np.log,
    tanh=np.tanh,
    sigmoid=sigmoid,
    softplus=softplus,
    pow=np.power,
    huber=huber,
    logsumexp=logsumexp,
    softmax=softmax,
)
# NumPy's vectorised tanh and pow can differ from libm's in the last bit, and 1 - t*t or s*(1 - s) of a
# saturated unit turns that bit into a large relative change of the gradient: exact mode calls libm per element.
EXACT = Table(
    exp=lift(ops.exp),
    log=lift(ops.log),
    tanh=lift(ops.tanh),
    sigmoid=lift(ops.sigmoid),
    softplus=lift(ops.softplus),
    pow=lift(ops.pow),
    huber=lift(ops.huber),
    logsumexp=lambda X: _logsumexp_with(lift(ops.exp), lift(ops.log), X),
    softmax=lambda X, out: lift(ops.exp)(X - out),
)


# activations (nn.ACTIVATIONS) and per-example losses (micrograd.losses) on arrays, over FAST

ACTIVATIONS: dict[str, Callable[[Array], Array]] = {
    "relu": relu,
    "tanh": FAST.tanh,
    "sigmoid": FAST.sigmoid,
    "linear": lambda z: z,
}


def mse(s: Array, y: Array) -> Array:
    """Squared error (s - y)**2, as losses.mse_one."""
    return (s - y) ** 2


def svm(s: Array, y: Array) -> Array:
    """Hinge relu(1 - y * s), as losses.svm_one."""
    return relu(1.0 - y * s)


def bce(s: Array, y: Array) -> Array:
    """Logistic loss softplus(-y * s) on ±1 labels, as losses.bce_one."""
    return FAST.softplus(-y * s)


LOSSES: dict[str, Callable[[Array, Array], Array]] = {"mse": mse, "svm": svm, "bce": bce}


def ce(S: Array, y: Array) -> Array:
    """Softmax cross-entropy per row of scores S (n, K) and class indices y, as losses.ce_one."""
    return logsumexp(S.T) - S[np.arange(len(S)), y]


def hinge(S: Array, y: Array) -> Array:
    """Weston-Watkins hinge per row, as losses.hinge_one: Σ_{j != y} relu(1 + S_j - S_y)."""
    rows = np.arange(len(S))
    margins = relu(1.0 + S - S[rows, y][:, None])
    margins[rows, y] = 0.0
    return margins.sum(axis=1)


def _targets(S: Array, Y: Array) -> Array:
    """Targets as (n, m), one column per output of S."""
    Y = np.asarray(Y, dtype=float)
    return Y[:, None] if Y.ndim == 1 else Y


def mse_reg(S: Array, Y: Array) -> Array:
    """Squared error averaged over the targets, per row (as losses.mse_reg)."""
    return ((S - _targets(S, Y)) ** 2).mean(axis=1)


def huber_reg(S: Array, Y: Array) -> Array:
    """Huber loss (delta 1) averaged over the targets, per row (as losses.huber_reg)."""
    return huber(S - _targets(S, Y)).mean(axis=1)


def _first_output(f: Callable[[Array, Array], Array]) -> Callable[[Array, Array], Array]:
    """A binary loss of scores (n,) as a loss of outputs (n, 1)."""
    return lambda S, y: f(S[:, 0], y)


# per task: loss name -> per-row loss of (outputs (n, k), labels)
TASK_LOSSES: dict[str, dict[str, Callable[[Array, Array], Array]]] = {
    "binary": {name: _first_output(f) for name, f in LOSSES.items()},
    "multiclass": {"ce": ce, "hinge": hinge},
    "regression": {"mse": mse_reg, "huber": huber_reg},
}


def mean(values: Array) -> float:
    """A sequential sum times 1/n: the order of sum() over Values and losses.mean, not NumPy's pairwise sum."""
    return float(np.cumsum(values)[-1] * (1.0 / len(values)))
