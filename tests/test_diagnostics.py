"""The trainer's per-step diagnostics: divergence, dead and saturated units, gradient norms per layer (issue 11 item 5)."""

import math

import numpy as np
import pytest

from micrograd.engine import Value
from micrograd.fast import numeric
from micrograd.nn import MLP
from micrograd.studio import diagnostics
from micrograd.studio.config import RunConfig
from micrograd.studio.runs import RunStore
from micrograd.studio.trainer import Trainer
from tests.test_dashboard import app, messages, start_and_tick_until_stopped, trainer


def test_the_videos_tanh_mse_setup_at_lr_1_diverges_instead_of_finishing():
    tr = Trainer(RunConfig(activation="tanh", loss="mse"))  # what /?activation=tanh&loss=mse trains
    assert tr.run() == "diverged"
    first, last = tr.history[0]["loss"], tr.history[-1]["loss"]
    assert last > diagnostics.DIVERGE_FACTOR * max(1.0, first) and math.isfinite(last)  # finite, yet exploded
    assert all(r["loss"] <= diagnostics.DIVERGE_FACTOR * max(1.0, first) for r in tr.history[:-1])
    assert tr.message.startswith(f"Training diverged at step {tr.step_count}: the loss reached")
    assert "smaller learning rate" in tr.message


def test_a_nan_loss_and_overflowing_weights_count_as_divergence():
    m = diagnostics.Monitor()
    assert m.divergence(1, 2.0, 1.0, True, 0.1) == ""
    assert m.divergence(2, 2.0e6, 1.0, True, 0.1) == ""  # 1e6 x max(1, 2.0) = 2e6 is the limit
    assert "step 3: the loss reached" in m.divergence(3, 2.1e6, 1.0, True, 0.1)
    assert "step 4: the loss became nan" in m.divergence(4, math.nan, 1.0, True, 0.1)
    assert "step 5: the gradient overflowed (its norm is inf)" in m.divergence(5, 1.0, math.inf, True, 0.1)
    assert "step 6: the weights overflowed" in m.divergence(6, 1.0, 1.0, False, 0.1)
    small = diagnostics.Monitor()
    small.divergence(1, 1e-3, 1.0, True, 0.1)  # a first loss under 1 still allows losses up to 1e6
    assert small.divergence(2, 9e5, 1.0, True, 0.1) == ""


def test_lr_10_kills_the_network_training_goes_on_with_a_warning_and_the_store_keeps_it(tmp_path):
    from micrograd.studio import recording

    store = RunStore(tmp_path / "runs.db")
    rec = recording.Recorder(opener=lambda: (store, ""))
    tr = Trainer(RunConfig(lr=10.0))  # what /?lr=10 trains: ReLU 2-16-16-1
    rec.watch(tr)  # recorded from its first step, as the dashboard and the CLI record every run
    assert tr.run() == "finished" and tr.step_count == tr.config.steps  # not a divergence: it goes on
    dead = tr.monitor.series["dead_units"]
    layers = numeric.layers_of(tr.model)
    outs = numeric.forward_all(layers, tr.dataset.X_train)
    all_dead = [i for i, out in enumerate(outs[:-1]) if np.all(out == 0.0)]
    assert all_dead  # a whole hidden layer outputs 0 on every training point
    i = all_dead[0]
    assert dead[-1][i] == 16 and f"all 16 units of hidden layer {i + 1} output 0" in tr.message
    assert "smaller learning rate" in tr.message and tr.metrics()["warnings"] == [tr.message]
    rec.sync(tr, running=False)  # the run is done: its final status and message are stored
    (run,) = store.list_runs()
    stored = store.get_run(run["id"])
    assert "hidden layer" in stored["message"] and stored["metrics"]["warnings"] == [tr.message]
    store.close()


def test_a_relu_net_at_lr_10_reports_dead_units_per_layer():
    tr = Trainer(RunConfig(lr=10.0, lr_end=10.0, schedule="constant", layers=[8, 8], steps=30))
    tr.run()
    assert max(sum(d[:-1]) for d in tr.monitor.series["dead_units"]) > 0
    assert tr.monitor.last.layers[-1].dead == 0  # the linear output unit is never counted as dead


def test_six_sigmoid_layers_show_a_vanishing_first_layer_gradient():
    # sigmoid' <= 1/4 per layer: six layers shrink the backward signal ~1e-4 (Xavier-scaled weights, logistic loss)
    tr = Trainer(RunConfig(layers=[8] * 6, activation="sigmoid", init="scaled", loss="bce", steps=3, l2=0.0))
    tr.step()
    norms = tr.monitor.series["layer_grad_norms"][0]
    assert len(norms) == 7 and norms[0] < diagnostics.VANISHING_RATIO * norms[-1]
    assert any("Vanishing gradients at step 1" in w for w in tr.monitor.warnings.values())
    relu = Trainer(RunConfig(layers=[8] * 6, activation="relu", init="scaled", loss="bce", steps=3, l2=0.0))
    relu.step()
    assert not any("Vanishing" in w for w in relu.monitor.warnings.values())


@pytest.mark.parametrize("activation", ["relu", "tanh", "sigmoid", "linear"])
def test_the_vanishing_warning_never_suggests_the_activation_in_use(activation):
    """QA: a ReLU net's warning said "Try ReLU or tanh instead of sigmoid"."""
    m = diagnostics.Monitor()
    health = [diagnostics.LayerHealth(8, 0, 0, g, ()) for g in (1e-6, 0.5, 1.0)]  # first under 1/100 of the last
    m.observe(1, 0.5, health, activation, "")
    said = m.warnings["vanishing"]
    assert said.startswith("Vanishing gradients at step 1")
    assert f"Try {activation.capitalize() if activation != 'relu' else 'ReLU'}" not in said
    assert "instead of sigmoid" not in said or activation == "sigmoid"
    assert said.endswith(diagnostics.VANISHING_ADVICE[activation])


def _engine_grads_and_outputs(model: MLP, X: np.ndarray, y: np.ndarray):
    """Per-layer gradient norms of the mean SVM loss and every layer's outputs, by the scalar engine."""
    model.zero_grad()
    outs = [[] for _ in model.layers]
    scores = []
    for row in X.tolist():
        h = [Value(v) for v in row]
        for k, layer in enumerate(model.layers):
            h = layer.forward(h)
            outs[k].append([v.data for v in h])
        scores.append(h[0])
    loss = sum(((1 - yi * s).relu() for s, yi in zip(scores, y.tolist())), Value(0.0)) * (1.0 / len(scores))
    loss.backward()
    norms = [math.sqrt(sum(p.grad**2 for p in layer.parameters())) for layer in model.layers]
    return norms, [np.array(o) for o in outs]


@pytest.mark.parametrize("activation", ["relu", "tanh", "sigmoid"])
def test_layer_health_matches_the_scalar_engine(activation):
    rng = np.random.default_rng(3)
    X, y = rng.normal(size=(25, 2)) * 3, np.where(rng.normal(size=25) > 0, 1.0, -1.0)
    model = MLP(2, [6, 5, 1], activation, seed=11)
    norms, outs = _engine_grads_and_outputs(model, X, y)
    assert diagnostics.layer_grad_norms(model) == pytest.approx(norms, rel=1e-12)
    assert diagnostics.layer_grad_norms(model, model.parameters()) == diagnostics.layer_grad_norms(model)
    health = diagnostics.layer_health(numeric.layers_of(model), X, norms)
    for h, out in zip(health, outs):
        assert h.units == out.shape[1] and h.dead == sum(all(v == 0.0 for v in col) for col in out.T)
        if activation == "tanh":
            sat = sum(np.mean(np.abs(col) > 0.99) >= 0.9 for col in out.T)
        elif activation == "sigmoid":
            sat = sum(np.mean((col < 0.01) | (col > 0.99)) >= 0.9 for col in out.T)
        else:
            sat = 0
        assert h.saturated == (sat if h is not health[-1] else 0)


@pytest.mark.parametrize("activation", ["relu", "tanh", "sigmoid", "linear"])
def test_layer_health_counts_as_its_definitions_say_with_dead_saturated_and_non_finite_outputs(activation):
    rng = np.random.default_rng(5)
    layers = [numeric.DenseLayer(np.zeros((7, 2)), np.zeros(7), activation)]
    for n in (0, 1, 40):
        out = rng.normal(size=(n, 7)) * 4
        out[:, 0] = 0.0  # dead
        out[:, 1] = -0.0  # dead too: -0.0 == 0.0
        out[: n // 2, 2] = 0.0  # half dead: alive
        out[:, 3] = np.where(np.arange(n) % 10 == 0, 0.2, 0.995)  # saturated on 90 % of the points (tanh, sigmoid)
        out[:, 4] = np.where(np.arange(n) % 5 == 0, 0.2, 0.995)  # on 80 %: not saturated
        if n:
            out[0, 5], out[-1, 6] = np.nan, np.inf  # a nan output is not 0; non-finite values leave the quantiles
        (h,) = diagnostics.layer_health(layers, np.zeros((n, 2)), [0.5], [out])
        assert (h.units, h.grad_norm) == (7, 0.5)
        # no training point: nothing is known dead (an empty column would be 'all zero')
        assert h.dead == (sum(all(v == 0.0 for v in col) for col in out.T) if n else 0) == (2 if n else 0)
        flat = {"tanh": lambda c: np.abs(c) > 0.99, "sigmoid": lambda c: (c < 0.01) | (c > 0.99)}.get(activation)
        want_sat = sum(np.mean(flat(col)) >= diagnostics.SATURATED_SHARE for col in out.T) if flat and n else 0
        assert h.saturated == want_sat
        if activation in ("tanh", "sigmoid") and n == 40:
            assert h.saturated >= 1  # column 3
        finite = out[np.isfinite(out)]
        want_q = tuple(np.quantile(finite, diagnostics.QUANTILES).tolist()) if finite.size else ()
        assert h.activations == want_q


def test_the_train_page_ends_the_tanh_mse_link_as_diverged():
    at = app(activation="tanh", loss="mse", engine="compiled")
    start_and_tick_until_stopped(at, 30)
    assert trainer(at).status == "diverged"
    assert "Training diverged at step" in messages(at, "error") and not at.success


def test_the_train_page_warns_that_lr_10_killed_the_network(tmp_path, monkeypatch):
    monkeypatch.setenv("MICROGRAD_DB", str(tmp_path / "page.db"))
    at = app(lr="10", speed="50", engine="compiled")
    at.button(key="btn_start").click().run()
    trainer(at).run(90)  # most of the budget at once (each AppTest tick trains only ~0.15 s), as ticks would
    for _ in range(100):
        if not at.session_state["running"]:
            break
        at.run()
    tr = trainer(at)
    assert tr.status == "finished" and "Finished" in messages(at, "success")
    assert "The network is dead from step" in messages(at, "warning") and "smaller learning rate" in messages(
        at, "warning"
    )
    store = RunStore(tmp_path / "page.db")
    (run,) = store.list_runs()
    assert run["status"] == "finished" and "The network is dead" in store.get_run(run["id"])["message"]
    store.close()


def test_divergence_advice_names_only_changes_the_run_can_make():
    m = diagnostics.Monitor()
    svm = m.divergence(3, math.inf, 1.0, True, 10.0, "binary", loss_name="svm", momentum=0.9)
    assert "MSE" not in svm and "(this step used 10; try 1), or momentum 0, then" in svm  # it is SVM already
    mse = m.divergence(3, math.inf, 1.0, True, 0.5, "regression", loss_name="mse", momentum=0.0)
    assert "Huber" in mse and "momentum" not in mse  # momentum is 0 already
    plain = m.divergence(3, math.inf, 1.0, True, 0.5, "binary", loss_name="bce", momentum=0.0)
    assert plain == (
        "Training diverged at step 3: the loss became inf. Try a smaller learning rate (this step used 0.5; try 0.03), "
        "then start again from fresh weights."
    )


def test_the_rate_to_try_after_a_divergence_is_one_the_sidebar_offers():
    """QA: a linear schedule's step used 9.7525 and the advice said "try 0.97525", no choice of the lr slider."""
    from micrograd.studio.config import LR_OPTIONS

    for lr in (10.0, 9.7525, 3.0, 1.0, 0.5, 0.0995, 1e-4):
        tried = diagnostics.smaller_rate(lr)
        assert tried in LR_OPTIONS and tried <= lr / 10
        assert all(o <= tried or o > lr / 10 for o in LR_OPTIONS)  # the largest such choice
    assert diagnostics.smaller_rate(3e-5) == 1e-5  # no choice at a tenth: the largest choice below it
    assert diagnostics.smaller_rate(1e-5) == pytest.approx(1e-6)  # none below at all: a tenth
    said = diagnostics.Monitor().divergence(6, math.inf, 1.0, True, 9.7525, "binary", loss_name="svm", momentum=0.0)
    assert "(this step used 9.7525; try 0.3)" in said


def test_a_run_with_l2_says_its_diverged_loss_includes_the_penalty():
    tr = Trainer(RunConfig(lr=10, momentum=0.9, schedule="constant", steps=100, l2=0.0001))
    assert tr.run() == "diverged"
    # the metrics show the data loss (~1), after the update: the message says what its number is
    assert "the loss reached" in tr.message and "(with its L2 penalty) before this step's update" in tr.message
    assert "MSE" not in tr.message and "or momentum 0" in tr.message  # svm, momentum 0.9


@pytest.mark.parametrize("engine", ["compiled", "scalar"])
def test_a_dead_layers_gradient_norm_is_zero_whatever_the_l2_penalty(engine):
    """QA (?lesson=dead-relu): "no gradient flows through them" beside hidden layers drawn at a norm of ~5, which
    was the L2 penalty's own gradient, 2 * l2 * w, not gradient flowing back from the loss."""
    tr = Trainer(RunConfig(layers=[8, 8], l2=0.01, steps=3, engine=engine, samples=40))
    for n in tr.model.layers[1].neurons:  # the second hidden layer: relu(z) = 0 for every example
        n.b.data = -1e3
    tr.step()
    norms = tr.monitor.series["layer_grad_norms"][0]
    assert norms[0] == 0.0 and norms[1] == 0.0 and norms[2] > 0  # the output's bias still learns
    assert tr.monitor.last.layers[1].dead == 8
    assert tr.history[-1]["grad_norm"] > 0  # the objective's gradient, penalty included, as before
    # a layer cut by dead units is said as such; "vanishing" (with its advice against sigmoid) would mislead
    said = [*tr.monitor.warnings.values(), *diagnostics.findings(tr.monitor.last, "relu")]
    assert any("hidden layer 2" in w and "dead" in w for w in said) and not any("anishing" in w for w in said)
