"""The run configuration: one validated schema that the CLI, the URL, the sidebar and the run store share."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from typing import Any

from micrograd import losses
from micrograd.nn import ACTIVATIONS, INITS, MLP
from micrograd.optim import SCHEDULES, number_problem

ENGINES = ("compiled", "scalar")
MAX_HIDDEN_LAYERS = 15  # with the output layer, the 16 layers a weights file may hold
MAX_WIDTH = 1024
MAX_PARAMETERS = 250_000  # what a weights file may hold (micrograd.studio.weights.MAX_PARAMETERS)
MAX_STEPS = 1_000_000


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
        from micrograd.studio.datasets import DATASETS, MAX_TEST_FRACTION, MIN_SAMPLES

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
        """The dataset this configuration names (a micrograd.studio.datasets.Dataset)."""
        from micrograd.studio import datasets

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
