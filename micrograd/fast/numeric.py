"""NumPy forward passes over a model's current weights: metrics, decision boundaries, predictions.

These never build Values, so they are cheap enough to run on a 100 x 100 grid every UI tick.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from micrograd.fast.arrays import ACTIVATIONS, LOSSES, mean
from micrograd.nn import MLP


@dataclass(frozen=True)
class DenseLayer:
    """One layer as arrays: weight[j, i] is neuron j's weight for input i (PyTorch's nn.Linear layout)."""

    weight: np.ndarray
    bias: np.ndarray
    activation: str


def layers_of(model: MLP) -> list[DenseLayer]:
    """A snapshot of the model's weights as arrays."""
    return [
        DenseLayer(
            np.array([[w.data for w in n.w] for n in layer.neurons]),
            np.array([n.b.data for n in layer.neurons]),
            layer.activation,
        )
        for layer in model.layers
    ]


def activate(name: str, z: np.ndarray) -> np.ndarray:
    """Apply the named activation elementwise: micrograd.fast.arrays' function, the one training uses."""
    if name not in ACTIVATIONS:
        raise ValueError(f"unknown activation {name!r}")
    return ACTIVATIONS[name](z)


def forward_all(layers: list[DenseLayer], X: np.ndarray) -> list[np.ndarray]:
    """Every layer's output for the rows of X: a list of (n, nout) arrays."""
    h = np.asarray(X, dtype=float)
    outs = []
    with np.errstate(all="ignore"):
        for layer in layers:
            h = activate(layer.activation, h @ layer.weight.T + layer.bias)
            outs.append(h)
    return outs


def scores(layers: list[DenseLayer], X: np.ndarray) -> np.ndarray:
    """The first output unit's score for each row of X (score > 0 means class +1)."""
    return forward_all(layers, X)[-1][:, 0]


def per_example_loss(name: str, s: np.ndarray, y: np.ndarray) -> np.ndarray:
    """The named loss for each (score, ±1 label) pair: micrograd.fast.arrays' function, as training's."""
    if name not in LOSSES:
        raise ValueError(f"unknown loss {name!r}")
    with np.errstate(all="ignore"):
        return LOSSES[name](s, y)


def loss_and_accuracy(name: str, s: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """Mean loss and accuracy of scores s against labels y (nan, nan for an empty set)."""
    if len(y) == 0:
        return float("nan"), float("nan")
    right = np.isfinite(s) & ((s > 0) == (y > 0))  # a nan score is wrong whatever the label
    # summed in order and scaled by 1/n, as the scalar engine and the compiled executor take the mean
    return mean(per_example_loss(name, s, y)), float(np.mean(right))


def grid(
    x_range: tuple[float, float], y_range: tuple[float, float], n: int = 100
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(xs, ys, points): an n x n grid over the rectangle, points as an (n*n, 2) array, row-major in y."""
    xs = np.linspace(*x_range, n)
    ys = np.linspace(*y_range, n)
    gx, gy = np.meshgrid(xs, ys)
    return xs, ys, np.column_stack([gx.ravel(), gy.ravel()])
