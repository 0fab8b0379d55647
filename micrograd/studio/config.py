"""The run configuration: one validated schema that the CLI, the URL, the sidebar and the run store share.

Each ``RunConfig`` field carries its metadata once, as a ``Setting`` (help, limits, choices, CLI flag, URL key,
widget, what a change does). The CLI's train flags, the URL codec, the sidebar's defaults and limits, the
state→config mapping and ``Trainer.LIVE`` are derived from ``settings()``: adding a setting is one field here plus
its sidebar widget.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import MISSING, asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from micrograd import losses
from micrograd.nn import ACTIVATIONS, INITS, MLP
from micrograd.optim import SCHEDULES, number_problem
from micrograd.studio.limits import LIMITS, SIDEBAR, Limits

ENGINES = ("compiled", "scalar")
TASKS = ("binary", "multiclass", "regression")
# the losses that fit each task; the first is the task's default
LOSSES_BY_TASK: dict[str, tuple[str, ...]] = {
    "binary": ("svm", "bce", "mse"),
    "multiclass": ("ce", "hinge"),
    "regression": ("mse", "huber"),
}
MIN_CLASSES, MAX_CLASSES = 3, LIMITS.classes
LR_OPTIONS = (0.00001, 0.0001, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0)  # TensorFlow Playground's list
L2_OPTIONS = (0.0, 0.00001, 0.0001, 0.001, 0.01, 0.1)
MOMENTUM_OPTIONS = (0.0, 0.5, 0.9, 0.95, 0.99)
MAX_PARAMETERS = LIMITS.parameters  # the old name of the limit, which trainer.py imports

# What changing a setting does to a run: applies at once / re-initialises the weights / reloads the data (and
# re-initialises the weights).
LIVE, MODEL, DATA = "live", "model", "data"
# Settings that only mean something for a built-in dataset, or only for uploaded CSV data.
BUILTIN, CSV = "builtin", "csv"

# A limit: a number, the name of a Limits attribute (LIMITS for a run, SIDEBAR for a widget), or a function of
# the dataset's DatasetSpec (its own limit).
Bound = float | str | Callable[[Any], float]


def _datasets():
    from micrograd.studio import datasets  # numpy and the registry load only when a check needs them

    return datasets


# the user's own data, which no generator draws anew: an uploaded CSV file, or points drawn on the Train page
# (datasets.from_arrays); the run store keeps a copy of either for replay
OWN_DATA = ("csv", "drawn")


def _dataset_names() -> tuple[str, ...]:
    return (*_datasets().DATASETS, *OWN_DATA)


@dataclass(frozen=True)
class Setting:
    """Everything about one setting that the CLI, the URL codec, the sidebar and the trainer need.

    Choices given as a tuple are also argparse choices; given as a function (a registry loaded late) they are
    checked by ``RunConfig.problems``. ``name`` and ``default`` are filled in from the dataclass field.
    """

    help: str
    label: str = ""  # the sidebar's label
    kind: type = str  # the value's type, or its items' when many
    many: bool = False  # a list of kind
    choices: tuple | Callable[[], tuple] | None = None
    low: Bound | None = None
    high: Bound | None = None
    low_open: bool = False
    max_items: int | str | None = None  # the longest list, when many (a number or a Limits attribute)
    options: tuple | None = None  # the sidebar's select-slider values; a link may give only these
    effect: str = LIVE  # LIVE, MODEL or DATA
    only: str | None = None  # BUILTIN or CSV when it applies to that kind of data only
    used: Callable[[Any], bool] | None = None  # whether a built-in dataset (its DatasetSpec) uses the value
    default_from: Callable[[RunConfig], Any] | None = None  # the value a run uses when this one is None
    flag: str | None = ""  # the CLI flag; "" is --name-with-dashes, None is none
    cli_type: Callable[[str], Any] | None = None  # how the CLI reads it (default: kind, or from_text for lists)
    url: bool = True  # mirrored in the query parameters under its name
    widget: str | None = ""  # the session-state key of its widget; "" is w_<name>, None is none
    name: str = ""
    default: Any = None

    @property
    def cli_flag(self) -> str | None:
        """The CLI flag, e.g. --lr-end (None when the CLI has none)."""
        return None if self.flag is None else self.flag or "--" + self.name.replace("_", "-")

    @property
    def key(self) -> str | None:
        """The session-state key of the widget (None when no widget holds it)."""
        return None if self.widget is None else self.widget or "w_" + self.name

    def allowed(self) -> tuple | None:
        """The choices (None when any value in the limits will do)."""
        return self.choices() if callable(self.choices) else self.choices

    def bounds(self, limits: Limits = LIMITS, spec: Any = None) -> tuple[float | None, float | None]:
        """(low, high) under these limits; a dataset-dependent bound is None without the dataset's spec."""

        def resolve(b: Bound | None) -> float | None:
            if isinstance(b, str):
                return getattr(limits, b)
            if callable(b):
                return None if spec is None else b(spec)
            return b

        return resolve(self.low), resolve(self.high)

    def from_text(self, text: str) -> Any:
        """The value a CLI argument spells (lists: comma-separated); raises ValueError."""
        if not self.many:
            return self.kind(text)
        try:
            return [self.kind(t.strip()) for t in text.split(",") if t.strip()]
        except ValueError:
            what = "whole numbers" if self.kind is int else "numbers" if self.kind is float else "names"
            example = ",".join(map(str, self.default or ())) or "a,b"
            raise ValueError(f"expected comma-separated {what} like {example}; got {text!r}") from None

    def problems(self, value: Any, limits: Limits = LIMITS, spec: Any = None) -> list[str]:
        """Why value does not fit this setting, as sentences ([] when it does)."""
        allowed = self.allowed()
        if allowed is not None:
            return (
                []
                if value in allowed
                else [f"{self.name} must be one of {', '.join(map(str, allowed))}; got {value!r}"]
            )
        low, high = self.bounds(limits, spec)
        integer = self.kind is int
        if self.many:
            most = getattr(limits, self.max_items) if isinstance(self.max_items, str) else self.max_items
            if not isinstance(value, list) or (most is not None and len(value) > most):
                at_most = "" if most is None else f" of at most {most} {self.label.lower() or 'items'}"
                return [f"{self.name} must be a list{at_most}, got {value!r}"]
            if high is None:
                return []
            found = [
                number_problem(f"{self.name}[{i}]", v, low or 0, high, integer=integer) for i, v in enumerate(value)
            ]
            return [p for p in found if p]
        if high is None or self.kind not in (int, float):
            return []
        p = number_problem(self.name, value, low or 0, high, integer=integer, low_open=self.low_open)
        return [p] if p else []


def setting(default: Any = None, **meta: Any) -> Any:
    """A dataclass field carrying its Setting; a list default is copied for each config."""
    s = Setting(**meta)
    if isinstance(default, list):
        return field(default_factory=lambda: list(default), metadata={"setting": s})
    return field(default=default, metadata={"setting": s})


def _spec_of(c: RunConfig) -> Any:
    return _datasets().DATASETS.get(c.dataset) if isinstance(c.dataset, str) else None


def _path(text: str) -> str:
    return str(Path(text))


class ConfigError(ValueError):
    """A run configuration with problems; the message lists every one."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("; ".join(problems))


@dataclass
class RunConfig:
    """Everything that defines a training run. ``steps`` is the step budget (0: none, train until stopped);
    ``batch_size`` 0 is full batch."""

    # fmt: off

    dataset: str = setting(
        "moons", label="Dataset", choices=_dataset_names, effect=DATA,
        help="a built-in dataset (python -m micrograd datasets lists them), or csv for your own file; --csv picks csv",
    )
    task: str = setting(
        "binary", label="Task", choices=TASKS, effect=DATA,
        help="binary (two classes), multiclass (a score per class: 3 to 10 generated, 2 to 10 from a CSV) or regression (real targets)",
    )
    classes: int = setting(
        3, label="Classes", kind=int, low=MIN_CLASSES, high=MAX_CLASSES, effect=DATA,
        used=lambda spec: spec.uses_classes, help="number of classes K of the datasets that take it (spiral, blobs)",
    )
    samples: int | None = setting(
        None, label="Samples", kind=int, low="min_samples", high=lambda spec: spec.max_samples, effect=DATA,
        only=BUILTIN, default_from=lambda c: _spec_of(c).samples, help="number of samples (default: the dataset's)",
    )
    noise: float | None = setting(
        None, label="Noise", kind=float, low=0.0, high=lambda spec: spec.noise_max, effect=DATA, only=BUILTIN,
        used=lambda spec: spec.uses_noise, default_from=lambda c: _spec_of(c).noise,
        help="noise level (default: the dataset's)",
    )
    test_fraction: float | None = setting(
        None, label="Test fraction", kind=float, low=0.0, high="test_fraction", effect=DATA,
        default_from=lambda c: _spec_of(c).test_fraction if _spec_of(c) else 0.0,
        help="share of the data held out for testing, not trained on (0 to 0.9)",
    )
    data_seed: int | None = setting(
        None, label="Data seed", kind=int, low=0, high="seed", effect=DATA, default_from=lambda c: c.seed,
        help="seed of the data (default: the seed)",
    )
    csv: str | None = setting(
        None, effect=DATA, only=CSV, cli_type=_path, url=False, widget=None,
        help="train on your own CSV file instead of a built-in dataset",
    )
    label_column: str | None = setting(
        None, label="Label column", effect=DATA, only=CSV, url=False, widget="w_csv_label",
        help="the CSV's label column (default: the last column)",
    )
    feature_columns: list[str] | None = setting(
        None, label="Feature columns", many=True, effect=DATA, only=CSV, flag="--features", url=False,
        widget="w_csv_features", help="comma-separated CSV feature columns (default: all others)",
    )
    layers: list[int] = setting(
        [16, 16], label="Hidden layers", kind=int, many=True, low=1, high="width", max_items="hidden_layers",
        effect=MODEL, help="hidden layer sizes, e.g. 16,16",
    )
    activation: str = setting("relu", label="Activation", choices=ACTIVATIONS, effect=MODEL, help="activation function")
    init: str = setting(
        "uniform", label="Initialisation", choices=INITS, effect=MODEL,
        help="weight initialisation; uniform: U(-1, 1) as in micrograd, scaled: He/Xavier",
    )
    loss: str = setting(
        "svm", label="Loss", choices=losses.ALL_LOSSES,
        help="the loss to minimise: svm, bce or mse (binary), ce or hinge (multiclass), mse or huber (regression)",
    )
    lr: float = setting(
        1.0, label="Learning rate", kind=float, low=0, high=1000, low_open=True, options=LR_OPTIONS,
        help="learning rate (at the start of the schedule)",
    )
    lr_end: float | None = setting(
        0.1, label="End learning rate", kind=float, low=0, high=1000, options=LR_OPTIONS,
        default_from=lambda c: c.lr, help="learning rate at the end (linear, cosine)",
    )
    schedule: str = setting(
        "linear", label="Schedule", choices=SCHEDULES,
        help="how the learning rate moves toward the end value over the step budget; with no budget (steps 0) a "
        "schedule has no end, so the learning rate stays at lr",
    )
    momentum: float = setting(
        0.0, label="Momentum", kind=float, low=0, high=0.999, options=MOMENTUM_OPTIONS, help="SGD momentum"
    )
    l2: float = setting(
        1e-4, label="L2 penalty", kind=float, low=0, high=10, options=L2_OPTIONS,
        help="L2 penalty: adds l2 * sum of squared weights to the loss",
    )
    batch_size: int = setting(
        0, label="Batch size", kind=int, low=0, high="batch", help="examples per step; 0 means the whole training set"
    )
    steps: int = setting(
        100, label="Step budget", kind=int, low=0, high="steps",
        help="number of training steps; 0 means no budget: train until Pause (the dashboard only: a command-line run "
        "and a sweep's trials need a budget), with the learning rate constant at lr",
    )
    seed: int = setting(
        1337, label="Seed", kind=int, low=0, high="seed", effect=MODEL,
        help="seed of the initial weights and the batch order",
    )
    engine: str = setting(
        "compiled", label="Engine", choices=ENGINES,
        help="compiled: fast, same numbers; scalar: the Value graph, step by step",
    )
    # fmt: on

    def problems(self) -> list[str]:
        """Every problem with this configuration, as sentences ([] when it is valid)."""
        spec = _spec_of(self)
        p = []
        for name, s in _table(type(self))[0].items():  # read only: no fresh list defaults needed
            value = getattr(self, name)
            if value is None and s.default is None:  # None: the dataset's or another setting's value
                continue
            if s.only == BUILTIN and spec is None:  # csv, or an unknown dataset (reported once, by dataset)
                continue
            if s.used is not None and spec is not None and not s.used(spec):
                continue
            p += s.problems(value, LIMITS, spec)
        if self.dataset == "csv" and not self.csv:
            p.append("dataset csv needs a file (csv)")
        fits = LOSSES_BY_TASK.get(self.task)
        if fits is not None and self.loss in losses.ALL_LOSSES and self.loss not in fits:
            p.append(f"loss {self.loss} does not fit task {self.task}; choose one of {', '.join(fits)}")
        if fits is not None and spec is not None and self.task not in spec.tasks:
            p.append(
                f"dataset {self.dataset} is for task {' or '.join(spec.tasks)}, not {self.task}; "
                f"set task to {spec.tasks[0]} or pick another dataset"
            )
        return p

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
        return type(self).from_dict({**self.to_dict(), **changes})

    def effective(self, name: str) -> Any:
        """The value of a setting this run uses: a None stands for the dataset's or another setting's value."""
        value = getattr(self, name)
        s = _table(type(self))[0][name]
        if value is None and s.default_from is not None and (s.only != BUILTIN or _spec_of(self) is not None):
            return s.default_from(self)
        return value

    @property
    def dataset_seed(self) -> int:
        """The seed the data is drawn with: data_seed, or seed when none is given."""
        return self.effective("data_seed")

    def make_dataset(self):
        """The dataset this configuration names (a micrograd.studio.datasets.Dataset)."""
        datasets = _datasets()
        seed = self.dataset_seed
        if self.dataset == "drawn":
            raise datasets.DataError(  # from_arrays builds them in code
                "drawn points exist only on the Train page that drew them (and in its link): save the drawing as CSV "
                "there and train on that file"
            )
        if self.dataset == "csv":
            return datasets.load_csv(
                self.csv,
                label_column=self.label_column,
                feature_columns=self.feature_columns,
                test_fraction=self.test_fraction or 0.0,
                seed=seed,
                task=self.task,
            )
        return datasets.make_dataset(
            self.dataset, self.samples, self.noise, self.test_fraction, seed, classes=self.classes, task=self.task
        )

    def make_model(self, nin: int, nout: int = 1) -> MLP:
        """A freshly initialised model for nin input features and nout outputs (the dataset's n_outputs)."""
        return MLP(nin, [*self.layers, nout], self.activation, init=self.init, seed=self.seed)

    @property
    def n_outputs(self) -> int:
        """Output units a run of this configuration has: 1 (binary), K (multiclass), the targets (regression)."""
        spec = _spec_of(self)
        if self.task == "binary" or spec is None:
            return 1 if self.task != "multiclass" else self.classes
        return spec.outputs(self.task, self.classes)

    @property
    def architecture(self) -> str:
        """Layer sizes without the input, e.g. '16-16-1'."""
        return "-".join(str(n) for n in [*self.layers, self.n_outputs])


NO_BUDGET = "no budget"  # how every view names steps = 0


def budget_text(steps: int) -> str:
    """A step budget in words: '3,000 steps', or 'no budget' for 0 (train until Pause)."""
    return NO_BUDGET if steps == 0 else f"{steps:,} step{'s' * (steps != 1)}"


def settings(cls: type[RunConfig] | None = None) -> dict[str, Setting]:
    """Every setting of cls (default: the ``RunConfig`` this module names now), in field order, named, with default."""
    table, factories = _table(cls or RunConfig)
    out = dict(table)
    for name, factory in factories:  # a fresh list default each time, so a caller cannot change the schema's
        out[name] = replace(out[name], default=factory())
    return out


_Table = tuple[dict[str, Setting], tuple[tuple[str, Callable[[], Any]], ...]]
_TABLES: dict[type, _Table] = {}


def _table(cls: type[RunConfig]) -> _Table:
    """The settings of cls, built once (a page's run reads them a few hundred times), and its list defaults."""
    if cls not in _TABLES:
        table, factories = {}, []
        for f in fields(cls):
            default = f.default_factory() if f.default_factory is not MISSING else f.default
            table[f.name] = replace(f.metadata["setting"], name=f.name, default=default)
            if f.default_factory is not MISSING:
                factories.append((f.name, f.default_factory))
        _TABLES[cls] = table, tuple(factories)
    return _TABLES[cls]


def names_with(effect: str) -> tuple[str, ...]:
    """The settings whose change has this effect (LIVE, MODEL or DATA)."""
    return tuple(name for name, s in settings().items() if s.effect == effect)


def build(values: Mapping[str, Any]) -> RunConfig:
    """A RunConfig (not yet validated) of the schema in use, from setting values; missing ones take defaults."""
    return RunConfig(**values)


__all__ = [
    "BUILTIN",
    "CSV",
    "DATA",
    "ENGINES",
    "LOSSES_BY_TASK",
    "TASKS",
    "LIMITS",
    "LIVE",
    "MODEL",
    "NO_BUDGET",
    "SIDEBAR",
    "ConfigError",
    "Limits",
    "RunConfig",
    "Setting",
    "budget_text",
    "build",
    "names_with",
    "settings",
    "setting",
]
