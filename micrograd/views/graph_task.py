"""The three tasks in the graph views: which task a model and loss trace, and the example's label as graph leaves.

Binary: one score and a ±1 label leaf y. Multiclass: K scores; the label is a class index that picks one score
(no leaf), so cross-entropy reads logsumexp(scores) − scores[y]. Regression: m outputs and target leaves y or y1..ym.
"""

from __future__ import annotations

import math
from typing import Any

from micrograd.engine import Value, topological_order
from micrograd.losses import MULTICLASS, PER_EXAMPLE, REGRESSION, task_loss
from micrograd.nn import MLP

Label = float | tuple[float, ...]  # a ±1 label, a class index (multiclass) or the regression target(s)


def resolve_task(model: MLP, loss: str, task: str | None = None) -> str:
    """The task a model and loss trace: the one given, else read from the loss (ce, hinge: classes; huber, or mse
    on several outputs: regression; else binary). Raises ValueError when the loss or the outputs do not fit."""
    nout = model.sizes[-1]
    if task is None:
        if loss in MULTICLASS and loss not in PER_EXAMPLE:
            task = "multiclass"
        elif loss in REGRESSION and (loss not in PER_EXAMPLE or nout > 1):
            task = "regression"
        else:
            task = "binary"
    task_loss(task, loss)  # a loss that does not fit the task: ValueError naming the ones that do
    if task == "binary" and nout != 1:
        raise ValueError(f"a binary loss needs a model with one output unit; this one has {nout}")
    if task == "multiclass" and nout < 2:
        raise ValueError(f"a multi-class loss needs a model with 2 or more output units; this one has {nout}")
    return task


def label_leaves(task: str, y: Label, nout: int) -> tuple[object, list[Value]]:
    """(the label as the task's loss takes it, the leaves to draw): a leaf y (binary), the class index (multiclass:
    the loss picks that score, no leaf), the target leaves y or y1..ym (regression)."""
    if task == "binary":
        yv = Value(float(y), label="y")  # type: ignore[arg-type]  # a leaf rather than a float: a node in the graph
        return yv, [yv]
    if task == "multiclass":
        f = math.nan if isinstance(y, tuple) else float(y)
        k = int(f) if math.isfinite(f) and f == int(f) else -1
        if not 0 <= k < nout:
            raise ValueError(f"the class must be a whole number from 0 to {nout - 1}, got {y!r}")
        return k, []
    ys = list(y) if isinstance(y, tuple) else [y]
    if len(ys) != nout:
        raise ValueError(f"the model has {nout} outputs but the example has {len(ys)} targets")
    leaves = [Value(float(t), label="y" if nout == 1 else f"y{k + 1}") for k, t in enumerate(ys)]
    return (leaves[0] if nout == 1 else leaves), leaves


def label_of(y: Any) -> Label:
    """A label as plain data: a float, or a tuple of floats (several regression targets)."""
    several = isinstance(y, (tuple, list)) or getattr(y, "ndim", 0) > 0  # a NumPy row of targets
    return tuple(float(v) for v in y) if several else float(y)


def graph_size(model: MLP, loss: str = "svm", task: str | None = None) -> int:
    """Node count of the one-example scalar graph, counted from the architecture without building it."""
    task, nout = resolve_task(model, loss, task), model.sizes[-1]
    outs = [Value(0.0) for _ in range(nout)]
    y: Label = 0.0 if task == "multiclass" else (0.0,) * nout if task == "regression" else 1.0
    tail = task_loss(task, loss)(outs, label_leaves(task, y, nout)[0])
    loss_nodes = len(topological_order(tail)) - nout  # the loss tail without the output scores
    n = model.sizes[0]
    for layer in model.layers:
        per_neuron = 2 * layer.nin + 1 + (layer.activation != "linear")  # weights+bias, muls, adds, activation
        n += len(layer.neurons) * (per_neuron + layer.nin)
    return n + loss_nodes
