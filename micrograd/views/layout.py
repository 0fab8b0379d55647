"""Positions for a computation graph, computed once per architecture: layered by depth, left to right.

Node ids are topological indices (every edge goes from a lower id to a higher one), as in ``views.graph``.
Operations sit at their longest-path depth from the leaves; a node with a single consumer (and every leaf)
moves right until it sits just before that consumer, so a weight sits beside its product and the add chain of
a neuron reads along one row band. Within a column, a few barycenter sweeps order the nodes to cut crossings.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

NODE_W, NODE_H = 132.0, 46.0  # a node's box in CSS pixels at 100 % zoom: three lines of 12 px text
COL_GAP, ROW_GAP = 70.0, 12.0  # space between columns and between boxes in a column
SWEEPS = 6  # barycenter passes (each one left to right and right to left)


@dataclass(frozen=True)
class Layout:
    """Where each node goes: its column (depth), its row within the column and its box's top-left corner."""

    key: str
    layers: tuple[int, ...]
    x: tuple[float, ...]
    y: tuple[float, ...]
    width: float
    height: float


def shape_key(kinds: Sequence[str], ops: Sequence[str], edges: Sequence[tuple[int, int]]) -> str:
    """A short digest of the graph's shape: equal for every snapshot of the same architecture and loss."""
    h = hashlib.sha256()
    h.update(repr((tuple(kinds), tuple(ops), tuple(edges))).encode())
    return h.hexdigest()[:16]


def _adjacency(n: int, edges: Sequence[tuple[int, int]]) -> tuple[list[list[int]], list[list[int]]]:
    ins: list[list[int]] = [[] for _ in range(n)]  # the operands of a node (its children in engine terms)
    outs: list[list[int]] = [[] for _ in range(n)]  # the nodes that consume it
    for c, p in edges:
        if not (0 <= c < p < n):
            raise ValueError(f"edge ({c}, {p}) does not go from a lower to a higher topological id in {n} nodes")
        ins[p].append(c)
        outs[c].append(p)
    return ins, outs


def assign_layers(n: int, edges: Sequence[tuple[int, int]]) -> list[int]:
    """Column of every node: longest path from the leaves, then single-consumer nodes and leaves pulled right."""
    ins, outs = _adjacency(n, edges)
    layer = [0] * n
    for v in range(n):  # ids are topological, so operands come first
        if ins[v]:
            layer[v] = 1 + max(layer[c] for c in ins[v])
    for v in range(n - 1, -1, -1):  # consumers first
        if outs[v] and (len(outs[v]) == 1 or not ins[v]):
            layer[v] = min(layer[p] for p in outs[v]) - 1
    return layer


def _rows(order: list[int], pos: list[float]) -> None:
    """Give the nodes of one column centred slots 0, 1, 2... in the given order."""
    mid = (len(order) - 1) / 2
    for r, v in enumerate(order):
        pos[v] = r - mid


def order_columns(layer: Sequence[int], edges: Sequence[tuple[int, int]], sweeps: int = SWEEPS) -> list[list[int]]:
    """Nodes of each column, top to bottom, after barycenter sweeps (deterministic: ties keep the previous order)."""
    n = len(layer)
    ins, outs = _adjacency(n, edges)
    columns: list[list[int]] = [[] for _ in range(max(layer, default=-1) + 1)]
    for v in range(n):
        columns[layer[v]].append(v)
    pos = [0.0] * n
    for col in columns:
        _rows(col, pos)

    def sweep(cols: list[list[int]], side: list[list[int]], other: list[list[int]]) -> None:
        for col in cols:
            keys = {}
            for v in col:
                nb = side[v] or other[v]
                keys[v] = sum(pos[u] for u in nb) / len(nb) if nb else pos[v]
            col.sort(key=lambda v: keys[v])
            _rows(col, pos)

    for _ in range(sweeps):
        sweep(columns, ins, outs)
        sweep(columns[::-1], outs, ins)
    return columns


def crossings(layer: Sequence[int], rank: Sequence[float], edges: Sequence[tuple[int, int]]) -> int:
    """Pairs of edges between the same two columns that cross (a readability measure for the tests)."""
    groups: dict[tuple[int, int], list[tuple[float, float]]] = {}
    for c, p in edges:
        groups.setdefault((layer[c], layer[p]), []).append((rank[c], rank[p]))
    total = 0
    for es in groups.values():
        es.sort()
        for i, (a1, b1) in enumerate(es):
            for a2, b2 in es[i + 1 :]:
                total += a1 != a2 and (b2 - b1) * (a2 - a1) < 0
    return total


def layout(kinds: Sequence[str], ops: Sequence[str], edges: Sequence[tuple[int, int]]) -> Layout:
    """Positions of every node (top-left corners in CSS pixels, the graph starting at 0, 0)."""
    n = len(kinds)
    edges = [(a, b) for a, b in edges]  # pairs given as lists (e.g. from JSON) become tuples
    layer = assign_layers(n, edges)
    columns = order_columns(layer, edges)
    tallest = max((len(c) for c in columns), default=0)
    x, y = [0.0] * n, [0.0] * n
    for li, col in enumerate(columns):
        top = (tallest - len(col)) / 2 * (NODE_H + ROW_GAP)  # columns centred on one horizontal axis
        for r, v in enumerate(col):
            x[v] = li * (NODE_W + COL_GAP)
            y[v] = top + r * (NODE_H + ROW_GAP)
    width = len(columns) * (NODE_W + COL_GAP) - COL_GAP if columns else 0.0
    height = tallest * (NODE_H + ROW_GAP) - ROW_GAP if tallest else 0.0
    return Layout(shape_key(kinds, ops, edges), tuple(layer), tuple(x), tuple(y), max(width, 0.0), max(height, 0.0))


def layout_snapshot(snap) -> Layout:
    """The layout of a ``views.graph.Snapshot`` (its node ids are topological indices)."""
    return layout([nd.kind for nd in snap.nodes], [nd.op for nd in snap.nodes], snap.edges)
