"""Training runs: a validated configuration and a trainer that the UI ticks one step at a time."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, fields
from typing import Any

import numpy as np

from micrograd import losses, numeric
from micrograd.engine import gc_paused
from micrograd.nn import ACTIVATIONS, INITS, MLP
from micrograd.optim import SCHEDULES, SGD, number_problem, schedule
from micrograd.runs import STEP_KEYS  # noqa: F401 - the record keys, defined once (the store is stdlib-only)

ENGINES = ("compiled", "scalar")
MAX_HIDDEN_LAYERS = 15  # with the output layer, the 16 layers a weights file may hold
MAX_WIDTH = 1024
MAX_PARAMETERS = 250_000  # what a weights file may hold (micrograd.export.MAX_PARAMETERS)
MAX_STEPS = 1_000_000
# Trainer.status values
READY, TRAINING, FINISHED, DIVERGED, FAILED = "ready", "training", "finished", "diverged", "error"


class ConfigError(ValueError):
    """A run configuration with problems; the message lists every one."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("; ".join(problems))


@dataclass
class RunConfig:
    """Everything that defines a training run. ``steps`` is the step budget; ``batch_size`` 0 is full batch."""

    dataset: str = "moons"
    samples: int | None = None  # None: the dataset's default
    noise: float | None = None
    test_fraction: float | None = None
    data_seed: int | None = None  # None: same as seed
    csv: str | None = None  # for dataset "csv": the file the data came from
    label_column: str | None = None
    feature_columns: list[str] | None = None
    layers: list[int] = field(default_factory=lambda: [16, 16])  # hidden layer sizes
    activation: str = "relu"
    init: str = "uniform"
    loss: str = "svm"
    lr: float = 1.0
    lr_end: float | None = 0.1
    schedule: str = "linear"
    momentum: float = 0.0
    l2: float = 1e-4
    batch_size: int = 0
    steps: int = 100
    seed: int = 1337
    engine: str = "compiled"

    def problems(self) -> list[str]:
        """Every problem with this configuration, as sentences ([] when it is valid)."""
        from micrograd.datasets import DATASETS, MAX_TEST_FRACTION, MIN_SAMPLES

        p = []
        if not isinstance(self.dataset, str):
            p.append(f"dataset must be a name, got {self.dataset!r}")
        elif self.dataset != "csv" and self.dataset not in DATASETS:
            p.append(f"dataset must be one of {', '.join(DATASETS)} or csv; got {self.dataset!r}")
        elif self.dataset != "csv":  # the generator's own limits, so a bad value is caught before any data is made
            spec = DATASETS[self.dataset]
            if self.samples is not None:
                p.append(number_problem("samples", self.samples, MIN_SAMPLES, spec.max_samples, integer=True))
            if self.noise is not None and spec.uses_noise:
                p.append(number_problem("noise", self.noise, 0.0, spec.noise_max))
        if self.test_fraction is not None:
            p.append(number_problem("test_fraction", self.test_fraction, 0.0, MAX_TEST_FRACTION))
        if self.dataset == "csv" and not self.csv:
            p.append("dataset csv needs a file (csv)")
        if not isinstance(self.layers, list) or len(self.layers) > MAX_HIDDEN_LAYERS:
            p.append(f"layers must be a list of at most {MAX_HIDDEN_LAYERS} hidden layer sizes, got {self.layers!r}")
        else:
            p += [number_problem(f"layers[{i}]", n, 1, MAX_WIDTH, integer=True) for i, n in enumerate(self.layers)]
        for name, allowed in (("activation", ACTIVATIONS), ("init", INITS), ("loss", tuple(losses.PER_EXAMPLE))):
            if getattr(self, name) not in allowed:
                p.append(f"{name} must be one of {', '.join(allowed)}; got {getattr(self, name)!r}")
        if self.schedule not in SCHEDULES:
            p.append(f"schedule must be one of {', '.join(SCHEDULES)}; got {self.schedule!r}")
        if self.engine not in ENGINES:
            p.append(f"engine must be one of {', '.join(ENGINES)}; got {self.engine!r}")
        p.append(number_problem("lr", self.lr, 0, 1000, low_open=True))
        if self.lr_end is not None:
            p.append(number_problem("lr_end", self.lr_end, 0, 1000))
        p.append(number_problem("momentum", self.momentum, 0, 0.999))
        p.append(number_problem("l2", self.l2, 0, 10))
        p.append(number_problem("batch_size", self.batch_size, 0, 1_000_000, integer=True))
        p.append(number_problem("steps", self.steps, 1, MAX_STEPS, integer=True))
        p.append(number_problem("seed", self.seed, 0, 2**32 - 1, integer=True))
        if self.data_seed is not None:
            p.append(number_problem("data_seed", self.data_seed, 0, 2**32 - 1, integer=True))
        return [x for x in p if x]

    def validate(self) -> RunConfig:
        """Return self, or raise ConfigError listing every problem."""
        p = self.problems()
        if p:
            raise ConfigError(p)
        return self

    def to_dict(self) -> dict:
        """A JSON-able copy."""
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> RunConfig:
        """Build from a dict such as ``to_dict()`` gave; unknown keys are an error, missing ones take defaults."""
        if not isinstance(d, dict):
            raise ConfigError([f"a run configuration must be an object, got {type(d).__name__}"])
        names = {f.name for f in fields(cls)}
        unknown = sorted(set(d) - names)
        if unknown:
            raise ConfigError([f"unknown configuration keys: {', '.join(unknown)}"])
        return cls(**d).validate()

    def replace(self, **changes: Any) -> RunConfig:
        """A validated copy with some fields changed."""
        return RunConfig.from_dict({**self.to_dict(), **changes})

    @property
    def dataset_seed(self) -> int:
        """The seed the data is drawn with: data_seed, or seed when none is given."""
        return self.seed if self.data_seed is None else self.data_seed

    def make_dataset(self):
        """The dataset this configuration names (a micrograd.datasets.Dataset)."""
        from micrograd import datasets

        seed = self.dataset_seed
        if self.dataset == "csv":
            return datasets.load_csv(
                self.csv,
                label_column=self.label_column,
                feature_columns=self.feature_columns,
                test_fraction=self.test_fraction or 0.0,
                seed=seed,
            )
        return datasets.make_dataset(self.dataset, self.samples, self.noise, self.test_fraction, seed)

    def make_model(self, nin: int) -> MLP:
        """A freshly initialised model for nin input features."""
        return MLP(nin, [*self.layers, 1], self.activation, init=self.init, seed=self.seed)

    @property
    def architecture(self) -> str:
        """Layer sizes without the input, e.g. '16-16-1'."""
        return "-".join(str(n) for n in [*self.layers, 1])


class Trainer:
    """Trains a model on a dataset one step at a time, reporting each step through ``on_step``.

    Each step records metrics measured before its update (as the original micrograd demo prints them):
    ``loss`` is the objective the step minimised (data loss on the batch + l2·Σp²); train/test loss and
    accuracy are the data loss and accuracy on the whole train/test sets, from a NumPy forward pass.
    """

    def __init__(
        self,
        config: RunConfig,
        dataset=None,
        model: MLP | None = None,
        on_step: Callable[[dict], None] | None = None,
    ) -> None:
        self.config = config.validate()
        self.dataset = dataset if dataset is not None else config.make_dataset()
        nin = self.dataset.X_train.shape[1]
        sizes = model.sizes if model is not None else [nin, *config.layers, 1]
        n_params = sum((a + 1) * b for a, b in zip(sizes, sizes[1:]))
        if n_params > MAX_PARAMETERS:  # checked before building: a million Values take seconds
            raise ConfigError(
                [
                    f"the network has {n_params:,} parameters; at most {MAX_PARAMETERS:,} fit in a weights file: "
                    "use fewer or narrower layers"
                ]
            )
        self.model = model if model is not None else config.make_model(nin)
        if self.model.sizes[0] != nin:
            raise ConfigError([f"the model takes {self.model.sizes[0]} inputs but the data has {nin} features"])
        self.on_step = on_step
        self.params = self.model.parameters()
        self.optimizer = SGD(self.params, lr=config.lr, momentum=config.momentum)
        self.history: list[dict] = []
        self.step_count = 0
        self.train_seconds = 0.0
        self.status = READY
        self.message = ""
        self._rng = np.random.default_rng(config.seed)
        self._order = np.arange(0)
        self._cursor = 0
        self._compiled = None

    # hyperparameters that change live, without re-initialising

    LIVE = ("lr", "lr_end", "schedule", "momentum", "l2", "batch_size", "steps", "engine", "loss")

    def update(self, **changes: Any) -> None:
        """Change live hyperparameters (see ``LIVE``); raises ConfigError and changes nothing if any is bad."""
        bad = sorted(set(changes) - set(self.LIVE))
        if bad:
            raise ConfigError([f"{', '.join(bad)} cannot change during a run; reset with a new configuration"])
        new = self.config.replace(**changes)
        if new.loss != self.config.loss:
            self._compiled = None  # re-trace the per-example loss
        self.config = new
        self.optimizer.momentum = new.momentum
        if self.status == FINISHED and self.step_count < new.steps:
            self.status = TRAINING

    def lr_at(self, k: int) -> float:
        """The learning rate of step k (0-based) under the current schedule."""
        c = self.config
        return schedule(c.schedule, c.lr, c.lr_end, c.steps)(k)

    @property
    def done(self) -> bool:
        """True when the budget is spent or the run cannot go on."""
        return self.status in (FINISHED, DIVERGED, FAILED) or self.step_count >= self.config.steps

    def _batch(self) -> np.ndarray:
        n = len(self.dataset.y_train)
        b = self.config.batch_size
        if b == 0 or b >= n:
            return np.arange(n)
        if self._cursor + b > len(self._order):  # a new epoch: reshuffle
            self._order = self._rng.permutation(n)
            self._cursor = 0
        idx = self._order[self._cursor : self._cursor + b]
        self._cursor += b
        return idx

    def _loss_and_grads(self, X: np.ndarray, y: np.ndarray) -> float:
        """Set every parameter's grad to d(objective)/dp on this batch; return the objective."""
        c = self.config
        if c.engine == "compiled":
            if self._compiled is None:
                from micrograd.compiled import CompiledLoss

                self._compiled = CompiledLoss(self.model, c.loss)
            loss, grads = self._compiled(X, y)
            if c.l2:
                w = np.array([p.data for p in self.params])
                with np.errstate(all="ignore"):  # a diverging run overflows here; the step reports it
                    loss += c.l2 * float(w @ w)
                    grads = grads + 2.0 * c.l2 * w
            for p, g in zip(self.params, grads.tolist()):
                p.grad = g
            return float(loss)
        self.optimizer.zero_grad()
        scores = [self.model(row) for row in X.tolist()]
        total = losses.batch_loss(c.loss, scores, y.tolist())
        if c.l2:
            total = total + c.l2 * losses.l2(self.params)
        total.backward()
        return total.data

    def evaluate(self) -> dict:
        """Data loss and accuracy on the train and test sets at the current weights."""
        layers = numeric.layers_of(self.model)
        d, name = self.dataset, self.config.loss
        tr = numeric.loss_and_accuracy(name, numeric.scores(layers, d.X_train), d.y_train)
        te = numeric.loss_and_accuracy(name, numeric.scores(layers, d.X_test), d.y_test)
        return {"train_loss": tr[0], "train_accuracy": tr[1], "test_loss": te[0], "test_accuracy": te[1]}

    def step(self) -> dict | None:
        """One optimisation step; returns its record, or None when the run is done. Never raises."""
        if self.done:
            if self.status in (READY, TRAINING):
                self.status = FINISHED
            return None
        k = self.step_count
        lr = self.optimizer.lr = self.lr_at(k)
        try:
            idx = self._batch()
            X, y = self.dataset.X_train[idx], self.dataset.y_train[idx]
            metrics = self.evaluate()
            t0 = time.perf_counter()
            with gc_paused():
                loss = self._loss_and_grads(X, y)
                grad_norm = math.sqrt(math.fsum(p.grad * p.grad for p in self.params))
                self.optimizer.step()
            seconds = time.perf_counter() - t0
        except Exception as e:  # a bug must not take the UI down; say what happened instead
            self.status, self.message = FAILED, f"Training stopped at step {k + 1}: {type(e).__name__}: {e}"
            return None
        self.train_seconds += seconds
        self.step_count = k + 1
        record = {"step": k + 1, "lr": lr, "loss": loss, **metrics, "grad_norm": grad_norm, "seconds": seconds}
        self.history.append(record)
        self.status = TRAINING
        bad = not math.isfinite(loss) or not math.isfinite(grad_norm)
        if bad or not all(math.isfinite(p.data) for p in self.params):
            what = f"the loss became {loss}" if not math.isfinite(loss) else "the weights became infinite or NaN"
            self.status = DIVERGED
            self.message = (
                f"Training diverged at step {k + 1}: {what}. Try a smaller learning rate "
                f"(this step used {lr:g}), then press Reset."
            )
        elif self.step_count >= self.config.steps:
            self.status = FINISHED
        if self.on_step is not None:
            self.on_step(record)
        return record

    def run(self, steps: int | None = None) -> str:
        """Take up to ``steps`` steps (default: to the end of the budget); returns the status."""
        n = self.config.steps if steps is None else steps
        for _ in range(n):
            if self.step() is None or self.done:
                break
        return self.status

    def metrics(self) -> dict:
        """The metrics block of the weights file: at the current weights."""
        finite = self.status != DIVERGED
        m = self.evaluate() if finite else dict.fromkeys(("train_loss", "train_accuracy", "test_loss", "test_accuracy"))
        return {"step": self.step_count, **m, "train_seconds": self.train_seconds}

    def export_kwargs(self) -> dict:
        """Keyword arguments for micrograd.export: data description, configuration and metrics."""
        d = self.dataset
        return {
            "feature_names": list(d.feature_names),
            "preprocessing": d.preprocessing,
            "class_names": list(d.class_names),
            "training": self.config.to_dict(),
            "metrics": self.metrics(),
        }

    def export_json(self) -> str:
        """The model in the weights-file format (docs/weights-format.md)."""
        from micrograd import export

        return export.dumps(self.model, **self.export_kwargs())
