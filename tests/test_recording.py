"""Run recording glue: real Trainers recorded into a real RunStore on tmp_path."""

import sqlite3

import pytest

from micrograd.studio import recording
from micrograd.studio import weights as export
from micrograd.studio.config import RunConfig
from micrograd.studio.runs import RunStore
from micrograd.studio.trainer import Trainer


def small(**changes) -> Trainer:
    base = dict(dataset="moons", samples=40, layers=[4], steps=12, engine="scalar", lr=0.1, lr_end=0.1)
    return Trainer(RunConfig(**{**base, **changes}))


def stored(path, run_id=None) -> tuple[dict, list[dict]]:
    with RunStore(path) as store:
        run_id = run_id or store.list_runs()[0]["id"]
        return store.get_run(run_id), store.get_steps(run_id)


def test_a_finished_run_has_config_data_every_step_metrics_and_weights(tmp_path):
    db = tmp_path / "runs.db"
    rec, tr = recording.Recorder(db), small()
    rec.sync(tr, running=False)
    assert rec.run_id is None  # no run before the first step: changing settings must not litter the store
    rec.sync(tr, running=True)
    tr.run(5)
    rec.sync(tr, running=True)
    tr.run()
    rec.sync(tr, running=False)
    assert tr.status == "finished" and rec.error == ""
    run, steps = stored(db)
    assert run["status"] == "finished" and run["steps"] == 12
    assert run["config"] == tr.config.to_dict() and run["data"] == tr.dataset.summary()
    assert [s["step"] for s in steps] == list(range(1, 13))
    assert steps[-1]["train_loss"] == pytest.approx(tr.history[-1]["train_loss"])
    assert run["train_accuracy"] == pytest.approx(tr.metrics()["train_accuracy"])
    assert run["wall_seconds"] is not None and run["wall_seconds"] >= 0
    loaded = export.loads(run["weights"])
    assert [p.data for p in loaded.model.parameters()] == [p.data for p in tr.model.parameters()]


def test_a_diverged_run_is_stored_as_diverged_with_its_message(tmp_path):
    db = tmp_path / "runs.db"
    rec, tr = recording.Recorder(db), small(lr=1e3, lr_end=1e3, loss="mse", layers=[8, 8], steps=200)
    rec.sync(tr, running=True)
    tr.run()
    rec.sync(tr, running=True)
    assert tr.status == "diverged"
    run, steps = stored(db)
    assert run["status"] == "diverged" and "diverged" in run["message"]
    assert len(steps) == tr.step_count


def test_paused_run_keeps_weights_and_becomes_interrupted_when_its_process_is_gone(tmp_path):
    db = tmp_path / "runs.db"
    rec, tr = recording.Recorder(db), small()
    rec.sync(tr, running=True)
    tr.run(3)
    rec.sync(tr, running=False)
    run, steps = stored(db)
    assert run["status"] == "paused" and len(steps) == 3 and run["weights"]  # weights survive a crash while paused
    # the server dies: pretend another (dead) process wrote the run, then reopen the store
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE runs SET pid = 2147483646, proc_token = 'gone'")
    run, _ = stored(db)
    assert run["status"] == "interrupted"


def test_a_paused_run_has_its_wall_time_so_far(tmp_path):
    """QA: the list showed "—" as a paused run's wall time; the pause's checkpoint now stores the time since its start."""
    db = tmp_path / "runs.db"
    now = [100.0]
    rec, tr = recording.Recorder(db, clock=lambda: now[0]), small()
    rec.sync(tr, running=True)
    tr.run(3)
    now[0] += 42.5
    rec.sync(tr, running=False)
    run, _ = stored(db)
    assert run["status"] == "paused" and run["wall_seconds"] == pytest.approx(42.5)


def test_replacing_the_trainer_ends_the_old_run_and_a_new_one_starts_at_its_first_step(tmp_path):
    db = tmp_path / "runs.db"
    rec, first = recording.Recorder(db), small()
    rec.sync(first, running=True)
    first.run(4)
    second = small(seed=7)
    rec.sync(second, running=False)  # e.g. Reset
    first.run(2)  # a late step of the replaced trainer is not recorded anywhere
    second.run(2)
    rec.sync(second, running=False)
    with RunStore(db) as store:
        old, new = sorted(store.list_runs(), key=lambda r: r["id"])
        assert old["status"] == "interrupted" and old["steps"] == 4 and len(store.get_steps(old["id"])) == 4
        assert new["status"] == "paused" and [s["step"] for s in store.get_steps(new["id"])] == [1, 2]
        assert new["config"]["seed"] == 7


def test_raising_the_budget_after_finishing_reopens_the_same_run(tmp_path):
    db = tmp_path / "runs.db"
    rec, tr = recording.Recorder(db), small(steps=3)
    rec.sync(tr, running=True)
    tr.run()
    rec.sync(tr, running=False)
    tr.update(steps=5)
    rec.sync(tr, running=True)
    tr.run()
    rec.sync(tr, running=False)
    run, steps = stored(db)
    assert run["status"] == "finished" and run["steps"] == 5 and len(steps) == 5
    tr.update(steps=6)  # one more step: the trainer is done again by the time its record arrives
    tr.run()
    rec.sync(tr, running=False)
    run, steps = stored(db)
    assert run["status"] == "finished" and run["steps"] == 6 and len(steps) == 6
    with RunStore(db) as store:
        assert len(store.list_runs()) == 1


def test_two_sessions_record_at_once_into_one_file(tmp_path):
    db = tmp_path / "runs.db"
    a, b = recording.Recorder(db), recording.Recorder(db)
    ta, tb = small(seed=1), small(seed=2, steps=8)
    a.sync(ta, True)
    b.sync(tb, True)
    for _ in range(12):  # interleaved steps, as two browser tabs' ticks would be
        ta.step()
        tb.step()
    a.sync(ta, False)
    b.sync(tb, False)
    with RunStore(db) as store:
        by_seed = {r["config"]["seed"]: r for r in store.list_runs()}
        assert by_seed[1]["steps"] == 12 and by_seed[2]["steps"] == 8
        assert len(store.get_steps(by_seed[1]["id"])) == 12 and len(store.get_steps(by_seed[2]["id"])) == 8
        assert {r["status"] for r in by_seed.values()} == {"finished"}


@pytest.mark.parametrize("kind", ["corrupt", "directory"])
def test_a_broken_store_is_a_message_and_training_goes_on(tmp_path, kind):
    db = tmp_path / "runs.db"
    if kind == "corrupt":
        db.write_bytes(b"this is not a database" * 100)
    else:
        db.mkdir()
    rec, tr = recording.Recorder(db), small()
    rec.sync(tr, True)
    assert tr.run() == "finished" and tr.step_count == 12
    rec.sync(tr, False)
    assert rec.error.startswith(f"Run store {db}") and "Training still works" in rec.error and rec.run_id is None
    db.unlink() if kind == "corrupt" else db.rmdir()  # fixed: the next run is recorded without a reload
    tr2 = small()
    rec.sync(tr2, True)
    tr2.run()
    rec.sync(tr2, False)
    assert rec.error == "" and stored(db)[0]["status"] == "finished"


def test_a_run_deleted_while_training_stops_recording_with_a_message(tmp_path):
    db = tmp_path / "runs.db"
    rec, tr = recording.Recorder(db), small(steps=60)
    rec.sync(tr, True)
    tr.run(2)
    with RunStore(db) as store:
        store.delete(rec.run_id)
    tr.run()
    rec.sync(tr, False)
    assert tr.status == "finished" and "no longer saved" in rec.error


def test_open_store_reports_a_foreign_database(tmp_path):
    db = tmp_path / "other.db"
    with sqlite3.connect(db) as conn:
        conn.execute("CREATE TABLE songs (title TEXT)")
    store, error = recording.open_store(db)
    assert store is None and "another program" in error and "MICROGRAD_DB" in error


def test_live_changes_reach_the_stored_settings(tmp_path):
    db = tmp_path / "runs.db"
    tr = Trainer(RunConfig(dataset="moons", samples=40, layers=[4], steps=10, loss="svm", lr=0.1))
    rec = recording.Recorder(db)
    rec.sync(tr, True)
    tr.run(3)
    tr.update(loss="bce", lr=0.01, steps=6)
    rec.sync(tr, False)  # pause: settings as they are now
    with RunStore(db) as store:
        (run,) = store.list_runs()
        assert run["loss"] == "bce" and store.get_run(run["id"])["config"]["lr"] == 0.01
    tr.run()
    rec.sync(tr, False)  # finished
    rec.close()
    with RunStore(db) as store:
        stored = store.get_run(run["id"])
    assert stored["status"] == "finished" and stored["config"]["steps"] == 6 and stored["config"]["loss"] == "bce"


# ---------------------------------------------------------------- initial weights, live changes, checkpoints


class Clock:
    """One settable clock for the store and the recorders (tests never sleep)."""

    def __init__(self, t: float = 1_800_000_000.0) -> None:
        self.t = t

    def __call__(self) -> float:
        return self.t


def test_a_run_keeps_the_weights_from_before_its_first_step(tmp_path):
    db = tmp_path / "runs.db"
    rec, tr = recording.Recorder(db), small()
    before = [p.data for p in tr.params]
    rec.watch(tr)
    tr.run()
    rec.close()
    run, _ = stored(db)
    initial = export.loads(run["initial_weights"])
    assert [p.data for p in initial.model.parameters()] == before != [p.data for p in tr.params]
    assert initial.metrics["step"] == 0 and initial.training == tr.config.to_dict()
    assert [p.data for p in tr.params] == [p.data for p in export.loads(run["weights"]).model.parameters()]


def test_every_live_change_is_logged_with_the_step_it_followed(tmp_path):
    db = tmp_path / "runs.db"
    rec, tr = recording.Recorder(db), small(steps=20)
    rec.sync(tr, True)
    tr.run(3)
    tr.update(lr=0.05, lr_end=0.05, momentum=0.5)  # between two ticks, as the sidebar does
    rec.sync(tr, True)
    tr.run(2)
    tr.update(loss="bce")  # no sync before the next step: the step's record reveals it
    tr.run(4)
    tr.config = tr.config.replace(data_seed=99)  # "New data"
    tr.run()
    rec.close()
    with RunStore(db) as store:
        changes = store.get_changes(rec.run_id)
    assert changes == [
        {"step": 3, "field": "lr", "value": 0.05},
        {"step": 3, "field": "lr_end", "value": 0.05},
        {"step": 3, "field": "momentum", "value": 0.5},
        {"step": 5, "field": "loss", "value": "bce"},
        {"step": 9, "field": "data_seed", "value": 99},
    ]
    assert [r["lr"] for r in tr.history[2:4]] == [0.1, 0.05]  # step 4 is the first with the new lr


def saves(tmp_path, steps: int) -> list[int | None]:
    """Train a small run of 1.5 s steps, recorded; after each step, the step of the stored weights (None: none).
    Stored weights are checked to be the trainer's own at that step, and the run still running."""
    db, clock = tmp_path / "runs.db", Clock()
    rec, tr = recording.Recorder(db, clock=clock), small(steps=steps)
    rec.sync(tr, True)
    saved: list[int | None] = []
    with RunStore(db) as store:
        for _ in range(steps):
            tr.step()
            clock.t += 1.5  # each step takes 1.5 s
            run = store.get_run(rec.run_id)
            loaded = export.loads(run["weights"]) if run["weights"] else None
            saved.append(None if loaded is None else loaded.metrics["step"])
            if loaded is not None and saved[-1] == tr.step_count:
                assert run["status"] == "running"
                assert [p.data for p in loaded.model.parameters()] == [p.data for p in tr.params]  # that very step's
    return saved


def test_a_large_nets_run_stores_its_weights_after_a_second_then_every_ten_seconds_of_training(tmp_path, monkeypatch):
    monkeypatch.setattr(recording, "SAVE_SHARE", 1e-12)  # a save as costly as a large net's: the slowest rate
    saved = sorted({s for s in saves(tmp_path, 40) if s is not None})
    # 1.5 s per step, the clock read before the step's time: the first save comes after 1 s, at step 2 (1.5 s), so a
    # run closed early still has weights; then every 10 s: step 9 (12 s), 16 (22.5 s), 23 (33 s)
    assert saved[:4] == [2, 9, 16, 23] and all(b - a <= 7 for a, b in zip(saved, saved[1:]))


def test_a_small_nets_run_stores_its_weights_every_second_of_training(tmp_path):
    """A save of a small net takes ~1 ms: saving every second costs ~0.1 %, and a reload loses at most a second."""
    # from the second step (1.5 s in) every step (1.5 s each) is saved
    assert saves(tmp_path, 10) == [None, *range(2, 11)]


def test_a_silent_session_s_run_is_closed_by_another_session_and_continues_if_it_comes_back(tmp_path):
    clock = Clock()
    store = RunStore(tmp_path / "runs.db", clock=clock)

    def session() -> recording.Recorder:
        return recording.Recorder(opener=lambda: (store, ""), heartbeat=True, clock=clock)

    a, b = session(), session()
    ta, tb = small(steps=50), small(seed=2, steps=50)
    a.sync(ta, True)
    for _ in range(9):
        ta.step()
        clock.t += 1.5
    a.sync(ta, True)  # a tick: heartbeat; weights saved at steps 2 (1.5 s) and 9 (12 s)
    run_a = a.run_id
    b.sync(tb, False)
    clock.t += 100  # a's tab was closed 100 s ago; b's session ticks
    b.sync(tb, False)
    assert store.get_run(run_a)["status"] == "running"  # not two minutes yet
    clock.t += 21
    b.sync(tb, False)
    run = store.get_run(run_a)
    assert run["status"] == "interrupted" and "session" in run["message"]
    assert export.loads(run["weights"]).metrics["step"] == 9  # its last saved weights
    # the tab comes back (a reconnect after the sweep): the same run goes on
    a.sync(ta, True)
    ta.run(5)
    a.sync(ta, False)
    run = store.get_run(run_a)
    assert run["status"] == "paused" and run["message"] == "" and run["steps"] == 14
    assert len(store.list_runs()) == 1  # b never stepped: no run of its own
    assert a.error == "" and b.error == ""
    store.close()


def test_a_session_that_keeps_ticking_keeps_its_run(tmp_path):
    clock = Clock()
    store = RunStore(tmp_path / "runs.db", clock=clock)
    a = recording.Recorder(opener=lambda: (store, ""), heartbeat=True, clock=clock)
    b = recording.Recorder(opener=lambda: (store, ""), heartbeat=True, clock=clock)
    tr, other = small(steps=100), small(seed=3)
    a.sync(tr, True)
    for _ in range(60):  # 6 minutes of ticks, 6 s apart; another session sweeps on each of its own
        tr.step()
        clock.t += 6
        a.sync(tr, True)
        b.sync(other, False)
    assert store.get_run(a.run_id)["status"] == "running"
    store.close()


def test_a_shared_store_is_left_open_by_close(tmp_path):
    store = RunStore(tmp_path / "runs.db")
    rec, tr = recording.Recorder(opener=lambda: (store, "")), small()
    rec.sync(tr, True)
    tr.run()
    rec.close()
    assert store.get_run(rec.run_id)["status"] == "finished"  # still open for the other sessions
    store.close()


def test_a_run_that_failed_on_a_bug_is_stored_as_failed_with_its_message_even_if_its_weights_cannot_be_written(
    tmp_path, monkeypatch
):
    """QA: a run failed ("TypeError: to_dict needs a micrograd.nn.MLP, got MLP"); writing its weights raised the
    same TypeError, so its record never ended and the store later called it interrupted by a closed session."""
    db = tmp_path / "runs.db"
    rec, tr = recording.Recorder(db), small(steps=50)
    rec.sync(tr, running=True)
    tr.run(5)

    def broken(*args, **kwargs):
        raise TypeError("to_dict needs a micrograd.nn.MLP, got MLP")

    monkeypatch.setattr(tr, "_gradient", broken)
    monkeypatch.setattr(tr, "export_json", broken)
    assert tr.step() is None and tr.status == "failed"
    rec.sync(tr, running=True)
    run, steps = stored(db)
    assert run["status"] == "failed" and "TypeError: to_dict needs a micrograd.nn.MLP" in run["message"]
    assert run["weights"] is None and [s["step"] for s in steps] == [1, 2, 3, 4, 5]


def test_a_paused_session_that_says_it_is_here_keeps_its_run_paused(tmp_path):
    """A paused tab ticks no more; the sidebar's keep-alive (ui.sidebar._keep_alive, every KEEPALIVE_SECONDS) syncs
    instead, so another session's sweep leaves its run paused. Silent for two minutes, it was called interrupted."""
    from micrograd.studio.runs import STALE_SECONDS
    from ui.options import KEEPALIVE_SECONDS

    assert KEEPALIVE_SECONDS * 3 <= STALE_SECONDS  # a throttled background tab's timer still beats in time
    clock = Clock()
    store = RunStore(tmp_path / "runs.db", clock=clock)
    kept, quiet, other = (recording.Recorder(opener=lambda: (store, ""), heartbeat=True, clock=clock) for _ in range(3))
    trainers = small(steps=50), small(seed=2, steps=50)
    for rec, tr in zip((kept, quiet), trainers):
        rec.sync(tr, True)
        tr.run(3)
        rec.sync(tr, False)  # Pause
    for _ in range(int(600 / KEEPALIVE_SECONDS)):  # ten minutes paused, another session ticking meanwhile
        clock.t += KEEPALIVE_SECONDS
        kept.sync(trainers[0], False)
        other.sync(small(seed=3), True)
    assert store.get_run(kept.run_id)["status"] == "paused"
    run = store.get_run(quiet.run_id)
    assert run["status"] == "interrupted" and "session" in run["message"]
    store.close()
