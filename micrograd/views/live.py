"""Compact data for the live views: Python trains, the browser draws every step.

The browser component (ui/components/) keeps what it was sent and plays training steps back on
``requestAnimationFrame``; this module decides what to send. It never imports Streamlit.

Python API (shared by every live view; the Train page uses it as below)::

    feed = LiveFeed()                     # one per view and session (keep it in session state)
    feed.invalidate()                     # on every full script run: the element may be new (page switch,
                                          # reconnect), so the next update re-sends the static part and state
    for each training step:               # ui.tick(on_step=feed.record) calls this after every step
        feed.record(trainer)              # samples the step (score grid, network) if it falls on the rate
    update = feed.update(trainer, state=..., speed=...)   # a dict: only what changed since the last update
    payload, before_net = encode_measured(update)   # bytes for the component (micrograd.views.wire; decode())
    feed.sent(update, len(payload), before_net)    # the bytes the pictures took: the network picture's rate

An update is a dict with these keys (absent when there is nothing new):

- ``seq``, ``feed``: update counter and id of this feed (the browser skips repeats, notices gaps); ``reset``: True when the run changed
  (the browser drops its curves and buffered steps);
- ``static``: sent once per data / architecture / feature pair: axis extents, points (x, y, label, train/test),
  feature and class names, grid sizes, network geometry (layer sizes, neuron names), palette;
- ``frames``: the steps taken since the last update, oldest first, each ``{"step", "grid", "scores", "net"?}``:
  ``grid`` a GRID_N x GRID_N int8 picture of tanh(score) (row-major, y upwards; sign kept exactly, -128 = NaN),
  ``scores`` the points' scores at that step (float16). Other tasks (``static["task"]``, see
  micrograd.views.classes): K classes send ``grid`` as uint8 class | confidence << 4 and ``pred`` (uint8 per
  point; its confidence ``conf`` comes with ``net``); regression sends ``grid`` as int8 of the unscaled prediction on ``static["value_range"]`` (2 features
  or more) or ``curve`` (CURVE_N float32 predictions over x, one feature), and ``pred`` (float16, unscaled);
  ``net`` (every ``net_every``-th frame) each neuron's THUMB_N x THUMB_N activation picture over the boundary's
  plane (int8 of a / max|a| per neuron; a binary output as ``grid``) and the weights and biases (float32);
- ``metrics``: new metric points only (``step``, ``train_loss``, ``test_loss``, ``train_accuracy``,
  ``test_accuracy``; regression: ``train_r2``, ``test_r2``), every ``metric_every``-th once the history is long;
  ``metrics_lr``: each point's record's learning rate; ``next_metrics`` and ``next_lr``: the point the next step
  will record (the current weights' metrics; micrograd.views.curves);
- ``status``: ``state``, ``step`` (trained), ``budget`` (0: no budget), ``speed`` (steps/s asked), ``sps``
  (wall-clock), ``every`` (the step stride between frames), ``log_loss``, ``lr`` (the next step's learning rate),
  ``run`` (equal while the run and its picture stay: a re-sent static part of the same run keeps the frames
  playing), ``from`` (while running: the state key the run started from);
- ``ahead`` (while paused): ``{"from": state key, "frames": [...], "metrics": {...}, "metrics_lr": [...]}``, the
  next steps taken by a twin of the trainer; the browser plays them the moment Start is pressed, and keeps them
  only if the run's ``from`` matches.

Every picture is a real training step's, computed with micrograd.fast.numeric; the browser only paints.
Rates fit a byte budget: at most MAX_FRAMES_PER_SECOND boundary frames, and network pictures as often as the bytes
the boundary frames leave allow (micrograd.views.rates; docs/benchmarks.md has the measured bytes per second).
"""

from __future__ import annotations

import bisect
import math
import os
import time
from collections.abc import Sequence
from typing import Any, cast

import numpy as np

from micrograd.fast import numeric
from micrograd.studio.status import Status
from micrograd.views import classes, curves, palette
from micrograd.views.classes import quantise_tanh, quantise_unit  # the live views' int8 pictures
from micrograd.views.names import neuron_name
from micrograd.views.rates import FIRST_MEASURES, MEASURE_EVERY, NetRate, net_bytes  # noqa: F401  # net_bytes: live_net's too
from micrograd.views.wire import decode, encode, encode_measured  # noqa: F401  # the feed's format

GRID_N = 40  # boundary cells per side: ~0.6 KB per step after zlib (measured), smooth when scaled by the canvas
THUMB_N = 12  # activation-thumbnail cells per side (drawn at ~45 px)
MAX_FRAMES_PER_SECOND = 60  # one picture per animation frame at most
PALETTE = {
    "positive": palette.POSITIVE,
    "negative": palette.NEGATIVE,
    "zero": palette.ZERO,
    "nan": palette.NAN,
    "test": "#000000",
}
CURVE_N = 120  # points of a one-feature regression's fitted curve
CONF_EVERY_FRAME = 500  # multiclass: up to this many points, each frame has their confidence (else every net frame)
MAX_TIP_FEATURES = 10  # the points' features are sent for the tooltip up to this many features
AHEAD_SECONDS = 1.1  # while paused: the steps Start plays before the server's first tick (ui.TICK_SECONDS, 1 s, on)
AHEAD_BUDGET = 0.1  # seconds of server time those steps may take
AHEAD_MIN = 3  # steps taken whatever the budget (a busy machine still gives Start something to play at once)


def plane_points(X: np.ndarray, i: int, j: int | None, n: int) -> tuple[tuple, tuple, np.ndarray]:
    """(x extent, y extent, inputs): an n x n grid over features i, j (others held at 0), row-major, y upwards."""
    from micrograd.views.plots import span  # plotly loads only when a view is built

    xr = span(X[:, i])
    yr = span(X[:, j]) if j is not None else (-1.5, 1.5)
    _, _, pts = numeric.grid(xr, yr, n)
    inputs = np.zeros((len(pts), X.shape[1]))  # 0 is each feature's mean after standardisation
    inputs[:, i] = pts[:, 0]
    if j is not None:
        inputs[:, j] = pts[:, 1]
    return xr, yr, inputs


def _value_name(d, task: str) -> str:
    """The y axis of one-feature data: the regression target's own name (as the legend says it), else the label."""
    if task != "regression":
        return "label"
    return d.class_names[0] if d.class_names else "target"


def _neuron_names(sizes: Sequence[int]) -> list[list[str]]:
    return [[neuron_name(li, j, len(sizes) - 1) for j in range(n)] for li, n in enumerate(sizes[1:])]


class LiveFeed:
    """What one live view has been sent, and the steps recorded since; see the module docstring."""

    def __init__(self, grid_n: int = GRID_N, thumb_n: int = THUMB_N) -> None:
        self.grid_n, self.thumb_n = grid_n, thumb_n
        self.pair: tuple[int, int | None] = (0, 1)
        self.seq = 0
        self.id = os.urandom(4).hex()  # with seq, tells the browser a payload it has already seen
        self._static_key: tuple | None = None
        self._held_key: tuple | None = None  # the static key the recorded frames belong to
        self._frames: list[dict] = []
        self._last_step = -1  # newest step with a frame (sent or pending)
        self._metric_step = 0  # step of the last metric point sent (the history is thinned when long: not an index)
        self._inputs: np.ndarray | None = None  # grid inputs of the current static part
        self._thumb_inputs: np.ndarray | None = None
        self._X: np.ndarray | None = None  # train then test points
        self._net_at = -(10**9)  # step of the last network frame
        self._task, self._mode = "binary", "binary"  # of the current static part
        self._scaling: dict | None = None  # regression: the targets' mean and std, to show values unscaled
        self._range: tuple[float, float] | None = None  # regression: the value range the colours span
        self.every, self.net_every, self.speed = 1, 1, 10.0
        self._rate = NetRate()  # the encoded sizes of a boundary frame and a network picture, as measured
        self._carried: tuple[int, int] | None = None  # (frames, network pictures) of the last running update
        self._run_from: str | None = None  # the state key of the trainer when the running run started

    # --- what the browser holds

    def invalidate(self) -> None:
        """The element may be new (a full run): the next update re-sends the static part and the current state."""
        self._static_key = None

    def note_run(self, trainer, running: bool) -> None:
        """Call before each tick: remembers the state a run starts from (the browser checks its steps ahead)."""
        if not running:
            self._run_from = None
        elif self._run_from is None:
            self._run_from = trainer.state_key()

    def set_pair(self, i: int, j: int | None) -> None:
        """Show features i (x) and j (y; None for one-feature data) in the boundary."""
        self.pair = (i, j)

    def set_speed(self, steps_per_second: float, sizes: Sequence[int]) -> None:
        """Choose the frame strides that keep a run at this speed inside the byte budget."""
        self.speed = max(float(steps_per_second), 1e-9)
        self.every = max(1, math.ceil(self.speed / MAX_FRAMES_PER_SECOND))
        self.net_every = self.every * self._rate.stride(self.speed / self.every, sizes, self.thumb_n)

    def _key(self, trainer) -> tuple:
        return (id(trainer), id(trainer.dataset), tuple(trainer.model.sizes), self.pair, self.grid_n, self.thumb_n)

    def _static(self, trainer) -> dict:
        from micrograd.views.plots import span

        d = trainer.dataset
        i, j = self.pair
        if d.n_features == 1:  # one feature: x only, whatever pair was asked for
            i, j = 0, None
        task = classes.task_of(d)
        self._X = np.vstack([d.X_train, d.X_test]) if len(d.y_test) else np.asarray(d.X_train)
        xr, yr, self._inputs = plane_points(self._X, i, j, self.grid_n)
        sizes = list(trainer.model.sizes)
        # thumbnails over the boundary's plane (other features at their mean); one feature: over x, in stripes
        _, _, self._thumb_inputs = plane_points(self._X, i, j, self.thumb_n)
        y = np.concatenate([d.y_train, d.y_test])
        points: dict[str, Any] = {"n_train": len(d.y_train)}
        self._scaling, self._range = getattr(d, "target_scaling", None), None
        k = len(d.class_names) if task == "multiclass" else 2
        if task == "regression":
            value = classes.targets(y, self._scaling)
            self._range = span(value[np.isfinite(value)]) if np.isfinite(value).any() else (-1.0, 1.0)
            points["target"] = np.round(value, 4).tolist()
            points["tq"] = classes.quantise_value(value, *self._range)
            label = value
        else:
            label = y.astype(int)
            points["label"] = label.tolist()
        if j is None and task != "binary":
            yr = (self._range or (-1.0, 1.0)) if task == "regression" else (-0.5, k - 0.5)
        mode = task if task != "regression" else ("curve" if j is None else "heat")
        if mode == "curve":  # one feature: the fitted curve over x, drawn as a line
            self._inputs = np.zeros((CURVE_N, self._X.shape[1]))
            self._inputs[:, i] = np.linspace(xr[0], xr[1], CURVE_N)
        py = self._X[:, j] if j is not None else label
        points["x"] = np.round(self._X[:, i], 4).tolist()
        points["y"] = np.round(py, 4).tolist()
        if d.n_features <= MAX_TIP_FEATURES:  # the tooltip lists every feature; wide data (digits) only the axes
            points["features"] = np.round(self._X, 4).tolist()
        self._task, self._mode = task, mode
        # a frame's one forward pass: grid cells, points, then (with a network picture) the thumbnails' cells
        self._rows_net = np.vstack([self._inputs, self._X, self._thumb_inputs])
        scaled = ", standardised" if getattr(d, "preprocessing", None) is not None else ""  # as the net sees them
        return {
            "task": task,
            "mode": mode,
            "x_range": list(xr),
            "y_range": list(yr),
            "x_name": d.feature_names[i] + scaled,
            "y_name": d.feature_names[j] + scaled if j is not None else _value_name(d, task),
            "x_index": i,
            "y_index": j,
            "points": points,
            "feature_names": list(d.feature_names),
            "class_names": list(d.class_names),
            "value_range": list(self._range) if self._range else None,
            "grid_n": self.grid_n,
            "curve_n": CURVE_N if mode == "curve" else 0,
            "thumb_n": self.thumb_n,
            "sizes": sizes,
            "activations": [layer.activation for layer in trainer.model.layers],
            "neurons": _neuron_names(sizes),
            "palette": PALETTE | {"classes": classes.class_palette(k), "draw": list(classes.CLASS_COLOURS)},
        }

    # --- per step

    def record(self, trainer) -> None:
        """Sample the step the trainer just took, if it falls on the frame stride (call after every step)."""
        k = trainer.step_count
        if self._inputs is None or k <= self._last_step or k % self.every:
            return
        self._frames.append(self._frame(trainer, k))

    def _frame(self, trainer, k: int, with_net: bool = False) -> dict:
        assert self._inputs is not None and self._X is not None  # set with the static part, which comes first
        layers = trainer.layers()  # the step's weights (inside a batch the Values are written at its end)
        frame: dict[str, Any] = {"step": k}
        net = with_net or k - self._net_at >= self.net_every or trainer.done
        # one pass over the grid, the points and (for a network picture) the thumbnails' cells, ~15 % cheaper than three:
        # BLAS may round a row's last bit differently in a taller matrix, far below the int8 and float16 sent
        m = len(self._inputs)
        n = m + len(self._X)
        outs = numeric.forward_all(layers, self._rows_net if net else self._rows_net[:n])
        grid, pts = outs[-1][:m], outs[-1][m:n]
        if self._task == "multiclass":
            frame["grid"] = classes.quantise_classes(grid)
            frame["pred"], conf = classes.point_classes(pts)
            if len(conf) <= CONF_EVERY_FRAME:  # the tooltip's class and its certainty then come from one step
                frame["conf"] = conf
        elif self._task == "regression":
            values = classes.unscale(grid, self._scaling)
            if self._mode == "curve":
                with np.errstate(over="ignore"):
                    frame["curve"] = values.astype(np.float32)
            else:
                lo, hi = self._range or (-1.0, 1.0)  # set with the static part of every regression view
                frame["grid"] = classes.quantise_value(values, lo, hi)
            frame["pred"] = _half(classes.unscale(pts, self._scaling))
        else:
            frame["grid"] = quantise_tanh(grid[:, 0])
            frame["scores"] = _half(pts[:, 0])
        if net:
            frame["net"] = self._net(layers, k, [o[n:] for o in outs])
            if self._task == "multiclass" and "conf" not in frame:  # many points: it travels with the network
                frame["net"]["conf"] = conf
        self._last_step = k
        return frame

    def _net(self, layers: list, k: int, outs: list[np.ndarray] | None = None) -> dict[str, Any]:
        """The network picture of step k: every weight and bias, and each neuron's activation thumbnail (from outs,
        each layer's outputs on the thumbnails' cells, if the caller has them)."""
        self._net_at = k
        w = np.concatenate([np.concatenate([L.weight.ravel(), L.bias]) for L in layers])
        with np.errstate(over="ignore"):  # a diverged run's huge weights become inf, as they are shown
            net: dict[str, Any] = {"weights": w.astype(np.float32)}
        outs = numeric.forward_all(layers, cast(np.ndarray, self._thumb_inputs)) if outs is None else outs
        # neuron by neuron (the hidden layers in one call), each scaled by its largest |a|; a binary net's output as
        # the boundary draws its score (QA)
        last = (quantise_tanh if self._task == "binary" else quantise_unit)(outs[-1]).T.ravel()
        net["thumbs"] = np.concatenate([quantise_unit(np.hstack(outs[:-1])).T.ravel(), last]) if len(outs) > 1 else last
        return net

    def update(
        self,
        trainer,
        *,
        state: str,
        sps: float | None = None,
        log_loss: bool = False,
        lr: float | None = None,
        ahead: bool = False,
    ) -> dict:
        """Everything the browser lacks: static part if new, the recorded steps, new metric points, status.

        ahead: when paused, also the next steps' frames (``ahead()``), for the browser to play when Start is pressed.
        """
        out: dict[str, Any] = {}
        key = self._key(trainer)
        if self._static_key is None or key != self._static_key:
            # a new element or a new static part: the browser starts over from this state (curves included)
            out["reset"] = True
            out["static"] = self._static(trainer)
            if key != self._held_key:  # frames of another run or picture are useless now
                self._frames, self._net_at, self._last_step = [], -(10**9), -1
                self._rate.reset()
            self._static_key = self._held_key = key
            self._metric_step = 0
        if self._last_step != trainer.step_count:  # the newest step is always shown (Pause plays out to it)
            self._frames.append(self._frame(trainer, trainer.step_count, state != Status.RUNNING))
        elif state != Status.RUNNING:
            # paused: the newest step again, with its network. A tick that Pause preempted may have built the update
            # that carried it and never sent it; the browser ignores a step it already has.
            frame = self._frame(trainer, trainer.step_count, True)
            if self._frames and self._frames[-1]["step"] == frame["step"]:
                self._frames[-1] = frame
            else:
                self._frames.append(frame)
        if out.get("reset") and (not self._frames or "net" not in self._frames[-1]):
            # the browser starts over: it gets the current step in full, even if it was sent before
            frame = self._frame(trainer, trainer.step_count, True)
            self._frames = [f for f in self._frames if f["step"] < frame["step"]] + [frame]
        if self._frames:
            out["frames"], self._frames = self._frames, []
        if ahead and state != Status.RUNNING:
            next_steps = self.ahead(trainer, math.ceil(self.speed * AHEAD_SECONDS))
            if next_steps:
                out["ahead"] = next_steps
        frames = out.get("frames", [])
        plain = state == Status.RUNNING and "static" not in out and "ahead" not in out  # pictures, little else
        self._carried = (len(frames), sum("net" in f for f in frames)) if plain else None
        metrics = self._new_metrics(trainer.history)
        if metrics:
            out["metrics"], out["metrics_lr"] = metrics
        upcoming = self._next_metrics(trainer)
        if upcoming:
            out["next_metrics"], out["next_lr"] = upcoming
        self.seq += 1
        out["seq"], out["feed"] = self.seq, self.id
        out["status"] = {
            "state": state,
            "step": trainer.step_count,
            "budget": trainer.config.steps,
            "speed": self.speed,
            "sps": sps,
            "every": self.every,
            "net_every": self.net_every,
            "log_loss": bool(log_loss),
            "lr": curves.finite(lr),
            "run": f"{hash(self._static_key) & 0xFFFFFFFF:08x}",  # equal while the run and its picture stay
            "from": self._run_from,
        }
        return out

    def sent(self, update: dict, nbytes: int, without: int | None = None) -> None:
        """``update`` went out encoded in ``nbytes``, ``without`` of them before its network pictures (as
        encode_measured gives; None: encoded again without them). While running, one update in MEASURE_EVERY is
        measured: the two sizes set how often the network picture travels (NetRate)."""
        carried, self._carried = self._carried, None
        if carried is None or (self._rate.measures >= FIRST_MEASURES and self.seq % MEASURE_EVERY):
            return
        if without is None:
            frames = [{k: v for k, v in f.items() if k != "net"} for f in update.get("frames", [])]
            without = len(encode(update | {"frames": frames}))
        self._rate.see_update(nbytes, without, *carried)

    def ahead(self, trainer, steps: int) -> dict | None:
        """The frames of the next ``steps`` steps, taken by a twin of the trainer (which stays untouched).

        Start plays them at once while the server starts the run; its first update names the state the run
        started from (``status["from"]``), and the browser drops them unless it is ``"from"`` here. The scalar
        engine sends none (too slow to take steps on spec). Steps past the first AHEAD_MIN stop after AHEAD_BUDGET seconds.
        """
        if self._inputs is None or trainer.done or trainer.config.engine != "compiled" or steps < 1:
            return None
        key, twin = trainer.state_key(), trainer.fork()
        saved, frames, t0 = (self._net_at, self._last_step), [], time.perf_counter()
        try:
            with twin.batch():
                for n in range(1, steps + 1):
                    if twin.step() is None:
                        break
                    if twin.step_count % self.every == 0 or twin.done:  # the frames record() and update() would send
                        frames.append(self._frame(twin, twin.step_count))
                    if twin.done or (n >= AHEAD_MIN and time.perf_counter() - t0 > AHEAD_BUDGET):
                        break
        finally:
            self._net_at, self._last_step = saved
        if not frames:
            return None
        # their metric points too, so the numbers and curves move with the pictures from the first one
        stride = curves.curve_stride(len(trainer.history) + len(twin.history))
        rows = [r for i, r in enumerate(twin.history) if r["step"] % stride == 0 or i == len(twin.history) - 1]
        last = curves.next_row(twin)  # the numbers of the last picture ahead, too
        metrics, rates = curves.points(rows if last is None else [*rows, last], self._task)
        return {"from": key, "frames": frames, "metrics": metrics, "metrics_lr": rates}

    def _new_metrics(self, history: Sequence[dict]) -> curves.Points | None:
        newest = history[-1]["step"] if history else 0
        after = self._metric_step if self._metric_step <= newest else 0  # shorter: the run was replaced
        start = bisect.bisect_right(history, after, key=lambda r: r["step"])
        self._metric_step = newest
        return curves.new_points(history, start, self._task)

    def _next_metrics(self, trainer) -> curves.Points | None:
        return curves.next_point(trainer, self._task)


def _half(v: np.ndarray) -> np.ndarray:
    """float16 of values, clipped to its finite range (NaN stays NaN)."""
    return np.clip(np.asarray(v, dtype=float), -6e4, 6e4).astype(np.float16)
