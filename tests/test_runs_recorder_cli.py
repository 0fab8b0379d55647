"""Tests for the run recorder (micrograd.studio.recording.RunRecorder) and the `runs` CLI (micrograd/cli/runs.py)."""

from __future__ import annotations

import argparse
import os
import sqlite3
import sys
import threading
import time

import pytest

from micrograd.cli import runs as cli_runs
from micrograd.studio import runs
from micrograd.studio.recording import RunRecorder
from micrograd.studio.runs import RunStore
from tests.test_runs import CONFIG, DATA, db, raw, step, store

__all__ = ["db", "store"]  # the fixtures, shared with tests/test_runs.py


# ---------------------------------------------------------------- RunRecorder


def test_recorder_flushes_every_25_records(store):
    rec = RunRecorder(store, CONFIG, DATA, tags=["x"])
    rec.flush_seconds = 1e9
    for i in range(1, 25):
        rec.on_step(step(i))
    assert store.get_steps(rec.run_id) == []
    rec.on_step(step(25))
    assert len(store.get_steps(rec.run_id)) == 25
    assert store.get_run(rec.run_id)["tags"] == ["x"]


def test_recorder_flushes_after_flush_seconds(store):
    rec = RunRecorder(store, CONFIG, DATA)
    rec.flush_seconds = 0.2
    rec.flush()  # starts the clock
    rec.on_step(step(1))
    assert store.get_steps(rec.run_id) == []
    time.sleep(0.25)
    rec.on_step(step(2))
    assert [r["step"] for r in store.get_steps(rec.run_id)] == [1, 2]


def test_recorder_status_and_finish(store):
    rec = RunRecorder(store, CONFIG, DATA, name="run one")
    rec.on_step(step(1))
    rec.set_status("paused")
    assert store.get_run(rec.run_id)["status"] == "paused" and len(store.get_steps(rec.run_id)) == 1
    rec.set_status("running")
    rec.on_step(step(2))
    rec.finish("finished", {"steps": 2, "train_accuracy": 0.5}, '{"w": []}', 1.25, message="ok")
    run = store.get_run(rec.run_id)
    assert (run["name"], run["status"], run["steps"], run["weights"], run["wall_seconds"], run["message"]) == (
        "run one", "finished", 2, '{"w": []}', 1.25, "ok",
    )  # fmt: skip
    rec.on_step(step(3))
    rec.flush()
    assert len(store.get_steps(rec.run_id)) == 2 and not rec.active
    with pytest.raises(ValueError, match="status"):
        rec.set_status("finished")
    with pytest.raises(ValueError, match="status"):
        RunRecorder(store, CONFIG, DATA).finish("running", {}, None, 0.0)
    with pytest.raises(ValueError, match="step"):
        RunRecorder(store, CONFIG, DATA).on_step({"loss": 1.0})


def test_recorder_without_store_is_a_no_op():
    rec = RunRecorder(None, CONFIG, DATA)
    for i in range(1, 60):
        rec.on_step(step(i))
    rec.set_status("paused")
    rec.flush()
    rec.finish("finished", {}, None, 1.0)
    assert rec.run_id is None and rec.error is None and not rec.active


def test_recorder_survives_store_errors_and_stops_writing(store, db, monkeypatch):
    rec = RunRecorder(store, CONFIG, DATA)
    rec.on_step(step(1))
    rec.flush()
    other = raw(db)
    other.execute("BEGIN EXCLUSIVE")
    store._conn.execute("PRAGMA busy_timeout = 50")
    rec.on_step(step(2))
    rec.flush()  # must not raise
    other.execute("ROLLBACK")
    assert "locked" in rec.error and "not saved" in rec.error and not rec.active
    rec.on_step(step(3))
    assert [r["step"] for r in store.get_steps(rec.run_id)] == [1] and rec.saved_step == 1
    # the lock is gone by the end: the run gets its true final status and says where its record stops
    rec.finish("finished", {}, None, 1.0)
    run = store.get_run(rec.run_id)
    assert run["status"] == "finished" and "record stops at step 1" in run["message"]

    full = runs._store_error(db, sqlite3.OperationalError("database or disk is full"))
    rec2 = RunRecorder(store, CONFIG, DATA)
    monkeypatch.setattr(store, "append_steps", lambda *a: (_ for _ in ()).throw(full))
    rec2.on_step(step(1))
    rec2.flush()
    assert "disk is full" in rec2.error


def test_recorder_survives_deleted_run_and_failed_create(store, db):
    rec = RunRecorder(store, CONFIG, DATA)
    store.delete(rec.run_id)
    rec.on_step(step(1))
    rec.finish("finished", {}, None, 1.0)
    assert "no run with id" in rec.error
    store.close()
    rec2 = RunRecorder(store, CONFIG, DATA)
    assert rec2.run_id is None and "closed" in rec2.error
    rec2.on_step(step(1))


def test_recorder_used_from_another_thread(store):
    rec = RunRecorder(store, CONFIG, DATA)

    def train():
        for i in range(1, 31):
            rec.on_step(step(i))
        rec.finish("finished", {"steps": 30}, None, 0.1)

    t = threading.Thread(target=train)
    t.start()
    t.join()
    assert rec.error is None and len(store.get_steps(rec.run_id)) == 30


# ---------------------------------------------------------------- CLI


def cli(*argv: str) -> tuple[argparse.Namespace, int]:
    parser = argparse.ArgumentParser()
    cli_runs.register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(list(argv))
    return args, args.func(args)


@pytest.fixture
def filled(db):
    with RunStore(db) as s:
        a = s.create_run(CONFIG, DATA, name="first")
        s.append_steps(a, [step(i) for i in range(1, 31)])
        s.update_run(a, status="finished", metrics={"steps": 30, "train_accuracy": 0.97, "test_accuracy": 0.955},
                     weights_json='{"layers.0.weight": [[1.0, 2.0]]}')  # fmt: skip
        b = s.create_run({**CONFIG, "loss": "mse"}, DATA, name="second")
    return db, a, b


def test_cli_list(filled, capsys):
    db, a, b = filled
    assert cli("runs", "list", "--db", str(db))[1] == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split()[:4] == ["id", "name", "dataset", "architecture"]
    assert len(lines) == 3
    assert lines[1].split()[:7] == [str(b), "second", "moons", "2-16-16-1", "mse", "running", "0"]  # newest first
    assert lines[2].split()[:9] == [str(a), "first", "moons", "2-16-16-1", "svm", "finished", "30", "97.0%", "95.5%"]
    assert time.strftime("%Y-%m-%d") in lines[2]


def test_cli_list_of_missing_database_does_not_create_it(tmp_path, capsys):
    path = tmp_path / "none" / "runs.db"
    assert cli("runs", "list", "--db", str(path))[1] == 0
    assert "no runs yet" in capsys.readouterr().out and not path.exists()


def test_cli_list_uses_default_path(filled, monkeypatch, capsys):
    monkeypatch.setenv("MICROGRAD_DB", str(filled[0]))
    assert cli("runs", "list")[1] == 0
    assert "first" in capsys.readouterr().out


def test_cli_show(filled, capsys):
    db, a, _ = filled
    assert cli("runs", "show", str(a), "--db", str(db), "--steps", "3")[1] == 0
    out = capsys.readouterr().out
    assert out.startswith(f"run {a}: first") and "status: finished" in out and "weights: stored" in out
    assert 'activation: "relu"' in out and "nouts: [16, 16, 1]" in out and "test_accuracy: 0.955" in out
    said, rows = out.split("last 3 steps")[1].split("\n", 1)
    assert said == " (each row measured before its step's update; metrics: at the final weights):"
    step_lines = rows.splitlines()
    assert step_lines[0].split()[:3] == ["step", "lr", "loss"]
    assert [line.split()[0] for line in step_lines[1:]] == ["28", "29", "30"]


def test_cli_export(filled, tmp_path, capsys):
    db, a, b = filled
    out = tmp_path / "model.json"
    assert cli("runs", "export", str(a), "--out", str(out), "--db", str(db))[1] == 0
    assert out.read_text() == '{"layers.0.weight": [[1.0, 2.0]]}'
    assert cli("runs", "export", str(b), "--out", str(tmp_path / "b.json"), "--db", str(db))[1] == 2
    err = capsys.readouterr().err
    assert "no stored weights" in err and err.count("\n") == 1 and not (tmp_path / "b.json").exists()
    assert cli("runs", "export", str(a), "--out", str(tmp_path / "no" / "m.json"), "--db", str(db))[1] == 2
    assert capsys.readouterr().err.startswith(f"micrograd: error: cannot write {tmp_path / 'no' / 'm.json'}")


def test_cli_delete(filled, monkeypatch, capsys):
    db, a, b = filled
    monkeypatch.setattr(sys, "stdin", open(os.devnull))  # not a terminal: refuse without --yes
    assert cli("runs", "delete", str(a), "--db", str(db))[1] == 2
    assert "--yes" in capsys.readouterr().err
    assert cli("runs", "delete", str(a), "--db", str(db), "--yes")[1] == 0
    assert "deleted run" in capsys.readouterr().out
    with RunStore(db) as s:
        assert [r["id"] for r in s.list_runs()] == [b]


@pytest.mark.parametrize("command", ["show", "export", "delete"])
def test_cli_unknown_id_is_one_line_and_status_2(filled, tmp_path, command, capsys):
    db = filled[0]
    extra = {"export": ["--out", str(tmp_path / "x.json")], "delete": ["--yes"]}.get(command, [])
    assert cli("runs", command, "4242", "--db", str(db), *extra)[1] == 2
    captured = capsys.readouterr()
    assert "no run with id 4242" in captured.err and captured.err.count("\n") == 1 and captured.out == ""


def test_cli_store_problem_is_one_line_and_status_2(tmp_path, capsys):
    bad = tmp_path / "runs.db"
    bad.write_bytes(b"this is not sqlite" * 100)
    assert cli("runs", "list", "--db", str(bad))[1] == 2
    err = capsys.readouterr().err
    assert err.startswith("micrograd: error: ") and "corrupt" in err and err.count("\n") == 1
