"""The PLAIN workload of bench/run.py: W1 in a user's own loop with the cyclic collector on (issue 11 item 15).

The seeds' README loop (forward, loss, zero_grad, backward, update) on the classic design and on ours, from the
same weights in the same process, with the collector's time per generation taken from ``gc.callbacks``.
"""

from __future__ import annotations

import gc
import statistics
import time
from collections.abc import Callable

import numpy as np

from bench import classic
from micrograd.losses import batch_loss, l2
from micrograd.nn import MLP
from micrograd.studio.trainer import gc_paused

ALPHA = 1e-4  # the demo's L2 strength, biases included


def clone(model: MLP) -> MLP:
    copy = MLP(model.sizes[0], model.sizes[1:], model.activation, output_activation=model.output_activation)
    copy.load_state_dict(model.state_dict())
    return copy


class GcClock:
    """Time spent in the cyclic garbage collector, per generation, while installed (gc.callbacks)."""

    def __init__(self) -> None:
        self.seconds = [0.0, 0.0, 0.0]
        self.count = [0, 0, 0]
        self._t0 = 0.0

    def __call__(self, phase: str, info: dict) -> None:
        if phase == "start":
            self._t0 = time.perf_counter()
        else:
            self.seconds[info["generation"]] += time.perf_counter() - self._t0
            self.count[info["generation"]] += 1

    def __enter__(self) -> GcClock:
        gc.callbacks.append(self)
        return self

    def __exit__(self, *exc: object) -> None:
        gc.callbacks.remove(self)


def plain_loop_classic(model: MLP, X: np.ndarray, y: np.ndarray, steps: int, times: list[float]) -> float:
    """The seeds' README loop on the classic design: forward, loss, zero_grad, backward, update."""
    net = classic.MLP(model.sizes[0], model.sizes[1:])
    for ours, theirs in zip(model.layers, net.layers):
        for n, c in zip(ours.neurons, theirs.neurons):
            for w, cw in zip(n.w, c.w):
                cw.data = w.data
            c.b.data = n.b.data
    params = net.parameters()
    Xl, yl = X.tolist(), y.tolist()
    first = None
    for k in range(steps):
        t0 = time.perf_counter()
        inputs = [list(map(classic.Value, row)) for row in Xl]
        scores = list(map(net, inputs))
        losses = [(1 + -yi * si).relu() for yi, si in zip(yl, scores)]
        total = sum(losses) * (1.0 / len(losses)) + ALPHA * sum(p * p for p in params)
        net.zero_grad()
        total.backward()
        for p in params:
            p.data -= (1.0 - 0.9 * k / 100) * p.grad
        times.append(time.perf_counter() - t0)
        first = total.data if first is None else first
    return first


def plain_loop_ours(model: MLP, X: np.ndarray, y: np.ndarray, steps: int, times: list[float]) -> float:
    """The same loop with our Value engine as a user writes it: no gc_paused(), the last graph kept alive."""
    model = clone(model)
    params = model.parameters()
    Xl, yl = X.tolist(), y.tolist()
    first = None
    for k in range(steps):
        t0 = time.perf_counter()
        scores = [model(row) for row in Xl]
        total = batch_loss("svm", scores, yl) + ALPHA * l2(params)
        model.zero_grad()
        total.backward()
        for p in params:
            p.data -= (1.0 - 0.9 * k / 100) * p.grad
        times.append(time.perf_counter() - t0)
        first = total.data if first is None else first
    return first


def paused(loop: Callable[..., float]) -> Callable[..., float]:
    """loop with the cyclic collector paused throughout, as the trainer's steps run: the bound without GC."""

    def run(*args: object) -> float:
        with gc_paused():
            return loop(*args)

    return run


def plain_workload(X: np.ndarray, y: np.ndarray, quick: bool) -> str:
    """W1 in a plain loop: classic vs ours in the same run, collector on as in a notebook; a markdown table."""
    model = MLP(2, [16, 16, 1], seed=1337)
    loops = {
        "classic micrograd": (plain_loop_classic, 1 if quick else 7),
        "scalar engine (Value)": (plain_loop_ours, 3 if quick else 31),
        "scalar engine, the loop inside gc_paused()": (paused(plain_loop_ours), 3 if quick else 31),
    }
    rows = {}
    steps_of = {name: steps for name, (_, steps) in loops.items()}
    for name, (loop, steps) in loops.items():
        gc.collect()
        times: list[float] = []
        with GcClock() as clock:
            first = loop(model, X, y, steps, times)
        med = statistics.median(times[1:] if len(times) > 1 else times)  # the first step warms up
        gc_share = sum(clock.seconds) / sum(times)
        per = [f"{c / len(times):.1f}" for c in clock.count]
        rows[name] = (med, first, gc_share, per, clock.seconds)
    base = rows["classic micrograd"][0]
    lines = [
        "| engine | ms / step (median) | × faster than classic | share in the cyclic GC | collections / step "
        "(gen 0 / 1 / 2) | GC ms / step (gen 0 / 1 / 2) | first loss |",
        "|---|---:|---:|---:|---|---|---:|",
    ]
    for name, (med, first, share, per, secs) in rows.items():
        per_step = " / ".join(f"{1e3 * t / steps_of[name]:,.1f}" for t in secs)
        lines.append(
            f"| {name} | {med * 1e3:,.1f} | {base / med:,.1f}× | {share:.0%} | {' / '.join(per)} "
            f"| {per_step} | {first:.15g} |"
        )
    return "\n".join(lines)
