"""Server CPU of one training session on the Train page, and where it goes (issue 12).

    .venv/bin/python bench/server_cpu.py [--speed 60] [--seconds 10] [--profile FILE]

Starts the dashboard, opens the Train page in headless Chromium with no budget at --speed steps per second (with
--visit-graph: goes to the Graph page and back first), presses Start, waits 2 s, then reports the streamlit process's
CPU (user + system, /proc) over --seconds as % of one core and the steps trained. With --profile, every Streamlit
script thread that starts inside the window runs under cProfile on its own CPU clock, and the summed stats are
written to FILE (read them with `python -m pstats FILE`); the profiler slows the server, so the CPU figure of a
profiled run is not the benchmark's.
"""

from __future__ import annotations

import argparse
import os
import re
import signal
import sys
import tempfile
import textwrap
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from playwright.sync_api import sync_playwright  # noqa: E402

from bench.browser import OURS_READY_JS, cpu_seconds, serve, streamlit_cmd  # noqa: E402
from tests.conftest import free_port, launch_chromium  # noqa: E402
from ui.options import SPEED_OPTIONS  # noqa: E402

# Loaded by the server (PYTHONPATH) when profiling: a cProfile per script thread while the flag file exists.
SITECUSTOMIZE = """
import atexit, cProfile, os, pstats, threading, time
_flag, _out, _profs, _run = os.environ["MG_PROFILE_FLAG"], os.environ["MG_PROFILE_OUT"], [], threading.Thread.run
def run(self):
    if "ScriptRunner" not in self.name or not os.path.exists(_flag):
        return _run(self)
    pr = cProfile.Profile(time.thread_time)
    _profs.append(pr)
    pr.enable()
    try:
        return _run(self)
    finally:
        pr.disable()
threading.Thread.run = run
def _dump():
    if _profs:
        stats = pstats.Stats(_profs[0])
        for pr in _profs[1:]:
            stats.add(pr)
        stats.dump_stats(_out)
atexit.register(_dump)
"""


def thread_seconds(pid: int) -> dict[str, tuple[str, float]]:
    """Each live thread of a process: its id -> (its name, user + system CPU seconds so far)."""
    out = {}
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            name = (task / "comm").read_text().strip()
            fields = (task / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:  # the thread ended meanwhile
            continue
        out[task.name] = (name, (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK"))
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "--speed", type=int, default=max(SPEED_OPTIONS), help="the sidebar's speed (its highest by default)"
    )
    ap.add_argument("--seconds", type=float, default=10.0)
    ap.add_argument("--profile", type=Path)
    ap.add_argument("--visit-graph", action="store_true", help="open the Graph page once before training on Train")
    args = ap.parse_args()
    port = free_port()
    with tempfile.TemporaryDirectory() as tmp:
        flag = Path(tmp) / "profiling"
        env = {**os.environ, "MICROGRAD_DB": str(Path(tmp) / "runs.db"), "PYTHONPATH": str(ROOT)}
        if args.profile:
            (Path(tmp) / "sitecustomize.py").write_text(textwrap.dedent(SITECUSTOMIZE))
            env["PYTHONPATH"] = os.pathsep.join([tmp, str(ROOT)])
            env.update(MG_PROFILE_FLAG=str(flag), MG_PROFILE_OUT=str(args.profile.resolve()))
        with (
            serve(streamlit_cmd("dashboard.py", port), f"http://127.0.0.1:{port}/_stcore/health", ROOT, env) as app,
            sync_playwright() as p,
        ):
            browser = launch_chromium(p)
            page = browser.new_page(viewport={"width": 1500, "height": 1000})
            page.goto(f"http://127.0.0.1:{port}/?steps=0&speed={args.speed}")
            page.wait_for_function(OURS_READY_JS, timeout=120_000, polling=50)
            if args.visit_graph:  # a session that has seen the Graph page, back on the Train page
                page.get_by_test_id("stSidebarNav").get_by_text("Graph").click()
                page.get_by_text(re.compile(r"snapshots? of this run")).first.wait_for(timeout=120_000)
                page.get_by_test_id("stSidebarNav").get_by_text("Train").click()
                page.wait_for_function(OURS_READY_JS, timeout=120_000, polling=50)
            page.get_by_test_id("stSidebar").get_by_role("button", name="Start", exact=True).click()
            time.sleep(2)
            step = "() => +document.querySelector('canvas.mgl-boundary').dataset.step"
            flag.touch()
            s0, c0, t0, h0 = page.evaluate(step), cpu_seconds(app.pid), time.monotonic(), thread_seconds(app.pid)
            time.sleep(args.seconds)
            s1, c1, t1, h1 = page.evaluate(step), cpu_seconds(app.pid), time.monotonic(), thread_seconds(app.pid)
            flag.unlink()
            browser.close()
            app.send_signal(signal.SIGINT)  # a clean exit writes the profile
            app.wait(30)
    print(
        f"speed {args.speed}: server CPU {100 * (c1 - c0) / (t1 - t0):.1f} % of one core over {t1 - t0:.1f} s, "
        f"{(s1 - s0) / (t1 - t0):.0f} steps/s shown; {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}"
    )
    by_name: dict[str, float] = {}
    for tid, (name, sec) in h1.items():
        by_name[name] = by_name.get(name, 0.0) + sec - h0.get(tid, (name, 0.0))[1]
    busy = sorted(((v, k) for k, v in by_name.items() if v > 0), reverse=True)
    print("by thread: " + ", ".join(f"{k} {100 * v / (t1 - t0):.1f} %" for v, k in busy))
    if args.profile:
        print(f"profile of the script threads: {args.profile} (python -m pstats {args.profile})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
