"""Plain-float math with IEEE 754 results (inf/nan, never an exception), used by the engine."""

from __future__ import annotations

import math

inf = math.inf
nan = math.nan


def div(a: float, b: float) -> float:
    """a / b, giving ±inf or nan for a zero divisor as IEEE 754 does."""
    try:
        return a / b
    except ZeroDivisionError:
        if a != a or a == 0.0:
            return nan
        return math.copysign(inf, a) * math.copysign(1.0, b)


def _is_odd_int(x: float) -> bool:
    return x == x and not math.isinf(x) and x == int(x) and int(x) % 2 == 1


def pow(a: float, b: float) -> float:  # noqa: A001 - mirrors math.pow
    """a ** b for real numbers: nan where the real result does not exist, ±inf on overflow or 0**-k."""
    try:
        r = a**b
    except ZeroDivisionError:  # 0.0 ** negative
        return math.copysign(inf, a) if _is_odd_int(b) else inf
    except OverflowError:
        return -inf if a < 0 and _is_odd_int(b) else inf
    if isinstance(r, complex):  # negative base, fractional exponent
        return nan
    return r


def exp(x: float) -> float:
    """e ** x, inf on overflow."""
    try:
        return math.exp(x)
    except OverflowError:
        return inf


def log(x: float) -> float:
    """Natural log: -inf at 0, nan below 0."""
    if x > 0:
        return math.log(x)
    if x == 0:
        return -inf
    return nan


def sigmoid(x: float) -> float:
    """1 / (1 + e**-x), in a form that never overflows."""
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    if x != x:
        return nan
    e = math.exp(x)
    return e / (1.0 + e)


def softplus(x: float) -> float:
    """log(1 + e**x), in a form that never overflows."""
    if x != x:
        return nan
    return max(x, 0.0) + math.log1p(math.exp(-abs(x)))


def relu(x: float) -> float:
    """max(0, x), keeping nan as nan."""
    return x if x > 0 or x != x else 0.0


def relu_grad(x: float) -> float:
    """Derivative of relu: 1 above zero, 0 at and below it."""
    return 1.0 if x > 0 else 0.0
