"""Comparing stored runs: the runs table, its filters, overlaid curves and a configuration diff (no Streamlit here)."""

from __future__ import annotations

import json
import math
import time
from collections.abc import Iterable, Sequence
from dataclasses import fields
from datetime import datetime

import pandas as pd
import plotly.graph_objects as go

from micrograd.studio import config as run_config
from micrograd.studio.config import BUILTIN, CSV, NO_BUDGET
from micrograd.studio.runs import status_text
from micrograd.views import text
from micrograd.views.plots import line_mode, log_ticks

# plotly's default qualitative palette; a run keeps its colour in every figure
COLORS = ("#636efa", "#ef553b", "#00cc96", "#ab63fa", "#ffa15a", "#19d3f3", "#ff6692", "#b6e880", "#ff97ff", "#fecb52")
DASHES = {"train": "solid", "test": "dot", "objective": "dash"}
LOSS_METRICS = (("train_loss", "train"), ("test_loss", "test"))
ACCURACY_METRICS = (("train_accuracy", "train"), ("test_accuracy", "test"))
R2_METRICS = (("train_r2", "train"), ("test_r2", "test"))
TABLE_COLUMNS: tuple[str, ...] = ("id", "name", "created", "status", "dataset", "architecture", "loss", "steps")
TABLE_COLUMNS += ("train_loss", "train_accuracy", "test_accuracy", "train_r2", "test_r2", "wall_seconds", "tags")
NUMBER_COLUMNS = ("train_loss", "train_accuracy", "test_accuracy", "train_r2", "test_r2", "wall_seconds")
MISSING = "—"  # a key one run's configuration does not have, or a setting that does not apply to it


def run_label(run: dict) -> str:
    """The run's name with its id ('#3 best'), so two runs with one name stay apart; default names have it."""
    name, tag = run.get("name") or "", f"#{run['id']}"
    return name if name.endswith(" " + tag) or name.startswith(tag + " ") else f"{tag} {name}".strip()


def runs_frame(runs: Sequence[dict], now: float | None = None) -> pd.DataFrame:
    """The runs table: one row per run (accuracies in percent, R² of regression runs as is, created as a local
    datetime; the status as status_text at now, the Unix time, default the current one)."""
    now = time.time() if now is None else now
    rows = []
    for r in runs:
        row = {k: r.get(k) for k in TABLE_COLUMNS}
        row["status"] = status_text(r, now)
        row["created"] = datetime.fromtimestamp(r["created_at"]) if r.get("created_at") is not None else None
        for k in ("train_accuracy", "test_accuracy"):
            row[k] = None if r.get(k) is None else 100.0 * r[k]
        row["tags"] = ", ".join(r.get("tags") or [])
        rows.append(row)
    df = pd.DataFrame(rows, columns=list(TABLE_COLUMNS))
    for k in NUMBER_COLUMNS:
        df[k] = pd.to_numeric(df[k], errors="coerce").astype(float)  # None -> NaN, so the column sorts as numbers
    return df


TRIALS = ("trained", "all", "none")  # which sweep trials the Experiments page lists (filter_runs)


def filter_runs(
    runs: Iterable[dict],
    *,
    datasets: Sequence[str] = (),
    architectures: Sequence[str] = (),
    losses: Sequence[str] = (),
    statuses: Sequence[str] = (),
    tags: Sequence[str] = (),
    since: datetime | None = None,
    min_accuracy: float | None = None,
    trials: str = "all",
) -> list[dict]:
    """Runs matching every given filter; an empty choice means any. min_accuracy (0-1) uses the test accuracy,
    or the train accuracy for runs without a test set; runs with neither are dropped by it. trials: which sweep
    trials to keep, one of TRIALS ("trained": those that took a step; a cancelled sweep leaves many that never did)."""
    if trials not in TRIALS:
        raise ValueError(f"trials must be one of {', '.join(TRIALS)}, got {trials!r}")
    out = []
    for r in runs:
        if r.get("sweep_id") is not None and (trials == "none" or (trials == "trained" and not r.get("steps"))):
            continue
        if datasets and r.get("dataset") not in datasets:
            continue
        if architectures and r.get("architecture") not in architectures:
            continue
        if losses and r.get("loss") not in losses:
            continue
        if statuses and r.get("status") not in statuses:
            continue
        if tags and not set(tags) & set(r.get("tags") or []):
            continue
        if since is not None and r.get("created_at", 0) < since.timestamp():
            continue
        if min_accuracy is not None and min_accuracy > 0:
            acc = r.get("test_accuracy") if r.get("test_accuracy") is not None else r.get("train_accuracy")
            if acc is None or acc < min_accuracy:
                continue
        out.append(r)
    return out


def _curves(
    series: Sequence[tuple[str, Sequence[dict]]], metrics: Sequence[tuple[str, str]], title: str, percent: bool
) -> go.Figure:
    fig = go.Figure()
    for k, (label, steps) in enumerate(series):
        color = COLORS[k % len(COLORS)]
        for key, split in metrics:
            ys = [s.get(key) for s in steps]
            if all(y is None for y in ys):  # e.g. no test set: an empty trace would only clutter the legend
                continue
            if percent:
                ys = [None if y is None else 100.0 * y for y in ys]
            fig.add_trace(
                go.Scatter(
                    x=[s["step"] for s in steps],
                    y=ys,
                    name=f"{text.plotly(label)} · {split}",
                    legendgroup=label,
                    mode=line_mode(len(steps)),
                    line=dict(color=color, dash=DASHES.get(split, "solid")),
                    marker=dict(color=color),
                )
            )
    fig.update_xaxes(title="step")
    # the legend under the plot, a line per trace: at its right it took most of a third of the page (QA, 3 runs)
    legend = dict(orientation="h", x=0, xanchor="left", y=-0.2, yanchor="top")
    fig.update_layout(
        title=title,
        height=320 + 22 * len(fig.data),
        legend=legend,
        margin=dict(l=10, r=10, t=40, b=10),
        uirevision=title,
    )
    return fig


def loss_figure(series: Sequence[tuple[str, Sequence[dict]]], log_y: bool = False) -> go.Figure:
    """Train (solid) and test (dotted) loss per step: one trace per run and split, one colour per run."""
    fig = _curves(series, LOSS_METRICS, "Loss", percent=False)
    fig.update_yaxes(title="loss", type="log" if log_y else "linear")
    if log_y:
        fig.update_yaxes(**log_ticks(y for trace in fig.data for y in (trace.y or ())))
        return fig
    # a diverged run's 6e11 flattened every other curve to a line at 0 (QA): the linear scale keeps to the losses
    # the runs started from; the log scale shows everything
    finite = [[y for y in (t.y or ()) if y is not None and math.isfinite(y)] for t in fig.data]
    top = 1.1 * max((ys[0] for ys in finite if ys), default=0.0)
    if top > 0 and max(max(ys, default=0.0) for ys in finite) > 10 * top:
        fig.update_yaxes(range=[0, top])
        fig.update_layout(title="Loss (clipped)")
    return fig


def accuracy_figure(series: Sequence[tuple[str, Sequence[dict]]]) -> go.Figure:
    """Train (solid) and test (dotted) accuracy in percent: one trace per run and split."""
    fig = _curves(series, ACCURACY_METRICS, "Accuracy", percent=True)
    fig.update_yaxes(title="accuracy (%)", range=[0, 101])
    return fig


def r2_figure(series: Sequence[tuple[str, Sequence[dict]]]) -> go.Figure:
    """Train (solid) and test (dotted) R² of regression runs: 1 is a perfect fit, 0 no better than the mean."""
    fig = _curves(series, R2_METRICS, "R² (regression)", percent=False)
    values = [y for t in fig.data for y in t.y if y is not None and math.isfinite(y)]
    low = max(-1.0, min(values, default=0.0))  # clipped at -1, as the Train page: an early -8 would flatten the rest
    fig.update_yaxes(title="R²", range=[low - 0.02, 1.02])
    return fig


def is_regression(run: dict) -> bool:
    """A run that fits values (its score is R², not accuracy)."""
    return run.get("task") == "regression"


def applies(cfg: dict, key: str) -> bool:
    """Whether a setting means something for this run's configuration: K for multi-class data only, the CSV
    columns for uploaded data only, noise for the datasets that draw it (QA: "classes 3" for a two-class run)."""
    from micrograd.studio.datasets import DATASETS

    s = run_config.settings().get(key)
    if s is None:
        return True
    spec = DATASETS.get(str(cfg.get("dataset")))
    if s.only == CSV and cfg.get("dataset") != "csv" or s.only == BUILTIN and spec is None:
        return False
    if key == "classes" and cfg.get("task") != "multiclass":
        return False
    # uploaded or drawn data has no spec: its K comes from its labels, not from the (hidden) setting
    return s.used is None or (spec is not None and bool(s.used(spec)))


_OWN_COLUMNS = {"label_column": "the last column", "feature_columns": "the other columns"}  # a CSV run's None


def _effective(cfg: dict, key: str) -> object:
    """The stored value, or for a None the value the run used (the dataset's samples and noise, seed as data seed)."""
    if cfg[key] is not None:
        return cfg[key]
    if key in _OWN_COLUMNS:
        return _OWN_COLUMNS[key]
    names = {f.name for f in fields(run_config.RunConfig)}
    try:  # not validated: a run stored by another version (a key or a limit since changed) still shows its values
        return run_config.RunConfig(**{k: v for k, v in cfg.items() if k in names}).effective(key)
    except (TypeError, ValueError, KeyError, AttributeError, ArithmeticError):
        return None


def _show(v: object, key: str = "") -> str:
    if key == "steps" and v == 0:  # a run with no step budget, trained until Pause
        return NO_BUDGET
    if v is None:
        return MISSING
    if isinstance(v, str):
        return v
    if isinstance(v, float):
        return f"{v:g}"
    return json.dumps(v)


def config_diff(configs: Sequence[tuple[str, dict]], only_different: bool = False) -> pd.DataFrame:
    """Configurations side by side: one row per key (index), one column per run, plus a bool 'differs' column."""
    keys: list[str] = []
    for _, c in configs:
        keys += [k for k in c if k not in keys]
    labels = [label for label, _ in configs]
    if len(set(labels)) != len(labels):
        raise ValueError(f"run labels must be unique to diff their configurations; got {labels}")
    rows = {}
    for key in keys:
        shown = [_show(_effective(c, key), key) if key in c and applies(c, key) else MISSING for _, c in configs]
        rows[key] = [*shown, len(set(shown)) > 1]
    df = pd.DataFrame.from_dict(rows, orient="index", columns=[*labels, "differs"])
    df["differs"] = df["differs"].astype(bool)
    return df[df["differs"]] if only_different else df
