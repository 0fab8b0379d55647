"""Why training fails (issue 14 item 5): the diagnostics' sentences and the per-layer picture over the run."""

import numpy as np
import pytest

from micrograd.fast import numeric
from micrograd.studio import diagnostics
from micrograd.studio.config import RunConfig
from micrograd.studio.trainer import Trainer
from micrograd.views import compare, health, plots


def test_six_sigmoid_layers_say_vanishing_gradients_and_plot_the_first_layer_far_below_the_last():
    tr = Trainer(RunConfig(layers=[8] * 6, activation="sigmoid", init="scaled", loss="bce", steps=3, l2=0.0))
    tr.step()
    found = diagnostics.findings(tr.monitor.last, "sigmoid")
    assert any(f.startswith("Vanishing gradients: the first layer's gradient norm") for f in found)
    norms = tr.monitor.series["layer_grad_norms"][-1]
    assert norms[0] < diagnostics.VANISHING_RATIO * norms[-1]
    fig = health.health_figure(tr.monitor.series, tr.model.sizes[1:])
    lines = [t for t in fig.data if t.type == "scatter" and t.name.startswith(("hidden", "output"))]
    assert [t.name for t in lines] == [f"hidden {i}" for i in range(1, 7)] + ["output"]
    assert lines[0].y[-1] == norms[0] and lines[-1].y[-1] == norms[-1]
    assert fig.layout.yaxis.type == "log"


def test_a_relu_net_at_lr_10_reports_its_dead_units_in_a_sentence_and_the_picture():
    tr = Trainer(RunConfig(lr=10.0, lr_end=10.0, schedule="constant", layers=[8, 8], steps=30))
    tr.run()
    outs = numeric.forward_all(numeric.layers_of(tr.model), tr.dataset.X_train)
    dead = sum(int(np.sum(np.all(o == 0.0, axis=0))) for o in outs[:-1])  # counted independently
    assert dead > 0
    found = diagnostics.findings(tr.monitor.last, "relu")
    assert any(f.startswith(f"{dead} of the 16 hidden units") and "dead" in f for f in found)
    fig = health.health_figure(tr.monitor.series, tr.model.sizes[1:])
    share = next(t for t in fig.data if t.name == "dead")
    assert share.y[-1] == dead / 16


def test_activation_distributions_are_the_quantiles_of_each_layers_outputs():
    tr = Trainer(RunConfig(layers=[4], activation="tanh", steps=2))
    tr.step()
    layers = numeric.layers_of(tr.model)
    tr2 = Trainer(RunConfig(layers=[4], activation="tanh", steps=2))  # the same weights before its first step
    outs = numeric.forward_all(numeric.layers_of(tr2.model), tr2.dataset.X_train)
    q = tr.monitor.series["activation_quantiles"][0]
    assert len(q) == 2 and np.allclose(q[0], np.quantile(outs[0], diagnostics.QUANTILES))
    assert all(-1 <= v <= 1 for v in q[0])
    assert layers  # the trained model still has its layers


def test_a_healthy_step_has_no_findings_and_a_rising_loss_says_the_learning_rate_may_be_too_high():
    tr = Trainer(RunConfig(layers=[8], activation="tanh", lr=0.1, steps=3))
    tr.run()
    assert diagnostics.findings(tr.monitor.last, "tanh") == []
    m = diagnostics.Monitor()
    h = [diagnostics.LayerHealth(4, 0, 0, 1.0), diagnostics.LayerHealth(1, 0, 0, 1.0)]
    for k, loss in enumerate([1.0, 1.2, 1.6, 2.0]):
        d = m.observe(k + 1, loss, h, "tanh", "")
    assert any("learning rate may be too high" in f for f in diagnostics.findings(d, "tanh"))
    # four losses span 3 steps: it said "over the last 20 steps" of a run 5 steps long
    assert "The loss rose 100% over the last 3 steps instead of falling" in diagnostics.findings(d, "tanh")[0]
    assert "instead of falling (from 1 to 2):" in diagnostics.findings(d, "tanh")[0]  # the two losses, checkable
    m = diagnostics.Monitor()
    for k, loss in enumerate([4e-6, 1.6e5, 3.0, 2.13]):  # QA, the dead-ReLU lesson: "The loss rose 52108585%"
        d = m.observe(k + 1, loss, h, "relu", "")
    said = diagnostics.findings(d, "relu")[0]
    assert "The loss rose 532,500-fold over the last 3 steps instead of falling (from 4e-06 to 2.13):" in said, said


def test_after_one_step_the_over_time_panels_draw_points():
    """QA: after one Step the gradient-norm and dead/saturated panels were empty axes (a line of one point)."""
    tr = Trainer(RunConfig(layers=[4, 4], steps=5))
    tr.step()
    fig = health.health_figure(tr.monitor.series, tr.model.sizes[1:])
    scatters = [t for t in fig.data if t.type == "scatter"]
    assert scatters and all(t.mode == "markers" and len(t.x) == 1 for t in scatters)
    tr.step()
    fig = health.health_figure(tr.monitor.series, tr.model.sizes[1:])
    assert all(t.mode == "lines" for t in fig.data if t.type == "scatter")


@pytest.mark.parametrize(
    ("values", "want"),
    [
        ([0.05, 1.2], [0.05, 0.1, 0.2, 0.5, 1.0]),
        ([0.3, 0.8], [0.3, 0.4, 0.5, 0.6, 0.7, 0.8]),
        ([0.004, 0.09], [0.005, 0.01, 0.02, 0.05]),
        ([1e-9, 1e4], [1e-9, 1e-7, 1e-5, 1e-3, 0.1, 10.0, 1000.0]),
        ([0.1, 0.3], [0.1, 0.2, 0.3]),  # 0.3 itself: 3 * 0.1 is above it
        ([0.31, 0.33], [0.31, 0.33]),
        ([0.314, 0.316], [0.314, 0.316]),  # the ends themselves: rounded to 0.31 and 0.32, they fell outside
        ([0.0, None, float("nan")], None),
    ],
)
def test_a_log_axis_labels_every_tick_with_its_whole_value(values, want):
    """QA: plotly labelled the ticks inside a decade by their first digit ("5" for 0.05) on the gradient-norm panel."""
    ticks = plots.log_ticks(values)
    if want is None:
        assert ticks == {}
        return
    assert ticks["tickvals"] == pytest.approx(want)
    assert [float(t) for t in ticks["ticktext"]] == ticks["tickvals"]  # each label reads as its value
    assert all(min(values) <= t <= max(values) for t in ticks["tickvals"])  # inside the data, where labels show


def test_the_gradient_norm_panel_and_the_log_loss_comparison_use_those_ticks():
    tr = Trainer(RunConfig(dataset="spiral", task="multiclass", classes=4, loss="ce", steps=60))
    tr.run()
    fig = health.health_figure(tr.monitor.series, tr.model.sizes[1:])
    norms = [v for row in tr.monitor.series["layer_grad_norms"] for v in row]
    axis = fig.layout.yaxis
    assert axis.tickmode == "array" and list(axis.tickvals) == plots.log_ticks(norms)["tickvals"]
    assert len(axis.tickvals) >= 2 and min(norms) <= axis.tickvals[0] and axis.tickvals[-1] <= max(norms) * 1.01
    fig = compare.loss_figure([("run 1", tr.history)], log_y=True)
    assert fig.layout.yaxis.type == "log" and fig.layout.yaxis.tickmode == "array"
    assert all(float(t) == v for t, v in zip(fig.layout.yaxis.ticktext, fig.layout.yaxis.tickvals))
