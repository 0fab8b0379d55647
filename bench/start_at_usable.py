"""Start pressed the moment a first visit's Train page is usable, while its settings still arrive (issue 12).

    .venv/bin/python bench/start_at_usable.py [--visits 6] [--root DIR]

Serves the dashboard of --root (default: this checkout) with no budget at 100 steps a second and, per fresh browser
context, presses Start as soon as the boundary shows step 0 and Start can be pressed (bench/browser.py's usable),
waits 1.5 s, then counts the steps the view shows over 3 s and reads the sidebar's Samples box once the settings
are there. A visit whose settings' run the click cut short used to show the widgets' own defaults (4 samples) and
train at the slowest speed (1 step a second). Prints one line per visit and how many went wrong; asserts nothing.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from playwright.sync_api import sync_playwright  # noqa: E402

from bench.browser import OURS_QUERY, OURS_READY_JS, dashboard_of  # noqa: E402
from tests.conftest import launch_chromium  # noqa: E402

STEP_JS = "() => +document.querySelector('canvas.mgl-boundary').dataset.step"
START_JS = "() => document.querySelector('[data-testid=stSidebar] .st-key-btn_start button').click()"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--visits", type=int, default=6)
    ap.add_argument("--root", type=Path, default=ROOT, help="the checkout whose dashboard.py is served")
    args = ap.parse_args()
    wrong = 0
    with dashboard_of(args.root) as url, sync_playwright() as p:
        browser = launch_chromium(p)
        for k in range(args.visits):
            ctx = browser.new_context(viewport={"width": 1500, "height": 1000})
            page = ctx.new_page()
            page.goto(url + OURS_QUERY)
            page.wait_for_function(OURS_READY_JS, timeout=120_000, polling=20)
            page.evaluate(START_JS)
            time.sleep(1.5)
            s0 = page.evaluate(STEP_JS)
            time.sleep(3)
            rate = (page.evaluate(STEP_JS) - s0) / 3
            box = page.get_by_test_id("stSidebar").get_by_role("spinbutton", name="Samples")
            box.wait_for(timeout=60_000)
            samples = box.input_value()
            bad = samples != "100" or rate < 20
            wrong += bad
            print(f"visit {k + 1}: {rate:.0f} steps/s shown, Samples {samples}{'  <- wrong' if bad else ''}")
            ctx.close()
        browser.close()
    print(f"{wrong} of {args.visits} visits went wrong")
    return 0


if __name__ == "__main__":
    sys.exit(main())
