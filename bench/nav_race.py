"""A page link clicked the moment a first visit's sidebar shows: does the page open, and stay? (ui/components/nav.js)

    .venv/bin/python bench/nav_race.py [--trials 10] [--targets graph,experiments,sweeps] [--root DIR ...]

Per checkout (--root, default this one; give several to compare, e.g. a worktree of an older commit) a server with
its own run database; per trial a fresh browser context opens the Train page and clicks the target's link as soon
as the navigation shows, as a quick person does. A trial is "opened" when the target's title shows within 10 s and
is still there 1.5 s later, "blank" when the address is the target's but its main area has no title, "bounced"
when the Train page came back. The checkouts take turns, so a busy moment of the machine hits both. Asserts nothing.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections import Counter
from contextlib import ExitStack
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from playwright.sync_api import sync_playwright  # noqa: E402

from bench.browser import dashboard_of  # noqa: E402
from tests.conftest import launch_chromium  # noqa: E402

TITLES = {
    "graph": "Computation graph",
    "experiments": "Experiments",
    "sweeps": "Sweeps",
    "sandbox": "Expression sandbox",
}
STATE_JS = "() => [location.pathname, document.querySelector('[data-testid=stMain] h1')?.innerText || '']"


def trial(browser, url: str, target: str) -> str:
    """One fresh visit and a quick click on target's link: opened, blank or bounced."""
    ctx = browser.new_context(viewport={"width": 1500, "height": 1000})
    page = ctx.new_page()
    try:
        page.goto(f"{url}/?steps=60")
        page.locator("[data-testid=stSidebarNav] a").first.wait_for(timeout=60_000)
        page.locator(f'[data-testid=stSidebarNav] a[href$="/{target}"]').click()
        deadline = time.monotonic() + 10
        while page.evaluate(STATE_JS) != [f"/{target}", TITLES[target]] and time.monotonic() < deadline:
            page.wait_for_timeout(100)
        page.wait_for_timeout(1500)
        path, title = page.evaluate(STATE_JS)
        if path == f"/{target}" and title == TITLES[target]:
            return "opened"
        return "blank" if path == f"/{target}" else "bounced"
    finally:
        ctx.close()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--trials", type=int, default=10, help="per target and checkout")
    ap.add_argument("--targets", default="graph,experiments,sweeps")
    ap.add_argument("--root", action="append", type=Path, help="a checkout to serve (repeatable)")
    args = ap.parse_args()
    roots, targets = args.root or [ROOT], args.targets.split(",")
    with tempfile.TemporaryDirectory() as tmp, ExitStack() as stack, sync_playwright() as p:
        urls = {r: stack.enter_context(dashboard_of(r, Path(tmp) / f"runs{k}.db")) for k, r in enumerate(roots)}
        browser = launch_chromium(p)
        counts = {(r, t): Counter() for r in roots for t in targets}
        for _ in range(args.trials):
            for t in targets:
                for r in roots:  # taking turns
                    counts[r, t][trial(browser, urls[r], t)] += 1
        browser.close()
    for r in roots:
        for t in targets:
            c = counts[r, t]
            print(f"{r}  {t:12} opened {c['opened']:3} / {args.trials}  blank {c['blank']:3}  bounced {c['bounced']:3}")


if __name__ == "__main__":
    main()
