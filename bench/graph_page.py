"""The Graph page while training, in headless Chromium: pictures per second, websocket KB/s, longest task.

    .venv/bin/python bench/graph_page.py [--repeats 3] [--seconds 5] [--speed 50] [--out FILE]

Setup: the default moons 2-16-16-1 (its full scalar graph, 986 nodes), a 3,000-step budget, the highest speed.
After 1 s of warm-up it counts, over a window: the distinct pictures the canvas view drew (each is one training
step's frame; the view counts them in ``data-pictures``), the bytes the server sent over the websocket (Chrome
DevTools Protocol frames), and the browser's long tasks (PerformanceObserver "longtask"). Needs Debian's
chromium (make system). Prints a markdown table; asserts nothing.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from playwright.sync_api import sync_playwright  # noqa: E402

from bench.browser import frame_bytes  # noqa: E402
from tests.conftest import launch_chromium, serve_dashboard  # noqa: E402
from ui.options import SPEED_OPTIONS  # noqa: E402

VIEW = "document.querySelector('.mgg-root')"
OBSERVE_JS = """() => {
  window.__longtasks = [];
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) window.__longtasks.push([e.startTime, e.duration]);
  }).observe({ type: "longtask", buffered: true });
}"""
SAMPLE_JS = f"""() => ({{
  now: performance.now(),
  pictures: Number({VIEW}.dataset.pictures),
  step: Number({VIEW}.dataset.step),
  drawMax: Number({VIEW}.dataset.drawMax),
}})"""


def measure(browser, url: str, seconds: float, speed: int) -> dict:
    """One fresh session: open the Graph page, Start, warm up 1 s, then measure for ``seconds``."""
    ctx = browser.new_context(viewport={"width": 1500, "height": 1000})
    page = ctx.new_page()
    page.set_default_timeout(300_000)  # a loaded machine can take minutes for a cold first page
    cdp = ctx.new_cdp_session(page)
    cdp.send("Network.enable")
    received = []  # (monotonic time, bytes) of every websocket frame from the server

    cdp.on("Network.webSocketFrameReceived", lambda ev: received.append((time.monotonic(), frame_bytes(ev))))
    page.goto(f"{url}/?steps=3000&speed={speed}")
    side = page.get_by_test_id("stSidebar")
    start = side.get_by_role("button", name="Start", exact=True)
    start.wait_for()
    page.get_by_test_id("stSidebarNav").get_by_text("Graph", exact=True).click()
    page.wait_for_function(f"() => {VIEW}?.dataset.nodes === '986' && {VIEW}.dataset.step")
    page.locator(".mgg-canvas").scroll_into_view_if_needed()
    page.evaluate(OBSERVE_JS)
    start.click()
    page.wait_for_function(f"() => Number({VIEW}.dataset.step) > 0")
    page.wait_for_timeout(1000)
    page.evaluate(f"() => {{ {VIEW}.dataset.drawMax = '0'; }}")
    a, t0 = page.evaluate(SAMPLE_JS), time.monotonic()
    page.wait_for_timeout(seconds * 1000)
    b, t1 = page.evaluate(SAMPLE_JS), time.monotonic()
    tasks = page.evaluate("() => window.__longtasks")
    side.get_by_role("button", name="Pause", exact=True).click()
    ctx.close()
    span = (b["now"] - a["now"]) / 1000
    in_window = [d for s, d in tasks if a["now"] <= s <= b["now"]]
    sent = sum(n for t, n in received if t0 <= t <= t1)
    return {
        "pictures": (b["pictures"] - a["pictures"]) / span,
        "steps": (b["step"] - a["step"]) / span,
        "kbs": sent / 1000 / (t1 - t0),
        "longest": max(in_window, default=0.0),
        "long_tasks": len(in_window),
        "draw": b["drawMax"],
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--seconds", type=float, default=5.0)
    ap.add_argument(
        "--speed", type=int, default=max(SPEED_OPTIONS), help="the sidebar's speed (its highest by default)"
    )
    ap.add_argument("--out", type=Path)
    args = ap.parse_args()
    runs = []
    with tempfile.TemporaryDirectory() as tmp, serve_dashboard(Path(tmp) / "runs.db", Path(tmp) / "log") as url:
        with sync_playwright() as p:
            browser = launch_chromium(p)
            for _ in range(args.repeats):
                runs.append(measure(browser, url, args.seconds, args.speed))
            browser.close()
    med = statistics.median

    def row(name: str, key: str, fmt: str = ".1f") -> str:
        xs = [r[key] for r in runs]
        return f"| {name} | {med(xs):{fmt}} | {', '.join(f'{x:{fmt}}' for x in xs)} |"

    when = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        f"Graph page, 2-16-16-1 full scalar graph (986 nodes) training at speed {args.speed}, headless Chromium, "
        f"{platform.machine()} ({platform.processor() or 'cpu'}), Python {platform.python_version()}, {when}; "
        f"{args.repeats} fresh sessions, {args.seconds:g} s windows after 1 s warm-up, medians:",
        "",
        "| measure | median | all runs |",
        "|---|---:|---|",
        row("pictures per second on the canvas", "pictures"),
        row("training steps per second shown", "steps"),
        row("websocket KB/s (server → browser)", "kbs"),
        row("longest browser task in the window (ms)", "longest", ".0f"),
        row("long tasks (> 50 ms) in the window", "long_tasks", ".0f"),
        row("longest canvas draw of one picture (ms)", "draw"),
    ]
    text = "\n".join(lines)
    print(text)
    if args.out:
        args.out.write_text(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
