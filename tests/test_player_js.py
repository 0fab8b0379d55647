"""ui/components/player.js's Player on its own, in Chromium: its limits are counted in live ticks, whose length the
sidebar's status line sends (ui.options.TICK_SECONDS; the dashboard-level tests are in tests/test_browser_live.py)."""

import base64

import numpy as np
import pytest

from micrograd.views import wire
from tests.conftest import ROOT
from tests.test_wire import frames_of_every_kind

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


# the payload's arrays as the browser reads them: each value (NaN, infinities and -0 as words), in document order
DECODE = """(b64) => mgLive.decode(Uint8Array.from(atob(b64), (c) => c.charCodeAt(0))).then((u) => {
  const word = (x) => (Object.is(x, -0) ? "-0" : Number.isFinite(x) ? x : String(x));
  const out = [];
  const walk = (v) => {
    if (ArrayBuffer.isView(v)) out.push(Array.from(v, word));
    else if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === "object") Object.values(v).forEach(walk);
  };
  walk(u);
  return out;
})"""


def words(a: np.ndarray) -> list:
    """A numpy array's values as DECODE gives them (float16 widened to float32, as the browser does)."""
    out = []
    for x in np.asarray(a, dtype=np.float64 if a.dtype.kind == "f" else np.int64).tolist():
        if isinstance(x, float) and (x != x or x in (np.inf, -np.inf) or (x == 0 and np.signbit(x))):
            x = "NaN" if x != x else "-0" if x == 0 else ("Infinity" if x > 0 else "-Infinity")
        out.append(x)
    return out


def test_the_browser_reads_every_array_of_a_payload_sent_as_changes_bit_for_bit(page):
    """micrograd.views.wire sends a frame's pictures as the XOR of the previous frame's, floats in byte planes: the
    browser's reader (mg.decode) gives back every value, NaN, infinities and -0 included."""
    update = frames_of_every_kind()
    got = page.evaluate(DECODE, base64.b64encode(wire.encode(update)).decode())
    want: list = []

    def walk(v):
        if isinstance(v, np.ndarray):
            want.append(words(v))
        elif isinstance(v, list):
            for x in v:
                walk(x)
        elif isinstance(v, dict):
            for x in v.values():
                walk(x)

    walk(update)
    assert len(got) == len(want) == 46  # 7 frames of 4 arrays, 6 network pictures of 3 (the 2nd frame has none)
    for i, (g, w) in enumerate(zip(got, want)):
        assert g == w, i
