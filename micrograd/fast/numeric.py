"""NumPy forward passes over a model's current weights: metrics, decision boundaries, predictions.

These never build Values, so they are cheap enough to run on a 100 x 100 grid every UI tick.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from micrograd.fast.arrays import ACTIVATIONS, LOSSES, TASK_LOSSES, mean
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


@dataclass(frozen=True)
class LayerIndex:
    """Where one layer's weights and biases sit in the parameter vector (model.parameters() order)."""

    weight: np.ndarray  # (nout, nin) indices
    bias: np.ndarray  # (nout,) indices
    activation: str


def layer_index(model: MLP, params: list | None = None) -> list[LayerIndex]:
    """Each layer's positions in ``params`` (default model.parameters()), for layers_from."""
    params = model.parameters() if params is None else params
    pos = {id(p): i for i, p in enumerate(params)}
    return [
        LayerIndex(
            np.array([[pos[id(w)] for w in n.w] for n in layer.neurons], dtype=np.intp),
            np.array([pos[id(n.b)] for n in layer.neurons], dtype=np.intp),
            layer.activation,
        )
        for layer in model.layers
    ]


def layers_from(theta: np.ndarray, index: list[LayerIndex]) -> list[DenseLayer]:
    """The same snapshot as layers_of, from a parameter vector: new contiguous arrays, as layers_of makes."""
    return [DenseLayer(theta[ix.weight], theta[ix.bias], ix.activation) for ix in index]


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
            z = h @ layer.weight.T
            z += layer.bias  # in place: one array fewer per layer, the same numbers
            h = activate(layer.activation, z)
            outs.append(h)
    return outs


def forward_stack(thetas: np.ndarray, index: list[LayerIndex], X: np.ndarray) -> list[np.ndarray]:
    """forward_all at many parameter vectors at once (the rows of thetas): each layer's outputs as (B, n, nout).

    Row b is forward_all(layers_from(thetas[b], index), X) bit for bit: matmul makes the same BLAS call for each
    row's matrices, and the other operations are elementwise. One call for a tick's steps costs a third of theirs.
    """
    h = np.asarray(X, dtype=float)
    h = np.broadcast_to(h, (len(thetas), *h.shape))
    outs = []
    with np.errstate(all="ignore"):
        for ix in index:
            # weight[j, i] as in layers_from; transposed per row, as forward_all's layer.weight.T
            h = activate(ix.activation, h @ thetas[:, ix.weight].transpose(0, 2, 1) + thetas[:, ix.bias][:, None, :])
            outs.append(h)
    return outs


def scores(layers: list[DenseLayer], X: np.ndarray) -> np.ndarray:
    """The first output unit's score for each row of X (score > 0 means class +1)."""
    return forward_all(layers, X)[-1][:, 0]


def outputs(layers: list[DenseLayer], X: np.ndarray) -> np.ndarray:
    """Every output unit's value for each row of X: shape (n, n_outputs)."""
    return forward_all(layers, X)[-1]


def _rows(out: np.ndarray) -> np.ndarray:
    """Outputs as an (n, k) float array: a 1-D array is one output per row."""
    out = np.asarray(out, dtype=float)
    return out[:, None] if out.ndim == 1 else out


def predict(task: str, out: np.ndarray) -> np.ndarray:
    """Predictions from outputs (n, k): ±1 (binary), the argmax class index (multiclass), the values (regression)."""
    out = _rows(out)
    if task == "binary":
        return np.where(out[:, 0] > 0, 1.0, -1.0)
    if task == "multiclass":
        return np.argmax(np.where(np.isnan(out), -np.inf, out), axis=1)  # a nan score never wins
    if task == "regression":
        return out[:, 0] if out.shape[1] == 1 else out
    raise ValueError(f"task must be one of binary, multiclass, regression; got {task!r}")


def confusion(true: np.ndarray, pred: np.ndarray, k: int) -> list[list[int]]:
    """The k x k confusion matrix as lists of ints: rows are the true class, columns the predicted one."""
    m = np.zeros((k, k), dtype=np.int64)
    np.add.at(m, (np.asarray(true, dtype=np.intp), np.asarray(pred, dtype=np.intp)), 1)
    return m.tolist()


def metrics(task: str, out: np.ndarray, y: np.ndarray) -> dict:
    """Accuracy and confusion matrix (classes) or MAE, RMSE and R² (regression, in the units of y)."""
    out = _rows(out)
    nan = float("nan")
    if task in ("binary", "multiclass"):
        k = 2 if task == "binary" else out.shape[1]
        true = (np.asarray(y) > 0).astype(np.intp) if task == "binary" else np.asarray(y, dtype=np.intp)
        ok = np.isfinite(out).all(axis=1)  # a nan score is wrong whatever the label
        pred = predict(task, out).astype(float)
        pred = (pred > 0).astype(np.intp) if task == "binary" else pred.astype(np.intp)
        hits = ok & (pred == true)
        acc = float(np.mean(hits)) if len(true) else nan
        # a row with a nan score counts as predicting the other class (binary) or class 0 wrongly: show it off-diagonal
        shown = np.where(ok, pred, (true + 1) % k)
        return {"accuracy": acc, "confusion": confusion(true, shown, k)}
    Y = _rows(y)
    if len(Y) == 0:
        return {"mae": nan, "rmse": nan, "r2": nan}
    err = out - Y
    ss_tot = ((Y - Y.mean(axis=0)) ** 2).sum(axis=0)
    with np.errstate(all="ignore"):
        r2 = 1.0 - (err**2).sum(axis=0) / ss_tot
    return {
        "mae": float(np.mean(np.abs(err))),
        "rmse": float(np.sqrt(np.mean(err**2))),
        "r2": float(np.mean(r2)),  # averaged over the targets, as sklearn's r2_score
    }


def task_loss(task: str, name: str, out: np.ndarray, y: np.ndarray) -> float:
    """Mean per-example loss of a task's outputs (n, k) against labels, with training's formulas (nan if empty)."""
    table = TASK_LOSSES.get(task, {})
    if name not in table:
        raise ValueError(f"unknown loss {name!r} for task {task!r}")
    if len(y) == 0:
        return float("nan")
    out = _rows(out)
    with np.errstate(all="ignore"):
        per_row = table[name](out, np.asarray(y) if task == "multiclass" else np.asarray(y, dtype=float))
    return mean(per_row)


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
    return mean(per_example_loss(name, s, y)), int(np.count_nonzero(right)) / len(right)  # = np.mean(right)


def losses_and_accuracies(name: str, S: np.ndarray, y: np.ndarray) -> tuple[list[float], list[float]]:
    """loss_and_accuracy for each row of scores S (B, n) against the labels y, bit for bit (nan, nan if n is 0)."""
    B, n = S.shape
    if n == 0:
        return [float("nan")] * B, [float("nan")] * B
    with np.errstate(all="ignore"):
        per_row = LOSSES[name](S, y)
    # a sequential sum along each row times 1/n, as mean(); the counts over n as Python ints, as loss_and_accuracy
    loss = (np.cumsum(per_row, axis=1)[:, -1] * (1.0 / n)).tolist()
    right = np.count_nonzero(np.isfinite(S) & ((S > 0) == (y > 0)), axis=1).tolist()
    return loss, [r / n for r in right]


def grid(
    x_range: tuple[float, float], y_range: tuple[float, float], n: int = 100
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(xs, ys, points): an n x n grid over the rectangle, points as an (n*n, 2) array, row-major in y."""
    xs = np.linspace(*x_range, n)
    ys = np.linspace(*y_range, n)
    gx, gy = np.meshgrid(xs, ys)
    return xs, ys, np.column_stack([gx.ravel(), gy.ravel()])
