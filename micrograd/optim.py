"""Stochastic gradient descent with momentum and weight decay, and learning-rate schedules."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from numbers import Integral, Real
from typing import cast

from micrograd.engine import Value

SCHEDULES = ("constant", "linear", "cosine")


def number_problem(
    name: str,
    x: object,
    low: float,
    high: float,
    *,
    integer: bool = False,
    low_open: bool = False,
    high_open: bool = False,
) -> str:
    """Why x is not a finite number (an int if integer) in the range, as a sentence; '' when it is."""
    ok = isinstance(x, Integral if integer else Real) and not isinstance(x, bool)
    # When ok, x is a Real (an Integral is one); mypy can't narrow through the class picked at run time.
    num = cast(float, x)
    if ok and not integer:
        try:
            ok = math.isfinite(num)
        except OverflowError:  # an int too big for a float
            ok = False
    if ok:  # ints compare exactly, however big
        ok = (num > low if low_open else num >= low) and (num < high if high_open else num <= high)
    if ok:
        return ""
    lo, hi = ("(" if low_open else "["), (")" if high_open else "]")
    kind = "a whole number" if integer else "a finite number"
    bound = (lambda v: f"{v:,}") if integer else (lambda v: f"{v:g}")
    return f"{name} must be {kind} in {lo}{bound(low)}, {bound(high)}{hi}, got {x!r:.40}"


def _check_number(name: str, x: object, low: float, high: float, low_open: bool, high_open: bool = True) -> float:
    problem = number_problem(name, x, low, high, low_open=low_open, high_open=high_open)
    if problem:
        raise ValueError(problem)
    return float(cast(float, x))  # number_problem accepted x, so it is a finite Real


def check_lr(lr: object, name: str = "lr") -> float:
    """A learning rate: finite, > 0 and at most 1000."""
    return _check_number(name, lr, 0.0, 1000.0, low_open=True, high_open=False)


class SGD:
    """p -= lr * v with v = momentum * v + grad + weight_decay * p (PyTorch's formulation)."""

    def __init__(self, params: Iterable[Value], lr: float, momentum: float = 0.0, weight_decay: float = 0.0) -> None:
        self.params = list(params)
        if not self.params or not all(isinstance(p, Value) for p in self.params):
            raise ValueError("params must be a non-empty list of Values (e.g. model.parameters())")
        self.lr = check_lr(lr)
        self.momentum = _check_number("momentum", momentum, 0.0, 1.0, low_open=False)
        self.weight_decay = _check_number("weight_decay", weight_decay, 0.0, 1000.0, low_open=False, high_open=False)
        self.velocity = [0.0] * len(self.params)

    def step(self) -> None:
        """Move every parameter against its gradient."""
        lr, mu, wd = self.lr, self.momentum, self.weight_decay
        vel = self.velocity
        for i, p in enumerate(self.params):
            g = p.grad + wd * p.data if wd else p.grad
            if mu:
                g = vel[i] = mu * vel[i] + g
            p.data -= lr * g

    def zero_grad(self) -> None:
        """Set every parameter's gradient to 0."""
        for p in self.params:
            p.grad = 0.0

    def state_dict(self) -> dict:
        """Hyperparameters and momentum buffers as plain numbers."""
        return {
            "lr": self.lr,
            "momentum": self.momentum,
            "weight_decay": self.weight_decay,
            "velocity": list(self.velocity),
        }

    def load_state_dict(self, state: dict) -> None:
        """Restore what ``state_dict()`` returned; validates before changing anything."""
        lr = check_lr(state.get("lr"))
        mu = _check_number("momentum", state.get("momentum"), 0.0, 1.0, low_open=False)
        wd = _check_number("weight_decay", state.get("weight_decay"), 0.0, 1000.0, low_open=False, high_open=False)
        vel = state.get("velocity")
        if not isinstance(vel, list) or len(vel) != len(self.params):
            raise ValueError(f"velocity must be a list of {len(self.params)} numbers")
        self.lr, self.momentum, self.weight_decay = lr, mu, wd
        self.velocity = [float(v) for v in vel]


def schedule(name: str, lr: float, lr_end: float | None, steps: int) -> Callable[[int], float]:
    """Learning rate at step k (0-based) of a run of ``steps`` steps.

    linear: lr + (lr_end - lr) * k / steps, the original micrograd demo's 1.0 - 0.9 * k / 100;
    cosine: lr_end + (lr - lr_end) * (1 + cos(pi * k / steps)) / 2.
    """
    if name not in SCHEDULES:
        raise ValueError(f"schedule must be one of {', '.join(SCHEDULES)}; got {name!r}")
    lr = check_lr(lr)
    end = lr if lr_end is None else _check_number("lr_end", lr_end, 0.0, 1000.0, low_open=False, high_open=False)
    n = max(int(steps), 1)
    if name == "constant":
        return lambda k: lr
    if name == "linear":
        return lambda k: lr + (end - lr) * min(k, n) / n
    return lambda k: end + (lr - end) * (1.0 + math.cos(math.pi * min(k, n) / n)) / 2.0
