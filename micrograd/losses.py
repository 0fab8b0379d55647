"""Losses over a batch of scores and ±1 labels, built from per-example losses (what the compiled engine traces)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import cast

from micrograd.engine import Value

Score = Value | float  # a label is a float, or a Value leaf when the graph views and the compiler trace it


def mse_one(score: Value, y: Score) -> Value:
    """Squared error (score - y)**2."""
    return (score - y) ** 2


def svm_one(score: Value, y: Score) -> Value:
    """Max-margin hinge: relu(1 - y * score)."""
    return (1 - y * score).relu()


def bce_one(score: Value, y: Score) -> Value:
    """Logistic loss on a ±1 label: log(1 + e**(-y * score)), never overflowing."""
    return (-y * score).softplus()


PER_EXAMPLE: dict[str, Callable[[Value, Score], Value]] = {"mse": mse_one, "svm": svm_one, "bce": bce_one}
LOSS_TITLES = {"mse": "MSE", "svm": "SVM max-margin", "bce": "logistic (BCE)"}


def per_example(name: str) -> Callable[[Value, Score], Value]:
    """The per-example loss called name, or a ValueError listing the allowed names."""
    if name not in PER_EXAMPLE:
        raise ValueError(f"loss must be one of {', '.join(PER_EXAMPLE)}; got {name!r}")
    return PER_EXAMPLE[name]


def mean(values: Sequence[Value]) -> Value:
    """Arithmetic mean of Values."""
    if not values:
        raise ValueError("cannot take the mean of an empty batch")
    # values is not empty, so sum gives a Value (0 + values[0] + ...), never its int start
    return cast(Value, sum(values)) * (1.0 / len(values))


def batch_loss(name: str, scores: Sequence[Value], labels: Sequence[float]) -> Value:
    """Mean of the named per-example loss over a batch."""
    if len(scores) != len(labels):
        raise ValueError(f"{len(scores)} scores but {len(labels)} labels")
    f = per_example(name)
    return mean([f(s, float(y)) for s, y in zip(scores, labels)])


def mse(scores: Sequence[Value], labels: Sequence[float]) -> Value:
    """Mean squared error."""
    return batch_loss("mse", scores, labels)


def svm(scores: Sequence[Value], labels: Sequence[float]) -> Value:
    """Mean max-margin (hinge) loss."""
    return batch_loss("svm", scores, labels)


def bce(scores: Sequence[Value], labels: Sequence[float]) -> Value:
    """Mean logistic loss on ±1 labels."""
    return batch_loss("bce", scores, labels)


def l2(params: Iterable[Value]) -> Value:
    """Sum of squared parameters (multiply by the penalty's strength)."""
    return sum((p * p for p in params), Value(0.0))


def accuracy(scores: Sequence[Score], labels: Sequence[float]) -> float:
    """Fraction of examples whose score has the label's sign (score > 0 means class +1)."""
    if not scores:
        return float("nan")
    data = [s.data if isinstance(s, Value) else s for s in scores]
    hits = sum(d == d and (d > 0) == (y > 0) for d, y in zip(data, labels))  # d == d: a nan score is wrong
    return hits / len(scores)
