"""Streamlit helpers shared by every page: per-session state, the settings sidebar, run controls and URL sync.

Session-state keys (everything lives in ``st.session_state``; no module-level mutable state):

- ``trainer``: the session's ``micrograd.studio.trainer.Trainer`` (model, data, history). Read it with ``get_trainer()``.
- ``running``: True while the live fragment is training.
- ``tick``: ``{"steps", "seconds"}`` of the last live tick (for steps per second).
- ``notices``: messages shown once on the next full run (e.g. "Architecture changed: weights re-initialised");
  ``url_warnings``: query parameters that were ignored, shown once as warnings.
- ``csv``: the uploaded CSV as ``{"name", "data" (bytes), "columns"}``; ``csv_error``: its problem, if any.
- ``weights_error``: problems of the last weights file that failed to import (list of sentences).
- ``uploads``: a counter in the uploaders' keys; bumping it clears them.
- ``on_step``: optional callable given to every new Trainer.
- ``recorder``: the session's ``micrograd.studio.recording.SessionRecorder``; every run is saved in the run store.
- ``snapshots``: the session's ``micrograd.views.graph.SnapshotSeries`` (graph snapshots every N steps and on pause).
- ``w_*``: the sidebar widgets' values; the query parameters mirror them. ``settings`` keeps a copy, because
  Streamlit drops a widget's value in any run that does not draw it (hidden widgets, page switches).
- ``view_*``: display-only widgets of the Train page (feature pair, log scale).
- ``_via_dashboard``: True while dashboard.py runs the page (see ``require_dashboard``).
- ``_return_to``: the page a direct first request asked for; dashboard.py switches to it after set-up.
"""

from __future__ import annotations

import io
import logging
import math
import random
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np
import streamlit as st

from micrograd.losses import LOSS_TITLES
from micrograd.nn import ACTIVATIONS, INITS
from micrograd.optim import SCHEDULES
from micrograd.studio import datasets, recording
from micrograd.studio import trainer as training
from micrograd.studio.config import ENGINES, ConfigError, RunConfig
from micrograd.studio.datasets import DATASETS, DataError
from micrograd.studio.trainer import Trainer
from micrograd.views import graph

log = logging.getLogger(__name__)

LR_OPTIONS = (0.00001, 0.0001, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0)  # TensorFlow Playground's list
L2_OPTIONS = (0.0, 0.00001, 0.0001, 0.001, 0.01, 0.1)
MOMENTUM_OPTIONS = (0.0, 0.5, 0.9, 0.95, 0.99)
SPEED_OPTIONS = (1, 2, 5, 10, 20, 50, 100)
MAX_LAYERS, MAX_WIDTH, MAX_STEPS, MAX_BATCH = 6, 64, 100_000, 10_000
MAX_SEED = 2**32 - 1
SLOW_PARAMS = 2_000  # above this a step gets noticeably slower
TICK_SECONDS = 0.35  # run_every while training; a tick also takes ~0.1-0.15 s, so ~2 redraws/s
TICK_BUDGET = 0.15  # seconds of training per tick, so Pause and redraws stay responsive
DATA_FIELDS = ("dataset", "samples", "noise", "test_fraction", "data_seed", "csv", "label_column", "feature_columns")
MODEL_FIELDS = ("layers", "activation", "init", "seed")
VIA_DASHBOARD = "_via_dashboard"
RETURN_TO = "_return_to"  # the page a direct request asked for, while dashboard.py sets up the session
ACTIVATION_TITLES = {"tanh": "tanh", "relu": "ReLU", "sigmoid": "sigmoid", "linear": "linear"}


def defaults() -> dict[str, Any]:
    """Widget values of the original micrograd demo."""
    return {
        "w_dataset": "moons",
        "w_samples": 100,
        "w_noise": 0.1,
        "w_test_fraction": 0.2,
        "w_data_seed": 1337,
        "w_layers": [16, 16],
        "w_activation": "relu",
        "w_init": "uniform",
        "w_loss": "svm",
        "w_lr": 1.0,
        "w_schedule": "linear",
        "w_lr_end": 0.1,
        "w_batch_size": 0,
        "w_l2": 0.0001,
        "w_momentum": 0.0,
        "w_steps": 100,
        "w_seed": 1337,
        "w_engine": "compiled",
        "w_speed": 10,
    }


# ---------------------------------------------------------------- query parameters


def _choice(options: tuple) -> Callable[[str, dict], Any]:
    def parse(text: str, _: dict) -> Any:
        if text not in options:
            raise ValueError(f"must be one of {', '.join(map(str, options))}")
        return text

    return parse


def _number_in(options: tuple) -> Callable[[str, dict], Any]:
    def parse(text: str, _: dict) -> Any:
        x = float(text)
        for o in options:
            if math.isclose(x, o, rel_tol=1e-9, abs_tol=1e-15):
                return o
        raise ValueError(f"must be one of {', '.join(f'{o:g}' for o in options)}")

    return parse


def _ranged(kind: type, low: float, high: Callable[[dict], float] | float) -> Callable[[str, dict], Any]:
    def parse(text: str, state: dict) -> Any:
        x = kind(text)
        top = high(state) if callable(high) else high
        if not low <= x <= top:  # also false for nan and ±inf; ints compare exactly however big
            raise ValueError(f"must be in [{low:g}, {top:g}]")
        return x

    return parse


def _layers(text: str, _: dict) -> list[int]:
    parts = text.replace(",", "-").split("-") if text.strip() not in ("", "none") else []  # 16-16 or 16,16
    if len(parts) > MAX_LAYERS or not all(p.isdigit() and 1 <= int(p) <= MAX_WIDTH for p in parts):
        raise ValueError(f"must be up to {MAX_LAYERS} sizes of 1-{MAX_WIDTH} joined by '-', e.g. 16-16")
    return [int(p) for p in parts]


def _spec(state: dict) -> datasets.DatasetSpec:
    return DATASETS[state["w_dataset"]]


# URL key -> parser(text, state so far); dataset comes first because samples and noise limits depend on it
URL_PARSERS: dict[str, Callable[[str, dict], Any]] = {
    "dataset": _choice(tuple(DATASETS)),
    "samples": _ranged(int, datasets.MIN_SAMPLES, lambda s: _spec(s).max_samples),
    "noise": _ranged(float, 0.0, lambda s: _spec(s).noise_max),
    "test_fraction": _ranged(float, 0.0, datasets.MAX_TEST_FRACTION),
    "data_seed": _ranged(int, 0, MAX_SEED),
    "layers": _layers,
    "activation": _choice(ACTIVATIONS),
    "init": _choice(INITS),
    "loss": _choice(tuple(LOSS_TITLES)),
    "lr": _number_in(LR_OPTIONS),
    "schedule": _choice(SCHEDULES),
    "lr_end": _number_in(LR_OPTIONS),
    "batch_size": _ranged(int, 0, MAX_BATCH),
    "l2": _number_in(L2_OPTIONS),
    "momentum": _number_in(MOMENTUM_OPTIONS),
    "steps": _ranged(int, 1, MAX_STEPS),
    "seed": _ranged(int, 0, MAX_SEED),
    "engine": _choice(ENGINES),
    "speed": _number_in(SPEED_OPTIONS),
}


def read_url(params: dict[str, str]) -> tuple[dict[str, Any], list[str]]:
    """(widget values, warnings) from query parameters; a bad value keeps the default and adds a warning."""
    state, warnings = defaults(), []
    for key, parse in URL_PARSERS.items():
        if key not in params:
            continue
        text = params[key]
        if key == "dataset" and text == "csv":
            warnings.append("This link used an uploaded CSV file, which links cannot carry; upload it again.")
            continue
        try:
            value = parse(text, state)
        except ValueError as e:
            reason = str(e) if "must" in str(e) else "is not a number"
            warnings.append(f"URL parameter {key}={text!r} {reason}; using {state['w_' + key]!r}.")
            continue
        if key == "speed":
            value = int(value)
        state["w_" + key] = value
        if key == "dataset":  # a new dataset brings its own default size and noise unless the URL gives them
            state["w_samples"], state["w_noise"] = DATASETS[value].samples, DATASETS[value].noise
    return state, warnings


def url_of(state: Any) -> dict[str, str]:
    """Query parameters for the current widget values."""
    out = {}
    for key in URL_PARSERS:
        v = layer_sizes(state) if key == "layers" else state.get("w_" + key)
        if v is None:
            continue
        if key == "layers":
            out[key] = "-".join(map(str, v)) or "none"
        elif isinstance(v, float):
            out[key] = f"{v:g}"
        else:
            out[key] = str(v)
    return out


def write_url() -> None:
    """Mirror the settings into the query parameters (only the ones that changed)."""
    for k, v in url_of(st.session_state).items():
        if st.query_params.get(k) != v:
            st.query_params[k] = v


# ---------------------------------------------------------------- state, data, trainer


def layer_sizes(state: Any) -> list[int]:
    """Hidden layer sizes from the layer widgets."""
    return [int(state.get(f"w_layer_{k}", 4)) for k in range(int(state.get("w_nlayers", 0)))]


def _set_layer_widgets(sizes: list[int]) -> None:
    st.session_state["w_nlayers"] = len(sizes)
    for k, n in enumerate(sizes):
        st.session_state[f"w_layer_{k}"] = n


@st.cache_data(max_entries=64, show_spinner=False)
def builtin_dataset(name: str, samples: int, noise: float, test_fraction: float, seed: int) -> datasets.Dataset:
    """A built-in dataset; cached because drawing (and importing sklearn) takes a while."""
    return datasets.make_dataset(name, samples, noise, test_fraction, seed)


def load_dataset(config: RunConfig) -> datasets.Dataset:
    """The dataset a configuration names; CSV data comes from this session's upload."""
    seed = config.dataset_seed
    if config.dataset != "csv":
        return builtin_dataset(config.dataset, config.samples, config.noise, config.test_fraction, seed)
    csv = st.session_state.get("csv")
    if not csv:
        raise DataError("no CSV uploaded yet; upload a file with a header row, feature columns and a label column")
    f = io.BytesIO(csv["data"])
    f.name = csv["name"]
    tf = config.test_fraction or 0.0
    return datasets.load_csv(f, config.label_column, config.feature_columns, test_fraction=tf, seed=seed)


def config_from_state() -> RunConfig:
    """The run configuration the widgets describe (not yet validated)."""
    ss = st.session_state
    name = ss["w_dataset"]
    csv = name == "csv"
    spec = DATASETS.get(name)
    return RunConfig(
        dataset=name,
        samples=None if csv else int(ss.get("w_samples", spec.samples)),
        noise=None if csv else float(ss.get("w_noise", spec.noise) if spec.uses_noise else 0.0),
        test_fraction=float(ss["w_test_fraction"]),
        data_seed=int(ss["w_data_seed"]),
        csv=(ss.get("csv") or {}).get("name") if csv else None,
        label_column=ss.get("w_csv_label") if csv else None,
        feature_columns=list(ss.get("w_csv_features", [])) if csv else None,
        layers=layer_sizes(ss),
        activation=ss["w_activation"],
        init=ss["w_init"],
        loss=ss["w_loss"],
        lr=float(ss["w_lr"]),
        lr_end=float(ss["w_lr_end"]),
        schedule=ss["w_schedule"],
        momentum=float(ss["w_momentum"]),
        l2=float(ss["w_l2"]),
        batch_size=int(ss["w_batch_size"]),
        steps=int(ss["w_steps"]),
        seed=int(ss["w_seed"]),
        engine=ss["w_engine"],
    )


def new_trainer(config: RunConfig, dataset: datasets.Dataset | None = None, model=None) -> Trainer:
    """A Trainer wired to this session's on_step hook."""
    dataset = load_dataset(config) if dataset is None else dataset
    return Trainer(config, dataset=dataset, model=model, on_step=st.session_state.get("on_step"))


def replace_trainer(trainer: Trainer, notice: str | None = None) -> None:
    """Make trainer the session's run (paused), with an optional one-time notice."""
    ss = st.session_state
    ss["trainer"], ss["running"], ss["tick"] = trainer, False, None
    for k in ("view_feat_x", "view_feat_y"):  # feature indices of the old data may not exist in the new
        ss.pop(k, None)
    if notice:
        ss["notices"].append(notice)


def init_state() -> None:
    """Create this session's state on its first run, from the URL's query parameters."""
    ss = st.session_state
    if "trainer" in ss:
        restore_settings()
        return
    values, warnings = read_url(st.query_params.to_dict())
    ss.update(running=False, tick=None, notices=[], csv=None, csv_error="", weights_error=[], uploads=0)
    ss["snapshots"] = graph.SnapshotSeries()
    ss["recorder"] = recording.SessionRecorder()  # records every run of this session (store: $MICROGRAD_DB)
    try:
        _apply_widget_values(values)
        ss["trainer"] = new_trainer(config_from_state().validate())
    except (ConfigError, DataError) as e:  # each value was fine alone but not together: start from the defaults
        warnings.append(f"the link's settings do not work together ({e}); using the defaults")
        _apply_widget_values(read_url({})[0])
        ss["trainer"] = new_trainer(config_from_state().validate())
    ss["url_warnings"] = warnings


def _apply_widget_values(values: dict[str, Any]) -> None:
    values = dict(values)
    sizes = values.pop("w_layers")
    for k, v in values.items():
        st.session_state[k] = v
    _set_layer_widgets(sizes)


def require_dashboard(page: str) -> None:
    """Call first in every page: a page run on its own (no state, no sidebar) goes through dashboard.py instead.

    With a pages/ folder Streamlit starts in its old multipage mode until st.navigation runs, so the first request
    for e.g. /train after a server start (and every AppTest rerun) executes the page file directly.
    page: the calling page's path relative to dashboard.py (e.g. "pages/graph.py"), so a shared link to it still
    lands on it.
    """
    if not st.session_state.get(VIA_DASHBOARD):
        st.session_state[RETURN_TO] = page  # dashboard.py comes back here once the session is set up
        st.switch_page("dashboard.py", query_params=st.query_params.to_dict())  # the link's settings too


def restore_settings() -> None:
    """Put back widget values Streamlit dropped in a run that did not draw their widgets."""
    ss = st.session_state
    for k, v in ss.get("settings", {}).items():
        if k not in ss:
            ss[k] = v


def save_settings() -> None:
    """Keep a copy of every setting for restore_settings."""
    ss = st.session_state
    ss["settings"] = {k: ss[k] for k in ss if isinstance(k, str) and k.startswith("w_")}


def get_trainer() -> Trainer:
    """The session's trainer (init_state must have run)."""
    return st.session_state["trainer"]


def is_running() -> bool:
    """True while live training is on."""
    return bool(st.session_state.get("running"))


def apply_settings() -> str:
    """Bring the trainer in line with the widgets: live changes via update(), others re-initialise.

    Returns a problem to show next to the data settings ("" when all applied); the current run then stays.
    """
    tr = get_trainer()
    new = config_from_state()
    # a new upload under the same file name leaves the config equal, yet the data changed
    fresh_csv = st.session_state.pop("csv_fresh", False) and new.dataset == "csv"
    if new == tr.config and not fresh_csv:
        return ""
    try:
        new.validate()
        changed = [f for f in new.to_dict() if getattr(new, f) != getattr(tr.config, f)]
        data_changed = fresh_csv or any(f in DATA_FIELDS for f in changed)
        if not data_changed and not any(f in MODEL_FIELDS for f in changed):
            tr.update(**{f: getattr(new, f) for f in changed})
            return ""
        dataset = load_dataset(new) if data_changed else tr.dataset
        what = [
            "Data" if data_changed else "",
            "Architecture" if any(f in ("layers", "activation", "init") for f in changed) else "",
            "Seed" if "seed" in changed else "",
        ]
        replace_trainer(
            new_trainer(new, dataset), f"{' and '.join(w for w in what if w)} changed: weights re-initialised."
        )
    except (ConfigError, DataError) as e:
        return f"{e} The current data and model stay."
    return ""


# ---------------------------------------------------------------- callbacks (run before the script)


def start() -> None:
    """Start (or resume) live training."""
    tr = get_trainer()
    if tr.done:
        hint = "press Reset" if tr.status in (training.DIVERGED, training.FAILED) else "raise the step budget or Reset"
        st.session_state["notices"].append(f"Nothing to train: the run is {tr.status}; {hint}.")
        return
    st.session_state["running"] = True


def pause() -> None:
    """Stop live training after the current tick."""
    st.session_state["running"] = False
    graph.take_snapshot(st.session_state.get("snapshots"), get_trainer(), force=True)


def step_once() -> None:
    """Pause and take exactly one step."""
    st.session_state["running"] = False
    get_trainer().step()
    graph.take_snapshot(st.session_state.get("snapshots"), get_trainer(), force=True)


def reset() -> None:
    """Re-initialise the weights from the seed, on the same data, and clear the history."""
    tr = get_trainer()
    replace_trainer(new_trainer(tr.config, tr.dataset), f"Reset: weights re-initialised from seed {tr.config.seed}.")


def new_data() -> None:
    """Draw new data with a new data seed, keeping the weights and the history."""
    ss = st.session_state
    tr = get_trainer()
    if tr.config.dataset == "csv":
        return
    seed = random.randrange(MAX_SEED)  # a data seed, not a secret: the random module is fine
    config = tr.config.replace(data_seed=seed)
    try:
        tr.dataset = load_dataset(config)
    except DataError as e:
        ss["notices"].append(f"New data failed: {e}")
        return
    tr.config = config
    ss["w_data_seed"] = seed
    ss["notices"].append(f"New data drawn (data seed {seed}); the weights were kept.")


def on_dataset_change() -> None:
    """A new dataset starts from its own default size and noise."""
    ss = st.session_state
    spec = DATASETS.get(ss["w_dataset"])
    if spec is not None:
        ss["w_samples"], ss["w_noise"] = spec.samples, spec.noise


def on_csv_upload() -> None:
    """Read an uploaded CSV's header; the data itself is loaded when the settings are applied."""
    ss = st.session_state
    f = ss.get(f"csv_upload_{ss['uploads']}")
    if f is None:
        return
    data = f.getvalue()
    try:
        columns = datasets.read_csv_columns(data)
    except DataError as e:
        ss["csv_error"] = f"{f.name}: {e}"
        return
    ss["csv"], ss["csv_error"], ss["csv_fresh"] = {"name": f.name, "data": data, "columns": columns}, "", True
    ss["w_csv_label"], ss["w_csv_features"] = columns[-1], columns[:-1]


def on_weights_upload() -> None:
    """Restore a model from a weights file; on any problem the current model stays."""
    ss = st.session_state
    f = ss.get(f"weights_upload_{ss['uploads']}")
    if f is None:
        return
    ss["weights_error"] = []
    from micrograd.studio import weights as export

    try:
        loaded = export.loads(f.getvalue())
    except export.WeightsError as e:
        ss["weights_error"] = [f"{f.name}: {p}" for p in (e.problems or [str(e)])]
        return
    ss["weights_error"] = check_loaded(loaded, get_trainer().dataset)
    if ss["weights_error"]:
        return
    tr = get_trainer()
    model = loaded.model
    sizes = model.sizes[1:-1]
    config = tr.config.replace(layers=sizes, activation=model.activation)
    replace_trainer(
        new_trainer(config, tr.dataset, model),
        f"Loaded {f.name}: {config.architecture} network.{mismatch_note(loaded, tr.dataset)}",
    )
    _set_layer_widgets(sizes)
    ss["w_activation"] = model.activation


def check_loaded(loaded: Any, dataset: datasets.Dataset) -> list[str]:
    """Why a loaded model cannot run on this data or in this dashboard ([] when it can)."""
    sizes = loaded.model.sizes
    nin, hidden = sizes[0], sizes[1:-1]
    problems = []
    if nin != dataset.n_features:
        problems.append(
            f"the file's model takes {nin} inputs ({', '.join(loaded.feature_names or [])}) but the current data "
            f"has {dataset.n_features} features ({', '.join(dataset.feature_names)}); choose data with {nin} "
            "features, then import the file again"
        )
    if sizes[-1] != 1:
        problems.append(f"the file's model has {sizes[-1]} outputs; this dashboard trains two-class models (1 output)")
    if len(hidden) > MAX_LAYERS or any(n > MAX_WIDTH for n in hidden):
        problems.append(f"the file's hidden layers {hidden} exceed this dashboard's {MAX_LAYERS} x {MAX_WIDTH}")
    return problems


def mismatch_note(loaded: Any, dataset: datasets.Dataset) -> str:
    """A sentence when the file was trained on other features or another standardisation ('' when it matches)."""
    notes = []
    if list(loaded.feature_names) != list(dataset.feature_names):
        notes.append(
            f"the file was trained on features {', '.join(loaded.feature_names)}, the current data has "
            f"{', '.join(dataset.feature_names)}"
        )
    mine, theirs = dataset.preprocessing, loaded.preprocessing

    def same(a: dict | None, b: dict | None) -> bool:
        if a is None or b is None:
            return a is b
        return all(np.allclose(a[k], b[k], rtol=1e-9, atol=0) for k in ("mean", "std"))

    if not same(mine, theirs):
        notes.append("the file standardised its inputs differently from the current data")
    return f" Note: {'; '.join(notes)}, so its weights may need more training here." if notes else ""


# ---------------------------------------------------------------- live training


def tick() -> None:
    """One live tick: up to ``w_speed`` steps within TICK_BUDGET; when the run ends, rerun to drop the timer."""
    ss = st.session_state
    if not ss.get("running"):
        return
    tr = get_trainer()
    t0 = time.perf_counter()
    n = 0
    for _ in range(int(ss.get("w_speed", 10))):
        if tr.step() is None:
            break
        n += 1
        graph.take_snapshot(ss.get("snapshots"), tr)
        if tr.done or time.perf_counter() - t0 > TICK_BUDGET:
            break
    ss["tick"] = {"steps": n, "seconds": time.perf_counter() - t0}
    ss["recorder"].sync(tr, not tr.done)
    if tr.done:
        ss["running"] = False
        st.rerun()


@contextmanager
def guard(what: str = "showing this page") -> Iterator[None]:
    """Turn an unexpected exception into an error message instead of a traceback.

    Streamlit's rerun and stop signals derive from BaseException (ScriptControlException), so they pass through.
    """
    try:
        yield
    except Exception as e:
        log.exception("dashboard error while %s", what)
        st.error(
            f"Something went wrong while {what}: {type(e).__name__}: {e}. "
            "Press Reset; if it happens again, report it with this page's URL (it holds every setting)."
        )


# ---------------------------------------------------------------- sidebar


def run_controls() -> None:
    """Start / Pause / Step / Reset buttons."""
    tr, running = get_trainer(), is_running()
    a, b = st.columns(2, gap="small")
    a.button("Start", key="btn_start", on_click=start, disabled=running or tr.done, type="primary", width="stretch")
    b.button("Pause", key="btn_pause", on_click=pause, disabled=not running, width="stretch")
    a, b = st.columns(2, gap="small")
    a.button("Step", key="btn_step", on_click=step_once, disabled=tr.done, width="stretch")
    b.button("Reset", key="btn_reset", on_click=reset, width="stretch")
    state = "running" if running else tr.status if tr.status != "training" else "paused"
    st.caption(f"**{state}** · step {tr.step_count} / {tr.config.steps}")


def _data_section() -> None:
    ss = st.session_state
    names = [*DATASETS, "csv"]
    st.selectbox(
        "Dataset",
        names,
        key="w_dataset",
        on_change=on_dataset_change,
        format_func=lambda n: "Upload CSV…" if n == "csv" else n.replace("_", " "),
    )
    if ss["w_dataset"] == "csv":
        st.file_uploader(
            "CSV file (header row; two-class label column)",
            type=["csv", "txt"],
            key=f"csv_upload_{ss['uploads']}",
            on_change=on_csv_upload,
        )
        if ss.get("csv_error"):
            st.error(ss["csv_error"])
        csv = ss.get("csv")
        if csv:
            cols = csv["columns"]
            if ss.get("w_csv_label") not in cols:
                ss["w_csv_label"] = cols[-1]
            st.selectbox("Label column", cols, key="w_csv_label")
            features = [c for c in cols if c != ss["w_csv_label"]]
            ss["w_csv_features"] = [c for c in ss.get("w_csv_features", features) if c in features]
            st.multiselect("Feature columns", features, key="w_csv_features")
            st.caption("Features are standardised (mean 0, std 1) with the training rows' statistics.")
    else:
        spec = DATASETS[ss["w_dataset"]]
        st.caption(spec.description)
        st.number_input("Samples", datasets.MIN_SAMPLES, spec.max_samples, step=10, key="w_samples")
        if spec.uses_noise:
            st.slider("Noise", 0.0, float(spec.noise_max), step=0.01, key="w_noise")
    st.slider(
        "Test fraction", 0.0, datasets.MAX_TEST_FRACTION, step=0.05, key="w_test_fraction", help="held out, not trained"
    )
    a, b = st.columns(2, vertical_alignment="bottom")
    a.number_input("Data seed", 0, MAX_SEED, key="w_data_seed")
    csv = ss["w_dataset"] == "csv"
    b.button(
        "New data",
        key="btn_new_data",
        on_click=new_data,
        disabled=csv,
        help="New points, same weights",
        width="stretch",
    )


def _network_section(n_features: int) -> None:
    ss = st.session_state
    st.number_input("Hidden layers", 0, MAX_LAYERS, key="w_nlayers")
    cols = st.columns(3)
    for k in range(int(ss["w_nlayers"])):
        ss.setdefault(f"w_layer_{k}", 4)
        cols[k % 3].number_input(f"Layer {k + 1}", 1, MAX_WIDTH, key=f"w_layer_{k}")
    sizes = [n_features, *layer_sizes(ss), 1]
    params = sum(a * b + b for a, b in zip(sizes, sizes[1:]))
    st.caption(f"Network {'-'.join(map(str, sizes))}: {params:,} parameters.")
    if params > SLOW_PARAMS:
        st.warning(f"{params:,} parameters: each step is slower; fewer or smaller layers train faster live.")
    st.selectbox("Activation", ACTIVATIONS, key="w_activation", format_func=ACTIVATION_TITLES.get)
    st.selectbox("Initialisation", INITS, key="w_init", help="uniform: U(-1, 1) as in micrograd; scaled: He/Xavier")


def _training_section() -> None:
    ss = st.session_state
    st.selectbox("Loss", list(LOSS_TITLES), key="w_loss", format_func=LOSS_TITLES.get)
    st.select_slider("Learning rate", LR_OPTIONS, key="w_lr", format_func=lambda v: f"{v:g}")
    st.selectbox("Schedule", SCHEDULES, key="w_schedule", help="how the learning rate moves toward the end value")
    if ss["w_schedule"] != "constant":
        st.select_slider("End learning rate", LR_OPTIONS, key="w_lr_end", format_func=lambda v: f"{v:g}")
    a, b = st.columns(2)
    a.number_input("Batch size", 0, MAX_BATCH, key="w_batch_size", help="0 = the whole training set")
    b.number_input("Step budget", 1, MAX_STEPS, step=50, key="w_steps")
    st.select_slider("L2 penalty", L2_OPTIONS, key="w_l2", format_func=lambda v: f"{v:g}")
    st.select_slider("Momentum", MOMENTUM_OPTIONS, key="w_momentum", format_func=lambda v: f"{v:g}")
    a, b = st.columns(2)
    a.number_input("Seed", 0, MAX_SEED, key="w_seed", help="initial weights and batch order")
    b.radio("Engine", ENGINES, key="w_engine", horizontal=True, help="compiled: fast, same numbers")
    st.select_slider("Steps per tick", SPEED_OPTIONS, key="w_speed", help=f"about {1 / TICK_SECONDS:g} ticks a second")
    st.caption("Changes here apply at once, without resetting the weights.")


def sidebar() -> None:
    """The shared sidebar: run controls and every setting; then apply the settings and mirror them in the URL."""
    with st.sidebar:
        controls = st.container()  # filled last, so the buttons reflect the settings applied below
        with guard("showing the settings"):  # whatever fails here, the run controls (and Reset) stay
            with st.expander("Data", expanded=True):
                messages = st.container()
                _data_section()
            with st.expander("Network", expanded=True):
                _network_section(get_trainer().dataset.n_features)
            with st.expander("Training", expanded=True):
                _training_section()
            problem = apply_settings()
            if problem:
                messages.error(problem)
            write_url()
            save_settings()
        with controls:
            run_controls()
    st.session_state["recorder"].sync(get_trainer(), is_running())


def show_notices() -> None:
    """Show (once) the messages callbacks and settings changes left for this run."""
    ss = st.session_state
    for w in ss.get("url_warnings", []):
        st.warning(w)
    for n in ss.get("notices", []):
        st.info(n)
    ss["notices"], ss["url_warnings"] = [], []
