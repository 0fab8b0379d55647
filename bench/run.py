"""Time one training step (forward + backward + update) of each engine on the workloads of docs/benchmarks.md.

    .venv/bin/python bench/run.py [--quick] [--only W1,W2,W3,PLAIN,UI] [--out docs/benchmarks-run.md]

Every engine starts from the same weights; the 'first loss' column shows they compute the same thing.
"""

from __future__ import annotations

import argparse
import gc
import os
import platform
import statistics
import sys
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
import sklearn  # noqa: E402
from sklearn.datasets import load_breast_cancer, make_moons  # noqa: E402

from bench import classic, plain  # noqa: E402
from micrograd.fast.compiled import CompiledLoss  # noqa: E402
from micrograd.losses import batch_loss, l2  # noqa: E402
from micrograd.nn import MLP  # noqa: E402
from micrograd.optim import schedule  # noqa: E402
from micrograd.studio.trainer import gc_paused  # noqa: E402

ALPHA = 1e-4  # the demo's L2 strength, biases included
Step = Callable[[int], float]  # step(k) trains on batch k and returns the loss before the update


def machine() -> str:
    cpu = platform.processor() or "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        import torch  # noqa: F401

        torch_v = torch.__version__
    except ImportError:
        torch_v = "not installed"
    return (
        f"CPU {cpu}, {os.cpu_count()} cores, Python {platform.python_version()}, NumPy {np.__version__}, "
        f"scikit-learn {sklearn.__version__}, PyTorch {torch_v}, {platform.system()} {platform.machine()}"
    )


# engines: each builds a step function from (model to copy weights from, X, y, batches, lr schedule)


def classic_engine(model: MLP, X, y, batches, lr) -> Step:
    net = classic.MLP(model.sizes[0], model.sizes[1:])
    for ours, theirs in zip(model.layers, net.layers):
        for n, c in zip(ours.neurons, theirs.neurons):
            for w, cw in zip(n.w, c.w):
                cw.data = w.data
            c.b.data = n.b.data
    params = net.parameters()

    def step(k: int) -> float:
        rows = batches(k)
        inputs = [list(map(classic.Value, row)) for row in X[rows].tolist()]
        scores = list(map(net, inputs))
        losses = [(1 + -yi * si).relu() for yi, si in zip(y[rows].tolist(), scores)]
        total = sum(losses) * (1.0 / len(losses)) + ALPHA * sum(p * p for p in params)
        net.zero_grad()
        total.backward()
        for p in params:
            p.data -= lr(k) * p.grad
        return total.data

    return step


def scalar_engine(model: MLP, X, y, batches, lr) -> Step:
    model = clone(model)
    params = model.parameters()

    def loss_and_grads(k: int) -> float:
        rows = batches(k)
        scores = [model(row) for row in X[rows].tolist()]
        total = batch_loss("svm", scores, y[rows].tolist()) + ALPHA * l2(params)
        model.zero_grad()
        total.backward()
        return total.data  # the graph is freed here, on return

    def step(k: int) -> float:
        # Our Values hold no cycles, so reference counting frees each step's graph and the cyclic collector
        # only gets in the way. The graph must die inside the pause (as in micrograd.studio.trainer): a collector
        # switched back on while it is alive would still scan all of it (about 25 ms per step here).
        with gc_paused():
            loss = loss_and_grads(k)
            for p in params:
                p.data -= lr(k) * p.grad
        return loss

    return step


def compiled_engine(exact: bool) -> Callable[..., Step]:
    def make(model: MLP, X, y, batches, lr) -> Step:
        model = clone(model)
        params = model.parameters()
        loss = CompiledLoss(model, "svm", exact=exact)

        def step(k: int) -> float:
            rows = batches(k)
            data_loss, grad = loss(X[rows], y[rows])
            theta = loss.parameter_vector()
            total = data_loss + ALPHA * float(theta @ theta)
            theta -= lr(k) * (grad + 2 * ALPHA * theta)
            for p, v in zip(params, theta.tolist()):
                p.data = v
            return total

        return step

    return make


def numpy_engine(model: MLP, X, y, batches, lr) -> Step:
    """Hand-written backprop for this MLP and loss: the floor for a NumPy implementation."""
    Ws = [np.array([[w.data for w in n.w] for n in layer.neurons]) for layer in model.layers]
    bs = [np.array([n.b.data for n in layer.neurons]) for layer in model.layers]
    last = len(Ws) - 1

    def step(k: int) -> float:
        rows = batches(k)
        xb, yb = X[rows], y[rows]
        hs = [xb]
        for i, (W, b) in enumerate(zip(Ws, bs)):
            z = hs[-1] @ W.T + b
            hs.append(z if i == last else np.maximum(z, 0.0))
        margin = 1.0 - yb * hs[-1][:, 0]
        sq = sum(float(np.vdot(W, W)) + float(b @ b) for W, b in zip(Ws, bs))
        total = float(np.maximum(margin, 0.0).mean()) + ALPHA * sq
        g = (np.where(margin > 0, -yb, 0.0) / len(yb))[:, None]
        for i in range(last, -1, -1):
            gW, gb = g.T @ hs[i], g.sum(axis=0)
            if i:
                g = (g @ Ws[i]) * (hs[i] > 0)
            Ws[i] -= lr(k) * (gW + 2 * ALPHA * Ws[i])
            bs[i] -= lr(k) * (gb + 2 * ALPHA * bs[i])
        return total

    return step


def torch_engine(model: MLP, X, y, batches, lr) -> Step | None:
    try:
        import torch
    except ImportError:
        return None
    Ws = [torch.tensor([[w.data for w in n.w] for n in ly.neurons], dtype=torch.float64) for ly in model.layers]
    bs = [torch.tensor([n.b.data for n in ly.neurons], dtype=torch.float64) for ly in model.layers]
    params = [t.requires_grad_() for pair in zip(Ws, bs) for t in pair]
    Xt, yt = torch.tensor(X), torch.tensor(y)

    def step(k: int) -> float:
        rows = torch.as_tensor(batches(k))
        h = Xt[rows]
        for i, (W, b) in enumerate(zip(Ws, bs)):
            h = h @ W.T + b
            h = h if i == len(Ws) - 1 else h.relu()
        total = (1 - yt[rows] * h[:, 0]).relu().mean() + ALPHA * sum((p * p).sum() for p in params)
        for p in params:
            p.grad = None
        total.backward()
        with torch.no_grad():
            for p in params:
                p -= lr(k) * p.grad
        return float(total)

    return step


def clone(model: MLP) -> MLP:
    copy = MLP(model.sizes[0], model.sizes[1:], model.activation, output_activation=model.output_activation)
    copy.load_state_dict(model.state_dict())
    return copy


# measurement


def time_steps(step: Step, min_steps: int, max_steps: int, budget: float) -> tuple[float, float]:
    """(median seconds per step, loss of the first step); one untimed warm-up step first."""
    first = step(0)
    times: list[float] = []
    while len(times) < min_steps or (len(times) < max_steps and sum(times) < budget):
        t = time.perf_counter()
        step(len(times) + 1)
        times.append(time.perf_counter() - t)
    return statistics.median(times), first


def peak_mb(make_step: Callable[[], Step]) -> float:
    """Peak Python + NumPy memory (tracemalloc) of building the engine and running one step, in MB."""
    gc.collect()
    tracemalloc.start()
    try:
        make_step()(1)
        return tracemalloc.get_traced_memory()[1] / 2**20
    finally:
        tracemalloc.stop()


ENGINES = {
    "classic micrograd": classic_engine,
    "scalar engine (Value)": scalar_engine,
    "compiled, exact": compiled_engine(True),
    "compiled, fast": compiled_engine(False),
    "hand-written NumPy": numpy_engine,
    "PyTorch float64": torch_engine,
}


def run_workload(name, X, y, model, batch, steps, engines, quick) -> tuple[list[dict], str]:
    rng = np.random.default_rng(0)
    order = [rng.choice(len(X), size=batch, replace=False) if batch else np.arange(len(X)) for _ in range(500)]
    lr = schedule("linear", 1.0, 0.1, steps)

    def batches(k: int) -> np.ndarray:
        return order[k % len(order)]

    rows = []
    for engine in engines:
        make = ENGINES[engine]
        step = make(model, X, y, batches, lr)
        if step is None:
            rows.append({"workload": name, "engine": engine, "note": "not installed"})
            continue
        slow = engine in ("classic micrograd", "scalar engine (Value)")
        if quick:
            limits = (1, 1, 0.0) if slow else (3, 20, 0.2)
        else:
            limits = (3, 5, 8.0) if engine == "classic micrograd" else (5, 30, 5.0) if slow else (20, 2000, 2.0)
        sec, first = time_steps(step, *limits)
        skip_mem = quick and slow
        mem = float("nan") if skip_mem else peak_mb(lambda make=make: make(model, X, y, batches, lr))
        rows.append({"workload": name, "engine": engine, "sec": sec, "first": first, "mb": mem})
    base = next((r["sec"] for r in rows if r["engine"] == "classic micrograd" and "sec" in r), None)
    lines = [
        f"| {name} | engine | ms / step | × faster than classic | peak MB | first loss |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for r in rows:
        if "sec" not in r:
            lines.append(f"| {name} | {r['engine']} | {r['note']} | | | |")
            continue
        ratio = f"{base / r['sec']:,.0f}×" if base else "—"
        mb = "—" if r["mb"] != r["mb"] else f"{r['mb']:.1f}"
        lines.append(f"| {name} | {r['engine']} | {r['sec'] * 1e3:,.3f} | {ratio} | {mb} | {r['first']:.15g} |")
    return rows, "\n".join(lines)


def moons(n: int) -> tuple[np.ndarray, np.ndarray]:
    X, y = make_moons(n_samples=n, noise=0.1, random_state=1337)
    return X, y * 2.0 - 1.0


def median_ms(f: Callable[[], object], repeats: int) -> float:
    """Median wall time of f() in milliseconds, after one warm-up call."""
    f()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        f()
        times.append(time.perf_counter() - t0)
    return statistics.median(times) * 1e3


def ui_row(sizes: list[int], X: np.ndarray, y: np.ndarray, reps: int) -> str:
    """One network's UI timings as a markdown table row."""
    from micrograd.fast import numeric
    from micrograd.views import plots

    layers = numeric.layers_of(MLP(2, [*sizes, 1], seed=1337))
    _, _, pts = numeric.grid((-2.0, 3.0), (-1.5, 2.0), 100)
    _, _, small = numeric.grid((-2.0, 3.0), (-1.5, 2.0), 30)
    grid_ms = median_ms(lambda: numeric.scores(layers, pts), reps)
    heat_ms = median_ms(lambda: numeric.forward_all(layers, small), reps)
    fig_ms = median_ms(lambda: plots.boundary_figure(layers, X, y, X[:0], y[:0], ["x1", "x2"]), reps)
    name = "2-" + "-".join(map(str, sizes)) + "-1"
    return f"| {name} | {grid_ms:.2f} ms | {heat_ms:.2f} ms | {fig_ms:.1f} ms |"


def ui_workload(quick: bool) -> str:
    """Decision-boundary grid and neuron heat maps (NumPy forward passes), and the figures built from them."""
    X, y = moons(100)
    lines = [
        "| network | 100×100 boundary grid (NumPy forward) | neuron heat maps 30×30 (NumPy forward) "
        "| boundary figure (grid + plotly) |",
        "|---|---:|---:|---:|",
    ]
    lines += [ui_row(sizes, X, y, 3 if quick else 30) for sizes in ([16, 16], [64] * 6)]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="tiny sizes and few repeats (CI smoke test)")
    ap.add_argument("--only", default="W1,W2,W3,PLAIN,UI", help="comma-separated workloads to run")
    ap.add_argument("--out", type=Path, help="also write the markdown report to this file")
    args = ap.parse_args(argv)
    only = set(args.only.split(","))
    cmd = "python bench/run.py " + " ".join(argv if argv is not None else sys.argv[1:])
    out = [f"Command: `{cmd.strip()}`  ", f"Machine: {machine()}  ", f"Date: {time.strftime('%Y-%m-%d %H:%M')}", ""]
    everything = list(ENGINES)

    if "W1" in only:
        X, y = moons(30 if args.quick else 100)
        model = MLP(2, [16, 16, 1], seed=1337)
        _, table = run_workload("W1", X, y, model, None, 100, everything, args.quick)
        out += [f"## W1: the original demo (moons {len(X)}, MLP(2, [16, 16, 1]), svm + L2, full batch)", "", table, ""]
        print(table, flush=True)

    if "W2" in only:
        data = load_breast_cancer()
        X = (data.data - data.data.mean(axis=0)) / data.data.std(axis=0)
        y = data.target * 2.0 - 1.0
        model = MLP(30, [16, 16, 1], seed=1337)
        batch = 16 if args.quick else 64
        _, table = run_workload("W2", X, y, model, batch, 100, everything, args.quick)
        out += [f"## W2: breast cancer (569 x 30, standardised), MLP(30, [16, 16, 1]), batch {batch}", "", table, ""]
        print(table, flush=True)

    if "W3" in only:
        samples = (100, 1000) if args.quick else (100, 1000, 10000)
        widths = (4, 16) if args.quick else (4, 16, 64)
        lines = [
            "| samples | width | compiled fast ms | compiled exact ms | NumPy ms | scalar ms | fast / NumPy "
            "| fast µs per sample | fast peak MB | NumPy peak MB |",
            "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
        ]
        for n, w in [(n, w) for n in samples for w in widths]:
            X, y = moons(n)
            model = MLP(2, [w, w, 1], seed=1337)
            engines = ["compiled, fast", "compiled, exact", "hand-written NumPy"]
            if n * w <= 1600:
                engines.append("scalar engine (Value)")
            rows, _ = run_workload("W3", X, y, model, None, 100, engines, args.quick)
            t = {r["engine"]: r for r in rows}
            fast, numpy_ = t["compiled, fast"], t["hand-written NumPy"]
            scalar = f"{t['scalar engine (Value)']['sec'] * 1e3:,.1f}" if "scalar engine (Value)" in t else "—"
            lines.append(
                f"| {n:,} | {w} | {fast['sec'] * 1e3:,.3f} | {t['compiled, exact']['sec'] * 1e3:,.3f} "
                f"| {numpy_['sec'] * 1e3:,.3f} | {scalar} | {fast['sec'] / numpy_['sec']:.1f}× "
                f"| {fast['sec'] / n * 1e6:.2f} | {fast['mb']:.1f} | {numpy_['mb']:.1f} |"
            )
            print(lines[-1], flush=True)
        out += ["## W3: scaling (moons, MLP(2, [w, w, 1]), full batch)", "", *lines, ""]

    if "PLAIN" in only:
        table = plain.plain_workload(*moons(30 if args.quick else 100), args.quick)
        out += ["## PLAIN: W1 in a user's plain loop (no gc_paused), classic vs ours, same run", "", table, ""]
        print(table, flush=True)

    if "UI" in only:
        table = ui_workload(args.quick)
        out += ["## UI: what the dashboard computes with NumPy on every tick", "", table, ""]
        print(table, flush=True)

    report = "\n".join(out)
    print("\n" + report)
    if args.out:
        args.out.write_text(report + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
