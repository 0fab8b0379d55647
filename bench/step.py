"""The cost of one Trainer.step(), everything included (metrics, diagnostics, the update, writing the Values).

Issue 12's budget: at 100 steps per second the live server may spend <= 5 % of a core per training session, i.e.
<= 0.5 ms per step. Each measurement is a fresh process (one BLAS thread, as the studio runs) that builds the
trainer, takes two warm-up steps, then steps until --seconds have passed; the table gives the median ms per step
over --repeats processes. With --against DIR (a source tree of another commit, e.g. from ``git archive``), the
same cases run from that tree too, interleaved with ours, so a before/after comparison shares the machine's load.

    .venv/bin/python bench/step.py [--repeats 5] [--seconds 1] [--against /tmp/base]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# (name, RunConfig keyword arguments): the live page's default, and a bigger net on more points
CASES = [
    ("moons 100, 2-16-16-1, compiled", dict(samples=100, layers=[16, 16], engine="compiled")),
    ("moons 100, 2-16-16-1, scalar", dict(samples=100, layers=[16, 16], engine="scalar")),
    ("moons 1000, 2-32-32-1, compiled", dict(samples=1000, layers=[32, 32], engine="compiled")),
    ("moons 1000, 2-32-32-1, scalar", dict(samples=1000, layers=[32, 32], engine="scalar")),
]

CHILD = """
import json, sys, time
from micrograd.studio.config import RunConfig
from micrograd.studio.trainer import Trainer
kwargs, seconds = json.loads(sys.argv[1]), float(sys.argv[2])
tr = Trainer(RunConfig(steps=1_000_000, **kwargs))
tr.step(); tr.step()  # warm-up: the compiled engine traces the model on its first step
n, t0, c0 = 0, time.perf_counter(), time.process_time()
while True:
    tr.step()
    n += 1
    t = time.perf_counter() - t0
    if t >= seconds:
        break
cpu = time.process_time() - c0
print(json.dumps({"ms": 1000 * t / n, "cpu_ms": 1000 * cpu / n, "steps": n, "status": str(tr.status)}))
"""


def measure(tree: Path, kwargs: dict, seconds: float) -> tuple[float, float]:
    """(wall-clock ms, CPU ms) per step of one case in a fresh process running the code of ``tree``."""
    env = {**os.environ, "PYTHONPATH": str(tree), "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}
    out = subprocess.run(
        [sys.executable, "-c", CHILD, json.dumps(kwargs), str(seconds)],
        cwd=tree,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    result = json.loads(out.strip().splitlines()[-1])
    if result["status"] not in ("training", "finished"):
        raise SystemExit(f"the run ended as {result['status']}: the measurement would not be of training steps")
    return result["ms"], result["cpu_ms"]


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=5, help="processes per case and tree (median taken)")
    ap.add_argument("--seconds", type=float, default=1.0, help="stepping time per process")
    ap.add_argument("--against", type=Path, help="another source tree to measure interleaved (the 'before')")
    ap.add_argument("--only", help="run only the cases whose name contains this text")
    args = ap.parse_args(argv)
    trees = [("this tree", ROOT)] + ([("against", args.against.resolve())] if args.against else [])
    cases = [c for c in CASES if args.only is None or args.only in c[0]]
    times: dict[tuple[str, str], list[tuple[float, float]]] = {(c, t): [] for c, _ in cases for t, _ in trees}
    for _ in range(args.repeats):
        for case, kwargs in cases:
            for tname, tree in trees:  # interleaved: both trees see the same load
                times[case, tname].append(measure(tree, kwargs, args.seconds))
    load = os.getloadavg()
    print(
        f"Trainer.step() cost, ms per step (median of {args.repeats} processes, {args.seconds:g} s of steps each; "
        f"one BLAS thread); {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, load average {load[0]:.1f} {load[1]:.1f}\n"
    )
    print(
        "CPU: the process's CPU time per step (what the server pays; under load the wall clock also counts waiting "
        "for a core). In brackets: every process.\n"
    )
    cols = " | ".join(f"{t} wall | {t} CPU" for t, _ in trees)
    print(f"| case | {cols} |" + (" CPU ratio |" if args.against else ""))
    print("|---|" + "---:|---:|" * len(trees) + ("---:|" if args.against else ""))
    for case, _ in cases:
        row, cpu = f"| {case} |", {}
        for tname, _ in trees:
            for k in (0, 1):
                vals = [v[k] for v in times[case, tname]]
                row += f" {statistics.median(vals):.3f} ({', '.join(f'{v:.2f}' for v in vals)}) |"
            cpu[tname] = statistics.median(v[1] for v in times[case, tname])
        if args.against:
            row += f" {cpu['against'] / cpu['this tree']:.1f}× |"
        print(row)


if __name__ == "__main__":
    main()
