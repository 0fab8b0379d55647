"""Hypothesis strategies for each op's valid domain, kept away from kinks and poles.

Central differences use eps = 1e-6, so every strategy keeps at least 1e-3 from a kink (relu at 0, the
hinge at y * score = 1), a pole (x / 0, log 0) or the edge of a domain (pow with a negative base).
"""

from __future__ import annotations

from hypothesis import settings
from hypothesis import strategies as st

from micrograd.engine import Value

# Cheap, pure-float properties: no deadline, so a loaded CI machine cannot make them flaky.
SETTINGS = settings(max_examples=60, deadline=None)


def finite(lo: float, hi: float) -> st.SearchStrategy[float]:
    """Finite floats in [lo, hi]."""
    return st.floats(min_value=lo, max_value=hi, allow_nan=False, allow_infinity=False)


def away_from(point: float, gap: float, lo: float, hi: float) -> st.SearchStrategy[float]:
    """Finite floats in [lo, hi] at least gap from point."""
    return st.one_of(finite(lo, point - gap), finite(point + gap, hi))


moderate = finite(-10.0, 10.0)
nonzero = away_from(0.0, 0.1, -10.0, 10.0)  # divisors: 1/x stays well conditioned
positive = finite(0.1, 10.0)  # bases of a real power, arguments of log in products
exponent = finite(-3.0, 3.0)
negative_base = finite(-5.0, -0.2)
int_exponent = st.integers(-3, 3).map(float)  # the only exponents a negative base has real powers for
log_arg = finite(1e-3, 1e3)
exp_arg = finite(-20.0, 20.0)
squash_arg = finite(-30.0, 30.0)  # tanh, sigmoid, softplus: saturation included, overflow not
relu_arg = away_from(0.0, 1e-3, -10.0, 10.0)
label = st.sampled_from([-1.0, 1.0])
# a score for a ±1 label, kept off the hinge's kink at score = ±1
score = st.one_of(finite(-5.0, -1.001), finite(-0.999, 0.999), finite(1.001, 5.0))


def micrograd_readme() -> tuple[Value, Value, Value]:
    """(a, b, g) after g.backward() for the expression in the original micrograd README (with its += lines)."""
    a, b = Value(-4.0), Value(2.0)
    c = a + b
    d = a * b + b**3
    c += c + 1
    c += 1 + c + (-a)
    d += d * 2 + (b + a).relu()
    d += 3 * d + (b - a).relu()
    e = c - d
    f = e**2
    g = f / 2.0
    g += 10.0 / f
    g.backward()
    return a, b, g


# multi-class scores: K in 2..6, each in [-5, 5], with a class index below K
class_scores = st.integers(2, 6).flatmap(lambda k: st.lists(finite(-5.0, 5.0), min_size=k, max_size=k))


@st.composite
def scores_and_class(draw: st.DrawFn, margin: float = 0.0) -> tuple[list[float], int]:
    """(K scores, a class index); margin > 0 keeps every hinge term's 1 + s_j - s_y at least margin from its kink."""
    s = draw(class_scores)
    y = draw(st.integers(0, len(s) - 1))
    if margin:
        s = [
            v if j == y or abs(1.0 + v - s[y]) >= margin else v + 2 * margin * (1 if 1.0 + v - s[y] >= 0 else -1)
            for j, v in enumerate(s)
        ]
    return s, y


huber_arg = finite(-10.0, 10.0)  # its derivative is continuous, so the kinks of the second one do no harm
