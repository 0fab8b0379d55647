"""How often the Train view's network picture travels, per task and speed, and the encoded bytes a second (issue 12).

    .venv/bin/python bench/net_rate.py

Replays what the Train page's ticks do, without Streamlit (tests.test_live.bytes_per_second: ticks of speed/4
steps, set_speed before each, sent() after): 6 s of ticks after 100 steps, the bytes of the last 2 s. The network's
stride follows the measured sizes (micrograd.views.rates), so it settles after a few ticks. Prints a markdown table.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from micrograd.studio.config import RunConfig  # noqa: E402
from micrograd.studio.trainer import Trainer  # noqa: E402
from micrograd.views import live  # noqa: E402
from tests.test_live import bytes_per_second  # noqa: E402
from ui.options import SPEED, SPEED_OPTIONS  # noqa: E402

TASKS = {
    "moons (default)": {},
    "spiral, 3 classes": dict(dataset="spiral", task="multiclass", classes=3, loss="ce"),
    "blobs, 10 classes": dict(dataset="blobs", task="multiclass", classes=10, loss="ce"),
    "digits (1,797 points)": dict(dataset="digits", task="multiclass", loss="ce", lr=0.1),
    "sine (regression)": dict(dataset="sine", task="regression", loss="mse", lr=0.03),
    "plane (regression)": dict(dataset="plane", task="regression", loss="mse", lr=0.03),
    "moons, the largest net (6 × 64, tanh)": dict(layers=[64] * 6, activation="tanh", lr=0.001),
}


def main() -> int:
    print("| task | steps/s | encoded KB/s | boundary every | network every | network pictures/s |")
    print("|---|---:|---:|---:|---:|---:|")
    for name, settings in TASKS.items():
        for speed in (SPEED.default, max(SPEED_OPTIONS)):  # the sidebar's default and its highest
            tr = Trainer(RunConfig(steps=0, **settings))
            feed = live.LiveFeed()
            feed.set_speed(speed, tr.model.sizes)
            kb = bytes_per_second(feed, tr, speed) / 1000
            row = [name, speed, f"{kb:.1f}", feed.every, feed.net_every, f"{speed / feed.net_every:.1f}"]
            print("| " + " | ".join(map(str, row)) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
