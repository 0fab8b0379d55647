"""A gallery of image-like examples (digits: 64 features = 8 x 8 pixels) with predicted and true labels.

Plain data in, a plotly figure out: the images tiled into one heat map (cheap to send and draw), each captioned
"predicted / true", the misclassified ones first and captioned in red.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go

from micrograd.views import text

COLUMNS = 10
LIMIT = 40  # images shown at most
GAP = 1  # blank pixels between images in a row
ROW_GAP = 5  # blank pixels between rows: room for the captions
WRONG, RIGHT = "#d62728", "#31333f"


def image_side(n_features: int) -> int | None:
    """The side of a square image with n_features pixels (8 for 64), or None when the data is not image-like."""
    side = math.isqrt(n_features)
    return side if side * side == n_features and side >= 4 else None


def order(pred: np.ndarray, true: np.ndarray, limit: int = LIMIT) -> np.ndarray:
    """Indices to show: the misclassified first, then the others, each in their original order; at most limit."""
    wrong = np.asarray(pred) != np.asarray(true)
    idx = np.concatenate([np.flatnonzero(wrong), np.flatnonzero(~wrong)])
    return idx[:limit]


def tile(X: np.ndarray, side: int, columns: int = COLUMNS) -> np.ndarray:
    """Images (rows of X, side*side pixels each, row-major) tiled into one array; NaN between images."""
    n = len(X)
    rows = max(1, math.ceil(n / columns))
    cell, row = side + GAP, side + ROW_GAP
    out = np.full((rows * row - ROW_GAP, min(n, columns) * cell - GAP if n else side), np.nan)
    for k, x in enumerate(X):
        r, c = divmod(k, columns)
        out[r * row : r * row + side, c * cell : c * cell + side] = np.asarray(x, dtype=float).reshape(side, side)
    return out


def gallery_figure(
    X: np.ndarray, true: np.ndarray, pred: np.ndarray, class_names: Sequence[str], title: str = "Test images"
) -> go.Figure:
    """The gallery: X's images with 'predicted / true' under each, the misclassified first (in red)."""
    side = image_side(X.shape[1])
    if side is None:
        raise ValueError(f"{X.shape[1]} features are not a square image")
    idx = order(pred, true)
    img = tile(X[idx], side)
    fig = go.Figure(go.Heatmap(z=img, colorscale="Greys", reversescale=True, showscale=False, hoverinfo="skip"))
    cell, row = side + GAP, side + ROW_GAP
    for k, i in enumerate(idx):
        r, c = divmod(k, COLUMNS)
        ok = pred[i] == true[i]
        name = lambda j: text.plotly(class_names[int(j)]) if 0 <= int(j) < len(class_names) else "—"  # noqa: E731
        fig.add_annotation(
            x=c * cell + (side - 1) / 2,
            y=r * row + side - 0.2,
            text=f"{name(pred[i])} / {name(true[i])}",
            showarrow=False,
            yanchor="top",
            font=dict(size=11, color=RIGHT if ok else WRONG),
        )
    wrong = int(np.sum(np.asarray(pred) != np.asarray(true)))
    rows = max(1, math.ceil(len(idx) / COLUMNS))
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False, autorange="reversed", scaleanchor="x")
    caption = f"{title}: predicted / true, {wrong} of {len(true)} misclassified (shown first, in red)"
    fig.update_layout(title=caption, height=100 + 90 * rows, margin=dict(l=10, r=10, t=40, b=20), uirevision="gallery")
    return fig
