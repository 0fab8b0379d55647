"""Dataset registry, TF Playground formulas and seeded splits (the CSV loader: tests/test_datasets_csv.py)."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from micrograd.studio.datasets import (
    DATASETS,
    DEFAULT_TEST_FRACTION,
    MAX_SAMPLES,
    DataError,
    Dataset,
    make_dataset,
    split,
)

NAMES = [n for n, s in DATASETS.items() if s.task == "binary"]  # the others: tests/test_datasets_tasks.py
TOY = ["moons", "circles", "xor", "gauss", "spiral"]


def all_rows(d: Dataset) -> tuple[np.ndarray, np.ndarray]:
    return np.vstack([d.X_train, d.X_test]), np.concatenate([d.y_train, d.y_test])


def same(a: Dataset, b: Dataset) -> bool:
    return all(np.array_equal(x, y) for x, y in zip(all_rows(a), all_rows(b), strict=True))


# ---------------------------------------------------------------- registry and generated sets


def test_registry_order_and_defaults() -> None:
    assert NAMES == ["moons", "circles", "xor", "gauss", "spiral", "breast_cancer"]
    assert (DATASETS["moons"].samples, DATASETS["moons"].noise) == (100, 0.1)
    assert (DATASETS["circles"].samples, DATASETS["circles"].noise) == (200, 0.1)
    assert DATASETS["breast_cancer"].n_features == 30
    assert all(DATASETS[n].n_features == 2 for n in TOY)
    assert all(DATASETS[n].description and "\n" not in DATASETS[n].description for n in NAMES)


@pytest.mark.parametrize("name", NAMES)
def test_defaults_shapes_labels(name: str) -> None:
    spec = DATASETS[name]
    d = make_dataset(name)
    n_test = round(spec.samples * DEFAULT_TEST_FRACTION)
    assert d.X_train.shape == (spec.samples - n_test, spec.n_features)
    assert d.X_test.shape == (n_test, spec.n_features)
    assert d.y_train.shape == (spec.samples - n_test,) and d.y_test.shape == (n_test,)
    assert d.X_train.dtype == d.y_train.dtype == np.float64
    assert set(np.unique(d.y_train)) == {-1.0, 1.0}
    assert set(np.unique(d.y_test)) <= {-1.0, 1.0}
    assert d.params == {"samples": spec.samples, "noise": spec.noise, "test_fraction": 0.2, "seed": 0}
    assert d.n_features == spec.n_features == len(d.feature_names)
    assert d.name == name and len(d.class_names) == 2
    assert np.isfinite(d.X_train).all() and np.isfinite(d.X_test).all()
    s = json.loads(json.dumps(d.summary()))
    assert (s["name"], s["n_train"], s["n_test"], s["n_features"]) == (name, len(d.y_train), n_test, spec.n_features)
    assert s["feature_names"] == d.feature_names and s["class_names"] == list(d.class_names)
    assert s["params"] == d.params


@pytest.mark.parametrize("name", NAMES)
def test_deterministic_per_seed(name: str) -> None:
    samples = 60
    a, b = make_dataset(name, samples, seed=7), make_dataset(name, samples, seed=7)
    assert same(a, b)
    assert not same(a, make_dataset(name, samples, seed=8))


@pytest.mark.parametrize("name", TOY)
def test_toy_sets_are_raw_two_d(name: str) -> None:
    d = make_dataset(name, noise=0.2)
    assert d.feature_names == ["x1", "x2"] and d.preprocessing is None


@pytest.mark.parametrize("name", TOY)
def test_noise_changes_the_data(name: str) -> None:
    assert not same(make_dataset(name, 50, noise=0.0), make_dataset(name, 50, noise=0.3))


def test_moons_matches_the_original_demo_exactly() -> None:
    from sklearn.datasets import make_moons

    saved = np.random.get_state()
    try:
        np.random.seed(1337)
        X, y = make_moons(n_samples=100, noise=0.1)
    finally:
        np.random.set_state(saved)
    y = y * 2 - 1
    d = make_dataset("moons", samples=100, noise=0.1, test_fraction=0, seed=1337)
    assert np.array_equal(d.X_train, X) and np.array_equal(d.y_train, y)
    assert d.X_test.shape == (0, 2) and d.y_test.shape == (0,)
    assert d.class_names == ("0", "1")


def test_moons_split_is_a_seeded_permutation_of_the_full_set() -> None:
    full = make_dataset("moons", test_fraction=0, seed=5)
    d = make_dataset("moons", test_fraction=0.3, seed=5)
    order = np.random.default_rng(5).permutation(100)
    assert np.array_equal(d.X_test, full.X_train[order[:30]])
    assert np.array_equal(d.X_train, full.X_train[order[30:]])
    assert np.array_equal(d.y_train, full.y_train[order[30:]])


def test_circles_radii_by_class() -> None:
    d = make_dataset("circles", 200, noise=0.0, test_fraction=0)
    r = np.hypot(*d.X_train.T)
    assert np.allclose(r[d.y_train > 0], 0.5) and np.allclose(r[d.y_train < 0], 1.0)


def test_xor_labels_are_quadrant_signs_without_noise() -> None:
    d = make_dataset("xor", 500, noise=0.0, test_fraction=0, seed=3)
    x, y = d.X_train.T
    assert np.array_equal(d.y_train, np.sign(x * y))
    assert (np.abs(d.X_train) >= 0.3).all() and (np.abs(d.X_train) <= 5.3).all()


def test_xor_noise_flips_some_labels_but_does_not_move_points() -> None:
    clean = make_dataset("xor", 500, noise=0.0, test_fraction=0, seed=3)
    noisy = make_dataset("xor", 500, noise=0.5, test_fraction=0, seed=3)
    assert np.array_equal(clean.X_train, noisy.X_train)
    flipped = np.mean(clean.y_train != noisy.y_train)
    assert 0.02 < flipped < 0.4


def test_gauss_means_balance_and_spread() -> None:
    for noise, var in ((0.0, 0.5), (0.5, 4.0)):
        d = make_dataset("gauss", 4000, noise=noise, test_fraction=0, seed=1)
        pos, neg = d.X_train[d.y_train > 0], d.X_train[d.y_train < 0]
        assert len(pos) == len(neg) == 2000
        assert np.allclose(pos.mean(axis=0), [2, 2], atol=0.15) and np.allclose(neg.mean(axis=0), [-2, -2], atol=0.15)
        assert np.allclose(pos.std(axis=0), math.sqrt(var), rtol=0.08)
    assert len(make_dataset("gauss", 7, test_fraction=0).y_train) == 7


def test_spiral_geometry() -> None:
    d = make_dataset("spiral", 200, noise=0.0, test_fraction=0, seed=2)
    pos, neg = d.X_train[d.y_train > 0], d.X_train[d.y_train < 0]
    # Δ = π mirrors the +1 arm through the origin
    key = lambda a: np.round(a[np.lexsort(a.T)], 9)  # noqa: E731
    assert np.array_equal(key(-pos), key(neg))
    radii = np.sort(np.hypot(*pos.T))
    assert np.allclose(radii, 5 * np.arange(100) / 100)
    for noise in (0.1, 0.5):
        r = np.hypot(*make_dataset("spiral", 300, noise=noise, test_fraction=0).X_train.T)
        assert r.min() >= 0 and r.max() <= 5 + math.sqrt(2) * noise
    assert not np.array_equal(d.y_train[:100], np.ones(100))  # shuffled, not sorted by class


def test_breast_cancer_standardised_with_train_statistics() -> None:
    from sklearn.datasets import load_breast_cancer

    raw = load_breast_cancer()
    d = make_dataset("breast_cancer", test_fraction=0.25, seed=4)
    assert d.n_features == 30 and d.feature_names == list(raw.feature_names)
    assert np.allclose(d.X_train.mean(axis=0), 0, atol=1e-9) and np.allclose(d.X_train.std(axis=0), 1)
    assert not np.allclose(d.X_test.mean(axis=0), 0, atol=1e-9)  # test rows use the train statistics
    mean, std = np.array(d.preprocessing["mean"]), np.array(d.preprocessing["std"])
    order = np.random.default_rng(4).permutation(569)
    assert np.allclose(d.X_test * std + mean, raw.data[order[:142]])
    assert d.class_names == ("malignant", "benign")
    assert np.array_equal(d.y_test, np.where(raw.target[order[:142]] == 1, 1.0, -1.0))


def test_breast_cancer_counts_subsample_and_ignored_noise() -> None:
    d = make_dataset("breast_cancer", test_fraction=0)
    assert (np.sum(d.y_train > 0), np.sum(d.y_train < 0)) == (357, 212)  # benign, malignant
    small = make_dataset("breast_cancer", samples=50, seed=9)
    assert len(small.y_train) + len(small.y_test) == 50
    assert same(small, make_dataset("breast_cancer", samples=50, seed=9))
    assert not same(small, make_dataset("breast_cancer", samples=50, seed=10))
    assert same(make_dataset("breast_cancer", noise=0.3), make_dataset("breast_cancer"))
    assert make_dataset("breast_cancer", noise=0.3).params["noise"] == 0.0


@settings(max_examples=30, deadline=None)
@given(samples=st.integers(20, 300), tf=st.floats(0.0, 0.5), seed=st.integers(0, 2**32 - 1))
def test_split_sizes_property(samples: int, tf: float, seed: int) -> None:
    d = make_dataset("xor", samples, noise=0.0, test_fraction=tf, seed=seed)
    assert len(d.y_test) == round(samples * tf) and len(d.y_train) + len(d.y_test) == samples
    assert set(np.unique(np.concatenate([d.y_train, d.y_test]))) <= {-1.0, 1.0}


@pytest.mark.parametrize(
    "kwargs, words",
    [
        ({"name": "rings"}, ["unknown dataset", "moons, circles, xor, gauss, spiral, breast_cancer"]),
        ({"name": 3}, ["unknown dataset"]),
        ({"name": "moons", "samples": 3}, ["samples", "[4, 10000]"]),
        ({"name": "moons", "samples": MAX_SAMPLES + 1}, ["samples", "[4, 10000]", "limit"]),
        ({"name": "moons", "samples": 50.0}, ["samples", "whole number"]),
        ({"name": "moons", "samples": True}, ["samples"]),
        ({"name": "breast_cancer", "samples": 570}, ["samples", "[4, 569]", "569 rows"]),
        ({"name": "xor", "noise": 0.51}, ["noise", "[0, 0.5]"]),
        ({"name": "spiral", "noise": -0.1}, ["noise", "[0, 0.5]"]),
        ({"name": "gauss", "noise": math.inf}, ["noise", "finite"]),
        ({"name": "moons", "noise": 1.5}, ["noise", "[0, 1]"]),
        ({"name": "circles", "noise": math.nan}, ["noise", "[0, 1]"]),
        ({"name": "moons", "noise": "0.1"}, ["noise"]),
        ({"name": "moons", "test_fraction": 0.95}, ["test_fraction", "[0, 0.9]"]),
        ({"name": "moons", "test_fraction": -0.1}, ["test_fraction", "[0, 0.9]"]),
        ({"name": "moons", "seed": -1}, ["seed"]),
        ({"name": "moons", "seed": 1.5}, ["seed"]),
        ({"name": "moons", "samples": 4, "test_fraction": 0.9}, ["0 training rows", "more samples"]),
        ({"name": "gauss", "samples": 4, "test_fraction": 0.5, "seed": 0}, ["smaller test fraction"]),
    ],
)
def test_make_dataset_validation(kwargs: dict, words: list[str]) -> None:
    with pytest.raises(DataError) as err:
        make_dataset(**kwargs)
    for w in words:
        assert w in str(err.value)


def test_single_class_training_set_is_rejected() -> None:
    X, y = np.arange(12.0).reshape(6, 2), np.array([1.0, 1, 1, -1, -1, -1])
    with pytest.raises(DataError, match="only one class.*more samples or a smaller test fraction"):
        split(X, np.ones(6), 0.0, 0)
    X_train, y_train, X_test, y_test = split(X, y, 0.5, 11)
    assert len(y_train) == len(y_test) == 3
    rows = sorted(map(tuple, np.vstack([X_train, X_test])))
    assert rows == sorted(map(tuple, X))  # a partition: every row exactly once
    assert np.array_equal(split(X, y, 0.0, 3)[0], X)  # no test set keeps the order


def test_gauss_tiny_split_can_leave_one_class() -> None:
    # find a seed whose 2 training points share a class, and check it is reported (not silently accepted)
    for seed in range(50):
        try:
            d = make_dataset("gauss", 4, test_fraction=0.5, seed=seed)
        except DataError as e:
            assert "only one class" in str(e)
            break
        assert set(d.y_train) == {-1.0, 1.0}
    else:
        pytest.fail("no seed in 0..49 put a single class in the training set")
