"""Regression runs are compared by R², as classifiers by accuracy: in the store, the Experiments page, the CLI and
sweeps (before, their R² was only in the metrics JSON and every score column was empty)."""

import json

import pytest

from micrograd.cli.main import main
from micrograd.studio.config import RunConfig
from micrograd.studio.runs import RunStore
from micrograd.studio.trainer import Trainer
from micrograd.views import compare, sweep
from tests.test_pages_experiments import page, select
from tests.test_pages_experiments import record as record_run

FIT = dict(
    dataset="sine",
    task="regression",
    loss="mse",
    samples=60,
    layers=[8],
    lr=0.01,
    lr_end=0.01,
    steps=12,
    engine="scalar",
)
CLASSES = dict(dataset="moons", samples=40, layers=[4], steps=8, engine="scalar")


@pytest.fixture
def db(tmp_path, monkeypatch):
    path = tmp_path / "runs.db"
    monkeypatch.setenv("MICROGRAD_DB", str(path))
    return path


def record(db, **settings) -> Trainer:
    """Train and record a run with these settings as the dashboard does."""
    return record_run(db, Trainer(RunConfig(**settings)))


def test_a_recorded_regression_run_keeps_r2_per_step_and_at_its_end(db):
    tr = record(db, **FIT)
    with RunStore(db) as s:
        (run,) = s.list_runs()
        steps = s.get_steps(run["id"])
    assert [x["train_r2"] for x in steps] == pytest.approx([r["train_r2"] for r in tr.history])
    assert [x["test_r2"] for x in steps] == pytest.approx([r["test_r2"] for r in tr.history])
    assert all("train_accuracy" not in x for x in steps)  # the trainer's keys: R², no accuracy
    assert run["train_r2"] == pytest.approx(tr.metrics()["train_r2"]) and run["train_accuracy"] is None
    assert run["test_r2"] == pytest.approx(tr.metrics()["test_r2"])


def test_the_runs_table_has_r2_columns_and_regression_runs_compare_by_r2(db):
    fit, cls = record(db, **FIT), record(db, **CLASSES)
    with RunStore(db) as s:
        runs = s.list_runs()  # newest first: the classifier, then the regression
    df = compare.runs_frame(runs)
    assert df["train_r2"].tolist()[1] == pytest.approx(fit.metrics()["train_r2"])
    assert df["train_r2"].isna().tolist() == [True, False] and df["train_accuracy"].isna().tolist() == [False, True]
    at = page()
    assert at.dataframe[0].value["test_r2"].notna().tolist() == [False, True]
    select(at, [1])  # the regression alone: loss and R², no empty accuracy chart
    specs = {c.proto.id.rsplit("-", 1)[-1]: json.loads(c.proto.spec) for c in at.get("plotly_chart")}
    assert set(specs) == {"exp_loss", "exp_r2"}
    ys = specs["exp_r2"]["data"][0]["y"]
    assert ys[-1] == pytest.approx(fit.history[-1]["train_r2"]) and len(ys) == len(fit.history)
    select(at, [0, 1])  # a mix: each run in the chart of its own score
    specs = {c.proto.id.rsplit("-", 1)[-1]: json.loads(c.proto.spec) for c in at.get("plotly_chart")}
    assert set(specs) == {"exp_loss", "exp_accuracy", "exp_r2"}
    assert {t["name"].split(" · ")[0] for t in specs["exp_accuracy"]["data"]} == {compare.run_label(runs[0])}
    assert {t["name"].split(" · ")[0] for t in specs["exp_r2"]["data"]} == {compare.run_label(runs[1])}
    colour = {t["name"]: t["line"]["color"] for key in specs for t in specs[key]["data"]}  # one per run, everywhere
    for run in runs:
        assert len({c for name, c in colour.items() if name.startswith(compare.run_label(run) + " · ")}) == 1
    low, high = specs["exp_r2"]["layout"]["yaxis"]["range"]
    assert -1.02 <= low and high == 1.02  # an early R² far below 0 would flatten the rest: clipped at -1
    assert cls.status == "finished"


def test_the_cli_lists_a_regression_runs_r2_and_shows_its_r2_steps(db, capsys):
    fit, _ = record(db, **FIT), record(db, **CLASSES)
    assert main(["runs", "list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert "train score" in lines[0] and "test score" in lines[0]
    reg = next(line for line in lines if " sine " in line)
    assert f"R² {fit.metrics()['train_r2']:.3f}" in reg and f"R² {fit.metrics()['test_r2']:.3f}" in reg
    moons = next(line for line in lines if " moons " in line)
    assert "%" in moons and "R²" not in moons
    assert main(["runs", "show", "1", "--steps", "3"]) == 0
    header = capsys.readouterr().out.split("last 3 steps")[1].splitlines()[1].split()
    assert "train_r2" in header and "test_r2" in header and "train_accuracy" not in header


def test_a_regression_sweep_offers_r2_not_accuracy():
    runs = [
        {"id": i, "status": "finished", "sweep_axes": {"lr": lr}, "config": {"seed": 1}, "train_loss": 0.1 * i}
        | {"train_accuracy": None, "test_accuracy": None, "train_r2": 0.5 + 0.1 * i, "test_r2": 0.4, "wall_seconds": 1}
        for i, lr in enumerate((0.01, 0.03), 1)
    ]
    frame = sweep.trials_frame(runs)
    assert sweep.shown_metrics(frame) == ["test_r2", "train_r2", "train_loss"]
    assert frame["train_r2"].tolist() == pytest.approx([0.6, 0.7])
    assert sweep.best(frame, "train_r2", 1)["id"].tolist() == [2]  # higher R² is better
