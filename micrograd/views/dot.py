"""Graphviz DOT for snapshots: every node with its op, value and gradient; the neuron view; rendering to SVG/PNG.

The fill always encodes the gradient (blue positive, orange negative, deeper on a log scale), so kinds differ by shape.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from micrograd.engine import Value
from micrograd.nn import MLP
from micrograd.views import palette, text
from micrograd.views.names import neuron_title

KINDS = ("input", "label", "param", "const", "op", "loss")
SANDBOX_KINDS = {"input": "variable", "const": "number", "op": "operation", "loss": "output"}  # the Sandbox's words


class GraphvizNotInstalled(RuntimeError):
    """The Graphviz ``dot`` binary is missing, so a graph cannot be rendered to SVG/PNG here."""


if TYPE_CHECKING:  # graph.py re-exports this module's functions, so it is imported lazily where it is called
    from micrograd.views.graph import NeuronSnapshot, Snapshot


def format_number(v: float) -> str:
    """A number short enough for a node label, precise enough to read back."""
    if v == 0 or not math.isfinite(v):
        return "0" if v == 0 else str(v)
    return f"{v:.4f}" if 1e-3 <= abs(v) < 1e5 else f"{v:.3e}"


def format_label(y: object) -> str:
    """An example's label: a number, or (y1, y2, ...) for several regression targets."""
    if isinstance(y, tuple):
        return "(" + ", ".join(format_number(v) for v in y) + ")"
    return format_number(float(y))  # type: ignore[arg-type]


def _signed(v: float) -> str:
    return ("+" if v > 0 else "") + format_number(v)


_POSITIVE, _NEGATIVE = palette.rgb(palette.POSITIVE), palette.rgb(palette.NEGATIVE)


_STYLE = {  # kind -> node attributes; the fill always encodes the gradient, so kinds differ by shape and border
    "input": 'shape=box, style="rounded,filled", color="#1a9850", penwidth=2',
    "label": 'shape=box, style="rounded,filled,dashed", color="#1a9850", penwidth=2',
    "param": 'shape=box, style="filled", color="#762a83", penwidth=2',
    "const": 'shape=box, style="filled,dotted", color="#999999", fontsize=8',
    "op": 'shape=ellipse, style="filled", color="#555555"',
    "loss": 'shape=doubleoctagon, style="filled", color="#000000", penwidth=2.5',
}


def grad_colour(g: float, gmax: float) -> str:
    """Fill colour for a gradient: blue positive, orange negative, deeper on a log scale of |g| over 4 decades."""
    if g != g:
        return "#dddddd"
    if g == 0 or gmax <= 0:
        return "#ffffff"
    lo = math.log10(gmax) - 4.0
    t = 0.0 if math.isinf(g) else min(1.0, max(0.0, (math.log10(abs(g)) - lo) / 4.0))
    t = 0.15 + 0.85 * t  # the faintest nonzero gradient still differs from white
    base = _POSITIVE if g > 0 else _NEGATIVE
    return "#" + "".join(f"{round(255 + (c - 255) * t):02x}" for c in base)


def _label(title: str, rows: Iterable[str]) -> str:
    cells = "".join(f"<TR><TD>{text.dot_html(r)}</TD></TR>" for r in rows)
    head = f"<TR><TD><B>{text.dot_html(title)}</B></TD></TR>"
    return f'<<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="0">{head}{cells}</TABLE>>'


def _tooltip(title: str, rows: Iterable[str]) -> str:
    """A node's hover text (SVG output): what its label says on one line; without it the browser shows the
    node's internal name (n<id>), which means nothing to a reader."""
    return f'tooltip="{text.dot_tooltip(title + ": " + ", ".join(rows))}"'


def _legend(extra: Iterable[tuple[str, str]] = ()) -> list[str]:
    lines = ['  subgraph cluster_legend { label="legend"; fontsize=10; color="#cccccc";']
    for kind in KINDS:
        lines.append(f'    legend_{kind} [{_STYLE[kind]}, fillcolor="#ffffff", label="{kind}"];')
    lines.append(f'    legend_pos [shape=box, style=filled, fillcolor="{grad_colour(1, 1)}", label="grad > 0"];')
    lines.append(f'    legend_neg [shape=box, style=filled, fillcolor="{grad_colour(-1, 1)}", label="grad < 0"];')
    lines.append(
        f'    legend_small [shape=box, style=filled, fillcolor="{grad_colour(1e-4, 1)}", label="small |grad|"];'
    )
    names = [f"legend_{k}" for k in KINDS] + ["legend_pos", "legend_neg", "legend_small"]
    for key, note in extra:
        lines.append(f'    legend_{key} [shape=plaintext, label="{text.dot_string(note)}"];')
        names.append(f"legend_{key}")
    # invisible edges put the legend in one row (left to right) instead of a tall column that shrinks the graph
    lines.append(f"    {' -> '.join(names)} [style=invis];")
    lines.append("  }")
    return lines


def _header(title: str, rankdir: str = "LR") -> list[str]:
    return [
        "digraph G {",
        f'  graph [rankdir={rankdir}, fontname="Helvetica", fontsize=12, labelloc=t, label="{text.dot_string(title)}"];',
        # the browser draws Helvetica with a wider stand-in than the layout measured: room so no text touches a border
        '  node [fontname="Helvetica", fontsize=10, margin="0.1,0.04"];',
        '  edge [color="#999999", arrowsize=0.5];',
    ]


def _gmax(grads: Iterable[float]) -> float:
    return max((abs(g) for g in grads if math.isfinite(g)), default=0.0)


def to_dot(
    snap: Snapshot,
    previous: Snapshot | None = None,
    show: str = "value",
    title: str | None = None,
    *,
    rankdir: str = "LR",
    legend: bool = True,
    keyed: bool = False,
    kind_names: dict[str, str] | None = None,
) -> str:
    """DOT source of a snapshot, left to right (rankdir "TB": top to bottom): each node shows name, op, data and grad;
    fill encodes grad. legend=False leaves out the training graph's legend (a page that says its own).

    keyed=True names nodes after the graph's shape (n<shape key>_<id>, not n<id>) for charts shown in a page:
    d3-graphviz re-renders a chart by matching nodes by name, and a node matched to one of another shape is left
    without its box (magjac/d3-graphviz#336); graphs of one shape keep their names, so only new numbers move.

    With show="diff" and a previous snapshot of the same graph, each node also shows Δdata and Δgrad. Each node's
    tooltip repeats its label on one line with its kind (kind_names: the words a page uses for the kinds).
    """
    if rankdir not in ("LR", "TB"):
        raise ValueError(f'rankdir must be "LR" or "TB", got {rankdir!r}')
    if show not in ("value", "diff"):
        raise ValueError(f'show must be "value" or "diff", got {show!r}')
    if show == "diff":
        if previous is None:
            raise ValueError('show="diff" needs a previous snapshot to compare with')
        if not snap.comparable(previous):
            raise ValueError("the previous snapshot has a different graph (architecture or loss changed); show values")
    diff_from = previous if show == "diff" else None  # not None exactly when show == "diff" (checked above)
    if title is None:
        title = (
            f"step {snap.step}: {snap.loss_name} loss {format_number(snap.loss)}" if snap.loss_name else "expression"
        )
        if snap.x:
            title += f" for x = ({', '.join(format_number(v) for v in snap.x)}), y = {format_label(snap.y)}"
        if diff_from is not None:
            title += f"; Δ since step {diff_from.step}"
    gmax = _gmax(n.grad for n in snap.nodes)
    # match by node id, not position: a neuron's detail keeps a subset of the full graph's nodes with their ids
    before = {p.id: p for p in diff_from.nodes} if diff_from is not None else {}
    lines = _header(title, rankdir)
    ids = f"n{snap.shape_key()}_" if keyed else "n"
    for n in snap.nodes:
        head = " ".join(s for s in (n.name, n.op if n.kind != "const" else "") if s) or n.kind
        rows = [f"data {format_number(n.data)}", f"grad {format_number(n.grad)}"]
        if show == "diff":
            p = before[n.id]
            rows += [f"Δdata {_signed(n.data - p.data)}", f"Δgrad {_signed(n.grad - p.grad)}"]
        kind = (kind_names or {}).get(n.kind, n.kind)
        tip = _tooltip(head if head == n.kind else f"{head} ({kind})", rows)
        lines.append(
            f'  {ids}{n.id} [{_STYLE[n.kind]}, fillcolor="{grad_colour(n.grad, gmax)}", label={_label(head, rows)}, '
            f"{tip}];"
        )
    lines += [f"  {ids}{c} -> {ids}{p};" for c, p in snap.edges]
    if legend:
        lines += _legend([("note", "fill: blue = d loss / d node > 0, orange < 0")])
    lines.append("}")
    return "\n".join(lines) + "\n"


def _neuron_id(layer: int, j: int) -> str:
    return f"h{layer}_{j}"


def neuron_dot(ns: NeuronSnapshot, previous: NeuronSnapshot | None = None, *, legend: bool = True) -> str:
    """DOT source of the per-neuron view: inputs, one node per neuron, the loss; one edge per weight.

    With a previous snapshot of the same network, each neuron also shows Δa and ΔdL/da, and each edge's tooltip Δw.
    """
    if previous is not None and not ns.comparable(previous):
        raise ValueError("the previous snapshot has a different network (architecture or loss changed); show values")
    gmax = _gmax([g for *_, g in ns.inputs] + [n.grad_a for n in ns.neurons])
    title = f"step {ns.step}: {ns.loss_name} loss {format_number(ns.loss)} (one node per neuron)"
    if ns.x:
        title += f" for x = ({', '.join(format_number(v) for v in ns.x)}), y = {format_label(ns.y)}"
    if previous is not None:
        title += f"; Δ since step {previous.step}"
    lines = _header(title)
    for i, (name, v, g) in enumerate(ns.inputs):
        rows = [f"data {format_number(v)}", f"dL/dx {format_number(g)}"]
        fill, tip = grad_colour(g, gmax), _tooltip(name, rows)
        lines.append(f'  in{i} [{_STYLE["input"]}, fillcolor="{fill}", label={_label(name, rows)}, {tip}];')
    n_layers = ns.n_layers
    for k, n in enumerate(ns.neurons):
        rows = [
            f"z {format_number(n.z)}",
            f"a {format_number(n.a)}",
            f"dL/da {format_number(n.grad_a)}",
            f"dL/dz {format_number(n.grad_z)}",
        ]
        if previous is not None:
            p = previous.neurons[k]
            rows += [f"Δa {_signed(n.a - p.a)}", f"ΔdL/da {_signed(n.grad_a - p.grad_a)}"]
        head = f"{neuron_title(n.layer, n.index, n_layers)} {n.activation}"
        fill, tip = grad_colour(n.grad_a, gmax), _tooltip(head, rows)
        lines.append(
            f'  {_neuron_id(n.layer, n.index)} [{_STYLE["op"]}, fillcolor="{fill}", label={_label(head, rows)}, {tip}];'
        )
    loss_rows = [format_number(ns.loss)] + ([f"Δ {_signed(ns.loss - previous.loss)}"] if previous else [])
    lines.append(f'  loss [{_STYLE["loss"]}, fillcolor="{grad_colour(1, 1)}", label={_label("loss", loss_rows)}];')
    wmax = max((abs(w) for *_, w, _ in ns.weights if math.isfinite(w)), default=1.0) or 1.0
    for k, (li, j, i, w, g) in enumerate(ns.weights):
        src = f"in{i}" if li == 0 else _neuron_id(li - 1, i)
        colour = palette.POSITIVE if w > 0 else palette.NEGATIVE
        width = 0.3 + 3.5 * min(abs(w), wmax) / wmax if math.isfinite(w) else 1.0
        tip = f"w = {format_number(w)}, dL/dw = {format_number(g)}"
        if previous is not None:
            tip += f", Δw = {_signed(w - previous.weights[k][3])}"
        lines.append(f'  {src} -> {_neuron_id(li, j)} [color="{colour}", penwidth={width:.2f}, tooltip="{tip}"];')
    last = max(n.layer for n in ns.neurons)
    lines += [f"  {_neuron_id(n.layer, n.index)} -> loss;" for n in ns.neurons if n.layer == last]
    if legend:  # its row of ten legend nodes is wider than a net's few ranks: a page with a caption leaves it out
        lines += _legend([("note", "edge width ∝ |w|; blue w > 0, orange w < 0")])
    lines.append("}")
    return "\n".join(lines) + "\n"


def neuron_detail_dot(
    model: MLP,
    layer: int,
    j: int,
    x: Sequence[float],
    y: float,
    loss: str,
    step: int = 0,
    feature_names: Sequence[str] | None = None,
) -> str:
    """DOT source of one neuron opened into its scalar operations; grads are d loss / d node."""
    from micrograd.views.graph import neuron_detail_snapshot

    snap = neuron_detail_snapshot(model, layer, j, x, y, loss, step, feature_names)
    title = (
        f"neuron {neuron_title(layer, j, len(model.layers))} at step {step}; grads are d({loss} loss)/d node, "
        f"loss {format_number(snap.loss)}"
    )
    return to_dot(snap, title=title)


def sandbox_dot(root: Value, names: Iterable[str] = ()) -> str:
    """DOT source of an expression's graph with its current grads (call root.backward() first); names are inputs.

    Top to bottom, without the training legend (the Sandbox page says its own): left to right, the README's
    expression is ~2,700 px wide and shrinks to 7 px labels on a page; top to bottom its labels keep their size.
    """
    from micrograd.views.graph import value_snapshot

    snap = value_snapshot(root, names)
    title = f"{root.label or 'output'} = {format_number(root.data)}"
    return to_dot(snap, title=title, rankdir="TB", legend=False, keyed=True, kind_names=SANDBOX_KINDS)


def render(dot_source: str, fmt: str = "svg") -> bytes:
    """Render DOT source to SVG or PNG bytes with the Graphviz ``dot`` binary."""
    import graphviz  # only here: the rest of the module needs no third-party package

    if fmt not in ("svg", "png"):
        raise ValueError(f'fmt must be "svg" or "png", got {fmt!r}')
    try:
        return graphviz.Source(dot_source).pipe(format=fmt)
    except graphviz.ExecutableNotFound as e:
        raise GraphvizNotInstalled(
            "rendering needs the Graphviz 'dot' program, which is not installed: install Graphviz "
            "(e.g. `apt-get install graphviz`). DOT export still works without it."
        ) from e
