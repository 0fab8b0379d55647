"""Issue 13's targets, each with its dataset's preset settings (docs/benchmarks.md, "Issue 13 targets", has timings)."""

from __future__ import annotations

from micrograd.studio.presets import preset_config
from micrograd.studio.trainer import Trainer


def train(name: str, task: str | None = None) -> Trainer:
    tr = Trainer(preset_config(name, task))
    tr.run()
    assert tr.status == "finished", tr.message
    return tr


def test_spiral_three_arms_reaches_95_percent_train_accuracy():
    tr = train("spiral", "multiclass")
    c = tr.config
    assert (c.classes, c.samples, c.layers, c.steps) == (3, 300, [16, 16], 400) and tr.dataset.n_outputs == 3
    assert tr.metrics()["train_accuracy"] >= 0.95


def test_iris_reaches_93_percent_test_accuracy():
    tr = train("iris")
    assert len(tr.dataset.y_test) == 30 and tr.metrics()["test_accuracy"] >= 0.93


def test_digits_reaches_90_percent_test_accuracy_with_the_compiled_engine():
    tr = train("digits")
    assert tr.config.engine == "compiled" and tr.dataset.n_features == 64 and tr.dataset.n_outputs == 10
    assert tr.metrics()["test_accuracy"] >= 0.90


def test_sine_regression_reaches_r2_095_on_its_test_split():
    tr = train("sine")
    assert tr.dataset.params["noise"] == 0.1 and tr.metrics()["test_r2"] >= 0.95
