"""A scalar value with reverse-mode autodiff, in the style of karpathy/micrograd.

Each op computes its output and records its local derivatives (d out / d child) as plain floats, so a
node holds no closure and no reference back to itself: graphs are freed by reference counting alone.
Each node also gets a creation id; since an op's children always exist before it, backward can order
the graph by sorting on that id instead of a depth-first walk, which is most of its speed.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from numbers import Real
from operator import attrgetter
from typing import Any

from micrograd import ops as O

_next_id = itertools.count().__next__  # thread-safe: one C call under the GIL
_by_id = attrgetter("_id")
_new = object.__new__


class Value:
    """A scalar in a computation graph: its data, its gradient and how it was computed."""

    # Children and local derivatives sit in slots of their own, not in tuples: a node is then one object
    # for the cyclic garbage collector instead of three, which is most of a plain training loop's time
    # (docs/benchmarks.md, "The plain loop"). _c0, _c1: the children of a one- or two-child op (_c1 None for
    # one); _d0, _d1: d self / d _c0 and d self / d _c1. A node of three or more children keeps tuples in
    # _c0 and _d0. A leaf has _c0 None.
    __slots__ = ("data", "grad", "_c0", "_c1", "_d0", "_d1", "_op", "label", "_id")
    data: float
    grad: float
    # _c0 is a Value, a tuple of Values or None and _d0 a float or a tuple, and which one is told by _c1 and _c0
    # being None (above). mypy can't follow that invariant, and a cast or assert in backward's loop would cost a
    # call per node, so these two are Any; _c1 and _d1 are exact.
    _c0: Any
    _d0: Any
    _c1: Value | None
    _d1: float
    _op: str
    label: str
    _id: int

    def __init__(
        self,
        data: float,
        _prev: tuple[Value, ...] = (),
        _op: str = "",
        _local: tuple[float, ...] = (),
        label: str = "",
    ) -> None:
        if type(data) is not float:
            if isinstance(data, Real):
                data = float(data)
            else:
                raise TypeError(f"Value needs a real number, got {type(data).__name__} {data!r:.40}")
        self.data = data
        self.grad = 0.0
        self._c0 = self._c1 = None
        self._d0 = self._d1 = 0.0
        if _prev or _local:
            if len(_local) != len(_prev):
                raise ValueError(f"a node needs one local derivative per child: {len(_prev)} children, {len(_local)}")
            if len(_prev) == 1:
                self._c0, self._d0 = _prev[0], float(_local[0])
            elif len(_prev) == 2:
                (self._c0, self._c1), (self._d0, self._d1) = _prev, map(float, _local)
            else:
                self._c0, self._d0 = tuple(_prev), tuple(map(float, _local))
        self._op = _op
        self.label = label
        self._id = _next_id()  # creation order: newer than every child, which backward's sort relies on

    @property
    def children(self) -> tuple[Value, ...]:
        """The operands this node was computed from, in operand order (empty for a leaf)."""
        a, b = self._c0, self._c1
        if b is not None:
            return (a, b)
        if a is None:
            return ()
        return a if type(a) is tuple else (a,)

    @property
    def local_grads(self) -> tuple[float, ...]:
        """d self / d child for each child, in the order of ``children``."""
        a, b = self._c0, self._c1
        if b is not None:
            return (self._d0, self._d1)
        if a is None:
            return ()
        return self._d0 if type(a) is tuple else (self._d0,)

    @property
    def op(self) -> str:
        """The op that made this node ('+', '*', 'tanh', '**2.0', ...; '' for a leaf)."""
        return self._op

    def __setstate__(self, state: tuple[None, dict]) -> None:
        # A copied or unpickled node gets a fresh id. Its children are restored before it, so the order
        # still holds, and so do nodes built on it later, even in a process whose counter started over.
        for name, x in state[1].items():
            setattr(self, name, x)
        self._id = _next_id()

    # primitives: compute the output, record the local derivative of each operand

    def __add__(self, other: Value | float) -> Value:
        if type(other) is not Value:  # the exact type checks are cheaper than isinstance on this hot path
            other = leaf(other) if type(other) is float else other if isinstance(other, Value) else Value(other)
        return node2(self.data + other.data, self, other, "+", 1.0, 1.0)

    def __mul__(self, other: Value | float) -> Value:
        if type(other) is not Value:
            other = leaf(other) if type(other) is float else other if isinstance(other, Value) else Value(other)
        return node2(self.data * other.data, self, other, "*", other.data, self.data)

    def __pow__(self, other: Value | float) -> Value:
        a = self.data
        if isinstance(other, Value):
            b = other.data
            out = O.pow(a, b)
            return node2(out, self, other, "**", O.pow_grad_base(a, b), O.pow_grad_exponent(a, out))
        if not isinstance(other, Real):
            return NotImplemented
        b = float(other)
        # repr keeps the exponent exact, so a tracer can rebuild the op from the node alone
        return node1(O.pow(a, b), self, f"**{b!r}", O.pow_grad_base(a, b))

    def exp(self) -> Value:
        """e ** x, inf on overflow."""
        x = self.data
        out = O.exp(x)
        return node1(out, self, "exp", O.exp_grad(x, out))

    def log(self) -> Value:
        """Natural log: -inf at 0, nan below 0."""
        x = self.data
        out = O.log(x)
        return node1(out, self, "log", O.log_grad(x, out))

    def tanh(self) -> Value:
        """Hyperbolic tangent; its derivative is 1 - tanh(x)**2."""
        x = self.data
        out = O.tanh(x)
        return node1(out, self, "tanh", O.tanh_grad(x, out))

    def sigmoid(self) -> Value:
        """1 / (1 + e**-x), computed without overflow; its derivative is s * (1 - s)."""
        x = self.data
        out = O.sigmoid(x)
        return node1(out, self, "sigmoid", O.sigmoid_grad(x, out))

    def relu(self) -> Value:
        """max(0, x); its derivative is 1 above 0, else 0."""
        x = self.data
        out = O.relu(x)
        return node1(out, self, "relu", O.relu_grad(x, out))

    def softplus(self) -> Value:
        """log(1 + e**x) without overflow; its derivative is sigmoid(x)."""
        x = self.data
        out = O.softplus(x)
        return node1(out, self, "softplus", O.softplus_grad(x, out))

    def huber(self) -> Value:
        """Huber's function (delta 1): x**2 / 2 near 0, |x| - 1/2 beyond; its derivative is x clipped to [-1, 1]."""
        x = self.data
        out = O.huber(x)
        return node1(out, self, "huber", O.huber_grad(x, out))

    @staticmethod
    def logsumexp(values: Sequence[Value | float]) -> Value:
        """log(e**v0 + e**v1 + ...): one node over all values, stable (the max is subtracted inside the op)."""
        vs = tuple(v if isinstance(v, Value) else Value(v) for v in values)
        xs = [v.data for v in vs]
        out = O.logsumexp(xs)
        return Value(out, vs, "logsumexp", O.logsumexp_grad(xs, out))

    def linear(self) -> Value:
        """The identity activation: returns self, adding no node."""
        return self

    # derived ops: one-liners over the primitives

    def __neg__(self) -> Value:
        return self * -1.0

    def __sub__(self, other: Value | float) -> Value:
        return self + (-other)

    def __truediv__(self, other: Value | float) -> Value:
        # Value(other) rather than float(other), so a string divisor is a TypeError, not parsed
        return self * (other**-1.0 if isinstance(other, Value) else O.div(1.0, Value(other).data))

    def __radd__(self, other: float) -> Value:
        return self + other

    def __rsub__(self, other: float) -> Value:
        return other + (-self)

    def __rmul__(self, other: float) -> Value:
        return self * other

    def __rtruediv__(self, other: float) -> Value:
        return other * self**-1.0

    def __rpow__(self, other: float) -> Value:
        return Value(other) ** self

    def backward(self) -> None:
        """Backpropagate d self / d node into every node's ``grad``.

        As in PyTorch, leaf gradients (inputs, parameters) accumulate across calls: call
        ``zero_grad()`` between steps. Inner nodes hold the gradient of the latest call only.
        """
        inner = _inner_nodes(self)
        self.grad += 1.0
        for v in inner:
            g = v.grad
            b = v._c1
            if b is not None:  # two children: the common case
                v._c0.grad += v._d0 * g
                b.grad += v._d1 * g
            elif type(a := v._c0) is not tuple:
                a.grad += v._d0 * g
            else:
                for child, local in zip(a, v._d0):
                    child.grad += local * g

    def __repr__(self) -> str:
        name = f"{self.label}=" if self.label else ""
        return f"Value({name}data={self.data:.6g}, grad={self.grad:.6g})"


def logsumexp(values: Sequence[Value | float]) -> Value:
    """Value.logsumexp: log(Σ e**v) as one stable node; softmax cross-entropy is logsumexp(s) - s[y]."""
    return Value.logsumexp(values)


def leaf(data: float) -> Value:
    """Value(data) for a float, without ``__init__``'s checks: the constants and inputs ops make."""
    v = _new(Value)
    v.data = data
    v.grad = 0.0
    v._c0 = None
    v._c1 = None
    v._d0 = 0.0
    v._d1 = 0.0
    v._op = ""
    v.label = ""
    v._id = _next_id()
    return v


def node1(data: float, a: Value, op: str, da: float) -> Value:
    """The output of a one-operand op: Value(data, (a,), op, (da,)) without ``__init__``'s checks.

    Ops always pass floats; building nodes is most of a forward pass, and this saves about 15 % of it.
    """
    v = _new(Value)
    v.data = data
    v.grad = 0.0
    v._c0 = a
    v._c1 = None
    v._d0 = da
    v._d1 = 0.0
    v._op = op
    v.label = ""
    v._id = _next_id()
    return v


def node2(data: float, a: Value, b: Value, op: str, da: float, db: float) -> Value:
    """The output of a two-operand op: Value(data, (a, b), op, (da, db)) without ``__init__``'s checks."""
    v = _new(Value)
    v.data = data
    v.grad = 0.0
    v._c0 = a
    v._c1 = b
    v._d0 = da
    v._d1 = db
    v._op = op
    v.label = ""
    v._id = _next_id()
    return v


def _inner_nodes(root: Value) -> list[Value]:
    """Every node reachable from root that has children, newest first, each with its grad reset to 0.

    Leaves are left out: they only receive gradient. Sorting by creation id puts every node before its
    children, which is all backward needs; popping the last operand first (usually the newest) makes the
    walk's order nearly sorted already, which the sort then finishes in about linear time.
    """
    if root._c0 is None:
        return []
    # "seen in this walk" is "grad is mark": a fresh float object that no node holds yet, equal to 0.0, so
    # marking a node also resets its grad. Cheaper than a set of 65k nodes, and it needs no second pass.
    mark = float(0)
    root.grad = mark
    inner: list[Value] = []
    stack = [root]
    pop, push, keep = stack.pop, stack.append, inner.append
    while stack:
        v = pop()
        keep(v)
        a, b = v._c0, v._c1
        if type(a) is tuple:
            for c in a:
                if c._c0 is not None and c.grad is not mark:
                    c.grad = mark
                    push(c)
            continue
        if a._c0 is not None and a.grad is not mark:
            a.grad = mark
            push(a)
        if b is not None and b._c0 is not None and b.grad is not mark:
            b.grad = mark
            push(b)
    inner.sort(key=_by_id, reverse=True)
    return inner


def topological_order(root: Value) -> list[Value]:
    """Every node reachable from root, each after all of its children; iterative, so any depth works."""
    order: list[Value] = []
    seen: set[Value] = set()
    stack: list[tuple[Value, bool]] = [(root, False)]
    while stack:
        v, expanded = stack.pop()
        if expanded:
            order.append(v)
        elif v not in seen:
            seen.add(v)
            stack.append((v, True))
            stack.extend((c, False) for c in v.children if c not in seen)
    return order
