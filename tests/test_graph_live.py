"""The live graph view's Python side: the layout (once per architecture) and the per-frame payload."""

import itertools

import numpy as np
import pytest

from micrograd.nn import MLP
from micrograd.views import graph as G
from micrograd.views import graph_live as GL
from micrograd.views import layout as L
from micrograd.views import series as S
from tests.test_graph_series import fake_trainer

X, Y = (0.7, -0.4), 1.0


def default_snapshot(seed: int = 1, loss: str = "svm") -> G.Snapshot:
    return G.snapshot(MLP(2, [16, 16, 1], seed=seed), X, Y, loss)


@pytest.fixture(scope="module")
def big() -> tuple[G.Snapshot, L.Layout]:
    snap = default_snapshot()
    return snap, L.layout_snapshot(snap)


def test_default_net_has_a_position_for_every_node(big):
    snap, lay = big
    n = len(snap.nodes)
    assert n == 986 == G.graph_size(MLP(2, [16, 16, 1]), "svm")
    assert len(lay.x) == len(lay.y) == len(lay.layers) == n
    assert lay.width > 0 and lay.height > 0
    assert all(0 <= x <= lay.width and 0 <= y <= lay.height for x, y in zip(lay.x, lay.y))


def test_every_edge_goes_left_to_right_in_depth_order(big):
    snap, lay = big
    for c, p in snap.edges:
        assert lay.layers[c] < lay.layers[p]
        assert lay.x[c] + L.NODE_W < lay.x[p]  # the operand's box ends before its consumer's begins


def test_boxes_never_overlap(big):
    _, lay = big
    seen = set()
    for x, y in zip(lay.x, lay.y):
        assert (x, y) not in seen
        seen.add((x, y))
    by_col: dict[float, list[float]] = {}
    for x, y in zip(lay.x, lay.y):
        by_col.setdefault(x, []).append(y)
    for ys in by_col.values():
        ys.sort()
        assert all(b - a >= L.NODE_H + L.ROW_GAP - 1e-9 for a, b in zip(ys, ys[1:]))


def test_layout_is_deterministic_and_depends_on_the_shape_only(big):
    snap, lay = big
    again = L.layout_snapshot(default_snapshot(seed=99))  # other weights, other example values
    assert again == lay
    other = L.layout_snapshot(default_snapshot(loss="mse"))
    assert other.key != lay.key


def test_leaves_sit_just_before_their_consumer(big):
    snap, lay = big
    consumers: dict[int, list[int]] = {}
    for c, p in snap.edges:
        consumers.setdefault(c, []).append(p)
    for nd in snap.nodes:
        if nd.kind == "param":
            assert lay.layers[nd.id] == min(lay.layers[p] for p in consumers[nd.id]) - 1


def test_ordering_cuts_crossings(big):
    snap, lay = big
    n = len(snap.nodes)
    layer = L.assign_layers(n, snap.edges)
    naive = [0.0] * n
    for _, col in itertools.groupby(sorted(range(n), key=lambda v: layer[v]), key=lambda v: layer[v]):
        for r, v in enumerate(col):
            naive[v] = r
    before = L.crossings(layer, naive, snap.edges)
    after = L.crossings(layer, lay.y, snap.edges)
    assert after < before / 3, (before, after)


def test_layout_rejects_edges_that_go_backwards():
    with pytest.raises(ValueError, match="lower to a higher"):
        L.layout(["input", "op"], ["", "+"], [(1, 0)])


def test_wire_format_round_trips():
    arrays = {"a": np.arange(5, dtype=np.float32) / 3, "b": np.array([1, 2, 3], dtype=np.uint8), "c": np.int32([7])}
    data = GL.encode({"hello": "wörld", "n": [1, 2]}, arrays)
    assert data[:4] == b"MGG1"
    header, out = GL.decode(data)
    assert header == {"hello": "wörld", "n": [1, 2]}
    for k, v in arrays.items():
        assert out[k].dtype == v.dtype and np.array_equal(out[k], v)
    with pytest.raises(ValueError, match="not a graph-view payload"):
        GL.decode(b"nope" + data[4:])


def test_static_part_names_kinds_and_edges(big):
    snap, lay = big
    header, arrays = GL.static_part(snap, lay)
    data = GL.payload(lay.key, [GL.frame_of(snap)], static=(header, arrays))
    h, a = GL.decode(data)
    s = h["static"]
    assert s["key"] == lay.key and len(s["titles"]) == 986
    assert [s["kinds"][k] for k in a["s_kind"]] == [nd.kind for nd in snap.nodes]
    assert list(zip(a["s_src"].tolist(), a["s_dst"].tolist())) == [tuple(e) for e in snap.edges]
    assert np.array_equal(a["s_x"], np.float32(lay.x)) and np.array_equal(a["s_y"], np.float32(lay.y))
    named = {nd.name: nd.id for nd in snap.nodes if nd.name}
    assert s["titles"][named["layers.1.weight.3.15"]] == "layers.1.weight.3.15"
    assert len(data) < 80_000  # the static part goes once per architecture


def test_frame_values_equal_the_engine(big):
    snap, lay = big
    model = MLP(2, [16, 16, 1], seed=1)
    tr = fake_trainer(model)
    tr.step_count = 7
    frame = GL.frame_now(tr, X, Y)
    t = G.trace_example(model, X, Y, "svm")
    assert frame.step == 7 and frame.loss == t.root.data
    assert np.array_equal(frame.values, np.float32([v.data for v in t.order]))
    assert np.array_equal(frame.grads, np.float32(t.grads))
    assert np.array_equal(GL.frame_of(snap).values, frame.values)  # the same nodes in the same order
    h, a = GL.decode(GL.payload(lay.key, [frame]))
    assert "static" not in h and h["steps"] == [7] and h["seq"] == [frame.seq]
    assert np.array_equal(a["values"], frame.values) and np.array_equal(a["grads"], frame.grads)
    assert len(GL.payload(lay.key, [frame])) < 2 * 4 * 986 + 600  # float32 values and grads plus a small header


def test_several_frames_and_a_diff_baseline(big):
    snap, lay = big
    tr = fake_trainer(MLP(2, [16, 16, 1], seed=1))
    frames = []
    for k in range(3):
        tr.step_count = k
        frames.append(GL.frame_now(tr, X, Y))
        for p in tr.model.parameters():
            p.data *= 0.9
    h, a = GL.decode(GL.payload(lay.key, frames[1:], mode="still", previous=frames[0], title="t"))
    assert h["steps"] == [1, 2] and h["mode"] == "still" and h["diff"] and h["title"] == "t"
    assert h["seq"] == sorted(h["seq"]) and len(set(h["seq"])) == 2
    assert np.array_equal(a["values"][986:], frames[2].values)
    assert np.array_equal(a["prev_grads"], frames[0].grads)


def test_the_live_rate_is_wall_clock_not_the_burst_of_one_tick(monkeypatch):
    """Ticks every 0.5 s take 50 steps in 0.05 s (100 steps/s): the rate is never the in-tick 1,000 steps/s."""
    now = [0.0]
    monkeypatch.setattr(GL.time, "perf_counter", lambda: now[0])
    s, tr = GL.LiveSeries(every=50), fake_trainer()
    rates = []
    for tick in range(8):
        now[0] = 0.5 * tick
        for k in range(50):
            tr.step_count = 50 * tick + k + 1
            now[0] += 0.001
            s.record(tr)
        rates.append(s.rate())
    assert rates[0] is None  # one burst alone says nothing about the wall-clock rate
    assert all(r is None or r < 200 for r in rates)  # never ~10x the real rate
    s.wall_rate = 100.0  # what the Graph page sets from ui.steps_per_second() before each tick
    assert s.rate() == 100.0
    tr.step_count += 1
    s.record(tr)
    assert s.frame_every == 7  # ceil(100 / MAX_FPS)


def test_a_payload_says_the_trainers_step_while_training():
    snap = default_snapshot()
    lay = L.layout_snapshot(snap)
    head = lambda data: GL.decode(data)[0]  # noqa: E731
    still = head(GL.payload(lay.key, [GL.frame_of(snap)], mode="still", trainer_step=1234))
    assert still["trainer_step"] == 1234 and still["steps"] == [snap.step]
    assert "trainer_step" not in head(GL.payload(lay.key, [GL.frame_of(snap)], mode="still"))
    assert head(GL.payload(lay.key, [GL.frame_of(snap)], layers=3))["layers"] == 3  # the model's depth
    assert "layers" not in head(GL.payload(lay.key, [GL.frame_of(snap)]))


def test_live_series_records_frames_at_a_capped_rate(monkeypatch):
    clock = iter(np.arange(0, 100, 0.01))  # 100 steps per wall-clock second
    monkeypatch.setattr(GL.time, "perf_counter", lambda: float(next(clock)))
    s, tr = GL.LiveSeries(every=50), fake_trainer()
    for k in range(1, 121):
        tr.step_count = k
        s.take(tr)  # what every page's tick does after a step
        s.record(tr)  # what the Graph page's tick adds
        for p in tr.model.parameters():
            p.data -= 0.001
    assert s.rate() == pytest.approx(100, rel=0.01)
    assert s.frame_every == 7  # ceil(100 / MAX_FPS): at most 15 pictures per second
    steps = [f.step for f in s.frames]
    assert steps[0] == 1 and steps[-1] == 119  # every step until the rate is known (half a second), then every 7th
    late = [k for k in steps if k > 60]
    assert late == list(range(63, 120, 7))
    seqs = [f.seq for f in s.frames]
    assert seqs == sorted(seqs) and s.since(seqs[-2]) == [s.frames[-1]]
    assert [snap.step for snap in s.snapshots] == [50, 100]


def test_live_series_frames_match_snapshots_and_reset_with_the_run():
    s, tr = GL.LiveSeries(every=1), fake_trainer()
    tr.step_count = 3
    s.take(tr, force=True)
    (frame,) = s.frames
    assert np.array_equal(frame.values, GL.frame_of(s.snapshots[-1]).values) and frame.step == 3
    tr.step_count = 1  # an earlier step: a new run clears both
    s.take(tr)
    s.record(tr)
    assert [f.step for f in s.frames] == [1] and [x.step for x in s.snapshots] == [1]
    assert s.layout_of(s.snapshots[-1]) is s.layout_of(s.snapshots[-1])  # computed once


def test_the_train_pages_ticks_take_snapshots_but_record_no_frames():
    """Frames are the Graph page's: a session that visited it pays nothing for them back on the Train page."""
    s, tr = GL.LiveSeries(every=2), fake_trainer()
    for k in range(1, 9):
        tr.step_count = k
        assert S.take_snapshot(s, tr) == (k % 2 == 0)  # the tick's hook on every page
    assert s.steps() == [2, 4, 6, 8] and len(s.frames) == 0
    tr.step_count = 9
    assert S.take_snapshot(s, tr, force=True) and [f.step for f in s.frames] == [9]  # Pause or Step: one frame
    s.set_example(index=99)  # an example the data does not have: the Graph page says so, training goes on
    tr.step_count = 10
    s.record(tr, force=True)
    assert [f.step for f in s.frames] == [9]


def test_bigger_graphs_get_fewer_frames_a_second():
    small, big = GL.LiveSeries(), GL.LiveSeries()
    small._view_of(fake_trainer(MLP(2, [16, 16, 1], seed=1)))  # 986 nodes
    big._view_of(fake_trainer(MLP(2, [16, 16, 16, 1], seed=1)))  # ~1,800 nodes
    assert small.max_fps == GL.MAX_FPS
    assert big.max_fps < GL.MAX_FPS * GL.BIG_GRAPH_NODES / 1500  # bytes per second stay those of ~800 nodes at 15
