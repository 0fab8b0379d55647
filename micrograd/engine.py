"""A scalar value with reverse-mode autodiff, in the style of karpathy/micrograd.

Each op computes its output and records its local derivatives (d out / d child) as plain floats, so a
node holds no closure and no reference back to itself: graphs are freed by reference counting alone.
"""

from __future__ import annotations

import gc
import math
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from numbers import Real

from micrograd import scalar as S


class Value:
    """A scalar in a computation graph: its data, its gradient and how it was computed."""

    __slots__ = ("data", "grad", "_prev", "_local", "_op", "label")

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

    # primitives: compute the output, record the local derivative of each operand

    def __add__(self, other: Value | float) -> Value:
        other = other if isinstance(other, Value) else Value(other)
        return Value(self.data + other.data, (self, other), "+", (1.0, 1.0))

    def __mul__(self, other: Value | float) -> Value:
        other = other if isinstance(other, Value) else Value(other)
        return Value(self.data * other.data, (self, other), "*", (other.data, self.data))

    def __pow__(self, other: Value | float) -> Value:
        a = self.data
        if isinstance(other, Value):
            b = other.data
            out = S.pow(a, b)
            # d/db a**b = a**b * ln(a); define it as 0 where a**b is 0 (as PyTorch does at a = 0)
            db = 0.0 if out == 0.0 else out * S.log(a)
            return Value(out, (self, other), "**", (b * S.pow(a, b - 1.0), db))
        if not isinstance(other, Real):
            return NotImplemented
        b = float(other)
        # repr keeps the exponent exact, so a tracer can rebuild the op from the node alone
        return Value(S.pow(a, b), (self,), f"**{b!r}", (b * S.pow(a, b - 1.0),))

    def exp(self) -> Value:
        out = S.exp(self.data)
        return Value(out, (self,), "exp", (out,))

    def log(self) -> Value:
        return Value(S.log(self.data), (self,), "log", (S.div(1.0, self.data),))

    def tanh(self) -> Value:
        t = math.tanh(self.data)
        return Value(t, (self,), "tanh", (1.0 - t * t,))

    def sigmoid(self) -> Value:
        s = S.sigmoid(self.data)
        return Value(s, (self,), "sigmoid", (s * (1.0 - s),))

    def relu(self) -> Value:
        return Value(S.relu(self.data), (self,), "relu", (S.relu_grad(self.data),))

    def softplus(self) -> Value:
        """log(1 + e**x) without overflow; its derivative is sigmoid(x)."""
        return Value(S.softplus(self.data), (self,), "softplus", (S.sigmoid(self.data),))

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
        order = topological_order(self)
        for v in order:
            if v._prev:
                v.grad = 0.0
        self.grad += 1.0
        for v in reversed(order):
            g = v.grad
            for child, local in zip(v._prev, v._local):
                child.grad += local * g

    def __repr__(self) -> str:
        name = f"{self.label}=" if self.label else ""
        return f"Value({name}data={self.data:.6g}, grad={self.grad:.6g})"


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


_gc_lock = threading.Lock()
_gc_depth = 0
_gc_was_enabled = False


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause Python's cyclic GC while building big graphs; safe to nest and to use from many threads.

    ``gc.disable()`` is process-wide, so a counter restores the collector only when the last user
    leaves, and only if it was enabled when the first one came in.
    """
    global _gc_depth, _gc_was_enabled
    with _gc_lock:
        if _gc_depth == 0:
            _gc_was_enabled = gc.isenabled()
            gc.disable()
        _gc_depth += 1
    try:
        yield
    finally:
        with _gc_lock:
            _gc_depth -= 1
            if _gc_depth == 0 and _gc_was_enabled:
                gc.enable()
