"""Check autograd against central differences, in the style of minitorch's ``central_difference``."""

from __future__ import annotations

import math
from collections.abc import Callable

from micrograd.engine import Value


def central_difference(f: Callable[..., float], *xs: float, arg: int = 0, eps: float = 1e-6) -> float:
    """d f / d xs[arg] at xs, as (f(x + eps) - f(x - eps)) / (2 eps)."""
    if not 0 <= arg < len(xs):
        raise ValueError(f"arg must index one of the {len(xs)} inputs, got {arg}")
    up = [float(x) for x in xs]
    down = list(up)
    up[arg] += eps
    down[arg] -= eps
    return (f(*up) - f(*down)) / (2.0 * eps)


def gradcheck(
    f: Callable[..., Value], *xs: float, eps: float = 1e-6, rtol: float = 1e-4, atol: float = 1e-6
) -> list[tuple[float, float]]:
    """Backprop f at xs and compare each input's grad with central differences; return (autograd, numeric) pairs."""
    inputs = [Value(x) for x in xs]
    out = f(*inputs)
    if not isinstance(out, Value):
        raise TypeError(f"gradcheck needs f to return a Value, got {type(out).__name__}")
    out.backward()

    def plain(*a: float) -> float:
        return f(*map(Value, a)).data

    pairs = []
    for i, v in enumerate(inputs):
        numeric = central_difference(plain, *xs, arg=i, eps=eps)
        # nan never agrees, so a check over an invalid domain fails instead of passing vacuously
        if not math.isclose(v.grad, numeric, rel_tol=rtol, abs_tol=atol):
            raise AssertionError(
                f"gradient of argument {i} (x={xs[i]!r}) disagrees: autograd {v.grad!r}, central difference {numeric!r}"
            )
        pairs.append((v.grad, numeric))
    return pairs
