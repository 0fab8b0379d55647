"""The step-through lesson (micrograd/views/lesson.py): its numbers are the engine's at the digits shown."""

import math
import re

import numpy as np
import pytest

from micrograd.engine import Value, topological_order
from micrograd.nn import MLP
from micrograd.studio.config import RunConfig
from micrograd.studio.trainer import Trainer
from micrograd.views import graph as G
from micrograd.views import lesson as L

NUMBER = re.compile(r"\(?[−-]?\d+(?:\.\d+)?(?:e[+-]?\d+)?\)?|\(?[−-]?(?:nan|inf)\)?")


def shown_equals(text: str, true: float) -> bool:
    """The shown number is the true one rounded to 4 significant digits."""
    v = L.parse_number(text)
    if true == 0:
        return v == 0
    ulp = 10 ** (math.floor(math.log10(abs(true))) - 3)
    return abs(v - true) <= 0.5 * ulp * 1.001


def split_top(s: str, sep: str = " + ") -> list[str]:
    """s split at sep outside parentheses and brackets."""
    out, depth, start, k = [], 0, 0, 0
    while k < len(s):
        ch = s[k]
        depth += ch in "([" and 1 or 0
        depth -= ch in ")]" and 1 or 0
        if depth == 0 and s.startswith(sep, k):
            out.append(s[start:k])
            start = k = k + len(sep)
            continue
        k += 1
    return out + [s[start:]]


def small() -> tuple[MLP, list[float], float]:
    return MLP(2, [2, 1], "tanh", seed=1), [1.5, 0.2], -1.0


def by_name(les: L.Lesson) -> dict[str, int]:
    return {n: i for i, n in enumerate(les.names)}


def lines(les: L.Lesson, phase: str) -> list[str]:
    return [t for s in les.steps if s.phase == phase for t in s.lines if "=" in t]


@pytest.mark.parametrize("granularity", L.GRANULARITIES)
@pytest.mark.parametrize("loss", ["mse", "svm", "bce"])
def test_every_forward_and_backward_line_reads_back_as_the_engines_numbers(granularity, loss):
    model, x, y = small()
    t = G.trace_example(model, x, y, loss)
    les = L.build(t, loss, granularity)
    ids = by_name(les)
    fwd = lines(les, "forward")
    assert fwd and all(line.count(" = ") >= 2 for line in fwd)
    for line in fwd:
        name, *_, result = line.split(" = ")
        assert shown_equals(result, t.order[ids[name]].data), line
    bwd = lines(les, "backward")
    assert len(bwd) >= 10
    for line in bwd[1:]:  # the first is the loss's own 1
        head, sym, nums, result = line.split(" = ")
        i = ids[head.removeprefix("∂L/∂")]
        assert shown_equals(result, t.grads[i]), line
        terms = nums.split(" + ")
        assert len(terms) == len(split_top(sym))
        total = 0.0
        for term, sterm in zip(terms, split_top(sym)):
            upstream, local = term.split(" · ")
            parent = ids[sterm.split(" · ")[0].removeprefix("∂L/∂")]
            assert shown_equals(upstream, t.grads[parent]), line  # the parent's gradient, as the engine has it
            total += L.parse_number(upstream) * L.parse_number(local)
        # the shown terms multiply and add up to the shown gradient (at the digits shown, a few roundings apart)
        assert total == pytest.approx(t.grads[i], rel=2e-3, abs=1e-6), line
    assert bwd[0] == "∂L/∂L = 1 (the loss with respect to itself)"


def test_the_issues_example_line_a_neuron_with_two_inputs():
    model = MLP(2, [1], "linear", seed=0)
    (n,) = model.layers[0].neurons
    n.w[0].data, n.w[1].data, n.b.data = 0.24, -0.31, 0.10
    les = L.lesson(model, [1.5, 0.2], 1.0, "mse", "neuron")
    fwd = lines(les, "forward")
    assert "z0[0] = b0[0] + w0[0,0]·x1 + w0[0,1]·x2 = 0.1 + 0.24·1.5 + (−0.31)·0.2 = 0.398" in fwd
    bwd = "\n".join(lines(les, "backward"))
    g = 2 * (0.398 - 1.0)  # d (z - y)² / dz
    assert f"∂L/∂w0[0,0] = ∂L/∂z0[0] · x1 = {L.factor(g)} · 1.5 = {L.num(g * 1.5)}" in bwd


def test_orders_are_topological_and_a_node_used_twice_sums_both_terms():
    model, x, y = small()
    t = G.trace_example(model, x, y, "mse")
    index = {id(v): i for i, v in enumerate(t.order)}
    for granularity in L.GRANULARITIES:
        les = L.build(t, "mse", granularity)
        first = {}
        for k, s in enumerate(les.steps):
            for pos, i in enumerate(s.ids):  # a layer's step lists its nodes in order too
                first.setdefault((s.phase, i), (k, pos))
        for (phase, i), k in first.items():
            v = t.order[i]
            if phase == "forward":  # every child computed (or given) before
                assert all(first.get(("forward", index[id(c)]), (-1, 0)) < k for c in v.children)
            if phase == "backward":  # every user of the node has its gradient before
                users = [p for p in t.order if any(c is v for c in p.children)]
                assert all(first.get(("backward", index[id(p)]), (-1, 0)) < k for p in users)
        # x1 feeds both hidden neurons: two terms, and they sum to the engine's gradient
        line = next(t for t in lines(les, "backward") if t.startswith("∂L/∂x1 ="))
        terms = line.split(" = ")[2].split(" + ")
        assert len(terms) == 2
        total = sum(L.parse_number(a) * L.parse_number(b) for a, b in (term.split(" · ") for term in terms))
        x1 = next(i for i, n in enumerate(les.names) if n == "x1")
        assert total == pytest.approx(t.grads[x1], rel=2e-3)
        assert shown_equals(line.split(" = ")[-1], t.grads[x1])


def test_a_new_n_ary_op_shows_up_without_the_lesson_knowing_it():
    a, b, c = Value(0.5, label="a"), Value(-1.0, label="b"), Value(2.0, label="c")
    m = max(v.data for v in (a, b, c))
    lse = m + math.log(sum(math.exp(v.data - m) for v in (a, b, c)))
    soft = [math.exp(v.data - lse) for v in (a, b, c)]
    out = Value(lse, (a, b, c), "mystery", tuple(soft))  # an op the lesson has never heard of
    root = out * a  # a is used twice: by the new op and by the product
    root.backward()
    order = topological_order(root)
    names = [v.label for v in order[:-1]] + ["loss"]
    kinds = ["input" if v.label else ("op" if v.children else "const") for v in order[:-1]] + ["loss"]
    t = G.Traced(root, order, kinds, names, [v.grad for v in order])
    les = L.build(t, "custom", "node")
    fwd = "\n".join(lines(les, "forward"))
    assert f"mystery(a, b, c) = mystery(0.5, {L.num(-1.0)}, 2) = {L.num(lse)}" in fwd
    line = next(t for t in lines(les, "backward") if t.startswith("∂L/∂a ="))
    assert "∂v" in line and len(line.split(" = ")[2].split(" + ")) == 2 and shown_equals(line.split(" = ")[-1], a.grad)


def test_the_update_line_is_the_trainers_next_step_bit_for_bit():
    tr = Trainer(RunConfig(layers=[4], momentum=0.9, lr=0.1, lr_end=0.1, l2=1e-3, steps=10))
    tr.run(2)
    before = [p.data for p in tr.params]
    u = L.next_update(tr)
    assert [p.data for p in tr.params] == before  # read-only
    tr.step()
    assert [p.data for p in tr.params] == list(u.after)
    les = L.lesson(tr.model, [0.1, 0.2], 1.0, "svm", "node", update=u)
    upd = [t for s in les.steps if s.phase == "update" for t in s.lines]
    assert upd[0].startswith("Update:") and len(upd) == 1 + len(u.names)
    k = u.names.index("layers.0.weight.0.0")
    assert upd[1 + k].endswith(f"= {L.num(u.after[k])}") and f"{L.num(u.momentum)}·" in upd[1 + k]


def test_the_default_example_is_the_one_the_network_gets_most_wrong():
    tr = Trainer(RunConfig(layers=[4], steps=20))
    tr.run(5)
    d = tr.dataset
    i, loss = L.hardest_example(tr.model, d.X_train, d.y_train, "svm")
    engine = [G.trace_example(tr.model, xr, yr, "svm").root.data for xr, yr in zip(d.X_train, d.y_train)]
    assert loss > 0 and loss == pytest.approx(max(engine)) and engine[i] == pytest.approx(max(engine))
    les = L.lesson(tr.model, d.X_train[i], d.y_train[i], "svm")
    assert les.note == "" and any(g != 0 for g in les.grads[:-1])


def test_a_zero_loss_example_says_why_every_gradient_is_0():
    model = MLP(2, [1], "linear", seed=0)
    n = model.layers[0].neurons[0]
    n.w[0].data, n.w[1].data = 5.0, 0.0
    X, y = np.array([[1.0, 0.0], [-1.0, 0.0]]), np.array([1.0, -1.0])
    i, loss = L.hardest_example(model, X, y, "svm")
    assert loss == 0.0
    les = L.lesson(model, X[i], y[i], "svm")
    assert "every gradient is 0" in les.note and "margin" in les.note


def test_the_lesson_leaves_the_model_alone():
    model, x, y = small()
    for p in model.parameters():
        p.grad = 0.125
    before = [(p.data, p.grad) for p in model.parameters()]
    L.lesson(model, x, y, "mse", "layer")
    assert [(p.data, p.grad) for p in model.parameters()] == before


def test_predict_the_gradient_checks_within_2_percent_or_0_01():
    assert L.check_prediction(1.019, 1.0)[0] and not L.check_prediction(1.03, 1.0)[0]
    assert L.check_prediction(0.009, 0.0)[0] and not L.check_prediction(0.02, 0.001)[0]
    assert not L.check_prediction(float("nan"), 1.0)[0]
    model, x, y = small()
    les = L.lesson(model, x, y, "mse", "neuron")
    node = L.quiz_candidates(les)[2]
    q = L.quiz_question(les, node)
    assert f"What is ∂L/∂{les.names[node]}?" in q and L.num(les.grads[node]) not in q


def test_one_neuron_opened_from_the_neuron_view_gets_its_own_steps():
    model = MLP(2, [3, 3, 1], "tanh", seed=2)
    x, y = [0.3, -0.7], 1.0
    part = G.neuron_detail_snapshot(model, 1, 2, x, y, "mse")
    small, ids = G.compact(part)
    assert [n.id for n in small.nodes] == list(range(len(ids))) and all(c < p for c, p in small.edges)
    les = L.lesson(model, x, y, "mse", "neuron").restrict(ids)
    assert les.names == tuple(L.short_name(n.name, ids[k]) for k, n in enumerate(small.nodes))
    assert all(0 <= i < len(ids) for s in les.steps for i in s.ids)
    assert all(0 <= a < len(ids) and 0 <= b < len(ids) for s in les.steps for a, b in s.edges)
    focus = [les.names[s.focus] for s in les.steps if s.phase == "backward"]
    assert focus[:2] == ["a1[2]", "z1[2]"] and "w1[2,0]" in focus and "b1[2]" in focus
    assert les.values == tuple(n.data for n in small.nodes) and les.grads == tuple(n.grad for n in small.nodes)


def test_the_lessons_table_in_the_docs_lists_each_presets_title_and_every_setting():
    """QA: docs/lessons.md left out the vanishing lesson's init=scaled."""
    from pathlib import Path

    from micrograd.studio.lessons import PRESETS

    rows = {
        line.split("`")[1]: line
        for line in (Path(__file__).parent.parent / "docs" / "lessons.md").read_text().splitlines()
        if line.startswith("| `/graph?lesson=")
    }
    assert set(rows) == {f"/graph?lesson={name}" for name in PRESETS}
    for name, preset in PRESETS.items():
        cells = [c.strip() for c in rows[f"/graph?lesson={name}"].split("|")]
        assert cells[2] == preset.title and cells[4] == preset.question, name
        assert cells[3] == ", ".join(f"{k}={v}" for k, v in preset.settings.items()), name
