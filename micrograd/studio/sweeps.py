"""Sweeps: a base RunConfig plus axes, expanded to trials (a grid or N random samples, each with S seeds).

``run_trial`` is what a Dask worker runs (workers import this module; ``--preload`` does it at start-up). The
driver that submits the trials and records their results is micrograd.studio.sweep_driver.
"""

from __future__ import annotations

import itertools
import math
import time
from dataclasses import dataclass, field, fields
from typing import Any

from micrograd.studio.config import ConfigError, RunConfig
from micrograd.studio.status import Status

MAX_TRIALS = 1000
MAX_SEEDS = 100
MODES = ("grid", "random")
NO_BUDGET_IN_SWEEP = (
    "steps 0 means no budget (train until Pause), but a sweep's trials run unattended and must end: "
    "give steps a budget of 1 or more"
)
# a sweep trains with the compiled engine, and on built-in data (a worker may not see an uploaded file)
AXIS_FIELDS = tuple(
    f.name for f in fields(RunConfig) if f.name not in ("engine", "csv", "label_column", "feature_columns")
)


def topic(token: str) -> str:
    """The Dask event topic a sweep's trials announce their start on."""
    return f"micrograd-sweep-{token}"


def cancel_event(token: str) -> str:
    """The name of the Dask Event that asks a sweep's running trials to stop."""
    return f"micrograd-sweep-{token}-cancel"


class SweepError(ValueError):
    """A sweep that cannot run; the message lists every problem and says what to change."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("; ".join(problems))


def kind(name: str) -> str:
    """How an axis over this RunConfig field is read: 'int', 'float', 'str' or 'layers'."""
    if name == "layers":
        return "layers"
    types = {f.name: str(f.type) for f in fields(RunConfig)}
    if name not in types or name not in AXIS_FIELDS:
        raise SweepError([f"{name!r} cannot be swept; the axes are: {', '.join(AXIS_FIELDS)}"])
    t = types[name]
    return "int" if t.startswith("int") else "float" if t.startswith("float") else "str"


def _number(name: str, text: str, k: str) -> float | int:
    try:
        x = float(text)
    except ValueError:
        raise SweepError([f"{name}: {text.strip()!r} is not a number"]) from None
    if k == "int":
        if x != int(x):
            raise SweepError([f"{name}: {text.strip()!r} is not a whole number"])
        return int(x)
    return x


@dataclass
class Axis:
    """The values one field takes: a list, or a range low:high with count points (geometric when log)."""

    name: str
    values: list = field(default_factory=list)
    low: float | None = None
    high: float | None = None
    count: int = 0
    log: bool = False

    @classmethod
    def parse(cls, name: str, text: str) -> Axis:
        """From text: '0.01,0.1,1'; a range 'low:high:count' or 'low:high:count:log'; layers '4 16 16,16' (or 16-16)."""
        k, text = kind(name), str(text).strip()
        if not text:
            raise SweepError([f"{name}: give at least one value"])
        if k == "layers":
            try:
                # a shape's sizes joined by commas or, as in the sidebar and a link, by dashes (16,16 or 16-16)
                shapes = [
                    [int(n) for n in s.replace("-", ",").split(",") if n.strip()]
                    for s in text.replace(";", " ").split()
                ]
            except ValueError:
                raise SweepError([f"layers: {text!r} is not a list of shapes like '4 16 16,16'"]) from None
            return cls(name, [s for s in shapes if s] or [[]])
        if ":" in text and k != "str":
            parts = [p.strip() for p in text.split(":")]
            log = len(parts) == 4 and parts[3].lower() == "log"
            if len(parts) not in (3, 4) or (len(parts) == 4 and not log):
                raise SweepError([f"{name}: a range is low:high:count or low:high:count:log, got {text!r}"])
            low, high = float(_number(name, parts[0], "float")), float(_number(name, parts[1], "float"))
            count = int(_number(name, parts[2], "int"))
            if not 1 <= count <= MAX_TRIALS:
                raise SweepError([f"{name}: the range's count must be 1 to {MAX_TRIALS}, got {count}"])
            if low > high or (log and low <= 0):
                raise SweepError([f"{name}: a range needs low <= high{' and low > 0 (log)' if log else ''}"])
            return cls(name, low=low, high=high, count=count, log=log)
        values = [t.strip() for t in text.split(",") if t.strip()]
        if not values:  # only commas: no value, so no trial
            raise SweepError([f"{name}: give at least one value"])
        return cls(name, values if k == "str" else [_number(name, v, k) for v in values])

    def grid(self) -> list:
        """The axis' values in order, duplicates removed."""
        if self.low is None or self.high is None:
            vals = list(self.values)
        elif self.count == 1:
            vals = [self.low]
        elif self.log:
            a, b = math.log(self.low), math.log(self.high)
            vals = [math.exp(a + (b - a) * i / (self.count - 1)) for i in range(self.count)]
        else:
            vals = [self.low + (self.high - self.low) * i / (self.count - 1) for i in range(self.count)]
        if self.low is not None:  # 0.0316, not 0.0316227766: as few digits as keep the values apart (3 at least)
            if kind(self.name) == "int":
                vals = [round(v) for v in vals]
            else:
                apart = len({float(f"{v:.12g}") for v in vals})  # 0.001, not 0.0010000000000000002
                vals = next(r for d in range(3, 13) if len(set(r := [float(f"{v:.{d}g}") for v in vals])) == apart)
        out = []
        for v in vals:
            if v not in out:
                out.append(v)
        return out

    def sample(self, rng) -> Any:
        """One random value: uniform over a range (log-uniform when log), else one of the listed values."""
        if self.low is None or self.high is None:
            return self.values[int(rng.integers(len(self.values)))]
        if self.log:
            v = math.exp(rng.uniform(math.log(self.low), math.log(self.high)))
        else:
            v = float(rng.uniform(self.low, self.high))
        return round(v) if kind(self.name) == "int" else float(f"{v:.12g}")

    def text(self) -> str:
        """The axis as text that ``parse`` reads back."""
        if self.low is not None:
            return f"{self.low:g}:{self.high:g}:{self.count}" + (":log" if self.log else "")
        if kind(self.name) == "layers":
            return " ".join(",".join(map(str, s)) for s in self.values)
        return ",".join(f"{v:g}" if isinstance(v, float) else str(v) for v in self.values)

    def size(self) -> int:
        """How many values the grid takes."""
        return len(self.grid())


@dataclass
class Trial:
    """One training run of a sweep: its position, its full configuration and its axis values."""

    index: int
    config: dict
    axes: dict


def label(value: Any) -> str:
    """An axis value as text (layers as '16,16')."""
    if isinstance(value, list):
        return ",".join(map(str, value)) or "none"
    return f"{value:g}" if isinstance(value, float) else str(value)


@dataclass
class SweepSpec:
    """A sweep: the base configuration, its axes, grid or random sampling, and seeds per configuration."""

    base: dict = field(default_factory=lambda: RunConfig().to_dict())
    axes: list[Axis] = field(default_factory=list)
    mode: str = "grid"
    samples: int = 10  # configurations drawn in random mode
    seeds: int = 1  # each configuration trained with seed, seed+1, ...
    sample_seed: int = 0  # the random draw of the configurations
    name: str = ""

    def configurations(self) -> list[dict]:
        """The axis values of every configuration (before seeds), grid order or as drawn."""
        if self.mode == "random":
            import numpy as np

            rng = np.random.default_rng(self.sample_seed)
            return [{a.name: a.sample(rng) for a in self.axes} for _ in range(self.samples)]
        grids = [a.grid() for a in self.axes]
        return [dict(zip([a.name for a in self.axes], combo)) for combo in itertools.product(*grids)]

    def size(self) -> int:
        """The number of trials, computed without expanding the grid."""
        n = self.samples if self.mode == "random" else math.prod(a.size() for a in self.axes)
        return n * self.seeds

    def describe(self) -> str:
        """E.g. '3 lr × 2 activation = 6 configurations × 3 seeds = 18 trials'."""
        if self.mode == "random":
            head = f"{self.samples} random configurations"
        else:
            dims = " × ".join(f"{a.size()} {a.name}" for a in self.axes) or "the base configuration"
            n = math.prod(a.size() for a in self.axes)
            head = f"{dims} = {n} configuration{'s' * (n != 1)}"
        size = self.size()
        return f"{head} × {self.seeds} seed{'s' * (self.seeds != 1)} = {size:,} trial{'s' * (size != 1)}"

    def problems(self) -> list[str]:
        """Everything that stops this sweep from running, as sentences ([] when it can run)."""
        p = []
        if self.mode not in MODES:
            p.append(f"mode must be grid or random, got {self.mode!r}")
        names = [a.name for a in self.axes]
        p += [f"{n} is given twice; one axis per setting" for n in sorted({n for n in names if names.count(n) > 1})]
        if not isinstance(self.seeds, int) or not 1 <= self.seeds <= MAX_SEEDS:
            p.append(f"seeds must be a whole number from 1 to {MAX_SEEDS}, got {self.seeds!r}")
        if self.mode == "random" and (not isinstance(self.samples, int) or not 1 <= self.samples <= MAX_TRIALS):
            p.append(f"random search needs 1 to {MAX_TRIALS} samples, got {self.samples!r}")
        if p:
            return p
        size = self.size()
        if size == 0:
            return [f"this sweep has no trials ({self.describe()}); give every axis at least one value"]
        if size > MAX_TRIALS:
            return [
                f"this sweep has {size:,} trials ({self.describe()}); at most {MAX_TRIALS:,} run at once. "
                "Use fewer values per axis, fewer seeds, or random search with fewer samples"
            ]
        try:
            RunConfig.from_dict(self.base)
        except ConfigError as e:
            return [f"base configuration: {x}" for x in e.problems]
        for axes in self.configurations():
            where = " ".join(f"{k}={label(v)}" for k, v in axes.items())
            try:
                config = RunConfig.from_dict({**self.base, **axes, "engine": "compiled"})
            except ConfigError as e:
                return [f"{where}: {x}" for x in e.problems]
            if config.steps == 0:
                return [f"{where + ': ' if 'steps' in axes else ''}{NO_BUDGET_IN_SWEEP}"]
        return []

    def trials(self) -> list[Trial]:
        """Every trial: each configuration with seeds seed, seed+1, ... (SweepError if the sweep cannot run)."""
        p = self.problems()
        if p:
            raise SweepError(p)
        out: list[Trial] = []
        for axes in self.configurations():
            config = {**self.base, **axes, "engine": "compiled"}
            for k in range(self.seeds):
                seeded = {**config, "seed": int(config["seed"]) + k}
                out.append(Trial(len(out), seeded, dict(axes)))
        return out

    def to_dict(self) -> dict:
        """A JSON-able copy (what the run store keeps as the sweep's spec)."""
        d = {k: getattr(self, k) for k in ("base", "mode", "samples", "seeds", "sample_seed", "name")}
        d["axes"] = [{k: getattr(a, k) for k in ("name", "values", "low", "high", "count", "log")} for a in self.axes]
        return d

    @classmethod
    def from_dict(cls, d: dict) -> SweepSpec:
        """Build from ``to_dict()``'s output."""
        d = dict(d)
        d["axes"] = [Axis(**a) for a in d.get("axes", [])]
        return cls(**d)


def _announce(token: str | None, index: int) -> Any:
    """Tell the driver this trial started (a Dask event); return the sweep's cancel Event, or None off a worker."""
    if token is None:
        return None
    try:
        from distributed import Event, get_worker

        worker = get_worker()
    except (ImportError, ValueError):  # not on a Dask worker (a serial run, a test)
        return None
    worker.log_event(topic(token), {"index": index, "state": "started", "worker": worker.address})
    return Event(cancel_event(token))


TRIAL_BATCH = 64  # a trial's steps measured together (Trainer.batch)


def run_trial(config: dict, token: str | None = None, index: int = 0, check_every: float = 0.5) -> dict:
    """Train one configuration to the end of its budget; the result dict is what the run store records.

    On a Dask worker, for the sweep whose driver chose ``token``: it announces its start and stops early (status 'cancelled') once the sweep's cancel
    event is set, checked every ``check_every`` seconds. It never raises: a failure is a result with status
    'failed' and the reason.
    """
    from micrograd.studio.trainer import Trainer
    from micrograd.studio.weights import weights_of

    t0 = time.perf_counter()
    base = {"index": index, "steps": [], "metrics": {"step": 0}, "weights": None, "config": config, "data": None}
    try:
        if config.get("steps") == 0:  # SweepSpec refuses it; a trial sent another way must not train forever
            raise ConfigError([NO_BUDGET_IN_SWEEP])
        cancel = _announce(token, index)
        trainer = Trainer(RunConfig.from_dict(config))
    except Exception as e:  # a configuration the trainer refuses, data that cannot be made
        return {**base, "status": "failed", "message": f"{type(e).__name__}: {e}", "wall_seconds": 0.0}
    status, message, last_check = None, "", time.perf_counter()
    while not trainer.done and status is None:
        with trainer.batch():  # measured TRIAL_BATCH steps at a time: the same records in less time
            for _ in range(TRIAL_BATCH):
                trainer.step()
                if trainer.done:
                    break
                if cancel is not None and time.perf_counter() - last_check >= check_every:
                    last_check = time.perf_counter()
                    if cancel.is_set():
                        steps = f"{trainer.step_count} of {trainer.config.steps}"
                        status, message = "cancelled", f"cancelled after {steps} steps"
                        break
    if status is None:  # the trainer's own final status (a Status: finished, diverged or failed), as plain text
        final = trainer.status if trainer.status in (Status.FINISHED, Status.DIVERGED, Status.FAILED) else "finished"
        status, message = Status(final).value, trainer.message
    return {
        **base,
        "status": status,
        "message": message,
        "steps": trainer.history,
        "metrics": trainer.metrics() if trainer.history else {"step": 0},
        "weights": weights_of(trainer),
        "config": trainer.config.to_dict(),
        "data": trainer.dataset.summary(),
        "wall_seconds": time.perf_counter() - t0,
    }


def warm_up() -> None:
    """Import what a trial needs (scikit-learn's datasets, the trainer, the compiled engine)."""
    import sklearn.datasets  # noqa: F401

    from micrograd.fast import compiled  # noqa: F401
    from micrograd.studio import datasets, recording, trainer, weights  # noqa: F401


def dask_setup(worker: Any) -> None:
    """Warm a new Dask worker (it loads this module with --preload): the imports a first trial would wait for.

    Importing scikit-learn takes seconds (over ten on a loaded machine). A background thread does it, so the
    worker registers at once (the nanny gives up on a worker slow to start) and a first trial that arrives early
    waits on Python's import lock instead of importing again.
    """
    import threading

    threading.Thread(target=warm_up, name="micrograd-warm-up", daemon=True).start()
