"""The live Train page against TensorFlow Playground, in one run, in headless Chromium (issue 12's targets).

    .venv/bin/python bench/browser.py [--repeats 3] [--seconds 5] [--sessions 4] [--speed 60] [--out FILE]

Ours: the default moons 2-16-16-1, no budget, at the highest speed. The peer (shared/peers/tf-playground, served
with python -m http.server on a free loopback port): xor, 4-2, tanh. Per fresh browser context: navigation → usable,
Start → first new picture, then after 1 s of warm-up, over --seconds: distinct boundary pictures per second (the
boundary canvas fingerprinted on every animation frame; the peer's largest), blank frames, websocket bytes per second (CDP
Network.webSocketFrameReceived), server CPU (/proc/<pid>/stat of the streamlit process). Then --sessions contexts
train at once, both ours and the peer's, in --repeats rounds (the medians of the rounds). Navigation is also timed on a bare Streamlit page (bench/bare_app.py, one
button), interleaved: the floor any Streamlit app pays. Prints a markdown table of medians and ratios; asserts nothing.
Ours is usable at its first screen (ui.session.first_screen); what follows (Start, the rates) waits for the whole page
(its settings come a moment later), so the training is measured on a page that has finished loading, as before.
"""

from __future__ import annotations

import argparse
import base64
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from playwright.sync_api import sync_playwright  # noqa: E402

from tests.conftest import free_port, launch_chromium, stop  # noqa: E402
from ui.options import SPEED_OPTIONS  # noqa: E402

PEER_DIR = Path(os.environ.get("PEER_DIR", ROOT.parent.parent / "shared" / "peers" / "tf-playground"))
if not PEER_DIR.exists():
    PEER_DIR = Path("/work/shared/peers/tf-playground")
PEER_HASH = "#activation=tanh&dataset=xor&networkShape=4,2"
OURS_QUERY = f"/?steps=0&speed={max(SPEED_OPTIONS)}"  # no budget: trains until Pause, at the highest speed

# Ours is usable when the boundary shows step 0 and the sidebar's Start can be pressed.
OURS_READY_JS = (
    "() => document.querySelector('canvas.mgl-boundary')?.dataset.step === '0' && "
    "[...document.querySelectorAll('[data-testid=stSidebar] button')].some("
    "(b) => b.innerText.trim() === 'Start' && !b.disabled)"
)


# The whole page is there: the settings are drawn and no element is still a loading skeleton.
OURS_WHOLE_JS = (
    "() => document.querySelector('[data-testid=stSidebar] [data-testid=stExpander]') && "
    "!document.querySelector('[data-testid=stSkeleton]')"
)


def streamlit_cmd(script: str, port: int) -> list[str]:
    """`streamlit run script` headless on 127.0.0.1:port, no usage stats, no file watcher."""
    cmd = [sys.executable, "-m", "streamlit", "run", script, "--server.headless", "true"]
    cmd += ["--server.address", "127.0.0.1", "--server.port", str(port), "--browser.gatherUsageStats", "false"]
    return cmd + ["--server.fileWatcherType", "none"]


# On every animation frame: fingerprint the boundary (the peer's: its largest canvas), drawn into a small canvas and
# hashed; count changes.
FINGERPRINT_JS = """() => {
  if (window.__fp) return;
  const fp = (window.__fp = {frames: 0, blank: 0, changes: [], last: null, t: [], nets: [], net: null});
  const off = document.createElement('canvas');
  off.width = off.height = 24;
  const ctx = off.getContext('2d', {willReadFrequently: true});
  const biggest = () => {
    const ours = document.querySelector('canvas.mgl-boundary');  // ours: the boundary (the network's canvas is larger)
    if (ours) return ours;
    let best = null, area = 0;
    for (const c of document.querySelectorAll('canvas')) {
      const r = c.getBoundingClientRect(), a = r.width * r.height;
      if (a > area) (area = a), (best = c);
    }
    return best;
  };
  const loop = (now) => {
    requestAnimationFrame(loop);
    const c = biggest();
    if (!c || !c.width || !c.height) return;
    ctx.clearRect(0, 0, 24, 24);
    ctx.drawImage(c, 0, 0, 24, 24);
    const d = ctx.getImageData(0, 0, 24, 24).data;
    let h = 2166136261, same = true;
    for (let i = 0; i < d.length; i++) {
      h = Math.imul(h ^ d[i], 16777619) >>> 0;
      if (d[i] !== d[i & 3]) same = false;
    }
    fp.frames++;
    if (same) fp.blank++;
    if (h !== fp.last) fp.changes.push(now);
    fp.last = h;
    const net = document.querySelector('.mgl-net');  // ours: the network picture's step (the peer has none)
    if (net && net.dataset.step !== fp.net) (fp.net = net.dataset.step), fp.nets.push(now);
  };
  requestAnimationFrame(loop);
}"""

WINDOW_JS = """(ms) => new Promise((done) => {
  const fp = window.__fp, f0 = fp.frames, b0 = fp.blank, t0 = performance.now();
  setTimeout(() => {
    const t1 = performance.now();
    done({changes: fp.changes.filter((t) => t >= t0 && t <= t1).length, frames: fp.frames - f0,
          nets: fp.nets.filter((t) => t >= t0 && t <= t1).length,
          blank: fp.blank - b0, seconds: (t1 - t0) / 1000});
  }, ms);
})"""

# ours: the sidebar's Start (the view has its own for a narrow screen, hidden here)
SIDEBAR_START = "[data-testid=stSidebar] .st-key-btn_start button"

# click the start control and time the first new picture after it, in page time
START_JS = """(selector) => new Promise((done) => {
  const fp = window.__fp, n0 = fp.changes.length;
  const el = document.querySelector(selector) || [...document.querySelectorAll('button')].find((b) => b.innerText.trim() === selector);
  const t0 = performance.now();
  el.click();
  const wait = () => (fp.changes.length > n0 && fp.changes[fp.changes.length - 1] >= t0
    ? done(fp.changes.find((t) => t >= t0) - t0) : performance.now() - t0 > 10000 ? done(null) : requestAnimationFrame(wait));
  requestAnimationFrame(wait);
})"""


# click Pause and time until the sidebar's status line reads paused (what a person sees), then until the server's
# rerun confirms it (data-state) and the view shows the step the trainer stopped at, in page time
PAUSE_JS = """() => new Promise((done) => {
  const b = [...document.querySelectorAll('[data-testid=stSidebar] button')].find((x) => x.innerText.trim() === 'Pause');
  const t0 = performance.now();
  let shown = null;
  b.click();
  const wait = () => {
    const s = document.querySelector('.mgl-status'), c = document.querySelector('canvas.mgl-boundary');
    const t = performance.now() - t0;
    if (shown === null && s && s.querySelector('.mgl-state').textContent === 'paused') shown = t;
    if (s && s.dataset.state === 'paused' && c && c.dataset.step === s.dataset.step) return done({shown, confirmed: t});
    if (t > 10000) return done({shown, confirmed: null});
    requestAnimationFrame(wait);
  };
  requestAnimationFrame(wait);
})"""


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@contextmanager
def serve(cmd: list[str], url: str, cwd: Path, env: dict | None = None):
    proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(url, timeout=1):
                    break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"{cmd[:3]} did not start") from None
                time.sleep(0.2)
        yield proc
    finally:
        stop(proc)


@contextmanager
def dashboard_of(root: Path, db: Path | None = None):
    """The dashboard of the checkout at root, served on a free loopback port (with the run database db, else the
    default one); yields its URL."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = None if db is None else {**os.environ, "MICROGRAD_DB": str(db)}
    with serve(streamlit_cmd("dashboard.py", port), f"{url}/_stcore/health", root, env):
        yield url


def frame_bytes(event: dict) -> int:
    """A websocket frame's size: CDP gives a binary frame (opcode 2, all of Streamlit's) base64-encoded."""
    r = event["response"]
    return len(base64.b64decode(r["payloadData"])) if r.get("opcode") == 2 else len(r["payloadData"].encode())


class Target:
    """One side of the comparison: how to open it, when it is usable, how to start it."""

    def __init__(self, name: str, url: str, ready_js: str, start: str, whole_js: str | None = None) -> None:
        self.name, self.url, self.ready_js, self.start = name, url, ready_js, start
        self.whole_js = whole_js  # the page has finished loading (None: when usable)

    def open(self, browser) -> tuple:
        ctx = browser.new_context(viewport={"width": 1500, "height": 1000})
        page = ctx.new_page()
        received = [0]
        cdp = ctx.new_cdp_session(page)
        cdp.send("Network.enable")
        cdp.on("Network.webSocketFrameReceived", lambda e: received.__setitem__(0, received[0] + frame_bytes(e)))
        t0 = time.monotonic()
        page.goto(self.url)
        page.wait_for_function(self.ready_js, timeout=240_000, polling=20)
        usable = time.monotonic() - t0
        if self.whole_js:
            page.wait_for_function(self.whole_js, timeout=240_000, polling=20)
        page.evaluate(FINGERPRINT_JS)
        return ctx, page, received, usable


def measure_one(target: Target, browser, seconds: float, pid: int | None) -> dict:
    ctx, page, received, usable = target.open(browser)
    try:
        page.wait_for_timeout(500)
        first = page.evaluate(START_JS, target.start)
        page.wait_for_timeout(1000)  # warm-up
        b0, c0 = received[0], cpu_seconds(pid) if pid else 0.0
        w = page.evaluate(WINDOW_JS, int(seconds * 1000))
        cpu = (cpu_seconds(pid) - c0) / w["seconds"] if pid else None
        paused = page.evaluate(PAUSE_JS) if pid else None
        return {
            "pause_ms": paused["shown"] if paused else None,
            "paused_ms": paused["confirmed"] if paused else None,
            "usable": usable,
            "first_ms": first,
            "pictures": w["changes"] / w["seconds"],
            "fps": w["frames"] / w["seconds"],
            "nets": w["nets"] / w["seconds"],
            "blank": w["blank"],
            "bytes": (received[0] - b0) / w["seconds"],
            "cpu": cpu,
        }
    finally:
        ctx.close()


def measure_many(target: Target, browser, n: int, seconds: float, pid: int | None) -> dict:
    opened = [target.open(browser) for _ in range(n)]
    try:
        for _, page, _, _ in opened:
            page.evaluate(START_JS, target.start)
        opened[-1][1].wait_for_timeout(1500)
        c0 = cpu_seconds(pid) if pid else 0.0
        t0 = time.monotonic()
        # the windows overlap: each page measures in its own timer, all started together
        handles = [page.evaluate_handle(WINDOW_JS, int(seconds * 1000)) for _, page, _, _ in opened]
        results = [h.json_value() for h in handles]
        cpu = (cpu_seconds(pid) - c0) / (time.monotonic() - t0) / n if pid else None
        return {"pictures": [r["changes"] / r["seconds"] for r in results], "cpu": cpu}
    finally:
        for ctx, *_ in opened:
            ctx.close()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--seconds", type=float, default=5.0)
    ap.add_argument("--sessions", type=int, default=4)
    ap.add_argument("--speed", type=int, default=max(SPEED_OPTIONS), help="ours: the sidebar's speed (its highest)")
    ap.add_argument("--out", type=Path)
    args = ap.parse_args()
    port, peer_port = free_port(), free_port()
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "MICROGRAD_DB": str(Path(tmp) / "runs.db"), "PYTHONPATH": str(ROOT)}
        cmd, bare_port = streamlit_cmd("dashboard.py", port), free_port()
        bare_cmd = streamlit_cmd("bench/bare_app.py", bare_port)
        peer_cmd = [sys.executable, "-m", "http.server", str(peer_port), "--bind", "127.0.0.1"]
        peer_cmd += ["--directory", str(PEER_DIR)]
        with (
            serve(cmd, f"http://127.0.0.1:{port}/_stcore/health", ROOT, env) as app,
            serve(peer_cmd, f"http://127.0.0.1:{peer_port}/index.html", ROOT),
            serve(bare_cmd, f"http://127.0.0.1:{bare_port}/_stcore/health", ROOT, env),
        ):
            bare = Target(
                "bare Streamlit",
                f"http://127.0.0.1:{bare_port}/",
                "() => [...document.querySelectorAll('[data-testid=stSidebar] button')].some("
                "(b) => b.innerText.trim() === 'Start')",
                "Start",
            )
            query = OURS_QUERY.replace(f"speed={max(SPEED_OPTIONS)}", f"speed={args.speed}")
            ours = Target("studio", f"http://127.0.0.1:{port}{query}", OURS_READY_JS, SIDEBAR_START, OURS_WHOLE_JS)
            peer = Target(
                "TF Playground",
                f"http://127.0.0.1:{peer_port}/index.html{PEER_HASH}",
                "() => !!document.querySelector('#play-pause-button') && document.querySelectorAll('canvas').length > 0",
                "#play-pause-button",
            )
            with sync_playwright() as p:
                browser = launch_chromium(p)
                # warm the server (first imports) before anything is timed
                measure_one(ours, browser, 1.0, app.pid)
                bare.open(browser)[0].close()
                runs: dict[str, list[dict]] = {"studio": [], "TF Playground": []}
                floor = []
                for _ in range(args.repeats):  # interleaved, so both see the same machine load
                    runs["studio"].append(measure_one(ours, browser, args.seconds, app.pid))
                    runs["TF Playground"].append(measure_one(peer, browser, args.seconds, None))
                    ctx, _, _, usable = bare.open(browser)
                    ctx.close()
                    floor.append(usable)
                # several sessions at once, --repeats rounds, interleaved: one 5 s window of a busy machine swung a
                # session's server CPU between 4.5 and 5.9 % from one run to the next (session 23)
                many_ours, many_peer = [], []
                for _ in range(args.repeats):
                    many_ours.append(measure_many(ours, browser, args.sessions, args.seconds, app.pid))
                    many_peer.append(measure_many(peer, browser, args.sessions, args.seconds, None))
                browser.close()
    text = report(args, runs, many_ours, many_peer, floor)
    print(text)
    if args.out:
        args.out.write_text(text + "\n")
    return 0


def report(args, runs: dict, many_ours: list[dict], many_peer: list[dict], floor: list[float]) -> str:
    med = statistics.median

    def m(side: str, key: str) -> float:
        xs = [r[key] for r in runs[side] if r[key] is not None]
        return med(xs) if xs else float("nan")

    def row(name: str, key: str, fmt: str, ratio: bool = True) -> str:
        a, b = m("studio", key), m("TF Playground", key)
        r = f"{a / b:.2f}" if ratio and b else "–"
        all_a = ", ".join(format(x[key], fmt) if x[key] is not None else "–" for x in runs["studio"])
        return f"| {name} | {a:{fmt}} ({all_a}) | {b:{fmt}} | {r} |"

    # per round: the median session's pictures (ours, the peer's) and our server CPU per session; then their medians
    pas = [med(r["pictures"]) for r in many_ours]
    pbs = [med(r["pictures"]) for r in many_peer]
    many_cpu = [100 * r["cpu"] for r in many_ours]
    pa, pb = med(pas), med(pbs)
    kb = ", ".join(f"{x['bytes'] / 1000:.1f}" for x in runs["studio"])
    cpus = ", ".join(f"{100 * x['cpu']:.1f}" for x in runs["studio"] if x["cpu"] is not None)
    lines = [
        f"Live Train page vs TensorFlow Playground, headless Chromium, {os.cpu_count()} cores "
        f"({platform.machine()}, Python {platform.python_version()}), load average {os.getloadavg()[0]:.1f} at the "
        f"end; ours at {args.speed} steps a second; {args.repeats} fresh contexts each, interleaved, medians (ours: all "
        "runs in brackets):",
        "",
        "| measure | studio | TF Playground | ratio |",
        "|---|---:|---:|---:|",
        row("distinct boundary pictures per second", "pictures", ".1f"),
        row("animation frames per second", "fps", ".1f"),
        f"| network pictures per second | {m('studio', 'nets'):.1f} | – | – |",
        row("blank frames in the window", "blank", ".0f", ratio=False),
        row("navigation → usable (s)", "usable", ".2f"),
        f"| navigation → usable, a bare Streamlit page with one button (s) | {med(floor):.2f} "
        f"({', '.join(f'{x:.2f}' for x in floor)}) | – | – |",
        row("Start → first new picture (ms)", "first_ms", ".0f"),
        f"| Pause → sidebar says paused (ms) | {m('studio', 'pause_ms'):.0f} | – | – |",
        f"| Pause → server confirms, view at the trainer's step (ms) | {m('studio', 'paused_ms'):.0f} | – | – |",
        f"| websocket KB per second | {m('studio', 'bytes') / 1000:.1f} ({kb}) | 0 | – |",
        f"| server CPU per training session (% of one core) | {100 * m('studio', 'cpu'):.1f} ({cpus}) | – | – |",
        f"| {args.sessions} sessions at once: pictures per second per session (each round's median session) | "
        f"{pa:.1f} ({', '.join(f'{x:.1f}' for x in pas)}) | {pb:.1f} ({', '.join(f'{x:.1f}' for x in pbs)}) | "
        f"{pa / pb if pb else float('nan'):.2f} |",
        f"| {args.sessions} sessions at once: server CPU per session (% of one core) | "
        f"{med(many_cpu):.1f} ({', '.join(f'{x:.1f}' for x in many_cpu)}) | – | – |",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
