"""Sweep benchmark: a 16-trial grid trained serially vs on a warm local Dask cluster with 2 workers.

    .venv/bin/python bench/sweep.py                       # the issue's workload: 2,000 steps, 2-32-32-1, 1,000 moons
    .venv/bin/python bench/sweep.py --steps 100 --samples 200 --layers 16,16   # lighter, on a loaded machine

Reports the wall-clock speed-up of the cluster over serial training, the cluster's start-up (processes up,
workers registered and warmed) and the per-trial overhead (wall time x workers - compute time, per trial), each
separately. The cluster run goes through the real driver, so its time includes recording every trial in a run store.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from micrograd.studio.cluster import Clusters, LocalCluster  # noqa: E402
from micrograd.studio.config import RunConfig  # noqa: E402
from micrograd.studio.sweep_driver import SweepRun  # noqa: E402
from micrograd.studio.sweeps import Axis, SweepSpec, run_trial, warm_up  # noqa: E402
from micrograd.studio.threads import one_blas_thread  # noqa: E402


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--steps", type=int, default=2000)
    p.add_argument("--samples", type=int, default=1000)
    p.add_argument("--layers", default="32,32")
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--pair", action="store_true", help="only the machine's ceiling: one trial alone, then two at once")
    args = p.parse_args()
    layers = [int(n) for n in args.layers.split(",")]
    base = RunConfig(dataset="moons", samples=args.samples, steps=args.steps, layers=layers).to_dict()
    spec = SweepSpec(
        base=base, axes=[Axis.parse("lr", "0.03,0.1,0.3,1"), Axis.parse("activation", "tanh,relu")], seeds=2
    )
    trials = spec.trials()
    assert len(trials) == 16
    load = os.getloadavg()
    print(f"# {len(trials)} trials: moons {args.samples}, 2-{'-'.join(map(str, layers))}-1, {args.steps} steps")
    print(f"# load average before: {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f} on {os.cpu_count()} cores")

    one_blas_thread()  # as the workers run (their environment sets it): a fair serial baseline
    if args.pair:
        pair_ceiling(trials[0].config)
        return
    warm_up()
    t0 = time.perf_counter()
    serial = []
    for t in trials:
        s = time.perf_counter()
        run_trial(t.config)
        serial.append(time.perf_counter() - s)
    serial_wall = time.perf_counter() - t0
    print(f"# serial: {serial_wall:.1f} s (one trial: median {statistics.median(serial):.2f} s)", flush=True)

    t0 = time.perf_counter()
    local = LocalCluster(args.workers, idle_timeout="10m")
    startup = time.perf_counter() - t0
    print(f"# cluster up and warmed in {startup:.1f} s", flush=True)
    try:
        clusters = Clusters(local.address)
        with tempfile.TemporaryDirectory() as tmp:
            # a round trip of empty trials: what each trial costs besides its training
            tiny = {**base, "steps": 1, "samples": 20}
            s = time.perf_counter()
            local.client.gather([local.client.submit(run_trial, tiny, pure=False) for _ in range(16)])
            tiny_wall = time.perf_counter() - s
            run = SweepRun(Path(tmp) / "runs.db", clusters, spec)
            t0 = time.perf_counter()
            run.start()
            assert run.join(3600) and run.error == "", run.error
            cluster_wall = time.perf_counter() - t0
            from micrograd.studio.runs import RunStore

            with RunStore(Path(tmp) / "runs.db") as store:
                done = store.list_runs(sweep_id=run.sweep_id)
            compute = sum(r["wall_seconds"] for r in done)
            assert all(r["status"] in ("finished", "diverged") for r in done)
        clusters.close()
    finally:
        local.close()
    load_after = os.getloadavg()
    overhead = (cluster_wall * args.workers - compute) / len(trials)
    print()
    print(
        f"Machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    )
    print(f"Date: {time.strftime('%Y-%m-%d %H:%M')}; load average {load[0]:.1f} before, {load_after[0]:.1f} after")
    print()
    print("| measure | value |")
    print("|---|---:|")
    print(f"| serial: 16 trials, wall | {serial_wall:.1f} s |")
    print(
        f"| serial: one trial, median (min-max) | {statistics.median(serial):.2f} s ({min(serial):.2f}-{max(serial):.2f}) |"
    )
    print(f"| cluster start-up ({args.workers} workers up and warmed) | {startup:.1f} s |")
    print(f"| warm cluster: 16 trials through the driver and the store, wall | {cluster_wall:.1f} s |")
    print(f"| **speed-up, serial / warm cluster** | **{serial_wall / cluster_wall:.2f}x** |")
    print(f"| per-trial overhead ((wall x workers - compute) / trials) | {overhead:.2f} s |")
    print(
        f"| training time on the workers / serial (two trials at once on {os.cpu_count()} cores) | {compute / serial_wall:.2f}x |"
    )
    print(f"| 16 one-step trials on the warm cluster, wall | {tiny_wall:.2f} s |")


PAIR_CHILD = """
import json, sys, time
from micrograd.studio.threads import one_blas_thread
one_blas_thread()
from micrograd.studio.sweeps import run_trial, warm_up
warm_up()
t = time.perf_counter()
run_trial(json.loads(sys.argv[1]))
print(time.perf_counter() - t)
"""


def pair_ceiling(config: dict) -> None:
    """What this machine gives two trials at once without Dask: one plain process alone, then two side by side."""
    import json
    import subprocess

    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)}

    def run(n: int) -> list[float]:
        cmd = [sys.executable, "-c", PAIR_CHILD, json.dumps(config)]
        procs = [subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True, env=env) for _ in range(n)]
        return [float(p.communicate()[0]) for p in procs]

    alone, both = run(1) + run(1), run(2)
    factor = statistics.mean(both) / statistics.mean(alone)
    print(f"| one trial alone, two plain processes one after the other | {', '.join(f'{t:.2f}' for t in alone)} s |")
    print(f"| the same trial in two plain processes at once | {', '.join(f'{t:.2f}' for t in both)} s |")
    print(f"| two at once / alone (no Dask) | {factor:.2f}x: at best a {2 / factor:.2f}x speed-up on 2 workers |")


if __name__ == "__main__":
    main()
