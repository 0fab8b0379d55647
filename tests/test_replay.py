"""Replay a stored run from its initial weights and change log (micrograd/studio/replay.py)."""

import pytest

from micrograd.studio import recording
from micrograd.studio.config import RunConfig
from micrograd.studio.replay import Replay, ReplayError
from micrograd.studio.runs import RunStore
from micrograd.studio.trainer import Trainer


def record(tmp_path, config: RunConfig, steps: int, change_at: int | None = None):
    """Train and record a run (a live lr and momentum change after change_at steps); the step-1 gradients too."""
    store = RunStore(tmp_path / "runs.db")
    rec = recording.Recorder(opener=lambda: (store, ""))
    tr = Trainer(config)
    rec.watch(tr)
    tr.step()
    grads1 = [p.grad for p in tr.params]
    for _ in range(steps - 1):
        if change_at is not None and tr.step_count == change_at:
            tr.update(lr=0.3, momentum=0.9)
        tr.step()
    rec.sync(tr, running=False)
    rec.close()
    (run,) = store.list_runs()
    return store, run["id"], tr, grads1


@pytest.mark.parametrize("engine", ["compiled", "scalar"])
def test_replay_reproduces_the_stored_runs_step_1_gradients_bit_for_bit(tmp_path, engine):
    config = RunConfig(layers=[8], lr=0.1, steps=20, batch_size=16, engine=engine)
    store, run_id, original, grads1 = record(tmp_path, config, 6, change_at=3)
    r = Replay(store, run_id)
    assert r.step == 0 and r.length == 6
    r.step_once()
    assert [p.grad for p in r.trainer.params] == grads1  # bit for bit, not approximately
    r.seek(6)  # through the live change after step 3
    assert [p.data for p in r.trainer.params] == [p.data for p in original.params]
    assert [h["loss"] for h in r.trainer.history] == [h["loss"] for h in original.history]
    assert r.matches() and r.trainer.config.lr == 0.3 and r.trainer.config.momentum == 0.9
    r.seek(2)  # back: restarts from the initial weights
    assert r.step == 2 and [h["loss"] for h in r.trainer.history] == [h["loss"] for h in original.history[:2]]
    store.close()


def csv_run(tmp_path, store, data: bytes, steps: int = 3):
    """A recorded run on a CSV file, the file handed to the recorder as the dashboard's upload record."""
    path = tmp_path / "points.csv"
    path.write_bytes(data)
    config = RunConfig(dataset="csv", csv=str(path), layers=[4], lr=0.1, steps=10, batch_size=8, engine="scalar")
    rec = recording.Recorder(opener=lambda: (store, ""), data_file=lambda: ("points.csv", data))
    tr = Trainer(config)
    rec.watch(tr)
    tr.step()
    grads1 = [p.grad for p in tr.params]
    tr.run(steps - 1)
    rec.sync(tr, running=False)
    run_id = rec.run_id
    rec.close()
    path.unlink()  # replay reads the store's copy, not the file
    return run_id, tr, grads1


def test_a_csv_run_keeps_its_file_and_replays_its_step_1_gradients_bit_for_bit(tmp_path):
    import numpy as np

    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 2))
    rows = "\n".join(f"{a:.6f},{b:.6f},{'red' if a * b > 0 else 'blue'}" for a, b in X)
    data = f"u,v,colour\n{rows}\n".encode()
    store = RunStore(tmp_path / "runs.db")
    run_id, original, grads1 = csv_run(tmp_path, store, data)
    assert store.get_data_file(run_id) == ("points.csv", data)
    r = Replay(store, run_id)
    r.step_once()
    assert [p.grad for p in r.trainer.params] == grads1  # bit for bit, from the stored bytes
    r.seek(3)
    assert r.matches() and [p.data for p in r.trainer.params] == [p.data for p in original.params]
    # the same file for a second run is stored once; it goes with the last run that uses it
    again, _, _ = csv_run(tmp_path, store, data, steps=1)
    count = lambda: store._conn.execute("SELECT COUNT(*) FROM data_files").fetchone()[0]  # noqa: E731
    assert count() == 1 and store.get_data_file(again) == ("points.csv", data)
    store.delete(run_id)
    assert count() == 1 and store.get_data_file(again) is not None
    store.delete(again)
    assert count() == 0
    store.close()


def test_a_csv_file_over_the_upload_limit_is_not_kept_and_the_run_says_why_it_cannot_replay(tmp_path, monkeypatch):
    from micrograd.studio import runs

    monkeypatch.setattr(runs, "DATA_FILE_LIMIT", 10)
    store = RunStore(tmp_path / "runs.db")
    run_id, _, _ = csv_run(tmp_path, store, b"u,v,y\n" + b"0.5,0.25,1\n-0.5,0.75,-1\n" * 10, steps=1)
    assert store.get_data_file(run_id) is None
    with pytest.raises(ReplayError, match="no copy"):
        Replay(store, run_id)
    store.close()


def test_a_run_without_initial_weights_or_on_a_csv_file_says_why_it_cannot_replay(tmp_path):
    store = RunStore(tmp_path / "runs.db")
    run_id = store.create_run(RunConfig().to_dict(), {"name": "moons"})
    with pytest.raises(ReplayError, match="no initial weights"):
        Replay(store, run_id)
    with pytest.raises(KeyError):
        Replay(store, 999)
    store.close()


@pytest.mark.parametrize("kept", [True, False])
def test_a_run_on_drawn_points_replays_from_the_points_the_store_kept(tmp_path, kept):
    """QA: a drawn run could not be replayed ("build them with datasets.from_arrays"); the store now keeps its points."""
    from micrograd.studio import drawn

    drawing = drawn.points(
        "classes", [0, 1, 2, 3, 0.5, 1.5, 2.5, 3.5], [0, 1, 0, 1, 3, 4, 3, 4], [0, 0, 0, 0, 1, 1, 1, 1]
    )
    config = RunConfig(dataset="drawn", steps=5, layers=[4], lr=0.3)
    store = RunStore(tmp_path / "runs.db")
    data_file = (lambda: ("drawn.csv", drawn.to_csv(drawing))) if kept else None  # as the dashboard's session gives it
    rec = recording.Recorder(opener=lambda: (store, ""), data_file=data_file)
    tr = Trainer(config, drawn.to_dataset(drawing))
    rec.watch(tr)
    tr.run()
    rec.sync(tr, running=False)
    (run,) = store.list_runs()
    if not kept:  # recorded by an older version: no copy of the points
        with pytest.raises(ReplayError) as e:
            Replay(store, run["id"])
        assert str(e.value) == (
            f"run #{run['id']} was trained on points drawn on the Train page, and the run store has no copy of them "
            "(recorded by an older version), so it cannot be replayed"
        )
        return
    r = Replay(store, run["id"])
    r.seek(5)
    assert (
        r.trainer.step_count == 5
        and r.matches()
        and [h["loss"] for h in r.trainer.history] == [h["loss"] for h in tr.history]
    )
    store.close()
