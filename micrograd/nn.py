"""Neurons, layers and multi-layer perceptrons over scalar Values, with a PyTorch-like Module API."""

from __future__ import annotations

import math
import random
from collections.abc import Iterator, Sequence
from numbers import Integral, Real
from typing import Any

from micrograd.engine import Value, leaf, node2

ACTIVATIONS = ("relu", "tanh", "sigmoid", "linear")
INITS = ("uniform", "xavier", "he", "scaled")
Nested = Any  # a Value or (nested) lists of Values / floats


def check_activation(name: str, arg: str = "activation") -> str:
    """Return name if it is a known activation, else raise a ValueError listing the allowed ones."""
    if name not in ACTIVATIONS:
        raise ValueError(f"{arg} must be one of {', '.join(ACTIVATIONS)}; got {name!r}")
    return name


def check_size(n: object, arg: str) -> int:
    """Return n if it is a positive whole number, else raise a ValueError naming the argument."""
    if isinstance(n, bool) or not isinstance(n, Integral) or n < 1:
        raise ValueError(f"{arg} must be a positive whole number, got {n!r}")
    return int(n)


def make_rng(seed: int | random.Random | None) -> random.Random:
    """A private generator: the given one, one seeded with seed, or a fresh one (never the global state)."""
    return seed if isinstance(seed, random.Random) else random.Random(seed)


def _activation_of(activation: str | None, nonlin: bool | None) -> str:
    if nonlin is not None:  # the classic micrograd keyword
        return "relu" if nonlin else "linear"
    return check_activation(activation or "linear")


def _init_bound(init: str, activation: str, fan_in: int, fan_out: int) -> tuple[str, float]:
    """(distribution, scale) of an initial weight: classic U(-1, 1), Xavier uniform or He normal."""
    if init not in INITS:
        raise ValueError(f"init must be one of {', '.join(INITS)}; got {init!r}")
    if init == "scaled":  # the usual pairing: He for ReLU, Xavier otherwise
        init = "he" if activation == "relu" else "xavier"
    if init == "uniform":
        return "uniform", 1.0
    if init == "xavier":
        return "uniform", math.sqrt(6.0 / (fan_in + fan_out))
    return "normal", math.sqrt(2.0 / fan_in)


class Module:
    """Base class: subclasses say which named tensors they hold; the rest follows from that."""

    def tensors(self) -> dict[str, Nested]:
        """Named parameter tensors: a Value, or lists (of lists) of Values."""
        return {}

    def named_parameters(self) -> Iterator[tuple[str, Value]]:
        """(dotted name, Value) for every parameter, in a fixed order."""
        for key, t in self.tensors().items():
            yield from _flatten(key, t)

    def parameters(self) -> list[Value]:
        """Every parameter, in the order of ``named_parameters()``."""
        return [p for _, p in self.named_parameters()]

    def zero_grad(self) -> None:
        """Set every parameter's gradient to 0."""
        for p in self.parameters():
            p.grad = 0.0

    def state_dict(self) -> dict[str, Nested]:
        """Parameter values as plain floats, keyed like ``tensors()``."""
        return {k: _map(t, lambda v: v.data) for k, t in self.tensors().items()}

    def load_state_dict(self, state: dict[str, Nested], strict: bool = True) -> None:
        """Copy values in; raise one ValueError listing every bad key. Nothing changes on error."""
        if not isinstance(state, dict):
            raise ValueError(f"state must be a dict, got {type(state).__name__}")
        own = self.tensors()
        problems = []
        if strict:
            problems += [f"missing key {k!r}" for k in own if k not in state]
            problems += [f"unexpected key {k!r}" for k in state if k not in own]
        pairs = []
        for k, t in own.items():
            if k in state:
                err = _shape_error(t, state[k])
                if err:
                    problems.append(f"key {k!r}: {err}")
                else:
                    pairs.append((t, state[k]))
        if problems:
            raise ValueError("load_state_dict: " + "; ".join(problems))
        for t, values in pairs:
            for v, x in zip(_leaves(t), _leaves(values)):
                v.data = float(x)

    def num_parameters(self) -> int:
        """How many scalar parameters the module has."""
        return len(self.parameters())


def _flatten(prefix: str, t: Nested) -> Iterator[tuple[str, Value]]:
    if isinstance(t, Value):
        yield prefix, t
    else:
        for i, x in enumerate(t):
            yield from _flatten(f"{prefix}.{i}", x)


def _map(t: Nested, f):
    return f(t) if isinstance(t, Value) else [_map(x, f) for x in t]


def _leaves(t: Nested) -> Iterator:
    if isinstance(t, (list, tuple)):
        for x in t:
            yield from _leaves(x)
    else:
        yield t


def _shape(t: Nested) -> tuple[int, ...]:
    return () if isinstance(t, Value) else (len(t), *(_shape(t[0]) if t else ()))


def _shape_error(own: Nested, given: object) -> str:
    """Why given cannot be loaded into own ('' if it can): shape or non-numbers."""
    want = _shape(own)

    def check(x: object, depth: int) -> str:
        if depth == len(want):
            if isinstance(x, bool) or not isinstance(x, Real):
                return f"expected a number, got {type(x).__name__}"
            return ""
        if not isinstance(x, (list, tuple)) or len(x) != want[depth]:
            got = f"length {len(x)}" if isinstance(x, (list, tuple)) else type(x).__name__
            return f"expected shape {list(want)}, got {got} at depth {depth}"
        for y in x:
            err = check(y, depth + 1)
            if err:
                return err
        return ""

    return check(given, 0)


def weighted_sum(bias: Value, weights: Sequence[Value], inputs: Sequence[Value | float]) -> Value:
    """bias + w0*x0 + w1*x1 + ...: the very nodes ``sum((w * x for w, x in zip(weights, inputs)), bias)`` builds.

    A neuron's forward pass is nearly all this loop, so it builds the nodes directly instead of going
    through ``__mul__`` and ``__add__``. ``bias`` and ``weights`` are Values.
    """
    act = bias
    for w, x in zip(weights, inputs):
        if type(x) is float:
            x = leaf(x)  # a constant leaf, as w * x makes one
        if type(x) is Value:
            wx = node2(w.data * x.data, w, x, "*", x.data, w.data)
        else:
            wx = w * x  # other numbers, subclasses and bad input take the operator's own path
        act = node2(act.data + wx.data, act, wx, "+", 1.0, 1.0)
    return act


class Neuron(Module):
    """One unit: activation(w · x + b)."""

    def __init__(
        self,
        nin: int,
        activation: str | None = "relu",
        *,
        nonlin: bool | None = None,
        init: str = "uniform",
        seed: int | random.Random | None = None,
        fan_out: int = 1,
    ) -> None:
        check_size(nin, "nin")
        self.activation = _activation_of(activation, nonlin)
        rng = make_rng(seed)
        dist, scale = _init_bound(init, self.activation, nin, fan_out)
        draw = (lambda: rng.uniform(-scale, scale)) if dist == "uniform" else (lambda: rng.gauss(0.0, scale))
        self.w = [Value(draw()) for _ in range(nin)]
        self.b = Value(0.0)

    def __call__(self, x: Sequence[Value | float]) -> Value:
        if len(x) != len(self.w):
            raise ValueError(f"neuron expects {len(self.w)} inputs, got {len(x)}")
        # the same graph as sum((wi * xi for wi, xi in zip(self.w, x)), self.b), built faster
        return getattr(weighted_sum(self.b, self.w, x), self.activation)()

    def tensors(self) -> dict[str, Nested]:
        return {"weight": self.w, "bias": self.b}

    def __repr__(self) -> str:
        return f"Neuron({len(self.w)}, activation={self.activation!r})"


class Layer(Module):
    """nout neurons that share the same inputs."""

    def __init__(
        self,
        nin: int,
        nout: int,
        activation: str | None = "relu",
        *,
        nonlin: bool | None = None,
        init: str = "uniform",
        seed: int | random.Random | None = None,
    ) -> None:
        check_size(nin, "nin")
        check_size(nout, "nout")
        rng = make_rng(seed)
        act = _activation_of(activation, nonlin)
        self.neurons = [Neuron(nin, act, init=init, seed=rng, fan_out=nout) for _ in range(nout)]
        self.activation = act

    def forward(self, x: Sequence[Value | float]) -> list[Value]:
        """Every neuron's output, always as a list."""
        return [n(x) for n in self.neurons]

    def __call__(self, x: Sequence[Value | float]) -> Value | list[Value]:
        out = self.forward(x)
        return out[0] if len(out) == 1 else out

    def tensors(self) -> dict[str, Nested]:
        return {"weight": [n.w for n in self.neurons], "bias": [n.b for n in self.neurons]}

    @property
    def nin(self) -> int:
        """Number of inputs of each neuron."""
        return len(self.neurons[0].w)

    def __repr__(self) -> str:
        return f"Layer({self.nin}, {len(self.neurons)}, activation={self.activation!r})"


class MLP(Module):
    """Layers in sequence; hidden layers use ``activation``, the last one ``output_activation``."""

    def __init__(
        self,
        nin: int,
        nouts: Sequence[int],
        activation: str = "relu",
        *,
        output_activation: str = "linear",
        init: str = "uniform",
        seed: int | random.Random | None = None,
    ) -> None:
        check_size(nin, "nin")
        if isinstance(nouts, (str, bytes)) or not isinstance(nouts, Sequence) or len(nouts) == 0:
            raise ValueError(f"nouts must be a non-empty list of layer sizes, got {nouts!r}")
        for i, n in enumerate(nouts):
            check_size(n, f"nouts[{i}]")
        check_activation(activation)
        check_activation(output_activation, "output_activation")
        rng = make_rng(seed)
        sizes = [nin, *nouts]
        self.layers = [
            Layer(sizes[i], sizes[i + 1], activation if i < len(nouts) - 1 else output_activation, init=init, seed=rng)
            for i in range(len(nouts))
        ]
        self.activation = activation
        self.output_activation = output_activation

    def __call__(self, x: Sequence[Value | float]) -> Value | list[Value]:
        out = self.layers[0].forward(x)  # __init__ made at least one layer
        for layer in self.layers[1:]:
            out = layer.forward(out)
        return out[0] if len(out) == 1 else out

    def tensors(self) -> dict[str, Nested]:
        return {f"layers.{i}.{k}": t for i, layer in enumerate(self.layers) for k, t in layer.tensors().items()}

    @property
    def sizes(self) -> list[int]:
        """[nin, *nouts]."""
        return [self.layers[0].nin] + [len(layer.neurons) for layer in self.layers]

    def __repr__(self) -> str:
        inner = ",\n".join(f"  {layer!r}" for layer in self.layers)
        return f"MLP(\n{inner}\n)  # {self.num_parameters()} parameters"
