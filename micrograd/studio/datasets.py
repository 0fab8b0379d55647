"""Datasets for the three tasks: seeded toy sets, real tables (sklearn), user CSV files and drawn points.

Labels: binary ±1 (float64), multiclass a class index 0..K-1 (int64), regression real targets (float64, shape (n,)
or (n, m)), standardised with the training rows' mean and std (``Dataset.target_scaling``).

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

from micrograd.studio import generators as gen
from micrograd.studio.csvread import MAX_CLASSES as MAX_CLASSES
from micrograd.studio.csvread import MAX_CSV_BYTES as MAX_CSV_BYTES
from micrograd.studio.csvread import MAX_CSV_COLUMNS as MAX_CSV_COLUMNS
from micrograd.studio.csvread import MAX_CSV_FEATURES as MAX_CSV_FEATURES
from micrograd.studio.csvread import MAX_CSV_ROWS as MAX_CSV_ROWS
from micrograd.studio.csvread import MISSING as MISSING
from micrograd.studio.csvread import DataError as DataError  # re-exported
from micrograd.studio.csvread import (
    _feature_matrix,
    _label_classes,
    _label_targets,
    _read_table,
    _source_name,
    check_labels,
    label_task,
)
from micrograd.studio.csvread import csv_task as csv_task  # re-exported
from micrograd.studio.limits import LIMITS
from micrograd.studio.scaling import _standardize, scale_targets
from micrograd.studio.scaling import standardized as standardized  # re-exported
from micrograd.studio.text import TextError, check_text

DEFAULT_TEST_FRACTION = 0.2
MAX_TEST_FRACTION, MIN_SAMPLES, MAX_SAMPLES, MAX_SEED = (
    LIMITS.test_fraction,
    LIMITS.min_samples,
    LIMITS.samples,
    LIMITS.seed,
)


TASKS = ("binary", "multiclass", "regression")


@dataclass
class Dataset:
    """A train/test split, its task and label names, plus what made it."""

    name: str
    X_train: np.ndarray
    y_train: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    feature_names: list[str]
    preprocessing: dict | None
    params: dict
    description: str
    class_names: tuple[str, ...]  # K class names (binary: the -1 class, then +1); regression: the target names
    task: str = "binary"
    target_scaling: dict | None = None  # regression: {"mean": [..], "std": [..]} per target; y = (raw - mean) / std

    @property
    def n_features(self) -> int:
        """Number of input features (columns of X)."""
        return int(self.X_train.shape[1])

    @property
    def n_outputs(self) -> int:
        """Output units a model of this data has: 1 (binary), K (multiclass), the number of targets (regression)."""
        if self.task == "multiclass":
            return len(self.class_names)
        if self.task == "regression":
            return 1 if self.y_train.ndim == 1 else int(self.y_train.shape[1])
        return 1

    def unscale(self, y: np.ndarray) -> np.ndarray:
        """Regression targets or predictions in the data's own units (the identity for the other tasks)."""
        if self.target_scaling is None:
            return np.asarray(y)
        mean, std = (np.asarray(self.target_scaling[k], dtype=np.float64) for k in ("mean", "std"))
        y = np.asarray(y, dtype=np.float64)
        return y * std[0] + mean[0] if y.ndim == 1 else y * std + mean

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
            "task": self.task,
            "n_outputs": self.n_outputs,
            "target_scaling": self.target_scaling,
        }


# (samples, noise, seed, classes) -> X, y, feature names
Maker = Callable[[int, float, int, int], tuple[np.ndarray, np.ndarray, list[str]]]


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
    class_names: tuple[str, ...] = ("-1", "+1")  # fixed names; a set of K drawn classes is named 0..K-1
    test_fraction: float = DEFAULT_TEST_FRACTION
    task: str = "binary"  # the task make draws for
    variants: dict[str, Maker] = field(default_factory=dict, repr=False, compare=False)  # other tasks' makers
    uses_classes: bool = False  # takes the number of classes K (RunConfig.classes) in its multiclass form

    @property
    def tasks(self) -> tuple[str, ...]:
        """The tasks this dataset can be drawn for, its default first."""
        return (self.task, *self.variants)

    def names_for(self, task: str, classes: int) -> tuple[str, ...]:
        """The class (or target) names of a draw for task with K = classes."""
        if task == "multiclass" and self.uses_classes:
            return tuple(str(j) for j in range(classes))
        if task == "regression":
            return ("y",)
        return self.class_names

    def outputs(self, task: str, classes: int) -> int:
        """Output units of a model for a draw of this dataset for task."""
        return len(self.names_for(task, classes)) if task == "multiclass" else 1


# fmt: off
DATASETS: dict[str, DatasetSpec] = {s.name: s for s in [
    DatasetSpec("moons", "Two interleaving half circles (sklearn make_moons).", 100, 0.1, 2, gen.moons,
                noise_max=1.0, class_names=("0", "1")),
    DatasetSpec("circles", "A small circle inside a large one (sklearn make_circles, factor 0.5).", 200, 0.1, 2,
                gen.circles, noise_max=1.0, class_names=("0", "1")),
    DatasetSpec("xor", "Four quadrants; opposite corners share a class (TensorFlow Playground).", 200, 0.0, 2, gen.xor),
    DatasetSpec("gauss", "Two Gaussian blobs at (2, 2) and (-2, -2) (TensorFlow Playground).", 200, 0.0, 2, gen.gauss),
    DatasetSpec("spiral", "Two interleaved spirals (TensorFlow Playground); multiclass: K arms (CS231n).", 200, 0.0, 2,
                gen.spiral, variants={"multiclass": gen.spiral_arms}, uses_classes=True),
    DatasetSpec("breast_cancer", "Wisconsin breast cancer: 569 biopsies, 30 features, standardised; noise is ignored.",
                gen.BREAST_CANCER_ROWS, 0.0, 30, gen.breast_cancer, noise_max=0.0, max_samples=gen.BREAST_CANCER_ROWS,
                uses_noise=False, standardize=True, class_names=("malignant", "benign")),
    # multiclass
    DatasetSpec("blobs", "K Gaussian blobs on a circle of radius 3 (std 0.5 + 2 * noise).", 300, 0.0, 2, gen.blobs,
                task="multiclass", uses_classes=True),
    DatasetSpec("yinyang", "Yin-Yang: 3 classes in a disc (Kriener et al.; Karpathy's micrograd demo).", 300, 0.0, 2,
                gen.yinyang, task="multiclass", uses_noise=False, noise_max=0.0, class_names=("yin", "yang", "dot")),
    DatasetSpec("iris", "Fisher's iris: 150 flowers, 4 measurements, 3 species, standardised.", 150, 0.0, 4, gen.iris,
                task="multiclass", uses_noise=False, noise_max=0.0, max_samples=150, standardize=True,
                class_names=gen.IRIS_NAMES),
    DatasetSpec("wine", "UCI wine: 178 wines, 13 measurements, 3 cultivars, standardised.", 178, 0.0, 13, gen.wine,
                task="multiclass", uses_noise=False, noise_max=0.0, max_samples=178, standardize=True,
                class_names=gen.WINE_NAMES),
    DatasetSpec("digits", "Handwritten digits: 1797 images of 8 x 8 pixels, 10 classes, standardised.", 1797, 0.0, 64,
                gen.digits, task="multiclass", uses_noise=False, noise_max=0.0, max_samples=1797, standardize=True,
                class_names=gen.DIGIT_NAMES),
    # regression (targets standardised for training)
    DatasetSpec("sine", "y = sin(x) on [-π, π] plus Gaussian noise (std = noise).", 200, 0.1, 1, gen.sine,
                task="regression", noise_max=1.0, class_names=("y",)),
    DatasetSpec("abs", "y = |x| on [-π, π] plus Gaussian noise (std = noise).", 200, 0.1, 1, gen.absolute,
                task="regression", noise_max=1.0, class_names=("y",)),
    DatasetSpec("step", "y = 1 for x > 0, else 0, on [-π, π], plus Gaussian noise (std = noise).", 200, 0.1, 1,
                gen.step, task="regression", noise_max=1.0, class_names=("y",)),
    DatasetSpec("plane", "y = (x1 + x2) / 10 on [-6, 6]^2 (TensorFlow Playground).", 200, 0.0, 2, gen.plane,
                task="regression", class_names=("y",)),
    DatasetSpec("multi_gaussian", "Six ±1 bumps on [-6, 6]^2 (TensorFlow Playground).", 400, 0.0, 2,
                gen.multi_gaussian, task="regression", class_names=("y",)),
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
    X: np.ndarray, y: np.ndarray, test_fraction: float, seed: int, task: str = "binary"
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(X_train, y_train, X_test, y_test): round(n * test_fraction) rows, picked by a seeded permutation, are held out."""
    X = np.asarray(X, dtype=np.float64)
    y = np.asarray(y, dtype=np.int64 if task == "multiclass" else np.float64)
    if X.ndim != 2 or y.shape[:1] != (len(X),) or y.ndim > (2 if task == "regression" else 1):
        want = "(n,) or (n, m)" if task == "regression" else "(n,)"
        raise ValueError(f"X must be (n, d) and y {want}; got {X.shape} and {y.shape}")
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
    if task != "regression" and len(np.unique(y_train)) < 2:
        raise DataError(f"the training set has only one class ({len(y_train)} rows, all {y_train[0]:+g}); {hint}")
    return X_train, y_train, X_test, y_test


def _assemble(
    name: str,
    X: np.ndarray,
    y: np.ndarray,
    test_fraction: float,
    seed: int,
    standardize: bool,
    task: str = "binary",
    **kw: Any,
) -> Dataset:
    X_train, y_train, X_test, y_test = split(X, y, test_fraction, seed, task)
    prep = scaling = None
    if standardize:
        X_train, X_test, prep = _standardize(X_train, X_test, kw.get("feature_names"))
    if task == "regression":
        y_train, y_test, scaling = scale_targets(y_train, y_test)
    return Dataset(name, X_train, y_train, X_test, y_test, preprocessing=prep, task=task, target_scaling=scaling, **kw)


def _check_task(task: object, allowed: tuple[str, ...], what: str) -> str:
    if task not in allowed:
        raise DataError(f"task must be one of {', '.join(allowed)} for {what}; got {task!r}")
    return str(task)


def make_dataset(
    name: str,
    samples: int | None = None,
    noise: float | None = None,
    test_fraction: float | None = None,
    seed: int = 0,
    classes: int | None = None,
    task: str | None = None,
) -> Dataset:
    """Draw a registered dataset for task (default: its own); None means the dataset's default for that argument.

    classes is K for the datasets that draw K classes (spiral and blobs, multiclass); others ignore it.
    """
    if not isinstance(name, str) or name not in DATASETS:
        raise DataError(f"unknown dataset {name!r}; choose one of: {', '.join(DATASETS)}")
    spec = DATASETS[name]
    task = _check_task(spec.task if task is None else task, spec.tasks, f"dataset {name}")
    k = 0
    if task == "multiclass" and spec.uses_classes:
        k = _whole("classes", 3 if classes is None else classes, 3, MAX_CLASSES, "pick 3 to 10 classes")
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
    X, y, names = (spec.make if task == spec.task else spec.variants[task])(samples, noise, seed, k)
    params: dict[str, Any] = {"samples": samples, "noise": noise, "test_fraction": test_fraction, "seed": seed}
    if k:
        params["classes"] = k
    meta = {"feature_names": list(names), "params": params, "description": spec.description}
    class_names = spec.names_for(task, k)
    return _assemble(name, X, y, test_fraction, seed, spec.standardize, task, class_names=class_names, **meta)


def from_arrays(
    X: Any,
    y: Any,
    task: str,
    class_names: Any,
    feature_names: Any,
    name: str = "drawn",
    test_fraction: float = 0.0,
    seed: int = 0,
    standardize: bool = False,
    description: str = "",
) -> Dataset:
    """A dataset from arrays: y is ±1 or 0/1 (binary), a class index 0..K-1 with K = len(class_names)
    (multiclass), or raw real targets (regression: one column per name in class_names, standardised here)."""
    task = _check_task(task, TASKS, "a dataset")
    test_fraction = _check_test_fraction(test_fraction)
    seed = _whole("seed", seed, 0, MAX_SEED, "pick any non-negative integer")
    X = np.asarray(X, dtype=np.float64)
    names, classes = [str(f) for f in feature_names], tuple(str(c) for c in class_names)
    if X.ndim != 2 or X.shape[1] != len(names) or not 1 <= len(names) <= LIMITS.width:
        raise DataError(f"X must have one column per feature name ({len(names)}), got shape {X.shape}")
    if not MIN_SAMPLES <= len(X) <= MAX_SAMPLES:
        raise DataError(f"{len(X)} rows; a dataset needs {MIN_SAMPLES} to {MAX_SAMPLES:,}: add or remove points")
    if not np.isfinite(X).all():
        raise DataError("X holds a nan or infinite value; every feature must be a finite number")
    y = check_labels(np.asarray(y), task, classes)
    if len(y) != len(X):
        raise DataError(f"{len(X)} rows of X but {len(y)} labels")
    params = {"rows": len(X), "test_fraction": test_fraction, "seed": seed}
    meta = {"feature_names": names, "params": params, "description": description or f"{name}: {len(X)} points"}
    return _assemble(name, X, y, test_fraction, seed, standardize, task, class_names=classes, **meta)


# ---------------------------------------------------------------- CSV


def read_csv_columns(file: object) -> list[str]:
    """The CSV's column names, after checking the file is a readable CSV with a proper header and enough rows
    (whatever columns are picked later: an upload refused here leaves nothing behind)."""
    header, cells = _read_table(file)
    _check_rows(len(cells))
    return header


def _check_rows(n: int) -> None:
    if n > MAX_CSV_ROWS:
        raise DataError(f"the file has {n:,} data rows; at most {MAX_CSV_ROWS:,} are allowed, use a sample of it")
    if n < MIN_SAMPLES:
        raise DataError(f"the file has {n} data row(s); at least {MIN_SAMPLES} are needed, add more rows")


def read_feature_matrix(file: object, feature_names: list[str]) -> tuple[Any, np.ndarray]:
    """(frame, X) for prediction: the file's cells as text, and the named columns as raw floats, in that order."""
    header, cells = _read_table(file, min_columns=1)
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
    task: str | None = None,
) -> Dataset:
    """A dataset from a CSV (path, bytes or file-like); the label defaults to the last column.

    task None detects it from the label column: numbers with more than 10 distinct values are a regression target,
    otherwise the values are classes (2: binary, more: multiclass). Give task to override.
    """
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
    _check_rows(n)
    X = _feature_matrix(cells, features, label)
    raw = cells[label].to_numpy(dtype=object)
    task = _check_task(label_task(raw) if task is None else task, TASKS, "a CSV file")
    y: np.ndarray
    class_names: tuple[str, ...]
    if task == "regression":
        y, class_names = _label_targets(raw, label), (str(label),)
    else:
        y, class_names = _label_classes(raw, label, task)
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
    if task == "binary":
        what = f"{class_names[0]} -> -1, {class_names[1]} -> +1"
    else:
        what = "regression target" if task == "regression" else f"{len(class_names)} classes"
    description = f"{source}: {n} rows, {len(features)} features; {label!r} {what}"
    return _assemble(
        "csv",
        X,
        y,
        test_fraction,
        seed,
        standardize,
        task,
        class_names=class_names,
        feature_names=features,
        params=params,
        description=description,
    )
