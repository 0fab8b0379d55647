"""The run configuration and the trainer: determinism, live changes, divergence, reference results."""

import math

import numpy as np
import pytest

from micrograd.studio.config import ConfigError, RunConfig
from micrograd.studio.runs import STEP_KEYS
from micrograd.studio.trainer import Trainer

SMALL = {"dataset": "moons", "samples": 60, "layers": [4], "steps": 8}


def _strip_times(history):
    return [{k: v for k, v in r.items() if k != "seconds"} for r in history]


@pytest.mark.parametrize("engine", ["scalar", "compiled"])
@pytest.mark.parametrize("batch_size", [0, 16])
def test_same_config_gives_the_same_history_bit_for_bit(engine, batch_size):
    cfg = RunConfig(**SMALL, engine=engine, batch_size=batch_size, test_fraction=0.25)
    a, b = Trainer(cfg), Trainer(cfg)
    a.run(), b.run()
    assert len(a.history) == 8
    assert _strip_times(a.history) == _strip_times(b.history)
    assert [p.data for p in a.model.parameters()] == [p.data for p in b.model.parameters()]


def test_another_seed_gives_another_history():
    a = Trainer(RunConfig(**SMALL, seed=1))
    b = Trainer(RunConfig(**SMALL, seed=2))
    a.run(), b.run()
    assert _strip_times(a.history) != _strip_times(b.history)


def test_minibatches_cover_the_training_set_each_epoch():
    cfg = RunConfig(dataset="moons", samples=40, test_fraction=0.0, batch_size=10, steps=4, layers=[2])
    t = Trainer(cfg)
    seen = [t._batch() for _ in range(4)]
    assert sorted(np.concatenate(seen).tolist()) == list(range(40))


def test_on_step_reports_every_step_with_all_fields():
    got = []
    t = Trainer(RunConfig(**SMALL, test_fraction=0.25), on_step=got.append)
    t.run()
    assert [r["step"] for r in got] == list(range(1, 9))
    classes = tuple(k for k in STEP_KEYS if not k.endswith("_r2"))  # a classifier's record: accuracy, no R²
    assert all(tuple(r) == classes for r in got)
    r = got[0]
    assert r["lr"] == pytest.approx(1.0) and r["seconds"] > 0 and r["grad_norm"] > 0
    assert 0 <= r["train_accuracy"] <= 1 and 0 <= r["test_accuracy"] <= 1
    assert t.status == "finished" and t.done and t.step() is None


def test_full_batch_loss_is_train_loss_plus_penalty():
    cfg = RunConfig(**SMALL, test_fraction=0.0, l2=1e-3)
    t = Trainer(cfg)
    w = np.array([p.data for p in t.model.parameters()])
    r = t.step()
    assert r["loss"] == pytest.approx(r["train_loss"] + 1e-3 * float(w @ w), rel=1e-12)
    assert math.isnan(r["test_loss"]) and math.isnan(r["test_accuracy"])


def test_live_changes_keep_the_weights():
    t = Trainer(RunConfig(**SMALL, schedule="constant"))
    t.step()
    before = [p.data for p in t.model.parameters()]
    t.update(lr=0.05, momentum=0.9, batch_size=8, l2=0.0, loss="bce", steps=20)
    assert [p.data for p in t.model.parameters()] == before
    r = t.step()
    assert r["lr"] == pytest.approx(0.05) and t.optimizer.momentum == 0.9 and t.config.loss == "bce"


def test_bad_live_change_raises_and_changes_nothing():
    t = Trainer(RunConfig(**SMALL))
    with pytest.raises(ConfigError, match="lr") as e:
        t.update(lr=-1, momentum=2)
    assert any("momentum" in p for p in e.value.problems)
    assert t.config.lr == 1.0 and t.config.momentum == 0.0
    with pytest.raises(ConfigError, match="layers cannot change"):
        t.update(layers=[3])


def test_raising_the_budget_after_finishing_continues():
    t = Trainer(RunConfig(**SMALL))
    t.run()
    assert t.status == "finished"
    t.update(steps=10)
    assert t.step()["step"] == 9


def test_config_lists_every_problem():
    cfg = RunConfig(dataset="nope", layers=[0, 2.5], activation="gelu", lr=0, momentum=1, batch_size=-1, steps=-1)
    problems = cfg.problems()
    for word in ("dataset", "layers[0]", "layers[1]", "activation", "lr", "momentum", "batch_size", "steps"):
        assert any(p.startswith(word) for p in problems), word
    with pytest.raises(ConfigError):
        cfg.validate()
    data = RunConfig(samples=3, noise=2, test_fraction=5).problems()  # caught before any data is drawn
    assert [x.split()[0] for x in data] == ["samples", "noise", "test_fraction"]
    assert RunConfig(dataset="breast_cancer", samples=600).problems() == [
        "samples must be a whole number in [4, 569], got 600"
    ]
    with pytest.raises(ConfigError, match="unknown configuration keys: colour"):
        RunConfig.from_dict({"colour": "red"})
    assert RunConfig.from_dict(RunConfig().to_dict()) == RunConfig()


@pytest.mark.parametrize("engine", ["scalar", "compiled"])
def test_a_diverging_run_stops_with_a_clear_message(engine):
    cfg = RunConfig(dataset="moons", samples=50, layers=[8, 8], activation="relu", loss="mse", lr=1000.0)
    cfg = cfg.replace(schedule="constant", steps=50, engine=engine, init="he")
    t = Trainer(cfg)
    t.run()
    assert t.status == "diverged"
    assert f"diverged at step {t.step_count}" in t.message and "smaller learning rate" in t.message
    assert len(t.history) == t.step_count < 50
    assert t.step() is None  # stays stopped, never raises
    assert t.metrics()["train_loss"] is None


def test_a_model_with_the_wrong_input_size_is_refused():
    from micrograd import MLP

    with pytest.raises(ConfigError, match="takes 3 inputs but the data has 2"):
        Trainer(RunConfig(**SMALL), model=MLP(3, [1]))


def test_original_demo_reaches_full_training_accuracy():
    cfg = RunConfig(dataset="moons", samples=100, noise=0.1, test_fraction=0.0, seed=1337)
    t = Trainer(cfg)
    first = t.step()
    assert first["loss"] == pytest.approx(0.8958441028683222, rel=1e-9)  # the original demo's printed step-0 loss
    t.run()
    assert t.status == "finished" and t.step_count == 100
    assert t.evaluate()["train_accuracy"] == 1.0
    assert t.history[-1]["loss"] < 0.02


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_breast_cancer_reaches_95_percent_test_accuracy(seed):
    cfg = RunConfig(
        dataset="breast_cancer",
        test_fraction=0.2,
        layers=[16, 16],
        activation="tanh",
        init="scaled",
        loss="svm",
        lr=0.1,
        lr_end=0.01,
        batch_size=64,
        steps=200,
        seed=seed,
    )
    t = Trainer(cfg)
    t.run()
    assert t.status == "finished" and len(t.dataset.y_test) == 114
    assert t.evaluate()["test_accuracy"] >= 0.95
