"""Per-session state: set-up, the session's trainer, settings that survive page switches, notices."""

from __future__ import annotations

import io
import math
import secrets
from time import monotonic
from typing import Any

import streamlit as st

from micrograd.studio import datasets, drawn, recording, reloads
from micrograd.studio.config import ConfigError, RunConfig
from micrograd.studio.datasets import DataError
from micrograd.studio.presets import REGRESSION_LR, REGRESSION_LR_END
from micrograd.studio.trainer import DIVERGED, FAILED, TRAINING, Trainer
from micrograd.views import graph_live, text
from ui.options import (
    DATA_FIELDS,
    FIRST_SCREEN,
    MODEL_FIELDS,
    RETURN_TO,
    SETTLE_PENDING,
    SETTLE_SECONDS,
    SETTLE_UNTIL,
    VIA_DASHBOARD,
    config_from_widgets,
    task_losses,
)
from ui.store import open_run_store
from ui.url import read_url

RATES_BEFORE_REGRESSION = "rates_before_regression"  # (lr, lr_end) as they were before fit_task lowered them


def fit_loss() -> None:
    """Keep the loss widget on a loss of the chosen task (the task's default when the old one does not fit)."""
    ss = st.session_state
    fits = task_losses(ss.get("w_task", "binary"))
    if ss.get("w_loss") not in fits:
        ss["w_loss"] = fits[0]


def fit_task(before: str | None) -> None:
    """After the Task widget changed (from ``before``): a loss of the new task, and rates regression can train at.

    Call it from a callback. Entering regression from another task, a learning rate above REGRESSION_LR comes down
    to it (and the end rate to REGRESSION_LR_END), with a notice; a rate the user sets afterwards is kept.
    """
    ss = st.session_state
    fit_loss()
    task = ss.get("w_task", "binary")
    if before == "regression" and task != "regression":
        _restore_rates(ss.pop(RATES_BEFORE_REGRESSION, None))
        return
    if task != "regression" or before == "regression" or float(ss.get("w_lr", 0)) <= REGRESSION_LR:
        return
    old, old_end = ss["w_lr"], ss.get("w_lr_end")
    ss[RATES_BEFORE_REGRESSION] = (old, old_end)
    ss["w_lr"] = REGRESSION_LR
    end = ""
    if old_end is not None and old_end > REGRESSION_LR_END:
        ss["w_lr_end"] = REGRESSION_LR_END
        end = f", end learning rate {old_end:g} → {REGRESSION_LR_END:g}"
    ss.setdefault("notices", []).append(
        f"Regression: learning rate {old:g} → {REGRESSION_LR:g}{end}. The squared error of a regression diverges "
        f"within a few steps at the rates that train classifiers; raise it again in Training if you like, or press "
        f"Use preset settings."
    )


def _restore_rates(rates: tuple | None) -> None:
    """Leaving regression: the rates fit_task lowered come back, unless the user has set others since (QA: a
    classification CSV after a regression one kept 0.03 and barely trained)."""
    ss = st.session_state
    if rates is None or float(ss.get("w_lr", 0)) != REGRESSION_LR:
        return
    old, old_end = rates
    ss["w_lr"] = old
    end = ""
    if old_end is not None and ss.get("w_lr_end") == REGRESSION_LR_END:
        ss["w_lr_end"] = old_end
        end = f", end learning rate {REGRESSION_LR_END:g} → {old_end:g}"
    ss.setdefault("notices", []).append(
        f"Classification again: learning rate {REGRESSION_LR:g} → {old:g}{end}, the rates before regression lowered "
        "them."
    )


def set_layer_widgets(sizes: list[int]) -> None:
    st.session_state["w_nlayers"] = len(sizes)
    for k, n in enumerate(sizes):
        st.session_state[f"w_layer_{k}"] = n


@st.cache_data(max_entries=64, show_spinner=False)
def builtin_dataset(
    name: str, samples: int, noise: float, test_fraction: float, seed: int, classes: int | None = None, task=None
) -> datasets.Dataset:
    """A built-in dataset; cached because drawing (and importing sklearn) takes a while."""
    return datasets.make_dataset(name, samples, noise, test_fraction, seed, classes=classes, task=task)


def load_dataset(config: RunConfig) -> datasets.Dataset:
    """The dataset a configuration names; CSV data comes from this session's upload."""
    seed = config.dataset_seed
    tf = config.test_fraction or 0.0
    if config.dataset == "drawn":  # points drawn in the Train view: their own units, never standardised
        drawing = st.session_state.get("drawing")
        if not drawing:
            raise DataError(
                "no points drawn yet: press Draw above the Train page's plot, draw points of two classes or more "
                "(or a curve), then press Train on these points"
            )
        return drawn.to_dataset(drawing["points"], test_fraction=tf, seed=seed)
    if config.dataset != "csv":
        c = config
        return builtin_dataset(c.dataset, c.samples, c.noise, c.test_fraction, seed, c.classes, c.task)
    csv = st.session_state.get("csv")
    if not csv:
        raise DataError("no CSV uploaded yet; upload a file with a header row, feature columns and a label column")
    f = io.BytesIO(csv["data"])
    f.name = csv["name"]
    try:
        return datasets.load_csv(
            f, config.label_column, config.feature_columns, test_fraction=tf, seed=seed, task=config.task
        )
    except DataError as e:  # which file, as the upload's own messages say (QA)
        raise DataError(f"{csv['name']}: {e}") from e


def config_from_state() -> RunConfig:
    """The run configuration the widgets describe (not yet validated)."""
    ss = st.session_state
    return config_from_widgets(ss, (ss.get("csv") or {}).get("name"))


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


def session_token() -> str:
    """The token this session's live updates carry, so a page that outlives its session can tell (tab.js)."""
    return reloads.session_token(st.session_state.setdefault("tab_session", secrets.token_hex(4)))


def _data_file() -> tuple[str, bytes] | None:
    """The session's own data as a file, kept with its runs for replay: the drawing (as "Save drawing as CSV" writes
    it) when the run trains on drawn points, else the uploaded CSV file."""
    ss = st.session_state
    trainer, drawing, csv = ss.get("trainer"), ss.get("drawing"), ss.get("csv")
    if trainer is not None and trainer.config.dataset == "drawn":
        return ("drawn.csv", drawing["csv"]) if drawing else None
    return (csv["name"], csv["data"]) if csv else None


def init_state() -> None:
    """Create this session's state on its first run, from the URL's query parameters."""
    ss = st.session_state
    if "trainer" in ss:
        restore_settings()
        return
    values, warnings = read_url(st.query_params.to_dict())
    ss.update(running=False, tick=None, notices=[], csv=None, csv_error="", weights_error=[], uploads=0)
    ss["snapshots"] = graph_live.LiveSeries()  # the Graph page keeps it: the history starts with the run
    # records every run of this session into the server's shared store ($MICROGRAD_DB), with heartbeats
    ss["recorder"] = recording.Recorder(
        opener=open_run_store,
        heartbeat=True,
        data_file=_data_file,
    )
    try:
        _apply_widget_values(values)
        ss["trainer"] = new_trainer(config_from_state().validate())
    except (ConfigError, DataError) as e:  # each value was fine alone but not together: start from the defaults
        warnings.append(f"the link's settings do not work together ({e}); using the defaults")
        _apply_widget_values(read_url({})[0])
        ss["trainer"] = new_trainer(config_from_state().validate())
    ss["url_warnings"] = warnings


def first_screen(page: str) -> bool:
    """Whether this run draws the first screen only: the session's first run, when it shows the Train page.

    A first visit's time to a usable page is mostly the browser loading the code of each kind of element (about 60
    files for the settings alone) and revealing them together. So the first run draws the run controls, the view
    and its messages; the view asks for the rest (trigger ``rest``) once its first picture is on screen, and any
    later run (a button, a setting) draws the whole page. bench/nav_timeline.py measures it.
    """
    ss = st.session_state
    ss[FIRST_SCREEN] = page == "Train" and FIRST_SCREEN not in ss
    if ss[FIRST_SCREEN]:
        ss[SETTLE_PENDING] = True
    elif ss.get(SETTLE_PENDING):  # the first run to draw the settings (again, if one was cut short before them)
        _settle(anew=True)
        ss[SETTLE_UNTIL] = monotonic() + SETTLE_SECONDS
    elif monotonic() < ss.get(SETTLE_UNTIL, -math.inf):
        _settle(anew=False)
    return ss[FIRST_SCREEN]


def settings_drawn() -> None:
    """The sidebar has drawn the settings' widgets (see first_screen)."""
    st.session_state.pop(SETTLE_PENDING, None)


def _settle(anew: bool) -> None:
    """Set every setting's value again before its widget is drawn, so the run sends each widget its value.

    - anew, on the first run that draws the settings: the first screen set them without widgets, and Streamlit
      keeps such a value under its bare key, where a later run that hides the widget found it again (a Pause after
      No budget brought the old step budget back). Deleted and set again, they are set as a first run sets them.
    - For SETTLE_SECONDS after: a widget the browser has not drawn yet (its code still loading) shows the value of
      the last run that sent it, and a run that did not set the value sends none: the widget showed its own default
      and sent it back (Start pressed as the settings arrived: 4 samples, 1 step a second).
    A value set again is the session's value, changes by the user included.
    """
    ss = st.session_state
    for k in [k for k in ss if isinstance(k, str) and k.startswith("w_")]:
        value = ss[k]
        if anew:
            del ss[k]
        ss[k] = value


def _apply_widget_values(values: dict[str, Any]) -> None:
    values = dict(values)
    sizes = values.pop("w_layers")
    for k, v in values.items():
        st.session_state[k] = v
    set_layer_widgets(sizes)


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


def show_run_error(trainer: Trainer) -> bool:
    """A diverged or failed run's message and what to do (the trainer's message names no UI control); True if shown."""
    if trainer.status not in (DIVERGED, FAILED):
        return False
    st.error(text.md(trainer.message) + " Press **Reset** to start again.")
    return True


def run_state(trainer: Trainer) -> str:
    """The run's state as the status lines say it: running, paused, or the trainer's own (ready, finished, ...)."""
    return "running" if is_running() else trainer.status if trainer.status != TRAINING else "paused"


def kept_after(problem: str) -> str:
    """A problem with the data, said as one sentence, and that nothing changed (the errors end without a period)."""
    return f"{problem.rstrip('.')}. The current data and model stay."


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
    if new.dataset == "csv" and not st.session_state.get("csv"):
        return ""  # nothing uploaded yet is no error: the sidebar asks for a file, and the current run stays
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
        # a running run stops here: say so, or the view's "ready · step 0" reads as a glitch
        stopped = f" Training stopped at step {tr.step_count:,}; press Start to train it." if is_running() else ""
        replace_trainer(
            new_trainer(new, dataset), f"{' and '.join(w for w in what if w)} changed: weights re-initialised.{stopped}"
        )
    except (ConfigError, DataError) as e:
        return kept_after(str(e))
    return ""


def _showable(message: object) -> str:
    """A message as Markdown Streamlit can send: user text escaped; a lone surrogate (legal in JSON) becomes '?'."""
    return text.md(str(message).encode("utf-8", "replace").decode("utf-8"))


def show_notices() -> None:
    """Show (once) the messages callbacks and settings changes left for this run.

    The queue is emptied before anything is shown, so a notice that fails to show can never come back and fail
    every later run of the session; text that is not valid Unicode is shown with '?' in its place.
    """
    ss = st.session_state
    warnings, notices = ss.get("url_warnings", []), ss.get("notices", [])
    if not ss.get(FIRST_SCREEN):  # a first screen keeps them: the full page follows at once, in the same place
        ss["notices"], ss["url_warnings"] = [], []
    ss["shown_now"] = [*warnings, *notices]  # what this run says already (a page's own banner need not repeat it)
    for w in warnings:
        st.warning(_showable(w))  # plain sentences that quote user text (URL values, file and run names)
    for n in notices:
        st.info(_showable(n))
