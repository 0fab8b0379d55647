"""The browser's main-thread time per boundary picture on the Train page while training, and what each part costs.

    .venv/bin/python bench/main_thread.py [--repeats 2] [--seconds 4]

Serves this checkout's dashboard, opens the Train page with no budget at the highest speed in headless Chromium,
presses Start, and reads Chrome's own counters (DevTools Protocol ``Performance.getMetrics``: TaskDuration, the
main thread's busy time) over a window after --warmup seconds of training (default 1.5). Each variant hides one part with a style rule, so
the difference to the baseline is that part's cost: the network picture, the curves, the boundary canvas,
Streamlit's running indicator. Variants alternate within each repeat (the machine's load drifts). With four
sessions on a 2-core machine, this time per picture is what bounds each tab's rate (issue 12). Asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from playwright.sync_api import sync_playwright  # noqa: E402

from bench.browser import OURS_QUERY, OURS_WHOLE_JS, dashboard_of  # noqa: E402
from tests.conftest import launch_chromium  # noqa: E402

VARIANTS = {
    "the whole page": "",
    "without the network picture": ".mgl-train .mgl-net { display: none !important; }",
    "without the network's edges": ".mgl-train .mgl-edges { visibility: hidden !important; }",
    "without the network's squares": ".mgl-train .mgl-squares { visibility: hidden !important; }",
    "without the curves": ".mgl-curve { display: none !important; }",
    "without the boundary canvas": "canvas.mgl-boundary { visibility: hidden !important; }",
    "without Streamlit's running indicator": "[data-testid=stStatusWidget] { display: none !important; }",
}


def one(browser, url: str, css: str, seconds: float, warmup: float = 1.5) -> tuple[float, float]:
    """(main-thread ms per second, boundary pictures per second) over one window."""
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    try:
        page.goto(url + OURS_QUERY)
        page.wait_for_function(OURS_WHOLE_JS, timeout=120_000)
        if css:
            page.add_style_tag(content=css)
        cdp = page.context.new_cdp_session(page)
        cdp.send("Performance.enable")
        page.get_by_test_id("stSidebar").get_by_role("button", name="Start", exact=True).click()
        page.wait_for_timeout(int(warmup * 1000))

        def busy() -> float:
            return next(
                m["value"] for m in cdp.send("Performance.getMetrics")["metrics"] if m["name"] == "TaskDuration"
            )

        def shown() -> int:
            return int(page.evaluate("() => document.querySelector('canvas.mgl-boundary').dataset.shown"))

        t0, s0 = busy(), shown()
        page.wait_for_timeout(int(seconds * 1000))
        t1, s1 = busy(), shown()
        return 1000 * (t1 - t0) / seconds, (s1 - s0) / seconds
    finally:
        page.close()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=2)
    ap.add_argument("--seconds", type=float, default=4.0)
    ap.add_argument("--warmup", type=float, default=1.5, help="seconds of training before the window")
    args = ap.parse_args()
    runs: dict[str, list[tuple[float, float]]] = {name: [] for name in VARIANTS}
    with dashboard_of(ROOT) as url, sync_playwright() as p:
        browser = launch_chromium(p)
        for _ in range(args.repeats):
            for name, css in VARIANTS.items():
                runs[name].append(one(browser, url, css, args.seconds, args.warmup))
        browser.close()
    print(
        f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, load average "
        f"{os.getloadavg()[0]:.1f} at the end; the Train page at {OURS_QUERY}, {args.repeats} windows of "
        f"{args.seconds:g} s each, medians\n"
    )
    print("| variant | main thread (ms per s) | pictures per second | ms per picture |\n|---|---:|---:|---:|")
    for name, rs in runs.items():
        ms, fps = statistics.median(r[0] for r in rs), statistics.median(r[1] for r in rs)
        print(f"| {name} | {ms:.0f} ({', '.join(f'{r[0]:.0f}' for r in rs)}) | {fps:.1f} | {ms / max(fps, 1e-9):.2f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
