"""What a fresh visit's page shows, frame by frame, until it is usable (issue 12's navigation target), in Chromium.

    .venv/bin/python bench/nav_timeline.py [--repeats 3] [--root DIR]

Serves the dashboard of --root (default: this checkout) and, per fresh browser context (empty cache, as a first
visit), records on every animation frame whenever it changes: the sidebar's and the main area's element containers,
how many of them are still Streamlit's loading skeletons (an element whose code is not loaded yet), whether the boundary
canvas exists and the step it shows, and how many sections of settings the sidebar has. Then per visit: the first
frame with skeletons, Start and the canvas first shown, usable (as bench/browser.py: the boundary shows step 0 and
Start can be pressed) and the whole page (the settings there, no skeleton left: a first visit's Train page draws
them just after its first screen, ui.session.first_screen). The first visit of a fresh server is left out. Prints
the frames and medians; asserts nothing.
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from playwright.sync_api import sync_playwright  # noqa: E402

from bench.browser import OURS_QUERY, OURS_READY_JS, OURS_WHOLE_JS, dashboard_of  # noqa: E402
from tests.conftest import launch_chromium  # noqa: E402

FRAMES_JS = """() => {
  const tl = (window.__tl = []);
  let last = '';
  const count = (root, sel) => (root ? root.querySelectorAll(sel).length : -1);
  const poll = () => {
    const side = document.querySelector('[data-testid=stSidebar]');
    const main = document.querySelector('[data-testid=stMain]');
    const canvas = document.querySelector('canvas.mgl-boundary');
    const start = [...document.querySelectorAll('[data-testid=stSidebar] button')].some(
      (b) => b.innerText.trim() === 'Start');
    const row = [count(side, '[data-testid=stElementContainer]'), count(side, '[data-testid=stSkeleton]'),
      count(main, '[data-testid=stElementContainer]'), count(main, '[data-testid=stSkeleton]'),
      start ? 1 : 0, canvas ? 1 : 0, canvas?.dataset.step ?? '', count(side, '[data-testid=stExpander]')];
    const key = row.join(',');
    if (key !== last) { tl.push([performance.now(), ...row]); last = key; }
    requestAnimationFrame(poll);
  };
  requestAnimationFrame(poll);
}"""
COLUMNS = "ms, sidebar elements, of them skeletons, main elements, of them skeletons, Start, canvas, step, sections"


def visit(browser, url: str) -> list[list]:
    ctx = browser.new_context(viewport={"width": 1500, "height": 1000})
    ctx.add_init_script(f"({FRAMES_JS})()")
    page = ctx.new_page()
    page.goto(url)
    page.wait_for_function(OURS_READY_JS, timeout=120_000, polling=20)
    page.wait_for_function(OURS_WHOLE_JS, timeout=120_000, polling=20)
    frames = page.evaluate("() => window.__tl")
    ctx.close()
    return frames


def marks(frames: list[list]) -> dict[str, float]:
    """ms of the first skeleton, of Start and the canvas first shown, of usable (step 0 shown), of the whole page."""
    first = next((f[0] for f in frames if f[2] > 0 or f[4] > 0), float("nan"))
    start = next((f[0] for f in frames if f[5]), float("nan"))
    canvas = next((f[0] for f in frames if f[6]), float("nan"))
    usable = next((f[0] for f in frames if f[5] and f[7] == "0"), float("nan"))
    whole = next((f[0] for f in frames if f[8] > 0 and f[2] == 0 and f[4] == 0), float("nan"))
    return {"first skeleton": first, "Start shown": start, "canvas": canvas, "usable": usable, "whole page": whole}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--root", type=Path, default=ROOT, help="the checkout whose dashboard.py is served")
    args = ap.parse_args()
    with dashboard_of(args.root) as url, sync_playwright() as p:
        browser = launch_chromium(p)
        visit(browser, url + OURS_QUERY)  # a fresh server's first visit: left out
        runs = []
        for k in range(args.repeats):
            frames = visit(browser, url + OURS_QUERY)
            runs.append(marks(frames))
            print(f"visit {k + 1} ({COLUMNS}):")
            for f in frames:
                print("  " + ", ".join([f"{f[0]:.0f}", *map(str, f[1:])]))
        browser.close()
    print("medians (ms): " + ", ".join(f"{k} {statistics.median(r[k] for r in runs):.0f}" for k in runs[0]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
