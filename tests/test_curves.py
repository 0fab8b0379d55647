"""micrograd.views.curves: the live view's metric points, and the point the next step will record."""

import math

import pytest

from micrograd.studio.config import RunConfig
from micrograd.studio.trainer import Trainer
from micrograd.views import curves


@pytest.mark.parametrize(
    "config",
    [
        RunConfig(steps=20, layers=[4]),
        RunConfig(steps=20, layers=[4], dataset="blobs", task="multiclass", loss="ce", classes=3),
        RunConfig(steps=20, layers=[4], dataset="sine", task="regression", loss="mse"),
    ],
    ids=["binary", "multiclass", "regression"],
)
def test_the_next_point_is_the_record_the_next_step_writes(config):
    tr = Trainer(config)
    task = tr.task
    for _ in range(3):
        upcoming = curves.next_point(tr, task)
        record = tr.step()
        assert record is not None and upcoming == curves.points([record], task)  # bit for bit, its rate too
        cols, rates = upcoming
        assert cols["step"] == [record["step"]] and all(v[0] is not None for v in cols.values())
        assert rates == [record["lr"]] and rates[0] == tr.lr_at(tr.step_count - 1)


def test_columns_name_the_score_of_the_task_and_drop_numbers_that_are_not_finite():
    rows = [{"step": 1, "train_loss": math.inf, "test_loss": 0.5, "train_r2": math.nan, "test_r2": 0.25, "lr": 0.1}]
    assert curves.points(rows, "regression") == (
        {"step": [1.0], "train_loss": [None], "test_loss": [0.5], "train_r2": [None], "test_r2": [0.25]},
        [0.1],
    )
    keys = {"step", "train_loss", "test_loss", "train_accuracy", "test_accuracy"}
    assert set(curves.columns(rows, "binary")) == keys


def test_new_points_keep_both_ends_and_send_only_what_is_new():
    history = [{"step": k, "train_loss": 1.0 / k} for k in range(1, 5001)]
    first = curves.new_points(history, 0, "binary")[0]["step"]
    assert first[0] == 1 and first[-1] == 5000 and len(first) <= curves.MAX_CURVE_POINTS + 2
    assert curves.new_points(history, 5000, "binary") is None
    later = curves.new_points(history, 4990, "binary")[0]["step"]
    assert later[-1] == 5000 and all(s > 4990 for s in later)


def test_metric_text_writes_a_metric_for_a_sentence():
    assert [curves.metric_text(v) for v in (None, math.nan, math.inf, 0.0, 0.123456, -2.5)] == [
        "—",
        "—",
        "—",
        "0",
        "0.1235",
        "-2.5000",
    ]
    assert curves.metric_text(1.7e29) == "1.700e+29"  # a diverged run's error: not thirty digits (QA)
    assert curves.metric_text(2e-5) == "2.000e-05"  # small, but not 0.0000
    assert curves.metric_text(0.875, percent=True) == "87.5 %"
    assert curves.metric_text(None, percent=True) == "—"
