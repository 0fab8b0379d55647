"""Uploads: a CSV dataset and a weights file, each validated before it replaces anything."""

from __future__ import annotations

from typing import Any

import numpy as np
import streamlit as st

from micrograd.fast import numeric
from micrograd.studio import datasets, drawn
from micrograd.studio.config import ConfigError
from micrograd.studio.datasets import DataError
from ui.options import MAX_LAYERS, MAX_WIDTH, drawn_widgets
from ui.session import config_from_state, fit_task, get_trainer, new_trainer, replace_trainer, set_layer_widgets


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
        if get_trainer().config.dataset != "csv":  # a file not trained on yet goes: its columns and error with it
            ss["csv"] = None
        return
    ss["csv"], ss["csv_error"], ss["csv_fresh"] = {"name": f.name, "data": data, "columns": columns}, "", True
    ss["w_csv_label"], ss["w_csv_features"] = columns[-1], columns[:-1]
    detect_task()


def detect_task() -> None:
    """The Task of the uploaded CSV's label column (classes, or numbers with more than 10 values: regression).

    Call it from a callback (an upload, a new label column); the Task widget can still override it afterwards.
    """
    ss = st.session_state
    csv = ss.get("csv")
    if not csv or ss.get("w_csv_label") not in csv["columns"]:
        return
    try:
        task = datasets.csv_task(csv["data"], ss["w_csv_label"])
    except DataError:  # the loader says what is wrong with the file when the settings are applied
        return
    before = ss.get("w_task")
    ss["w_task"] = task
    fit_task(before)


def apply_drawing(payload: object) -> bool:
    """Make the points drawn in the Train view ({kind, x, y, c}) the session's data (dataset "drawn", weights
    initialised); False (and a notice) when they cannot be trained on. Call it from a callback: it sets widgets."""
    ss = st.session_state
    try:
        if not isinstance(payload, dict):
            raise DataError("the drawing arrived damaged; draw it again")
        d = drawn.points(payload.get("kind"), payload.get("x"), payload.get("y"), payload.get("c"))
        why = drawn.problem(d)
        if why:
            raise DataError(why)
    except DataError as e:
        ss["notices"].append(f"The drawing was not applied: {e}.")
        return False
    before = {k: ss.get(k) for k in (*drawn_widgets(d), "w_lr", "w_lr_end")}
    ss.update(drawn_widgets(d, ss.get("w_loss")))
    fit_task(get_trainer().task)  # a curve is a regression: rates it trains at
    kinds = f"{len(d.classes)} classes" if d.kind == "classes" else "a curve"
    try:
        replace_trainer(
            new_trainer(config_from_state().validate()),
            f"Training on your drawing: {len(d)} points, {kinds} ({d.task}); weights initialised.",
        )
    except (ConfigError, DataError) as e:  # e.g. the network is too large for the sidebar: nothing changes
        ss.update(before)
        ss["notices"].append(f"The drawing was not applied: {e}")
        return False
    return True


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
        # the sizes with the inputs, as the sidebar and the Experiments page name a network
        f"Loaded {f.name}: {'-'.join(map(str, model.sizes))} network.{mismatch_note(loaded, tr.dataset)}",
    )
    set_layer_widgets(sizes)
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
    task, data_task = getattr(loaded, "task", "binary"), getattr(dataset, "task", "binary")
    if task != data_task:  # same sizes, another meaning: a 1-output regression is no binary classifier
        problems.append(
            f"the file's model is for {task} but the current data is {data_task}; "
            "choose data of the file's task, then import the file again"
        )
    nout = getattr(dataset, "n_outputs", 1)
    if sizes[-1] != nout:
        problems.append(
            f"the file's model has {sizes[-1]} outputs but the current data needs {nout}; "
            "choose data of the file's task, then import the file again"
        )
    if len(hidden) > MAX_LAYERS or any(n > MAX_WIDTH for n in hidden):
        problems.append(f"the file's hidden layers {hidden} exceed this dashboard's {MAX_LAYERS} x {MAX_WIDTH}")
    if not problems and not _finite_outputs(loaded.model, dataset):
        biggest = max(abs(p.data) for p in loaded.model.parameters())
        problems.append(
            f"the file's weights (the largest is {biggest:.3g} in size) make the network's outputs on the current "
            "data overflow to inf or nan, so it could neither be drawn nor trained; export the weights again from a "
            "run that did not diverge"
        )
    return problems


def _finite_outputs(model: Any, dataset: datasets.Dataset) -> bool:
    """Whether the model's outputs on every point of the data are finite numbers (QA: 1e308 weights loaded)."""
    X = np.vstack([dataset.X_train, dataset.X_test])
    with np.errstate(all="ignore"):
        return bool(np.isfinite(numeric.outputs(numeric.layers_of(model), X)).all())


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
    t_mine, t_theirs = getattr(dataset, "target_scaling", None), getattr(loaded, "target_scaling", None)
    if getattr(loaded, "task", "binary") == "regression" and not same(t_mine, t_theirs):
        notes.append("the file standardised its targets differently, so its outputs read in the current data's units")
    return f" Note: {'; '.join(notes)}, so its weights may need more training here." if notes else ""
