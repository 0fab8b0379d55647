"""What a training step records besides its loss: the data loss and accuracy (or R²) on the train and test sets,
one step at a time (Trainer.step) or for a batch of steps at once (Trainer.batch), with the same numbers."""

from __future__ import annotations

import numpy as np

from micrograd.fast import numeric


def metric_keys(task: str) -> tuple[str, ...]:
    """The keys of a step's metrics: losses, then accuracy (classes) or R² (regression) per set."""
    score = "r2" if task == "regression" else "accuracy"
    return ("train_loss", f"train_{score}", "test_loss", f"test_{score}")


def loss_and_score(task: str, loss: str, out: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """(mean loss, accuracy or R²) of a multiclass or regression set's outputs (nan, nan when it is empty)."""
    if len(y) == 0:
        return float("nan"), float("nan")
    m = numeric.metrics(task, out, y)
    return numeric.task_loss(task, loss, out, y), m["r2" if task == "regression" else "accuracy"]


def evaluate(task: str, loss: str, dataset, layers: list, train_out: np.ndarray | None = None) -> dict:
    """The metrics at ``layers`` (numeric.DenseLayer); train_out: numeric.outputs(layers, X_train), if known."""
    d = dataset
    with np.errstate(all="ignore"):  # a diverging run overflows here; the step reports it in words instead
        if train_out is None:
            train_out = numeric.outputs(layers, d.X_train)
        if task == "binary":
            tr = numeric.loss_and_accuracy(loss, train_out[:, 0], d.y_train)
            te = numeric.loss_and_accuracy(loss, numeric.scores(layers, d.X_test), d.y_test)
        else:
            tr = loss_and_score(task, loss, train_out, d.y_train)
            te = loss_and_score(task, loss, numeric.outputs(layers, d.X_test), d.y_test)
    return dict(zip(metric_keys(task), (*tr, *te)))


def evaluate_stack(task: str, loss: str, dataset, train_out: np.ndarray, test_out: np.ndarray) -> list[tuple]:
    """evaluate()'s numbers for many steps, from their outputs (B, n, k) on the train and test sets (forward_stack)."""
    d = dataset
    with np.errstate(all="ignore"):
        if task == "binary":
            columns = (
                *numeric.losses_and_accuracies(loss, train_out[:, :, 0], d.y_train),
                *numeric.losses_and_accuracies(loss, test_out[:, :, 0], d.y_test),
            )
            return list(zip(*columns))
        return [
            (*loss_and_score(task, loss, a, d.y_train), *loss_and_score(task, loss, b, d.y_test))
            for a, b in zip(train_out, test_out)
        ]
