"""The scalar engine: every op's value and gradient, backward semantics, depth, IEEE 754 and gc_paused."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from micrograd.engine import Value, topological_order
from micrograd.gradcheck import central_difference, gradcheck
from micrograd.studio.trainer import gc_paused
from tests import strategies as S
from tests.strategies import micrograd_readme

# name -> (op over Values and/or floats, reference over floats, strategies, which arguments are Values).
# The same lambda serves both sides where Python's operators do; the float reference is then plain Python math.
OPS = {
    "Value + Value": (lambda a, b: a + b, lambda a, b: a + b, (S.moderate, S.moderate), (1, 1)),
    "Value + number": (lambda a, b: a + b, lambda a, b: a + b, (S.moderate, S.moderate), (1, 0)),
    "number + Value": (lambda a, b: a + b, lambda a, b: a + b, (S.moderate, S.moderate), (0, 1)),
    "Value - Value": (lambda a, b: a - b, lambda a, b: a - b, (S.moderate, S.moderate), (1, 1)),
    "Value - number": (lambda a, b: a - b, lambda a, b: a - b, (S.moderate, S.moderate), (1, 0)),
    "number - Value": (lambda a, b: a - b, lambda a, b: a - b, (S.moderate, S.moderate), (0, 1)),
    "Value * Value": (lambda a, b: a * b, lambda a, b: a * b, (S.moderate, S.moderate), (1, 1)),
    "Value * number": (lambda a, b: a * b, lambda a, b: a * b, (S.moderate, S.moderate), (1, 0)),
    "number * Value": (lambda a, b: a * b, lambda a, b: a * b, (S.moderate, S.moderate), (0, 1)),
    "Value / Value": (lambda a, b: a / b, lambda a, b: a / b, (S.moderate, S.nonzero), (1, 1)),
    "Value / number": (lambda a, b: a / b, lambda a, b: a / b, (S.moderate, S.nonzero), (1, 0)),
    "number / Value": (lambda a, b: a / b, lambda a, b: a / b, (S.moderate, S.nonzero), (0, 1)),
    "Value ** number": (lambda a, b: a**b, lambda a, b: a**b, (S.positive, S.exponent), (1, 0)),
    "negative Value ** integer": (lambda a, b: a**b, lambda a, b: a**b, (S.negative_base, S.int_exponent), (1, 0)),
    "Value ** Value": (lambda a, b: a**b, lambda a, b: a**b, (S.positive, S.exponent), (1, 1)),
    "number ** Value": (lambda a, b: a**b, lambda a, b: a**b, (S.positive, S.exponent), (0, 1)),
    "-Value": (lambda a: -a, lambda a: -a, (S.moderate,), (1,)),
    "exp": (lambda a: a.exp(), math.exp, (S.exp_arg,), (1,)),
    "log": (lambda a: a.log(), math.log, (S.log_arg,), (1,)),
    "tanh": (lambda a: a.tanh(), math.tanh, (S.squash_arg,), (1,)),
    "relu": (lambda a: a.relu(), lambda a: max(a, 0.0), (S.relu_arg,), (1,)),
    "sigmoid": (lambda a: a.sigmoid(), lambda a: 1.0 / (1.0 + math.exp(-a)), (S.squash_arg,), (1,)),
    "softplus": (lambda a: a.softplus(), lambda a: math.log1p(math.exp(a)), (S.squash_arg,), (1,)),
}


def _mix(xs: tuple[float, ...], which: tuple[int, ...], values: list) -> list:
    """The op's arguments: the next Value where which says so, the plain float otherwise."""
    it = iter(values)
    return [next(it) if w else x for x, w in zip(xs, which)]


@pytest.mark.parametrize("name", OPS)
@S.SETTINGS
@given(data=st.data())
def test_op_value_and_gradient(name: str, data: st.DataObject) -> None:
    op, ref, strategies, which = OPS[name]
    xs = tuple(data.draw(s, label=f"arg{i}") for i, s in enumerate(strategies))
    out = op(*_mix(xs, which, [Value(x) for x, w in zip(xs, which) if w]))
    assert isinstance(out, Value)
    # division and negation are derived ops (x * y**-1, x * -1), so allow a few ulps there
    assert math.isclose(out.data, ref(*xs), rel_tol=1e-12, abs_tol=1e-300)
    value_args = [x for x, w in zip(xs, which) if w]
    pairs = gradcheck(lambda *vs: op(*_mix(xs, which, list(vs))), *value_args)
    assert len(pairs) == sum(which)


@S.SETTINGS
@given(a=S.moderate, b=S.moderate)
def test_primitive_local_derivatives_are_exact(a: float, b: float) -> None:
    x, y = Value(a), Value(b)
    (x * y).backward()
    assert (x.grad, y.grad) == (b, a)
    x, y = Value(a), Value(b)
    (x + y).backward()
    assert (x.grad, y.grad) == (1.0, 1.0)


# composite expressions; several use one variable many times, so gradients must add up along every path
COMPOSITES = {
    "x used five times": (lambda x: x * x * x + x.sigmoid() * x - x / (1 + x * x), (S.moderate,)),
    "neuron": (lambda w1, w2, x1, x2, b: (w1 * x1 + w2 * x2 + b).tanh(), (S.moderate,) * 5),
    "log of a positive sum": (lambda x, y, z: ((x * y).tanh() + z**2 + 1.5).log(), (S.moderate,) * 3),
    "mixed": (
        lambda x, y: (x - y).softplus() * y.sigmoid() + x**y - (2.0**y) / x + (x * y).exp(),
        (S.positive, S.exponent),
    ),
    "shared subexpression": (lambda x, y: (lambda h: h * h + h.relu() * 3 - h / 4)(x * y + x), (S.moderate,) * 2),
}


@pytest.mark.parametrize("name", COMPOSITES)
@S.SETTINGS
@given(data=st.data())
def test_composite_gradients(name: str, data: st.DataObject) -> None:
    f, strategies = COMPOSITES[name]
    xs = [data.draw(s, label=f"arg{i}") for i, s in enumerate(strategies)]
    if name == "shared subexpression":  # keep h = x * y + x off relu's kink
        assume(abs(xs[0] * xs[1] + xs[0]) > 1e-3)
    gradcheck(f, *xs)


def test_gradcheck_catches_a_wrong_gradient() -> None:
    def wrong_square(x: Value) -> Value:
        return Value(x.data**2, (x,), "bad", (1.0,))  # claims d/dx x**2 = 1

    with pytest.raises(AssertionError, match=r"argument 0.*autograd 1\.0.*central difference 6\.0"):
        gradcheck(wrong_square, 3.0)
    with pytest.raises(AssertionError, match="argument 1"):
        gradcheck(lambda a, b: a + Value(b.data), 1.0, 2.0)  # b cut out of the graph: grad 0 vs 1


def test_gradcheck_returns_pairs_and_rejects_nan() -> None:
    pairs = gradcheck(lambda a, b: a * b, 3.0, -2.0)
    assert pairs[0][0] == -2.0 and pairs[1][0] == 3.0
    assert pairs[0][1] == pytest.approx(-2.0, rel=1e-8) and pairs[1][1] == pytest.approx(3.0, rel=1e-8)
    with pytest.raises(AssertionError):
        gradcheck(lambda a: a.log(), -1.0)  # nan on both sides is not agreement


def test_central_difference() -> None:
    assert central_difference(math.sin, 0.3) == pytest.approx(math.cos(0.3), rel=1e-9)
    assert central_difference(lambda a, b: a * b * b, 2.0, 3.0, arg=1) == pytest.approx(12.0, rel=1e-9)
    assert central_difference(lambda a, b: a * b * b, 2.0, 3.0, arg=0) == pytest.approx(9.0, rel=1e-9)
    with pytest.raises(ValueError, match="arg"):
        central_difference(math.sin, 0.3, arg=1)


def test_micrograd_readme_reference() -> None:
    a, b, g = micrograd_readme()
    assert g.data == pytest.approx(24.7041, abs=5e-5)
    assert a.grad == pytest.approx(138.8338, abs=5e-5)
    assert b.grad == pytest.approx(645.5773, abs=5e-5)


def _sanity_graph() -> tuple[Value, Value, Value]:
    x = Value(-4.0)
    z = 2 * x + 2 + x
    q = z.relu() + z * x
    h = (z * z).relu()
    y = h + q + q * x
    return x, z, y


def test_micrograd_sanity_check() -> None:
    x, _, y = _sanity_graph()
    y.backward()
    assert y.data == -20.0
    assert x.grad == 46.0


def test_leaf_grads_accumulate_and_inner_grads_do_not() -> None:
    x, z, y = _sanity_graph()
    y.backward()
    inner = [v for v in topological_order(y) if v.children]
    first = [v.grad for v in inner]
    assert x.grad == 46.0
    y.backward()
    assert x.grad == 92.0  # exactly twice, as in PyTorch
    assert [v.grad for v in inner] == first  # inner nodes hold the latest call's gradient only
    a, b = Value(0.3), Value(-1.7)
    out = (a * b).tanh() + a.exp()
    out.backward()
    once = (a.grad, b.grad)
    out.backward()
    assert (a.grad, b.grad) == (2 * once[0], 2 * once[1])


def test_backward_on_a_leaf() -> None:
    v = Value(3.0)
    v.backward()
    assert v.grad == 1.0


def test_children_are_a_tuple_in_operand_order() -> None:
    a, b = Value(2.0), Value(3.0)
    for out, kids in [(a * b, (a, b)), (b * a, (b, a)), (a + b, (a, b)), (b + a, (b, a)), (a**b, (a, b))]:
        assert type(out.children) is tuple
        assert len(out.children) == len(kids) and all(x is y for x, y in zip(out.children, kids))
        assert type(out.local_grads) is tuple and len(out.local_grads) == len(kids)
    assert (a * b).local_grads == (3.0, 2.0)
    r = 5 * a  # the number becomes the second operand, a constant leaf
    assert r.children[0] is a and r.children[1].data == 5.0


def test_topological_order_is_deterministic_and_children_first() -> None:
    def build() -> Value:
        x, y = Value(1.5, label="x"), Value(-0.5, label="y")
        h = (x * y + x).tanh()
        return h * h + y.exp() - x

    orders = [[(v.op, v.data) for v in topological_order(build())] for _ in range(3)]
    assert orders[0] == orders[1] == orders[2]
    order = topological_order(build())
    pos = {id(v): i for i, v in enumerate(order)}
    assert len(pos) == len(order)  # each node once
    assert all(pos[id(c)] < pos[id(v)] for v in order for c in v.children)


@pytest.mark.slow
def test_sum_of_a_million_values() -> None:
    n = 1_000_000
    with gc_paused():
        xs = [Value(float(i % 7)) for i in range(n)]
        s = sum(xs)
        s.backward()
        assert s.data == float(sum(i % 7 for i in range(n)))
        assert all(x.grad == 1.0 for x in xs)
        del s, xs


@pytest.mark.slow
def test_million_long_chain() -> None:
    n = 1_000_000
    with gc_paused():
        x0, c = Value(1.0), Value(1.0000001)
        x = x0
        for _ in range(n):
            x = x * c
        x.backward()
        # the same multiplications in the same order: the results must match bit for bit
        data = grad = 1.0
        for _ in range(n):
            data *= 1.0000001
            grad *= 1.0000001
        assert x.data == data
        assert x0.grad == grad
        assert c.grad == pytest.approx(n * 1.0000001 ** (n - 1), rel=1e-9)
        del x  # freeing a million-deep graph must not overflow the C stack either


IEEE = [
    (lambda: Value(1) / 0, math.inf),
    (lambda: Value(-1) / 0, -math.inf),
    (lambda: Value(1) / Value(0), math.inf),
    (lambda: 1 / Value(0), math.inf),
    (lambda: Value(0).log(), -math.inf),
    (lambda: Value(-1).log(), math.nan),
    (lambda: Value(1000).exp(), math.inf),
    (lambda: Value(-1000).exp(), 0.0),
    (lambda: Value(-8) ** (1 / 3), math.nan),
    (lambda: Value(0) ** -1, math.inf),
    (lambda: Value(-0.0) ** -1, -math.inf),
    (lambda: Value(0) ** -2, math.inf),
    (lambda: Value(10.0) ** 400, math.inf),
    (lambda: Value(-10.0) ** 401, -math.inf),
    (lambda: Value(1000).tanh(), 1.0),
    (lambda: Value(-1000).tanh(), -1.0),
    (lambda: Value(-1000).sigmoid(), 0.0),
    (lambda: Value(1000).sigmoid(), 1.0),
    (lambda: Value(1000).softplus(), 1000.0),
    (lambda: Value(-1000).softplus(), 0.0),
    (lambda: Value(math.nan).relu(), math.nan),
]


@pytest.mark.parametrize("i", range(len(IEEE)))
def test_ieee_754_results_never_raise(i: int) -> None:
    make, expected = IEEE[i]
    out = make()
    if math.isnan(expected):
        assert math.isnan(out.data)
    else:
        assert out.data == expected
    out.backward()  # gradients may be inf or nan, but no exception


def test_saturated_activations_have_finite_gradients() -> None:
    for op, x, grad in [("tanh", 1000.0, 0.0), ("sigmoid", -1000.0, 0.0), ("sigmoid", 1000.0, 0.0)]:
        v = Value(x)
        getattr(v, op)().backward()
        assert v.grad == grad
    v = Value(1000.0)
    v.softplus().backward()
    assert v.grad == 1.0


@pytest.mark.parametrize("bad, named", [("3", "str"), (None, "NoneType"), ([1], "list"), (1j, "complex")])
def test_non_numbers_raise_type_error_naming_them(bad: object, named: str) -> None:
    with pytest.raises(TypeError, match=named):
        Value(bad)


def test_ops_with_non_numbers_raise_type_error() -> None:
    for op in [lambda: Value(6) / "3", lambda: Value(6) + "3", lambda: "3" * Value(6), lambda: Value(2) ** "3"]:
        with pytest.raises(TypeError):
            op()


def test_numpy_scalars_are_accepted() -> None:
    for x, want in [(np.float64(1.5), 1.5), (np.float32(0.5), 0.5), (np.int64(3), 3.0), (np.int8(-2), -2.0), (7, 7.0)]:
        v = Value(x)
        assert type(v.data) is float and v.data == want
    out = np.float64(2.0) * Value(3.0) + np.int64(1)
    assert isinstance(out, Value) and out.data == 7.0
    assert (Value(2.0) ** np.float64(3.0)).data == 8.0


def test_public_imports() -> None:
    import micrograd
    import micrograd.engine
    import micrograd.nn
    from micrograd import MLP, Layer, Module, Neuron
    from micrograd import Value as TopValue
    from micrograd.engine import Value as EngineValue
    from micrograd.nn import MLP as NnMLP
    from micrograd.nn import Layer as NnLayer
    from micrograd.nn import Module as NnModule
    from micrograd.nn import Neuron as NnNeuron

    assert TopValue is EngineValue is Value
    assert (Module, Neuron, Layer, MLP) == (NnModule, NnNeuron, NnLayer, NnMLP)
    assert set(micrograd.__all__) == {"Value", "Module", "Neuron", "Layer", "MLP"}
    assert issubclass(MLP, Module) and micrograd.engine.Value is micrograd.nn.Value


def test_repr() -> None:
    assert repr(Value(2.5)) == "Value(data=2.5, grad=0)"
    assert repr(Value(1.0, label="w")) == "Value(w=data=1, grad=0)"


# gc_paused: the collector is process-wide state, so every test restores it whatever happens
