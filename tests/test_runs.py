"""Tests for the experiment store (micrograd/studio/runs.py): opening, schema, runs, steps, and processes."""

from __future__ import annotations

import math
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from micrograd.studio import runs, store_base
from micrograd.studio.recording import RunRecorder
from micrograd.studio.runs import RunStore, StoreError, default_db_path

ROOT = Path(__file__).resolve().parent.parent
CONFIG = {"dataset": "moons", "nin": 2, "nouts": [16, 16, 1], "activation": "relu", "loss": "svm", "lr": 0.1}
DATA = {"name": "moons", "n_samples": 100, "noise": 0.1}


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "runs.db"


@pytest.fixture
def store(db: Path):
    with RunStore(db) as s:
        yield s


def raw(db: Path) -> sqlite3.Connection:
    return sqlite3.connect(db, isolation_level=None)


def step(i: int, **kw) -> dict:
    return {"step": i, "lr": 0.1, "loss": 1.0 / i, "train_accuracy": i / 100, **kw}


# ---------------------------------------------------------------- paths, schema, opening


def test_default_db_path_env_and_home(monkeypatch, tmp_path):
    monkeypatch.setenv("MICROGRAD_DB", str(tmp_path / "x" / "my.db"))
    assert default_db_path() == tmp_path / "x" / "my.db"
    monkeypatch.delenv("MICROGRAD_DB")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert default_db_path() == tmp_path / "home" / ".micrograd" / "runs.db"
    assert (tmp_path / "home" / ".micrograd").is_dir()
    (tmp_path / "file").write_text("")
    monkeypatch.setenv("HOME", str(tmp_path / "file"))  # ~/.micrograd cannot be made inside a file
    with pytest.raises(StoreError, match="not saved"):
        default_db_path()


def test_open_creates_missing_directory_wal_and_schema_version(tmp_path):
    path = tmp_path / "a" / "b" / "runs.db"
    RunStore(path).close()
    assert path.is_file()
    con = raw(path)
    assert con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert con.execute("SELECT version FROM schema_version").fetchall() == [(v,) for v in sorted(runs.MIGRATIONS)]
    RunStore(path).close()  # reopening must not migrate again
    assert con.execute("SELECT version FROM schema_version").fetchall() == [(v,) for v in sorted(runs.MIGRATIONS)]


def test_migration_to_a_new_version_runs_once(db, monkeypatch):
    RunStore(db).close()
    calls, new = [], max(runs.MIGRATIONS) + 1

    def migrate(conn):
        calls.append(1)
        conn.execute("ALTER TABLE runs ADD COLUMN notes TEXT")

    monkeypatch.setitem(runs.MIGRATIONS, new, migrate)
    RunStore(db).close()
    RunStore(db).close()
    con = raw(db)
    assert calls == [1]
    assert [v for (v,) in con.execute("SELECT version FROM schema_version ORDER BY version")] == [*range(1, new + 1)]
    assert "notes" in [r[1] for r in con.execute("PRAGMA table_info(runs)")]


def test_a_version_3_file_gets_r2_columns_filled_from_the_stored_metrics(db, monkeypatch):
    """Version 4: a regression run stored before it keeps its R² (from its metrics) in the new column."""
    monkeypatch.delitem(runs.MIGRATIONS, 4)
    with RunStore(db) as s:  # a version-3 file: the metrics as that code wrote them
        fit = s.create_run({"dataset": "sine"}, {"name": "sine"}, task="regression")
        cls = s.create_run({"dataset": "moons"}, {"name": "moons"})
    con = raw(db)
    with con:
        sql = "UPDATE runs SET metrics = ?, train_accuracy = ? WHERE id = ?"
        con.execute(sql, ('{"step": 5, "train_loss": 0.2, "train_r2": 0.8, "test_r2": 0.7}', None, fit))
        con.execute(sql, ('{"step": 5, "train_accuracy": 0.9}', 0.9, cls))
    con.close()
    monkeypatch.undo()
    with RunStore(db) as s:
        got = {r["id"]: r for r in s.list_runs()}
        assert (got[fit]["train_r2"], got[fit]["test_r2"]) == (0.8, 0.7)
        assert (got[cls]["train_r2"], got[cls]["test_r2"], got[cls]["train_accuracy"]) == (None, None, 0.9)
        s.append_steps(fit, [{"step": 6, "train_loss": 0.1, "train_r2": 0.85, "test_r2": 0.75}])
        assert s.get_steps(fit)[-1]["train_r2"] == 0.85 and s.get_run(fit)["train_r2"] == 0.85


def test_newer_schema_and_foreign_database_are_refused(db, tmp_path):
    RunStore(db).close()
    raw(db).execute("INSERT INTO schema_version VALUES (99, 0)")
    with pytest.raises(StoreError, match="newer"):
        RunStore(db)
    other = tmp_path / "other.db"
    raw(other).execute("CREATE TABLE invoices (x)")
    with pytest.raises(StoreError, match="another program.*invoices"):
        RunStore(other)


def test_corrupt_file_raises_store_error_and_is_left_alone(tmp_path):
    path = tmp_path / "runs.db"
    garbage = bytes(range(256)) * 40
    path.write_bytes(garbage)
    with pytest.raises(StoreError) as err:
        RunStore(path)
    msg = str(err.value)
    assert str(path) in msg and "corrupt" in msg and "move or delete" in msg and "not saved" in msg
    assert path.read_bytes() == garbage


def test_read_only_connection_raises_store_error(db, monkeypatch):
    RunStore(db).close()

    def read_only(path, timeout):
        return sqlite3.connect(f"file:{path}?mode=ro", uri=True, isolation_level=None, check_same_thread=False)

    monkeypatch.setattr(store_base, "_connect", read_only)
    with pytest.raises(StoreError, match="cannot be written.*permissions"):
        RunStore(db)


READ_ONLY_CHILD = """
import sys
from micrograd.studio.runs import RunStore, StoreError
for p in sys.argv[1:]:
    try:
        RunStore(p)
        print("opened")
    except StoreError as e:
        print("StoreError", e)
"""


def test_read_only_file_and_folder_raise_store_error():
    """chmod 0o444 file / 0o555 folder; root ignores modes, so then the check runs as user nobody."""
    folder = Path(tempfile.mkdtemp())
    try:
        RunStore(folder / "runs.db").close()
        (folder / "runs.db").chmod(0o444)
        folder.chmod(0o555)
        targets = [str(folder / "runs.db"), str(folder / "new" / "runs.db")]
        if os.geteuid() != 0:
            for t in targets:
                with pytest.raises(StoreError, match="cannot be written"):
                    RunStore(t)
            return
        python = next((p for p in ("/usr/bin/python3", sys.executable) if _runs_as_nobody(p)), None)
        if python is None:
            pytest.skip("running as root and no Python is usable as user nobody; see the mode=ro test")
        # nobody may not be able to read the checkout (a clone under a 0700 folder): give it its own copy
        lib = Path(tempfile.mkdtemp())
        lib.chmod(0o755)
        shutil.copytree(ROOT / "micrograd", lib / "micrograd", ignore=shutil.ignore_patterns("__pycache__"))
        env = {"PYTHONPATH": str(lib), "PYTHONDONTWRITEBYTECODE": "1", "PATH": os.environ.get("PATH", "")}
        try:
            out = subprocess.run(
                [python, "-c", READ_ONLY_CHILD, *targets], user=65534, group=65534, extra_groups=[], env=env,
                cwd="/", capture_output=True, text=True, timeout=30,
            )  # fmt: skip
        finally:
            shutil.rmtree(lib)
        lines = out.stdout.splitlines()
        assert len(lines) == 2 and all(line.startswith("StoreError") for line in lines), out.stdout + out.stderr
        assert all("cannot be written" in line and "permissions" in line for line in lines)
    finally:
        folder.chmod(0o755)
        for p in folder.iterdir():
            p.unlink()
        folder.rmdir()


def _runs_as_nobody(python: str) -> bool:
    try:
        r = subprocess.run(
            [python, "-c", "import sys, sqlite3; assert sys.version_info >= (3, 10)"], user=65534, group=65534,
            extra_groups=[], cwd="/", capture_output=True, timeout=30,
        )  # fmt: skip
    except OSError:
        return False
    return r.returncode == 0


def test_locked_database_raises_store_error_at_open_and_on_write(db):
    s = RunStore(db, timeout=0.1)
    run_id = s.create_run(CONFIG, DATA)
    other = raw(db)
    other.execute("BEGIN EXCLUSIVE")
    t0 = time.monotonic()
    with pytest.raises(StoreError, match="locked by another program"):
        RunStore(db, timeout=0.1)
    assert time.monotonic() - t0 < 3
    with pytest.raises(StoreError, match="locked"):
        s.append_steps(run_id, [step(1)])
    other.execute("ROLLBACK")
    s.append_steps(run_id, [step(1)])  # the failed transaction left the connection usable
    assert [r["step"] for r in s.get_steps(run_id)] == [1]
    s.close()


def test_closed_store_raises_store_error(db):
    s = RunStore(db)
    s.close()
    with pytest.raises(StoreError, match="closed"):
        s.create_run(CONFIG, DATA)
    with pytest.raises(StoreError, match="closed"):
        s.list_runs()


# ---------------------------------------------------------------- runs and steps


def test_create_run_fills_columns_and_default_name(store):
    a = store.create_run(CONFIG, DATA, tags=["baseline", " baseline", "relu", ""])
    b = store.create_run({"sizes": [2, 8, 1], "loss": "mse"}, {"name": "circles"}, name="  mine ")
    run = store.get_run(a)
    assert run["name"] == f"moons 2-16-16-1 relu svm #{a}"
    assert (run["dataset"], run["architecture"], run["loss"], run["status"]) == ("moons", "2-16-16-1", "svm", "running")
    assert run["config"] == CONFIG and run["data"] == DATA
    assert run["tags"] == ["baseline", "relu"]
    assert run["pid"] == os.getpid() and run["weights"] is None and run["has_weights"] is False
    other = store.get_run(b)
    assert (other["name"], other["dataset"], other["architecture"]) == ("mine", "circles", "2-8-1")
    assert b == a + 1


def test_trainer_shaped_config_data_and_metrics(store):
    """The shapes micrograd.studio.trainer produces: RunConfig.to_dict(), Dataset.summary(), Trainer.metrics()."""
    config = {"dataset": "moons", "layers": [16, 16], "activation": "tanh", "loss": "bce", "lr": 1.0, "seed": 1}
    data = {"name": "moons", "n_train": 80, "n_test": 20, "n_features": 2, "feature_names": ["x1", "x2"]}
    rec = RunRecorder(store, config, data)
    run = store.get_run(rec.run_id)
    assert (run["architecture"], run["name"]) == ("2-16-16-1", f"moons 2-16-16-1 tanh bce #{rec.run_id}")
    assert store.get_run(store.create_run({"layers": [8], "loss": "mse"}, {}))["architecture"] == "8-1"
    metrics = {"step": 40, "train_loss": 0.1, "train_accuracy": 0.9, "test_loss": 0.2, "test_accuracy": 0.85}
    rec.finish("failed", {**metrics, "train_seconds": 0.5}, None, 0.7, "the trainer failed")
    run = store.get_run(rec.run_id)
    assert (run["status"], run["steps"], run["test_accuracy"], run["message"]) == (
        "failed", 40, 0.85, "the trainer failed",
    )  # fmt: skip


def test_create_run_rejects_bad_input(store):
    with pytest.raises(ValueError, match="JSON"):
        store.create_run({"f": object()}, DATA)
    with pytest.raises(ValueError, match="dicts"):
        store.create_run([1], DATA)
    with pytest.raises(ValueError, match="list of strings"):
        store.create_run(CONFIG, DATA, tags="baseline")


def test_nan_in_config_becomes_null(store):
    run_id = store.create_run({**CONFIG, "l2": float("nan")}, DATA)
    assert store.get_run(run_id)["config"]["l2"] is None


def test_append_and_get_steps_with_nan_none_and_replacement(store):
    run_id = store.create_run(CONFIG, DATA)
    store.append_steps(
        run_id, [step(1, grad_norm=float("nan")), step(2, test_loss=None), step(3, seconds=math.inf, test_accuracy=0.5)]
    )
    store.append_steps(run_id, [step(2, loss=0.25, test_accuracy=0.75)])  # re-sent step replaces
    got = store.get_steps(run_id)
    assert [g["step"] for g in got] == [1, 2, 3]
    assert got[0]["grad_norm"] is None and got[1]["test_loss"] is None and got[2]["seconds"] is None
    assert got[1]["loss"] == 0.25 and got[1]["test_accuracy"] == 0.75
    assert set(got[0]) == set(runs.STEP_KEYS) - {"train_r2", "test_r2"}  # a classifier's: accuracy, no R²
    assert [g["step"] for g in store.get_steps(run_id, last=2)] == [2, 3]
    run = store.get_run(run_id)
    # the list view follows the latest step, not the re-sent step 2
    assert (run["steps"], run["train_accuracy"], run["test_accuracy"]) == (3, 0.03, 0.5)
    store.append_steps(run_id, [step(4)])  # no test_accuracy at step 4: keep the last known one
    run = store.get_run(run_id)
    assert (run["steps"], run["train_accuracy"], run["test_accuracy"]) == (4, 0.04, 0.5)


@pytest.mark.parametrize(
    "bad", [{"loss": 1.0}, {"step": -1}, {"step": 1.5}, {"step": True}, {"step": 1, "loss": "high"}, [1, 2]]
)
def test_bad_step_record_is_refused_before_writing(store, bad):
    run_id = store.create_run(CONFIG, DATA)
    with pytest.raises(ValueError, match="step"):
        store.append_steps(run_id, [step(1), bad])
    assert store.get_steps(run_id) == []


@settings(max_examples=40, deadline=None)
@given(st.lists(st.one_of(st.none(), st.floats(allow_nan=True, allow_infinity=True)), min_size=8, max_size=8))
def test_step_values_round_trip_as_finite_floats_or_none(tmp_path_factory, values):
    with RunStore(tmp_path_factory.mktemp("h") / "runs.db") as s:
        run_id = s.create_run(CONFIG, DATA)
        s.append_steps(run_id, [dict(zip(runs.STEP_KEYS, [7, *values]))])
        (got,) = s.get_steps(run_id)
    for key, v in zip(runs.STEP_KEYS[1:], values):
        want = v if v is not None and math.isfinite(v) else None
        assert got[key] == want, key


def test_update_run_metrics_weights_and_validation(store):
    run_id = store.create_run(CONFIG, DATA)
    metrics = {"steps": 100, "train_loss": 0.05, "train_accuracy": 0.99, "test_accuracy": float("nan"), "l2": 1.5}
    store.update_run(run_id, status="finished", metrics=metrics, weights_json='{"layers.0.bias": [0.5]}',
                     wall_seconds=2.5, message="done")  # fmt: skip
    run = store.get_run(run_id)
    assert (run["status"], run["steps"], run["train_loss"], run["train_accuracy"]) == ("finished", 100, 0.05, 0.99)
    assert run["test_accuracy"] is None and run["metrics"]["l2"] == 1.5 and run["metrics"]["test_accuracy"] is None
    assert run["weights"] == '{"layers.0.bias": [0.5]}' and run["has_weights"] is True
    assert run["wall_seconds"] == 2.5 and run["message"] == "done" and run["updated_at"] >= run["created_at"]
    with pytest.raises(ValueError, match="status must be one of"):
        store.update_run(run_id, status="done")
    with pytest.raises(ValueError, match="JSON"):
        store.update_run(run_id, weights_json="{not json")
    assert store.get_run(run_id)["status"] == "finished"


def test_list_runs_filters_order_and_no_weights(store):
    a = store.create_run(CONFIG, DATA)
    b = store.create_run({**CONFIG, "loss": "mse"}, DATA)
    c = store.create_run({**CONFIG, "dataset": "circles", "nouts": [4, 1]}, DATA)
    store.update_run(b, status="finished", metrics={"test_accuracy": 0.9}, weights_json="{}")
    store.update_run(c, status="diverged", metrics={"test_accuracy": 0.5})
    assert [r["id"] for r in store.list_runs()] == [c, b, a]
    assert [r["id"] for r in store.list_runs(descending=False)] == [a, b, c]
    assert [r["id"] for r in store.list_runs(dataset="moons")] == [b, a]
    assert [r["id"] for r in store.list_runs(loss="mse")] == [b]
    assert [r["id"] for r in store.list_runs(architecture="2-4-1")] == [c]
    assert [r["id"] for r in store.list_runs(status="running")] == [a]
    assert [r["id"] for r in store.list_runs(order_by="test_accuracy", descending=True)] == [b, c, a]
    assert store.list_runs(since=time.time() + 60) == []
    assert len(store.list_runs(since=0)) == 3
    listed = store.list_runs(status="finished")[0]
    assert "weights" not in listed and listed["has_weights"] is True
    with pytest.raises(ValueError, match="order_by"):
        store.list_runs(order_by="name; DROP TABLE runs")
    with pytest.raises(ValueError, match="status"):
        store.list_runs(status="done")


def test_rename_tags_delete_and_sql_text_is_data(store, db):
    run_id = store.create_run(CONFIG, DATA)
    keep = store.create_run(CONFIG, DATA)
    store.append_steps(run_id, [step(i) for i in range(1, 6)])
    evil = "x'); DROP TABLE runs; --"
    store.rename(run_id, evil)
    store.set_tags(run_id, ["b", "a", evil])
    assert store.get_run(run_id)["name"] == evil and store.get_run(run_id)["tags"] == ["a", "b", evil]
    with pytest.raises(ValueError, match="non-empty"):
        store.rename(run_id, "  ")
    store.delete(run_id)
    assert [r["id"] for r in store.list_runs()] == [keep]
    assert raw(db).execute("SELECT COUNT(*) FROM steps WHERE run_id = ?", (run_id,)).fetchone()[0] == 0


def test_a_name_or_tags_too_long_to_show_are_refused_and_the_run_keeps_its_own(store):
    run_id = store.create_run(CONFIG, DATA, name="short")
    store.rename(run_id, "x" * 200)
    with pytest.raises(ValueError, match="at most 200 characters, got 20,000; shorten it"):
        store.rename(run_id, "y" * 20_000)  # it was saved, and filled every list and legend
    with pytest.raises(ValueError, match="at most 20 tags of at most 50 characters each, got 1 tag, the longest 51"):
        store.set_tags(run_id, ["t" * 51])
    with pytest.raises(ValueError, match="got 21 tags"):
        store.set_tags(run_id, [f"t{i}" for i in range(21)])
    run = store.get_run(run_id)
    assert run["name"] == "x" * 200 and run["tags"] == []


@pytest.mark.parametrize(
    "call",
    [
        lambda s: s.get_run(999),
        lambda s: s.get_steps(999),
        lambda s: s.append_steps(999, [step(1)]),
        lambda s: s.update_run(999, status="finished"),
        lambda s: s.rename(999, "x"),
        lambda s: s.set_tags(999, ["x"]),
        lambda s: s.delete(999),
    ],
)
def test_unknown_run_id_raises_key_error(store, call):
    with pytest.raises(KeyError, match="no run with id 999"):
        call(store)
    assert store.get_run(store.create_run(CONFIG, DATA))["status"] == "running"  # the aborted transaction ended
