"""The experiment store across processes: runs of processes that are gone are marked interrupted, steps committed
before a kill -9 survive, and two processes record at once without marking each other."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from micrograd.studio.runs import RunStore, process_token
from tests.test_runs import CONFIG, DATA, ROOT, db, raw

__all__ = ["db"]  # the fixture, shared with tests/test_runs.py


# ---------------------------------------------------------------- interrupted runs


def _set_writer(db: Path, run_id: int, pid: int | None, host: str, token: str | None, status: str = "running"):
    raw(db).execute(
        "UPDATE runs SET pid = ?, host = ?, proc_token = ?, status = ? WHERE id = ?", (pid, host, token, status, run_id)
    )


def test_runs_of_gone_processes_are_marked_interrupted(db):
    host = socket.gethostname()
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    zombie = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    live = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        zombie_token, live_token = process_token(zombie.pid), process_token(live.pid)
        with RunStore(db) as s:
            ids = {
                k: s.create_run(CONFIG, DATA) for k in ("dead", "zombie", "host", "reused", "live", "mine", "paused")
            }
            done = s.create_run(CONFIG, DATA)
            s.update_run(done, status="finished")
        _set_writer(db, ids["dead"], dead.pid, host, None)
        _set_writer(db, ids["zombie"], zombie.pid, host, zombie_token)
        _set_writer(db, ids["host"], os.getpid(), "another-machine", process_token(os.getpid()))
        _set_writer(db, ids["reused"], live.pid, host, "other-boot:123")  # same pid, different process
        _set_writer(db, ids["live"], live.pid, host, live_token)
        _set_writer(db, ids["paused"], dead.pid, host, None, status="paused")
        zombie.kill()  # not reaped yet: the pid still exists, as a zombie
        time.sleep(0.2)
        with RunStore(db) as s:
            status = {k: s.get_run(i)["status"] for k, i in ids.items()}
            assert s.get_run(done)["status"] == "finished"
            assert "stopped" in s.get_run(ids["dead"])["message"]
        assert status == {
            "dead": "interrupted", "zombie": "interrupted", "host": "interrupted", "reused": "interrupted",
            "live": "running", "mine": "running", "paused": "interrupted",
        }  # fmt: skip
    finally:
        for p in (zombie, live):
            p.kill()
            p.wait()


KILL_CHILD = """
import sys, time
from micrograd.studio.recording import RunRecorder
from micrograd.studio.runs import RunStore
rec = RunRecorder(RunStore(sys.argv[1]), {"dataset": "moons", "loss": "svm"}, {"name": "moons"})
print(rec.run_id, flush=True)
i = 0
while True:
    i += 1
    rec.on_step({"step": i, "loss": 1.0 / i})
    rec.flush()
    print(i, flush=True)
    time.sleep(0.001)
"""


def test_steps_committed_before_kill_9_survive_and_run_is_interrupted(db):
    proc = subprocess.Popen([sys.executable, "-c", KILL_CHILD, str(db)], stdout=subprocess.PIPE, text=True, cwd=ROOT)
    try:
        run_id = int(proc.stdout.readline())
        flushed = 0
        while flushed < 40:
            line = proc.stdout.readline()
            assert line, "the child process died early"
            flushed = int(line)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    with RunStore(db) as s:
        got = [r["step"] for r in s.get_steps(run_id)]
        run = s.get_run(run_id)
    assert len(got) >= flushed and got == list(range(1, len(got) + 1))
    assert run["status"] == "interrupted" and run["steps"] == len(got)


CONCURRENT_CHILD = """
import os, sys, time
from micrograd.studio.recording import RunRecorder
from micrograd.studio.runs import RunStore
path, worker, n, go = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
rec = RunRecorder(RunStore(path), {"dataset": "moons", "worker": worker}, {"name": "moons"})
rec.flush_every = 5
print(rec.run_id, flush=True)
while not os.path.exists(go):
    time.sleep(0.005)
for i in range(1, n + 1):
    rec.on_step({"step": i, "loss": 1.0 / i, "lr": 0.1})
rec.finish("finished", {"steps": n}, '{"w": 1}', 0.5)
print("error" if rec.error else "ok", flush=True)
"""


def test_two_processes_record_at_once_without_marking_each_other(db, tmp_path):
    n, go = 300, tmp_path / "go"
    procs, ids = [], []
    try:
        for worker in ("a", "b"):  # b opens the store while a's run is live: a must stay "running"
            cmd = [sys.executable, "-c", CONCURRENT_CHILD, str(db), worker, str(n), str(go)]
            procs.append(subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True, cwd=ROOT))
            ids.append(int(procs[-1].stdout.readline()))
        with RunStore(db) as s:  # a third process looking in must not mark them either
            assert [s.get_run(i)["status"] for i in ids] == ["running", "running"]
        go.touch()
        outs = [p.communicate(timeout=60)[0].strip() for p in procs]
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait()
    assert outs == ["ok", "ok"]
    with RunStore(db) as s:
        for i, worker in zip(ids, ("a", "b")):
            run = s.get_run(i)
            assert (run["status"], run["steps"], run["config"]["worker"]) == ("finished", n, worker)
            assert [r["step"] for r in s.get_steps(i)] == list(range(1, n + 1))
