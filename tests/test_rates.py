"""The network picture's rate (micrograd.views.rates): it gets the bytes the boundary frames leave, as measured."""

import pytest

from micrograd.studio.config import RunConfig
from micrograd.studio.trainer import Trainer
from micrograd.views import live, rates
from micrograd.views.rates import RUNGS, NetRate
from tests.test_live import bytes_per_second

SIZES = [2, 16, 16, 1]


def measured(frame: float, net: float) -> NetRate:
    r = NetRate()
    r.frame, r.net = frame, net
    return r


def payload(fps: float, frame: float, net: float, stride: int) -> float:
    """Encoded bytes per second of boundary frames at fps, a network picture on every stride-th."""
    return fps * frame + fps / stride * net


@pytest.mark.parametrize(("fps", "frame", "net"), [(50, 400, 2000), (20, 500, 2500), (60, 300, 1800), (10, 900, 9000)])
def test_the_stride_is_the_fastest_rung_that_fits_the_budget(fps, frame, net):
    stride = measured(frame, net).stride(fps, SIZES, 12)
    assert payload(fps, frame, net, stride) <= rates.PAYLOAD_BYTES_PER_SECOND
    faster = [r for r in RUNGS if r < stride]
    assert not faster or payload(fps, frame, net, faster[-1]) > rates.PAYLOAD_BYTES_PER_SECOND


def test_frames_that_take_the_whole_budget_leave_the_network_its_minimum():
    stride = measured(2000, 3000).stride(60, SIZES, 12)  # 120 KB/s of frames alone
    nets_per_second = 60 / stride
    assert nets_per_second * 3000 <= rates.NET_MIN_BYTES_PER_SECOND < 60 / RUNGS[RUNGS.index(stride) - 1] * 3000


def test_before_anything_is_measured_the_raw_budget_applies():
    stride = NetRate().stride(50, SIZES, 12)
    raw = rates.net_bytes(SIZES, 12)
    assert 50 / stride * raw <= rates.RAW_NET_BYTES_PER_SECOND < 50 / RUNGS[RUNGS.index(stride) - 1] * raw


def test_a_faster_rung_needs_room_to_spare_so_the_stride_does_not_flap():
    fits = (rates.PAYLOAD_BYTES_PER_SECOND - 50 * 400) / 25  # a network picture this size on every 2nd frame: just fits
    r = measured(400, fits)
    assert r.stride(50, SIZES, 12) == 2
    r.net = 1.05 * fits  # a little more: 2 no longer fits, 3 does
    assert r.stride(50, SIZES, 12) == 3
    r.net = 0.995 * fits  # 2 fits again, but only just: it stays at 3
    assert r.stride(50, SIZES, 12) == 3
    r.net = 0.8 * fits  # 2 fits with room to spare
    assert r.stride(50, SIZES, 12) == 2


def test_an_update_splits_its_bytes_between_frames_and_network_pictures():
    r = NetRate()
    r.see_update(nbytes=30_000, without=10_400, frames=25, nets=5)
    assert r.net == (30_000 - 10_400) / 5 and r.frame == (10_400 - rates.OVERHEAD) / 25
    r.see_update(nbytes=2_000, without=1_000, frames=2, nets=1)  # too few frames to say what one costs
    assert r.frame == (10_400 - rates.OVERHEAD) / 25 and r.net == pytest.approx(0.5 * 3920 + 0.5 * 1000)


def test_the_feed_measures_running_updates_only():
    tr = Trainer(RunConfig(steps=0))
    feed = live.LiveFeed()
    feed.set_speed(60, tr.model.sizes)
    for state in ("paused", "running"):  # the first running update carries the static part: not a measure
        u = feed.update(tr, state=state)
        feed.sent(u, len(live.encode(u)))
    assert feed._rate.frame is None and feed._rate.net is None
    bytes_per_second(feed, tr, 60, seconds=2)
    assert feed._rate.frame and feed._rate.net and feed._rate.net > feed._rate.frame


@pytest.mark.parametrize(("speed", "most"), [(20, 2), (100, 8)])
def test_the_default_net_shows_its_network_often(speed, most):
    """The default net's network picture travels at least every `most`-th step once measured (a fixed budget of
    raw bytes gave every 4th at 20 steps/s and every 16th at 100), and the updates stay within the budget."""
    tr = Trainer(RunConfig(steps=0))
    feed = live.LiveFeed()
    feed.set_speed(speed, tr.model.sizes)
    per_second = bytes_per_second(feed, tr, speed, seconds=8)
    assert feed.net_every <= most and feed.net_every % feed.every == 0
    assert per_second <= 1.1 * rates.PAYLOAD_BYTES_PER_SECOND, per_second


@pytest.mark.parametrize(
    ("speed", "reached", "planned"),
    [
        (100, None, 100),  # not measured yet (before two ticks, or paused)
        (100, 97.0, 100),  # close enough: the speed set
        (100, 85.0, 100),
        (100, 40.0, 40.0),  # a big network's rate: every step shown, paced as it comes (was every 2nd, in bursts)
        (100, 10.0, 10.0),  # the scalar engine's
        (20, 12.0, 12.0),
        (20, 18.0, 20),
        (100, 0.0, 100),  # nothing taken in the window: not a speed to plan for
    ],
)
def test_a_view_plans_for_the_rate_training_reaches_when_clearly_below_the_speed_set(speed, reached, planned):
    from ui.controls import plan_speed

    assert plan_speed(speed, reached) == planned
    feed = live.LiveFeed()
    feed.set_speed(plan_speed(speed, reached), SIZES)
    assert feed.every == (2 if planned > live.MAX_FRAMES_PER_SECOND else 1)
