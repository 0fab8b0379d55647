"""The Sweeps page in a real browser: define a 2×2 sweep, watch it finish, see the heat map, open the best trial.

The dashboard server starts its own local Dask cluster on demand; when the server stops, the cluster goes too.
"""

import re
import time

import psutil
import pytest

from micrograd.studio.runs import RunStore
from tests.conftest import alive_pids, serve_dashboard

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def _server_tree(url: str) -> list[int]:
    """The dashboard server's process and its descendants (the Dask scheduler and workers among them)."""
    port = url.rsplit(":", 1)[1]
    for p in psutil.process_iter(["cmdline"]):
        cmd = p.info["cmdline"] or []
        if "streamlit" in " ".join(cmd) and port in cmd:
            return [p.pid] + [c.pid for c in p.children(recursive=True)]
    raise AssertionError("the dashboard server process was not found")


def test_define_a_2x2_sweep_watch_it_finish_see_the_heat_map_and_open_the_best_trial(browser, tmp_path):
    db = tmp_path / "runs.db"
    with serve_dashboard(db, tmp_path / "streamlit.log") as url:
        context = browser.new_context(viewport={"width": 1500, "height": 1400})
        page = context.new_page()
        page.set_default_timeout(180_000)  # a loaded machine: the first render can take a minute
        page.goto(f"{url}/?steps=60")
        page.get_by_test_id("stSidebar").get_by_role("button", name="Start", exact=True).wait_for()
        page.get_by_test_id("stSidebarNav").get_by_text("Sweeps").click()
        page.get_by_text("Cluster: local Dask cluster").wait_for()

        lr = page.get_by_label("lr values")
        lr.fill("0.03,1")
        lr.press("Enter")
        page.get_by_text("2 lr × 2 activation = 4 configurations × 1 seed = 4 trials").wait_for()
        page.get_by_role("button", name="Start sweep").click()

        # .first: while a fragment rerun replaces the progress element, the old and the new copy can both be on the page
        page.get_by_text(re.compile(r"4 of 4 trials done — sweep finished")).first.wait_for(timeout=300_000)
        picker = page.get_by_test_id("stSelectbox").filter(has_text="Sweep")
        shown = "el => el.querySelector('input')?.value || el.querySelector('[value]')?.innerText || ''"
        # the full run that follows the sweep's end relabels the picker (it kept "— queued", the status it was picked
        # with); waited for, not slept on: under load that run took over 1.5 s
        deadline = time.monotonic() + 60
        while not picker.evaluate(shown).endswith("— finished") and time.monotonic() < deadline:
            page.wait_for_timeout(250)
        assert picker.evaluate(shown).endswith("— finished"), picker.evaluate(shown)
        heat = page.get_by_test_id("stPlotlyChart").filter(has_text="mean ± spread")
        heat.wait_for(timeout=180_000)
        assert heat.locator("g.hm, .heatmaplayer, text").count() > 0  # plotly drew the heat map

        with RunStore(db) as store:
            (sweep,) = store.list_sweeps()
            runs = store.list_runs(sweep_id=sweep["id"])
        assert sweep["status"] == "finished" and sweep["trials"] == {"finished": 4}
        best = min(runs, key=lambda r: (-r["test_accuracy"], r["train_loss"], r["id"]))
        page.get_by_role("button", name="Open in Train page").click()
        page.get_by_text(re.compile(rf"Opened run #{best['id']} ")).wait_for(timeout=180_000)
        assert "/train" in page.url or page.get_by_test_id("stSidebar").get_by_role("button", name="Start").count()
        tree = _server_tree(url)
        assert len(tree) >= 5  # server, scheduler, worker command, two workers
        context.close()
    deadline = time.monotonic() + 30
    while alive_pids(tree) and time.monotonic() < deadline:
        time.sleep(0.5)
    assert alive_pids(tree) == [], "the server left its Dask cluster running"
