"""Two-class datasets with ±1 labels: seeded toy sets, breast cancer, and user CSV files.

Every generator is deterministic: the same arguments give the same arrays, bit for bit.
sklearn is imported inside the functions that need it because importing it costs seconds.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from numbers import Integral, Real
from typing import Any, cast

import numpy as np

from micrograd.studio.csvread import MAX_CSV_BYTES as MAX_CSV_BYTES
from micrograd.studio.csvread import MAX_CSV_COLUMNS as MAX_CSV_COLUMNS
from micrograd.studio.csvread import MAX_CSV_FEATURES as MAX_CSV_FEATURES
from micrograd.studio.csvread import MAX_CSV_ROWS as MAX_CSV_ROWS
from micrograd.studio.csvread import MISSING as MISSING
from micrograd.studio.csvread import DataError as DataError  # re-exported
from micrograd.studio.csvread import _feature_matrix, _label_classes, _read_table, _source_name
from micrograd.studio.limits import LIMITS
from micrograd.studio.text import TextError, check_text

DEFAULT_TEST_FRACTION = 0.2
MAX_TEST_FRACTION, MIN_SAMPLES, MAX_SAMPLES, MAX_SEED = (
    LIMITS.test_fraction,
    LIMITS.min_samples,
    LIMITS.samples,
    LIMITS.seed,
)


@dataclass
class Dataset:
    """A train/test split with ±1 labels, plus what made it."""

    name: str
    X_train: np.ndarray
    y_train: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    feature_names: list[str]
    preprocessing: dict | None
    params: dict
    description: str
    class_names: tuple[str, str]

    @property
    def n_features(self) -> int:
        """Number of input features (columns of X)."""
        return int(self.X_train.shape[1])

    def summary(self) -> dict:
        """A JSON-able description of the dataset (no arrays)."""
        return {
            "name": self.name,
            "description": self.description,
            "params": dict(self.params),
            "n_train": len(self.y_train),
            "n_test": len(self.y_test),
            "n_features": self.n_features,
            "feature_names": list(self.feature_names),
            "class_names": list(self.class_names),
            "standardized": self.preprocessing is not None,
        }


Maker = Callable[[int, float, int], tuple[np.ndarray, np.ndarray, list[str]]]  # (samples, noise, seed) -> X, y, names
XY = ["x1", "x2"]


@dataclass(frozen=True)
class DatasetSpec:
    """A registered dataset: its defaults and limits, and the function that draws it."""

    name: str
    description: str
    samples: int
    noise: float
    n_features: int
    make: Maker = field(repr=False, compare=False)
    noise_max: float = 0.5
    max_samples: int = MAX_SAMPLES
    uses_noise: bool = True
    standardize: bool = False
    class_names: tuple[str, str] = ("-1", "+1")
    test_fraction: float = DEFAULT_TEST_FRACTION


# ---------------------------------------------------------------- generators


def _moons(samples: int, noise: float, seed: int) -> tuple[np.ndarray, np.ndarray, list[str]]:
    from sklearn.datasets import make_moons

    # random_state=seed draws exactly what np.random.seed(seed) + make_moons() drew in the original demo
    X, y = make_moons(n_samples=samples, noise=noise, random_state=seed)
    return X.astype(np.float64), y * 2.0 - 1.0, XY


def _circles(samples: int, noise: float, seed: int) -> tuple[np.ndarray, np.ndarray, list[str]]:
    from sklearn.datasets import make_circles

    X, y = make_circles(n_samples=samples, noise=noise, factor=0.5, random_state=seed)
    return X.astype(np.float64), y * 2.0 - 1.0, XY


def _xor(samples: int, noise: float, seed: int) -> tuple[np.ndarray, np.ndarray, list[str]]:
    rng = np.random.default_rng(seed)
    x, y, nx, ny = rng.uniform(-5.0, 5.0, size=(4, samples))
    x += np.where(x > 0, 0.3, -0.3)  # keep points off the axes, where the label is ambiguous
    y += np.where(y > 0, 0.3, -0.3)
    # noise flips labels near the axes; the points themselves stay put
    label = np.where((x + nx * noise) * (y + ny * noise) >= 0, 1.0, -1.0)
    return np.column_stack([x, y]), label, XY


def _shuffled(X: np.ndarray, y: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, list[str]]:
    # The playground shuffles too; without it the rows come sorted by class.
    order = rng.permutation(len(y))
    return X[order], y[order], XY


def _gauss(samples: int, noise: float, seed: int) -> tuple[np.ndarray, np.ndarray, list[str]]:
    rng = np.random.default_rng(seed)
    std = math.sqrt(0.5 + (4.0 - 0.5) * noise / 0.5)  # variance linear in noise: [0, 0.5] -> [0.5, 4]
    n_pos = samples - samples // 2
    centers = np.repeat([[2.0, 2.0], [-2.0, -2.0]], [n_pos, samples // 2], axis=0)
    y = np.repeat([1.0, -1.0], [n_pos, samples // 2])
    return _shuffled(centers + rng.normal(0.0, std, size=centers.shape), y, rng)


def _spiral(samples: int, noise: float, seed: int) -> tuple[np.ndarray, np.ndarray, list[str]]:
    rng = np.random.default_rng(seed)
    parts = []
    for n, delta, label in ((samples - samples // 2, 0.0, 1.0), (samples // 2, math.pi, -1.0)):
        i = np.arange(n)
        r = 5.0 * i / n
        t = 1.75 * i / n * 2.0 * math.pi + delta
        jitter = rng.uniform(-1.0, 1.0, size=(n, 2)) * noise
        xy = np.column_stack([r * np.sin(t), r * np.cos(t)]) + jitter
        parts.append((xy, np.full(n, label)))
    return _shuffled(np.vstack([p[0] for p in parts]), np.concatenate([p[1] for p in parts]), rng)


BREAST_CANCER_ROWS = 569


def _breast_cancer(samples: int, noise: float, seed: int) -> tuple[np.ndarray, np.ndarray, list[str]]:
    from sklearn.datasets import load_breast_cancer

    data = load_breast_cancer()
    X, y = data.data.astype(np.float64), np.where(data.target == 1, 1.0, -1.0)  # benign -> +1
    if samples < len(y):
        # a generator of its own, so the subsample and the later split are not drawn from the same stream
        keep = np.sort(np.random.default_rng((seed, 1)).choice(len(y), size=samples, replace=False))
        X, y = X[keep], y[keep]
    return X, y, [str(n) for n in data.feature_names]


# fmt: off
DATASETS: dict[str, DatasetSpec] = {s.name: s for s in [
    DatasetSpec("moons", "Two interleaving half circles (sklearn make_moons).", 100, 0.1, 2, _moons,
                noise_max=1.0, class_names=("0", "1")),
    DatasetSpec("circles", "A small circle inside a large one (sklearn make_circles, factor 0.5).", 200, 0.1, 2,
                _circles, noise_max=1.0, class_names=("0", "1")),
    DatasetSpec("xor", "Four quadrants; opposite corners share a class (TensorFlow Playground).", 200, 0.0, 2, _xor),
    DatasetSpec("gauss", "Two Gaussian blobs at (2, 2) and (-2, -2) (TensorFlow Playground).", 200, 0.0, 2, _gauss),
    DatasetSpec("spiral", "Two interleaved spirals (TensorFlow Playground).", 200, 0.0, 2, _spiral),
    DatasetSpec("breast_cancer", "Wisconsin breast cancer: 569 biopsies, 30 features, standardised; noise is ignored.",
                BREAST_CANCER_ROWS, 0.0, 30, _breast_cancer, noise_max=0.0, max_samples=BREAST_CANCER_ROWS,
                uses_noise=False, standardize=True, class_names=("malignant", "benign")),
]}
# fmt: on


# ---------------------------------------------------------------- validation, split, standardise


def _number(arg: str, x: object, low: float, high: float, hint: str) -> float:
    # cast: x is a Real here, which compares exactly with floats, but typeshed's Real lacks the reflected __ge__
    if isinstance(x, bool) or not isinstance(x, Real) or not math.isfinite(x) or not low <= cast(float, x) <= high:
        raise DataError(f"{arg} must be a finite number in [{low:g}, {high:g}], got {x!r}; {hint}")
    return float(x)


def _whole(arg: str, x: object, low: int, high: int, hint: str) -> int:
    # cast: x is an Integral here, which compares exactly with ints, but typeshed's Integral lacks __ge__
    if isinstance(x, bool) or not isinstance(x, Integral) or not low <= cast(int, x) <= high:
        raise DataError(f"{arg} must be a whole number in [{low}, {high}], got {x!r}; {hint}")
    return int(x)


def _check_test_fraction(test_fraction: object) -> float:
    return _number("test_fraction", test_fraction, 0.0, MAX_TEST_FRACTION, "e.g. 0.2 holds out a fifth for testing")


def split(
    X: np.ndarray, y: np.ndarray, test_fraction: float, seed: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(X_train, y_train, X_test, y_test): round(n * test_fraction) rows, picked by a seeded permutation, are held out."""
    X, y = np.asarray(X, dtype=np.float64), np.asarray(y, dtype=np.float64)
    if X.ndim != 2 or y.shape != (len(X),):
        raise ValueError(f"X must be (n, d) and y (n,); got {X.shape} and {y.shape}")
    test_fraction = _check_test_fraction(test_fraction)
    seed = _whole("seed", seed, 0, MAX_SEED, "pick any non-negative integer")
    n_test = int(round(len(y) * test_fraction))
    if n_test == 0:  # no permutation, so a test fraction of 0 keeps the rows in their original order
        X_train, y_train, X_test, y_test = X, y, X[:0], y[:0]
    else:
        order = np.random.default_rng(seed).permutation(len(y))
        X_train, y_train, X_test, y_test = X[order[n_test:]], y[order[n_test:]], X[order[:n_test]], y[order[:n_test]]
    hint = "use more samples or a smaller test fraction"
    if len(y_train) < 2:
        raise DataError(f"test_fraction {test_fraction:g} of {len(y)} rows leaves {len(y_train)} training rows; {hint}")
    if len(np.unique(y_train)) < 2:
        raise DataError(f"the training set has only one class ({len(y_train)} rows, all {y_train[0]:+g}); {hint}")
    return X_train, y_train, X_test, y_test


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


def _assemble(
    name: str, X: np.ndarray, y: np.ndarray, test_fraction: float, seed: int, standardize: bool, **kw: Any
) -> Dataset:
    X_train, y_train, X_test, y_test = split(X, y, test_fraction, seed)
    prep = None
    if standardize:
        X_train, X_test, prep = _standardize(X_train, X_test, kw.get("feature_names"))
    return Dataset(name, X_train, y_train, X_test, y_test, preprocessing=prep, **kw)


def make_dataset(
    name: str, samples: int | None = None, noise: float | None = None, test_fraction: float | None = None, seed: int = 0
) -> Dataset:
    """Draw a registered dataset; None means the dataset's default for that argument."""
    if not isinstance(name, str) or name not in DATASETS:
        raise DataError(f"unknown dataset {name!r}; choose one of: {', '.join(DATASETS)}")
    spec = DATASETS[name]
    samples = spec.samples if samples is None else samples
    most = f"{name} has {spec.max_samples} rows" if spec.max_samples < MAX_SAMPLES else "that is the generator limit"
    samples = _whole("samples", samples, MIN_SAMPLES, spec.max_samples, f"{most}; pick a number in range")
    if spec.uses_noise:
        noise = spec.noise if noise is None else noise
        noise = _number("noise", noise, 0.0, spec.noise_max, f"{spec.noise_max:g} is the most {name} allows")
    else:
        noise = 0.0  # recorded as 0 so params say what was really used
    test_fraction = _check_test_fraction(spec.test_fraction if test_fraction is None else test_fraction)
    seed = _whole("seed", seed, 0, MAX_SEED, "pick any non-negative integer")
    X, y, names = spec.make(samples, noise, seed)
    params = {"samples": samples, "noise": noise, "test_fraction": test_fraction, "seed": seed}
    meta = {"feature_names": list(names), "params": params, "description": spec.description}
    return _assemble(name, X, y, test_fraction, seed, spec.standardize, class_names=spec.class_names, **meta)


# ---------------------------------------------------------------- CSV


def read_csv_columns(file: object) -> list[str]:
    """The CSV's column names, after checking the file is a readable CSV with a proper header."""
    return _read_table(file)[0]


def read_feature_matrix(file: object, feature_names: list[str]) -> tuple[Any, np.ndarray]:
    """(frame, X) for prediction: the file's cells as text, and the named columns as raw floats, in that order."""
    header, cells = _read_table(file)
    absent = [f for f in feature_names if f not in header]
    if absent:
        raise DataError(
            f"the model needs column(s) {', '.join(map(repr, absent))}, which the file lacks; "
            f"its columns are: {', '.join(header)}"
        )
    if not 1 <= len(cells) <= MAX_CSV_ROWS:
        raise DataError(f"the file has {len(cells):,} data rows; it needs 1 to {MAX_CSV_ROWS:,}")
    return cells, _feature_matrix(cells, list(feature_names))


def load_csv(
    file: object,
    label_column: str | None = None,
    feature_columns: list[str] | None = None,
    test_fraction: float = 0.0,
    seed: int = 0,
    standardize: bool = True,
) -> Dataset:
    """A two-class dataset from a CSV (path, bytes or file-like); the label defaults to the last column."""
    test_fraction = _check_test_fraction(test_fraction)
    seed = _whole("seed", seed, 0, MAX_SEED, "pick any non-negative integer")
    header, cells = _read_table(file)
    label = header[-1] if label_column is None else label_column
    if label not in header:
        raise DataError(f"label column {label!r} is not in the file; the columns are: {', '.join(header)}")
    if feature_columns is None:
        features = [h for h in header if h != label]
    elif isinstance(feature_columns, str) or not all(isinstance(f, str) for f in feature_columns):
        raise DataError(f"feature_columns must be a list of column names, got {feature_columns!r}")
    else:
        features = list(feature_columns)
    missing_cols = [f for f in features if f not in header]
    if missing_cols:
        raise DataError(
            f"feature column(s) {', '.join(map(repr, missing_cols))} not in the file; "
            f"the columns are: {', '.join(header)}"
        )
    if not features or label in features or len(set(features)) != len(features):
        raise DataError(f"feature_columns must be distinct columns other than the label {label!r}, got {features!r}")
    if len(features) > MAX_CSV_FEATURES:
        raise DataError(f"{len(features)} feature columns; at most {MAX_CSV_FEATURES} are allowed, pick fewer")
    n = len(cells)
    if n > MAX_CSV_ROWS:
        raise DataError(f"the file has {n:,} data rows; at most {MAX_CSV_ROWS:,} are allowed, use a sample of it")
    if n < MIN_SAMPLES:
        raise DataError(f"the file has {n} data row(s); at least {MIN_SAMPLES} are needed, add more rows")
    X = _feature_matrix(cells, features, label)
    y, class_names = _label_classes(cells[label].to_numpy(dtype=object), label)
    try:
        source = check_text(_source_name(file), "the file name")
    except TextError as e:  # e.g. a Linux file name that is not UTF-8
        raise DataError(f"{e}: rename the file") from None
    params = {
        "source": source,
        "rows": n,
        "label_column": label,
        "feature_columns": features,
        "test_fraction": test_fraction,
        "seed": seed,
    }
    description = (
        f"{source}: {n} rows, {len(features)} features; {label!r} {class_names[0]} -> -1, {class_names[1]} -> +1"
    )
    meta = {"feature_names": features, "params": params, "description": description}
    return _assemble("csv", X, y, test_fraction, seed, standardize, class_names=class_names, **meta)
