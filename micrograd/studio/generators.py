"""The multi-class and regression datasets' generators: seeded, deterministic, NumPy (sklearn for the real sets).

Each takes (samples, noise, seed, classes) and returns (X, y, feature names): y is a class index 0..K-1 (int64) or
a real target (float64), before the split and any standardisation (micrograd.studio.datasets does those).
"""

from __future__ import annotations

import math

import numpy as np

XY = ["x1", "x2"]
Drawn = tuple[np.ndarray, np.ndarray, list[str]]


def _per_class(samples: int, k: int) -> list[int]:
    """samples split over k classes as evenly as possible (the first ones get one more)."""
    return [samples // k + (j < samples % k) for j in range(k)]


def _shuffled(X: np.ndarray, y: np.ndarray, rng: np.random.Generator, names: list[str] = XY) -> Drawn:
    order = rng.permutation(len(y))
    return X[order], y[order], names


# ---------------------------------------------------------------- two classes (labels ±1)


def moons(samples: int, noise: float, seed: int, classes: int = 2) -> Drawn:
    """Two interleaving half circles (sklearn make_moons), labels ±1."""
    from sklearn.datasets import make_moons

    # random_state=seed draws exactly what np.random.seed(seed) + make_moons() drew in the original demo
    X, y = make_moons(n_samples=samples, noise=noise, random_state=seed)
    return X.astype(np.float64), y * 2.0 - 1.0, XY


def circles(samples: int, noise: float, seed: int, classes: int = 2) -> Drawn:
    """A small circle inside a large one (sklearn make_circles, factor 0.5), labels ±1."""
    from sklearn.datasets import make_circles

    X, y = make_circles(n_samples=samples, noise=noise, factor=0.5, random_state=seed)
    return X.astype(np.float64), y * 2.0 - 1.0, XY


def xor(samples: int, noise: float, seed: int, classes: int = 2) -> Drawn:
    """TF Playground's XOR: four quadrants, opposite corners share a class."""
    rng = np.random.default_rng(seed)
    x, y, nx, ny = rng.uniform(-5.0, 5.0, size=(4, samples))
    x += np.where(x > 0, 0.3, -0.3)  # keep points off the axes, where the label is ambiguous
    y += np.where(y > 0, 0.3, -0.3)
    # noise flips labels near the axes; the points themselves stay put
    label = np.where((x + nx * noise) * (y + ny * noise) >= 0, 1.0, -1.0)
    return np.column_stack([x, y]), label, XY


def gauss(samples: int, noise: float, seed: int, classes: int = 2) -> Drawn:
    """TF Playground's two Gaussian blobs at (2, 2) (+1) and (-2, -2) (-1)."""
    rng = np.random.default_rng(seed)
    std = math.sqrt(0.5 + (4.0 - 0.5) * noise / 0.5)  # variance linear in noise: [0, 0.5] -> [0.5, 4]
    n_pos = samples - samples // 2
    centers = np.repeat([[2.0, 2.0], [-2.0, -2.0]], [n_pos, samples // 2], axis=0)
    y = np.repeat([1.0, -1.0], [n_pos, samples // 2])
    return _shuffled(centers + rng.normal(0.0, std, size=centers.shape), y, rng)


def spiral(samples: int, noise: float, seed: int, classes: int = 2) -> Drawn:
    """TF Playground's two interleaved spirals, labels ±1."""
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


def breast_cancer(samples: int, noise: float, seed: int, classes: int = 2) -> Drawn:
    """Wisconsin breast cancer (sklearn), benign +1, malignant -1."""
    from sklearn.datasets import load_breast_cancer

    data = load_breast_cancer()
    X, y = data.data.astype(np.float64), np.where(data.target == 1, 1.0, -1.0)  # benign -> +1
    if samples < len(y):
        # a generator of its own, so the subsample and the later split are not drawn from the same stream
        keep = np.sort(np.random.default_rng((seed, 1)).choice(len(y), size=samples, replace=False))
        X, y = X[keep], y[keep]
    return X, y, [str(n) for n in data.feature_names]


# ---------------------------------------------------------------- K classes (labels 0..K-1)


def spiral_arms(samples: int, noise: float, seed: int, classes: int) -> Drawn:
    """CS231n's spiral: K arms of radius 0..1, each turning 4 radians, the angle jittered by noise (radians)."""
    rng = np.random.default_rng(seed)
    xs, ys = [], []
    for j, n in enumerate(_per_class(samples, classes)):
        r = np.linspace(0.0, 1.0, n)
        # 2π/K apart, so K arms share the plane evenly (CS231n's 4 radians per arm fits K = 3 only)
        start = j * 2.0 * math.pi / classes
        t = np.linspace(start, start + 4.0, n) + rng.normal(0.0, 1.0, n) * noise
        xs.append(np.column_stack([r * np.sin(t), r * np.cos(t)]))
        ys.append(np.full(n, j, dtype=np.int64))
    return _shuffled(np.vstack(xs), np.concatenate(ys), rng)


def blobs(samples: int, noise: float, seed: int, classes: int) -> Drawn:
    """K Gaussian blobs whose centres sit evenly on a circle of radius 3; their std is 0.5 + 2 * noise."""
    rng = np.random.default_rng(seed)
    angles = 2.0 * math.pi * np.arange(classes) / classes + math.pi / 2
    centres = 3.0 * np.column_stack([np.cos(angles), np.sin(angles)])
    counts = _per_class(samples, classes)
    y = np.repeat(np.arange(classes, dtype=np.int64), counts)
    X = centres[y] + rng.normal(0.0, 0.5 + 2.0 * noise, size=(samples, 2))
    return _shuffled(X, y, rng)


def _yinyang_class(x: np.ndarray, y: np.ndarray, r_small: float = 0.1, r_big: float = 0.5) -> np.ndarray:
    """0 yin, 1 yang, 2 the dots: the geometry of Kriener et al.'s Yin-Yang set (Karpathy's micrograd demo)."""
    d_right = np.hypot(x - 1.5 * r_big, y - r_big)
    d_left = np.hypot(x - 0.5 * r_big, y - r_big)
    yin = (
        (d_right <= r_small) | ((d_left > r_small) & (d_left <= 0.5 * r_big)) | ((y > r_big) & (d_right > 0.5 * r_big))
    )
    dots = (d_right < r_small) | (d_left < r_small)
    return np.where(dots, 2, np.where(yin, 0, 1)).astype(np.int64)


def yinyang(samples: int, noise: float, seed: int, classes: int = 3) -> Drawn:
    """The 3-class Yin-Yang set in [-2, 2]^2: points in a disc, as many of each class (the dots are small)."""
    rng = np.random.default_rng(seed)
    want = _per_class(samples, 3)
    got: list[list[np.ndarray]] = [[], [], []]
    have = [0, 0, 0]
    while any(h < w for h, w in zip(have, want)):  # rejection sampling, in batches
        p = rng.uniform(0.0, 1.0, size=(4096, 2))
        p = p[np.hypot(p[:, 0] - 0.5, p[:, 1] - 0.5) <= 0.5]
        c = _yinyang_class(p[:, 0], p[:, 1])
        for j in range(3):
            take = p[c == j][: want[j] - have[j]]
            got[j].append(take)
            have[j] += len(take)
    X = np.vstack([np.vstack(g) for g in got])
    y = np.repeat(np.arange(3, dtype=np.int64), want)
    return _shuffled((X / 0.5 - 1.0) * 2.0, y, rng)


def _subsample(X: np.ndarray, y: np.ndarray, samples: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    if samples < len(y):  # a generator of its own, so the subsample and the split are not drawn from one stream
        keep = np.sort(np.random.default_rng((seed, 1)).choice(len(y), size=samples, replace=False))
        X, y = X[keep], y[keep]
    return X, y


def _sklearn_set(loader_name: str, samples: int, seed: int) -> Drawn:
    from sklearn import datasets as skd

    data = getattr(skd, loader_name)()
    X, y = _subsample(data.data.astype(np.float64), data.target.astype(np.int64), samples, seed)
    names = getattr(data, "feature_names", None)
    if names is None or len(names) != X.shape[1]:
        names = [f"x{i + 1}" for i in range(X.shape[1])]
    return X, y, [str(n) for n in names]


def iris(samples: int, noise: float, seed: int, classes: int = 3) -> Drawn:
    """Fisher's iris: 150 flowers, 4 measurements, 3 species."""
    return _sklearn_set("load_iris", samples, seed)


def wine(samples: int, noise: float, seed: int, classes: int = 3) -> Drawn:
    """UCI wine: 178 wines, 13 chemical measurements, 3 cultivars."""
    return _sklearn_set("load_wine", samples, seed)


def digits(samples: int, noise: float, seed: int, classes: int = 10) -> Drawn:
    """UCI handwritten digits: 1797 images of 8 x 8 pixels (0-16), 10 classes; pixel r,c is feature 8r + c."""
    X, y, _ = _sklearn_set("load_digits", samples, seed)
    return X, y, [f"pixel_{r}_{c}" for r in range(8) for c in range(8)]


IRIS_NAMES = ("setosa", "versicolor", "virginica")
WINE_NAMES = ("class_0", "class_1", "class_2")
DIGIT_NAMES = tuple(str(d) for d in range(10))


# ---------------------------------------------------------------- regression


def _curve(f, samples: int, noise: float, seed: int) -> Drawn:
    rng = np.random.default_rng(seed)
    x = rng.uniform(-math.pi, math.pi, samples)
    y = f(x) + rng.normal(0.0, 1.0, samples) * noise
    return x[:, None], y.astype(np.float64), ["x"]


def sine(samples: int, noise: float, seed: int, classes: int = 0) -> Drawn:
    """y = sin(x) on [-π, π] plus Gaussian noise of std noise."""
    return _curve(np.sin, samples, noise, seed)


def absolute(samples: int, noise: float, seed: int, classes: int = 0) -> Drawn:
    """y = |x| on [-π, π] plus Gaussian noise of std noise."""
    return _curve(np.abs, samples, noise, seed)


def step(samples: int, noise: float, seed: int, classes: int = 0) -> Drawn:
    """y = 1 for x > 0, else 0, on [-π, π], plus Gaussian noise of std noise."""
    return _curve(lambda x: (x > 0).astype(np.float64), samples, noise, seed)


def _playground_points(samples: int, noise: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """TF Playground's points in [-6, 6]^2 and the jittered points (noise * U(-6, 6)) its labels are taken at."""
    rng = np.random.default_rng(seed)
    p = rng.uniform(-6.0, 6.0, size=(samples, 2))
    return p, p + rng.uniform(-6.0, 6.0, size=(samples, 2)) * noise


def plane(samples: int, noise: float, seed: int, classes: int = 0) -> Drawn:
    """TF Playground's regressPlane: y = (x1 + x2) / 10 at the jittered point."""
    p, q = _playground_points(samples, noise, seed)
    return p, (q[:, 0] + q[:, 1]) / 10.0, list(XY)


GAUSSIANS = (
    (-4.0, 2.5, 1.0),
    (0.0, 2.5, -1.0),
    (4.0, 2.5, 1.0),
    (-4.0, -2.5, -1.0),
    (0.0, -2.5, 1.0),
    (4.0, -2.5, -1.0),
)


def multi_gaussian(samples: int, noise: float, seed: int, classes: int = 0) -> Drawn:
    """TF Playground's regressGaussian: six bumps of ±1 falling linearly to 0 at distance 2; the strongest wins."""
    p, q = _playground_points(samples, noise, seed)
    label = np.zeros(samples)
    for cx, cy, sign in GAUSSIANS:
        v = sign * np.clip(1.0 - np.hypot(q[:, 0] - cx, q[:, 1] - cy) / 2.0, 0.0, 1.0)
        label = np.where(np.abs(v) > np.abs(label), v, label)
    return p, label, list(XY)
