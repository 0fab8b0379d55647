"""Standardising feature columns exactly, without overflow near the float limit (NumPy only)."""

from __future__ import annotations

from typing import Any

import numpy as np

from micrograd.studio.csvread import DataError


def _pow2(x: np.ndarray) -> np.ndarray:
    """A power of two per entry near |x| (at least 1): dividing by it is exact, so it changes no digit."""
    return np.ldexp(1.0, np.frexp(np.maximum(np.abs(x), 1.0))[1] - 1)


def standardized(X: np.ndarray, mean: Any, std: Any) -> np.ndarray:
    """(X - mean) / std per column, bit for bit, but without overflow when X and mean are near the float limit."""
    mean, std = np.asarray(mean, dtype=np.float64), np.asarray(std, dtype=np.float64)
    s = _pow2(mean)  # (X/s - mean/s) / (std/s) rounds exactly as (X - mean) / std wherever that one is finite
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):  # the callers check what comes out
        return (X / s - mean / s) / (std / s)


def _standardize(
    X_train: np.ndarray, X_test: np.ndarray, names: list[str] | None = None
) -> tuple[np.ndarray, np.ndarray, dict]:
    # Mean and std of the columns scaled by a power of two into [-2, 2]: the usual numbers, since the scaling is
    # exact, yet a sum of values near 1e308 cannot overflow to inf (which would zero the whole column).
    scale = _pow2(np.abs(X_train).max(axis=0))
    A = X_train / scale
    mean = A.mean(axis=0) * scale
    std = A.std(axis=0) * scale
    # a constant column can have a tiny nonzero std from rounding; dividing by it would blow up noise
    std[np.ptp(A, axis=0) == 0] = 1.0
    Z_train, Z_test = standardized(X_train, mean, std), standardized(X_test, mean, std)
    for Z, rows in ((Z_train, "training"), (Z_test, "test")):
        bad = ~np.isfinite(Z).all(axis=0)
        if bad.any():  # only values ~1e300 apart in one column get here
            j = int(np.argmax(bad))
            col = repr(names[j]) if names else str(j + 1)
            raise DataError(
                f"column {col} cannot be standardised: its {rows} values lie too far apart for 64-bit floats "
                f"(mean {mean[j]:.3g}, std {std[j]:.3g}); rescale the column or leave it out"
            )
    prep = {"mean": [float(m) for m in mean], "std": [float(s) for s in std]}
    return Z_train, Z_test, prep


def scale_targets(y_train: np.ndarray, y_test: np.ndarray) -> tuple[np.ndarray, np.ndarray, dict]:
    """Regression targets standardised with the training rows' mean and std (a constant target keeps std 1)."""
    Y = y_train.reshape(len(y_train), -1)
    mean, std = Y.mean(axis=0), Y.std(axis=0)
    std[~(std > 1e-12 * np.maximum(np.abs(mean), 1.0))] = 1.0
    scale = {"mean": [float(m) for m in mean], "std": [float(s) for s in std]}
    one = y_train.ndim == 1
    m, s = (mean[0], std[0]) if one else (mean, std)
    return (y_train - m) / s, (y_test - m) / s, scale
