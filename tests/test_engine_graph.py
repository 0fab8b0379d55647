"""The engine's graphs as structures: backward against an exact depth-first reference, node ids and copies, no
reference cycles, weighted_sum's graph; and gc_paused, which training steps run under."""

from __future__ import annotations

import copy
import gc
import pickle
import random
import threading
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from micrograd.engine import Value, topological_order
from micrograd.nn import weighted_sum
from micrograd.studio.trainer import gc_paused
from tests import strategies as S


@pytest.fixture
def gc_enabled():
    was = gc.isenabled()
    gc.enable()
    yield
    (gc.enable if was else gc.disable)()


def test_gc_paused_disables_and_restores(gc_enabled: None) -> None:
    with gc_paused():
        assert not gc.isenabled()
    assert gc.isenabled()


def test_gc_paused_restores_on_exception(gc_enabled: None) -> None:
    with pytest.raises(RuntimeError), gc_paused():
        raise RuntimeError("boom")
    assert gc.isenabled()


def test_gc_paused_nests(gc_enabled: None) -> None:
    with gc_paused():
        with gc_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()
    assert gc.isenabled()


def test_gc_paused_keeps_a_disabled_collector_disabled(gc_enabled: None) -> None:
    gc.disable()
    with gc_paused():
        assert not gc.isenabled()
    assert not gc.isenabled()


def test_gc_paused_from_two_overlapping_threads(gc_enabled: None) -> None:
    a_in, b_in, a_out = threading.Event(), threading.Event(), threading.Event()
    seen: dict[str, bool] = {}

    def first() -> None:
        with gc_paused():
            a_in.set()
            b_in.wait(5)
        a_out.set()

    def second() -> None:
        a_in.wait(5)
        with gc_paused():
            b_in.set()
            a_out.wait(5)
            seen["after first left"] = gc.isenabled()
        seen["after both left"] = gc.isenabled()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert a_out.is_set() and b_in.is_set()
    assert seen == {"after first left": False, "after both left": True}


# the fast paths: creation ids, backward's order, weighted_sum; each checked against an independent reference


def _random_graph(rng: random.Random, n_leaves: int, n_ops: int) -> tuple[list[Value], Value]:
    """A random DAG of + - * over small integers (operands reused), so every float result is exact."""
    leaves = [Value(float(rng.randint(-2, 2))) for _ in range(n_leaves)]
    pool = list(leaves)
    for _ in range(n_ops):
        a, b = rng.choice(pool), rng.choice(pool[-4:])  # favour recent nodes: deep chains as well as fan-out
        op = rng.choice(["+", "-", "*", "c*", "relu", "3"])
        if op == "+":
            pool.append(a + b)
        elif op == "-":
            pool.append(a - b)
        elif op == "*":
            pool.append(a * b)
        elif op == "c*":
            pool.append(2 * a)
        elif op == "relu":  # one child; exact too, with a local derivative of 0 or 1
            pool.append(a.relu())
        else:  # a three-child node through the public constructor: the general path of backward
            c = rng.choice(pool)
            pool.append(Value(a.data + b.data + c.data, (a, b, c), "sum3", (1.0, 1.0, 1.0)))
    return leaves, pool[-1]


def _exact_grads(root: Value) -> dict[int, Fraction]:
    """d root / d node for every node, in exact arithmetic, by a depth-first reverse pass."""
    grads = {id(v): Fraction(0) for v in topological_order(root)}
    grads[id(root)] = Fraction(1)
    for v in reversed(topological_order(root)):
        for c, local in zip(v.children, v.local_grads):
            grads[id(c)] += Fraction(local) * grads[id(v)]
    return grads


def test_backward_matches_an_exact_depth_first_reference() -> None:
    rng = random.Random(7)
    checked = 0
    for _ in range(300):
        leaves, root = _random_graph(rng, rng.randint(1, 5), rng.randint(1, 40))
        order = topological_order(root)
        want = _exact_grads(root)
        if max(abs(v.data) for v in order) > 2**40 or max(abs(g) for g in want.values()) > 2**40:
            continue  # keep every float sum exact, so any summation order must agree to the bit
        root.backward()
        assert all(v.grad == want[id(v)] for v in order)
        root.backward()  # leaves accumulate, inner nodes hold the latest call only
        assert all(v.grad == (2 if not v.children and v is not root else 1) * want[id(v)] for v in order)
        checked += 1
    assert checked > 150


def test_backward_of_an_inner_node_touches_only_its_subgraph() -> None:
    x, y = Value(2.0), Value(3.0)
    h = x * y
    out = h * h + y
    out.backward()
    assert (h.grad, x.grad, y.grad) == (12.0, 36.0, 25.0)
    h.backward()  # h is the root now: its grad restarts at 1; out is not part of this graph
    assert (out.grad, h.grad, x.grad, y.grad) == (1.0, 1.0, 39.0, 27.0)


def test_every_node_is_newer_than_its_children() -> None:
    x, y = Value(0.7), Value(1.3)
    ops = [x + y, x - y, x * y, x / y, x**y, x**2.5, 2.0**y, -x, x.exp(), x.log(), x.tanh(), x.sigmoid()]
    ops += [x.relu(), x.softplus(), 1 - x, 3 / x, Value(1.0, (x, y), "custom", (1.0, 1.0))]
    root = sum(ops)
    order = topological_order(root)
    assert len(order) > 30
    assert all(c._id < v._id for v in order for c in v.children)
    assert len({v._id for v in order}) == len(order)


def test_copies_and_pickles_get_fresh_ids_and_the_same_gradients() -> None:
    a, b = Value(1.5), Value(-2.0)
    root = (a * b + a).tanh() * b
    root.backward()
    want = [v.grad for v in topological_order(root)]

    def round_trip(v: Value) -> Value:
        return pickle.loads(pickle.dumps(v))  # noqa: S301 - our own bytes, never user data

    for restore in (copy.deepcopy, round_trip):
        newer = Value(0.0)._id
        twin = restore(root)
        order = topological_order(twin)
        assert all(v._id > newer for v in order)  # later than anything made before the copy
        assert all(c._id < v._id for v in order for c in v.children)
        for v in order:
            v.grad = 0.0
        twin.backward()
        assert [v.grad for v in order] == want


def test_graphs_hold_no_reference_cycles() -> None:
    assert not hasattr(Value(1.0), "__dict__")  # __slots__
    gc.collect()
    was = gc.isenabled()
    gc.disable()
    try:
        xs = [Value(float(i)) for i in range(50)]
        loss = sum((x * x).tanh() + x.relu() for x in xs)
        loss.backward()
        del loss, xs
        assert gc.collect() == 0  # reference counting freed everything already
    finally:
        if was:
            gc.enable()


def _same_graph(got: Value, want: Value, shared: set[int]) -> None:
    """got and want are built alike: same ops, locals and data; the same objects where want reuses an input."""
    stack = [(got, want)]
    while stack:
        g, w = stack.pop()
        if id(w) in shared:
            assert g is w
            continue
        assert (g.op, g.local_grads, g.data, g.label, len(g.children)) == (
            w.op,
            w.local_grads,
            w.data,
            w.label,
            len(w.children),
        )
        assert g is not w
        stack.extend(zip(g.children, w.children))


INPUT = st.one_of(S.moderate, S.moderate.map(Value), st.integers(-5, 5), S.moderate.map(np.float64))


@S.SETTINGS
@given(b=S.moderate, ws=st.lists(S.moderate, min_size=0, max_size=6), data=st.data())
def test_weighted_sum_builds_the_operator_graph(b: float, ws: list[float], data: st.DataObject) -> None:
    xs = data.draw(st.lists(INPUT, min_size=len(ws), max_size=len(ws)), label="inputs")
    bias, weights = Value(b), [Value(w) for w in ws]
    got = weighted_sum(bias, weights, xs)
    want = sum((w * x for w, x in zip(weights, xs)), bias)
    shared = {id(v) for v in [bias, *weights, *xs] if isinstance(v, Value)}
    _same_graph(got, want, shared)
    got.backward()
    fast = [v.grad for v in [bias, *weights]]
    for v in [bias, *weights]:
        v.grad = 0.0
    want.backward()
    assert fast == [v.grad for v in [bias, *weights]]


def test_weighted_sum_rejects_non_numbers_like_the_operators() -> None:
    for bad in ["3", None, [1.0]]:
        with pytest.raises(TypeError):
            weighted_sum(Value(0.0), [Value(1.0)], [bad])
