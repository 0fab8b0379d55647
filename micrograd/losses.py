"""Losses over a batch, built from per-example losses (what the compiled engine traces).

Binary losses take one score and a ±1 label; the multi-class and regression losses take the list of output
Values and a label: a class index (or one-hot targets, which is what the compiled engine traces, so that one
traced graph fits every row) or the regression targets.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from numbers import Integral
from typing import Any, cast

from micrograd.engine import Value, logsumexp

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
LOSS_TITLES = {
    "mse": "MSE",
    "svm": "SVM max-margin",
    "bce": "logistic (BCE)",
    "ce": "softmax cross-entropy",
    "hinge": "multi-class hinge (Weston-Watkins)",
    "huber": "Huber (delta 1)",
}

Label = Any  # a ±1 label, a class index, one-hot targets or regression targets (floats or Value leaves)


def _picked(scores: Sequence[Value], y: Label) -> Value:
    """scores[y] for a class index; for one-hot targets t, the same number as t0*s0 + t1*s1 + ... (exactly)."""
    if isinstance(y, Integral) and not isinstance(y, bool):
        return scores[int(y)]
    if len(y) != len(scores):
        raise ValueError(f"{len(scores)} scores but {len(y)} one-hot targets")
    out = scores[0] * y[0]
    for s, t in zip(scores[1:], y[1:]):
        out = out + s * t
    return out


def ce_one(scores: Sequence[Value], y: Label) -> Value:
    """Softmax cross-entropy -log softmax(scores)[y] = logsumexp(scores) - scores[y], stable at any scale."""
    return logsumexp(scores) - _picked(scores, y)


def hinge_one(scores: Sequence[Value], y: Label) -> Value:
    """Multi-class hinge, Weston-Watkins: sum over j != y of relu(1 + s_j - s_y) (CS231n's SVM loss)."""
    sy = _picked(scores, y)
    if isinstance(y, Integral) and not isinstance(y, bool):
        terms = [(1 + s - sy).relu() for j, s in enumerate(scores) if j != int(y)]
    else:  # one-hot: the true class's term is relu(1) * 0, exactly 0
        terms = [(1 - t) * (1 + s - sy).relu() for s, t in zip(scores, y)]
    return cast(Value, sum(terms[1:], terms[0])) if terms else scores[0] * 0.0


def _targets(outputs: Sequence[Value], y: Label) -> list:
    ys = [y] if not isinstance(y, (list, tuple)) else list(y)
    if len(ys) != len(outputs):
        raise ValueError(f"{len(outputs)} outputs but {len(ys)} targets")
    return ys


def _mean_of(terms: list[Value]) -> Value:
    return terms[0] if len(terms) == 1 else mean(terms)


def mse_reg(outputs: Sequence[Value], y: Label) -> Value:
    """Squared error averaged over the targets; one target gives (s - y)**2, exactly mse_one."""
    return _mean_of([mse_one(s, t) for s, t in zip(outputs, _targets(outputs, y))])


def huber_reg(outputs: Sequence[Value], y: Label) -> Value:
    """Huber loss (delta 1) of s - y, averaged over the targets."""
    return _mean_of([(s - t).huber() for s, t in zip(outputs, _targets(outputs, y))])


TaskLoss = Callable[[Sequence[Value], Label], Value]
MULTICLASS: dict[str, TaskLoss] = {"ce": ce_one, "hinge": hinge_one}
REGRESSION: dict[str, TaskLoss] = {"mse": mse_reg, "huber": huber_reg}
ALL_LOSSES = tuple(dict.fromkeys([*PER_EXAMPLE, *MULTICLASS, *REGRESSION]))


def task_loss(task: str, name: str) -> TaskLoss:
    """The per-example loss of a task over the list of output Values: binary losses read the first output."""
    if task == "binary":
        f = per_example(name)
        return lambda outputs, y: f(outputs[0], y)
    table = {"multiclass": MULTICLASS, "regression": REGRESSION}.get(task)
    if table is None:
        raise ValueError(f"task must be one of binary, multiclass, regression; got {task!r}")
    if name not in table:
        raise ValueError(f"loss {name!r} does not fit task {task}; choose one of {', '.join(table)}")
    return table[name]


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


def task_batch_loss(task: str, name: str, outputs: Sequence[Sequence[Value]], labels: Sequence[Label]) -> Value:
    """Mean of a task's per-example loss over a batch of output lists."""
    if len(outputs) != len(labels):
        raise ValueError(f"{len(outputs)} outputs but {len(labels)} labels")
    f = task_loss(task, name)
    return mean([f(o, y) for o, y in zip(outputs, labels)])


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
