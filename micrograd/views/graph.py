"""Snapshots of the real scalar graph of one example, drawn as DOT: every scalar op, or one node per neuron.

A snapshot is plain data (no Values), so the dashboard can keep a history of them in session memory and
diff two of them; node ids are topological indices, stable across snapshots of the same architecture.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from micrograd.engine import Value, topological_order
from micrograd.losses import per_example
from micrograd.nn import MLP
from micrograd.views import text

MAX_SCALAR_NODES = 1000  # the live view (canvas, laid out once) pans and zooms the ~1,000 nodes of 2-16-16-1
KINDS = ("input", "label", "param", "const", "op", "loss")


class GraphvizNotInstalled(RuntimeError):
    """The Graphviz ``dot`` binary is missing, so a graph cannot be rendered to SVG/PNG here."""


@dataclass(frozen=True)
class Node:
    """One scalar of the graph: its kind, the op that made it, a name (may be empty), data and grad."""

    id: int
    kind: str
    op: str
    name: str
    data: float
    grad: float


@dataclass(frozen=True)
class Snapshot:
    """The one-example graph at one training step: nodes, edges (child id, parent id) and the example."""

    step: int
    x: tuple[float, ...]
    y: float
    loss: float
    loss_name: str
    nodes: tuple[Node, ...]
    edges: tuple[tuple[int, int], ...]

    def comparable(self, other: object) -> bool:
        """True if other has the same graph shape, so its nodes can be matched by id."""
        if not isinstance(other, Snapshot) or self.edges != other.edges:
            return False
        return [(n.kind, n.op) for n in self.nodes] == [(n.kind, n.op) for n in other.nodes]


@dataclass
class Traced:
    """A built graph of one example with its backward pass done: nodes in topological order, kinds, names."""

    root: Value
    order: list[Value]
    kinds: list[str]
    names: list[str]
    grads: list[float]  # captured before the model's own grads were restored


def _check_example(model: MLP, x: Sequence[float], feature_names: Sequence[str] | None) -> list[str]:
    nin, nout = model.sizes[0], model.sizes[-1]
    if nout != 1:
        raise ValueError(f"the graph views need a model with one output unit; this one has {nout}")
    if len(x) != nin:
        raise ValueError(f"the example has {len(x)} features but the model expects {nin}")
    names = list(feature_names) if feature_names is not None else [f"x{i + 1}" for i in range(nin)]
    if len(names) != nin:
        raise ValueError(f"got {len(names)} feature names for {nin} inputs")
    return names


def trace_example(
    model: MLP, x: Sequence[float], y: float, loss: str, feature_names: Sequence[str] | None = None
) -> Traced:
    """Build the scalar graph of one example through its per-example loss and backpropagate it.

    The model's gradients are zeroed for the pass and restored afterwards, so tracing never disturbs training.
    """
    f = per_example(loss)
    names = _check_example(model, x, feature_names)
    label: dict[int, tuple[str, str]] = {id(p): ("param", n) for n, p in model.named_parameters()}
    xs = [Value(float(v), label=n) for v, n in zip(x, names)]
    yv = Value(float(y), label="y")  # a leaf rather than a float, so the label shows up as a node
    label.update({id(v): ("input", v.label) for v in xs})
    label[id(yv)] = ("label", "y")
    params = model.parameters()
    saved = [p.grad for p in params]
    try:
        model.zero_grad()
        h: list[Value] = xs
        for li, layer in enumerate(model.layers):
            h = layer.forward(h)
            for j, a in enumerate(h):
                z = a if layer.activation == "linear" else a.children[0]
                label[id(z)] = ("op", f"layers.{li}.{j}.z")
                if a is not z:
                    label[id(a)] = ("op", f"layers.{li}.{j}.a")
        root = f(h[0], yv)
        root.backward()
        order = topological_order(root)
        grads = [v.grad for v in order]
    finally:
        for p, g in zip(params, saved):
            p.grad = g
    kinds, node_names = [], []
    for v in order:
        kind, name = label.get(id(v), ("op" if v.children else "const", ""))
        if v is root:
            kind, name = "loss", "loss"
        kinds.append(kind)
        node_names.append(name)
    return Traced(root, order, kinds, node_names, grads)


def _from_order(order: list[Value], kinds, names, grads, **example) -> Snapshot:
    index = {id(v): i for i, v in enumerate(order)}
    nodes = tuple(Node(i, k, v.op, n, v.data, g) for i, (v, k, n, g) in enumerate(zip(order, kinds, names, grads)))
    edges = tuple((index[id(c)], i) for i, v in enumerate(order) for c in v.children)
    return Snapshot(nodes=nodes, edges=edges, **example)


def snapshot(
    model: MLP,
    x: Sequence[float],
    y: float,
    loss: str,
    step: int = 0,
    feature_names: Sequence[str] | None = None,
) -> Snapshot:
    """A plain-data snapshot of one example's scalar graph, with values and gradients."""
    t = trace_example(model, x, y, loss, feature_names)
    ex = {"step": step, "x": tuple(float(v) for v in x), "y": float(y), "loss": t.root.data, "loss_name": loss}
    return _from_order(t.order, t.kinds, t.names, t.grads, **ex)


def value_snapshot(root: Value, inputs: Iterable[str] = (), step: int = 0) -> Snapshot:
    """A snapshot of any expression graph: labelled leaves named in inputs are inputs, the root is the output."""
    inputs = set(inputs)
    order = topological_order(root)
    kinds, names = [], []
    for v in order:
        if v is root:
            kinds.append("loss")
        elif not v.children:
            kinds.append("input" if v.label in inputs else "const")
        else:
            kinds.append("op")
        names.append(v.label or ("" if v.children or v is root else f"{v.data:g}"))
    ex = {"step": step, "x": (), "y": math.nan, "loss": root.data, "loss_name": ""}
    return _from_order(order, kinds, names, [v.grad for v in order], **ex)


# drawing


def format_number(v: float) -> str:
    """A number short enough for a node label, precise enough to read back."""
    if v == 0 or not math.isfinite(v):
        return "0" if v == 0 else str(v)
    return f"{v:.4f}" if 1e-3 <= abs(v) < 1e5 else f"{v:.3e}"


def _signed(v: float) -> str:
    return ("+" if v > 0 else "") + format_number(v)


_RED, _BLUE = (214, 96, 77), (67, 147, 195)
_STYLE = {  # kind -> node attributes; the fill always encodes the gradient, so kinds differ by shape and border
    "input": 'shape=box, style="rounded,filled", color="#1a9850", penwidth=2',
    "label": 'shape=box, style="rounded,filled,dashed", color="#1a9850", penwidth=2',
    "param": 'shape=box, style="filled", color="#762a83", penwidth=2',
    "const": 'shape=box, style="filled,dotted", color="#999999", fontsize=8',
    "op": 'shape=ellipse, style="filled", color="#555555"',
    "loss": 'shape=doubleoctagon, style="filled", color="#000000", penwidth=2.5',
}


def grad_colour(g: float, gmax: float) -> str:
    """Fill colour for a gradient: red positive, blue negative, deeper on a log scale of |g| over 4 decades."""
    if g != g:
        return "#dddddd"
    if g == 0 or gmax <= 0:
        return "#ffffff"
    lo = math.log10(gmax) - 4.0
    t = 0.0 if math.isinf(g) else min(1.0, max(0.0, (math.log10(abs(g)) - lo) / 4.0))
    t = 0.15 + 0.85 * t  # the faintest nonzero gradient still differs from white
    base = _RED if g > 0 else _BLUE
    return "#" + "".join(f"{round(255 + (c - 255) * t):02x}" for c in base)


def _label(title: str, rows: Iterable[str]) -> str:
    cells = "".join(f"<TR><TD>{text.dot_html(r)}</TD></TR>" for r in rows)
    head = f"<TR><TD><B>{text.dot_html(title)}</B></TD></TR>"
    return f'<<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="0">{head}{cells}</TABLE>>'


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


def _header(title: str) -> list[str]:
    return [
        "digraph G {",
        f'  graph [rankdir=LR, fontname="Helvetica", fontsize=12, labelloc=t, label="{text.dot_string(title)}"];',
        '  node [fontname="Helvetica", fontsize=10, margin="0.04,0.02"];',
        '  edge [color="#999999", arrowsize=0.5];',
    ]


def _gmax(grads: Iterable[float]) -> float:
    return max((abs(g) for g in grads if math.isfinite(g)), default=0.0)


def to_dot(snap: Snapshot, previous: Snapshot | None = None, show: str = "value", title: str | None = None) -> str:
    """DOT source of a snapshot, left to right: each node shows name, op, data and grad; fill encodes grad.

    With show="diff" and a previous snapshot of the same graph, each node also shows Δdata and Δgrad.
    """
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
            title += f" for x = ({', '.join(format_number(v) for v in snap.x)}), y = {format_number(snap.y)}"
        if diff_from is not None:
            title += f"; Δ since step {diff_from.step}"
    gmax = _gmax(n.grad for n in snap.nodes)
    # match by node id, not position: a neuron's detail keeps a subset of the full graph's nodes with their ids
    before = {p.id: p for p in diff_from.nodes} if diff_from is not None else {}
    lines = _header(title)
    for n in snap.nodes:
        head = " ".join(s for s in (n.name, n.op if n.kind != "const" else "") if s) or n.kind
        rows = [f"data {format_number(n.data)}", f"grad {format_number(n.grad)}"]
        if show == "diff":
            p = before[n.id]
            rows += [f"Δdata {_signed(n.data - p.data)}", f"Δgrad {_signed(n.grad - p.grad)}"]
        lines.append(
            f'  n{n.id} [{_STYLE[n.kind]}, fillcolor="{grad_colour(n.grad, gmax)}", label={_label(head, rows)}];'
        )
    lines += [f"  n{c} -> n{p};" for c, p in snap.edges]
    lines += _legend([("note", "fill: red = d loss / d node > 0, blue < 0")])
    lines.append("}")
    return "\n".join(lines) + "\n"


# size policy and the per-neuron view


def graph_size(model: MLP, loss: str = "svm") -> int:
    """Node count of the one-example scalar graph, counted from the architecture without building it."""
    loss_nodes = len(topological_order(per_example(loss)(Value(0.0), Value(1.0)))) - 1  # the loss tail minus the score
    n = model.sizes[0]
    for layer in model.layers:
        per_neuron = 2 * layer.nin + 1 + (layer.activation != "linear")  # weights+bias, muls, adds, activation
        n += len(layer.neurons) * (per_neuron + layer.nin)
    return n + loss_nodes


def choose_view(model: MLP, loss: str = "svm") -> tuple[str, str]:
    """("scalar" | "neuron", a sentence saying which view is shown and why)."""
    n = graph_size(model, loss)
    if n <= MAX_SCALAR_NODES:
        return (
            "scalar",
            f"Showing every scalar operation: the one-example graph has {n} nodes (limit {MAX_SCALAR_NODES}).",
        )
    return "neuron", (
        f"The one-example graph has {n} scalar nodes, more than the {MAX_SCALAR_NODES} the scalar view shows, "
        "so each neuron is one node; open a neuron to see its scalar operations."
    )


@dataclass(frozen=True)
class NeuronState:
    """One neuron on one example: pre-activation z, activation a and the loss's gradients with respect to both."""

    layer: int
    index: int
    activation: str
    z: float
    a: float
    grad_z: float
    grad_a: float


@dataclass(frozen=True)
class NeuronSnapshot:
    """The per-neuron view of one example: inputs (name, value, grad), neurons, weights (layer, j, i, w, grad)."""

    step: int
    loss: float
    loss_name: str
    inputs: tuple[tuple[str, float, float], ...]
    neurons: tuple[NeuronState, ...]
    weights: tuple[tuple[int, int, int, float, float], ...]
    x: tuple[float, ...] = ()
    y: float = math.nan

    def comparable(self, other: object) -> bool:
        """True if other has the same neurons, weights and loss, so they can be matched one to one."""
        return (
            isinstance(other, NeuronSnapshot)
            and self.loss_name == other.loss_name
            and [r[0] for r in self.inputs] == [r[0] for r in other.inputs]
            and [(n.layer, n.index, n.activation) for n in self.neurons]
            == [(n.layer, n.index, n.activation) for n in other.neurons]
            and [w[:3] for w in self.weights] == [w[:3] for w in other.weights]
        )


def neuron_snapshot(
    model: MLP,
    x: Sequence[float],
    y: float,
    loss: str,
    step: int = 0,
    feature_names: Sequence[str] | None = None,
) -> NeuronSnapshot:
    """Trace the example and keep one record per neuron (z, a, dLoss/dz, dLoss/da) and per weight."""
    t = trace_example(model, x, y, loss, feature_names)
    by_name = {n: (v, g) for v, n, g in zip(t.order, t.names, t.grads) if n}
    inputs = tuple((v.label, v.data, g) for v, k, g in zip(t.order, t.kinds, t.grads) if k == "input")
    order = {name: i for i, name in enumerate(_check_example(model, x, feature_names))}
    inputs = tuple(sorted(inputs, key=lambda r: order[r[0]]))
    neurons, weights = [], []
    for li, layer in enumerate(model.layers):
        for j, neuron in enumerate(layer.neurons):
            z, gz = by_name[f"layers.{li}.{j}.z"]
            a, ga = by_name.get(f"layers.{li}.{j}.a", (z, gz))
            neurons.append(NeuronState(li, j, layer.activation, z.data, a.data, gz, ga))
            weights += [(li, j, i, w.data, by_name[f"layers.{li}.weight.{j}.{i}"][1]) for i, w in enumerate(neuron.w)]
    ex = (tuple(float(v) for v in x), float(y))
    return NeuronSnapshot(step, t.root.data, loss, inputs, tuple(neurons), tuple(weights), *ex)


def _neuron_id(layer: int, j: int) -> str:
    return f"h{layer}_{j}"


def neuron_dot(ns: NeuronSnapshot, previous: NeuronSnapshot | None = None) -> str:
    """DOT source of the per-neuron view: inputs, one node per neuron, the loss; one edge per weight.

    With a previous snapshot of the same network, each neuron also shows Δa and ΔdL/da, and each edge's tooltip Δw.
    """
    if previous is not None and not ns.comparable(previous):
        raise ValueError("the previous snapshot has a different network (architecture or loss changed); show values")
    gmax = _gmax([g for *_, g in ns.inputs] + [n.grad_a for n in ns.neurons])
    title = f"step {ns.step}: {ns.loss_name} loss {format_number(ns.loss)} (one node per neuron)"
    if ns.x:
        title += f" for x = ({', '.join(format_number(v) for v in ns.x)}), y = {format_number(ns.y)}"
    if previous is not None:
        title += f"; Δ since step {previous.step}"
    lines = _header(title)
    for i, (name, v, g) in enumerate(ns.inputs):
        rows = [f"data {format_number(v)}", f"dL/dx {format_number(g)}"]
        lines.append(f'  in{i} [{_STYLE["input"]}, fillcolor="{grad_colour(g, gmax)}", label={_label(name, rows)}];')
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
        head = f"layers.{n.layer}.{n.index} {n.activation}"
        fill = grad_colour(n.grad_a, gmax)
        lines.append(
            f'  {_neuron_id(n.layer, n.index)} [{_STYLE["op"]}, fillcolor="{fill}", label={_label(head, rows)}];'
        )
    loss_rows = [format_number(ns.loss)] + ([f"Δ {_signed(ns.loss - previous.loss)}"] if previous else [])
    lines.append(f'  loss [{_STYLE["loss"]}, fillcolor="{grad_colour(1, 1)}", label={_label("loss", loss_rows)}];')
    wmax = max((abs(w) for *_, w, _ in ns.weights if math.isfinite(w)), default=1.0) or 1.0
    for k, (li, j, i, w, g) in enumerate(ns.weights):
        src = f"in{i}" if li == 0 else _neuron_id(li - 1, i)
        colour = "#d6604d" if w > 0 else "#4393c3"
        width = 0.3 + 3.5 * min(abs(w), wmax) / wmax if math.isfinite(w) else 1.0
        tip = f"w = {format_number(w)}, dL/dw = {format_number(g)}"
        if previous is not None:
            tip += f", Δw = {_signed(w - previous.weights[k][3])}"
        lines.append(f'  {src} -> {_neuron_id(li, j)} [color="{colour}", penwidth={width:.2f}, tooltip="{tip}"];')
    last = max(n.layer for n in ns.neurons)
    lines += [f"  {_neuron_id(n.layer, n.index)} -> loss;" for n in ns.neurons if n.layer == last]
    lines += _legend([("note", "edge width ∝ |w|; red w > 0, blue w < 0")])
    lines.append("}")
    return "\n".join(lines) + "\n"


def neuron_detail_snapshot(
    model: MLP,
    layer: int,
    j: int,
    x: Sequence[float],
    y: float,
    loss: str,
    step: int = 0,
    feature_names: Sequence[str] | None = None,
) -> Snapshot:
    """One neuron's scalar operations (weights, bias, its inputs as leaves, the add chain, the activation)."""
    sizes = model.sizes
    if not (isinstance(layer, int) and 0 <= layer < len(model.layers)):
        raise ValueError(f"layer must be between 0 and {len(model.layers) - 1}, got {layer!r}")
    if not (isinstance(j, int) and 0 <= j < sizes[layer + 1]):
        raise ValueError(f"layer {layer} has neurons 0 to {sizes[layer + 1] - 1}, got {j!r}")
    full = snapshot(model, x, y, loss, step, feature_names)
    ids = {n.name: n.id for n in full.nodes if n.name}
    root = ids.get(f"layers.{layer}.{j}.a", ids[f"layers.{layer}.{j}.z"])
    if layer == 0:
        stop: set[int | None] = {n.id for n in full.nodes if n.kind == "input"}
    else:
        prev = [ids.get(f"layers.{layer - 1}.{i}.a", ids.get(f"layers.{layer - 1}.{i}.z")) for i in range(sizes[layer])]
        stop = set(prev)
    children: dict[int, list[int]] = {}
    for c, p in full.edges:
        children.setdefault(p, []).append(c)
    keep, todo = set(), [root]
    while todo:
        v = todo.pop()
        if v not in keep:
            keep.add(v)
            if v not in stop:
                todo += children.get(v, [])
    nodes = tuple(n if n.id not in stop else Node(n.id, "input", "", n.name, n.data, n.grad) for n in full.nodes)
    return Snapshot(
        full.step,
        full.x,
        full.y,
        full.loss,
        full.loss_name,
        tuple(n for n in nodes if n.id in keep),
        tuple((c, p) for c, p in full.edges if c in keep and p in keep and p not in stop),
    )


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
    snap = neuron_detail_snapshot(model, layer, j, x, y, loss, step, feature_names)
    title = (
        f"neuron layers.{layer}.{j} at step {step}; grads are d({loss} loss)/d node, loss {format_number(snap.loss)}"
    )
    return to_dot(snap, title=title)


def sandbox_dot(root: Value, names: Iterable[str] = ()) -> str:
    """DOT source of an expression's graph with its current grads (call root.backward() first); names are inputs."""
    return to_dot(value_snapshot(root, names), title=f"{root.label or 'output'} = {root.data:.4f}")


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


# a series of snapshots taken during training


class SnapshotSeries:
    """Snapshots of one example's graph every ``every`` training steps, oldest dropped past ``limit``.

    Each snapshot is the scalar or neuron view that ``choose_view`` picks; the weights at that step are kept too,
    so a neuron of an old snapshot can still be opened. Plain data only, cheap to keep in session state.
    """

    def __init__(self, every: int = 10, limit: int = 200) -> None:
        self.every = every
        if not (isinstance(limit, int) and limit >= 1):
            raise ValueError(f"limit must be a whole number >= 1, got {limit!r}")
        self.limit = limit
        self.snapshots: list[Snapshot | NeuronSnapshot] = []
        self.index: int | None = 0  # training point to trace; None when x and y were typed
        self.x: tuple[float, ...] | None = None
        self.y: float | None = None
        self._params: list[tuple[float, ...]] = []  # weights at each snapshot, for model_at
        self._template: MLP | None = None
        self._trainer_id: int | None = None

    @property
    def every(self) -> int:
        """Take a snapshot when the step count is a multiple of this."""
        return self._every

    @every.setter
    def every(self, n: int) -> None:
        if isinstance(n, bool) or not isinstance(n, int) or n < 1:
            raise ValueError(f"every must be a whole number of steps >= 1, got {n!r}")
        self._every = n

    def __len__(self) -> int:
        return len(self.snapshots)

    def set_example(self, x: Sequence[float] | None = None, y: float | None = None, index: int | None = None) -> None:
        """Trace training point ``index`` (read from the trainer's data at each snapshot), or typed x and y."""
        if index is not None:
            if isinstance(index, bool) or not isinstance(index, int) or index < 0:
                raise ValueError(f"the example index must be a whole number >= 0, got {index!r}")
            self.index, self.x, self.y = index, None, None
            return
        if x is None or y is None:
            raise ValueError("give either a training point's index, or the example's coordinates x and its label y")
        xs = tuple(float(v) for v in x)
        if not xs or not all(math.isfinite(v) for v in xs + (float(y),)):
            raise ValueError(f"the example's coordinates and label must be finite numbers, got x={x!r}, y={y!r}")
        self.index, self.x, self.y = None, xs, float(y)

    def example(self, dataset) -> tuple[tuple[float, ...], float]:
        """(x, y) of the example on this dataset; raises ValueError if it does not fit the data."""
        if self.index is None:
            # set_example sets x and y whenever it sets index to None
            assert self.x is not None and self.y is not None
            if len(self.x) != dataset.n_features:
                raise ValueError(
                    f"the typed example has {len(self.x)} coordinates but the data has {dataset.n_features} features"
                )
            return self.x, self.y
        n = len(dataset.y_train)
        if self.index >= n:
            raise ValueError(f"training point {self.index} does not exist: the training set has points 0 to {n - 1}")
        return tuple(float(v) for v in dataset.X_train[self.index]), float(dataset.y_train[self.index])

    def clear(self) -> None:
        """Forget every snapshot (the example and ``every`` stay)."""
        self.snapshots, self._params, self._template = [], [], None

    def take(self, trainer, force: bool = False) -> bool:
        """Snapshot the trainer's model on the example if the step is a multiple of ``every`` (or force).

        Never twice for the same step and example. A new trainer, an earlier step or a graph that no longer
        matches (architecture or loss changed) clears the series first. Returns True if a snapshot was taken.
        """
        step = trainer.step_count
        if not force and step % self.every:
            return False
        x, y = self.example(trainer.dataset)
        new_run = id(trainer) != self._trainer_id or (self.snapshots and step < self.snapshots[-1].step)
        if new_run:
            self.clear()
            self._trainer_id = id(trainer)
        elif any(s.step == step and s.x == x and s.y == y for s in self.snapshots):
            return False
        model, loss, names = trainer.model, trainer.config.loss, trainer.dataset.feature_names
        view, _ = choose_view(model, loss)
        make = snapshot if view == "scalar" else neuron_snapshot
        snap = make(model, x, y, loss, step, names)
        if self.snapshots and not snap.comparable(self.snapshots[-1]):
            self.clear()
        if self._template is None:
            self._template = copy.deepcopy(model)
        self.snapshots.append(snap)
        self._params.append(tuple(p.data for p in model.parameters()))
        if len(self.snapshots) > self.limit:
            del self.snapshots[0], self._params[0]
        return True

    def model_at(self, i: int) -> MLP:
        """A copy of the model with the weights it had at snapshot i."""
        if not -len(self.snapshots) <= i < len(self.snapshots):
            raise IndexError(f"there are {len(self.snapshots)} snapshots; got index {i}")
        assert self._template is not None  # take() keeps one from the first snapshot on, and there is snapshot i
        model = copy.deepcopy(self._template)
        for p, v in zip(model.parameters(), self._params[i]):
            p.data, p.grad = v, 0.0
        return model


def take_snapshot(series: object, trainer, force: bool = False) -> bool:
    """series.take(trainer, force) when series is a SnapshotSeries (the Graph page creates it), else nothing."""
    if not isinstance(series, SnapshotSeries):
        return False
    try:
        return series.take(trainer, force)
    except ValueError:  # the example no longer fits the data: the Graph page says so; training goes on
        return False
