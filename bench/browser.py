"""The dashboard's responsiveness in headless Chromium: W1 in the browser, redraws per second, Pause latency.

    .venv/bin/python bench/browser.py [--repeats 5] [--out FILE]

Needs Debian's chromium (make system). Prints a markdown table; asserts nothing.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from playwright.sync_api import sync_playwright  # noqa: E402

from tests.conftest import launch_chromium, serve_dashboard  # noqa: E402

STEP_JS = "() => document.querySelector('[data-testid=stMetricValue]').innerText"
STATE_JS = "() => document.querySelector('[data-testid=stSidebar]').innerText"


def run_w1(page, url: str) -> dict:
    """Default setup (the original demo, 100 steps): Start until finished, recording every redraw of the step."""
    page.goto(url)
    page.get_by_test_id("stMetric").first.wait_for()
    start = page.get_by_test_id("stSidebar").get_by_role("button", name="Start", exact=True)
    last, redraws = page.evaluate(STEP_JS), []
    t0 = time.monotonic()
    start.click()
    while "100 / 100" not in last:
        now = page.evaluate(STEP_JS)
        if now != last:
            redraws.append(time.monotonic())
            last = now
        if time.monotonic() - t0 > 120:
            raise RuntimeError("W1 did not finish in 120 s")
        page.wait_for_timeout(20)
    done = time.monotonic() - t0
    rate = (len(redraws) - 1) / (redraws[-1] - redraws[0]) if len(redraws) > 1 else float("nan")
    return {"seconds": done, "redraws": len(redraws), "rate": rate}


def pause_latency(page, url: str) -> float:
    """Seconds from clicking Pause during a long run until the sidebar says paused."""
    page.goto(f"{url}/?steps=100000")
    page.get_by_test_id("stMetric").first.wait_for()
    side = page.get_by_test_id("stSidebar")
    side.get_by_role("button", name="Start", exact=True).click()
    side.get_by_text("running", exact=True).wait_for()
    page.wait_for_timeout(1500)
    t0 = time.monotonic()
    side.get_by_role("button", name="Pause", exact=True).click()
    side.get_by_text("paused", exact=True).wait_for(timeout=30_000)
    return time.monotonic() - t0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--out", type=Path)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp, serve_dashboard(Path(tmp) / "runs.db", Path(tmp) / "log") as url:
        with sync_playwright() as p:
            browser = launch_chromium(p)
            w1, pauses = [], []
            for _ in range(args.repeats):
                ctx = browser.new_context(viewport={"width": 1500, "height": 1000})
                page = ctx.new_page()
                w1.append(run_w1(page, url))
                pauses.append(pause_latency(page, url))
                ctx.close()
            browser.close()
    med = statistics.median

    def row(name: str, xs: list[float], unit: str = "") -> str:
        return f"| {name} | {med(xs):.2f}{unit} | {', '.join(f'{x:.2f}' for x in xs)} |"

    lines = [
        f"Dashboard in headless Chromium ({platform.processor() or platform.machine()}, "
        f"Python {platform.python_version()}), {args.repeats} fresh sessions, medians:",
        "",
        "| measure | median | all runs |",
        "|---|---:|---|",
        row("W1 (default setup, 100 steps): Start → finished", [r["seconds"] for r in w1], " s"),
        row("chart redraws per second while training", [r["rate"] for r in w1]),
        row("Pause → 'paused' shown", pauses, " s"),
    ]
    text = "\n".join(lines)
    print(text)
    if args.out:
        args.out.write_text(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
