"""Why training fails, over the run: per-layer gradient norms, dead and saturated units, activation distributions.

Plain data in (the trainer's ``diagnostics.Monitor.series``), one plotly figure out; the sentences come from
``micrograd.studio.diagnostics.findings``.
"""

from __future__ import annotations

import plotly.graph_objects as go
from plotly.subplots import make_subplots

from micrograd.studio.diagnostics import QUANTILES
from micrograd.views.plots import line_mode, log_ticks

_COLOURS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f")


def layer_names(n: int) -> list[str]:
    """'hidden 1', 'hidden 2', ..., 'output' for n layers."""
    return [f"hidden {i + 1}" for i in range(n - 1)] + ["output"]


def health_figure(series: dict[str, list], units: list[int]) -> go.Figure:
    """Three panels: each layer's gradient norm per step (log scale), the share of dead and saturated hidden units
    per step, and each layer's activation distribution at the last step (5-25-50-75-95 % quantiles)."""
    fig = make_subplots(
        rows=1,
        cols=3,
        subplot_titles=("gradient norm per layer", "dead / saturated hidden units", "activations (last step)"),
        horizontal_spacing=0.08,
    )
    steps = series.get("step", [])
    mode = line_mode(len(steps))
    norms = series.get("layer_grad_norms", [])
    names = layer_names(len(units))
    for k, name in enumerate(names):
        ys = [row[k] if row[k] > 0 else None for row in norms]  # log axis: a zero norm is a gap
        colour = _COLOURS[k % len(_COLOURS)]
        fig.add_trace(
            go.Scatter(x=steps, y=ys, name=name, mode=mode, line={"color": colour}, marker={"color": colour}), 1, 1
        )
    hidden = sum(units[:-1]) or 1
    # dead in mid grey: it reads on the light and the dark theme's plot background alike
    for key, label, colour in (("dead_units", "dead", "#888888"), ("saturated_units", "saturated", "#d62728")):
        share = [sum(row[:-1]) / hidden for row in series.get(key, [])]
        fig.add_trace(
            go.Scatter(x=steps, y=share, name=label, mode=mode, line={"color": colour}, marker={"color": colour}), 1, 2
        )
    quant = series.get("activation_quantiles", [])
    if quant:
        for k, (name, q) in enumerate(zip(names, quant[-1])):
            if len(q) != len(QUANTILES):
                continue
            box = go.Box(
                x=[name], lowerfence=[q[0]], q1=[q[1]], median=[q[2]], q3=[q[3]], upperfence=[q[4]], name=name,
                marker={"color": _COLOURS[k % len(_COLOURS)]}, showlegend=False,
            )  # fmt: skip
            fig.add_trace(box, 1, 3)
    fig.update_yaxes(type="log", title_text="‖∂loss/∂W‖", row=1, col=1, **log_ticks(v for row in norms for v in row))
    fig.update_yaxes(range=[0, 1], tickformat=".0%", row=1, col=2)
    fig.update_xaxes(title_text="step", row=1, col=1)
    fig.update_xaxes(title_text="step", row=1, col=2)
    fig.update_layout(height=320, margin={"l": 50, "r": 10, "t": 40, "b": 40}, uirevision="health")
    return fig
