"""Compact per-task pictures for the live views: K-class regions, regression values (no Streamlit, no plotly).

The browser only paints what these functions return (ui/components/paint.js reads the same byte layouts):

- K classes: one uint8 per grid cell, ``class | level << 4``: the winning class (0..9) in the low nibble and the
  confidence level (0..15) in the high one; ``NAN_CELL`` (255) when the model's outputs are not finite.
- Regression: one int8 per cell of 127·(2·(v − lo)/(hi − lo) − 1), the value on the view's value range, painted
  with the binary palette (orange low, blue high); -128 = NaN.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from micrograd.views import palette

# class 0 orange and class 1 blue, as the binary view (TensorFlow Playground); then distinct hues
CLASS_COLOURS = (
    palette.NEGATIVE,
    palette.POSITIVE,
    "#2ca02c",
    "#d62728",
    "#9467bd",
    "#8c564b",
    "#e377c2",
    "#17becf",
    "#bcbd22",
    "#393b79",
)
LEVELS = 16  # confidence levels per cell (4 bits): smooth once the canvas scales the grid up
NAN_CELL = 255
NAN_POINT = 255


def task_of(dataset) -> str:
    """The dataset's task ("binary" for data made before tasks existed)."""
    return getattr(dataset, "task", "binary")


def n_outputs(dataset) -> int:
    """Output units the dataset's model has."""
    n = getattr(dataset, "n_outputs", None)
    return int(n) if n is not None else 1


def softmax(out: np.ndarray) -> np.ndarray:
    """Row-wise softmax of scores (n, K), computed stably; a row with a NaN stays NaN."""
    z = np.asarray(out, dtype=float)
    with np.errstate(all="ignore"):
        e = np.exp(z - np.max(z, axis=1, keepdims=True))
        return e / e.sum(axis=1, keepdims=True)


def winners(out: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(class, probability of that class, finite row?) per row of K scores."""
    out = np.asarray(out, dtype=float)
    ok = np.isfinite(out).all(axis=1)
    p = softmax(np.where(ok[:, None], out, 0.0))
    cls = np.argmax(p, axis=1)
    return cls, p[np.arange(len(p)), cls], ok


def quantise_classes(out: np.ndarray) -> np.ndarray:
    """uint8 per row of K scores: the winning class in the low nibble, confidence (1/K..1 → 0..15) in the high."""
    out = np.asarray(out, dtype=float)
    k = out.shape[1]
    cls, pmax, ok = winners(out)
    level = np.clip(np.rint((pmax - 1.0 / k) / (1.0 - 1.0 / k) * (LEVELS - 1)), 0, LEVELS - 1).astype(np.uint8)
    q = (cls.astype(np.uint8) | (level << 4)).astype(np.uint8)
    return np.where(ok, q, NAN_CELL).astype(np.uint8)


def point_classes(out: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(predicted class, confidence 0..255) per point as uint8; NAN_POINT for a point whose outputs are not finite."""
    cls, pmax, ok = winners(out)
    pred = np.where(ok, cls, NAN_POINT).astype(np.uint8)
    conf = np.where(ok, np.rint(np.clip(pmax, 0, 1) * 255), 0).astype(np.uint8)
    return pred, conf


def unscale(out: np.ndarray, scaling: dict | None, target: int = 0) -> np.ndarray:
    """The model's standardised output for one target in the data's own units (target_scaling's mean and std)."""
    v = np.asarray(out, dtype=float).reshape(len(out), -1)[:, target]
    if not scaling:
        return v
    with np.errstate(all="ignore"):
        return v * float(scaling["std"][target]) + float(scaling["mean"][target])


def targets(y: np.ndarray, scaling: dict | None, target: int = 0) -> np.ndarray:
    """Regression targets (standardised, (n,) or (n, m)) in the data's own units, one target."""
    y = np.asarray(y, dtype=float)
    return unscale(y.reshape(len(y), -1), scaling, target)


def quantise_value(v: np.ndarray, lo: float, hi: float) -> np.ndarray:
    """int8 of a value on [lo, hi] (-127 at lo, 127 at hi, clipped); NaN is -128."""
    v = np.asarray(v, dtype=float)
    with np.errstate(all="ignore"):
        q = np.rint(127.0 * np.clip(2.0 * (v - lo) / ((hi - lo) or 1.0) - 1.0, -1.0, 1.0))
    return np.where(np.isfinite(v), q, -128).astype(np.int8)


def class_palette(k: int) -> list[str]:
    """K class colours (K ≤ 10)."""
    if not 1 <= k <= len(CLASS_COLOURS):
        raise ValueError(f"the views colour 1 to {len(CLASS_COLOURS)} classes, got {k}")
    return list(CLASS_COLOURS[:k])


def misclassified(pred: np.ndarray, labels: Sequence[int]) -> np.ndarray:
    """Which points' predicted class differs from their label (a point without a prediction counts as wrong)."""
    return np.asarray(pred) != np.asarray(labels)


def quantise_tanh(z: np.ndarray) -> np.ndarray:
    """int8 of 127·tanh(z): the sign is kept exactly (tiny non-zero scores become ±1), NaN becomes -128."""
    z = np.asarray(z, dtype=float)
    with np.errstate(all="ignore"):
        q = np.rint(127.0 * np.tanh(z))
    q = np.where(q == 0, np.sign(z), q)  # ±1 for a tiny non-zero score, 0 for 0
    np.copyto(q, -128.0, where=np.isnan(z))
    return q.astype(np.int8)


def quantise_unit(a: np.ndarray) -> np.ndarray:
    """int8 of 127·a/max|a| per column (each neuron scaled by its own largest |a|), NaN becomes -128."""
    a = np.asarray(a, dtype=float)
    finite = np.isfinite(a)
    scale = np.where(finite, np.abs(a), 0.0).max(axis=0)
    scale = np.where(scale > 0, scale, 1.0)
    with np.errstate(all="ignore"):
        q = np.rint(127.0 * np.clip(a / scale, -1.0, 1.0))
        q = np.where(q == 0, np.sign(a), q)  # ±1 for a tiny non-zero value, 0 for 0 (NaN stays NaN, then -128)
    return np.where(finite, q, -128).astype(np.int8)
