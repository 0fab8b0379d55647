"""`draw_dot(root)`: the graph of any expression as a graphviz.Digraph, as in micrograd's own notebooks.

In Jupyter the returned object renders inline as SVG (that needs Graphviz's `dot` program; Debian: `graphviz`).
"""

from __future__ import annotations

from collections.abc import Iterable

import graphviz

from micrograd.engine import Value
from micrograd.views.graph import format_number, value_snapshot

_RECORD_SPECIALS = str.maketrans({c: "\\" + c for c in '{}|<>"\\'})


def _record_text(text: str) -> str:
    """Text safe inside a record label: Graphviz treats { } | < > as structure."""
    return text.translate(_RECORD_SPECIALS)


def draw_dot(root: Value, inputs: Iterable[str] = (), rankdir: str = "LR") -> graphviz.Digraph:
    """Every value reachable from root as a box `label | data | grad`, each op as a small node between its inputs and output.

    Call ``root.backward()`` first to see gradients. Labelled leaves named in ``inputs`` are drawn as inputs.
    """
    if rankdir not in ("LR", "TB"):
        raise ValueError(f'rankdir must be "LR" or "TB", got {rankdir!r}')
    snap = value_snapshot(root, inputs)
    dot = graphviz.Digraph(format="svg", graph_attr={"rankdir": rankdir}, node_attr={"fontname": "Helvetica"})
    for n in snap.nodes:
        label = _record_text(n.name) if n.name else " "
        text = f"{{ {label} | data {format_number(n.data)} | grad {format_number(n.grad)} }}"
        dot.node(f"v{n.id}", label=text, shape="record")
        if n.op:
            dot.node(f"v{n.id}op", label=_record_text(n.op), shape="circle", width="0.3")
            dot.edge(f"v{n.id}op", f"v{n.id}")
    for child, parent in snap.edges:
        dot.edge(f"v{child}", f"v{parent}op")
    return dot
