"""Snapshots of the real scalar graph of one example, drawn as DOT: every scalar op, or one node per neuron.

A snapshot is plain data (no Values), so the dashboard can keep a history of them in session memory and
diff two of them; node ids are topological indices, stable across snapshots of the same architecture.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from micrograd.engine import Value, topological_order
from micrograd.losses import task_loss
from micrograd.nn import MLP
from micrograd.views.dot import KINDS as KINDS  # drawing, re-exported
from micrograd.views.dot import GraphvizNotInstalled as GraphvizNotInstalled
from micrograd.views.dot import format_label as format_label
from micrograd.views.dot import format_number as format_number
from micrograd.views.dot import grad_colour as grad_colour
from micrograd.views.dot import neuron_detail_dot as neuron_detail_dot
from micrograd.views.dot import neuron_dot as neuron_dot
from micrograd.views.dot import render as render
from micrograd.views.dot import sandbox_dot as sandbox_dot
from micrograd.views.dot import to_dot as to_dot
from micrograd.views.graph_task import Label as Label
from micrograd.views.graph_task import graph_size as graph_size
from micrograd.views.graph_task import label_leaves as label_leaves
from micrograd.views.graph_task import label_of as _label_of
from micrograd.views.graph_task import resolve_task as resolve_task

MAX_SCALAR_NODES = 2000  # the live view (canvas, laid out once) pans and zooms 2-16-16-1 (986), 2-16-16-16-3 (1,881)


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
    y: Label
    loss: float
    loss_name: str
    nodes: tuple[Node, ...]
    edges: tuple[tuple[int, int], ...]
    task: str = "binary"

    def comparable(self, other: object) -> bool:
        """True if other has the same graph shape, so its nodes can be matched by id."""
        if not isinstance(other, Snapshot) or self.edges != other.edges:
            return False
        return [(n.kind, n.op) for n in self.nodes] == [(n.kind, n.op) for n in other.nodes]

    def shape_key(self) -> str:
        """Eight hex digits that differ between graphs of different shape (kinds, ops, edges), equal otherwise."""
        shape = repr(([(n.kind, n.op) for n in self.nodes], self.edges))
        return hashlib.sha256(shape.encode()).hexdigest()[:8]


@dataclass
class Traced:
    """A built graph of one example with its backward pass done: nodes in topological order, kinds, names."""

    root: Value
    order: list[Value]
    kinds: list[str]
    names: list[str]
    grads: list[float]  # captured before the model's own grads were restored


def _check_example(model: MLP, x: Sequence[float], feature_names: Sequence[str] | None) -> list[str]:
    nin = model.sizes[0]
    if len(x) != nin:
        raise ValueError(f"the example has {len(x)} features but the model expects {nin}")
    names = list(feature_names) if feature_names is not None else [f"x{i + 1}" for i in range(nin)]
    if len(names) != nin:
        raise ValueError(f"got {len(names)} feature names for {nin} inputs")
    return names


def trace_example(
    model: MLP,
    x: Sequence[float],
    y: Label,
    loss: str,
    feature_names: Sequence[str] | None = None,
    task: str | None = None,
) -> Traced:
    """Build the scalar graph of one example through its task's per-example loss and backpropagate it.

    Every task: binary (one score, a ±1 label y), multiclass (K scores, the class index picks one; cross-entropy is
    logsumexp over the K scores, one node named lse, minus the picked score), regression (m outputs, targets y...).
    The model's gradients are zeroed for the pass and restored afterwards, so tracing never disturbs training.
    """
    task = resolve_task(model, loss, task)
    f = task_loss(task, loss)
    names = _check_example(model, x, feature_names)
    label: dict[int, tuple[str, str]] = {id(p): ("param", n) for n, p in model.named_parameters()}
    xs = [Value(float(v), label=n) for v, n in zip(x, names)]
    target, leaves = label_leaves(task, y, model.sizes[-1])
    label.update({id(v): ("input", v.label) for v in xs})
    label.update({id(v): ("label", v.label) for v in leaves})
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
        root = f(h, target)
        root.backward()
        order = topological_order(root)
        grads = [v.grad for v in order]
    finally:
        for p, g in zip(params, saved):
            p.grad = g
    kinds, node_names = [], []
    for v in order:
        kind, name = label.get(id(v), ("op" if v.children else "const", ""))
        if v.op == "logsumexp" and not name:
            name = "lse"  # the cross-entropy's log-sum-exp: named, so the lesson keeps it as a step of its own
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
    y: Label,
    loss: str,
    step: int = 0,
    feature_names: Sequence[str] | None = None,
    task: str | None = None,
) -> Snapshot:
    """A plain-data snapshot of one example's scalar graph, with values and gradients."""
    task = resolve_task(model, loss, task)
    t = trace_example(model, x, y, loss, feature_names, task)
    ex = {"step": step, "x": tuple(float(v) for v in x), "y": _label_of(y), "loss": t.root.data, "loss_name": loss}
    return _from_order(t.order, t.kinds, t.names, t.grads, task=task, **ex)


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


# size policy and the per-neuron view


def choose_view(model: MLP, loss: str = "svm", task: str | None = None) -> tuple[str, str]:
    """("scalar" | "neuron", a sentence saying which view is shown and why)."""
    n = graph_size(model, loss, task)
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
    y: Label = math.nan
    task: str = "binary"

    @property
    def n_layers(self) -> int:
        """The model's number of layers (every neuron is in the view)."""
        return 1 + max((n.layer for n in self.neurons), default=0)

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
    y: Label,
    loss: str,
    step: int = 0,
    feature_names: Sequence[str] | None = None,
    task: str | None = None,
) -> NeuronSnapshot:
    """Trace the example and keep one record per neuron (z, a, dLoss/dz, dLoss/da) and per weight."""
    task = resolve_task(model, loss, task)
    t = trace_example(model, x, y, loss, feature_names, task)
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
    ex = (tuple(float(v) for v in x), _label_of(y), task)
    return NeuronSnapshot(step, t.root.data, loss, inputs, tuple(neurons), tuple(weights), *ex)


def neuron_detail_snapshot(
    model: MLP,
    layer: int,
    j: int,
    x: Sequence[float],
    y: Label,
    loss: str,
    step: int = 0,
    feature_names: Sequence[str] | None = None,
    task: str | None = None,
) -> Snapshot:
    """One neuron's scalar operations (weights, bias, its inputs as leaves, the add chain, the activation)."""
    sizes = model.sizes
    if not (isinstance(layer, int) and 0 <= layer < len(model.layers)):
        raise ValueError(f"layer must be between 0 and {len(model.layers) - 1}, got {layer!r}")
    if not (isinstance(j, int) and 0 <= j < sizes[layer + 1]):
        raise ValueError(f"layer {layer} has neurons 0 to {sizes[layer + 1] - 1}, got {j!r}")
    full = snapshot(model, x, y, loss, step, feature_names, task)
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
        full.task,
    )


def compact(snap: Snapshot) -> tuple[Snapshot, tuple[int, ...]]:
    """A part of a graph (e.g. ``neuron_detail_snapshot``) renumbered 0..n-1 in its topological order, for the live
    view, and the original id of each new id."""
    old = tuple(sorted(n.id for n in snap.nodes))
    new = {o: k for k, o in enumerate(old)}
    by_id = {n.id: n for n in snap.nodes}
    nodes = tuple(Node(new[o], by_id[o].kind, by_id[o].op, by_id[o].name, by_id[o].data, by_id[o].grad) for o in old)
    edges = tuple((new[c], new[p]) for c, p in snap.edges)
    return Snapshot(snap.step, snap.x, snap.y, snap.loss, snap.loss_name, nodes, edges, snap.task), old
