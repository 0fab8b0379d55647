"""Plotly figures for the dashboard: pure functions, data in and a Figure out (no Streamlit here).

Colours follow TensorFlow Playground: orange is class -1 (negative score), blue is class +1 (positive score).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go

from micrograd.fast import numeric
from micrograd.views import palette, text

NEG, POS, MID, NAN_COLOR = palette.NEGATIVE, palette.POSITIVE, palette.ZERO, palette.NAN
# diverging scale centred at score 0; zmid pins the white to the decision boundary
BOUNDARY_SCALE = palette.DIVERGING
GRID_N = 100
MARGIN = dict(l=10, r=10, t=40, b=10)


def _layout(fig: go.Figure, title: str, revision: str, **kw) -> go.Figure:
    # uirevision keeps the user's zoom and legend clicks across live redraws
    fig.update_layout(title=title, uirevision=revision, margin=MARGIN, height=kw.pop("height", 320), **kw)
    return fig


def line_mode(points: int) -> str:
    """A Scatter's mode for a series of that many points: a line, or markers for one point (a line of one point is
    not drawn, so a one-step run showed nothing)."""
    return "lines" if points > 1 else "markers"


def log_ticks(values) -> dict:
    """A log axis's ticks for these values as whole numbers, 1-2-5 per decade (1-9 in a narrow range): plotly labels
    the ticks inside a decade by their first digit alone ("5" for 0.05). Empty when no value is positive."""
    pos = [float(v) for v in values if v is not None and np.isfinite(v) and v > 0]
    if not pos:
        return {}
    lo, hi = min(pos), max(pos)
    decades = range(int(np.floor(np.log10(lo))), int(np.floor(np.log10(hi))) + 1)
    for digits in ((1,), (1, 2, 5), tuple(range(1, 10))):
        # each tick as the decimal it names (0.3, not 3 * 0.1 = 0.30000000000000004, which 0.3 is below)
        ticks = [t for e in decades for d in digits if lo <= (t := float(f"{d}e{e}")) <= hi]
        if len(ticks) >= 3 or digits[-1] == 9:
            break
    if len(ticks) > 8:  # many decades: every k-th power of ten
        ticks = ticks[:: -(-len(ticks) // 8)]
    # the first and last values too when few ticks fall inside: a reader needs two labels to read the scale; at
    # the values themselves (rounded, they could fall outside the data's range, where no label is drawn)
    if len(ticks) < 2:
        ticks = sorted({lo, *ticks, hi})
    return {"tickmode": "array", "tickvals": ticks, "ticktext": [f"{t:.3g}" for t in ticks]}


def span(values: np.ndarray) -> tuple[float, float]:
    """The values' range padded by 10 % (a unit pad for a single value, (-1.1, 1.1)-ish for none)."""
    lo, hi = (float(values.min()), float(values.max())) if values.size else (-1.0, 1.0)
    pad = 0.1 * (hi - lo) or 1.0
    return lo - pad, hi + pad


def plane(
    layers: list[numeric.DenseLayer], X: np.ndarray, i: int = 0, j: int | None = 1, n: int = GRID_N
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(xs, ys, z): the model's score over an n x n grid of features i and j, the others held at 0.

    With j None (one-feature data) the score depends on x only; the y axis then spans the labels ±1.
    """
    xr = span(X[:, i])
    yr = span(X[:, j]) if j is not None else (-1.5, 1.5)
    xs, ys, pts = numeric.grid(xr, yr, n)
    inputs = np.zeros((len(pts), X.shape[1]))  # 0 is each feature's mean after standardisation
    inputs[:, i] = pts[:, 0]
    if j is not None:
        inputs[:, j] = pts[:, 1]
    return xs, ys, numeric.scores(layers, inputs).reshape(n, n)


def _points(name: str, X: np.ndarray, y: np.ndarray, s: np.ndarray, i: int, j: int | None, test: bool) -> go.Scatter:
    py = X[:, j] if j is not None else y
    colors = np.where(y > 0, POS, NEG)
    marker = dict(color=colors, size=8 if test else 7, line=dict(color="black" if test else "white", width=1.5))
    return go.Scatter(
        x=X[:, i],
        y=py,
        mode="markers",
        name=name,
        marker=marker,
        customdata=np.column_stack([y, s]),
        hovertemplate="(%{x:.3f}, %{y:.3f})<br>label %{customdata[0]:+.0f}<br>score %{customdata[1]:.3f}<extra>"
        + name
        + "</extra>",
    )


def boundary_figure(
    layers: list[numeric.DenseLayer],
    X_train: np.ndarray,
    y_train: np.ndarray,
    X_test: np.ndarray,
    y_test: np.ndarray,
    feature_names: Sequence[str],
    i: int = 0,
    j: int | None = 1,
    n: int = GRID_N,
) -> go.Figure:
    """Heat map of the score over features i, j (others at 0), train points, test points outlined, errors as X."""
    X_all = np.vstack([X_train, X_test]) if len(X_test) else X_train
    xs, ys, z = plane(layers, X_all, i, j, n)
    finite = np.abs(z[np.isfinite(z)])
    # saturate beyond the margin (|score| 1) region's typical size so the boundary stays visible
    zmax = float(min(max(finite.max(), 1e-9), 3.0)) if finite.size else 1.0
    fig = go.Figure(
        go.Heatmap(
            x=xs,
            y=ys,
            z=z,
            colorscale=BOUNDARY_SCALE,
            zmid=0.0,
            zmin=-zmax,
            zmax=zmax,
            colorbar=dict(title="score", thickness=12),
            hovertemplate="score %{z:.3f}<extra></extra>",
            name="score",
        )
    )
    s_train, s_test = numeric.scores(layers, X_train), numeric.scores(layers, X_test)
    fig.add_trace(_points("train", X_train, y_train, s_train, i, j, test=False))
    if len(X_test):
        fig.add_trace(_points("test", X_test, y_test, s_test, i, j, test=True))
    X_pts = np.vstack([X_train, X_test])
    y_pts, s_pts = np.concatenate([y_train, y_test]), np.concatenate([s_train, s_test])
    wrong = ~np.isfinite(s_pts) | ((s_pts > 0) != (y_pts > 0))  # a NaN score (diverged) is wrong for both classes
    fig.add_trace(
        go.Scatter(
            x=X_pts[wrong, i],
            y=X_pts[wrong, j] if j is not None else y_pts[wrong],
            mode="markers",
            name="misclassified",
            marker=dict(symbol="x-thin", size=9, line=dict(color="black", width=2)),
            hoverinfo="skip",
        )
    )
    fig.update_xaxes(title=text.plotly(feature_names[i]), range=[xs[0], xs[-1]])
    fig.update_yaxes(title=text.plotly(feature_names[j]) if j is not None else "label", range=[ys[0], ys[-1]])
    legend = dict(orientation="h", y=1.02, x=1, xanchor="right", yanchor="bottom")
    # NaN scores (a diverged model) leave the heat map empty: the grey background then shows through
    kw = dict(height=480, legend=legend, plot_bgcolor=NAN_COLOR if np.isnan(z).any() else "white")
    return _layout(fig, "Decision boundary", f"boundary-{i}-{j}", **kw)


def confusion(y: np.ndarray, s: np.ndarray) -> np.ndarray:
    """2 x 2 counts: rows are the true class (-1, +1), columns the predicted class (score > 0 is +1)."""
    t, p = y > 0, s > 0
    return np.array([[np.sum(~t & ~p), np.sum(~t & p)], [np.sum(t & ~p), np.sum(t & p)]], dtype=int)


def confusion_figure(y: np.ndarray, s: np.ndarray, class_names: Sequence[str], title: str = "Test set") -> go.Figure:
    """Confusion matrix heat map of a binary model (labels ±1, scores) with counts written in the cells."""
    names = [f"{text.plotly(class_names[0])} (-1)", f"{text.plotly(class_names[1])} (+1)"]
    return matrix_figure(confusion(y, s), names, title)


def class_confusion(true: np.ndarray, pred: np.ndarray, k: int) -> np.ndarray:
    """K x K counts: rows are the true class index, columns the predicted one (a prediction outside 0..K-1 is
    counted in no column)."""
    m = np.zeros((k, k), dtype=int)
    t, p = np.asarray(true, dtype=int), np.asarray(pred, dtype=int)
    ok = (p >= 0) & (p < k)
    np.add.at(m, (t[ok], p[ok]), 1)
    return m


def matrix_figure(m: np.ndarray, names: Sequence[str], title: str = "Test set") -> go.Figure:
    """A confusion matrix (rows true, columns predicted) as a heat map with counts; names already escaped."""
    fig = go.Figure(
        go.Heatmap(
            z=m,
            x=list(names),
            y=list(names),
            colorscale="Blues",
            showscale=False,
            text=m,
            texttemplate="%{text}",
            hovertemplate="true %{y}<br>predicted %{x}<br>%{z} rows<extra></extra>",
        )
    )
    fig.update_xaxes(title="predicted", type="category")
    fig.update_yaxes(title="true", autorange="reversed", type="category")
    return _layout(fig, f"Confusion matrix ({title})", "confusion", height=max(300, 60 + 28 * len(names)))
