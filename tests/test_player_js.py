"""ui/components/player.js's Player on its own, in Chromium: its limits are counted in live ticks, whose length the
sidebar's status line sends (ui.options.TICK_SECONDS; the dashboard-level tests are in tests/test_browser_live.py)."""

import pytest

from tests.conftest import ROOT

pytestmark = pytest.mark.browser

ORIGIN = "http://studio.test"

# 50 steps pushed at 10 steps a second behind the one on screen: 5 s of steps. The player keeps at most
# maxLag (3.5) ticks of them buffered, so with 1 s ticks it drops the oldest, with 2 s ticks it keeps them all.
BEHIND = """(tick) => new Promise((done) => {
  if (tick) mgLive.tick = tick;
  const shown = [];
  const p = new mgLive.Player((f) => shown.push(f.step));
  p.speed = 10;
  p.push([{step: 0}]);
  const wait = () => (shown.length ? behind() : requestAnimationFrame(wait));
  const behind = () => {
    p.push(Array.from({length: 50}, (_, i) => ({step: i + 1})));
    setTimeout(() => { cancelAnimationFrame(p.raf); done({skipped: p.skipped, first: shown[1], seconds: mgLive.tickSeconds()}); }, 400);
  };
  requestAnimationFrame(wait);
})"""


@pytest.fixture
def page(browser):
    context = browser.new_context()
    pg = context.new_page()
    pg.route(f"{ORIGIN}/**", lambda route: route.fulfill(body="<!doctype html><p>player</p>", content_type="text/html"))
    pg.goto(f"{ORIGIN}/")
    pg.add_script_tag(path=str(ROOT / "ui" / "components" / "player.js"))
    yield pg
    context.close()


def test_without_a_tick_length_the_player_counts_one_second_ticks_and_drops_steps_beyond_its_buffer(page):
    got = page.evaluate(BEHIND, None)
    assert got["seconds"] == 1 and got["skipped"] > 0 and got["first"] > 1, got  # jumped past the oldest steps


def test_with_two_second_ticks_the_same_lag_is_within_its_buffer_and_every_step_is_shown(page):
    got = page.evaluate(BEHIND, 2)
    assert got["seconds"] == 2 and got["skipped"] == 0 and got["first"] == 1, got  # played on from the next step
