"""Snapshot series: the Graph page's history of a run (every N steps, the chosen example, limits, the neuron view)."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from micrograd.nn import MLP
from micrograd.studio.config import RunConfig
from micrograd.studio.trainer import Trainer
from micrograd.views import graph as G
from micrograd.views import series as S
from tests.test_graph import X, Y, small

__all__ = ["fake_trainer"]

# snapshot series


def fake_trainer(model: MLP | None = None, loss: str = "svm", n: int = 5):
    """Just what SnapshotSeries reads from a Trainer: step_count, model, config.loss and the training data."""
    rng = np.random.default_rng(0)
    data = SimpleNamespace(
        X_train=rng.normal(size=(n, 2)), y_train=np.where(np.arange(n) % 2, 1.0, -1.0), feature_names=["u", "v"]
    )
    data.n_features = 2
    return SimpleNamespace(step_count=0, model=model or small(), config=SimpleNamespace(loss=loss), dataset=data)


def run(series: S.SnapshotSeries, tr, steps: range, lr: float = 0.1) -> list[int]:
    """Move the weights a little each step (as training would) and return the steps at which snapshots were taken."""
    taken = []
    for k in steps:
        tr.step_count = k
        if series.take(tr):
            taken.append(k)
        for p in tr.model.parameters():
            p.data -= lr * (0.5 + 0.1 * k)
    return taken


def test_series_takes_every_n_steps_once():
    s, tr = S.SnapshotSeries(every=10), fake_trainer()
    assert run(s, tr, range(26)) == [0, 10, 20]
    assert [snap.step for snap in s.snapshots] == [0, 10, 20] and len(s) == 3
    assert tr.step_count == 25 and not s.take(tr) and s.take(tr, force=True)  # force takes an off-multiple step
    assert s.snapshots[-1].step == 25
    assert not s.take(tr, force=True)  # same step and example: not twice
    s.every = 7
    assert run(s, tr, range(26, 36)) == [28, 35]
    with pytest.raises(ValueError, match="every must be a whole number"):
        s.every = 0


def test_series_traces_the_chosen_example():
    s, tr = S.SnapshotSeries(every=1), fake_trainer()
    s.set_example(index=3)
    assert s.take(tr)
    snap = s.snapshots[-1]
    assert snap.x == tuple(tr.dataset.X_train[3]) and snap.y == tr.dataset.y_train[3] == 1.0
    assert sorted(n.name for n in snap.nodes if n.kind == "input") == ["u", "v"]
    s.set_example([0.5, -1.5], -1.0)
    assert s.take(tr)  # same step, another example: taken
    assert (s.snapshots[-1].x, s.snapshots[-1].y) == ((0.5, -1.5), -1.0) and len(s) == 2
    assert s.snapshots[-1].loss != snap.loss
    s.set_example(index=7)
    with pytest.raises(ValueError, match="training point 7 does not exist: the training set has points 0 to 4"):
        s.take(tr)
    assert not S.take_snapshot(s, tr)  # the hook for ui.py swallows it: training must go on
    s.set_example([1.0, 2.0, 3.0], 1.0)
    with pytest.raises(ValueError, match="3 coordinates but the data has 2 features"):
        s.take(tr)
    with pytest.raises(ValueError, match="finite numbers"):
        s.set_example([float("nan"), 1.0], 1.0)
    with pytest.raises(ValueError, match="either a training point"):
        s.set_example([1.0, 2.0])
    with pytest.raises(ValueError, match="index must be a whole number"):
        s.set_example(index=-1)


def test_an_example_chosen_again_at_the_same_step_is_the_newest_snapshot():
    """Typed (0.5, 0.5), then (-1, 0.25), then (0.5, 0.5) again, paused: the last snapshot is (0.5, 0.5)."""
    s, tr = S.SnapshotSeries(every=10), fake_trainer()
    tr.step_count = 3
    for x in ([0.5, 0.5], [-1.0, 0.25], [0.5, 0.5]):
        s.set_example(x, 1.0)
        assert s.take(tr, force=True)
    assert [snap.x for snap in s.snapshots] == [(-1.0, 0.25), (0.5, 0.5)]  # it kept (-1, 0.25) last: shown
    assert not s.take(tr, force=True)  # the newest already: nothing to do
    tr.step_count = 4
    assert s.take(tr, force=True) and [snap.step for snap in s.snapshots] == [3, 3, 4]


def test_series_limit_and_model_at():
    s, tr = S.SnapshotSeries(every=1, limit=4), fake_trainer()
    weights = {}
    for k in range(6):
        tr.step_count = k
        weights[k] = [p.data for p in tr.model.parameters()]
        assert s.take(tr)
        for p in tr.model.parameters():
            p.data += 0.01 * (k + 1)
    assert [snap.step for snap in s.snapshots] == [2, 3, 4, 5]
    for i, snap in enumerate(s.snapshots):
        assert [p.data for p in s.model_at(i).parameters()] == weights[snap.step]
        again = G.snapshot(s.model_at(i), snap.x, snap.y, "svm", snap.step, ["u", "v"])
        assert again == snap  # the stored weights reproduce the stored graph exactly
    assert s.model_at(0) is not tr.model
    with pytest.raises(IndexError, match="there are 4 snapshots"):
        s.model_at(4)


def test_series_clears_when_the_graph_or_run_changes():
    s, tr = S.SnapshotSeries(every=1), fake_trainer()
    run(s, tr, range(3))
    assert len(s) == 3
    tr.config.loss = "mse"  # a different loss tail: a different graph
    tr.step_count = 3
    assert s.take(tr) and len(s) == 1 and s.snapshots[0].loss_name == "mse"
    tr.model = MLP(2, [2, 1], activation="tanh", seed=0)  # same shape, other ops
    tr.step_count = 4
    assert s.take(tr) and len(s) == 1
    tr.step_count = 5
    assert s.take(tr) and len(s) == 2
    tr.step_count = 1  # an earlier step: a reset run
    assert s.take(tr) and [snap.step for snap in s.snapshots] == [1]
    other = fake_trainer()  # a new trainer object, at a later step
    other.step_count = 9
    assert s.take(other) and [snap.step for snap in s.snapshots] == [9]
    s.clear()
    assert len(s) == 0 and s.every == 1


def test_series_uses_the_neuron_view_for_big_nets():
    s, tr = S.SnapshotSeries(every=5), fake_trainer(MLP(2, [24, 24, 1], seed=1))
    assert run(s, tr, range(6), lr=0.001) == [0, 5]
    a, b = s.snapshots
    assert isinstance(b, G.NeuronSnapshot) and b.comparable(a) and b.x == tuple(tr.dataset.X_train[0])
    assert not b.comparable(G.neuron_snapshot(MLP(2, [24, 23, 1]), b.x, b.y, "svm"))
    assert not G.snapshot(small(), X, Y, "svm").comparable(b) and not b.comparable(G.snapshot(small(), X, Y, "svm"))
    detail = G.neuron_detail_snapshot(s.model_at(0), 1, 3, a.x, a.y, "svm", 0, ["u", "v"])
    z = next(n for n in detail.nodes if n.name == "layers.1.3.z")
    assert z.data == next(n.z for n in a.neurons if (n.layer, n.index) == (1, 3))


@pytest.mark.parametrize("layers", [[2, 1], [24, 24, 1]], ids=["scalar view", "neuron view"])
def test_training_snapshots_are_traced_when_read_and_equal_the_graph_at_their_step(monkeypatch, layers):
    """Training only copies the weights (the Train page pays nothing for the Graph page's history); a snapshot read
    later is the graph the model had at its step, exactly."""
    s, tr = S.SnapshotSeries(every=2), fake_trainer(MLP(2, layers, activation="tanh", seed=3))
    make = G.snapshot if layers == [2, 1] else G.neuron_snapshot
    at_the_time = {}
    for k in range(7):
        tr.step_count = k
        if k % 2 == 0:
            at_the_time[k] = make(tr.model, tuple(tr.dataset.X_train[0]), -1.0, "svm", k, ["u", "v"])
        s.take(tr)
        for p in tr.model.parameters():
            p.data -= 0.05 * (k + 1)
    traced = []
    monkeypatch.setattr(S, "snapshot", lambda *a, **kw: traced.append(a) or G.snapshot(*a, **kw))
    monkeypatch.setattr(S, "neuron_snapshot", lambda *a, **kw: traced.append(a) or G.neuron_snapshot(*a, **kw))
    assert s.steps() == [0, 2, 4, 6] and traced == []  # the steps are known without tracing
    assert s.snapshots[2] == at_the_time[4] and len(traced) == 1
    assert s.snapshots[2] is s.snapshots[2] and len(traced) == 1  # traced once, then kept
    assert list(s.snapshots) == [at_the_time[k] for k in (0, 2, 4, 6)] and len(traced) == 4
    assert s.snapshots[-1] == at_the_time[6] and s.snapshots[1:3] == [at_the_time[2], at_the_time[4]]
    tr.step_count = 8
    assert s.take(tr, force=True) and len(traced) == 5  # a forced snapshot (pause, step, the page) is traced at once
    with pytest.raises(IndexError):
        s.snapshots[5]


def test_take_snapshot_ignores_anything_but_a_series():
    tr = fake_trainer()
    assert not S.take_snapshot([], tr) and not S.take_snapshot(None, tr, force=True)
    s = S.SnapshotSeries(every=3)
    tr.step_count = 1
    assert not S.take_snapshot(s, tr) and S.take_snapshot(s, tr, force=True) and len(s) == 1


def test_a_loss_changed_at_the_same_step_gets_its_own_snapshot():
    """QA: the mse-vs-svm lesson's "switch the loss to SVM" left the finished run's MSE graph on the Graph page."""
    tr = Trainer(RunConfig(samples=20, layers=[3], loss="mse", steps=2))
    tr.run()
    s = S.SnapshotSeries()
    assert s.take(tr, force=True) and s.snapshots[-1].loss_name == "mse"
    assert not s.take(tr, force=True)  # the same step, example and loss: nothing new
    tr.update(loss="svm")
    assert s.take(tr, force=True) and s.snapshots[-1].loss_name == "svm"
