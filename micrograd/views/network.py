"""The network view: neurons as nodes, weights as edges coloured by sign, and on 2-D data each neuron's
activation over the input plane as a small heat map (NumPy, no Values), cheap enough to redraw every tick.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go

from micrograd.fast.numeric import DenseLayer, forward_all, grid
from micrograd.views import palette, text

POSITIVE, NEGATIVE = palette.POSITIVE, palette.NEGATIVE  # blue w > 0, orange w < 0
WIDTH_BUCKETS = 3  # per sign: edges are grouped into this many traces by |w|
MAX_TERMS = 6  # hover formulas list this many terms, then say how many more
COLUMN_GAP = 3.0  # x distance between layers, in units of the vertical neuron spacing
INSET = 0.36  # half the side of a neuron's heat map, in the same units


def neuron_name(layer: int, j: int, n_layers: int) -> str:
    """h{layer+1}.{j+1} for hidden neurons, out.{j+1} for the output layer."""
    return f"out.{j + 1}" if layer == n_layers - 1 else f"h{layer + 1}.{j + 1}"


def _positions(sizes: list[int]) -> list[np.ndarray]:
    """(n, 2) positions per column: layers left to right, neurons top to bottom, centred on y = 0."""
    return [np.column_stack([np.full(n, c * COLUMN_GAP), (n - 1) / 2.0 - np.arange(n)]) for c, n in enumerate(sizes)]


def _num(v: float) -> str:
    return f"{v:.2f}"


def formula(layer: DenseLayer, j: int, inputs: Sequence[str]) -> str:
    """a = act(w1·x1 − w2·x2 + b) with the actual numbers; long sums are cut after MAX_TERMS terms."""
    w, b = layer.weight[j], float(layer.bias[j])
    terms = []
    for i, (wi, name) in enumerate(zip(w, inputs)):
        if i == MAX_TERMS:
            terms.append(f" + … ({len(w) - MAX_TERMS} more terms)")
            break
        sign = ("−" if wi < 0 else "") if i == 0 else (" − " if wi < 0 else " + ")
        terms.append(f"{sign}{_num(abs(wi))}·{name}")
    terms.append((" − " if b < 0 else " + ") + _num(abs(b)))
    body = "".join(terms)
    return f"a = {body}" if layer.activation == "linear" else f"a = {layer.activation}({body})"


def _edge_traces(layers: list[DenseLayer], pos: list[np.ndarray]) -> list[dict]:
    """Edges grouped by sign and |w| bucket, so the figure stays a handful of traces whatever the width."""
    finite = np.concatenate([np.abs(w[np.isfinite(w)]) for w in (layer.weight for layer in layers)])
    wmax = float(finite.max()) if finite.size and finite.max() > 0 else 1.0  # nan/inf weights (a divergence) skipped
    # numpy arrays with NaN between segments (not lists with None): plotly copies arrays in one go
    groups: dict[tuple[bool, int], list[tuple[np.ndarray, np.ndarray]]] = {}
    for li, layer in enumerate(layers):
        src, dst = pos[li], pos[li + 1]
        jj, ii = np.nonzero(np.isfinite(layer.weight))  # row-major: neuron by neuron
        w = layer.weight[jj, ii]
        buckets = np.minimum(WIDTH_BUCKETS - 1, (np.abs(w) / wmax * WIDTH_BUCKETS).astype(int))
        gap = np.full(len(w), np.nan)
        xs = np.column_stack([src[ii, 0], dst[jj, 0], gap])
        ys = np.column_stack([src[ii, 1], dst[jj, 1], gap])
        for positive, bucket in sorted(set(zip((w > 0).tolist(), buckets.tolist()))):
            m = ((w > 0) == positive) & (buckets == bucket)
            groups.setdefault((positive, bucket), []).append((xs[m].ravel(), ys[m].ravel()))
    traces = []
    for (positive, bucket), parts in sorted(groups.items()):
        xs, ys = np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])
        width = 0.5 + 4.5 * (bucket + 0.5) / WIDTH_BUCKETS  # proportional to the bucket's middle |w|
        traces.append(
            dict(
                type="scatter",
                x=xs,
                y=ys,
                mode="lines",
                line={"color": POSITIVE if positive else NEGATIVE, "width": width},
                opacity=0.35 + 0.5 * (bucket + 1) / WIDTH_BUCKETS,
                hoverinfo="skip",
                showlegend=False,
                name=f"{'w > 0' if positive else 'w < 0'}, |w| bucket {bucket + 1}",
            )
        )
    return traces


def _layer_heat_map(out: np.ndarray, cx: float, n: int, first_name: str) -> dict:
    """One heat map for a whole layer column: each neuron's n x n activation plane at its position.

    One trace per layer instead of one per neuron keeps a 6 x 64 network's figure cheap to build and draw.
    Neurons are stacked bottom to top with two NaN (transparent) rows between them; each plane is scaled by its
    own largest |a| so colours compare within a neuron, and customdata keeps the raw activations for hover.
    """
    side = np.linspace(-INSET, INSET, n)
    step = side[1] - side[0]
    k = out.shape[1]
    rows = n + 2
    z = np.full((rows * k - 2, n), np.nan)
    raw = np.full_like(z, np.nan)
    ys = np.empty(rows * k - 2)
    for b in range(k):  # b-th block from the bottom is neuron k - 1 - b (neurons run top to bottom)
        j = k - 1 - b
        cy = (k - 1) / 2.0 - j
        plane = out[:, j].reshape(n, n)  # rows follow y, as grid() lays points out
        finite = np.abs(plane[np.isfinite(plane)])
        zmax = float(finite.max()) if finite.size and finite.max() > 0 else 1.0
        r = b * rows
        z[r : r + n], raw[r : r + n], ys[r : r + n] = plane / zmax, plane, cy + side
        if b < k - 1:  # gap rows just outside this plane and the next one, so cell edges stay at ±INSET
            ys[r + n], ys[r + n + 1] = cy + INSET + step, cy + 1 - INSET - step
    return dict(
        type="heatmap",
        z=z,
        customdata=raw,
        x=cx + side,
        y=ys,
        colorscale=palette.DIVERGING,
        zmin=-1.0,
        zmax=1.0,
        showscale=False,
        name=first_name.rsplit(".", 1)[0],
        hovertemplate="a = %{customdata:.3f}<extra></extra>",
    )


def network_figure(
    layers: list[DenseLayer],
    *,
    feature_names: Sequence[str],
    x_range: tuple[float, float] | None = None,
    y_range: tuple[float, float] | None = None,
    X_plane_resolution: int = 30,  # noqa: N803 - the dashboard's name for it
    activations_of_example: Sequence[np.ndarray] | None = None,
) -> go.Figure:
    """Neurons as nodes by layer, weights as edges; hover shows each neuron's formula with its numbers.

    On 2-D data with both ranges given, every neuron also shows its activation over the input plane.
    activations_of_example: each layer's output for the current example (as from forward_all), shown on hover.
    """
    if not layers:
        raise ValueError("network_figure needs at least one layer")
    d = layers[0].weight.shape[1]
    if len(feature_names) != d:
        raise ValueError(f"got {len(feature_names)} feature names for {d} inputs")
    sizes = [d] + [layer.weight.shape[0] for layer in layers]
    pos = _positions(sizes)
    n_layers = len(layers)
    traces: list = _edge_traces(layers, pos)

    ranges = (x_range, y_range) if d == 2 and x_range is not None and y_range is not None else None
    planes = ranges is not None
    if ranges is not None:
        n = int(X_plane_resolution)
        if n < 2:
            raise ValueError(f"X_plane_resolution must be at least 2, got {X_plane_resolution!r}")
        _, _, pts = grid(*ranges, n)
        outs = forward_all(layers, pts)
        traces += [
            _layer_heat_map(out, pos[li + 1][:, 0][0], n, neuron_name(li, 0, n_layers)) for li, out in enumerate(outs)
        ]

    inputs = [text.plotly(n) for n in feature_names]  # user text: shown in node text and hover formulas
    for c, xy in enumerate(pos):
        if c == 0:
            names, hover = inputs, [f"input {name}" for name in inputs]
        else:
            layer = layers[c - 1]
            names = [neuron_name(c - 1, j, n_layers) for j in range(len(xy))]
            hover = [f"{name}<br>{formula(layer, j, inputs)}" for j, name in enumerate(names)]
        if activations_of_example is not None:
            vals = np.asarray(activations_of_example[c - 1]).ravel() if c else None
            if vals is not None:
                hover = [f"{h}<br>on this example: a = {float(v):.3f}" for h, v in zip(hover, vals)]
        traces.append(
            dict(
                type="scatter",
                x=xy[:, 0],
                y=xy[:, 1],
                mode="markers+text" if not planes or c == 0 else "markers",
                text=names,
                textposition="middle left" if c == 0 else "top center",
                marker={
                    "size": 14,
                    "symbol": "square-open" if planes and c else "circle",
                    "color": "#333333" if planes and c else "#ffffff",
                    "line": {"color": "#333333", "width": 1.5},
                },
                hovertext=hover,
                hoverinfo="text",
                showlegend=False,
                name="inputs" if c == 0 else f"layer {c}",
                # (layer, unit) of each neuron: a click on it opens its scalar operations on the Graph page
                customdata=[[c - 1, j] for j in range(len(xy))] if c else None,
            )
        )
        inputs = names

    titles = ["input"] + [f"hidden {c}" for c in range(1, n_layers)] + ["output"]
    top = max(sizes) / 2.0 + 0.3
    layout = {
        "uirevision": f"network-{sizes}",  # same architecture: keep the user's zoom across live updates
        "showlegend": False,
        "margin": {"l": 10, "r": 10, "t": 30, "b": 10},
        "xaxis": {"visible": False, "range": [-1.2, (len(sizes) - 1) * COLUMN_GAP + 1.0]},
        # equal units on both axes keep each neuron's heat map square whatever the figure's size
        "yaxis": {"visible": False, "range": [-top, top + 0.4], "scaleanchor": "x", "scaleratio": 1},
        "annotations": [
            {"x": c * COLUMN_GAP, "y": top + 0.2, "text": t, "showarrow": False, "font": {"size": 12}}
            for c, t in enumerate(titles)
        ],
        "plot_bgcolor": "white",
        "hovermode": "closest",
        # ~46 px per neuron row keeps each heat map readable (equal axis units tie its size to the height)
        "height": int(min(1600, max(420, 46 * max(sizes) + 80))),
    }
    # skipping validation keeps a 2-16-16-1 figure with 33 heat maps inside the 20 ms budget
    return go.Figure({"data": traces, "layout": layout}, skip_invalid=False, _validate=False)
