"""A model's per-example loss, traced once with Values and replayed with NumPy over a whole batch.

The traced scalar graph is lowered to a tape of array operations, one per group of nodes of the same kind at
the same depth (the automatic batching of DyNet and TensorFlow Fold): every row of the batch is one column of
the arrays. Neurons, b + w0*x0 + w1*x1 + ..., are recognised and whole layers become one matrix product.
Everything else runs elementwise with the scalar engine's IEEE conventions, so results match it to rounding.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from operator import attrgetter
from typing import cast

import numpy as np

from micrograd import ops
from micrograd.engine import Value, topological_order
from micrograd.fast.arrays import EXACT, FAST, Array, Grad, Table, relu
from micrograd.losses import task_loss
from micrograd.nn import MLP

Index = slice | np.ndarray
_data = attrgetter("data")


def _index(ids: list[int]) -> tuple[Index, bool]:
    """(a slice if ids are consecutive else an index array, whether ids repeat)."""
    if all(b == a + 1 for a, b in zip(ids, ids[1:])):
        return slice(ids[0], ids[-1] + 1), False
    return np.array(ids, dtype=np.intp), len(set(ids)) < len(ids)


def _accumulate(G: np.ndarray, idx: Index, dup: bool, value: np.ndarray) -> None:
    if dup:  # fancy += would keep only one of the repeated rows' contributions
        np.add.at(G, cast(np.ndarray, idx), value)  # only an index array repeats (_index gives dup False for a slice)
    else:
        G[idx] += value


class _Dense:
    """A group of neurons over the same inputs: out = W @ in + b, W and b gathered from the parameter vector."""

    def __init__(self, out: slice, inp: list[int], w: list[int], b: list[int] | None, m: int, grad_in: bool) -> None:
        self.out, self.shape, self.grad_in = out, (m, len(inp)), grad_in
        self.inp, self.inp_dup = _index(inp)
        self.w, self.w_dup = _index(w)
        self.b: Index | None = None
        self.b_dup = False
        if b is not None:
            self.b, self.b_dup = _index(b)
        self.exact = False
        # exact mode's products, kept between calls (a new 160 KB array each call made a training step ~15 % slower)
        self._P = np.empty(0)

    def forward(self, V: np.ndarray, theta: np.ndarray) -> None:
        out, W = V[self.out], theta[self.w].reshape(self.shape)
        if self.exact:  # the scalar engine's order, b + w0*x0 + w1*x1 + ..., without fused multiply-adds
            H = V[self.inp]
            small = W.size * H.shape[1] <= 1 << 16  # then all products fit in memory at once
            if small and H.shape[1] > 1:
                if self._P.shape != (len(H), len(W), H.shape[1]):
                    self._P = np.empty((len(H), len(W), H.shape[1]))
                P = np.multiply(W.T[:, :, None], H[:, None, :], out=self._P)  # P[i] = w_i * x_i per neuron and row
                if self.b is not None:
                    np.add(theta[self.b][:, None], P[0], out=P[0])
                # over the outer axis NumPy adds term after term (a single row would be summed pairwise)
                np.add.reduce(P, axis=0, out=out)
                return
            if self.b is None:
                np.multiply(W[:, :1], H[0], out=out)
            else:
                np.add(theta[self.b][:, None], W[:, :1] * H[0], out=out)
            if small:
                for t in W.T[1:, :, None] * H[1:, None, :]:
                    out += t
            else:  # large: one product at a time, so memory stays at one (m, rows) temporary
                tmp = np.empty_like(out)
                for i in range(1, len(H)):
                    out += np.multiply(W[:, i : i + 1], H[i], out=tmp)
            return
        np.matmul(W, V[self.inp], out=out)
        if self.b is not None:
            out += theta[self.b][:, None]

    def backward(self, V: np.ndarray, G: np.ndarray, theta: np.ndarray, gp: np.ndarray) -> None:
        g = G[self.out]
        _accumulate(gp, self.w, self.w_dup, (g @ V[self.inp].T).ravel())
        if self.b is not None:
            _accumulate(gp, self.b, self.b_dup, g.sum(axis=1))
        if self.grad_in:
            _accumulate(G, self.inp, self.inp_dup, theta[self.w].reshape(self.shape).T @ g)


class _Elementwise:
    """One scalar op applied to a group of nodes at once: rows of the args in, rows of the output out.

    The op's math comes from a micrograd.fast.arrays Table (FAST or EXACT); + and * are plain IEEE arithmetic.
    """

    def __init__(self, op: str, out: slice, args: list[list[int]], needs: list[bool]) -> None:
        self.op, self.out, self.needs = op, out, needs
        self.args = [_index(a) for a in args]
        self.exponent = float(op[2:]) if op.startswith("**") and op != "**" else None
        if op not in ("+", "*", "**", "logsumexp", *ops.UNARY) and self.exponent is None:
            raise ValueError(f"the compiled engine does not know the op {op!r}")
        self.use(FAST)

    def use(self, table: Table) -> None:
        """Take the op's functions from table."""
        self.table = table
        self.f: Callable[[Array], Array] | None = None
        self.grad: Grad | None = None
        if self.op in ops.UNARY:
            self.f, self.grad = table.unary(self.op)

    def forward(self, V: np.ndarray, theta: np.ndarray) -> None:
        op, out = self.op, V[self.out]
        xs = [V[i] for i, _ in self.args]
        if op == "+":
            np.add(xs[0], xs[1], out=out)
        elif op == "*":
            np.multiply(xs[0], xs[1], out=out)
        elif op == "**":
            out[...] = self.table.pow(xs[0], xs[1])
        elif self.exponent is not None:
            out[...] = self.table.pow(xs[0], self.exponent)
        elif op == "logsumexp":  # n-ary: the operands stacked on a new first axis
            out[...] = self.table.logsumexp(np.stack(xs))
        elif self.f is relu:  # straight into its rows: no array to copy (relu is the same in both tables)
            relu(xs[0], out=out)
        else:
            assert self.f is not None  # __init__ let through only + * ** and unary ops, so use() set f
            out[...] = self.f(xs[0])

    def _locals(self, xs: list[np.ndarray], out: np.ndarray) -> list:
        """d out / d arg for each arg, as engine.Value computes them (a float 1.0 passes the gradient on)."""
        op, t = self.op, self.table
        if op == "+":
            return [1.0, 1.0]
        if op == "*":
            return [xs[1], xs[0]]
        if op == "**":
            return [t.pow_grad_base(xs[0], xs[1]), t.pow_grad_exponent(xs[0], out)]
        if self.exponent is not None:
            return [t.pow_grad_base(xs[0], self.exponent)]
        if op == "logsumexp":
            return list(t.softmax(np.stack(xs), out))
        assert self.grad is not None  # a unary op here (see forward)
        return [self.grad(xs[0], out)]

    def backward(self, V: np.ndarray, G: np.ndarray, theta: np.ndarray, gp: np.ndarray) -> None:
        g = G[self.out]
        local = self._locals([V[i] for i, _ in self.args], V[self.out])
        for (idx, dup), d, need in zip(self.args, local, self.needs):
            if need:  # multiply even by 0 or 1: 0 * inf must give nan, as in the scalar engine
                _accumulate(G, idx, dup, g if isinstance(d, float) else d * g)


Neurons = dict[int, tuple[list[Value], list[int], int | None]]  # id(sum) -> (inputs, weight indices, bias index)


def _find_neurons(order: list[Value], pindex: dict[int, int]) -> Neurons:
    """Neurons: left-nested add chains of single-use partial sums over one bias and param * node terms."""
    uses: dict[int, int] = defaultdict(int)
    for v in order:
        for c in v.children:
            uses[id(c)] += 1
    dense: Neurons = {}
    absorbed: set[int] = set()
    for v in reversed(order):  # parents first, so the longest chain is seen before its partial sums
        if v.op != "+" or id(v) in absorbed:
            continue
        terms, inner, cur = [], [], v
        while cur.op == "+" and len(cur.children) == 2 and (cur is v or uses[id(cur)] == 1):
            inner.append(cur)
            left, right = cur.children
            terms.append(right)
            cur = left
        terms.append(cur)
        bias = [t for t in terms if id(t) in pindex and not t.children]
        prods = [t for t in terms if t.op == "*" and uses[id(t)] == 1]
        if len(bias) > 1 or len(bias) + len(prods) != len(terms):
            continue
        xs, ws = [], []
        for t in reversed(prods):  # operand order of the source: w0*x0 first
            a, b = t.children
            if id(b) in pindex and id(a) not in pindex:
                a, b = b, a
            if id(a) not in pindex or id(b) in pindex:
                break
            ws.append(pindex[id(a)])
            xs.append(b)
        else:
            dense[id(v)] = (xs, ws, pindex[id(bias[0])] if bias else None)
            absorbed.update(id(n) for n in inner[1:])
            absorbed.update(id(t) for t in prods)
    return dense


def _level(
    root: Value, order: list[Value], dense: Neurons, pindex: dict[int, int]
) -> tuple[list[Value], dict[int, int], dict[int, bool]]:
    """The lowered graph (neurons read their inputs directly): its nodes in order, each one's depth, and
    whether d root / d node reaches a parameter."""

    def reads(v: Value) -> tuple[Value, ...] | list[Value]:
        return dense[id(v)][0] if id(v) in dense else v.children

    seen, stack = set(), [root]
    while stack:  # nodes reachable from root through the lowered graph
        v = stack.pop()
        if id(v) not in seen:
            seen.add(id(v))
            stack.extend(reads(v))
    order = [v for v in order if id(v) in seen]
    level: dict[int, int] = {}
    grad: dict[int, bool] = {}
    for v in order:
        r = reads(v)
        level[id(v)] = 1 + max((level[id(c)] for c in r), default=-1)
        grad[id(v)] = id(v) in pindex or id(v) in dense or any(grad[id(c)] for c in r)
    return order, level, grad


class CompiledLoss:
    """The per-example loss of a model, traced once with Values and run with NumPy over a whole batch.

    exact=True replays the scalar engine's forward pass bit for bit (its summation order, libm's tanh and pow),
    so only the order of gradient sums differs. exact=False uses matrix products and NumPy's vectorised tanh:
    1.3-3x faster and equal to rounding, except where a tanh or sigmoid unit saturates: there 1 - t*t turns
    a last-bit difference of t into a relative one of about 1e-16 / (1 - t*t) in that unit's gradient.
    Re-trace (build a new one) when the architecture, activations or loss change; parameter values are read
    on every call. Not thread-safe: it reuses its work buffers between calls.
    """

    def __init__(
        self,
        model: MLP,
        loss: str,
        *,
        task: str = "binary",
        exact: bool = True,
        max_chunk_bytes: int = 32 << 20,
    ) -> None:
        loss_fn = task_loss(task, loss)
        self.loss, self.task, self.exact = loss, task, exact
        self.params = model.parameters()
        self.n_inputs = model.sizes[0]
        self._inputs = [Value(0.0, label=f"x{i + 1}") for i in range(self.n_inputs)]
        out = model(self._inputs)
        self._outs = [out] if isinstance(out, Value) else out
        self.n_outputs = len(self._outs)
        if task == "binary" and self.n_outputs != 1:
            raise ValueError(f"a binary loss needs a model with one output unit, this one has {self.n_outputs}")
        # the label as leaves fed per row: y (binary), one-hot t1..tK (multiclass), targets y1..ym (regression),
        # so that one traced graph fits every row whatever its class
        n_labels = 1 if task == "binary" else self.n_outputs
        prefix = "t" if task == "multiclass" else "y"
        names = ["y"] if task == "binary" else [f"{prefix}{k + 1}" for k in range(n_labels)]
        self._labels = [Value(0.0, label=n) for n in names]
        label = self._labels[0] if task == "binary" or n_labels == 1 and task == "regression" else self._labels
        self._build(loss_fn(self._outs, label))
        for step in self.steps:
            if isinstance(step, _Elementwise):
                step.use(EXACT if exact else FAST)
            else:
                step.exact = exact
        # both work buffers (values, gradients) of one chunk of rows stay under max_chunk_bytes
        self.chunk_rows = int(max(1, min(8192, max_chunk_bytes // (16 * self.n_slots))))
        self._buffers: dict[int, tuple[np.ndarray, np.ndarray]] = {}

    # lowering: find neurons, prune and level the graph, give every node a row, group rows into array ops

    def _build(self, root: Value) -> None:
        order = topological_order(root)
        self.n_nodes = len(order)
        pindex = {id(p): i for i, p in enumerate(self.params)}
        dense = _find_neurons(order, pindex)
        order, level, grad = _level(root, order, dense, pindex)
        slot = self._leaf_slots(order, pindex)
        self.steps = self._group_steps(order, dense, level, grad, slot)
        self.n_slots = len(slot)
        self.n_levels = len({level[id(v)] for v in order if v.children})
        self.n_ops = len(self.steps)
        self.n_dense = sum(isinstance(s, _Dense) for s in self.steps)
        self._root = slot[id(root)]
        self._score_slots = np.array([slot[id(o)] for o in self._outs], dtype=np.intp)

    def _leaf_slots(self, order: list[Value], pindex: dict[int, int]) -> dict[int, int]:
        """Rows for the leaves: inputs, label, constants, then parameters that are read elementwise."""
        slot: dict[int, int] = {}
        for v in [*self._inputs, *self._labels]:
            slot[id(v)] = len(slot)
        leaves = [v for v in order if not v.children and id(v) not in slot]
        consts = [v for v in leaves if id(v) not in pindex]
        pleaves = [v for v in leaves if id(v) in pindex]
        for v in consts + pleaves:
            slot[id(v)] = len(slot)
        self._consts = [(slot[id(v)], v.data) for v in consts]
        prow = [(slot[id(v)], pindex[id(v)]) for v in pleaves]
        self._prow_slots: Index | None
        self._prow_slots, _ = _index([s for s, _ in prow]) if prow else (None, False)
        self._prow_params = np.array([p for _, p in prow], dtype=np.intp)
        return slot

    @staticmethod
    def _group_steps(
        order: list[Value], dense: Neurons, level: dict[int, int], grad: dict[int, bool], slot: dict[int, int]
    ) -> list[_Dense | _Elementwise]:
        """One array op per (level, kind) group, its outputs in one block of rows (added to slot)."""
        groups: dict[tuple, list[Value]] = defaultdict(list)
        for v in order:
            if v.children:
                if id(v) in dense:
                    xs, _, b = dense[id(v)]
                    key: tuple = (level[id(v)], "dense", tuple(map(id, xs)), b is None)
                else:
                    key = (level[id(v)], v.op, len(v.children))  # an n-ary op groups by its arity
                groups[key].append(v)
        steps: list[_Dense | _Elementwise] = []
        for key in sorted(groups, key=lambda k: k[0]):
            nodes = groups[key]
            start = len(slot)
            if key[1] == "dense":
                nodes.sort(key=lambda v: dense[id(v)][1][0])  # parameter order: W becomes a view of theta
                xs = dense[id(nodes[0])][0]
                for i, v in enumerate(nodes):
                    slot[id(v)] = start + i
                w = [i for v in nodes for i in dense[id(v)][1]]
                # key[3] is "has no bias", shared by the group: otherwise every node's bias index is an int
                biases = None if key[3] else cast(list[int], [dense[id(v)][2] for v in nodes])
                grad_in = any(grad[id(x)] for x in xs)
                steps.append(_Dense(slice(start, len(slot)), [slot[id(x)] for x in xs], w, biases, len(nodes), grad_in))
            else:
                kids = {id(v): v.children for v in nodes}
                nodes.sort(key=lambda v: [slot[id(c)] for c in kids[id(v)]])  # consecutive args read as slices
                for i, v in enumerate(nodes):
                    slot[id(v)] = start + i
                arity = len(kids[id(nodes[0])])
                args = [[slot[id(kids[id(v)][j])] for v in nodes] for j in range(arity)]
                needs = [any(grad[id(kids[id(v)][j])] for v in nodes) for j in range(arity)]
                steps.append(_Elementwise(key[1], slice(start, len(slot)), args, needs))
        return steps

    # execution

    def _chunk_buffers(self, c: int) -> tuple[np.ndarray, np.ndarray]:
        if c not in self._buffers:
            if len(self._buffers) >= 2:
                self._buffers.clear()
            V = np.empty((self.n_slots, c))
            for s, x in self._consts:
                V[s] = x
            self._buffers[c] = (V, np.empty((self.n_slots, c)))
        return self._buffers[c]

    def _check(self, X: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        X = np.asarray(X, dtype=float)
        if X.ndim != 2 or X.shape[1] != self.n_inputs:
            raise ValueError(f"X must be a 2-D array of rows with {self.n_inputs} features, got shape {X.shape}")
        if X.shape[0] == 0:
            raise ValueError("cannot take the mean of an empty batch: X has no rows")
        y = np.asarray(y)
        if len(y) != len(X):
            raise ValueError(f"{len(X)} rows in X but {len(y)} labels in y")
        return X, self._label_rows(y)

    def _label_rows(self, y: np.ndarray) -> np.ndarray:
        """The label leaves' values, one row per example: y, one-hot class targets, or the regression targets."""
        k = len(self._labels)
        if self.task == "multiclass":
            if y.ndim != 1 or not np.all((y >= 0) & (y < k) & (y == np.floor(y))):
                raise ValueError(f"multiclass labels must be class indices 0..{k - 1}, one per row")
            return np.eye(k)[y.astype(np.intp)]
        Y = np.asarray(y, dtype=float).reshape(len(y), -1)
        if Y.shape[1] != k:
            raise ValueError(f"the model has {k} label input(s) per row, y gives {Y.shape[1]}")
        return Y

    def _forward_chunk(self, X: np.ndarray, y: np.ndarray, theta: np.ndarray) -> np.ndarray:
        V = self._chunk_buffers(len(X))[0]
        V[: self.n_inputs] = X.T
        V[self.n_inputs : self.n_inputs + len(self._labels)] = y.T
        if self._prow_slots is not None:
            V[self._prow_slots] = theta[self._prow_params][:, None]
        for step in self.steps:
            step.forward(V, theta)
        return V

    def parameter_vector(self) -> np.ndarray:
        """The parameters' current values, in model.parameters() order."""
        return np.fromiter(map(_data, self.params), dtype=float, count=len(self.params))

    def __call__(self, X: np.ndarray, y: np.ndarray, theta: np.ndarray | None = None) -> tuple[float, np.ndarray]:
        """Mean per-example loss over the rows of X and its gradient w.r.t. model.parameters() (1-D float64),
        at the parameters' current values (or at theta, a vector in that order, if given)."""
        X, y = self._check(X, y)
        n = len(X)
        theta = self.parameter_vector() if theta is None else np.asarray(theta, dtype=float)
        gp = np.zeros_like(theta)
        losses = np.empty(n)
        with np.errstate(all="ignore"):
            for s in range(0, n, self.chunk_rows):
                V = self._forward_chunk(X[s : s + self.chunk_rows], y[s : s + self.chunk_rows], theta)
                G = self._buffers[V.shape[1]][1]
                losses[s : s + V.shape[1]] = V[self._root]
                G.fill(0.0)
                G[self._root] = 1.0 / n  # d mean / d loss_i, exactly the scalar engine's seed
                for step in reversed(self.steps):
                    step.backward(V, G, theta, gp)
                if self._prow_slots is not None:
                    np.add.at(gp, self._prow_params, G[self._prow_slots].sum(axis=1))
        # a sequential sum, as sum() over Values does, then * (1/n) as losses.mean does
        return float(np.cumsum(losses)[-1] * (1.0 / n)), gp

    def evaluate(self, X: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(per-example losses, scores) for the rows of X, forward only; scores (n,) for one output, else (n, k)."""
        X, y = self._check(X, y)
        theta = self.parameter_vector()
        losses, scores = np.empty(len(X)), np.empty((len(X), len(self._outs)))
        with np.errstate(all="ignore"):
            for s in range(0, len(X), self.chunk_rows):
                V = self._forward_chunk(X[s : s + self.chunk_rows], y[s : s + self.chunk_rows], theta)
                losses[s : s + V.shape[1]] = V[self._root]
                scores[s : s + V.shape[1]] = V[self._score_slots].T
        return losses, scores[:, 0] if scores.shape[1] == 1 else scores

    def __repr__(self) -> str:
        return (
            f"CompiledLoss({self.loss!r}: {self.n_nodes} nodes -> {self.n_ops} array ops "
            f"({self.n_dense} dense) over {self.n_levels} levels, {self.n_slots} rows per example)"
        )
