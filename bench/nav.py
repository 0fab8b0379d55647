"""Where a fresh visit's navigation → usable time goes (issue 12's ≤ 1.5 s target), in headless Chromium.

    .venv/bin/python bench/nav.py [--repeats 5]

Serves the dashboard (and bench/bare_app.py, one button, for the floor any Streamlit app pays), then per fresh
browser context: the time to usable (as bench/browser.py: the boundary shows step 0 and Start can be pressed), when
the sidebar's first widget appeared, the first and last websocket message of the page's first script run, and the
main thread's JavaScript self time from a CDP CPU profile, split into Streamlit's own bundle (React, emotion, its
widgets) and the live components (our JS, loaded as blob: URLs). The first visit of a fresh server is left out (it
compiles Streamlit's bundle once). Prints medians; asserts nothing.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from playwright.sync_api import sync_playwright  # noqa: E402

from bench.browser import OURS_QUERY, OURS_READY_JS, serve, streamlit_cmd  # noqa: E402
from tests.conftest import free_port, launch_chromium  # noqa: E402

BARE_READY_JS = (
    "() => [...document.querySelectorAll('[data-testid=stSidebar] button')].some((b) => b.innerText.trim() === 'Start')"
)
MARKS_JS = """() => {
  const m = (window.__m = {});
  const mark = (k) => { if (!(k in m)) m[k] = performance.now(); };
  const poll = () => {
    if (document.querySelector('[data-testid=stSidebar] [data-testid=stSelectbox]')) mark('widget');
    if (document.querySelector('canvas')) mark('canvas');
    requestAnimationFrame(poll);
  };
  requestAnimationFrame(poll);
}"""


def visit(browser, url: str, ready_js: str) -> dict:
    ctx = browser.new_context(viewport={"width": 1500, "height": 1000})
    ctx.add_init_script(f"({MARKS_JS})()")
    page = ctx.new_page()
    cdp = ctx.new_cdp_session(page)
    frames: list[float] = []
    t0 = time.monotonic()
    cdp.send("Network.enable")
    cdp.on("Network.webSocketFrameReceived", lambda e: frames.append(time.monotonic() - t0))
    cdp.send("Profiler.enable")
    cdp.send("Profiler.setSamplingInterval", {"interval": 250})
    cdp.send("Profiler.start")
    page.goto(url)
    page.wait_for_function(ready_js, timeout=120_000, polling=20)
    usable = time.monotonic() - t0
    profile = cdp.send("Profiler.stop")["profile"]
    marks = page.evaluate("() => window.__m")
    ctx.close()
    nodes = {n["id"]: n["callFrame"] for n in profile["nodes"]}
    per_sample = sum(profile["timeDeltas"]) / max(1, len(profile["samples"])) / 1000  # ms
    js: Counter = Counter()
    for nid, n in Counter(profile["samples"]).items():
        u = nodes[nid]["url"]
        kind = "ours" if u.startswith("blob:") else "streamlit" if "/static/" in u else None
        if kind:
            js[kind] += n * per_sample
    return {
        "usable": usable,
        "widget": marks.get("widget", float("nan")) / 1000,
        "ws_first": frames[0] if frames else float("nan"),
        "ws_script_end": max((t for t in frames if t < usable), default=float("nan")),
        "js_streamlit": js["streamlit"],
        "js_ours": js["ours"],
    }


def _median(values) -> str:
    """The median of the measured values (a mark never reached is nan), or – when there is none."""
    got = [v for v in values if v == v]
    return f"{statistics.median(got):.2f}" if got else "–"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=5)
    args = ap.parse_args()
    port, bare_port = free_port(), free_port()
    ours, bare = f"http://127.0.0.1:{port}", f"http://127.0.0.1:{bare_port}"
    with (
        serve(streamlit_cmd("dashboard.py", port), f"{ours}/_stcore/health", ROOT),
        serve(streamlit_cmd("bench/bare_app.py", bare_port), f"{bare}/_stcore/health", ROOT),
        sync_playwright() as p,
    ):
        browser = launch_chromium(p)
        visit(browser, ours + OURS_QUERY, OURS_READY_JS)  # a fresh server's first visit: left out
        visit(browser, bare, BARE_READY_JS)
        runs: dict[str, list[dict]] = {"studio": [], "bare": []}
        for _ in range(args.repeats):
            runs["studio"].append(visit(browser, ours + OURS_QUERY, OURS_READY_JS))
            runs["bare"].append(visit(browser, bare, BARE_READY_JS))
        browser.close()
    print("| measure (s, medians) | studio | bare Streamlit page |\n|---|---:|---:|")
    rows = [
        ("navigation → usable", "usable"),
        ("first websocket message", "ws_first"),
        ("last websocket message before usable (the first run's end)", "ws_script_end"),
        ("first sidebar widget drawn", "widget"),
    ]
    for name, key in rows:
        s, b = (_median(r[key] for r in runs[side]) for side in ("studio", "bare"))
        print(f"| {name} | {s} | {b} |")
    for name, key in (
        ("JS self time: Streamlit's bundle", "js_streamlit"),
        ("JS self time: live components", "js_ours"),
    ):
        s, b = (statistics.median(r[key] for r in runs[side]) / 1000 for side in ("studio", "bare"))
        print(f"| {name} | {s:.2f} | {b:.2f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
