"""The settings sidebar shared by every page."""

from __future__ import annotations

from typing import Any

import streamlit as st

from micrograd.losses import LOSS_TITLES
from micrograd.studio import presets
from micrograd.studio.config import NO_BUDGET, OWN_DATA, SIDEBAR, TASKS
from micrograd.studio.datasets import DATASETS, DatasetSpec
from micrograd.views import text
from ui.controls import new_data, on_dataset_change, run_controls
from ui.guard import guard
from ui.options import (
    ACTIVATION_TITLES,
    KEEPALIVE_SECONDS,
    SLOW_PARAMS,
    SPEED_OPTIONS,
    TICK_SECONDS,
    layer_sizes,
    setting,
    task_losses,
    widgets_for,
)
from ui.session import (
    apply_settings,
    fit_loss,
    fit_task,
    get_trainer,
    is_running,
    kept_after,
    save_settings,
    settings_drawn,
)
from ui.uploads import detect_task, on_csv_upload
from ui.url import write_url


def _w(name: str) -> dict:
    """A widget's label, key and help from its setting (keywords for st.*)."""
    s = setting(name)
    return {"label": s.label, "key": s.key, "help": s.help}


def _ranged(name: str, spec: DatasetSpec | None = None) -> dict:
    """A number widget's label, key, help and the sidebar's limits from its setting (spec: the dataset's)."""
    low, high = setting(name).bounds(SIDEBAR, spec)
    return _w(name) | {"min_value": low, "max_value": high}


def _options(name: str) -> dict:
    """A select slider's label, key, help and options from its setting."""
    s = setting(name)
    return {"label": s.label, "key": s.key, "help": s.help, "options": s.options, "format_func": lambda v: f"{v:g}"}


TASK_TITLES = {"binary": "two classes", "multiclass": "several classes", "regression": "regression (values)"}


def _tasks(name: str) -> tuple[str, ...]:
    """The tasks a dataset can be drawn for (its default first); any for CSV data, the drawing's for drawn data."""
    drawing = st.session_state.get("drawing")
    if name == "drawn" and drawing:
        return (drawing["task"],)
    spec = DATASETS.get(name)
    return tuple(getattr(spec, "tasks", ("binary",))) if spec is not None else TASKS


def _on_dataset_change() -> None:
    """A new dataset brings its own defaults, and its own task when it cannot be drawn for the current one."""
    ss = st.session_state
    before = ss.get("w_task")
    on_dataset_change()
    tasks = _tasks(ss["w_dataset"])
    if ss.get("w_task") not in tasks:
        ss["w_task"] = tasks[0]
    fit_task(before)


def _on_task_change() -> None:
    """The Task widget changed: a loss of the new task, and rates regression trains at (see fit_task)."""
    fit_task(get_trainer().task)


def _use_preset() -> None:
    """Set the sidebar to the chosen dataset's preset (the settings that train it well), keeping its size and seeds."""
    ss = st.session_state
    keep = {"samples": ss.get("w_samples"), "noise": ss.get("w_noise"), "data_seed": ss.get("w_data_seed")}
    keep |= {"classes": ss.get("w_classes"), "seed": ss.get("w_seed")}
    keep = {k: v for k, v in keep.items() if v is not None}
    try:
        settings = presets.preset(ss["w_dataset"], ss.get("w_task"))
        config = presets.preset_config(ss["w_dataset"], ss.get("w_task"), **keep)
    except ValueError as e:  # an unknown or task-less preset: say so, change nothing
        ss["notices"].append(f"No preset: {e}.")
        return
    widgets, _ = widgets_for(config)
    ss.update(widgets)
    ss["notices"].append(f"Preset for {ss['w_dataset']}: {presets.describe(settings)}.")


def _drawing_note() -> None:
    """What the session's drawn data is, and a button that saves it as CSV."""
    drawing = st.session_state.get("drawing")
    if not drawing:
        st.info(
            "No points drawn yet: press **Draw** above the Train page's plot, draw points of two classes or more "
            "(or a curve), then press **Train on these points**. Until then the current data stays."
        )
        return
    n, task = len(drawing["points"]), drawing["task"]
    st.caption(
        f"Your drawing: {n} points ({TASK_TITLES.get(task, task)}), in the units you drew them (not standardised). "
        "Draw mode in the Train view edits it; the link carries it."
    )
    st.download_button(
        "Save drawing as CSV", data=drawing["csv"], file_name="drawn.csv", mime="text/csv", key="download_drawing"
    )


def _data_section() -> None:
    ss = st.session_state
    titles = {"csv": "Upload CSV…", "drawn": "Drawn points"}
    st.selectbox(
        **_w("dataset"),
        options=setting("dataset").allowed(),
        on_change=_on_dataset_change,
        format_func=lambda n: titles.get(n, n.replace("_", " ")),
    )
    tasks = _tasks(ss["w_dataset"])
    if ss.get("w_task") not in tasks:
        ss["w_task"] = tasks[0]
    st.selectbox(**_w("task"), options=tasks, on_change=_on_task_change, format_func=lambda t: TASK_TITLES.get(t, t))
    if ss["w_dataset"] == "drawn":
        _drawing_note()
    elif ss["w_dataset"] == "csv":
        st.file_uploader(
            "CSV file (header row; a label or target column)",
            type=["csv", "txt"],
            key=f"csv_upload_{ss['uploads']}",
            on_change=on_csv_upload,
        )
        if ss.get("csv_error"):  # the file name and its column names are user text
            st.error(text.md(kept_after(ss["csv_error"])))
        elif not ss.get("csv"):
            current = get_trainer().dataset.name.replace("_", " ")
            st.info(
                f"Choose a CSV file: a header row, numeric feature columns and a label column (classes, or numbers "
                f"for regression). "
                f"Until then the current data ({current}) stays."
            )
        csv = ss.get("csv")
        if csv:
            cols = csv["columns"]
            if ss.get("w_csv_label") not in cols:
                ss["w_csv_label"] = cols[-1]
            st.caption(f"Columns of {text.md(csv['name'])}:")  # which file, when several were tried (QA)
            st.selectbox(**_w("label_column"), options=cols, on_change=detect_task)
            features = [c for c in cols if c != ss["w_csv_label"]]
            ss["w_csv_features"] = [c for c in ss.get("w_csv_features", features) if c in features]
            st.multiselect(**_w("feature_columns"), options=features)
            st.caption("Features are standardised (mean 0, std 1) with the training rows' statistics.")
    else:
        spec = DATASETS[ss["w_dataset"]]
        st.caption(spec.description)
        if (ss["w_dataset"], ss["w_task"]) in presets.PRESETS:
            st.button(
                "Use preset settings",
                key="btn_preset",
                on_click=_use_preset,
                disabled=is_running(),
                help="The network, loss, learning rate and steps that train this dataset well (micrograd datasets)",
            )
        if getattr(spec, "uses_classes", False) and ss["w_task"] == "multiclass":
            st.number_input(**_ranged("classes", spec))
        st.number_input(**_ranged("samples", spec), step=10)
        if spec.uses_noise:
            st.slider(**_ranged("noise", spec), step=0.01)
    st.slider(**_ranged("test_fraction"), step=0.05)
    a, b = st.columns(2, vertical_alignment="bottom")
    a.number_input(**_ranged("data_seed"))
    csv = ss["w_dataset"] in OWN_DATA  # the user's own data: no new draw
    b.button(
        "New data",
        key="btn_new_data",
        on_click=new_data,
        disabled=csv,
        help="New points, same weights",
        width="stretch",
    )


def _network_section() -> Any:
    """The Network widgets; returns the slot for the network's size, filled once the settings are applied."""
    ss = st.session_state
    layers = setting("layers")
    low, high = layers.bounds(SIDEBAR)
    st.number_input(layers.label, 0, SIDEBAR.hidden_layers, key="w_nlayers")
    cols = st.columns(3)
    for k in range(int(ss["w_nlayers"])):
        ss.setdefault(f"w_layer_{k}", 4)
        cols[k % 3].number_input(f"Layer {k + 1}", low, high, key=f"w_layer_{k}")
    size = st.empty()
    st.selectbox(**_w("activation"), options=setting("activation").allowed(), format_func=ACTIVATION_TITLES.get)
    st.selectbox(**_w("init"), options=setting("init").allowed())
    return size


def _on_no_budget() -> None:
    """The No budget box: steps 0, or back to the budget the run had before (the default if it never had one)."""
    ss = st.session_state
    ss["w_steps"] = 0 if ss["no_budget"] else ss.get("budget_before") or setting("steps").default


def _budget(column) -> None:
    """The step budget, and a box for none: steps 0 trains until Pause (the number box then says so, greyed)."""
    ss = st.session_state
    none = ss.get("w_steps") == 0  # a link's ?steps=0, a stored run or a typed 0 tick the box too
    if none:
        column.text_input(setting("steps").label, value=NO_BUDGET, disabled=True, key="no_budget_shown")
    else:
        ss["budget_before"] = ss.get("w_steps")  # what unticking the box comes back to
        column.number_input(**_ranged("steps"), step=50)
    ss["no_budget"] = none
    st.checkbox(
        "No budget (train until Pause)",
        key="no_budget",
        on_change=_on_no_budget,
        help="Train on and on until you press Pause; a learning-rate schedule then stays at the learning rate "
        "(it has no end to move toward). Untick to get the step budget back.",
    )


def _training_section() -> None:
    ss = st.session_state
    fit_loss()
    st.selectbox(
        **_w("loss"), options=task_losses(ss.get("w_task", "binary")), format_func=lambda n: LOSS_TITLES.get(n, n)
    )
    st.select_slider(**_options("lr"))
    st.selectbox(**_w("schedule"), options=setting("schedule").allowed())
    if ss["w_schedule"] != "constant":
        st.select_slider(**_options("lr_end"))
        if ss.get("w_steps") == 0:
            st.caption(
                f"No budget: the schedule has no end to move toward, so the learning rate stays at {ss['w_lr']:g}."
            )
    a, b = st.columns(2)
    a.number_input(**_ranged("batch_size"))
    _budget(b)
    st.select_slider(**_options("l2"))
    st.select_slider(**_options("momentum"))
    a, b = st.columns(2)
    a.number_input(**_ranged("seed"))
    b.radio(**_w("engine"), options=setting("engine").allowed(), horizontal=True)
    st.select_slider(
        **_options("speed")
        | {
            "help": f"training speed (wall clock, up to {max(SPEED_OPTIONS)} steps a second); the browser draws every "
            f"step, the server trains a batch of steps every {TICK_SECONDS:g} s"
        }
    )
    st.caption("Changes here apply at once, without resetting the weights.")


def _network_size(slot: Any, n_features: int, n_outputs: int) -> None:
    """The network the widgets describe on this data, and its parameter count."""
    sizes = [n_features, *layer_sizes(st.session_state), n_outputs]
    params = sum(a * b + b for a, b in zip(sizes, sizes[1:]))
    with slot.container():
        st.caption(f"Network {'-'.join(map(str, sizes))}: {params:,} parameters.")
        if params > SLOW_PARAMS:
            st.warning(f"{params:,} parameters: each step is slower; fewer or smaller layers train faster live.")


def sidebar(live: bool = True, settings: bool = True) -> None:
    """The shared sidebar: run controls and every setting; then apply the settings and mirror them in the URL.

    live: whether the page shows live training; elsewhere Start is not offered (see run_controls).
    settings: False draws the run controls alone (a first screen, ui.session.first_screen); the settings still apply.
    """
    with st.sidebar:
        controls = st.container()  # filled last, so the buttons reflect the settings applied below
        with guard("showing the settings"):  # whatever fails here, the run controls (and Reset) stay
            if settings:
                with st.expander("Data", expanded=True):
                    messages = st.container()
                    _data_section()
                with st.expander("Network", expanded=True):
                    size = _network_section()
                with st.expander("Training", expanded=True):
                    _training_section()
                settings_drawn()
            else:
                messages = st.container()
                st.caption("Loading the settings…")
            problem = apply_settings()
            data = get_trainer().dataset  # after apply: a new task or dataset has its own inputs and outputs
            if settings:
                _network_size(size, data.n_features, getattr(data, "n_outputs", 1))
            if problem:
                messages.error(text.md(problem))
            write_url()
            save_settings()
        with controls:
            run_controls(live)
        # last in the sidebar and on every run, so no element after it moves (a moved live view would re-mount)
        st.fragment(_keep_alive, run_every=None if is_running() else KEEPALIVE_SECONDS)()


def _keep_alive() -> None:
    """Sync the session's run recorder: on every full run, and while paused also on the fragment's own timer.
    Nothing ticks while paused, so without it another session's sweep of silent ones (RunStore.close_stale, after 2
    minutes) ended a paused run whose tab was open, and the Experiments page called it interrupted. Draws nothing."""
    st.session_state["recorder"].sync(get_trainer(), is_running())
