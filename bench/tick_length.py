"""Does a tick cost more as a run grows long? (issue 12: "the cost of a tick does not grow with the run's length")

    .venv/bin/python bench/tick_length.py [--speed 50] [--steps 60000] [--at 1000,5000,15692,30000,60000]

Replays the Train page's one-second ticks at --speed steps per second without Streamlit (each tick's steps in one
Trainer.batch(), the live feed sampling every step, then the update and its encoding, as bench/step_parts.py does)
for a run of --steps steps with no budget, and reports around each step of --at (the 10 ticks before it, medians):
the update's encoded bytes, the CPU of building and encoding it, and the CPU of the whole tick per step. 15,692 is
the step at which the old design sent 1.34 MB an update (the issue's measurement); past 50,000 the trainer thins its older
step records (trainer.HISTORY_LIMIT). Asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from micrograd.studio.config import RunConfig  # noqa: E402
from micrograd.studio.trainer import Trainer  # noqa: E402
from micrograd.views import live  # noqa: E402
from ui.options import SPEED_OPTIONS, TICK_SECONDS  # noqa: E402

WINDOW = 10  # ticks measured before each step of --at


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--speed", type=int, default=max(SPEED_OPTIONS))
    ap.add_argument("--steps", type=int, default=60_000)
    ap.add_argument("--at", default="1000,5000,15692,30000,60000")
    args = ap.parse_args()
    marks = sorted(int(s) for s in args.at.split(","))
    clock = time.thread_time
    tr = Trainer(RunConfig(steps=0))
    feed = live.LiveFeed()
    feed.update(tr, state="ready")  # the static part, as a page's first run
    per_tick = max(1, round(args.speed * TICK_SECONDS))
    rows: dict[int, list[tuple[int, float, float, int, int]]] = {m: [] for m in marks}
    while tr.step_count < min(args.steps, marks[-1]):
        feed.set_speed(args.speed, tr.model.sizes)
        a = clock()
        with tr.batch():
            for _ in range(per_tick):
                tr.step()
                feed.record(tr)
        b = clock()
        update = feed.update(tr, state="running", sps=args.speed)
        payload, before = live.encode_measured(update)
        feed.sent(update, len(payload), before)
        c = clock()
        for m in marks:
            if m - WINDOW * per_tick < tr.step_count <= m:
                rows[m].append(
                    (len(payload), 1000 * (c - b), 1000 * (c - a) / per_tick, feed.net_every, len(tr.history))
                )
    print(
        f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, load average "
        f"{os.getloadavg()[0]:.1f}; default moons 2-16-16-1, no budget, {args.speed} steps/s, one tick a second; "
        f"medians of the {WINDOW} ticks before each step\n"
    )
    print("| step | update KB | update + encode (ms) | tick CPU per step (ms) | history kept | network every |")
    print("|---:|---:|---:|---:|---:|---:|")
    for m, r in rows.items():
        if not r:
            continue
        kb, enc, per_step, every, kept = (statistics.median(x[i] for x in r) for i in range(5))
        print(f"| {m:,} | {kb / 1000:.1f} | {enc:.2f} | {per_step:.3f} | {kept:,.0f} | {every:g} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
