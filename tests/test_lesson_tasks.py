"""The Graph page's lesson for every task: cross-entropy, multi-class hinge and regression graphs of one example."""

import math

import numpy as np
import pytest

from micrograd import losses
from micrograd.engine import Value
from micrograd.fast import numeric
from micrograd.fast.arrays import TASK_LOSSES
from micrograd.nn import MLP
from micrograd.studio.config import RunConfig
from micrograd.studio.trainer import Trainer
from micrograd.views import graph as G
from micrograd.views import lesson as L
from micrograd.views import series as S
from tests.test_lesson import by_name, shown_equals, split_top


def chain_lines(les: L.Lesson) -> list[str]:
    return [t for s in les.steps if s.phase == "backward" for t in s.lines if t.startswith("∂L/∂")]


def engine_grads(model: MLP, x, y: int) -> tuple[float, list[float], list[float]]:
    """The loss, d loss / d scores and d loss / d params of one example, straight from the engine and losses.py."""
    model.zero_grad()
    out = model([Value(v) for v in x])
    loss = losses.task_loss("multiclass", "ce")(out, y)
    loss.backward()
    return loss.data, [s.grad for s in out], [p.grad for p in model.parameters()]


@pytest.mark.parametrize("granularity", L.GRANULARITIES)
def test_a_2_3_3_cross_entropy_step_through_reads_back_as_the_engines_numbers(granularity):
    model, x, y = MLP(2, [3, 3], "tanh", seed=4), [0.7, -1.2], 2
    t = G.trace_example(model, x, y, "ce", task="multiclass")
    les = L.build(t, "ce", granularity)
    ids = by_name(les)
    loss, dscores, dparams = engine_grads(model, x, y)
    assert t.root.data == loss and les.loss == loss
    # the engine's own gradients: every parameter and every score
    for (name, _), g in zip(model.named_parameters(), dparams):
        assert les.grads[t.names.index(name)] == g
    for k, g in enumerate(dscores):
        assert les.grads[ids[f"z1[{k}]"]] == g
    # the K scores feed one logsumexp node whose local derivatives are the softmax
    lse = ids["lse"]
    assert t.order[lse].op == "logsumexp" and len(t.order[lse].children) == 3
    soft = np.exp(np.array([les.values[ids[f"z1[{k}]"]] for k in range(3)]) - les.values[lse])
    assert list(t.order[lse].local_grads) == pytest.approx(soft.tolist(), rel=1e-12) and sum(soft) == pytest.approx(1)
    fwd = [s for st in les.steps if st.phase == "forward" for s in st.lines if "=" in s]
    for line in fwd:
        name, *_, result = line.split(" = ")
        assert shown_equals(result, les.values[ids[name]]), line
    bwd = chain_lines(les)
    assert bwd[0] == "∂L/∂L = 1 (the loss with respect to itself)"
    for line in bwd[1:]:
        head, sym, nums, result = line.split(" = ")
        i = ids[head.removeprefix("∂L/∂")]
        assert shown_equals(result, les.grads[i]), line
        terms, sterms = nums.split(" + "), split_top(sym)
        assert len(terms) == len(sterms)
        total = 0.0
        for term, sterm in zip(terms, sterms):
            upstream, local = term.split(" · ")
            assert shown_equals(upstream, les.grads[ids[sterm.split(" · ")[0].removeprefix("∂L/∂")]]), line
            total += L.parse_number(upstream) * L.parse_number(local)
        assert total == pytest.approx(les.grads[i], rel=2e-3, abs=1e-6), line
    # the true class's score is used twice (by lse and by −s_y): softmax − 1, both terms shown
    zy = next(t for t in bwd if t.startswith(f"∂L/∂z1[{y}] ="))
    assert f"e^(z1[{y}] − lse)" in zy and len(zy.split(" = ")[2].split(" + ")) == 2
    assert shown_equals(zy.split(" = ")[-1], soft[y] - 1)
    other = next(t for t in bwd if t.startswith("∂L/∂z1[0] ="))
    assert "e^(z1[0] − lse)" in other and shown_equals(other.split(" = ")[-1], soft[0])
    assert any("the softmax" in s for st in les.steps for s in st.lines)


def test_multiclass_hinge_and_the_graph_size_of_every_task():
    m = MLP(2, [3, 4], "relu", seed=1)
    for loss, y in (("ce", 3), ("hinge", 1)):
        snap = G.snapshot(m, [0.2, -0.4], y, loss)
        assert snap.task == "multiclass" and G.graph_size(m, loss) == len(snap.nodes)
        assert snap.loss == pytest.approx(
            TASK_LOSSES["multiclass"][loss](
                numeric.outputs(numeric.layers_of(m), np.array([[0.2, -0.4]])), np.array([y])
            )[0]
        )
    r = MLP(1, [5, 2], "tanh", seed=0)
    snap = G.snapshot(r, [0.3], (0.5, -1.0), "huber", task="regression")
    assert sorted(n.name for n in snap.nodes if n.kind == "label") == ["y1", "y2"] and G.graph_size(r, "huber") == len(
        snap.nodes
    )
    with pytest.raises(ValueError, match="from 0 to 3"):
        G.snapshot(m, [0.2, -0.4], 4, "ce")
    with pytest.raises(ValueError, match="does not fit"):
        G.snapshot(m, [0.2, -0.4], 1, "huber", task="multiclass")


def test_a_regression_graph_and_its_step_through():
    model, x, y = MLP(1, [4, 1], "tanh", seed=3), [0.8], 0.25
    for loss in ("mse", "huber"):
        t = G.trace_example(model, x, y, loss, task="regression")
        score = model([Value(0.8)])
        want = losses.task_loss("regression", loss)([score], y)
        assert t.root.data == want.data
        les = L.build(t, loss, "neuron")
        ids = by_name(les)
        assert t.kinds[ids["y"]] == "label"
        line = next(s for s in chain_lines(les) if s.startswith("∂L/∂z1[0] ="))
        assert shown_equals(line.split(" = ")[-1], les.grads[ids["z1[0]"]])
        if loss == "huber":
            assert "clip(" in line


def test_the_hardest_example_is_the_highest_cross_entropy():
    cfg = RunConfig(dataset="blobs", task="multiclass", classes=3, loss="ce", layers=[4], steps=20, samples=60)
    tr = Trainer(cfg)
    tr.run(3)
    d = tr.dataset
    i, loss = L.hardest_example(tr.model, d.X_train, d.y_train, "ce", "multiclass")
    engine = [G.trace_example(tr.model, xr, int(yr), "ce").root.data for xr, yr in zip(d.X_train, d.y_train)]
    assert loss == pytest.approx(max(engine), rel=1e-12) and engine[i] == pytest.approx(max(engine), rel=1e-12)
    assert L.hardest_example(tr.model, d.X_train, d.y_train, "ce") == (i, loss)  # the task read from the loss
    # the series traces the point with its class, and the update line uses the task's compiled loss
    s = S.SnapshotSeries(every=1)
    s.set_example(index=i)
    assert s.take(tr, force=True) and s.snapshots[-1].task == "multiclass" and s.snapshots[-1].y == d.y_train[i]
    u = L.next_update(tr)
    tr.step()
    assert [p.data for p in tr.params] == pytest.approx(list(u.after), rel=1e-9, abs=1e-12)


def test_the_hardest_regression_example_has_the_largest_squared_error():
    tr = Trainer(RunConfig(dataset="sine", task="regression", loss="mse", layers=[4], steps=5, samples=50))
    d = tr.dataset
    i, loss = L.hardest_example(tr.model, d.X_train, d.y_train, "mse", "regression")
    err = (numeric.outputs(numeric.layers_of(tr.model), d.X_train)[:, 0] - d.y_train) ** 2
    assert i == int(np.argmax(err)) and math.isclose(loss, err.max())


def test_the_update_line_uses_the_minibatch_the_next_step_will_use():
    tr = Trainer(RunConfig(layers=[4], batch_size=16, samples=100, lr=0.1, lr_end=0.1, momentum=0.5, steps=50))
    used = []
    real = tr._batch
    tr._batch = lambda: used.append(real()) or used[-1]  # records each step's batch, changes nothing
    for _ in range(12):  # 80 training points in batches of 16: a new permutation every 5 steps
        state = tr._rng.bit_generator.state
        before = [p.data for p in tr.params]
        idx = L.next_batch(tr)
        u = L.next_update(tr)
        assert tr._rng.bit_generator.state == state and [p.data for p in tr.params] == before  # read-only
        tr.step()
        assert np.array_equal(idx, used[-1]) and u.batch == 16 and not u.exact
        assert [p.data for p in tr.params] == pytest.approx(list(u.after), rel=1e-9, abs=1e-12)
    les = L.lesson(tr.model, [0.1, 0.2], 1.0, "svm", "neuron", update=L.next_update(tr))
    head = next(t for s in les.steps if s.phase == "update" for t in s.lines)
    assert "this step's random minibatch of 16 examples" in head
