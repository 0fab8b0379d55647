"""A scalar value with reverse-mode autodiff, in the style of karpathy/micrograd.

Each op computes its output and records its local derivatives (d out / d child) as plain floats, so a
node holds no closure and no reference back to itself: graphs are freed by reference counting alone.
Each node also gets a creation id; since an op's children always exist before it, backward can order
the graph by sorting on that id instead of a depth-first walk, which is most of its speed.
"""

from __future__ import annotations

import itertools
import math
from numbers import Real
from operator import attrgetter

from micrograd import ops as S

_next_id = itertools.count().__next__  # thread-safe: one C call under the GIL
_by_id = attrgetter("_id")
_new = object.__new__


class Value:
    """A scalar in a computation graph: its data, its gradient and how it was computed."""

    __slots__ = ("data", "grad", "_prev", "_local", "_op", "label", "_id")

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
        self._prev = _prev  # children, in operand order
        self._local = _local  # d self / d child, one float per child
        self._op = _op
        self.label = label
        self._id = _next_id()  # creation order: newer than every child, which backward's sort relies on

    def __setstate__(self, state: tuple[None, dict]) -> None:
        # A copied or unpickled node gets a fresh id. Its children are restored before it, so the order
        # still holds, and so do nodes built on it later, even in a process whose counter started over.
        for name, x in state[1].items():
            setattr(self, name, x)
        self._id = _next_id()

    # primitives: compute the output, record the local derivative of each operand

    def __add__(self, other: Value | float) -> Value:
        if type(other) is not Value:  # the exact type check is cheaper than isinstance on this hot path
            other = other if isinstance(other, Value) else Value(other)
        return node(self.data + other.data, (self, other), "+", (1.0, 1.0))

    def __mul__(self, other: Value | float) -> Value:
        if type(other) is not Value:
            other = other if isinstance(other, Value) else Value(other)
        return node(self.data * other.data, (self, other), "*", (other.data, self.data))

    def __pow__(self, other: Value | float) -> Value:
        a = self.data
        if isinstance(other, Value):
            b = other.data
            out = S.pow(a, b)
            # d/db a**b = a**b * ln(a); define it as 0 where a**b is 0 (as PyTorch does at a = 0)
            db = 0.0 if out == 0.0 else out * S.log(a)
            return node(out, (self, other), "**", (b * S.pow(a, b - 1.0), db))
        if not isinstance(other, Real):
            return NotImplemented
        b = float(other)
        # repr keeps the exponent exact, so a tracer can rebuild the op from the node alone
        return node(S.pow(a, b), (self,), f"**{b!r}", (b * S.pow(a, b - 1.0),))

    def exp(self) -> Value:
        """e ** x, inf on overflow."""
        out = S.exp(self.data)
        return node(out, (self,), "exp", (out,))

    def log(self) -> Value:
        """Natural log: -inf at 0, nan below 0."""
        return node(S.log(self.data), (self,), "log", (S.div(1.0, self.data),))

    def tanh(self) -> Value:
        """Hyperbolic tangent; its derivative is 1 - tanh(x)**2."""
        t = math.tanh(self.data)
        return node(t, (self,), "tanh", (1.0 - t * t,))

    def sigmoid(self) -> Value:
        """1 / (1 + e**-x), computed without overflow."""
        s = S.sigmoid(self.data)
        return node(s, (self,), "sigmoid", (s * (1.0 - s),))

    def relu(self) -> Value:
        """max(0, x); its derivative is 1 above 0, else 0."""
        return node(S.relu(self.data), (self,), "relu", (S.relu_grad(self.data),))

    def softplus(self) -> Value:
        """log(1 + e**x) without overflow; its derivative is sigmoid(x)."""
        return node(S.softplus(self.data), (self,), "softplus", (S.sigmoid(self.data),))

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
        return self * (other**-1.0 if isinstance(other, Value) else S.div(1.0, Value(other).data))

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
            prev = v._prev
            if len(prev) == 2:  # unpacking beats zip(), which costs an iterator per node
                a, b = prev
                da, db = v._local
                a.grad += da * g
                b.grad += db * g
            elif len(prev) == 1:
                prev[0].grad += v._local[0] * g
            else:
                for child, local in zip(prev, v._local):
                    child.grad += local * g

    def __repr__(self) -> str:
        name = f"{self.label}=" if self.label else ""
        return f"Value({name}data={self.data:.6g}, grad={self.grad:.6g})"


def node(data: float, _prev: tuple[Value, ...], _op: str, _local: tuple[float, ...]) -> Value:
    """An op's output: Value(data, _prev, _op, _local) without the type check and ``__init__`` dispatch.

    Ops always pass a float; building nodes is most of a forward pass, and this saves about 15 % of it.
    """
    v = _new(Value)
    v.data = data
    v.grad = 0.0
    v._prev = _prev
    v._local = _local
    v._op = _op
    v.label = ""
    v._id = _next_id()
    return v


def _inner_nodes(root: Value) -> list[Value]:
    """Every node reachable from root that has children, newest first, each with its grad reset to 0.

    Leaves are left out: they only receive gradient. Sorting by creation id puts every node before its
    children, which is all backward needs; popping the last operand first (usually the newest) makes the
    walk's order nearly sorted already, which the sort then finishes in about linear time.
    """
    if not root._prev:
        return []
    root.grad = 0.0
    inner = []
    seen = {root}
    stack = [root]
    while stack:
        v = stack.pop()
        inner.append(v)
        for c in v._prev:
            if c._prev and c not in seen:
                seen.add(c)
                c.grad = 0.0
                stack.append(c)
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
            stack.extend((c, False) for c in v._prev if c not in seen)
    return order
