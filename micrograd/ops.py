"""Each op's math on plain floats, written once: its forward value and its local derivative.

Results follow IEEE 754 (inf and nan, never an exception). The engine's ``Value`` ops call these, and the
compiled executor's exact mode applies them element by element; ``micrograd.fast.arrays`` holds the same ops
over NumPy arrays. A unary op ``f`` comes with ``f_grad(x, out)``, d out / d x given the input and the output
(many derivatives are cheapest from the output, e.g. tanh's 1 - out**2). ``+`` and ``*`` need no helper: their
derivatives are 1 and the other operand.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

inf = math.inf
nan = math.nan

Unary = Callable[[float], float]
Grad = Callable[[float, float], float]  # (x, out) -> d out / d x


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


def pow_grad_base(a: float, b: float) -> float:
    """d (a**b) / d a = b * a**(b - 1)."""
    return b * pow(a, b - 1.0)


def pow_grad_exponent(a: float, out: float) -> float:
    """d (a**b) / d b = a**b * ln(a), defined as 0 where a**b is 0 (as PyTorch does at a = 0)."""
    return 0.0 if out == 0.0 else out * log(a)


def exp(x: float) -> float:
    """e ** x, inf on overflow."""
    try:
        return math.exp(x)
    except OverflowError:
        return inf


def exp_grad(x: float, out: float) -> float:
    """d e**x / dx = e**x."""
    return out


def log(x: float) -> float:
    """Natural log: -inf at 0, nan below 0."""
    if x > 0:
        return math.log(x)
    if x == 0:
        return -inf
    return nan


def log_grad(x: float, out: float) -> float:
    """d ln(x) / dx = 1 / x (±inf at 0)."""
    return div(1.0, x)


def tanh(x: float) -> float:
    """Hyperbolic tangent (libm's)."""
    return math.tanh(x)


def tanh_grad(x: float, out: float) -> float:
    """d tanh(x) / dx = 1 - tanh(x)**2."""
    return 1.0 - out * out


def sigmoid(x: float) -> float:
    """1 / (1 + e**-x), in a form that never overflows."""
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    if x != x:
        return nan
    e = math.exp(x)
    return e / (1.0 + e)


def sigmoid_grad(x: float, out: float) -> float:
    """d sigmoid(x) / dx = s * (1 - s)."""
    return out * (1.0 - out)


def softplus(x: float) -> float:
    """log(1 + e**x), in a form that never overflows."""
    if x != x:
        return nan
    return max(x, 0.0) + math.log1p(math.exp(-abs(x)))


def softplus_grad(x: float, out: float) -> float:
    """d softplus(x) / dx = sigmoid(x)."""
    return sigmoid(x)


def relu(x: float) -> float:
    """max(0, x), keeping nan as nan."""
    return x if x > 0 or x != x else 0.0


def relu_grad(x: float, out: float) -> float:
    """Derivative of relu: 1 above zero, 0 at and below it."""
    return 1.0 if x > 0 else 0.0


def huber(x: float) -> float:
    """Huber's function with delta 1: x**2 / 2 for |x| <= 1, |x| - 1/2 beyond (nan stays nan)."""
    a = abs(x)
    return 0.5 * x * x if a <= 1.0 else a - 0.5


def huber_grad(x: float, out: float) -> float:
    """d huber(x) / dx = x clipped to [-1, 1] (nan stays nan)."""
    return x if -1.0 <= x <= 1.0 else 1.0 if x > 1.0 else -1.0 if x < -1.0 else nan


def logsumexp(xs: Sequence[float]) -> float:
    """log(e**x0 + e**x1 + ...) with the max subtracted inside, so scores of ±1000 never overflow."""
    if not xs:
        raise ValueError("logsumexp needs at least one value")
    if any(x != x for x in xs):
        return nan
    m = max(xs)
    if math.isinf(m):  # +inf wins; all -inf gives -inf (e**-inf sums to 0)
        return m
    return m + math.log(sum([math.exp(x - m) for x in xs]))


def logsumexp_grad(xs: Sequence[float], out: float) -> tuple[float, ...]:
    """d logsumexp / d x_i = e**(x_i - out): the softmax of xs."""
    return tuple(exp(x - out) for x in xs)


# name -> (forward, local derivative), the unary ops a Value has as methods
UNARY: dict[str, tuple[Unary, Grad]] = {
    "exp": (exp, exp_grad),
    "log": (log, log_grad),
    "tanh": (tanh, tanh_grad),
    "sigmoid": (sigmoid, sigmoid_grad),
    "softplus": (softplus, softplus_grad),
    "relu": (relu, relu_grad),
    "huber": (huber, huber_grad),
}
