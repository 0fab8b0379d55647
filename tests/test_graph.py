"""Graph snapshots and their DOT drawings: values and grads match the engine, views switch by size, render works."""

from __future__ import annotations

import re

import pytest

from micrograd.engine import Value, topological_order
from micrograd.losses import PER_EXAMPLE
from micrograd.nn import MLP
from micrograd.views import graph as G
from micrograd.views import palette
from tests.conftest import require_tool

X, Y = [1.0, -2.0], 1.0
NODE = re.compile(r"^\s*n(\d+) \[(.*)\];$", re.M)


def small() -> MLP:
    return MLP(2, [2, 1], seed=0)


def nodes_of(dot: str) -> dict[int, str]:
    """Graph node id -> its attribute text (legend nodes are named legend_*, so they are not matched)."""
    return {int(i): attrs for i, attrs in NODE.findall(dot)}


def number(attrs: str, field: str) -> float:
    return float(re.search(rf"<TD>{field} (\S+?)</TD>", attrs).group(1))


def engine_graph(model: MLP, loss: str) -> tuple[Value, list[Value]]:
    """The same graph built independently with plain engine calls."""
    root = PER_EXAMPLE[loss](model([Value(v) for v in X]), Value(Y))
    model.zero_grad()
    root.backward()
    return root, topological_order(root)


def close(a: float, b: float) -> bool:
    return abs(a - b) <= 5e-5 + 1e-3 * abs(b)


@pytest.mark.parametrize("loss", ["svm", "mse", "bce"])
def test_dot_values_and_grads_match_the_engine(loss):
    snap = G.snapshot(small(), X, Y, loss)
    dot = G.to_dot(snap)
    root, order = engine_graph(small(), loss)
    drawn = nodes_of(dot)
    assert len(drawn) == len(order) == len(snap.nodes)
    assert dot.count(" -> n") == sum(len(v.children) for v in order)
    for i, v in enumerate(order):  # same construction order, so topological indices line up
        assert close(number(drawn[i], "data"), v.data), (i, drawn[i])
        assert close(number(drawn[i], "grad"), v.grad), (i, drawn[i])
    assert snap.loss == root.data
    assert snap.nodes[-1].kind == "loss" and snap.nodes[-1].grad == 1.0


def test_names_and_kinds():
    m = small()
    snap = G.snapshot(m, X, Y, "svm", feature_names=["width", "height"])
    by_kind: dict[str, list[str]] = {}
    for n in snap.nodes:
        by_kind.setdefault(n.kind, []).append(n.name)
    assert sorted(by_kind["param"]) == sorted(name for name, _ in m.named_parameters())
    assert sorted(by_kind["input"]) == ["height", "width"]
    assert by_kind["label"] == ["y"] and by_kind["loss"] == ["loss"]
    assert "layers.0.1.z" in by_kind["op"] and "layers.0.1.a" in by_kind["op"]
    params = {n.name: n for n in snap.nodes if n.kind == "param"}
    for name, p in m.named_parameters():
        assert params[name].data == p.data
    ids = {n.id for n in snap.nodes}
    assert all(c in ids and p in ids and c < p for c, p in snap.edges)


def test_kinds_are_styled_differently():
    dot = G.to_dot(G.snapshot(small(), X, Y, "svm"))
    styles = {}
    for n, attrs in zip(G.snapshot(small(), X, Y, "svm").nodes, nodes_of(dot).values()):
        styles.setdefault(n.kind, set()).add(attrs.split(", fillcolor")[0])
    assert set(styles) == set(G.KINDS)
    assert all(len(s) == 1 for s in styles.values())  # one style per kind
    assert len({next(iter(s)) for s in styles.values()}) == len(G.KINDS)  # and all different
    assert all(f"legend_{k}" in dot for k in G.KINDS)
    assert "rankdir=LR" in dot


def test_fill_encodes_gradient_sign_and_size():
    assert G.grad_colour(0.0, 1.0) == "#ffffff"
    pos, neg = G.grad_colour(1.0, 1.0), G.grad_colour(-1.0, 1.0)
    # TF Playground's palette on every page: blue (more blue than red) > 0, orange (more red than blue) < 0
    assert int(pos[5:7], 16) > int(pos[1:3], 16) and int(neg[1:3], 16) > int(neg[5:7], 16)
    assert pos == palette.POSITIVE and neg == palette.NEGATIVE  # the largest gradient gets the full colour
    faint, strong = G.grad_colour(1e-3, 1.0), G.grad_colour(0.5, 1.0)
    assert sum(int(faint[k : k + 2], 16) for k in (1, 3, 5)) > sum(int(strong[k : k + 2], 16) for k in (1, 3, 5))
    assert G.grad_colour(1e-9, 1.0) != "#ffffff"  # tiny but nonzero stays visibly tinted


def test_snapshot_leaves_the_model_untouched():
    m = small()
    for i, p in enumerate(m.parameters()):
        p.grad = 0.25 * i - 1.0
    before = [(p.data, p.grad) for p in m.parameters()]
    G.snapshot(m, X, Y, "mse")
    G.neuron_snapshot(m, X, Y, "bce")
    G.neuron_detail_dot(m, 0, 1, X, Y, "svm")
    assert [(p.data, p.grad) for p in m.parameters()] == before


def test_ids_stable_and_diff_shows_deltas():
    m = small()
    a = G.snapshot(m, X, Y, "svm", step=0)
    w = m.layers[0].neurons[1].w[0]
    w.data += 0.5
    b = G.snapshot(m, X, Y, "svm", step=7)
    assert b.comparable(a) and [n.name for n in a.nodes] == [n.name for n in b.nodes]
    drawn = nodes_of(G.to_dot(b, a, show="diff"))
    for n in b.nodes:
        p = a.nodes[n.id]
        assert close(number(drawn[n.id], "Δdata"), n.data - p.data)
        assert close(number(drawn[n.id], "Δgrad"), n.grad - p.grad)
    changed = next(n.id for n in b.nodes if n.name == "layers.0.weight.1.0")
    assert close(number(drawn[changed], "Δdata"), 0.5)
    assert "Δ since step 0" in G.to_dot(b, a, show="diff")
    assert "Δdata" not in G.to_dot(b, a)  # value mode ignores previous


def test_diff_refuses_other_graphs():
    a = G.snapshot(small(), X, Y, "svm")
    b = G.snapshot(small(), X, Y, "mse")
    with pytest.raises(ValueError, match="different graph"):
        G.to_dot(b, a, show="diff")
    with pytest.raises(ValueError, match="previous"):
        G.to_dot(b, None, show="diff")
    with pytest.raises(ValueError, match="show must"):
        G.to_dot(b, show="values")


@pytest.mark.parametrize("sizes", [[1], [2, 1], [4, 1], [3, 3, 1], [8, 8, 1], [16, 16, 1]])
@pytest.mark.parametrize("act", ["relu", "linear"])
@pytest.mark.parametrize("loss", ["svm", "mse", "bce"])
def test_graph_size_counts_without_building(sizes, act, loss):
    m = MLP(3, sizes, activation=act, output_activation="tanh", seed=1)
    assert G.graph_size(m, loss) == len(G.snapshot(m, [0.1, 0.2, 0.3], -1.0, loss).nodes)


def test_choose_view_switches_at_the_threshold():
    sizes = {h: G.graph_size(MLP(2, [h, 1]), "svm") for h in range(1, 400)}
    last_scalar = max(h for h, n in sizes.items() if n <= G.MAX_SCALAR_NODES)
    view, why = G.choose_view(MLP(2, [last_scalar, 1]), "svm")
    assert view == "scalar" and str(sizes[last_scalar]) in why
    view, why = G.choose_view(MLP(2, [last_scalar + 1, 1]), "svm")
    assert view == "neuron" and str(sizes[last_scalar + 1]) in why and str(G.MAX_SCALAR_NODES) in why
    assert G.choose_view(MLP(2, [16, 16, 1]))[0] == "scalar"  # the default net: 986 nodes, every one drawn
    assert G.choose_view(MLP(2, [24, 24, 1]))[0] == "neuron"
    # the preset spiral net, 2-16-16-3 (1,081 nodes), and a third layer of 16 (1,881) are drawn node by node
    assert G.choose_view(MLP(2, [16, 16, 3]), "ce", "multiclass")[0] == "scalar"
    assert G.choose_view(MLP(2, [16, 16, 16, 3]), "ce", "multiclass")[0] == "scalar"


def test_neuron_view():
    m = MLP(2, [4, 3, 1], activation="tanh", seed=3)
    ns = G.neuron_snapshot(m, X, Y, "mse")
    dot = G.neuron_dot(ns)
    body = dot.split("subgraph cluster_legend")[0]
    assert body.count(" -> ") == m.num_parameters() - sum(m.sizes[1:]) + 1  # one edge per weight, plus to loss
    scalar = {n.name: n for n in G.snapshot(m, X, Y, "mse").nodes if n.name}
    for n in ns.neurons:
        assert n.z == scalar[f"layers.{n.layer}.{n.index}.z"].data
        a = scalar.get(f"layers.{n.layer}.{n.index}.a", scalar[f"layers.{n.layer}.{n.index}.z"])
        assert n.a == a.data and n.grad_a == a.grad
        slope = 1.0 if n.activation == "linear" else 1 - n.a**2  # tanh'(z) = 1 - a**2
        assert abs(n.grad_z - n.grad_a * slope) < 1e-12
    assert [name for name, *_ in ns.inputs] == ["x1", "x2"]


def test_neuron_view_counts_nodes():
    m = MLP(2, [4, 3, 1], seed=3)
    dot = G.neuron_dot(G.neuron_snapshot(m, X, Y, "svm"))
    body = dot.split("subgraph cluster_legend")[0]
    nodes = [d for d in re.findall(r"^\s*(\w+) \[", body, re.M) if d not in ("graph", "node", "edge")]
    assert len(nodes) == (4 + 3 + 1) + 2 + 1  # neurons + inputs + loss


def test_neuron_detail():
    m = MLP(2, [3, 2, 1], seed=5)
    snap = G.neuron_detail_snapshot(m, 1, 1, X, Y, "svm")
    names = {n.name for n in snap.nodes}
    assert {f"layers.1.weight.1.{i}" for i in range(3)} | {"layers.1.bias.1", "layers.1.1.z", "layers.1.1.a"} <= names
    assert {n.name for n in snap.nodes if n.kind == "input"} == {f"layers.0.{i}.a" for i in range(3)}
    assert not any(n.name.startswith("layers.0.weight") for n in snap.nodes)  # stops at the neuron's inputs
    assert len(snap.nodes) == 3 + 1 + 3 + 3 + 3 + 1  # inputs, bias, weights, muls, adds, relu
    full = {n.id: n for n in G.snapshot(m, X, Y, "svm").nodes}
    assert all(full[n.id].grad == n.grad and full[n.id].data == n.data for n in snap.nodes)
    dot = G.neuron_detail_dot(m, 1, 1, X, Y, "svm")
    assert len(nodes_of(dot)) == len(snap.nodes)
    with pytest.raises(ValueError, match="layer 1 has neurons 0 to 1"):
        G.neuron_detail_dot(m, 1, 2, X, Y, "svm")
    with pytest.raises(ValueError, match="layer must be"):
        G.neuron_detail_dot(m, 3, 0, X, Y, "svm")


def test_bad_examples_get_clear_errors():
    with pytest.raises(ValueError, match="3 features but the model expects 2"):
        G.snapshot(small(), [1, 2, 3], 1, "svm")
    with pytest.raises(ValueError, match="one output unit"):
        G.snapshot(MLP(2, [2]), X, Y, "svm")
    with pytest.raises(ValueError, match="2 or more output units"):
        G.snapshot(small(), X, Y, "hinge")  # a multi-class loss on a one-output model
    with pytest.raises(ValueError, match="loss must be one of"):
        G.snapshot(small(), X, Y, "nope")
    with pytest.raises(ValueError, match="feature names"):
        G.snapshot(small(), X, Y, "svm", feature_names=["a"])


def test_labels_are_escaped():
    dot = G.to_dot(G.snapshot(small(), X, Y, "svm", feature_names=["a<b", 'q"&']))
    assert "a&lt;b" in dot and "q&quot;&amp;" in dot and "a<b" not in dot


def test_render_without_dot(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(G.GraphvizNotInstalled, match="apt-get install graphviz") as e:
        G.render(G.to_dot(G.snapshot(small(), X, Y, "svm")), "svg")
    assert isinstance(e.value, RuntimeError) and "DOT export still works" in str(e.value)


def test_render_rejects_unknown_format():
    with pytest.raises(ValueError, match="svg"):
        G.render("digraph {}", "gif")


def test_render_with_dot():
    require_tool("dot")
    m = MLP(2, [3, 1], seed=0)
    svg = G.render(G.to_dot(G.snapshot(m, X, Y, "svm")), "svg")
    assert svg.lstrip().startswith(b"<?xml") and b"layers.0.weight.2.1" in svg
    png = G.render(G.neuron_dot(G.neuron_snapshot(m, X, Y, "bce")), "png")
    assert png[:8] == b"\x89PNG\r\n\x1a\n"


def test_neuron_dot_diff():
    m = MLP(2, [3, 1], activation="tanh", seed=2)
    a = G.neuron_snapshot(m, X, Y, "mse", step=0)
    m.layers[0].neurons[1].w[0].data += 0.25
    b = G.neuron_snapshot(m, X, Y, "mse", step=4)
    dot = G.neuron_dot(b, a)
    assert "Δ since step 0" in dot and "Δ since" not in G.neuron_dot(b)
    for nb, na in zip(b.neurons, a.neurons):
        label = re.search(rf"^\s*h{nb.layer}_{nb.index} \[(.*)\];$", dot, re.M).group(1)
        assert close(number(label, "Δa"), nb.a - na.a)
    assert abs(b.neurons[0].a - a.neurons[0].a) == 0 and abs(b.neurons[1].a - a.neurons[1].a) > 1e-3
    assert "Δw = +0.2500" in dot
    with pytest.raises(ValueError, match="different network"):
        G.neuron_dot(b, G.neuron_snapshot(m, X, Y, "svm"))


def test_comparable_sees_changed_ops():
    relu = G.snapshot(MLP(2, [2, 1], seed=0), X, Y, "svm")
    tanh = G.snapshot(MLP(2, [2, 1], activation="tanh", seed=0), X, Y, "svm")
    assert relu.edges == tanh.edges and not relu.comparable(tanh)


def test_neurons_carry_the_train_pages_name_beside_the_parameters_name():
    from micrograd.views.names import neuron_name, neuron_title

    assert [neuron_name(0, 2, 3), neuron_name(1, 0, 3), neuron_name(2, 0, 3)] == ["h1.3", "h2.1", "out.1"]
    assert neuron_title(0, 2, 3) == "h1.3 (layers.0.2)"
    model = MLP(2, [3, 1], "tanh", seed=0)
    dot = G.neuron_dot(G.neuron_snapshot(model, [0.5, -1.0], 1.0, "svm"))
    assert "h1.3 (layers.0.2) tanh" in dot and "out.1 (layers.1.0) linear" in dot


def test_every_node_has_a_tooltip_that_repeats_its_label():
    """Graphviz's SVG shows a node's tooltip on hover; without one the browser shows the internal name (n<id>)."""
    snap = G.snapshot(small(), X, Y, "svm")
    dot = G.to_dot(snap)
    for i, attrs in nodes_of(dot).items():
        tip = re.search(r'tooltip="([^"]*)"', attrs).group(1)
        data, grad = (re.search(rf"<TD>({f} \S+?)</TD>", attrs).group(1) for f in ("data", "grad"))
        assert tip.endswith(f": {data}, {grad}"), (i, tip)
    node = next(n for n in snap.nodes if n.kind == "param")
    assert f'tooltip="{node.name} (param): data ' in dot
    ns = G.neuron_snapshot(small(), X, Y, "svm", 0, ["x1", "x2"])
    neuron = G.neuron_dot(ns)
    assert 'tooltip="x1: data 1.0000, dL/dx ' in neuron
    assert re.search(r'h0_0 \[.*tooltip="[^"]*: z \S+, a \S+, dL/da \S+, dL/dz \S+"\];', neuron)
