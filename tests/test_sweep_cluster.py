"""Sweeps on a real Dask cluster: `dask scheduler` + `dask worker --nworkers 2` on 127.0.0.1 as subprocesses.

One cluster for the module (started and torn down by LocalCluster, checked for orphans at the end); the driver
reaches it by address, the path an existing cluster takes. Timings are loose: the machine is shared.
"""

import json
import os
import signal
import subprocess
import sys
import time

import psutil
import pytest

from micrograd.cli.main import main
from micrograd.studio.cluster import ClusterError, Clusters, LocalCluster
from micrograd.studio.config import RunConfig
from micrograd.studio.runs import RunStore
from micrograd.studio.sweep_driver import SweepRun
from micrograd.studio.sweeps import Axis, SweepSpec
from micrograd.studio.trainer import Trainer
from micrograd.studio.weights import loads
from micrograd.views import text
from tests.conftest import ROOT, alive_pids, free_port

pytestmark = pytest.mark.slow
FINAL = {"finished", "diverged", "failed", "cancelled", "interrupted"}


def _tree(pids):
    """The processes and all their descendants."""
    out = list(pids)
    for pid in pids:
        try:
            out += [c.pid for c in psutil.Process(pid).children(recursive=True)]
        except psutil.NoSuchProcess:
            pass
    return out


@pytest.fixture(scope="module")
def cluster():
    local = LocalCluster(2, idle_timeout="10m")  # not idle-closed between this module's tests
    pids = _tree(local.pids())
    assert len(pids) >= 4  # scheduler, worker command, two worker processes
    yield local
    local.close()
    deadline = time.monotonic() + 15
    while alive_pids(pids) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert alive_pids(pids) == [], "the cluster left processes behind"


@pytest.fixture
def clusters(cluster):
    c = Clusters(cluster.address)
    yield c
    c.close()


def _no_times(steps):
    return [{k: v for k, v in s.items() if k != "seconds"} for s in steps]


def _run(db, clusters, spec, timeout=300):
    run = SweepRun(db, clusters, spec)
    sweep_id = run.start()
    assert run.join(timeout), "the sweep did not finish in time"
    assert run.error == ""
    return sweep_id


def test_grid_2x2x2_stored_results_equal_serial_training_bit_for_bit(clusters, tmp_path, capsys):
    db = tmp_path / "runs.db"
    spec = SweepSpec(
        base=RunConfig(steps=60, samples=120).to_dict(),
        axes=[Axis.parse("lr", "0.1,1"), Axis.parse("layers", "4 8,8"), Axis.parse("activation", "tanh,relu")],
    )
    sweep_id = _run(db, clusters, spec)
    with RunStore(db) as store:
        sweep = store.get_sweep(sweep_id)
        runs = store.list_runs(sweep_id=sweep_id, order_by="id", descending=False)
        assert sweep["status"] == "finished" and sweep["trials"] == {"finished": 8}
        assert sweep["cluster"].startswith(f"Dask scheduler {clusters.address}")
        assert len(runs) == 8
        for trial, run in zip(spec.trials(), runs):
            assert run["sweep_axes"] == trial.axes and run["config"]["engine"] == "compiled"
            serial = Trainer(RunConfig.from_dict(trial.config))
            serial.run()
            stored = store.get_steps(run["id"])
            assert _no_times(stored) == _no_times(serial.history)  # every step, bit for bit
            assert run["train_loss"] == serial.metrics()["train_loss"]
            stored_model = loads(store.get_run(run["id"])["weights"]).model
            assert [p.data for p in stored_model.parameters()] == [p.data for p in serial.model.parameters()]
    assert main(["runs", "list", "--sweep", str(sweep_id), "--db", str(db)]) == 0
    listed = capsys.readouterr().out
    assert listed.count(f"sweep {sweep_id} #") == 8


def test_a_diverging_trial_is_recorded_as_diverged(clusters, tmp_path):
    db = tmp_path / "runs.db"
    base = RunConfig(steps=50, loss="mse", schedule="constant").to_dict()
    sweep_id = _run(db, clusters, SweepSpec(base=base, axes=[Axis.parse("lr", "0.1,1000")]))
    with RunStore(db) as store:
        by_lr = {r["sweep_axes"]["lr"]: r for r in store.list_runs(sweep_id=sweep_id)}
        assert by_lr[0.1]["status"] == "finished"
        assert by_lr[1000.0]["status"] == "diverged" and "diverged" in by_lr[1000.0]["message"]
        assert store.get_sweep(sweep_id)["status"] == "finished"


def _wait_running(db, sweep_id, n=1, timeout=120):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with RunStore(db) as store:
            running = store.list_runs(sweep_id=sweep_id, status="running")
        if len(running) >= n:
            return running
        time.sleep(0.1)
    raise AssertionError("no trial started running")


LONG = RunConfig(samples=1000, steps=800, layers=[16, 16]).to_dict()


def test_cancel_stops_the_sweep_and_records_every_trial_truthfully(clusters, tmp_path):
    db = tmp_path / "runs.db"
    spec = SweepSpec(base={**LONG, "steps": 20_000}, axes=[Axis.parse("lr", "0.1,0.2,0.3,0.4,0.5,0.6")])
    run = SweepRun(db, clusters, spec)
    sweep_id = run.start()
    _wait_running(db, sweep_id)
    time.sleep(1.0)  # some steps in
    run.cancel()
    assert run.join(90), "cancel did not finish"
    with RunStore(db) as store:
        runs = store.list_runs(sweep_id=sweep_id)
        assert store.get_sweep(sweep_id)["status"] == "cancelled"
        assert {r["status"] for r in runs} <= {"cancelled", "finished"}
        stopped = [r for r in runs if r["message"].startswith("cancelled after")]
        assert stopped, [r["message"] for r in runs]
        for r in stopped:  # stopped mid-run: its steps so far are kept, short of the budget
            assert 0 < r["steps"] < 20_000 and len(store.get_steps(r["id"])) == r["steps"]
        assert any(r["message"] == "cancelled before it started" for r in runs)


def test_a_worker_killed_mid_trial_its_trial_reruns_and_the_sweep_completes(cluster, clusters, tmp_path):
    db = tmp_path / "runs.db"
    spec = SweepSpec(base=LONG, axes=[Axis.parse("lr", "0.1,0.2,0.3,0.4")])
    run = SweepRun(db, clusters, spec)
    sweep_id = run.start()
    (victim, *_) = _wait_running(db, sweep_id)
    address = victim["message"].removeprefix("on ")
    pids = cluster.client.run(os.getpid)
    os.kill(pids[address], signal.SIGKILL)
    assert run.join(300), "the sweep did not complete after a worker was killed"
    with RunStore(db) as store:
        runs = store.list_runs(sweep_id=sweep_id)
        assert len(runs) == 4 and all(r["status"] in FINAL for r in runs)
        assert {r["status"] for r in runs} == {"finished"}, [(r["status"], r["message"]) for r in runs]
        assert store.get_sweep(sweep_id)["status"] == "finished"
    cluster.client.wait_for_workers(2, timeout=60)  # the nanny restarted the killed worker


def test_cli_sweep_on_a_scheduler_address_records_every_trial(cluster, tmp_path, capsys):
    db = tmp_path / "runs.db"
    argv = ["sweep", "--lr", "0.1,1", "--activation", "tanh,relu", "--steps", "20", "--samples", "60"]
    assert main([*argv, "--scheduler", cluster.address, "--db", str(db), "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "2 activation × 2 lr = 4 configurations × 1 seed = 4 trials" in out
    assert "sweep 1 done: 4 finished" in out and "micrograd runs list --sweep 1" in out
    with RunStore(db) as store:
        assert store.get_sweep(1)["trials"] == {"finished": 4}


def test_ctrl_c_in_the_cli_cancels_and_records_every_trial(cluster, tmp_path):
    db = tmp_path / "runs.db"
    argv = ["sweep", "--lr", "0.1,0.2,0.3,0.4", "--samples", "1000", "--steps", "20000", "--quiet"]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    cmd = [sys.executable, "-m", "micrograd", *argv, "--scheduler", cluster.address, "--db", str(db)]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 120
        while not db.exists() and time.monotonic() < deadline:
            time.sleep(0.2)
        _wait_running(db, 1)
        time.sleep(1.0)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130, err
    assert "cancelling" in err and "sweep 1 cancelled" in out
    with RunStore(db) as store:
        runs = store.list_runs(sweep_id=1)
        assert len(runs) == 4 and {r["status"] for r in runs} == {"cancelled"}
        assert any(r["message"].startswith("cancelled after") for r in runs)
        assert store.get_sweep(1)["status"] == "cancelled"


def test_an_unreachable_scheduler_is_one_clear_message(tmp_path, capsys):
    port = free_port()
    with pytest.raises(ClusterError, match=f"Cannot reach the Dask scheduler at tcp://127.0.0.1:{port}"):
        Clusters(f"127.0.0.1:{port}").client()
    with pytest.raises(ClusterError, match="not a Dask scheduler address"):
        Clusters("http://example.org/x; rm -rf")
    code = main(["sweep", "--lr", "0.1,1", "--scheduler", f"tcp://127.0.0.1:{port}", "--db", str(tmp_path / "r.db")])
    err = capsys.readouterr().err
    assert code == 2 and "Cannot reach the Dask scheduler" in err and "Traceback" not in err
    assert len([line for line in err.splitlines() if line.strip()]) == 1


SERVER = """
import json, sys, time
from micrograd.studio.cluster import Clusters
from micrograd.studio.sweep_driver import SweepRun
from micrograd.studio.sweeps import Axis, SweepSpec
from micrograd.studio.config import RunConfig
clusters = Clusters(None, 2)
base = RunConfig(samples=1000, steps=50_000).to_dict()
run = SweepRun(sys.argv[1], clusters, SweepSpec(base=base, axes=[Axis.parse("lr", "0.1,0.2,0.3")]))
run.start()
print(json.dumps([run.sweep_id, clusters._local_cluster.pids()]), flush=True)
time.sleep(600)
"""


def test_after_kill_9_of_the_server_the_local_cluster_exits_on_its_own(tmp_path):
    db = tmp_path / "runs.db"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen([sys.executable, "-c", SERVER, str(db)], stdout=subprocess.PIPE, env=env, text=True)
    try:
        sweep_id, pids = json.loads(proc.stdout.readline())
        _wait_running(db, sweep_id)
        everything = _tree(pids)
        assert len(everything) >= 4
        proc.kill()  # kill -9: no atexit, no shutdown
        proc.wait()
        deadline = time.monotonic() + 60
        while alive_pids(everything) and time.monotonic() < deadline:
            time.sleep(0.5)
        assert alive_pids(everything) == [], "orphans a minute after kill -9 of the server"
    finally:
        if proc.poll() is None:
            proc.kill()
    with RunStore(db) as store:  # opening the store notices the dead driver
        assert {r["status"] for r in store.list_runs(sweep_id=sweep_id)} <= {"interrupted"}
        assert store.get_sweep(sweep_id)["status"] == "interrupted"


def test_the_sweeps_page_defines_runs_shows_and_opens_a_trial(cluster, tmp_path, monkeypatch):
    """The page through AppTest (its live fragment redrawn by hand: AppTest does not fire run_every)."""
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    db = tmp_path / "runs.db"
    monkeypatch.setenv("MICROGRAD_DB", str(db))
    monkeypatch.setenv("MICROGRAD_DASK", cluster.address)  # the server's cluster, named by whoever starts it
    st.cache_resource.clear()  # a fresh sweep service, reading the environment above
    try:
        at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=240)
        at.query_params["steps"] = "30"
        at.run()
        at.switch_page("pages/sweeps.py").run()
        assert not at.exception and not at.error
        assert any(text.md(f"Dask scheduler {cluster.address}") in c.value for c in at.caption)
        at.text_input(key="sweep_values_lr").set_value("0.03,1").run()
        assert "2 lr × 2 activation = 4 configurations × 1 seed = 4 trials" in at.info[0].value
        at.button(key="sweep_start").click().run()
        deadline = time.monotonic() + 240
        while "sweep finished" not in (at.get("progress")[0].proto.text if at.get("progress") else ""):
            assert time.monotonic() < deadline, "the sweep did not finish on the page"
            time.sleep(1)
            at.run()
        assert not at.exception and not at.error
        assert [s.value for s in at.subheader] == ["Heat map", "Best trials", "Parallel coordinates", "Open a trial"]
        assert len(at.get("plotly_chart")) == 3
        with RunStore(db) as store:
            runs = store.list_runs(sweep_id=1)
        best = min(runs, key=lambda r: (-r["test_accuracy"], r["train_loss"], r["id"]))
        (trial,) = [w for w in at.selectbox if w.label == "Trial (best first)"]
        assert trial.value == best["id"]
        at.button(key="sweep_open").click().run()
        assert not at.exception and not at.error
        assert any(i.value.startswith(f"Opened run #{best['id']} ") for i in at.info)
        assert at.session_state["trainer"].config.lr == best["sweep_axes"]["lr"]
        before = _clients(cluster)
    finally:
        st.cache_resource.clear()
    # the cleared service closed its client (on_release): left open, it outlived the cluster and tried to reconnect
    deadline = time.monotonic() + 10
    while _clients(cluster) >= before:
        assert time.monotonic() < deadline, (before, _clients(cluster))
        time.sleep(0.2)


def _clients(cluster) -> int:
    """How many clients the cluster's scheduler has."""
    return cluster.client.run_on_scheduler(lambda dask_scheduler: len(dask_scheduler.clients))


def test_the_service_starts_a_sweep_at_once_and_records_a_cluster_that_fails(tmp_path):
    """The page's path: start returns before the cluster is reached; an unreachable one ends the sweep as failed."""
    from micrograd.studio.sweep_driver import STARTING, SweepService

    db = tmp_path / "runs.db"
    told = []
    service = SweepService(db, Clusters(f"tcp://127.0.0.1:{free_port()}"), on_problem=told.append)
    spec = SweepSpec(base=RunConfig(steps=20, samples=60).to_dict(), axes=[Axis.parse("lr", "0.1,1")])
    sweep_id = service.start(spec)
    run = service.runs[sweep_id]
    assert service.busy() == service.active(sweep_id)  # its one sweep (which may have failed already)
    with RunStore(db) as store:
        sweep = store.get_sweep(sweep_id)
        assert sweep["status"] in ("queued", "failed") and sweep["trials"].keys() <= {"queued", "cancelled"}
        assert sweep["status"] == "failed" or sweep["message"] == STARTING
    assert run.join(60), "the driver did not give up on the unreachable scheduler"
    assert not service.active(sweep_id) and not service.busy()  # its only sweep ended: nothing left to drive
    with RunStore(db) as store:
        sweep = store.get_sweep(sweep_id)
        assert sweep["status"] == "failed" and "Cannot reach the Dask scheduler" in sweep["message"]
        assert sweep["trials"] == {"cancelled": 2}
    assert len(told) == 1 and "Cannot reach the Dask scheduler" in told[0]
    service.close()


def test_a_store_write_that_fails_is_told_once_and_the_result_retried(clusters, tmp_path):
    from micrograd.studio.runs import StoreError

    db = tmp_path / "runs.db"
    told = []
    spec = SweepSpec(base=RunConfig(steps=40, samples=60).to_dict(), axes=[Axis.parse("lr", "0.1,0.5,1")])
    run = SweepRun(db, clusters, spec, on_problem=told.append)
    sweep_id = run.start()
    real, calls = run._store.update_run, []

    def locked_for_a_while(*args, **kwargs):  # the store refuses the driver's first four writes, as when locked
        calls.append(kwargs.get("status"))
        if len(calls) <= 4:
            raise StoreError(f"Run store {db} is locked by another program (test)")
        return real(*args, **kwargs)

    run._store.update_run = locked_for_a_while
    assert run.join(300), "the sweep did not finish"
    assert len(calls) > 4
    assert len(told) == 1 and "locked by another program (test)" in told[0] and "retried" in told[0]
    assert run.unrecorded == 0
    with RunStore(db) as store:
        assert store.get_sweep(sweep_id)["status"] == "finished"
        assert store.get_sweep(sweep_id)["trials"] == {"finished": 3}


def test_a_trial_whose_worker_dies_on_every_attempt_is_failed_and_the_sweep_completes(tmp_path, monkeypatch):
    """Dask gives up on a task after `allowed-failures` worker deaths; the trial is then failed, with why."""
    monkeypatch.setenv("DASK_DISTRIBUTED__SCHEDULER__ALLOWED_FAILURES", "0")  # one death is one too many
    local = LocalCluster(1, idle_timeout="5m")
    clusters = Clusters(local.address)
    try:
        db = tmp_path / "runs.db"
        spec = SweepSpec(base={**LONG, "steps": 300}, axes=[Axis.parse("lr", "0.1,0.2,0.3,0.4")])
        run = SweepRun(db, clusters, spec)
        sweep_id = run.start()
        (victim,) = _wait_running(db, sweep_id)
        pid = next(iter(local.client.run(os.getpid).values()))
        os.kill(pid, signal.SIGKILL)
        assert run.join(300), "the sweep did not complete after its trial's worker died"
        with RunStore(db) as store:
            runs = {r["id"]: r for r in store.list_runs(sweep_id=sweep_id)}
            killed = runs.pop(victim["id"])
            assert killed["status"] == "failed", (killed["status"], killed["message"])
            assert "died on every attempt" in killed["message"]
            # Dask counts the death against every task the worker held (it may hold one ahead of the running one):
            # those are failed with the same reason; the rest ran on the restarted worker
            others = [(r["status"], r["message"]) for r in runs.values()]
            assert all(s == "finished" or (s == "failed" and "died on every attempt" in m) for s, m in others), others
            assert ("finished", "") in others, others
            n_failed = 1 + sum(s == "failed" for s, _ in others)
            sweep = store.get_sweep(sweep_id)
            assert sweep["status"] == "finished" and f"{n_failed} failed" in sweep["message"], sweep
    finally:
        clusters.close()
        local.close()


def test_an_idle_local_cluster_that_closes_itself_is_reaped_at_once_and_quietly(caplog):
    """The scheduler closes after its idle timeout. Before, the client then tried to reconnect for 30 s and logged
    "Failed to reconnect to scheduler after 30.00 seconds, closing client", and the ended scheduler and worker
    command stayed <defunct> until the next sweep polled them."""
    local = LocalCluster(1, idle_timeout="2s")
    client, procs = local.client, list(local.processes)
    try:
        deadline = time.monotonic() + 90
        # returncode is set only by a wait() (a finished child nobody waited for is a zombie): the reaper's
        while any(p.returncode is None for p in procs) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert all(p.returncode is not None for p in procs), "the ended processes were not reaped"
        assert local.client is None and not local.alive() and client.status == "closed"
        assert not [r for r in caplog.records if "Failed to reconnect" in r.getMessage()]
    finally:
        local.close()
