"""The step-through lesson: one training step of one example as lines of arithmetic with the engine's numbers.

Forward lines follow the graph in topological order (``z0[0] = w0[0,0]·x1 + b0[0] = 0.24·1.5 + 0.1 = 0.46``),
backward lines go from the loss (gradient 1) in reverse order, each gradient as the chain rule over the node's
parents (``∂L/∂w0[0,0] = ∂L/∂z0[0] · x1 = 0.52 · 1.5 = 0.78``; a node used by two parents gets both terms and their
sum), and update lines show the real step: the batch's mean gradient, the L2 term and momentum, before and after.

Everything is read from the graph itself: each node's op, children and local derivatives (``Value.children``,
``Value.local_grads``), so a new op or loss shows up without this module knowing it (an n-ary node sums over its
children). Three granularities: every scalar ``node``; every named ``neuron`` value (z, a, parameters, the loss),
with the unnamed nodes between them folded into the expressions; or a whole ``layer`` per step.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from micrograd.fast import numeric
from micrograd.fast.arrays import TASK_LOSSES
from micrograd.losses import LOSS_TITLES as LOSS_TITLES
from micrograd.nn import MLP
from micrograd.views import graph as G
from micrograd.views.lesson_text import MINUS as MINUS
from micrograd.views.lesson_text import Update as Update
from micrograd.views.lesson_text import factor as factor
from micrograd.views.lesson_text import layer_of as layer_of
from micrograd.views.lesson_text import next_batch as next_batch
from micrograd.views.lesson_text import next_update as next_update
from micrograd.views.lesson_text import num as num
from micrograd.views.lesson_text import parse_number as parse_number
from micrograd.views.lesson_text import short_name as short_name
from micrograd.views.lesson_text import update_line as update_line

GRANULARITIES = ("node", "neuron", "layer")
_FUNC = 4  # precedence of a function call (and of a name or a number)
_PREC = {"+": 1, "*": 2}


@dataclass(frozen=True)
class Step:
    """One step of the lesson: its phase, the nodes it lights, the edges (child, parent) it highlights, its lines."""

    phase: str  # "forward", "backward" or "update"
    focus: int  # the node this step is about (the first of a layer's); -1 for a step about no one node
    ids: tuple[int, ...]
    edges: tuple[tuple[int, int], ...]
    lines: tuple[str, ...]
    locals: tuple[float, ...] = ()  # per highlighted edge, its local derivative d parent / d child


@dataclass(frozen=True)
class Lesson:
    """The step-through of one example: the graph's numbers, the steps and a note (why every gradient is 0...)."""

    granularity: str
    names: tuple[str, ...]  # short symbol per node id
    values: tuple[float, ...]
    grads: tuple[float, ...]
    loss: float
    steps: tuple[Step, ...]
    note: str

    def step_of(self, node: int, phase: str = "backward") -> int:
        """Index of the step of the given phase about node (or lighting it); -1 when there is none."""
        for k, s in enumerate(self.steps):
            if s.phase == phase and (s.focus == node or node in s.ids):
                return k
        return -1

    def restrict(self, ids: Sequence[int]) -> Lesson:
        """The steps about a part of the graph (ids: the part's nodes, old id of each new one), renumbered."""
        new = {o: k for k, o in enumerate(ids)}
        steps = []
        for s in self.steps:
            keep = tuple(new[i] for i in s.ids if i in new)
            if not keep or (s.focus >= 0 and s.focus not in new):
                continue
            pairs = [
                (e, d) for e, d in zip(s.edges, s.locals or (math.nan,) * len(s.edges)) if e[0] in new and e[1] in new
            ]
            edges = tuple((new[a], new[b]) for (a, b), _ in pairs)
            steps.append(Step(s.phase, new.get(s.focus, -1), keep, edges, s.lines, tuple(d for _, d in pairs)))
        pick = lambda xs: tuple(xs[i] for i in ids)  # noqa: E731
        return Lesson(
            self.granularity, pick(self.names), pick(self.values), pick(self.grads), self.loss, tuple(steps), self.note
        )

    def to_json(self) -> dict:
        """Compact plain data for the browser's lesson player (lesson.js)."""
        return {
            "granularity": self.granularity,
            "note": self.note,
            "steps": [
                {
                    "p": s.phase,
                    "f": s.focus,
                    "ids": list(s.ids),
                    "e": [list(e) for e in s.edges],
                    "t": list(s.lines),
                    "d": [x if math.isfinite(x) else None for x in s.locals],
                }
                for s in self.steps
            ],
        }


def keyed(data: dict) -> dict:
    """A lesson's JSON with its key: a hash of the content, so a new example, snapshot, granularity or graph (and
    nothing else) gives a new key."""
    raw = json.dumps(data, sort_keys=True, separators=(",", ":"), allow_nan=True).encode()
    return {"key": hashlib.sha256(raw).hexdigest()[:16], **data}


def header_for(data: dict, sent: str | None) -> dict:
    """What one update of the view carries: the whole keyed lesson when the browser does not have it yet (``sent``,
    the key sent last, differs), else the key alone: the node lesson of 2-16-16-1 is ~365 KB, its key 30 bytes."""
    return data if data["key"] != sent else {"key": data["key"]}


class _Graph:
    """The traced graph as index lists: op, children, local derivatives and parents of every node."""

    def __init__(self, t: G.Traced) -> None:
        index = {id(v): i for i, v in enumerate(t.order)}
        self.n = len(t.order)
        self.ops = [v.op for v in t.order]
        self.kinds = list(t.kinds)
        self.full = list(t.names)
        self.names = [short_name(nm, i) for i, nm in enumerate(t.names)]
        self.values = [v.data for v in t.order]
        self.grads = list(t.grads)
        self.children = [tuple(index[id(c)] for c in v.children) for v in t.order]
        self.locals = [tuple(v.local_grads) for v in t.order]
        self.parents: list[list[tuple[int, int]]] = [[] for _ in range(self.n)]  # (parent, operand position)
        for p, cs in enumerate(self.children):
            for k, c in enumerate(cs):
                self.parents[c].append((p, k))

    def named(self, i: int) -> bool:
        """A node the neuron and layer views keep: a leaf, or an op with a name (z, a, the loss)."""
        return not self.children[i] or bool(self.full[i]) or self.kinds[i] == "loss"

    def inlined(self, i: int, folded: bool) -> bool:
        """Whether node i is written out inside its parent's expression rather than by its symbol."""
        if not self.children[i]:
            return self.kinds[i] == "const"  # a constant is its number
        return folded and not self.named(i) and len(self.parents[i]) == 1

    def expr(self, i: int, folded: bool, numbers: bool, top: bool = True) -> tuple[str, int]:
        """(text, precedence) of node i's expression over its children, names or numbers."""
        if not top and not self.inlined(i, folded):
            if numbers:
                s = num(self.values[i])
                return s, (0 if s.startswith(MINUS) else _FUNC)
            return self.names[i], _FUNC
        if not self.children[i]:
            s = num(self.values[i])
            return s, (0 if s.startswith(MINUS) else _FUNC)
        op, cs = self.ops[i], self.children[i]
        parts = [self.expr(c, folded, numbers, top=False) for c in cs]
        if op in _PREC:
            prec = _PREC[op]
            wrap = [f"({s})" if p < prec or (p == 0) else s for s, p in parts]
            if op == "+":  # a + (−0.3) reads better as a − 0.3 only for a number; keep the parentheses for clarity
                return " + ".join(wrap), prec
            return "·".join(wrap), prec
        if op.startswith("**"):
            s, p = parts[0]
            base = s if p == _FUNC else f"({s})"
            exponent = op[2:]
            exponent = exponent[:-2] if exponent.endswith(".0") else exponent
            return f"{base}^{exponent.replace('-', MINUS)}", 3
        return f"{op}({', '.join(s for s, _ in parts)})", _FUNC

    def local_symbol(self, p: int, k: int, folded: bool) -> str:
        """d p / d (its k-th operand) as a formula over names, from p's op; a generic ∂p/∂c for an unknown op."""
        op, cs = self.ops[p], self.children[p]
        out, c = self.names[p], cs[k]
        arg, xp = self.expr(c, folded, False, top=False)
        x = arg if xp == _FUNC else f"({arg})"
        if op == "+":
            return "1"
        if op == "*" and len(cs) == 2:
            s, prec = self.expr(cs[1 - k], folded, False, top=False)
            return s if prec == _FUNC else f"({s})"
        if op.startswith("**") and len(cs) == 1:
            e = float(op[2:])
            return f"{num(e)}·{x}" if e == 2 else f"{num(e)}·{x}^{num(e - 1)}"
        if op == "logsumexp":  # d lse / d s_k = e^(s_k − lse): the softmax of s_k, one term per score
            return f"e^({arg} {MINUS} {out})"
        return {
            "huber": f"clip({arg}, {MINUS}1, 1)",
            "tanh": f"(1 {MINUS} {out}²)",
            "sigmoid": f"{out}·(1 {MINUS} {out})",
            "relu": f"[{out} > 0]",
            "exp": out,
            "log": f"1/{x}",
            "softplus": f"sigmoid({arg})",
        }.get(op, f"∂{out}/∂{x}")

    def up(self, i: int, folded: bool) -> list[tuple[int, list[tuple[int, int]]]]:
        """The parents whose gradient flows into node i: (ancestor, path of (parent, operand position) hops).

        Unfolded: each direct use. Folded: through unnamed single-use nodes up to the nearest kept ancestor."""
        out = []
        for p, k in self.parents[i]:
            path = [(p, k)]
            while folded and not self.named(p) and len(self.parents[p]) == 1:
                p, k = self.parents[p][0]
                path.append((p, k))
            out.append((path[-1][0], path))
        return out


def _forward_line(g: _Graph, i: int, folded: bool) -> str:
    sym = g.expr(i, folded, False)[0]
    nums = g.expr(i, folded, True)[0]
    head = f"{g.names[i]} = {sym}"
    return f"{head} = {nums} = {num(g.values[i])}" if nums != sym else f"{head} = {num(g.values[i])}"


def _backward_line(g: _Graph, i: int, folded: bool) -> tuple[str, list[tuple[int, int]], list[float]]:
    """The chain rule for node i, the edges it uses and their local derivatives."""
    if g.kinds[i] == "loss" or not g.parents[i]:
        return f"∂L/∂{g.names[i]} = 1 (the loss with respect to itself)", [], []
    syms, nums, edges, locs = [], [], [], []
    for anc, path in g.up(i, folded):
        d = math.prod(g.locals[p][k] for p, k in path)
        factors = [g.local_symbol(p, k, folded) for p, k in path]
        factors = [f for f in factors if f != "1"] or ["1"]
        syms.append(f"∂L/∂{g.names[anc]} · {'·'.join(factors)}")
        nums.append(f"{factor(g.grads[anc])} · {factor(d)}")
        child = i
        for p, k in path:
            edges.append((child, p))
            locs.append(g.locals[p][k])
            child = p
    line = f"∂L/∂{g.names[i]} = {' + '.join(syms)} = {' + '.join(nums)} = {num(g.grads[i])}"
    return line, edges, locs


def _softmax_line(g: _Graph, i: int, folded: bool) -> str:
    """What a log-sum-exp node passes back: its local derivative to each score is that score's softmax."""
    scores = ", ".join(g.expr(c, folded, False, top=False)[0] for c in g.children[i])
    soft = ", ".join(num(d) for d in g.locals[i])
    return (
        f"{g.names[i]} is log Σ e^z over ({scores}): its local derivative to each score z is e^(z {MINUS} "
        f"{g.names[i]}), the softmax: ({soft}), which sums to 1; each score's gradient gets its term."
    )


def _keep(g: _Graph, i: int, granularity: str) -> bool:
    return granularity == "node" or g.named(i)


def _group(g: _Graph, i: int) -> int:
    """The layer a node belongs to in the layer view: -1 the inputs, then the layers, then the loss (a big number)."""
    layer = layer_of(g.full[i])
    if layer is not None:
        return layer
    return 1 << 30 if g.children[i] or g.kinds[i] == "label" else -1


def _steps(g: _Graph, granularity: str) -> list[Step]:
    folded = granularity != "node"
    steps: list[Step] = []
    leaves = tuple(i for i in range(g.n) if not g.children[i])
    steps.append(
        Step(
            "forward",
            -1,
            leaves,
            (),
            ("Given: the inputs, the label, the weights and the biases (the graph's leaves).",),
        )
    )
    fwd = [i for i in range(g.n) if g.children[i] and _keep(g, i, granularity)]
    bwd = [i for i in reversed(range(g.n)) if g.kinds[i] not in ("const", "label") and _keep(g, i, granularity)]
    if granularity == "layer":  # layer by layer (still topological: a layer only reads the ones before it)
        fwd.sort(key=lambda i: _group(g, i))
        bwd.sort(key=lambda i: -_group(g, i))
    for phase, order in (("forward", fwd), ("backward", bwd)):
        groups: list[tuple[int, list[int]]] = []
        for i in order:
            key = _group(g, i) if granularity == "layer" else i
            if groups and groups[-1][0] == key:
                groups[-1][1].append(i)
            else:
                groups.append((key, [i]))
        for _, ids in groups:
            lines, edges, locs = [], [], []
            for i in ids:
                if phase == "forward":
                    lines.append(_forward_line(g, i, folded))
                    for c in g.children[i]:
                        edges.append((c, i))
                        locs.append(math.nan)
                else:
                    line, e, d = _backward_line(g, i, folded)
                    lines.append(line)
                    edges += e
                    locs += d
                    if g.ops[i] == "logsumexp":
                        lines.append(_softmax_line(g, i, folded))
            steps.append(Step(phase, ids[0], tuple(ids), tuple(edges), tuple(lines), tuple(locs)))
    return steps


def zero_note(loss_name: str, loss: float, grads: Sequence[float]) -> str:
    """Why every gradient is 0, when it is (a point the network already gets right with margin); else ''."""
    if any(gr != 0 for gr in grads[:-1]):
        return ""
    why = {
        "svm": "the hinge relu(1 − y·score) is flat once the margin y·score is at least 1, so its derivative is 0",
        "mse": "the score equals the label exactly, so (score − y)² has derivative 2·(score − y) = 0",
        "huber": "the output equals the target exactly, so the Huber loss has derivative 0",
        "hinge": "the true class's score beats every other score by at least 1, so every term relu(1 + s_j − s_y) "
        "is flat and its derivative is 0",
    }.get(loss_name, "the loss is flat at this point")
    return (
        f"This example's loss is {num(loss)} and every gradient is 0: {why}. This example does not move the weights "
        "this step; pick the example the network gets most wrong to see gradients flow."
    )


def _update_steps(g: _Graph, u: Update, granularity: str) -> list[Step]:
    ids = {name: i for i, name in enumerate(g.full) if name}
    where = "the whole training set" if u.exact else "this step's random minibatch"
    head = (
        f"Update: ∂L/∂w above is this example's share; the step uses ḡ, the mean over {where} of {u.batch} "
        f"examples, at lr = {num(u.lr)}"
        + (f", L2 λ = {num(u.l2)}" if u.l2 else "")
        + (f", momentum μ = {num(u.momentum)}" if u.momentum else "")
        + "."
    )
    steps: list[Step] = []
    groups: list[tuple[object, list[int]]] = []
    for k, name in enumerate(u.names):
        key = layer_of(name) if granularity == "layer" else k
        if groups and groups[-1][0] == key:
            groups[-1][1].append(k)
        else:
            groups.append((key, [k]))
    for n, (_, ks) in enumerate(groups):
        nodes = tuple(ids[u.names[k]] for k in ks if u.names[k] in ids)
        lines = tuple(update_line(u, k, g.names[ids[u.names[k]]]) for k in ks if u.names[k] in ids)
        steps.append(Step("update", nodes[0] if nodes else -1, nodes, (), ((head,) if n == 0 else ()) + lines))
    return steps


def build(traced: G.Traced, loss_name: str, granularity: str = "neuron", update: Update | None = None) -> Lesson:
    """The forward and backward steps of a traced example (``views.graph.trace_example``), then the update's."""
    if granularity not in GRANULARITIES:
        raise ValueError(f"granularity must be one of {', '.join(GRANULARITIES)}; got {granularity!r}")
    g = _Graph(traced)
    steps = _steps(g, granularity)
    if update is not None:
        steps += _update_steps(g, update, granularity)
    note = zero_note(loss_name, traced.root.data, g.grads)
    return Lesson(granularity, tuple(g.names), tuple(g.values), tuple(g.grads), traced.root.data, tuple(steps), note)


def lesson(
    model: MLP,
    x: Sequence[float],
    y: G.Label,
    loss: str,
    granularity: str = "neuron",
    feature_names: Sequence[str] | None = None,
    update: Update | None = None,
    task: str | None = None,
) -> Lesson:
    """Trace model on one example (read-only: the model's gradients are restored) and build its lesson."""
    return build(G.trace_example(model, x, y, loss, feature_names, task), loss, granularity, update)


def hardest_example(model: MLP, X: np.ndarray, y: np.ndarray, loss: str, task: str | None = None) -> tuple[int, float]:
    """(index, loss) of the training point with the highest loss (the task's per-example loss over its outputs and
    label): the example the network gets most wrong."""
    if len(y) == 0:
        raise ValueError("the training set is empty: there is no example to step through")
    task = G.resolve_task(model, loss, task)
    with np.errstate(all="ignore"):
        out = numeric.outputs(numeric.layers_of(model), X)
        labels = np.asarray(y) if task == "multiclass" else np.asarray(y, dtype=float)
        per = TASK_LOSSES[task][loss](out, labels)
    per = np.where(np.isnan(per), np.inf, per)  # a nan loss is the most wrong of all
    i = int(np.argmax(per))
    return i, float(per[i])


# predict the gradient

PREDICT_REL, PREDICT_ABS = 0.02, 0.01  # a prediction within 2 % or 0.01 of autograd's is right


def quiz_candidates(les: Lesson) -> list[int]:
    """Nodes worth predicting: a backward step's nodes (not the loss) with a non-zero gradient, in backward order."""
    out = []
    for s in les.steps:
        if s.phase == "backward":
            out += [i for i in s.ids if les.names[i] != "L" and les.grads[i] != 0 and math.isfinite(les.grads[i])]
    return out


def quiz_question(les: Lesson, node: int) -> str:
    """The exercise for node: its chain rule in symbols, the numbers left to the student."""
    name = les.names[node]
    k = les.step_of(node, "backward")
    line = next((t for t in les.steps[k].lines if t.startswith(f"∂L/∂{name} =")), "") if k >= 0 else ""
    parts = line.split(" = ")
    rule = f" By the chain rule, ∂L/∂{name} = {parts[1]}." if len(parts) > 2 else ""
    return (
        f"What is ∂L/∂{name}?{rule} Read the numbers in the graph (its own gradient is hidden there, shown as nan); "
        f"within 2 % or 0.01 counts as right."
    )


def check_prediction(guess: float, truth: float) -> tuple[bool, str]:
    """(right?, a sentence): right when within 2 % or 0.01 of autograd's value."""
    ok = math.isfinite(guess) and abs(guess - truth) <= max(PREDICT_REL * abs(truth), PREDICT_ABS)
    verdict = "Right" if ok else "Not quite"
    return ok, f"{verdict}: you said {num(guess)}, autograd computed {num(truth)}. The chain rule, with the numbers:"
