"""A run left behind by a reload or a server restart ends at once and the page says what is kept (QA: it stayed
"running" in Experiments for two minutes and the reloaded page said nothing; after a restart the page said nothing)."""

from micrograd.studio import recording, reloads
from micrograd.studio.config import RunConfig
from micrograd.studio.runs import RunStore
from micrograd.studio.status import Status
from micrograd.studio.store_base import PROCESS_GONE
from micrograd.studio.trainer import Trainer
from tests.conftest import free_port, serve_dashboard
from tests.test_browser import sidebar_button, wait_for_app
from tests.test_recording import Clock

CONFIG = dict(dataset="moons", samples=40, layers=[4], steps=100, engine="scalar")


def recorded(store: RunStore, clock: Clock, steps: int, running: bool = True) -> int:
    """A run trained `steps` steps of 1.5 s by a session that then went away."""
    rec = recording.Recorder(opener=lambda: (store, ""), heartbeat=True, clock=clock)
    tr = Trainer(RunConfig(**CONFIG))
    rec.sync(tr, True)
    for _ in range(steps):
        tr.step()
        clock.t += 1.5
    rec.sync(tr, running)
    return rec.run_id


def test_a_run_left_behind_ends_and_the_notice_says_its_steps_and_saved_weights(tmp_path):
    clock = Clock()
    store = RunStore(tmp_path / "runs.db", clock=clock)
    run_id = recorded(store, clock, 6)
    clock.t += 5  # the reloaded page's first update
    said = reloads.left_behind(store, run_id, current=None)
    run = store.get_run(run_id)
    assert run["status"] == "interrupted" and run["message"] == reloads.CAUSES["reload"][0]
    saved = reloads.saved_step(run["weights"])
    assert saved is not None and 1 <= saved <= 6
    assert said == (
        f"Run #{run_id} ({run['name']}) ended when this page was reloaded: a run lives in its page. The run store "
        f"has its first 6 steps and its weights at step {saved}: open it on the Experiments page to go on from there."
    )
    assert reloads.left_behind(store, run_id, current=None) is None  # said once: it has ended


def test_nothing_is_said_of_a_run_that_is_ours_unknown_or_not_a_number(tmp_path):
    clock = Clock()
    store = RunStore(tmp_path / "runs.db", clock=clock)
    run_id = recorded(store, clock, 3)
    assert reloads.left_behind(store, run_id, current=run_id) is None  # this session's own run
    for bad in (999, "1", None, True, 1.5):
        assert reloads.left_behind(store, bad, current=None) is None
    assert store.get_run(run_id)["status"] == "running"


def test_a_paused_run_left_behind_ends_too(tmp_path):
    clock = Clock()
    store = RunStore(tmp_path / "runs.db", clock=clock)
    run_id = recorded(store, clock, 4, running=False)
    said = reloads.left_behind(store, run_id, current=None)
    assert said and "has its first 4 steps" in said and store.get_run(run_id)["status"] == "interrupted"


def test_in_the_browser_a_reload_during_training_ends_the_run_and_says_so(app_url, app_db, page):
    page.goto(f"{app_url}/?steps=3000&speed=20")
    wait_for_app(page)
    sidebar_button(page, "Start").click()
    page.wait_for_function("() => +document.querySelector('canvas.mgl-boundary').dataset.step >= 30", timeout=60_000)
    run_id = int(page.evaluate("() => sessionStorage.getItem('mg_recorded_run')"))
    page.reload()
    notice = page.get_by_text(f"Run #{run_id} (", exact=False).filter(has_text="ended when this page was reloaded")
    notice.wait_for(timeout=60_000)
    with RunStore(app_db) as store:
        run = store.get_run(run_id)
    assert run["status"] == "interrupted" and run["steps"] >= 10  # steps reach the store within a second
    said = notice.inner_text()
    assert f"has its first {run['steps']:,} steps and its weights at step {reloads.saved_step(run['weights'])}:" in said
    page.reload()  # nothing left behind now: no second notice
    wait_for_app(page)
    page.wait_for_timeout(1500)
    assert page.get_by_text("ended when this page was reloaded").count() == 0


def test_after_a_restart_a_run_the_new_store_ended_is_said_once_with_its_cause(tmp_path):
    clock = Clock()
    store = RunStore(tmp_path / "runs.db", clock=clock)
    run_id = recorded(store, clock, 6)
    # a new server's store marks the runs of the gone process at open, before the page names its run
    store.update_run(run_id, status=Status.INTERRUPTED, message=PROCESS_GONE)
    said = reloads.left_behind(store, run_id, current=None, why="restart")
    run = store.get_run(run_id)
    assert said is not None and said.startswith(f"Run #{run_id} ({run['name']}) ended when the server restarted: ")
    assert "has its first 6 steps and its weights at step" in said
    assert run["status"] == "interrupted" and run["message"] == reloads.CAUSES["restart"][0]
    assert reloads.left_behind(store, run_id, current=None) is None  # a reload never names an ended run again


def test_a_run_that_ended_for_its_own_reason_is_never_said_to_have_ended_with_the_session(tmp_path):
    """Review: a run replaced by a new one (new settings, Reset) was re-labelled "the server restarted"."""
    clock = Clock()
    store = RunStore(tmp_path / "runs.db", clock=clock)
    run_id = recorded(store, clock, 4)
    store.update_run(run_id, status=Status.INTERRUPTED, message="replaced by a new run")
    for why in ("restart", "session", "reload"):
        assert reloads.left_behind(store, run_id, current=None, why=why) is None
    assert store.get_run(run_id)["message"] == "replaced by a new run"


def test_a_run_the_two_minute_sweep_ended_is_said_to_have_ended_with_its_session(tmp_path):
    """The stale sweep ended it (no contact), then the server restarted: the cause is the session, not the restart."""
    clock = Clock()
    store = RunStore(tmp_path / "runs.db", clock=clock)
    run_id = recorded(store, clock, 3)
    clock.t += 1000
    assert store.close_stale(force=True) == [run_id]
    said = reloads.left_behind(store, run_id, current=None, why="restart")
    assert said is not None and "ended when this page's session ended" in said
    assert store.get_run(run_id)["message"] == reloads.CAUSES["session"][0]


def test_a_session_the_server_dropped_ends_its_run_and_says_why(tmp_path):
    clock = Clock()
    store = RunStore(tmp_path / "runs.db", clock=clock)
    run_id = recorded(store, clock, 3)
    said = reloads.left_behind(store, run_id, current=None, why="session")
    assert said is not None and "ended when this page's session ended (it was away from the server too long)" in said
    assert store.get_run(run_id)["message"] == reloads.CAUSES["session"][0]


def test_the_cause_is_a_restart_exactly_when_the_old_session_named_another_server():
    one, two = reloads.session_token("a1"), reloads.session_token("b2")
    assert one != two and one.split(":")[0] == two.split(":")[0] == reloads.SERVER
    assert reloads.cause(one) == "session"  # this server, another session
    other = ("0" if reloads.SERVER[0] != "0" else "1") + reloads.SERVER[1:]
    assert reloads.cause(f"{other}:a1") == "restart"
    for bad in (None, 5, "", {"from": one}):
        assert reloads.cause(bad) == "restart"


def test_in_the_browser_a_server_restart_during_training_ends_the_run_and_says_so(page, tmp_path):
    db, port = tmp_path / "runs.db", free_port()
    with serve_dashboard(db, tmp_path / "first.log", port) as url:
        page.goto(f"{url}/?steps=3000&speed=20")
        wait_for_app(page)
        sidebar_button(page, "Start").click()
        page.wait_for_function("() => sessionStorage.getItem('mg_recorded_run') !== null", timeout=60_000)
        run_id = int(page.evaluate("() => sessionStorage.getItem('mg_recorded_run')"))
    with serve_dashboard(db, tmp_path / "second.log", port):  # the same address: the page reconnects by itself
        notice = page.get_by_text(f"Run #{run_id} (", exact=False).filter(has_text="ended when the server restarted")
        notice.wait_for(timeout=60_000)
        with RunStore(db) as store:
            run = store.get_run(run_id)
        assert run["status"] == "interrupted" and run["message"] == reloads.CAUSES["restart"][0]
        assert f"has its first {run['steps']:,} steps" in notice.inner_text()
        assert page.evaluate("() => sessionStorage.getItem('mg_recorded_run')") is None  # named once
        page.reload()
        wait_for_app(page)
        page.wait_for_timeout(1500)
        assert page.get_by_text("ended when", exact=False).count() == 0


def test_a_tab_opened_from_a_training_tab_forgets_the_run_it_inherited(app_url, page):
    """A new tab opened from this one gets a copy of its sessionStorage, run id included; that run lives on in the
    first tab, so the new one must never name it (e.g. as "lost" when its own session changes)."""
    page.goto(f"{app_url}/?steps=3000&speed=20")
    wait_for_app(page)
    sidebar_button(page, "Start").click()
    page.wait_for_function("() => sessionStorage.getItem('mg_recorded_run') !== null", timeout=60_000)
    run_id = page.evaluate("() => sessionStorage.getItem('mg_recorded_run')")
    with page.context.expect_page() as opened:
        page.evaluate("() => window.open(location.href)")
    other = opened.value
    assert other.evaluate("() => sessionStorage.getItem('mg_recorded_run')") == run_id  # the copy, before its view
    wait_for_app(other)
    other.wait_for_function("() => sessionStorage.getItem('mg_recorded_run') === null", timeout=30_000)
    assert page.evaluate("() => sessionStorage.getItem('mg_recorded_run')") == run_id  # the first tab keeps its own
    assert other.get_by_text("ended when", exact=False).count() == 0


def test_a_tab_forgets_a_run_its_session_stopped_recording(app_url, page):
    """Review: after Reset (or new settings) the tab kept the ended run's id, and a later restart named it."""
    page.goto(f"{app_url}/?steps=3000&speed=20")
    wait_for_app(page)
    sidebar_button(page, "Start").click()
    page.wait_for_function("() => sessionStorage.getItem('mg_recorded_run') !== null", timeout=60_000)
    sidebar_button(page, "Reset").click()
    page.wait_for_function("() => sessionStorage.getItem('mg_recorded_run') === null", timeout=30_000)
