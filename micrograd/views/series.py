"""A series of one example's graph snapshots taken during training, each traced the first time it is read.

Training records a snapshot every ``every`` steps; only the weights are copied then (a few µs), and the scalar or
neuron graph is built from them when a page reads the snapshot, so a run on a page that never shows the graph
pays nothing for it. A forced snapshot (a pause, a step, the Graph page's own run) is built at once, so an example
that does not fit is reported where it was asked for.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import overload

from micrograd.nn import MLP
from micrograd.studio.copying import copy_model
from micrograd.views.graph import Label, NeuronSnapshot, Snapshot, choose_view, neuron_snapshot, snapshot
from micrograd.views.graph_task import label_of


@dataclass
class _Taken:
    """What tracing a snapshot needs: the step, the example, the loss tail and the weights at that step."""

    step: int
    x: tuple[float, ...]
    y: Label
    loss: str
    names: tuple[str, ...] | None
    task: str | None
    view: str
    params: tuple[float, ...]
    built: Snapshot | NeuronSnapshot | None = None


def _trace(t: _Taken, model: MLP) -> Snapshot | NeuronSnapshot:
    """The snapshot t describes, traced on model (which holds t's weights), in t's view."""
    make = snapshot if t.view == "scalar" else neuron_snapshot
    return make(model, t.x, t.y, t.loss, t.step, t.names, t.task)


class Snapshots(Sequence):
    """The series' snapshots, oldest first: a read-only sequence that traces each one on first access."""

    def __init__(self, series: SnapshotSeries) -> None:
        self._series = series

    def __len__(self) -> int:
        return len(self._series._taken)

    @overload
    def __getitem__(self, i: int) -> Snapshot | NeuronSnapshot: ...
    @overload
    def __getitem__(self, i: slice) -> list[Snapshot | NeuronSnapshot]: ...
    def __getitem__(self, i):
        if isinstance(i, slice):
            return [self[k] for k in range(*i.indices(len(self)))]
        return self._series._build(i)


class SnapshotSeries:
    """Snapshots of one example's graph every ``every`` training steps, oldest dropped past ``limit``.

    Each snapshot is the scalar or neuron view that ``choose_view`` picks; the weights at that step are kept too,
    so a neuron of an old snapshot can still be opened. Plain data only, cheap to keep in session state.
    """

    def __init__(self, every: int = 10, limit: int = 200) -> None:
        self.every = every
        if not (isinstance(limit, int) and limit >= 1):
            raise ValueError(f"limit must be a whole number >= 1, got {limit!r}")
        self.limit = limit
        self.index: int | None = 0  # training point to trace; None when x and y were typed
        self.x: tuple[float, ...] | None = None
        self.y: Label | None = None
        self._taken: list[_Taken] = []
        self._shape: tuple | None = None  # the graph's shape: a new shape starts the series over
        self._template: MLP | None = None  # a copy of the model, for model_at
        self._trainer_id: int | None = None

    @property
    def snapshots(self) -> Snapshots:
        """The snapshots, oldest first (each traced when first read)."""
        return Snapshots(self)

    def steps(self) -> list[int]:
        """The step of each snapshot, oldest first, without tracing any."""
        return [t.step for t in self._taken]

    @property
    def every(self) -> int:
        """Take a snapshot when the step count is a multiple of this."""
        return self._every

    @every.setter
    def every(self, n: int) -> None:
        if isinstance(n, bool) or not isinstance(n, int) or n < 1:
            raise ValueError(f"every must be a whole number of steps >= 1, got {n!r}")
        self._every = n

    def __len__(self) -> int:
        return len(self._taken)

    def set_example(self, x: Sequence[float] | None = None, y: Label | None = None, index: int | None = None) -> None:
        """Trace training point ``index`` (read from the trainer's data at each snapshot), or typed x and y."""
        if index is not None:
            if isinstance(index, bool) or not isinstance(index, int) or index < 0:
                raise ValueError(f"the example index must be a whole number >= 0, got {index!r}")
            self.index, self.x, self.y = index, None, None
            return
        if x is None or y is None:
            raise ValueError("give either a training point's index, or the example's coordinates x and its label y")
        xs, label = tuple(float(v) for v in x), label_of(y)
        if not xs or not all(math.isfinite(v) for v in xs + (label if isinstance(label, tuple) else (label,))):
            raise ValueError(f"the example's coordinates and label must be finite numbers, got x={x!r}, y={y!r}")
        self.index, self.x, self.y = None, xs, label

    def example(self, dataset) -> tuple[tuple[float, ...], Label]:
        """(x, y) of the example on this dataset; raises ValueError if it does not fit the data."""
        if self.index is None:
            # set_example sets x and y whenever it sets index to None
            assert self.x is not None and self.y is not None
            if len(self.x) != dataset.n_features:
                raise ValueError(
                    f"the typed example has {len(self.x)} coordinates but the data has {dataset.n_features} features"
                )
            return self.x, self.y
        n = len(dataset.y_train)
        if self.index >= n:
            raise ValueError(f"training point {self.index} does not exist: the training set has points 0 to {n - 1}")
        return tuple(float(v) for v in dataset.X_train[self.index]), label_of(dataset.y_train[self.index])

    def clear(self) -> None:
        """Forget every snapshot (the example and ``every`` stay)."""
        self._taken, self._shape, self._template = [], None, None

    def take(self, trainer, force: bool = False) -> bool:
        """Snapshot the trainer's model on the example if the step is a multiple of ``every`` (or force).

        Never twice for the same step and example (one taken before moves to the end instead). A new trainer, an earlier step or a graph of another shape
        (architecture, activations, loss or view changed) clears the series first. Returns True if a snapshot was
        taken. Only forced snapshots are traced at once; the others when first read.
        """
        step = trainer.step_count
        if not force and step % self.every:
            return False
        x, y = self.example(trainer.dataset)
        new_run = id(trainer) != self._trainer_id or (self._taken and step < self._taken[-1].step)
        if new_run:
            self.clear()
            self._trainer_id = id(trainer)
        else:
            loss = trainer.config.loss  # a loss changed at the same step is another graph (QA: MSE stayed shown)
            same = None  # steps never decrease within a run: this step's snapshots are the newest ones
            for k in range(len(self._taken) - 1, -1, -1):
                t = self._taken[k]
                if t.step != step:
                    break
                if (t.x, t.y, t.loss) == (x, y, loss):
                    same = k
                    break
            if same == len(self._taken) - 1:
                return False
            if same is not None:  # an example chosen again at this step: its snapshot becomes the newest (shown)
                self._taken.append(self._taken.pop(same))
                return True
        model, loss, names = trainer.model, trainer.config.loss, trainer.dataset.feature_names
        task = getattr(trainer, "task", None)
        arch = (loss, task, tuple(model.sizes), tuple(layer.activation for layer in model.layers))
        if self._shape is None or self._shape[1:] != arch:  # the view follows from these (counting costs a trace)
            view = choose_view(model, loss, task)[0]
        else:
            view = self._shape[0]
        shape = (view, *arch)
        if shape != self._shape:
            self.clear()
            self._shape = shape
        if self._template is None:
            self._template = copy_model(model)
        names = tuple(names) if names is not None else None
        # a Trainer keeps its model's parameter list; walking the model for it costs more than copying the weights
        weights = getattr(trainer, "weights", None)  # a Trainer's vector: current inside a batch, and quicker
        params = tuple(weights().tolist() if weights else (p.data for p in model.parameters()))
        taken = _Taken(step, x, y, loss, names, task, view, params)
        if force:  # traced now, on the model itself: an example that does not fit raises here, not on a page
            getattr(trainer, "sync", lambda: None)()  # inside a batch the Values are written at its end
            taken.built = _trace(taken, model)
        self._taken.append(taken)
        if len(self._taken) > self.limit:
            del self._taken[0]
        return True

    def _build(self, i: int) -> Snapshot | NeuronSnapshot:
        t = self._taken[i]  # IndexError past the end, as a list's
        if t.built is None:
            t.built = _trace(t, self._model_with(t.params))
        return t.built

    def _model_with(self, params: tuple[float, ...]) -> MLP:
        assert self._template is not None  # take() keeps one from the first snapshot on
        model = copy_model(self._template)
        for p, v in zip(model.parameters(), params):
            p.data, p.grad = v, 0.0
        return model

    def model_at(self, i: int) -> MLP:
        """A copy of the model with the weights it had at snapshot i."""
        if not -len(self._taken) <= i < len(self._taken):
            raise IndexError(f"there are {len(self._taken)} snapshots; got index {i}")
        return self._model_with(self._taken[i].params)


def take_snapshot(series: object, trainer, force: bool = False) -> bool:
    """series.take(trainer, force) when series is a SnapshotSeries (init_state makes the session's), else nothing."""
    if not isinstance(series, SnapshotSeries):
        return False
    try:
        return series.take(trainer, force)
    except ValueError:  # the example no longer fits the data: the Graph page says so; training goes on
        return False
