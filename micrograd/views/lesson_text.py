"""The lesson's text pieces: numbers as shown (and read back), node symbols, and the real update of a step.

Split from ``views.lesson`` (which builds the steps): ``num``/``factor``/``parse_number`` are how every lesson line
writes a number; ``next_update`` computes the trainer's next update as the trainer does, without changing it.
"""

from __future__ import annotations

import copy
import math
import re
from dataclasses import dataclass

import numpy as np

MINUS = "−"  # U+2212, as in print; ``parse_number`` reads it back


def num(v: float) -> str:
    """A number with 4 significant digits, a true minus sign; what every lesson line shows."""
    if v == 0:
        return "0"
    if not math.isfinite(v):
        return "nan" if v != v else ("inf" if v > 0 else MINUS + "inf")
    s = f"{v:.4g}"
    return s.replace("-", MINUS)


def factor(v: float) -> str:
    """``num`` in parentheses when negative, for a number inside a product or a sum."""
    s = num(v)
    return f"({s})" if s.startswith(MINUS) else s


def parse_number(text: str) -> float:
    """The inverse of ``num`` (and ``factor``): reads back a shown number."""
    return float(text.strip().strip("()").replace(MINUS, "-"))


def short_name(name: str, i: int) -> str:
    """A short symbol for a node: w1[2,0] for layers.1.weight.2.0, b1[2], z1[2], a1[2]; v17 for unnamed node 17."""
    if not name:
        return f"v{i}"
    if name == "loss":
        return "L"
    if name == "lse":  # the cross-entropy's log-sum-exp over the scores
        return "lse"
    m = re.fullmatch(r"layers\.(\d+)\.weight\.(\d+)\.(\d+)", name)
    if m:
        return f"w{m[1]}[{m[2]},{m[3]}]"
    m = re.fullmatch(r"layers\.(\d+)\.bias\.(\d+)", name)
    if m:
        return f"b{m[1]}[{m[2]}]"
    m = re.fullmatch(r"layers\.(\d+)\.(\d+)\.([za])", name)
    if m:
        return f"{m[3]}{m[1]}[{m[2]}]"
    return name


def layer_of(name: str) -> int | None:
    """The layer index in a node's name (layers.L....), None for inputs, the label and the loss."""
    m = re.match(r"layers\.(\d+)\.", name)
    return int(m[1]) if m else None


@dataclass(frozen=True)
class Update:
    """The trainer's next update of every parameter, by name: what the step will really do (read-only)."""

    names: tuple[str, ...]  # model.named_parameters() order
    before: tuple[float, ...]
    mean_grad: tuple[float, ...]  # ḡ: d (mean data loss over the batch) / d p
    velocity: tuple[float, ...]  # the momentum buffer before the step
    after: tuple[float, ...]
    lr: float
    momentum: float
    l2: float
    batch: int  # examples ḡ is the mean over
    exact: bool  # True when the batch is the whole training set; False: the next step's random minibatch


def next_batch(trainer) -> np.ndarray:
    """The training rows the trainer's next step will use, read without changing it.

    Replicates ``Trainer._batch``: the whole set without minibatches; else the next slice of the epoch's order, or
    (when the epoch is used up) the first slice of a new permutation drawn from a copy of the trainer's generator."""
    n, b = len(trainer.dataset.y_train), trainer.config.batch_size
    if b == 0 or b >= n:
        return np.arange(n)
    order, cursor = trainer._order, trainer._cursor
    if cursor + b > len(order):  # a new epoch: the permutation the trainer's generator will draw next
        order, cursor = copy.deepcopy(trainer._rng).permutation(n), 0
    return order[cursor : cursor + b]


def next_update(trainer) -> Update:
    """The update the trainer's next step makes, on the batch it will use, computed as it computes it, read-only."""
    from micrograd.fast.compiled import CompiledLoss  # NumPy tracing: only when a lesson asks

    c, model = trainer.config, trainer.model
    named = list(model.named_parameters())
    idx = next_batch(trainer)
    X, y = trainer.dataset.X_train[idx], trainer.dataset.y_train[idx]
    _, gbar = CompiledLoss(model, c.loss, task=getattr(trainer, "task", "binary"))(X, y)
    w = np.array([p.data for _, p in named])
    g = gbar + 2.0 * c.l2 * w if c.l2 else gbar  # as the trainer adds the L2 term
    mu = trainer.optimizer.momentum
    vel = np.array(trainer.optimizer.velocity, dtype=float)
    v = mu * vel + g if mu else g
    lr = trainer.lr_at(trainer.step_count)
    after = w - lr * v
    tup = lambda a: tuple(float(t) for t in a)  # noqa: E731
    whole = len(idx) == len(trainer.dataset.y_train)
    return Update(tuple(n for n, _ in named), tup(w), tup(gbar), tup(vel), tup(after), lr, mu, c.l2, len(idx), whole)


def update_line(u: Update, k: int, symbol: str) -> str:
    """The update of parameter k: w ← w − lr·(ḡ + 2λ·w), with momentum v ← μ·v + …, with the numbers."""
    w, gb, lr = u.before[k], u.mean_grad[k], u.lr
    sym, nums = "ḡ", factor(gb)
    if u.l2:
        sym += f" + 2λ·{symbol}"
        nums += f" + 2·{num(u.l2)}·{factor(w)}"
    if u.momentum:
        v = u.momentum * u.velocity[k] + gb + (2.0 * u.l2 * w if u.l2 else 0.0)
        return (
            f"{symbol} ← {symbol} − lr·v with v ← μ·v + {sym} = {num(u.momentum)}·{factor(u.velocity[k])} + {nums} "
            f"= {num(v)}; {symbol} = {num(w)} − {num(lr)}·{factor(v)} = {num(u.after[k])}"
        )
    if not u.l2:
        return f"{symbol} ← {symbol} − lr·ḡ = {num(w)} − {num(lr)}·{nums} = {num(u.after[k])}"
    return f"{symbol} ← {symbol} − lr·({sym}) = {num(w)} − {num(lr)}·({nums}) = {num(u.after[k])}"
