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


def test_a_run_without_initial_weights_or_on_a_csv_file_says_why_it_cannot_replay(tmp_path):
    store = RunStore(tmp_path / "runs.db")
    run_id = store.create_run(RunConfig().to_dict(), {"name": "moons"})
    with pytest.raises(ReplayError, match="no initial weights"):
        Replay(store, run_id)
    with pytest.raises(KeyError):
        Replay(store, 999)
    store.close()
