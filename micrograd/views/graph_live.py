"""Data for the live graph view: the static part once per architecture, then compact frames of values and grads.

Wire format (``encode``/``decode``): b"MGG1", a little-endian uint32 header length, the header as UTF-8 JSON, then
the arrays it names (``{"arrays": {name: [dtype, offset, count]}}``), each 4-byte aligned after the header.
A frame is every node's value and gradient as float32 (node id = topological index, as in ``views.graph``).
"""

from __future__ import annotations

import itertools
import json
import math
import struct
import time
from collections import deque
from dataclasses import dataclass
from typing import Any

import numpy as np

from micrograd.views import graph as G
from micrograd.views import series as S
from micrograd.views.curves import finite
from micrograd.views.layout import NODE_H, NODE_W, Layout, layout_snapshot

MAGIC = b"MGG1"
MAX_FPS = 15.0  # frames per second while training: ~118 KB/s of float32 for the 986-node 2-16-16-1 graph
FULL_FPS_NODES = 1000  # bigger graphs get fewer frames: MAX_FPS * BIG_GRAPH_NODES / nodes (measured: spiral's 1,081
BIG_GRAPH_NODES = 700  # nodes took 177 KB/s at 15 frames a second, 156 at 11, over the page's 150)
MAX_FRAMES = 90  # frames kept for the next send (a few seconds at MAX_FPS)
RATE_WINDOW = 3.0  # seconds over which the training rate is measured (three ticks)
_DTYPES = {"f4": np.float32, "i4": np.int32, "u1": np.uint8}


def encode(header: dict, arrays: dict[str, np.ndarray] | None = None) -> bytes:
    """Header JSON plus raw little-endian arrays, as one bytes payload for the component."""
    arrays = arrays or {}
    blobs, table, offset = [], {}, 0
    for name, a in arrays.items():
        code = next(k for k, t in _DTYPES.items() if np.dtype(t) == a.dtype)
        raw = np.ascontiguousarray(a, dtype=np.dtype(_DTYPES[code]).newbyteorder("<")).tobytes()
        table[name] = [code, offset, int(a.size)]
        pad = (-len(raw)) % 4
        blobs.append(raw + b"\0" * pad)
        offset += len(raw) + pad
    head = json.dumps({**header, "arrays": table}, separators=(",", ":"), allow_nan=False).encode()
    head += b" " * ((-len(head)) % 4)
    return MAGIC + struct.pack("<I", len(head)) + head + b"".join(blobs)


def decode(payload: bytes) -> tuple[dict, dict[str, np.ndarray]]:
    """The inverse of ``encode`` (for tests and tools)."""
    if payload[:4] != MAGIC:
        raise ValueError("not a graph-view payload")
    (n,) = struct.unpack("<I", payload[4:8])
    header = json.loads(payload[8 : 8 + n])
    base = 8 + n
    arrays = {}
    for name, (code, off, count) in header.pop("arrays").items():
        dt = np.dtype(_DTYPES[code]).newbyteorder("<")
        arrays[name] = np.frombuffer(payload, dtype=dt, count=count, offset=base + off)
    return header, arrays


@dataclass(frozen=True)
class Frame:
    """One picture: the training step, the loss and every node's value and gradient (float32, by node id)."""

    seq: int
    step: int
    loss: float
    values: np.ndarray
    grads: np.ndarray


def static_part(snap: G.Snapshot, lay: Layout) -> tuple[dict, dict[str, np.ndarray]]:
    """What the browser keeps per architecture: node kinds, titles, positions and edges."""
    kinds = np.array([G.KINDS.index(nd.kind) for nd in snap.nodes], dtype=np.uint8)
    titles = [nd.name or (nd.op if nd.kind != "const" else "const") or nd.kind for nd in snap.nodes]
    ops = [nd.op if nd.name and nd.kind == "op" else "" for nd in snap.nodes]
    edges = np.array(snap.edges, dtype=np.int32).reshape(-1, 2)
    header: dict[str, Any] = {
        "key": lay.key,
        "kinds": list(G.KINDS),
        "titles": titles,
        "ops": ops,
        "size": [lay.width, lay.height],
        "node": [NODE_W, NODE_H],
    }
    arrays: dict[str, np.ndarray] = {
        "kind": kinds,
        "x": np.array(lay.x, dtype=np.float32),
        "y": np.array(lay.y, dtype=np.float32),
        "src": edges[:, 0].copy(),
        "dst": edges[:, 1].copy(),
    }
    return header, arrays


def payload(
    key: str,
    frames: list[Frame],
    *,
    static: tuple[dict, dict[str, np.ndarray]] | None = None,
    mode: str = "live",
    previous: Frame | None = None,
    title: str = "",
    rate: float | None = None,
    every: int = 1,
    lesson: dict | None = None,
    projector: bool = False,
    trainer_step: int | None = None,
    layers: int | None = None,
) -> bytes:
    """One update for the component: frames (oldest first), optionally the static part and a diff baseline.

    mode "live" plays the frames back in step order; "still" shows the last frame at once (scrubbing, diff).
    lesson: the step-through's steps (``views.lesson.Lesson.to_json()`` plus a ``key``), played by lesson.js;
    projector: large fonts, no sidebar, high contrast.
    trainer_step: while training, the trainer's step, which the sidebar's status shows when the frames are not the
    live ones (a "still" picture from the history); live frames say their own steps as they play.
    layers: the model's number of layers, so a node's detail can name its neuron as the Train page does (h1.2, out.1),
    even in one neuron's part of the graph, whose node names do not tell.
    """
    header: dict = {
        "key": key,
        "mode": mode,
        "title": title,
        "seq": [f.seq for f in frames],
        "steps": [f.step for f in frames],
        "losses": [finite(f.loss) for f in frames],
        "rate": finite(rate),
        "every": every,
        "diff": previous is not None,
    }
    if lesson is not None:
        header["lesson"] = lesson
    if projector:
        header["projector"] = True
    if trainer_step is not None:
        header["trainer_step"] = int(trainer_step)
    if layers is not None:
        header["layers"] = int(layers)
    arrays: dict[str, np.ndarray] = {}
    if static is not None:
        sh, sa = static
        header["static"] = sh
        arrays.update({f"s_{k}": v for k, v in sa.items()})
    if frames:
        arrays["values"] = np.concatenate([f.values for f in frames]).astype(np.float32)
        arrays["grads"] = np.concatenate([f.grads for f in frames]).astype(np.float32)
    if previous is not None:
        arrays["prev_values"], arrays["prev_grads"] = previous.values, previous.grads
    return encode(header, arrays)


_seq = itertools.count(int(time.time() * 1000) % 2**40)  # frame numbers only grow, across series and sessions


def frame_of(snap: G.Snapshot) -> Frame:
    """A frame from a stored snapshot."""
    with np.errstate(over="ignore"):  # a diverged run's numbers beyond float32 are drawn as inf
        values = np.array([nd.data for nd in snap.nodes], dtype=np.float32)
        grads = np.array([nd.grad for nd in snap.nodes], dtype=np.float32)
    return Frame(next(_seq), snap.step, snap.loss, values, grads)


def frame_from(step: int, loss: float, values, grads) -> Frame:
    """A frame from a step's numbers (e.g. a lesson's, or with one gradient hidden as nan)."""
    return Frame(next(_seq), step, loss, np.array(values, dtype=np.float32), np.array(grads, dtype=np.float32))


def frame_now(trainer, x, y) -> Frame:
    """A frame of the trainer's model on example (x, y) right now (one trace of the scalar graph, ~11 ms)."""
    task = getattr(trainer, "task", None)
    getattr(trainer, "sync", lambda: None)()  # inside a batch the Values are written at its end
    t = G.trace_example(trainer.model, x, y, trainer.config.loss, trainer.dataset.feature_names, task)
    values = np.fromiter((v.data for v in t.order), dtype=np.float32, count=len(t.order))
    return Frame(next(_seq), trainer.step_count, t.root.data, values, np.array(t.grads, dtype=np.float32))


class LiveSeries(S.SnapshotSeries):
    """A snapshot series that also records frames while training, for the live graph view.

    ``ui.tick`` calls ``take`` after every step (through ``series.take_snapshot``) on every page, and the Graph
    page's tick also ``record``; every ``frame_every``-th step gets a frame, so the view shows at most ~MAX_FPS
    pictures per second whatever the training speed.
    Only the scalar view gets frames; the neuron view of bigger nets is drawn from its snapshots.
    """

    def __init__(self, every: int = 10, limit: int = 200) -> None:
        super().__init__(every, limit)
        self.frames: deque[Frame] = deque(maxlen=MAX_FRAMES)
        self.frame_every = 1
        self._seen: deque[tuple[float, int]] = deque()  # (time, step) of recent steps, for the rate
        self.wall_rate: float | None = None  # the page's wall-clock steps per second (ui.steps_per_second), if known
        self._layouts: dict[str, Layout] = {}
        self._view: tuple[object, str, int] = (None, "", 0)  # (architecture key, view, scalar nodes)
        self._run: tuple[int, object] | None = None
        self._frame_at = -math.inf
        self._key_of: tuple[G.Snapshot | None, str] = (None, "")

    def rate(self) -> float | None:
        """Training steps per wall-clock second: ``wall_rate`` when the page knows it, else over the recorded steps
        of the last RATE_WINDOW seconds once they span half a second (None before).

        Steps come in bursts, one per tick; measured from step to step, the first tick alone would give its
        in-tick rate (~10× the real one), so only a measure over several ticks counts.
        """
        if self.wall_rate is not None:
            return self.wall_rate
        if len(self._seen) < 2:
            return None
        (t0, s0), (t1, s1) = self._seen[0], self._seen[-1]
        return (s1 - s0) / (t1 - t0) if t1 - t0 > 0.5 and s1 > s0 else None

    def _pace(self, step: int) -> bool:
        """Note a training step; True if it gets a frame (every ``frame_every`` steps, ~MAX_FPS per second)."""
        now = time.perf_counter()
        if self._seen and step < self._seen[-1][1]:
            self._seen.clear()
        self._seen.append((now, step))
        while len(self._seen) > 2 and now - self._seen[0][0] > RATE_WINDOW:
            self._seen.popleft()
        r = self.rate()
        if r is not None:
            self.frame_every = max(1, math.ceil(r / self.max_fps))
            return step % self.frame_every == 0
        if now - self._frame_at >= 1 / self.max_fps:  # the rate is not known yet: throttle by time
            self._frame_at = now
            return True
        return False

    def take(self, trainer, force: bool = False) -> bool:
        """Snapshot as SnapshotSeries does; a forced snapshot (pause, step, the page's own run) also gets a frame."""
        took = super().take(trainer, force)
        if force:
            self.record(trainer, force=True)
        return took

    def record(self, trainer, force: bool = False) -> None:
        """Record a frame every ``frame_every`` steps, or when forced (the Graph page's tick calls it after each step).

        Only the page that shows the frames records them: the Train page's ticks take snapshots but no frames.
        """
        step = trainer.step_count
        view = self._view_of(trainer)
        due = force or self._pace(step)
        if view != "scalar":
            return
        run = (id(trainer), self._view[0])
        if run != self._run or (self.frames and self.frames[-1].step > step):
            self.frames.clear()  # a new run or another architecture: older frames belong to another graph
            self._run = run
        if due or not self.frames:
            try:
                x, y = self.example(trainer.dataset)
            except ValueError:  # the example no longer fits the data: the page says so; training goes on
                return
            last = self._taken[-1].built if self._taken and self._taken[-1].step == step else None
            if isinstance(last, G.Snapshot) and (last.x, last.y) == (x, y):  # already traced: reuse it
                self.frames.append(frame_of(last))
            else:
                self.frames.append(frame_now(trainer, x, y))

    def _view_of(self, trainer) -> str:
        task = getattr(trainer, "task", None)
        key = (id(trainer.model), tuple(trainer.model.sizes), trainer.config.loss, task)
        if self._view[0] != key:
            model, loss = trainer.model, trainer.config.loss
            self._view = (key, G.choose_view(model, loss, task)[0], G.graph_size(model, loss, task))
        return self._view[1]

    @property
    def max_fps(self) -> float:
        """Frames per second at most: MAX_FPS up to FULL_FPS_NODES nodes, then inversely to the node count."""
        n = self._view[2]
        return MAX_FPS if n <= FULL_FPS_NODES else MAX_FPS * BIG_GRAPH_NODES / n

    def layout_of(self, snap: G.Snapshot) -> Layout:
        """The layout of snap's architecture, computed once and kept."""
        if self._key_of[0] is not snap:  # hashing the shape costs a few ms: once per snapshot
            self._key_of = (snap, snap_key(snap))
        key = self._key_of[1]
        if key not in self._layouts:
            self._layouts = {key: layout_snapshot(snap)}  # one architecture at a time
        return self._layouts[key]

    def since(self, seq: int) -> list[Frame]:
        """Frames newer than frame number seq, oldest first."""
        return [f for f in self.frames if f.seq > seq]


def snap_key(snap: G.Snapshot) -> str:
    """The shape key of a snapshot's graph (same as its layout's key)."""
    from micrograd.views.layout import shape_key

    return shape_key([nd.kind for nd in snap.nodes], [nd.op for nd in snap.nodes], list(snap.edges))
