"""A run without a budget holds a bounded number of step records in memory (QA measured ~2 KB a step without end:
36 MB over 3 minutes at 100 steps a second); older ones are thinned, the run store keeps every step."""

import pytest

from micrograd.studio import diagnostics
from micrograd.studio import trainer as training
from micrograd.studio.config import RunConfig
from micrograd.studio.trainer import Trainer
from micrograd.views import health, live

LIMIT = 40


@pytest.fixture
def small_limits(monkeypatch):
    monkeypatch.setattr(training, "HISTORY_LIMIT", LIMIT)
    monkeypatch.setattr(diagnostics, "SERIES_LIMIT", LIMIT)


def test_thin_halves_the_older_part_and_keeps_the_first_and_the_newest():
    xs = list(range(1, 11))
    diagnostics.thin(xs, 4)
    assert xs == [1, 3, 5, 7, 8, 9, 10]
    short = [1, 2]
    diagnostics.thin(short, 4)
    assert short == [1, 2]


def test_a_long_run_keeps_a_bounded_history_first_step_and_newest_steps(small_limits):
    seen = []
    tr = Trainer(RunConfig(dataset="moons", samples=40, layers=[4], steps=0), on_step=seen.append)
    tr.run(500)
    steps = [r["step"] for r in tr.history]
    assert len(steps) <= LIMIT and steps[0] == 1 and steps == sorted(set(steps))
    assert steps[-LIMIT // 2 :] == list(range(481, 501))  # the newest half is every step
    assert [r["step"] for r in seen] == list(range(1, 501))  # on_step (the run store's feed) sees every step
    series = tr.monitor.series
    assert len({len(v) for v in series.values()}) == 1 and len(series["step"]) <= LIMIT
    assert series["step"][0] == 1 and series["step"][-1] == 500
    assert health.health_figure(series, tr.model.sizes[1:]).data  # the health view still draws


def test_the_live_curves_go_on_across_thinning(small_limits):
    """The feed remembers the last step it sent, not an index: thinning does not resend or stop the curves."""
    tr = Trainer(RunConfig(dataset="moons", samples=40, layers=[4], steps=0))
    feed = live.LiveFeed()
    feed.set_speed(20, tr.model.sizes)
    sent: list[int] = []
    for _ in range(30):  # 30 ticks of 13 steps: the history is thinned many times meanwhile
        u = feed.update(tr, state="running")
        sent += [int(s) for s in u.get("metrics", {}).get("step", [])]
        for _ in range(13):
            tr.step()
            feed.record(tr)
    assert sent == sorted(set(sent)) and sent[-1] == tr.step_count - 13  # none twice, up to the newest record
    assert sent[-13:] == list(range(tr.step_count - 25, tr.step_count - 12))
