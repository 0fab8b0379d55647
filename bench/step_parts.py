"""Where a live training session's server CPU goes, per training step, in one process (issue 12's 5 % budget).

    .venv/bin/python bench/step_parts.py [--speed 60] [--steps 2000] [--repeats 3] [--gap 0]

Replays what the Train page's ticks do at --speed steps per second, without Streamlit: each tick's steps in one
Trainer.batch() (with the session's run recorder writing to a temporary SQLite store), the Graph page's snapshot
check, the live feed's frame (every ``every``-th step: the boundary grid, the points' scores, sometimes the network),
and once a tick (ui.TICK_SECONDS) the update and its encoding. CPU is this thread's time (time.thread_time), as ms
per training step; medians over --repeats fresh trainers. The Streamlit rerun of each tick is not in it:
bench/server_cpu.py measures the whole server (at --speed 1 it is mostly the ticks' own cost). With --gap S the
ticks come S seconds apart, as the server's do: the step row (each tick's first pass, the twin's) then starts from
cold caches; the other rows come from the second pass over the same code and sizes, warm.
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

from micrograd.studio.config import RunConfig  # noqa: E402
from micrograd.studio.recording import Recorder  # noqa: E402
from micrograd.studio.trainer import Trainer  # noqa: E402
from micrograd.views import live, series  # noqa: E402
from ui.options import SPEED_OPTIONS, TICK_SECONDS  # noqa: E402

PARTS = ("step", "recorder", "snapshot", "frame", "update + encode")


def one(speed: float, steps: int, tmp: str, gap: float = 0.0) -> dict[str, float]:
    """ms of CPU per training step for each part, over one fresh run of ``steps`` steps."""
    clock = time.thread_time
    tr = Trainer(RunConfig(steps=0))
    feed, snaps = live.LiveFeed(), series.SnapshotSeries()
    feed.set_speed(speed, tr.model.sizes)
    feed.update(tr, state="ready", sps=None, log_loss=False, lr=1.0)  # the static part, as a page's first run
    twin = Trainer(RunConfig(steps=0))  # the same run without the recorder: the recorder's share by difference
    recorder = Recorder(os.path.join(tmp, f"runs-{time.monotonic_ns()}.db"))
    recorder.watch(tr)
    total = dict.fromkeys(PARTS, 0.0)
    per_tick = max(1, round(speed * TICK_SECONDS))
    for start in range(0, steps, per_tick):
        n = min(per_tick, steps - start)
        a = clock()
        with twin.batch():  # a tick's steps, measured together at its end (ui.tick)
            for _ in range(n):
                twin.step()
        b = clock()
        snapshot = frame = 0.0
        with tr.batch():
            for _ in range(n):
                tr.step()
                d = clock()
                series.take_snapshot(snaps, tr)
                e = clock()
                feed.record(tr)
                f = clock()
                snapshot, frame = snapshot + e - d, frame + f - e
        c = clock()
        total["step"] += b - a
        total["snapshot"] += snapshot
        total["frame"] += frame
        total["recorder"] += (c - b) - snapshot - frame - (b - a)  # the same steps with the recorder, less the twin's
        if n == per_tick:
            a = clock()
            live.encode(feed.update(tr, state="running", sps=speed, log_loss=False, lr=1.0))
            total["update + encode"] += clock() - a
        if gap:
            time.sleep(gap)
    recorder.close()
    return {p: 1000 * t / steps for p, t in total.items()}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--speed", type=float, default=float(max(SPEED_OPTIONS)))
    ap.add_argument("--steps", type=int, default=2000)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--gap", type=float, default=0.0, help="seconds between ticks (the server's are ~1 s apart)")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        runs = [one(args.speed, args.steps, tmp, args.gap) for _ in range(args.repeats)]
    med = {p: statistics.median(r[p] for r in runs) for p in PARTS}
    total = sum(med.values())
    print(
        f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, load average "
        f"{os.getloadavg()[0]:.1f}; default moons 2-16-16-1, {args.steps} steps at {args.speed:g} steps/s, "
        f"ticks {args.gap:g} s apart, medians of {args.repeats} runs\n"
    )
    print("| part | ms per step | % of one core at this speed |\n|---|---:|---:|")
    for p in PARTS:
        print(f"| {p} | {med[p]:.3f} ({', '.join(f'{r[p]:.3f}' for r in runs)}) | {med[p] * args.speed / 10:.1f} |")
    print(f"| total | {total:.3f} | {total * args.speed / 10:.1f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
