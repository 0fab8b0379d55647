"""Run store version 2: the one status enum, the upgrade of a version-1 file, sweeps, the change log, heartbeats."""

from __future__ import annotations

import ast
import sqlite3
from pathlib import Path

import pytest

from micrograd.studio import runs
from micrograd.studio.runs import RunStore, StoreError
from micrograd.studio.status import ACTIVE, FINAL, LIVE, Status

ROOT = Path(__file__).resolve().parent.parent
V1_DUMP = Path(__file__).parent / "data" / "runs_v1.sql"
CONFIG = {"dataset": "moons", "layers": [4], "activation": "tanh", "loss": "svm", "lr": 0.1}
DATA = {"name": "moons", "n_features": 2}


class Clock:
    """A settable Unix clock for the store (no sleeps in tests)."""

    def __init__(self, t: float = 1_800_000_000.0) -> None:
        self.t = t

    def __call__(self) -> float:
        return self.t


def v1_file(path: Path) -> Path:
    """A database written by the version-1 code (tests/data/runs_v1.sql was dumped from it)."""
    with sqlite3.connect(path) as conn:
        conn.executescript(V1_DUMP.read_text())
    return path


# ---------------------------------------------------------------- the status enum


def test_the_status_words_are_the_eight_of_the_enum_and_partition_into_active_and_final():
    words = ["queued", "running", "paused", "finished", "diverged", "failed", "cancelled", "interrupted"]
    assert [s.value for s in Status] == words
    assert ACTIVE | FINAL == frozenset(Status) and not ACTIVE & FINAL and LIVE < ACTIVE
    assert f"{Status.FAILED}" == "failed" and Status.FAILED == "failed" and Status.PAUSED.live
    assert runs.STATUSES == tuple(Status) and set(runs.FINAL_STATUSES) == FINAL and set(runs.LIVE_STATUSES) == LIVE
    with pytest.raises(ValueError, match="queued, running, paused, finished.*got 'error'"):
        Status.parse("error")
    with pytest.raises(ValueError, match="running, paused; got 'finished'"):
        Status.parse("finished", LIVE)


def test_the_trainer_ends_in_run_statuses():
    from micrograd.studio import trainer

    assert {trainer.FINISHED, trainer.DIVERGED, trainer.FAILED} <= FINAL
    assert trainer.READY not in set(Status) and trainer.TRAINING not in set(Status)  # its own phases


def test_no_module_spells_a_status_word_except_the_enum():
    """Status words appear as string literals only in status.py (and the frozen version-1 schema)."""
    words = {s.value for s in Status} | {"error"}
    allowed = {"micrograd/studio/status.py", "micrograd/studio/store_schema.py"}
    offenders = []
    for path in [*ROOT.glob("micrograd/**/*.py"), *ROOT.glob("ui/*.py")]:
        rel = path.relative_to(ROOT).as_posix()
        if rel in allowed:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Compare):  # `status == "finished"`, `status in ("diverged", "error")`
                for c in ast.walk(node):
                    if isinstance(c, ast.Constant) and c.value in words:
                        offenders.append(f"{rel}:{c.lineno} {c.value!r}")
    assert not offenders, offenders


def test_the_database_accepts_exactly_the_enum(tmp_path):
    with RunStore(tmp_path / "r.db") as s:
        run = s.create_run(CONFIG, DATA)
        for status in Status:
            s.update_run(run, status=status)
            assert s.get_run(run)["status"] == status.value
        with pytest.raises(ValueError, match="got 'error'"):
            s.update_run(run, status="error")
        conn = sqlite3.connect(tmp_path / "r.db")
        with pytest.raises(sqlite3.IntegrityError, match="CHECK"):  # also below the API
            conn.execute("UPDATE runs SET status = 'error'")


# ---------------------------------------------------------------- upgrading a version-1 file


def test_a_version_1_file_is_upgraded_keeping_every_run_step_and_id(tmp_path):
    db = v1_file(tmp_path / "old.db")
    before = sqlite3.connect(db).execute("SELECT id, name, tags, config, steps, weights FROM runs ORDER BY id")
    before = before.fetchall()
    with RunStore(db) as s:
        got = {r["id"]: r for r in s.list_runs()}
        assert sorted(got) == [1, 2, 3, 4]
        assert [got[i]["status"] for i in (1, 2, 3)] == ["finished", "failed", "diverged"]  # 'error' is 'failed'
        assert got[2]["message"] == "boom"
        assert got[4]["status"] == "interrupted"  # paused by a server that is gone
        assert all(
            r["task"] == "binary" and r["sweep_id"] is None and not r["has_initial_weights"] for r in got.values()
        )
        assert all(len(s.get_steps(i)) == 3 for i in got)
        new = s.create_run(CONFIG, DATA)
        assert new == 6  # run 5 was deleted under version 1: its id is not given out again
        s.delete(1)  # the steps still belong to their runs
    conn = sqlite3.connect(db)
    after = conn.execute("SELECT id, name, tags, config, steps, weights FROM runs WHERE id IN (2, 3, 4) ORDER BY id")
    assert after.fetchall() == before[1:]
    assert conn.execute("SELECT COUNT(*) FROM steps WHERE run_id = 1").fetchone() == (0,)
    assert conn.execute("SELECT COUNT(*) FROM steps").fetchone() == (9,)
    assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
    assert [v for (v,) in conn.execute("SELECT version FROM schema_version ORDER BY version")] == [1, 2, 3, 4]
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert {"runs", "steps", "changes", "sweeps", "data_files"} <= tables and "runs_new" not in tables


def test_a_failed_upgrade_leaves_the_version_1_file_as_it_was(tmp_path, monkeypatch):
    db = v1_file(tmp_path / "old.db")
    dump = list(sqlite3.connect(db).iterdump())

    real = runs.MIGRATIONS[2]

    def broken(conn):  # the whole rebuild, then a failure before the commit
        real(conn)
        raise sqlite3.OperationalError("disk I/O error")

    monkeypatch.setitem(runs.MIGRATIONS, 2, broken)
    with pytest.raises(StoreError, match="not saved"):
        RunStore(db)
    assert list(sqlite3.connect(db).iterdump()) == dump


# ---------------------------------------------------------------- new run fields, the change log, sweeps


def test_a_run_keeps_its_initial_weights_task_and_sweep(tmp_path):
    with RunStore(tmp_path / "r.db") as s:
        sweep = s.create_sweep("lr x activation", {"axes": {"lr": [0.1, 1.0]}, "seeds": 2}, "local: 2 workers")
        a = s.create_run(CONFIG, DATA, task="binary", sweep_id=sweep, sweep_axes={"lr": 0.1}, status="queued")
        b = s.create_run(CONFIG, DATA, initial_weights='{"layers": []}')
        assert s.get_run(a)["status"] == "queued" and s.get_run(a)["sweep_axes"] == {"lr": 0.1}
        assert s.get_run(b)["initial_weights"] == '{"layers": []}' and s.get_run(b)["sweep_id"] is None
        assert "initial_weights" not in s.list_runs()[0] and s.list_runs(sweep_id=sweep)[0]["id"] == a
        with pytest.raises(KeyError, match="no sweep with id 99"):
            s.create_run(CONFIG, DATA, sweep_id=99)
        with pytest.raises(ValueError, match="initial_weights must be JSON"):
            s.create_run(CONFIG, DATA, initial_weights="not json")
        with pytest.raises(ValueError, match="queued, running, paused; got 'finished'"):
            s.create_run(CONFIG, DATA, status="finished")


def test_live_changes_are_logged_in_order_and_go_with_their_run(tmp_path):
    with RunStore(tmp_path / "r.db") as s:
        run = s.create_run(CONFIG, DATA)
        s.log_change(run, 10, "lr", 0.01)
        s.log_change(run, 10, "loss", "bce")
        s.log_change(run, 25, "layers", [8, 8])
        assert s.get_changes(run) == [
            {"step": 10, "field": "lr", "value": 0.01},
            {"step": 10, "field": "loss", "value": "bce"},
            {"step": 25, "field": "layers", "value": [8, 8]},
        ]
        with pytest.raises(ValueError, match="whole number"):
            s.log_change(run, -1, "lr", 0.1)
        with pytest.raises(KeyError):
            s.log_change(run + 1, 1, "lr", 0.1)
        s.delete(run)
        assert s._conn.execute("SELECT COUNT(*) FROM changes").fetchone()[0] == 0


def test_sweeps_are_created_updated_listed_and_count_their_trials(tmp_path):
    clock = Clock()
    with RunStore(tmp_path / "r.db", clock=clock) as s:
        first = s.create_sweep("first", {"axes": {"lr": [0.1]}})
        clock.t += 5
        second = s.create_sweep("second", {"axes": {"seed": [1, 2, 3]}}, "tcp://127.0.0.1:8786")
        for status in ("finished", "finished", "diverged"):
            run = s.create_run(CONFIG, DATA, sweep_id=second, status="queued")
            s.update_run(run, status=status)
        s.update_sweep(second, status="running", message="3 of 3 trials done")
        got = s.get_sweep(second)
        assert (got["name"], got["status"], got["cluster"], got["message"]) == (
            "second", "running", "tcp://127.0.0.1:8786", "3 of 3 trials done",
        )  # fmt: skip
        assert got["spec"] == {"axes": {"seed": [1, 2, 3]}} and got["trials"] == {"finished": 2, "diverged": 1}
        assert [w["id"] for w in s.list_sweeps()] == [second, first] and s.get_sweep(first)["trials"] == {}
        assert s.get_sweep(first)["status"] == "queued" and s.get_sweep(second)["updated_at"] == clock.t
        with pytest.raises(KeyError):
            s.update_sweep(99, status="cancelled")
        with pytest.raises(ValueError, match="got 'done'"):
            s.update_sweep(first, status="done")


def test_a_sweep_whose_process_is_gone_is_interrupted(tmp_path):
    db = tmp_path / "r.db"
    with RunStore(db) as s:
        sweep = s.create_sweep("s", {})
        s.update_sweep(sweep, status="running")
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE sweeps SET pid = 2147483646, proc_token = 'gone'")
    with RunStore(db) as s:
        got = s.get_sweep(sweep)
    assert got["status"] == "interrupted" and "stopped" in got["message"]


# ---------------------------------------------------------------- heartbeats and the stale-session sweep


def test_a_silent_session_s_run_is_closed_after_two_minutes_and_a_ticking_one_is_not(tmp_path):
    clock = Clock()
    with RunStore(tmp_path / "r.db", clock=clock) as s:
        quiet, ticking, cli = (s.create_run(CONFIG, DATA) for _ in range(3))
        s.update_run(quiet, weights_json='{"saved": 1}')
        s.heartbeat(quiet)
        s.heartbeat(ticking, "paused")
        assert s.close_stale() == []
        clock.t += 100
        s.heartbeat(ticking)
        clock.t += 21  # quiet: 121 s without a heartbeat; ticking: 21 s
        assert s.close_stale() == [quiet]
        run = s.get_run(quiet)
        assert run["status"] == "interrupted" and "session" in run["message"] and run["weights"] == '{"saved": 1}'
        assert s.get_run(ticking)["status"] == "paused" and s.get_run(cli)["status"] == "running"  # no heartbeat
        assert s.heartbeat(quiet) == "interrupted"  # a beat after closing changes nothing
        clock.t += 500
        assert s.close_stale() == [ticking]


def test_the_stale_sweep_runs_at_most_every_ten_seconds_unless_forced(tmp_path):
    clock = Clock()
    with RunStore(tmp_path / "r.db", clock=clock) as s:
        run = s.create_run(CONFIG, DATA)
        s.heartbeat(run)
        s.close_stale()
        clock.t += 121
        s._stale_checked = clock.t - 5  # swept 5 s ago
        assert s.close_stale() == [] and s.get_run(run)["status"] == "running"
        assert s.close_stale(force=True) == [run]
