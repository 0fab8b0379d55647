"""The two pieces of a training step that are not the Trainer's bookkeeping: the scalar engine's gradient on Values,
and SGD's update on the compiled engine's vectors."""

from __future__ import annotations

from typing import cast

import numpy as np

from micrograd import losses
from micrograd.engine import Value
from micrograd.nn import MLP
from micrograd.optim import SGD


def sgd_update(opt: SGD, theta: np.ndarray, grads: np.ndarray) -> np.ndarray:
    """SGD.step on vectors: the new parameter vector, with opt's momentum buffer updated. Bit for bit SGD.step:
    the same IEEE operations in the same order per parameter (NumPy fuses no multiply-add)."""
    lr, mu, wd = opt.lr, opt.momentum, opt.weight_decay
    g = grads + wd * theta if wd else grads
    if mu:
        g = mu * np.array(opt.velocity, dtype=float) + g
        opt.velocity = g.tolist()
    return theta - lr * g


def scalar_loss_and_grads(
    model: MLP, params: list[Value], task: str, loss: str, l2: float, X: np.ndarray, y: np.ndarray
) -> float:
    """The scalar engine: add d(objective)/dp on this batch to every parameter's grad (zero them first); return the
    objective (the data loss + l2·Σp² over params, model.parameters())."""
    if task == "binary":
        # cast: a binary model has one output unit, so MLP.__call__ gives a Value, not a list
        scores = [cast(Value, model(row)) for row in X.tolist()]
        total = losses.batch_loss(loss, scores, y.tolist())
    else:
        outs = [_outputs(model, row) for row in X.tolist()]
        total = losses.task_batch_loss(task, loss, outs, y.tolist())
    if l2:
        total = total + l2 * losses.l2(params)
    total.backward()
    return total.data


def _outputs(model: MLP, row: list[float]) -> list[Value]:
    """The model's output Values for one row, always as a list."""
    out = model(row)
    return [out] if isinstance(out, Value) else out
