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


def relu(x: Array) -> Array:
    """max(0, x), keeping nan as nan (as ops.relu); + 0.0 turns -0.0 into 0.0."""
    return np.maximum(x, 0.0) + 0.0


def relu_grad(x: Array, out: Array) -> Array:
    """1.0 above zero, else 0.0."""
    return (x > 0).astype(float)


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


FAST = Table(exp=np.exp, log=np.log, tanh=np.tanh, sigmoid=sigmoid, softplus=softplus, pow=np.power)
# NumPy's vectorised tanh and pow can differ from libm's in the last bit, and 1 - t*t or s*(1 - s) of a
# saturated unit turns that bit into a large relative change of the gradient: exact mode calls libm per element.
EXACT = Table(
    exp=lift(ops.exp),
    log=lift(ops.log),
    tanh=lift(ops.tanh),
    sigmoid=lift(ops.sigmoid),
    softplus=lift(ops.softplus),
    pow=lift(ops.pow),
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


def mean(values: Array) -> float:
    """A sequential sum times 1/n: the order of sum() over Values and losses.mean, not NumPy's pairwise sum."""
    return float(np.cumsum(values)[-1] * (1.0 / len(values)))
