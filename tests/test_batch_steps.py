"""Trainer.batch(): steps measured together at its end record what steps measured one by one record, bit for bit."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from micrograd.fast import numeric
from micrograd.nn import MLP
from micrograd.studio import diagnostics
from micrograd.studio import trainer as trainer_module
from micrograd.studio.config import RunConfig
from micrograd.studio.trainer import Trainer


def same(a, b) -> bool:
    """Equal, with floats compared by their bits (nan equal to nan)."""
    if isinstance(a, float) and isinstance(b, float):
        return a.hex() == b.hex() if not (math.isnan(a) and math.isnan(b)) else True
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, dict) and isinstance(b, dict):
        return list(a) == list(b) and all(same(a[k], b[k]) for k in a)
    return type(a) is type(b) and a == b


def snapshot(tr: Trainer) -> dict:
    """What a run leaves for its pages and stores, without the timings."""
    history = [{k: v for k, v in r.items() if k != "seconds"} for r in tr.history]
    series = {k: list(v) for k, v in tr.monitor.series.items()}
    weights = [p.data for p in tr.params]
    return {
        "history": history,
        "series": series,
        "warnings": dict(tr.monitor.warnings),
        "last": None if tr.monitor.last is None else repr(tr.monitor.last),
        "status": str(tr.status),
        "message": tr.message,
        "step": tr.step_count,
        "weights": weights,
    }


CASES = [
    pytest.param(dict(steps=0), id="default-moons"),
    pytest.param(dict(steps=0, activation="tanh", loss="bce", lr=0.3, test_fraction=0.3), id="tanh-bce"),
    pytest.param(dict(steps=0, activation="sigmoid", loss="mse", layers=[8, 8, 8], lr=0.5), id="sigmoid-vanishing"),
    pytest.param(dict(steps=0, lr=40.0, momentum=0.9), id="diverges"),
    pytest.param(dict(steps=0, lr=10.0, l2=0.0, layers=[2], seed=1), id="relu-dies"),
    pytest.param(dict(steps=0, lr=20.0, l2=0.0, layers=[8], activation="tanh"), id="tanh-saturates"),
    pytest.param(dict(steps=0, dataset="breast_cancer", batch_size=64, layers=[16, 16], lr=0.1), id="wide-batched"),
    pytest.param(dict(steps=0, dataset="blobs", task="multiclass", loss="ce", lr=0.2), id="multiclass"),
    pytest.param(dict(steps=0, dataset="sine", task="regression", loss="huber", lr=0.05), id="regression"),
    pytest.param(dict(steps=30, schedule="linear"), id="budget-ends-inside-a-batch"),
]


@pytest.mark.parametrize("changes", CASES)
def test_batched_steps_record_what_single_steps_record(changes):
    config = RunConfig(**changes)
    one, many = Trainer(config), Trainer(config)
    for _ in range(70):
        one.step()
    seen = []
    many.on_step = lambda r: seen.append(r["step"])
    for size in (1, 5, 17, 47):  # batches of several sizes, the last past the budget or the divergence
        with many.batch():
            for _ in range(size):
                if many.step() is None:
                    break
    a, b = snapshot(one), snapshot(many)
    assert a["step"] > 0
    for key in a:
        assert same(a[key], b[key]), key
    assert seen == [r["step"] for r in many.history]


def test_the_cases_cover_what_the_batch_must_agree_on():
    """The cases above reach the branches: a divergence, a dead network, saturation or vanishing warnings, a budget."""
    ends, warnings = set(), set()
    for case in CASES:
        tr = Trainer(RunConfig(**case.values[0]))
        tr.run(70)
        ends.add(str(tr.status))
        warnings |= {k.rstrip("0123456789") for k in tr.monitor.warnings}
    assert {"diverged", "finished", "training"} <= ends
    assert {"dead", "saturated", "vanishing"} <= warnings


def test_inside_a_batch_the_record_fills_at_its_end():
    tr = Trainer(RunConfig(steps=0))
    with tr.batch():
        record = tr.step()
        assert record is not None and record["train_loss"] is None
        assert tr.history == []
        weights = tr.weights().copy()
        with tr.batch():  # nested: one batch
            tr.step()
        assert tr.history == []
    assert [r["step"] for r in tr.history] == [1, 2]
    assert isinstance(record["train_loss"], float)
    assert not np.array_equal(weights, tr.weights())


@pytest.mark.parametrize("engine", ["compiled", "scalar"])
def test_inside_a_batch_weights_and_layers_are_each_steps_and_the_values_follow_at_its_end_or_sync(engine):
    config = RunConfig(steps=0, engine=engine, samples=40, layers=[6])
    alone, tr = Trainer(config), Trainer(config)
    start = [p.data for p in tr.params]
    with tr.batch():
        for _ in range(4):
            alone.step()
            tr.step()
            want = [p.data for p in alone.params]  # outside a batch the Values hold each step's weights
            assert tr.weights().tolist() == want
            for got, exp in zip(tr.layers(), numeric.layers_of(alone.model)):
                assert np.array_equal(got.weight, exp.weight) and np.array_equal(got.bias, exp.bias)
            if engine == "compiled":  # written at the batch's end: the gradient works on vectors throughout
                assert [p.data for p in tr.params] == start
            else:  # the scalar engine's next step reads the Values
                assert [p.data for p in tr.params] == want
        tr.sync()
        assert [p.data for p in tr.params] == want
        assert [p.grad for p in tr.params] == [p.grad for p in alone.params]
        tr.step()
        alone.step()
    assert [p.data for p in tr.params] == [p.data for p in alone.params]
    assert [p.grad for p in tr.params] == [p.grad for p in alone.params]


def test_what_reads_the_model_inside_a_batch_sees_the_newest_step():
    """The run recorder's checkpoint (export_json), metrics() and fork() read the model: they sync first."""
    alone, tr = Trainer(RunConfig(steps=0)), Trainer(RunConfig(steps=0))
    with tr.batch():
        for _ in range(3):
            tr.step()
            alone.step()
        files = [json.loads(t.export_json()) for t in (tr, alone)]
        for f in files:
            del f["metrics"]["train_seconds"]  # time, not weights
        assert files[0] == files[1]
        assert same(tr.evaluate(), alone.evaluate())
        twin = tr.fork()
        assert [p.data for p in twin.params] == [p.data for p in alone.params]


def test_a_pause_inside_a_batch_keeps_the_steps_taken():
    tr = Trainer(RunConfig(steps=0))
    with tr.batch():
        tr.step()
        tr.request_stop()
        assert tr.step() is None
    assert [r["step"] for r in tr.history] == [1]


def test_a_fork_takes_no_batch_with_it():
    tr = Trainer(RunConfig(steps=0))
    with tr.batch():
        tr.step()
        twin = tr.fork()
        twin.step()
        assert len(twin.history) == 1  # measured at once: the twin is outside any batch
    assert len(tr.history) == 1


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_a_forward_pass_over_many_weight_vectors_is_forward_all_on_each(seed):
    rng = np.random.default_rng(seed)
    model = MLP(5, [7, 3, 2], activation="tanh", seed=seed)
    params = model.parameters()
    index = numeric.layer_index(model, params)
    thetas = rng.normal(scale=3.0, size=(9, len(params)))
    X = rng.normal(size=(31, 5))
    stacked = numeric.forward_stack(thetas, index, X)
    for b, theta in enumerate(thetas):
        for got, want in zip(stacked, numeric.forward_all(numeric.layers_from(theta, index), X)):
            assert got[b].tobytes() == want.tobytes()


def test_losses_and_accuracies_are_loss_and_accuracy_per_row():
    rng = np.random.default_rng(4)
    S = rng.normal(size=(6, 40)) * 3
    S[2, 5] = np.nan
    y = np.where(rng.random(40) > 0.5, 1.0, -1.0)
    for name in ("svm", "bce", "mse"):
        losses, accs = numeric.losses_and_accuracies(name, S, y)
        for b in range(len(S)):
            want = numeric.loss_and_accuracy(name, S[b], y)
            assert same((losses[b], accs[b]), want)
    empty = numeric.losses_and_accuracies("svm", np.zeros((3, 0)), y[:0])
    assert all(math.isnan(v) for column in empty for v in column) and len(empty[0]) == 3


def test_layer_health_of_many_steps_is_layer_health_of_each():
    rng = np.random.default_rng(5)
    model = MLP(3, [6, 4, 1], activation="tanh", seed=5)
    params = model.parameters()
    index = numeric.layer_index(model, params)
    thetas = rng.normal(scale=4.0, size=(5, len(params)))  # large weights: saturated tanh units
    thetas[3, :] = 0.0  # all outputs 0: dead layers
    X = rng.normal(size=(25, 3))
    X_bad = X.copy()
    X_bad[0, 0] = np.inf  # non-finite outputs in every step: the rows' finite values only
    norms = [rng.random(3).tolist() for _ in thetas]
    kinds = set()
    for data in (X, X_bad, X[:0]):
        outs = numeric.forward_stack(thetas, index, data)
        got = diagnostics.layer_health_stack(["tanh", "tanh", "linear"], outs, norms)
        for b, theta in enumerate(thetas):
            layers = numeric.layers_from(theta, index)
            want = diagnostics.layer_health(layers, data, norms[b])
            assert same(repr(got[b]), repr(want))
            kinds |= {"saturated" for h in want if h.saturated} | {"dead" for h in want if h.dead}
            kinds |= {"empty" for h in want if not h.activations}
    assert kinds == {"saturated", "dead", "empty"}  # the inputs reach each branch


def test_big_data_is_measured_a_few_steps_at_a_time_inside_a_batch():
    """Steps x rows x the widest layer stay under STACK_ELEMENTS: the digits' 1,437 rows x 32 units are measured a few
    steps at a time (a tick's arrays stay small, and its last pause short), with the same records."""
    config = RunConfig(dataset="digits", task="multiclass", loss="ce", layers=[32], batch_size=128, steps=0, lr=0.3)
    one, many = Trainer(config), Trainer(config)
    for _ in range(12):
        one.step()
    every = -(-trainer_module.STACK_ELEMENTS // (len(many.dataset.X_train) * 32))  # steps measured together
    assert 1 < every < 12
    with many.batch():
        for k in range(12):
            many.step()
            assert len(many.history) == (k + 1) // every * every
    assert same(snapshot(one), snapshot(many))


def test_a_setting_changed_inside_a_batch_applies_from_the_next_step_as_outside():
    config = RunConfig(steps=0)
    many = Trainer(config)
    with many.batch():
        for _ in range(5):
            many.step()
        many.update(loss="bce", lr=0.5)  # measured now: the first five steps with svm, as they trained
        for _ in range(5):
            many.step()
    plain = Trainer(config)
    for _ in range(5):
        plain.step()
    plain.update(loss="bce", lr=0.5)
    for _ in range(5):
        plain.step()
    assert same(snapshot(plain), snapshot(many))
    assert plain.history[0]["train_loss"] != plain.history[-1]["train_loss"]


def test_graph_snapshots_taken_inside_a_batch_hold_each_steps_weights():
    from micrograd.views import series

    alone, tr = Trainer(RunConfig(steps=0)), Trainer(RunConfig(steps=0))
    a, b = series.SnapshotSeries(every=2), series.SnapshotSeries(every=2)
    with tr.batch():
        for _ in range(6):
            alone.step()
            tr.step()
            a.take(alone)
            b.take(tr)
    assert b.steps() == a.steps() == [2, 4, 6]
    for i in range(3):
        got, want = b.model_at(i).parameters(), a.model_at(i).parameters()
        assert [p.data for p in got] == [p.data for p in want]
    assert [p.data for p in b.model_at(0).parameters()] != [p.data for p in b.model_at(2).parameters()]
