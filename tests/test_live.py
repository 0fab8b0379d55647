"""The live view's data (micrograd.views.live): shapes, the steps in a tick, nothing re-sent that did not change."""

import json

import numpy as np
import pytest

from micrograd.fast import numeric
from micrograd.studio.config import RunConfig
from micrograd.studio.trainer import Trainer
from micrograd.views import curves, live


@pytest.fixture
def trainer() -> Trainer:
    return Trainer(RunConfig(steps=400, layers=[4, 3]))


def tick(feed: live.LiveFeed, tr: Trainer, steps: int, state: str = "running") -> dict:
    for _ in range(steps):
        tr.step()
        feed.record(tr)
    return live.decode(live.encode(feed.update(tr, state=state)))


def test_first_update_has_the_static_part_and_the_current_picture(trainer):
    feed = live.LiveFeed()
    u = live.decode(live.encode(feed.update(trainer, state="paused")))
    s = u["static"]
    assert u["reset"] is True and s["sizes"] == [2, 4, 3, 1] and s["neurons"][-1] == ["out.1"]
    assert len(s["points"]["x"]) == len(trainer.dataset.y_train) + len(trainer.dataset.y_test) == 100
    assert s["points"]["n_train"] == 80 and set(s["points"]["label"]) == {-1, 1}
    (f,) = u["frames"]
    assert f["step"] == 0 and f["grid"].shape == (live.GRID_N**2,) and f["grid"].dtype == np.int8
    assert f["scores"].shape == (100,) and f["net"]["thumbs"].shape == ((4 + 3 + 1) * live.THUMB_N**2,)
    assert f["net"]["weights"].shape == ((2 + 1) * 4 + (4 + 1) * 3 + (3 + 1) * 1,)
    assert u["status"]["state"] == "paused" and u["status"]["step"] == 0 and "metrics" not in u


def test_a_tick_carries_each_step_taken_once_and_nothing_static(trainer):
    feed = live.LiveFeed()
    feed.set_speed(20, trainer.model.sizes)
    feed.update(trainer, state="running")
    u = tick(feed, trainer, 7)
    assert "static" not in u and "reset" not in u
    assert [f["step"] for f in u["frames"]] == [1, 2, 3, 4, 5, 6, 7]
    assert u["metrics"]["step"] == [1, 2, 3, 4, 5, 6, 7]
    u2 = tick(feed, trainer, 3)
    assert [f["step"] for f in u2["frames"]] == [8, 9, 10] and u2["metrics"]["step"] == [8, 9, 10]
    assert u2["seq"] == u["seq"] + 1
    idle = live.decode(live.encode(feed.update(trainer, state="running")))
    assert "frames" not in idle and "metrics" not in idle and "static" not in idle


def test_the_picture_is_numpys_score_at_that_step(trainer):
    feed = live.LiveFeed()
    feed.update(trainer, state="running")
    u = tick(feed, trainer, 2)
    layers = numeric.layers_of(trainer.model)  # the weights after step 2
    s = feed._static(trainer)
    xs = np.linspace(*s["x_range"], live.GRID_N)
    ys = np.linspace(*s["y_range"], live.GRID_N)
    gx, gy = np.meshgrid(xs, ys)
    z = numeric.scores(layers, np.column_stack([gx.ravel(), gy.ravel()]))
    grid = u["frames"][-1]["grid"]
    assert np.array_equal(np.sign(grid), np.sign(z).astype(np.int8))  # the sign is exact, cell by cell
    assert np.abs(grid / 127 - np.tanh(z)).max() <= 1 / 127 + 1e-9  # rounding, or a tiny score kept as ±1


def test_pause_sends_the_network_of_the_last_step(trainer):
    feed = live.LiveFeed()
    feed.set_speed(100, trainer.model.sizes)
    feed.update(trainer, state="running")
    u = tick(feed, trainer, 5)
    assert feed.net_every > 1 and "net" not in u["frames"][-1]
    p = live.decode(live.encode(feed.update(trainer, state="paused")))
    (f,) = p["frames"]
    assert f["step"] == 5 and "net" in f
    w = np.concatenate([np.concatenate([L.weight.ravel(), L.bias]) for L in numeric.layers_of(trainer.model)])
    assert np.allclose(f["net"]["weights"], w, atol=1e-6)


def test_fast_runs_send_every_kth_step_within_the_frame_rate(trainer):
    feed = live.LiveFeed()
    feed.set_speed(240, trainer.model.sizes)
    assert feed.every == 4
    feed.update(trainer, state="running")
    u = tick(feed, trainer, 12)
    assert [f["step"] for f in u["frames"]] == [4, 8, 12]


def test_invalidate_resends_the_static_part_and_the_history(trainer):
    feed = live.LiveFeed()
    feed.update(trainer, state="running")
    tick(feed, trainer, 4)
    feed.invalidate()
    u = live.decode(live.encode(feed.update(trainer, state="paused")))
    assert u["reset"] and "static" in u and u["metrics"]["step"] == [1, 2, 3, 4]


def test_a_new_run_or_feature_pair_resets(trainer):
    feed = live.LiveFeed()
    feed.update(trainer, state="paused")
    other = Trainer(RunConfig(steps=10, layers=[2]))
    u = feed.update(other, state="paused")
    assert u["reset"] and u["static"]["sizes"] == [2, 2, 1] and u["frames"][0]["step"] == 0
    feed.set_pair(1, 0)
    assert feed.update(other, state="paused")["static"]["x_name"] == "x2"


def test_long_histories_are_downsampled_and_curves_only_append():
    tr = Trainer(RunConfig(steps=5000, layers=[2], engine="compiled"))
    tr.run(4100)
    feed = live.LiveFeed()
    first = feed.update(tr, state="paused")["metrics"]["step"]
    assert len(first) <= curves.MAX_CURVE_POINTS + 2 and first[0] == 1 and first[-1] == 4100  # the ends kept
    assert len({b - a for a, b in zip(first[1:], first[2:-1])}) == 1  # evenly spaced between them
    tr.run(5)
    later = feed.update(tr, state="paused")["metrics"]["step"]
    assert later[-1] == 4105 and all(s > 4100 for s in later) and len(later) <= 5


@pytest.mark.parametrize(
    "kwargs",
    [
        {"layers": [16, 16]},
        {"layers": [8], "activation": "tanh", "dataset": "circles"},
        {"layers": [16, 16, 16], "activation": "sigmoid", "dataset": "spiral"},
        {"layers": [8], "dataset": "spiral", "task": "multiclass", "classes": 3, "loss": "ce"},
        {"layers": [], "dataset": "circles"},  # no hidden layer: the output's thumbnail only
        {"layers": [8], "dataset": "sine", "task": "regression", "loss": "mse", "lr": 0.05},  # one feature: a curve
    ],
)
def test_a_frames_one_pass_gives_the_numbers_of_a_pass_per_picture(kwargs):
    """_frame runs the grid, the points and the thumbnails' cells through the net together: each picture is cut from
    the right rows, and those rows' numbers are a pass of their own's (BLAS may round a last bit differently)."""
    tr = Trainer(RunConfig(steps=0, seed=3, **kwargs))
    for _ in range(25):
        tr.step()
    feed = live.LiveFeed()
    feed.update(tr, state="paused")
    layers = tr.layers()
    outs = numeric.forward_all(layers, feed._rows_net)
    m, n = len(feed._inputs), len(feed._inputs) + len(feed._X)
    for rows, part in ((feed._inputs, slice(0, m)), (feed._X, slice(m, n)), (feed._thumb_inputs, slice(n, None))):
        for own, shared in zip(numeric.forward_all(layers, rows), outs):
            np.testing.assert_allclose(shared[part], own, rtol=1e-12, atol=1e-300)
    for net in (True, False):  # with a network picture (thumbnails' rows too) and without
        f = feed._frame(tr, tr.step_count, with_net=net)
        last = numeric.forward_all(layers, feed._rows_net if net else feed._rows_net[:n])[-1]
        grid, pts = last[:m], last[m:n]
        if tr.task == "multiclass":
            assert np.array_equal(f["grid"], live.classes.quantise_classes(grid))
            assert np.array_equal(f["pred"], live.classes.point_classes(pts)[0])
        elif tr.task == "regression":
            assert f["pred"].tobytes() == live._half(live.classes.unscale(pts, feed._scaling)).tobytes()
        else:
            assert np.array_equal(f["grid"], live.quantise_tanh(grid[:, 0]))
            assert f["scores"].tobytes() == live._half(pts[:, 0]).tobytes()
        assert ("net" in f) is net
    thumbs = [o[n:] for o in outs]
    tail = live.quantise_tanh if tr.task == "binary" else live.quantise_unit
    want = [live.quantise_unit(o).T.ravel() for o in thumbs[:-1]] + [tail(thumbs[-1]).T.ravel()]
    f = feed._frame(tr, tr.step_count, with_net=True)
    assert np.array_equal(f["net"]["thumbs"], np.concatenate(want))  # each neuron scaled on its own, in order


def test_quantisers_keep_signs_and_nan():
    q = live.quantise_tanh(np.array([1e-9, -1e-9, 0.0, -0.0, 50.0, -50.0, np.nan, np.inf, -np.inf, 0.5, -0.0039]))
    assert q.tolist() == [1, -1, 0, 0, 127, -127, -128, 127, -127, round(127 * np.tanh(0.5)), -1]
    a = live.quantise_unit(np.array([[2.0, 0.0], [-1.0, np.nan], [1e-9, 0.0]]))
    assert a[:, 0].tolist() == [127, -64, 1] and a[1, 1] == -128


def test_the_wire_format_round_trips_arrays_and_rejects_other_bytes():
    u = {"a": np.arange(5, dtype=np.int8), "b": [np.float16([1.5, -2])], "c": {"d": 3}}
    back = live.decode(live.encode(u))
    assert back["a"].tolist() == [0, 1, 2, 3, 4] and back["b"][0].tolist() == [1.5, -2.0] and back["c"] == {"d": 3}
    import zlib

    with pytest.raises(ValueError, match="not a live-view payload"):
        live.decode(zlib.compress(b"XXXX0000"))
    # arrays take their places in the binary tail in the header's order, wherever they sit
    nested = {"z": [np.int8([1]), {"y": np.float32([2.5, 3])}], "a": np.uint8([7, 8, 9])}
    back = live.decode(live.encode(nested))
    assert back["z"][0].tolist() == [1] and back["z"][1]["y"].tolist() == [2.5, 3.0] and back["a"].tolist() == [7, 8, 9]
    with pytest.raises(TypeError, match="only JSON values and NumPy arrays"):
        live.encode({"a": {1, 2}})


def test_default_net_bytes_per_second_fit_the_budget():
    """The default net at 60 pictures a second: the measured encoded bytes stay under 100 KB/s."""
    tr = Trainer(RunConfig(steps=3000))
    feed = live.LiveFeed()
    feed.set_speed(60, tr.model.sizes)
    assert bytes_per_second(feed, tr) < 100_000


def bytes_per_second(feed: live.LiveFeed, tr, speed: int = 60, seconds: float = 6.0) -> float:
    """Encoded update bytes per second over the last 2 s of ``seconds`` of ticks of speed/4 steps, as the Train page
    makes them: set_speed before each tick (the network picture's stride follows what was sent), sent() after."""
    feed.update(tr, state="running")
    tr.run(100)  # a trained boundary is more detailed than the initial one
    per_tick, ticks = speed // 4, int(seconds * 4)
    sizes = []
    for _ in range(ticks):
        feed.set_speed(speed, tr.model.sizes)
        for _ in range(per_tick):
            tr.step()
            feed.record(tr)
        update = feed.update(tr, state="running")
        payload, before_net = live.encode_measured(update)
        sizes.append(len(payload))
        feed.sent(update, len(payload), before_net)
    return sum(sizes[-8:]) / (8 * per_tick / speed)


def test_pause_resends_the_last_step_a_preempted_tick_may_have_lost(trainer):
    """Pause can stop a tick after it built its update and before it reached the browser: the paused update still
    carries the step the trainer stopped at, network included, so the view can play out to it."""
    feed = live.LiveFeed()
    feed.set_speed(20, trainer.model.sizes)
    feed.update(trainer, state="running")
    for _ in range(3):
        trainer.step()
        feed.record(trainer)
    feed.update(trainer, state="paused")  # delivered: its last frame is step 3 with the network
    lost = feed.update(trainer, state="paused")  # the same step asked again, e.g. after a lost update
    assert [f["step"] for f in lost["frames"]] == [3] and "net" in lost["frames"][-1]


def _without_time(records: list[dict]) -> list[dict]:
    return [{k: v for k, v in r.items() if k != "seconds"} for r in records]


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"batch_size": 16, "momentum": 0.9, "schedule": "cosine"},
        {"dataset": "blobs", "task": "multiclass", "classes": 3, "loss": "ce", "batch_size": 8, "lr": 0.1},
        {"engine": "scalar", "samples": 40, "layers": [4]},
    ],
)
def test_a_fork_takes_the_trainers_next_steps_bit_for_bit_and_leaves_it_untouched(kwargs):
    tr = Trainer(RunConfig(steps=300, **kwargs))
    tr.run(7)
    key, history = tr.state_key(), list(tr.history)
    twin = tr.fork()
    assert twin.state_key() == key
    assert [(p.data, p.grad) for p in twin.params] == [(p.data, p.grad) for p in tr.params]
    assert not {id(p) for p in twin.params} & {id(p) for p in tr.params}  # its own Values
    assert repr(twin.model) == repr(tr.model)
    ahead = [twin.step() for _ in range(20)]
    assert tr.state_key() == key and tr.history == history and tr.step_count == 7  # the trainer did not move
    taken = [tr.step() for _ in range(20)]
    assert _without_time(ahead) == _without_time(taken)
    assert [p.data for p in twin.params] == [p.data for p in tr.params]
    assert twin.state_key() == tr.state_key() != key


def test_the_state_key_changes_with_what_the_next_steps_depend_on(trainer):
    key = trainer.state_key()
    assert trainer.state_key() == key
    trainer.update(lr=0.5)
    assert trainer.state_key() != key
    key = trainer.state_key()
    trainer.params[0].data += 1e-12  # a page edited a weight
    assert trainer.state_key() != key


def test_paused_updates_carry_the_next_steps_frames_exactly_as_the_run_sends_them(trainer):
    """Start plays the steps sent ahead at once: they must be the frames the run then sends for the same steps."""
    feed = live.LiveFeed()
    feed.set_speed(20, trainer.model.sizes)
    trainer.run(5)
    paused = live.decode(live.encode(feed.update(trainer, state="paused", ahead=True)))
    ahead = paused["ahead"]
    assert ahead["from"] == trainer.state_key() and trainer.step_count == 5
    steps = [f["step"] for f in ahead["frames"]]
    assert steps == list(range(6, 6 + len(steps))) and len(steps) >= 3  # 20 steps/s: every step
    feed.note_run(trainer, True)  # Start: the run notes the state it starts from, then ticks
    run = tick(feed, trainer, len(steps))
    assert run["status"]["from"] == ahead["from"] and run["status"]["run"] == paused["status"]["run"]
    real = {f["step"]: f for f in run["frames"]}
    for f in ahead["frames"]:
        g = real[f["step"]]
        assert np.array_equal(f["grid"], g["grid"]) and np.array_equal(f["scores"], g["scores"])
        assert ("net" in f) == ("net" in g)
        if "net" in f:
            assert np.array_equal(f["net"]["weights"], g["net"]["weights"])
    # their metric points are the run's for the same steps, so the numbers move with the first pictures
    # (and the point the step after them will record: the last picture's own numbers, see micrograd.views.curves)
    m, got, upcoming = ahead["metrics"], run["metrics"], run["next_metrics"]
    assert m["step"] == [*steps, steps[-1] + 1] and got["step"][-len(steps) :] == steps
    assert upcoming["step"] == [steps[-1] + 1]
    for col in ("train_loss", "test_loss", "train_accuracy", "test_accuracy"):
        assert m[col] == got[col][-len(steps) :] + upcoming[col] and all(x is not None for x in m[col])
    assert ahead["metrics_lr"] == run["metrics_lr"][-len(steps) :] + run["next_lr"]  # the rates beside them
    assert "ahead" not in run  # running: nothing ahead


def test_no_steps_ahead_when_the_run_is_done_or_the_engine_is_scalar():
    done = Trainer(RunConfig(steps=3, layers=[4]))
    done.run()
    feed = live.LiveFeed()
    assert "ahead" not in feed.update(done, state="finished", ahead=True)
    scalar = Trainer(RunConfig(steps=30, layers=[4], engine="scalar", samples=40))
    assert "ahead" not in live.LiveFeed().update(scalar, state="paused", ahead=True)
    near_end = Trainer(RunConfig(steps=4, layers=[4]))
    near_end.run(2)
    u = live.LiveFeed().update(near_end, state="paused", ahead=True)
    assert [f["step"] for f in u["ahead"]["frames"]] == [3, 4]  # stops at the budget, as the run will


def test_a_run_notes_the_state_it_started_from_until_it_pauses(trainer):
    feed = live.LiveFeed()
    key = trainer.state_key()
    feed.note_run(trainer, True)
    trainer.run(3)
    feed.note_run(trainer, True)  # later ticks keep the start
    assert feed.update(trainer, state="running")["status"]["from"] == key
    feed.note_run(trainer, False)
    assert feed.update(trainer, state="paused")["status"]["from"] is None


@pytest.mark.parametrize("speed", [20, 50, 100, 1000])
def test_the_graph_pages_network_view_fits_its_budget_with_a_network_picture_every_frame(speed):
    """Every frame of the Graph page's network view is a network picture; the page's bytes stay under 150 KB/s. Up
    to the sidebar's highest speed the default net's view shows every step (sent as changes: views.wire)."""
    from micrograd.views.live_net import NetFeed
    from ui.options import SPEED_OPTIONS

    tr = Trainer(RunConfig(steps=0))
    feed = NetFeed()
    feed.set_speed(speed, tr.model.sizes)
    assert feed.every == feed.net_every and speed / feed.every <= live.MAX_FRAMES_PER_SECOND
    assert feed.every == 1 or speed > max(SPEED_OPTIONS)
    assert bytes_per_second(feed, tr, speed) < 150_000
    for _ in range(feed.every):  # one more frame's steps
        tr.step()
        feed.record(tr)
    u = live.decode(live.encode(feed.update(tr, state="running")))
    assert u["frames"] and all(set(f) == {"step", "net"} for f in u["frames"])  # no boundary, no curves
    assert "metrics" not in u


def test_a_busy_server_still_sends_the_first_steps_ahead(monkeypatch):
    """Past AHEAD_BUDGET seconds no more steps are taken ahead, but the first AHEAD_MIN always are."""
    monkeypatch.setattr(live, "AHEAD_BUDGET", -1.0)  # the budget is spent before the first step
    tr = Trainer(RunConfig(steps=300, layers=[4]))
    feed = live.LiveFeed()
    feed.set_speed(20, tr.model.sizes)
    u = feed.update(tr, state="paused", ahead=True)
    assert [f["step"] for f in u["ahead"]["frames"]] == list(range(1, live.AHEAD_MIN + 1)) and tr.step_count == 0
    monkeypatch.setattr(live, "AHEAD_BUDGET", 60.0)
    u = feed.update(tr, state="paused", ahead=True)
    assert [f["step"] for f in u["ahead"]["frames"]] == list(range(1, 23)) and live.AHEAD_SECONDS == 1.1  # 22 steps


def test_the_axes_of_standardised_data_say_so():
    """QA: iris's axes read "sepal length (cm)" over values from -2.4 to 2.9."""
    iris = Trainer(RunConfig(dataset="iris", task="multiclass", loss="ce", steps=3, layers=[4]))
    static = live.LiveFeed().update(iris, state="paused")["static"]
    assert (static["x_name"], static["y_name"]) == ("sepal length (cm), standardised", "sepal width (cm), standardised")
    assert static["feature_names"][0] == "sepal length (cm)"  # the network's input names stay the data's
    moons = live.LiveFeed().update(Trainer(RunConfig(steps=3, layers=[2])), state="paused")["static"]
    assert (moons["x_name"], moons["y_name"]) == ("x1", "x2")  # drawn in their own units


def test_frames_taken_inside_a_batch_show_each_steps_weights():
    """A live tick takes its steps in Trainer.batch(), where the Values are written only at its end: the frames
    (boundary, scores, network) are still those of the step they name, as frames of steps taken one by one."""
    one, many = Trainer(RunConfig(steps=0, samples=60)), Trainer(RunConfig(steps=0, samples=60))
    feeds = [live.LiveFeed(), live.LiveFeed()]
    for feed, tr in zip(feeds, (one, many)):
        feed.set_speed(20, tr.model.sizes)
        feed.update(tr, state="ready")
    got = tick(feeds[0], one, 12)
    with many.batch():
        for _ in range(12):
            many.step()
            feeds[1].record(many)
    want = live.decode(live.encode(feeds[1].update(many, state="running")))
    assert [f["step"] for f in got["frames"]] == [f["step"] for f in want["frames"]] == list(range(1, 13))
    nets = 0
    for f, g in zip(got["frames"], want["frames"]):
        assert np.array_equal(f["grid"], g["grid"]) and np.array_equal(f["scores"], g["scores"])
        assert ("net" in f) == ("net" in g)
        if "net" in f:
            nets += 1
            assert np.array_equal(f["net"]["weights"], g["net"]["weights"])
            assert np.array_equal(f["net"]["thumbs"], g["net"]["thumbs"])
    assert nets >= 1
    assert len({f["grid"].tobytes() for f in want["frames"]}) > 1  # the pictures move: not one step's, twelve times


def test_one_encoding_gives_the_bytes_before_the_network_pictures(trainer, monkeypatch):
    """The network pictures' arrays go last, after a flush of the compressor: the Train page learns their share of
    the bytes without encoding each update a second time (which cost the most in a run's first seconds)."""
    import struct
    import zlib

    feed = live.LiveFeed()
    feed.set_speed(60, trainer.model.sizes)
    feed.net_every = 3  # frames with and without a network picture (the stride itself: tests/test_rates.py)
    feed.update(trainer, state="running")
    for _ in range(30):
        trainer.step()
        feed.record(trainer)
    update = feed.update(trainer, state="running")
    nets = [f["net"] for f in update["frames"] if "net" in f]
    assert nets and len(nets) < len(update["frames"])
    payload, before = live.encode_measured(update)
    assert payload == live.encode(update)
    back = live.decode(payload)  # every array where it was, whatever the order of the tail
    for f, g in zip(update["frames"], back["frames"]):
        assert (
            f.keys() == g.keys() and np.array_equal(f["grid"], g["grid"]) and np.array_equal(f["scores"], g["scores"])
        )
        if "net" in f:
            assert np.array_equal(f["net"]["weights"], g["net"]["weights"])
            assert np.array_equal(f["net"]["thumbs"], g["net"]["thumbs"])
    raw = zlib.decompress(payload)
    (n,) = struct.unpack("<I", raw[4:8])
    refs = json.loads(raw[8 : 8 + n])["frames"]
    first_net = min(g["net"]["weights"]["o"] for g in refs if "net" in g)
    assert first_net >= max(g["grid"]["o"] for g in refs)  # the frames' arrays come first
    # the bytes before them: what the update takes encoded without its network pictures, within 3 %
    without = len(
        live.encode(update | {"frames": [{k: v for k, v in f.items() if k != "net"} for f in update["frames"]]})
    )
    assert before < len(payload) and abs(before - without) <= 0.03 * without, (before, without, len(payload))
    plain = update | {"frames": [f for f in update["frames"] if "net" not in f]}
    p, b = live.encode_measured(plain)
    assert len(p) - 16 <= b < len(p)  # no network picture: only the stream's end comes after the flush
    # sent() takes the size it is given (the update() above noted its frames and pictures): no second encoding
    monkeypatch.setattr(live, "encode", lambda u: pytest.fail("encoded again"))
    feed.sent(update, len(payload), before)
    assert feed._rate.net == pytest.approx((len(payload) - before) / len(nets))
