"""A sweep's results: the trials table, a heat map over two axes, parallel coordinates (no Streamlit here)."""

from __future__ import annotations

import math
import time
from collections.abc import Sequence

import pandas as pd
import plotly.graph_objects as go

from micrograd.studio.sweeps import label

METRICS = {  # the final metric a heat map shows: (title, higher is better, percent)
    "test_accuracy": ("test accuracy", True, True),
    "train_accuracy": ("train accuracy", True, True),
    "test_r2": ("test R²", True, False),  # regression sweeps
    "train_r2": ("train R²", True, False),
    "train_loss": ("train loss", False, False),
}
TRAINED = ("finished", "diverged")  # trials that trained to their end (a diverged run is a result too)


def progress(trials: dict, total: int, started: float, now: float | None = None) -> dict:
    """Trial counts (done = trained, running, queued, failed, cancelled, settled = no longer queued or running) and
    an ETA in seconds (None until a trial has settled, and once every one has)."""
    done = sum(trials.get(s, 0) for s in TRAINED)
    failed = trials.get("failed", 0) + trials.get("interrupted", 0)
    cancelled = trials.get("cancelled", 0)
    settled = done + failed + cancelled
    elapsed = (time.time() if now is None else now) - started
    eta = elapsed / settled * (total - settled) if 0 < settled < total else None
    running, queued = trials.get("running", 0), trials.get("queued", 0)
    counts = {"done": done, "running": running, "queued": queued, "failed": failed, "cancelled": cancelled}
    return counts | {"settled": settled, "total": total, "eta": eta}


def redraw(status: str, done: int, shown: tuple[str, int], since: float, every: float) -> bool:
    """Whether the Sweeps page, drawn ``since`` seconds ago showing (status, done trials), is out of date: at once
    when the sweep's status changed; when more trials are done, once ``every`` seconds have passed."""
    return status != shown[0] or (done != shown[1] and since >= every)


def progress_text(p: dict, status: str) -> str:
    """The progress bar's words: '61 of 90 trials done, 29 cancelled — sweep cancelled'."""
    extra = "".join(f", {p[k]} {k}" for k in ("failed", "cancelled") if p[k])
    return f"{p['done']} of {p['total']} trials done{extra} — sweep {status}"


def axis_names(runs: Sequence[dict]) -> list[str]:
    """The sweep's axes, in the order its trials list them."""
    names: list[str] = []
    for r in runs:
        for k in r.get("sweep_axes") or {}:
            if k not in names:
                names.append(k)
    return names


def shown_metrics(frame: pd.DataFrame) -> list[str]:
    """The metrics some trial of this sweep has (no accuracy for a regression, no test score without a test set)."""
    return [m for m in METRICS if frame[m].notna().any()]


def trials_frame(runs: Sequence[dict]) -> pd.DataFrame:
    """One row per trial: id, status, each axis (as text), seed, final metrics (accuracies in percent)."""
    axes = axis_names(runs)
    rows = []
    for r in runs:
        row = {"id": r["id"], "status": str(r["status"])}
        row |= {a: label((r.get("sweep_axes") or {}).get(a)) for a in axes}
        if "seed" not in axes:  # a seed axis is its own column already
            row["seed"] = (r.get("config") or {}).get("seed")
        row["train_loss"] = r.get("train_loss")
        for k in ("train_accuracy", "test_accuracy"):
            row[k] = None if r.get(k) is None else 100.0 * r[k]
        row["train_r2"], row["test_r2"] = r.get("train_r2"), r.get("test_r2")
        row["wall_seconds"] = r.get("wall_seconds")
        rows.append(row)
    seed = [] if "seed" in axes else ["seed"]  # twice, pandas could not group by it (the heat map over seeds)
    df = pd.DataFrame(rows, columns=["id", "status", *axes, *seed, *METRICS, "wall_seconds"])
    for k in (*METRICS, "wall_seconds"):
        df[k] = pd.to_numeric(df[k], errors="coerce").astype(float)
    return df


def _order(runs: Sequence[dict], axis: str) -> list[str]:
    """An axis' labels sorted by value (numbers numerically, layers by size), as the grid listed them."""
    values = []
    for r in runs:
        v = (r.get("sweep_axes") or {}).get(axis)
        if v is not None and v not in values:
            values.append(v)
    try:
        values.sort(key=lambda v: (len(v), v) if isinstance(v, list) else v)
    except TypeError:
        pass
    return [label(v) for v in values]


def best(frame: pd.DataFrame, metric: str, n: int) -> pd.DataFrame:
    """The n best trials by a final metric (trials without it last)."""
    higher = METRICS[metric][1]  # ties: the lower train loss, then the older trial
    keys = [metric] + [k for k in ("train_loss", "id") if k != metric]
    return frame.sort_values(keys, ascending=[not higher] + [True] * (len(keys) - 1), na_position="last").head(n)


def heatmap_table(frame: pd.DataFrame, x: str, y: str, metric: str) -> pd.DataFrame:
    """Mean, spread (standard deviation) and count of a metric per (x, y) cell, over seeds and other axes."""
    g = frame.groupby([y, x], sort=False)[metric]
    return g.agg(mean="mean", std="std", n="count").reset_index()


def _even_range(values: list[float], pct: bool) -> dict:
    """The colour range when every cell has the same value: Plotly's own went past it both ways (all trials at
    100 % read 99.6-100.4 %); a percentage stays within 0-100. Otherwise Plotly's (the cells' least to greatest)."""
    if not values or min(values) != max(values) or not math.isfinite(values[0]):
        return {}
    v = values[0]
    d = 1.0 if pct else max(abs(v) * 0.01, 1e-6)
    low, high = (max(v - d, 0.0), min(v + d, 100.0)) if pct else (v - d, v + d)
    return {"zmin": low, "zmax": high}


INK = "#262730"  # Streamlit's text colour: words on the light end of Viridis
GREY = "#808495"  # words on a cell without a result (the page's own background, light or dark)


def _bright(v: float, low: float, high: float, higher: bool) -> bool:
    """Whether Viridis (reversed when lower is better) paints v light: its upper 45 % runs from green to yellow."""
    t = 0.5 if high <= low or not math.isfinite(v) else (v - low) / (high - low)
    return (t if higher else 1 - t) > 0.55


def heatmap(runs: Sequence[dict], frame: pd.DataFrame, x: str, y: str, metric: str) -> go.Figure:
    """A heat map of the final metric over two axes; each cell says mean ± spread (n trials)."""
    title, higher, pct = METRICS[metric]
    cells = heatmap_table(frame, x, y, metric)
    xs, ys = _order(runs, x), _order(runs, y)
    z: list[list[float | None]] = [[None] * len(xs) for _ in ys]
    text = [[""] * len(xs) for _ in ys]
    unit = " %" if pct else ""
    for _, c in cells.iterrows():
        if c[x] not in xs or c[y] not in ys:
            continue
        i, j = ys.index(c[y]), xs.index(c[x])
        mean, std, n = c["mean"], c["std"], int(c["n"])
        if n and not math.isnan(mean):
            z[i][j] = mean
            spread = f" ± {std:.2f}" if n > 1 and not math.isnan(std) else ""
            text[i][j] = f"{mean:.2f}{spread}{unit}<br>n={n}"
        else:
            text[i][j] = "no result"
    values = [v for row in z for v in row if v is not None]
    scale = _even_range(values, pct)
    fig = go.Figure(
        go.Heatmap(
            z=z,
            x=xs,
            y=ys,
            text=text,
            colorscale="Viridis" if higher else "Viridis_r",
            colorbar={"title": title},
            hovertemplate=f"{x} %{{x}}<br>{y} %{{y}}<br>{title} %{{text}}<extra></extra>",
            **scale,
        )
    )
    low, high = scale.get("zmin", min(values, default=0.0)), scale.get("zmax", max(values, default=0.0))
    for i, row in enumerate(z):  # each cell's words in a colour that reads on it (QA: white on Viridis' yellow)
        for j, v in enumerate(row):
            if text[i][j]:
                colour = GREY if v is None else INK if _bright(v, low, high, higher) else "white"
                # at the category's index: Plotly reads a number-like name (0.00316) as an index
                fig.add_annotation(x=j, y=i, text=text[i][j], showarrow=False, font={"color": colour})
    fig.update_layout(
        title=f"Final {title}: mean ± spread over seeds and other axes",
        xaxis={"title": x, "type": "category"},
        yaxis={"title": y, "type": "category"},
        margin={"l": 60, "r": 20, "t": 50, "b": 50},
        height=420,
    )
    return fig


def parallel(runs: Sequence[dict], frame: pd.DataFrame, metric: str) -> go.Figure:
    """Parallel coordinates: one line per trial through its axis values, coloured by the final metric."""
    title, higher, _ = METRICS[metric]
    dims = []
    for a in axis_names(runs):
        order = _order(runs, a)
        dims.append(
            {
                "label": a,
                "values": [order.index(v) if v in order else None for v in frame[a]],
                "tickvals": list(range(len(order))),
                "ticktext": order,
            }
        )
    values = frame[metric].fillna(frame[metric].min() if higher else frame[metric].max())
    # a percentage keeps its whole scale: all trials at 100 % read as 100 on a 0-100 axis, not on 90-110
    dims.append({"label": title, "values": values.tolist(), **({"range": [0, 100]} if METRICS[metric][2] else {})})
    fig = go.Figure(
        go.Parcoords(
            line={"color": values.tolist(), "colorscale": "Viridis" if higher else "Viridis_r", "showscale": True},
            dimensions=dims,
            # each axis's range ends, drawn above and below it, repeated the ticks at the ends (100 and 0 twice on
            # an accuracy) and named a category axis by its positions (0, 2); the ticks say it all
            rangefont={"color": "rgba(0,0,0,0)"},
            tickfont={"size": 12},
            labelfont={"size": 13},
        )
    )
    fig.update_layout(margin={"l": 60, "r": 60, "t": 50, "b": 30}, height=380)
    return fig
