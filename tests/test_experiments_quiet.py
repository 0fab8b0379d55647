"""A live run whose tab went quiet: run lists say how long its session has not been heard from (runs.quiet_for)."""

import re
import time

from micrograd.studio import recording
from micrograd.studio.config import RunConfig
from micrograd.studio.runs import QUIET_SECONDS, STALE_SECONDS, RunStore, quiet_for, status_text
from micrograd.studio.trainer import Trainer
from micrograd.views import compare
from tests.test_pages_experiments import CONFIG, db, page  # noqa: F401  # db: the fixture
from ui.options import KEEPALIVE_SECONDS, TICK_SECONDS

NOW = 1_800_000_000.0


def test_quiet_only_after_the_beats_its_status_allows():
    assert quiet_for({"status": "running", "heartbeat": NOW - 10}, NOW) is None  # two beats late at most
    assert quiet_for({"status": "running", "heartbeat": NOW - 40}, NOW) == 40
    assert quiet_for({"status": "paused", "heartbeat": NOW - 65}, NOW) is None  # a paused tab beats every 30-60 s
    assert quiet_for({"status": "paused", "heartbeat": NOW - 80}, NOW) == 80
    assert quiet_for({"status": "finished", "heartbeat": NOW - 500}, NOW) is None  # ended: nobody beats any more
    assert quiet_for({"status": "running", "heartbeat": None}, NOW) is None  # the CLI's runs have no heartbeat


def test_the_limits_follow_the_sessions_beats_and_come_before_the_stale_sweep():
    running, paused = QUIET_SECONDS["running"], QUIET_SECONDS["paused"]
    # running: a beat on a tick at most every HEARTBEAT_SECONDS, so beats come at most TICK + HEARTBEAT apart
    assert 2 * (TICK_SECONDS + recording.HEARTBEAT_SECONDS) < running < STALE_SECONDS
    # paused: the keep-alive's timer, slowed to once a minute in a tab hidden for minutes, plus the beat's throttle
    assert max(KEEPALIVE_SECONDS, 60.0) + recording.HEARTBEAT_SECONDS < paused < STALE_SECONDS


def test_status_text_and_the_runs_table_say_it():
    quiet = {"id": 1, "status": "running", "heartbeat": NOW - 42.4, "created_at": NOW - 100, "tags": []}
    heard = {"id": 2, "status": "running", "heartbeat": NOW - 3, "created_at": NOW - 100, "tags": []}
    gone = {"id": 3, "status": "paused", "heartbeat": NOW - 300, "created_at": NOW - 400, "tags": []}
    odd = {"id": 4, "status": None, "heartbeat": None, "created_at": NOW - 400, "tags": []}
    assert status_text(quiet, NOW) == "running · not heard from for 42 s"
    assert status_text(heard, NOW) == "running"
    assert status_text(gone, NOW) == "paused · not heard from for 5 min: its session is gone"  # no page closed it
    assert status_text(odd, NOW) == ""
    df = compare.runs_frame([quiet, heard, gone], now=NOW)
    assert df["status"].tolist() == [
        "running · not heard from for 42 s",
        "running",
        "paused · not heard from for 5 min: its session is gone",
    ]


def quiet_seconds(text: str) -> int:
    """The seconds in '… not heard from for 31 s' (AssertionError if the words are not there)."""
    m = re.search(r"running · not heard from for (\d+) s", text)
    assert m, text
    return int(m.group(1))


def test_the_experiments_page_shows_a_quiet_running_run(db):  # noqa: F811  # db: the fixture
    tr = Trainer(RunConfig(**{**CONFIG, "steps": 0}))
    rec = recording.Recorder(db, heartbeat=True)
    rec.sync(tr, True)
    tr.run(3)
    rec.sync(tr, True)  # still running: its tab's last word
    run_id = rec.run_id
    assert run_id is not None
    with RunStore(db, clock=lambda: time.time() - 30) as store:  # that word came 30 s ago
        store.heartbeat(run_id)
    at = page()
    status = dict(zip(at.dataframe[0].value["id"], at.dataframe[0].value["status"]))[run_id]
    assert 30 <= quiet_seconds(status) < 120, status  # 30 s and the page's own seconds
    captions = " ".join(c.value for c in at.caption)
    assert "Status **running · not heard from for" in captions and 30 <= quiet_seconds(captions) < 120
    rec.close()


def test_the_cli_lists_and_shows_a_quiet_running_run(tmp_path, capsys):
    from micrograd.cli.main import main

    path = tmp_path / "runs.db"
    with RunStore(path, clock=lambda: time.time() - 50) as store:  # its session last heard 50 s ago
        run_id = store.create_run({"dataset": "moons"}, {"n_train": 1})
        store.heartbeat(run_id, "running")
    assert main(["runs", "list", "--db", str(path)]) == 0
    assert 50 <= quiet_seconds(capsys.readouterr().out) < 120  # 50 s and the test's own
    assert main(["runs", "show", str(run_id), "--db", str(path)]) == 0
    out = capsys.readouterr().out
    assert "status: running · not heard from for" in out and 50 <= quiet_seconds(out) < 120
