"""The multi-class and regression datasets, drawn data, CSV task detection, the task settings and the CLI."""

from __future__ import annotations

import json

import numpy as np
import pytest

from micrograd.cli.main import build_parser, config_of, main
from micrograd.studio.config import LOSSES_BY_TASK, ConfigError, RunConfig, settings
from micrograd.studio.datasets import DATASETS, DataError, from_arrays, load_csv, make_dataset
from micrograd.studio.generators import GAUSSIANS
from micrograd.studio.presets import PRESETS, preset, preset_config

MULTICLASS = [n for n, s in DATASETS.items() if "multiclass" in s.tasks]
REGRESSION = [n for n, s in DATASETS.items() if "regression" in s.tasks]


def all_y(d) -> np.ndarray:
    return np.concatenate([d.y_train, d.y_test])


def test_the_registry_has_every_dataset_of_the_issue():
    assert set(MULTICLASS) == {"spiral", "blobs", "yinyang", "iris", "wine", "digits"}
    assert set(REGRESSION) == {"sine", "abs", "step", "plane", "multi_gaussian"}
    assert DATASETS["spiral"].tasks == ("binary", "multiclass")  # binary first: today's spiral is unchanged
    assert {(n, t) for n, s in DATASETS.items() for t in s.tasks} == set(PRESETS)  # a preset for each


@pytest.mark.parametrize("name", MULTICLASS)
def test_multiclass_sets(name):
    d = make_dataset(name, task="multiclass", seed=4)
    spec = DATASETS[name]
    k = len(d.class_names)
    assert d.task == "multiclass" and d.n_outputs == k and d.y_train.dtype == np.int64
    assert set(np.unique(all_y(d))) == set(range(k))  # every class is drawn
    assert d.n_features == spec.n_features and d.target_scaling is None
    assert np.isfinite(d.X_train).all()
    again = make_dataset(name, task="multiclass", seed=4)
    assert np.array_equal(d.X_train, again.X_train) and np.array_equal(d.y_train, again.y_train)
    s = json.loads(json.dumps(d.summary()))
    assert (s["task"], s["n_outputs"]) == ("multiclass", k)


@pytest.mark.parametrize(("name", "k"), [("spiral", 3), ("spiral", 7), ("blobs", 5), ("blobs", 10)])
def test_k_arms_and_k_blobs(name, k):
    d = make_dataset(name, 300, 0.1, 0.0, seed=1, classes=k, task="multiclass")
    counts = np.bincount(d.y_train, minlength=k)
    assert len(d.class_names) == k and counts.max() - counts.min() <= 1 and d.params["classes"] == k
    if name == "spiral":  # arms of radius 0..1
        assert np.hypot(*d.X_train.T).max() <= 1.0 + 1e-12


def test_classes_out_of_range_and_a_task_the_dataset_lacks():
    with pytest.raises(DataError, match=r"classes must be a whole number in \[3, 10\], got 11"):
        make_dataset("blobs", classes=11)
    with pytest.raises(DataError, match="task must be one of binary, multiclass for dataset spiral"):
        make_dataset("spiral", task="regression")
    assert make_dataset("spiral").task == "binary" and make_dataset("iris").task == "multiclass"


def test_real_tables_are_standardised_and_named():
    iris, digits = make_dataset("iris"), make_dataset("digits")
    assert iris.class_names == ("setosa", "versicolor", "virginica") and iris.preprocessing is not None
    assert len(all_y(iris)) == 150 and len(all_y(make_dataset("wine"))) == 178
    assert digits.n_features == 64 and digits.class_names == tuple("0123456789") and len(all_y(digits)) == 1797
    assert digits.feature_names[9] == "pixel_1_1"
    assert np.abs(iris.X_train.mean(axis=0)).max() < 1e-12


def test_yinyang_geometry():
    d = make_dataset("yinyang", 300, seed=0)
    X = np.vstack([d.X_train, d.X_test])
    assert np.hypot(*X.T).max() <= 2.0 + 1e-12 and np.bincount(all_y(d)).tolist() == [100, 100, 100]


@pytest.mark.parametrize("name", REGRESSION)
def test_regression_sets(name):
    d = make_dataset(name, seed=2)
    assert d.task == "regression" and d.n_outputs == 1 and d.y_train.dtype == np.float64 and d.y_train.ndim == 1
    assert d.target_scaling is not None and np.isfinite(d.y_train).all()


def test_regression_formulas_at_zero_noise():
    sine = make_dataset("sine", 100, 0.0, 0.0, seed=0)
    np.testing.assert_allclose(sine.unscale(sine.y_train), np.sin(sine.X_train[:, 0]), atol=1e-12)
    assert np.abs(sine.X_train).max() <= np.pi
    for name, f in (("abs", np.abs), ("step", lambda x: (x > 0).astype(float))):
        d = make_dataset(name, 100, 0.0, 0.0, seed=0)
        np.testing.assert_allclose(d.unscale(d.y_train), f(d.X_train[:, 0]), atol=1e-12)
    plane = make_dataset("plane", 100, 0.0, 0.0, seed=0)
    np.testing.assert_allclose(plane.unscale(plane.y_train), plane.X_train.sum(axis=1) / 10, atol=1e-12)
    mg = make_dataset("multi_gaussian", 100, 0.0, 0.0, seed=0)
    y = mg.unscale(mg.y_train)
    assert np.abs(y).max() <= 1.0
    cx, cy, sign = GAUSSIANS[1]  # at a bump's centre the label is its sign
    near = np.hypot(mg.X_train[:, 0] - cx, mg.X_train[:, 1] - cy).argmin()
    assert np.sign(y[near]) == sign


# ---------------------------------------------------------------- drawn data and CSV


def test_from_arrays_for_each_task():
    X = np.array([[0, 0], [1, 1], [2, 2], [3, 3], [4, 4], [5, 5]], dtype=float)
    b = from_arrays(X, [0, 1, 0, 1, 0, 1], "binary", ["blue", "red"], ["x1", "x2"])
    assert b.y_train.tolist() == [-1.0, 1.0, -1.0, 1.0, -1.0, 1.0] and b.name == "drawn" and b.n_outputs == 1
    m = from_arrays(X, [0, 1, 2, 0, 1, 2], "multiclass", ["a", "b", "c"], ["x1", "x2"], test_fraction=0.0)
    assert m.y_train.dtype == np.int64 and m.n_outputs == 3 and m.X_test.shape == (0, 2)
    r = from_arrays(X, [1.0, 3.0, 5.0, 7.0, 9.0, 11.0], "regression", ["y"], ["x1", "x2"])
    assert r.target_scaling["mean"] == [6.0] and r.unscale(r.y_train).tolist() == [1.0, 3.0, 5.0, 7.0, 9.0, 11.0]
    bad = [
        ((X, [0, 1, 2, 0, 1, 2], "multiclass", ["a", "b"]), "class indices 0 to 1"),
        ((X, [0, 1, 0, 1, 0, 1], "binary", ["a", "b", "c"]), "needs 2 class names"),
        ((X, [0.5] * 6, "binary", ["a", "b"]), "must be -1/.1"),
        ((X[:3], [0, 1, 0], "binary", ["a", "b"]), "a dataset needs 4"),
        ((X, [np.nan] * 6, "regression", ["y"]), "finite numbers"),
        ((X, [0] * 6, "ranking", ["y"]), "task must be one of"),
    ]
    for args, needle in bad:
        with pytest.raises(DataError, match=needle):
            from_arrays(*args, ["x1", "x2"])


def csv_bytes(labels: list) -> bytes:
    return ("a,b,label\n" + "".join(f"{i},{i % 3},{v}\n" for i, v in enumerate(labels))).encode()


def test_csv_detects_the_task_and_takes_an_override():
    two = load_csv(csv_bytes(["x", "y"] * 4))
    assert two.task == "binary" and two.class_names == ("x", "y")
    three = load_csv(csv_bytes(["cat", "dog", "eel"] * 3))
    assert three.task == "multiclass" and three.class_names == ("cat", "dog", "eel") and three.n_outputs == 3
    ten = load_csv(csv_bytes([i % 10 for i in range(30)]))  # ten distinct numbers are classes
    assert ten.task == "multiclass" and ten.n_outputs == 10 and ten.class_names[:3] == ("0", "1", "2")
    eleven = load_csv(csv_bytes([i * 0.5 for i in range(11)]))  # more than ten are a regression target
    assert eleven.task == "regression" and eleven.class_names == ("label",) and eleven.target_scaling is not None
    forced = load_csv(csv_bytes([i % 10 for i in range(30)]), task="regression")
    assert forced.task == "regression"
    with pytest.raises(DataError, match="must hold numbers for regression, but row 2"):
        load_csv(csv_bytes(["x", "y"] * 4), task="regression")
    with pytest.raises(DataError, match="exactly 2 classes, but has 3"):
        load_csv(csv_bytes(["cat", "dog", "eel"] * 3), task="binary")
    with pytest.raises(DataError, match="2 to 10 classes, but has 12"):
        load_csv(csv_bytes([f"c{i}" for i in range(12)]))


def test_a_config_trains_a_multiclass_csv(tmp_path):
    path = tmp_path / "three.csv"
    rng = np.random.default_rng(0)
    rows = [(x, y, "abc"[int(x > 0) + int(y > 0)]) for x, y in rng.normal(size=(60, 2))]
    path.write_text("x,y,kind\n" + "".join(f"{x},{y},{k}\n" for x, y, k in rows))
    c = RunConfig(dataset="csv", csv=str(path), task="multiclass", loss="ce", steps=30, lr=0.3)
    d = c.make_dataset()
    assert d.task == "multiclass" and d.class_names == ("a", "b", "c") and d.n_outputs == 3


# ---------------------------------------------------------------- settings


def test_task_and_classes_are_settings_with_flags_and_url_keys():
    s = settings()
    assert s["task"].default == "binary" and s["task"].allowed() == ("binary", "multiclass", "regression")
    assert s["task"].cli_flag == "--task" and s["task"].url and s["classes"].cli_flag == "--classes"
    assert s["classes"].default == 3 and s["classes"].bounds() == (3, 10)
    assert LOSSES_BY_TASK == {
        "binary": ("svm", "bce", "mse"),
        "multiclass": ("ce", "hinge"),
        "regression": ("mse", "huber"),
    }


def test_validation_names_what_fits():
    problems = RunConfig(dataset="iris", task="multiclass", loss="svm").problems()
    assert problems == ["loss svm does not fit task multiclass; choose one of ce, hinge"]
    problems = RunConfig(dataset="iris", task="binary").problems()
    assert problems == [
        "dataset iris is for task multiclass, not binary; set task to multiclass or pick another dataset"
    ]
    assert (
        "classes must be a whole number in [3, 10], got 2"
        in RunConfig(dataset="blobs", task="multiclass", loss="ce", classes=2).problems()[0]
    )
    with pytest.raises(ConfigError, match="loss huber does not fit task binary"):
        RunConfig(loss="huber").validate()
    RunConfig(dataset="sine", task="regression", loss="huber").validate()


def test_presets_are_valid_configs():
    for name, task in PRESETS:
        c = preset_config(name, task)
        assert (c.dataset, c.task) == (name, task) and c.loss in LOSSES_BY_TASK[task]
    assert preset("spiral")["task"] == "binary" and preset("spiral", "multiclass")["classes"] == 3
    with pytest.raises(ValueError, match="has no regression form"):
        preset("moons", "regression")


# ---------------------------------------------------------------- command line


def test_cli_infers_the_task_and_its_loss_from_the_dataset():
    c = config_of(build_parser().parse_args(["train", "--dataset", "iris"]))
    assert (c.task, c.loss) == ("multiclass", "ce")
    c = config_of(build_parser().parse_args(["train", "--dataset", "spiral", "--task", "multiclass", "--classes", "5"]))
    assert (c.task, c.loss, c.classes, c.architecture) == ("multiclass", "ce", 5, "16-16-5")
    c = config_of(build_parser().parse_args(["train"]))
    assert (c.dataset, c.task, c.loss) == ("moons", "binary", "svm")  # as before
    c = config_of(build_parser().parse_args(["train", "--dataset", "sine", "--preset", "--steps", "7"]))
    assert (c.task, c.loss, c.layers, c.momentum, c.steps) == ("regression", "mse", [16, 16], 0.9, 7)


def test_cli_datasets_lists_tasks_and_presets(capsys):
    assert main(["datasets"]) == 0
    out = capsys.readouterr().out
    assert "yinyang        multiclass" in out and "preset: ce, relu [16, 16], lr 1 -> 0.1, 400 steps, K=3" in out


def test_cli_train_and_predict_multiclass_and_regression(tmp_path, capsys):
    model = tmp_path / "iris.json"
    assert main(["train", "--dataset", "iris", "--preset", "--no-record", "--out", str(model)]) == 0
    assert "test accuracy" in capsys.readouterr().out
    rows = tmp_path / "rows.csv"
    names = json.loads(model.read_text())["feature_names"]
    rows.write_text(",".join(names) + "\n5.1,3.5,1.4,0.2\n6.7,3.0,5.2,2.3\n")
    assert main(["predict", str(model), "--csv", str(rows)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].endswith("score_setosa,score_versicolor,score_virginica,predicted")
    assert lines[1].endswith(",setosa") and lines[2].endswith(",virginica")
    model = tmp_path / "sine.json"
    assert main(["train", "--dataset", "sine", "--preset", "--no-record", "--out", str(model)]) == 0
    assert "test R² 0.9" in capsys.readouterr().out
    rows.write_text("x\n0.0\n1.5707963\n")
    assert main(["predict", str(model), "--csv", str(rows)]) == 0
    values = [float(line.split(",")[-1]) for line in capsys.readouterr().out.splitlines()[1:]]
    assert abs(values[0]) < 0.2 and abs(values[1] - 1.0) < 0.2  # sin 0 and sin π/2, in the data's own units


# ---------------------------------------------------------------- run store


@pytest.mark.parametrize(
    ("dataset", "task", "arch"), [("iris", "multiclass", "4-8-3"), ("sine", "regression", "1-8-1")]
)
def test_the_run_store_records_the_task_and_the_outputs(tmp_path, dataset, task, arch):
    from micrograd.studio import recording
    from micrograd.studio.runs import RunStore
    from micrograd.studio.trainer import Trainer

    db = tmp_path / "runs.db"
    rec = recording.Recorder(db)
    tr = Trainer(preset_config(dataset, layers=[8], steps=6))
    rec.sync(tr, running=True)
    tr.run()
    rec.sync(tr, running=False)
    assert rec.error == ""
    with RunStore(db) as store:
        run = store.list_runs()[0]
        steps = store.get_steps(run["id"])
    assert (run["task"], run["architecture"], run["status"]) == (task, arch, "finished") and len(steps) == 6
    if task == "multiclass":
        assert steps[-1]["train_accuracy"] == pytest.approx(tr.history[-1]["train_accuracy"])
