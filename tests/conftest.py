"""Shared fixtures. A test that needs a system tool skips on a developer machine without it, but fails in CI.

Browser fixtures: the dashboard served on a free loopback port, driven by Debian's Chromium through Playwright.
"""

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def _private_run_store(tmp_path, monkeypatch):
    """Every test records runs into its own database, never the user's ~/.micrograd/runs.db."""
    monkeypatch.setenv("MICROGRAD_DB", str(tmp_path / "runs.db"))


def require_tool(name: str) -> str:
    """The tool's path; skip when it is missing, except in CI (CI=true), where that is a failure."""
    path = shutil.which(name)
    if path is None:
        if os.environ.get("CI"):
            pytest.fail(f"{name} is not installed; .ci/run installs it (make system)")
        pytest.skip(f"{name} is not installed (make system installs it)")
    return path


ROOT = Path(__file__).resolve().parent.parent
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def serve_dashboard(db: Path, log: Path, port: int | None = None) -> Iterator[str]:
    """Run `streamlit run dashboard.py` on a loopback port (a free one by default) with its own run database;
    yield its URL."""
    port = free_port() if port is None else port
    env = {**os.environ, "MICROGRAD_DB": str(db), "PYTHONPATH": str(ROOT)}
    cmd = [sys.executable, "-m", "streamlit", "run", "dashboard.py", "--server.headless", "true"]
    cmd += ["--server.address", "127.0.0.1", "--server.port", str(port), "--browser.gatherUsageStats", "false"]
    cmd += ["--server.fileWatcherType", "none"]
    with open(log, "w") as out:
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=1) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the dashboard did not start; its log:\n{log.read_text()}")
            time.sleep(0.2)
        yield url
    finally:
        stop(proc)


def stop(proc: subprocess.Popen, timeout: float = 10) -> None:
    """Terminate a server process, killing it if it does not exit within timeout seconds."""
    proc.terminate()
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()


def alive_pids(pids: list[int]) -> list[int]:
    """Those of pids whose processes still run (zombies count as gone)."""
    import psutil

    out = []
    for pid in pids:
        try:
            if psutil.Process(pid).status() != psutil.STATUS_ZOMBIE:
                out.append(pid)
        except psutil.NoSuchProcess:
            pass
    return out


def launch_chromium(playwright, exe: str = "/usr/bin/chromium"):
    """Debian's Chromium through Playwright (Playwright cannot download its own browsers here)."""
    return playwright.chromium.launch(executable_path=exe, args=CHROMIUM_ARGS)


@pytest.fixture(scope="module")
def app_db(tmp_path_factory) -> Path:
    """The run database of the module's dashboard server."""
    return tmp_path_factory.mktemp("app") / "runs.db"


@pytest.fixture(scope="module")
def app_url(app_db) -> Iterator[str]:
    """The dashboard, served for one test module."""
    with serve_dashboard(app_db, app_db.with_name("streamlit.log")) as url:
        yield url


@pytest.fixture(scope="module")
def browser():
    """Debian's Chromium through Playwright (Playwright cannot download its own browsers here)."""
    exe = require_tool("chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = launch_chromium(p, exe)
        yield b
        b.close()


@pytest.fixture
def page(browser, tmp_path):
    """A fresh browser context (its own session) with downloads allowed."""
    context = browser.new_context(viewport={"width": 1500, "height": 1000}, accept_downloads=True)
    pg = context.new_page()
    pg.set_default_timeout(30_000)
    yield pg
    context.close()
