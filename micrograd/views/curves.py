"""The live view's metric points: the curves' columns from a trainer's history, downsampled when long.

A history record of step k holds the metrics measured before its update (micrograd.studio.trainer): those of the
weights after k - 1 steps. The browser puts each point at that weight step, so the numbers beside a picture are
its weights' own; ``next_point`` is the record the next step will write (the current weights' metrics), which
makes the newest picture's numbers known before that step is taken.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from micrograd.views.dot import format_number

MAX_NEW_METRICS = 200  # metric points per update at most (downsampled beyond)
MAX_CURVE_POINTS = 1000  # points of a full history sent on a (re)mount


def curve_stride(n: int) -> int:
    """Steps between curve points once the history has n points (1 up to 2,000, then doubling)."""
    return 1 if n <= 2000 else 2 ** math.ceil(math.log2(n / 2000))


def finite(v: Any) -> float | None:
    """v as a float, or None when it is None, NaN or infinite."""
    return float(v) if v is not None and math.isfinite(v) else None


def metric_text(v: Any, percent: bool = False) -> str:
    """A metric in a sentence: a dash when there is none (or it is not finite), a percentage, or a number as the
    graph labels write it (a diverged run's 1.700e+29, not 30 digits; QA)."""
    x = finite(v)
    if x is None:
        return "—"
    return f"{100 * x:.1f} %" if percent else format_number(x)


def columns(rows: Sequence[dict], task: str) -> dict:
    """History rows -> the curves' columns (None for a number that is not finite)."""
    score = "r2" if task == "regression" else "accuracy"
    cols = ("step", "train_loss", "test_loss", f"train_{score}", f"test_{score}")
    return {c: [finite(r.get(c)) for r in rows] for c in cols}


Points = tuple[dict, list]  # (columns, the learning rate of each record's step)


def points(rows: Sequence[dict], task: str) -> Points:
    """(columns, rates): a record's rate is its own step's, the next step's beside the picture its point goes with."""
    return columns(rows, task), [finite(r.get("lr")) for r in rows]


def new_points(history: Sequence[dict], start: int, task: str) -> Points | None:
    """The points of history[start:] (start 0: all of it), at most MAX_CURVE_POINTS or MAX_NEW_METRICS of them."""
    n = len(history)
    if start >= n:
        return None
    limit = MAX_CURVE_POINTS if start == 0 else MAX_NEW_METRICS
    stride = max(1, 2 ** math.ceil(math.log2((n - start) / limit))) if n - start > limit else 1
    stride = max(stride, curve_stride(n))
    # a history sent from its start keeps its first point (the loss before training), whatever the stride
    idx = [k for k in range(start, n) if history[k]["step"] % stride == 0 or k == n - 1 or k == 0]
    return points([history[k] for k in idx], task)


def next_row(trainer) -> dict | None:
    """The record the trainer's next step will write, as far as a point needs it: the current weights' metrics."""
    try:
        return {"step": trainer.step_count + 1, **trainer.evaluate(), "lr": trainer.lr_at(trainer.step_count)}
    except (ValueError, ArithmeticError):  # no numbers is better than no view
        return None


def next_point(trainer, task: str) -> Points | None:
    """next_row(trainer) as one point."""
    row = next_row(trainer)
    return None if row is None else points([row], task)
