"""Widget options, the sidebar's limits and defaults, the widgets↔config mapping, and the session-state key names.

Everything about a setting comes from its ``Setting`` in micrograd.studio.config; this module only knows how the
sidebar's widgets hold the values (``w_<name>`` keys, layer sizes in several widgets, CSV fields).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from micrograd.studio import config, drawn
from micrograd.studio.config import BUILTIN, CSV, L2_OPTIONS, LR_OPTIONS, MOMENTUM_OPTIONS, SIDEBAR, Setting
from micrograd.studio.datasets import DATASETS

__all__ = ["L2_OPTIONS", "LR_OPTIONS", "MOMENTUM_OPTIONS"]  # re-exported from the schema, for the pages

# training steps per wall-clock second; at each, every step is a picture. 100 a second showed every 2nd step and cost
# 5-6 % of a core per session, over issue 12's 5 % for a classroom; in one run, four sessions took 4.0 % each at 50 and
# 5.8 % at 60 (docs/benchmarks.md, session 23)
SPEED_OPTIONS = (1, 2, 5, 10, 20, 50)


# The one setting that is the dashboard's, not the run's: steps per live tick (in the URL, not in a RunConfig).
SPEED = Setting(
    help="training steps per wall-clock second",
    label="Steps per second",
    kind=int,
    options=SPEED_OPTIONS,
    name="speed",
    default=20,
)


MAX_LAYERS, MAX_WIDTH, MAX_STEPS, MAX_BATCH = SIDEBAR.hidden_layers, SIDEBAR.width, SIDEBAR.steps, SIDEBAR.batch


MAX_SEED = SIDEBAR.seed


SLOW_PARAMS = 2_000  # above this a step gets noticeably slower


# run_every while training: the browser plays the steps of each tick back one by one. Each tick is a rerun of the
# live fragment, whose fixed cost (mostly Streamlit's) was 1.5 of the 7.5 % of a core a session took at 0.5 s
# (docs/benchmarks.md, session 20); a Pause's jump to the newest step taken is at most a tick's steps.
TICK_SECONDS = 1.0


KEEPALIVE_SECONDS = 30.0  # run_every while paused: the session tells the run store it is here (it closes after 120 s)


# seconds of training per tick, so Pause and redraws stay responsive: half of each tick, as when ticks came twice a
# second (0.25 s of each 0.5 s), so a net whose steps are slow (digits: ~5 ms) still reaches the same rate
TICK_BUDGET = TICK_SECONDS / 2


DATA_FIELDS = config.names_with(config.DATA)  # a change reloads the data and re-initialises the weights


MODEL_FIELDS = config.names_with(config.MODEL)  # a change re-initialises the weights


VIA_DASHBOARD = "_via_dashboard"


RETURN_TO = "_return_to"  # the page a direct request asked for, while dashboard.py sets up the session


FIRST_SCREEN = "first_screen"  # True while the Train page shows its first screen only (ui.session.first_screen)
SETTLE_PENDING = "settle_pending"  # the settings' values still wait for their widgets (set at a first screen)
SETTLE_UNTIL = "settle_until"  # until then (time.monotonic()), each full run sends the settings' values again
# seconds after the settings are first drawn in which each full run sends their values again: the browser may still
# be loading their widgets' code (1-2 s here, more on a loaded machine). Short: a value sent again can overtake a
# change the user makes meanwhile.
SETTLE_SECONDS = 10.0


ACTIVATION_TITLES = {"tanh": "tanh", "relu": "ReLU", "sigmoid": "sigmoid", "linear": "linear"}


def setting(name: str) -> Setting:
    """The Setting of a sidebar widget's value (a RunConfig field, or speed)."""
    return SPEED if name == "speed" else config.settings()[name]


def url_settings() -> dict[str, Setting]:
    """The settings a link carries, in the order they are read (dataset first: other limits depend on it)."""
    return {name: s for name, s in config.settings().items() if s.url} | {"speed": SPEED}


def defaults() -> dict[str, Any]:
    """Widget values of the original micrograd demo: RunConfig's defaults, with the default dataset's values."""
    c = config.build({})
    out = {}
    for name, s in config.settings().items():
        value = c.effective(name)
        if s.key is not None and value is not None:
            out[s.key] = value
    out[SPEED.key] = SPEED.default
    return out


def dataset_defaults(name: str) -> dict[str, Any]:
    """Widget values a built-in dataset brings with it (its own size and noise); {} for csv."""
    if name not in DATASETS:
        return {}
    base = config.build({"dataset": name})
    return {s.key: base.effective(n) for n, s in config.settings().items() if s.only == BUILTIN and s.key}


def layer_sizes(state: Any) -> list[int]:
    """Hidden layer sizes from the layer widgets."""
    return [int(state.get(f"w_layer_{k}", 4)) for k in range(int(state.get("w_nlayers", 0)))]


def _applies(s: Setting, builtin: bool) -> bool:
    return not (s.only == CSV and builtin or s.only == BUILTIN and not builtin)


def config_from_widgets(state: Mapping[str, Any], csv_name: str | None = None) -> config.RunConfig:
    """The run configuration that widget values describe (not yet validated); csv_name: the uploaded file's."""
    name = state["w_dataset"]
    spec = DATASETS.get(name)
    base = config.build({"dataset": name})  # the dataset's own values, for widgets not drawn yet
    values: dict[str, Any] = {}
    for field, s in config.settings().items():
        if not _applies(s, spec is not None):
            values[field] = s.default  # not this kind of data's setting: its default (None, or e.g. K = 3)
        elif field == "layers":  # one setting, several widgets (w_nlayers, w_layer_k)
            values[field] = layer_sizes(state)
        elif s.key is not None:
            unused = spec is not None and s.used is not None and not s.used(spec)
            v = base.effective(field) if unused else state.get(s.key, base.effective(field))
            if s.many:
                values[field] = [s.kind(x) for x in (v or [])]
            else:
                values[field] = v if v is None or s.choices is not None else s.kind(v)
    if name == "csv":
        values["csv"] = csv_name
    return config.build(values)


def _nearest(options: tuple, x: float) -> float:
    return min(options, key=lambda o: abs(o - x))


def widgets_for(c: config.RunConfig) -> tuple[dict[str, Any], list[str]]:
    """Sidebar widget values that describe c, and the settings the sidebar had to round (as 'steps 1 → 2')."""
    spec = DATASETS.get(c.dataset)
    w: dict[str, Any] = {}
    notes = []
    for name, s in config.settings().items():
        if s.key is None or not _applies(s, spec is not None):
            continue
        v = c.effective(name)
        if name == "layers":  # one setting, several widgets
            w["w_nlayers"] = len(v)
            w |= {f"w_layer_{k}": n for k, n in enumerate(v)}
            continue
        if s.many:
            v = list(v or [])
        elif s.options is not None and not any(math.isclose(v, o, rel_tol=1e-12, abs_tol=1e-12) for o in s.options):
            notes.append(f"{name} {v:g} → {_nearest(s.options, v):g}")  # select sliders take only their values
            v = _nearest(s.options, v)
        elif s.kind in (int, float) and v is not None:
            high = s.bounds(SIDEBAR, spec)[1]
            if high is not None and v > high:  # the CLI allows more than the sidebar
                notes.append(f"{name} {v:,} → {high:,}" if s.kind is int else f"{name} {v:g} → {high:g}")
                v = high
        w[s.key] = v
    return w, notes


def task_losses(task: str) -> tuple[str, ...]:
    """The losses that fit a task, its default first (all of them for an unknown task)."""
    return config.LOSSES_BY_TASK.get(task, config.settings()["loss"].allowed())


def drawn_widgets(d: drawn.Drawn, loss: str | None = None) -> dict[str, Any]:
    """Session values that make a drawing the session's data (dataset "drawn"): the drawing (``drawing``: the
    points, their link text, their CSV file), its task, a loss that fits it (loss when it does) and no test split
    (every drawn point is trained on)."""
    fits = task_losses(d.task)
    return {
        "drawing": {"points": d, "url": drawn.encode_url(d), "csv": drawn.to_csv(d), "task": d.task},
        "w_dataset": "drawn",
        "w_task": d.task,
        "w_loss": loss if loss in fits else fits[0],
        "w_test_fraction": 0.0,
    }
