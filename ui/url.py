"""The URL codec: every sidebar setting mirrored in the query parameters, read back with validation.

Which settings a link carries, and their limits and choices, come from the schema (ui.options.url_settings); a
value must also fit the sidebar (its select-slider options and its smaller limits), so a link never sets a widget
to a value the widget cannot show: one between two options takes the nearest, and the page says so.
"""

from __future__ import annotations

import math
from typing import Any

import streamlit as st

from micrograd.studio import drawn
from micrograd.studio.config import SIDEBAR, Setting
from micrograd.studio.datasets import DATASETS, DataError
from micrograd.studio.lessons import preset_settings
from micrograd.studio.presets import REGRESSION_LR, REGRESSION_LR_END
from micrograd.studio.text import is_number
from ui.options import (
    dataset_defaults,
    defaults,
    drawn_widgets,
    layer_sizes,
    task_losses,
    url_settings,
)


def _snap(x: float, options: tuple) -> Any:
    """The option x names, else the nearest one when x lies between them (on a log scale for positive options:
    0.05 is nearer 0.03 than 0.1); outside them a ValueError saying which there are."""
    for o in options:
        if math.isclose(x, o, rel_tol=1e-9, abs_tol=1e-15):
            return o
    if min(options) <= x <= max(options):  # also false for nan
        log = x > 0 and min(options) > 0
        return min(options, key=lambda o: abs(math.log(o / x)) if log else abs(o - x))
    raise ValueError(f"must be one of {', '.join(f'{o:g}' for o in options)}")


def _list(s: Setting, text: str) -> list:
    parts = text.replace(",", "-").split("-") if text.strip() not in ("", "none") else []  # 16-16 or 16,16
    low, high = s.bounds(SIDEBAR)
    most = getattr(SIDEBAR, s.max_items) if isinstance(s.max_items, str) else s.max_items
    ok = most is None or len(parts) <= most
    if s.kind is int:
        ok = ok and all(
            p.isdigit() and (low is None or low <= int(p)) and (high is None or int(p) <= high) for p in parts
        )
    if not ok:
        example = "-".join(map(str, s.default or ())) or "1-2"
        raise ValueError(f"must be up to {most} sizes of {low}-{high} joined by '-', e.g. {example}")
    return [s.kind(p) for p in parts]


def parse(s: Setting, text: str, state: dict) -> Any:
    """The value of one query parameter; raises ValueError ('must …' says why). state: the widget values so far."""
    if s.many:
        return _list(s, text)
    allowed = s.allowed()
    if allowed is not None:
        if text not in allowed:
            raise ValueError(f"must be one of {', '.join(map(str, allowed))}")
        return text
    if s.options is not None:
        return s.kind(_snap(float(text), s.options))
    low, top = s.bounds(SIDEBAR, DATASETS.get(state["w_dataset"]))
    bounded = low is not None and top is not None
    span = (f"[{low}, {top}]" if s.kind is int else f"[{low:g}, {top:g}]") if bounded else ""  # not 4.29497e+09
    try:
        x = s.kind(text)
    except ValueError:
        if s.kind is int and is_number(text):  # 1e12 or 2.5: a number, just not a whole one (in range)
            raise ValueError(f"must be a whole number{' in ' + span if bounded else ''}") from None
        raise
    if bounded and not low <= x <= top:  # also false for nan and ±inf
        raise ValueError(f"must be in {span}")
    return x


def read_url(params: dict[str, str]) -> tuple[dict[str, Any], list[str]]:
    """(widget values, warnings) from query parameters; a bad value keeps the default and adds a warning.

    ``lesson=name`` brings a lesson preset's settings (micrograd.studio.lessons); the link's own settings win.
    """
    state, warnings = defaults(), []
    params, problem = preset_settings(params)
    if problem:
        warnings.append(problem)
    drawing = _drawing(params, warnings)
    if drawing:
        state |= drawing
    for key, s in url_settings().items():
        if key not in params:
            continue
        text = params[key]
        if key == "dataset" and text == "csv":
            warnings.append(
                "This link used an uploaded CSV file, which links cannot carry: choose Dataset → Upload CSV… in the "
                "sidebar and upload it again."
            )
            continue
        if key == "dataset" and text == "drawn" and not drawing:
            if "draw" not in params:  # a damaged drawing has its own warning already
                warnings.append("This link names drawn points but carries none (draw=...); draw them again.")
            continue
        if key == "speed" and is_number(text) and float(text) > max(s.options or (math.inf,)):
            top = max(s.options or ())  # links from when the highest speed was 100 steps a second
            warnings.append(
                f"URL parameter speed={text!r} is above the highest speed, {top} steps a second; using {top}."
            )
            state[s.key] = top
            continue
        try:
            value = parse(s, text, state)
        except ValueError as e:
            reason = str(e) if "must" in str(e) else "is not a number"
            warnings.append(f"URL parameter {key}={text!r} {reason}; using {state[s.key]!r}.")
            continue
        if s.options is not None and not math.isclose(value, float(text), rel_tol=1e-9, abs_tol=1e-15):
            warnings.append(
                f"URL parameter {key}={text!r} is not one of the sidebar's values; using the nearest, {value:g}."
            )
        state[s.key] = value
        if key == "dataset":  # a new dataset brings its own default size and noise unless the URL gives them
            state |= dataset_defaults(value)
    _fit_task(state, warnings, "task" in params)
    if state.get("w_task") == "regression":  # a link without rates gets ones regression trains at (see fit_task)
        if "lr" not in params:
            state["w_lr"] = REGRESSION_LR
        if "lr_end" not in params:
            state["w_lr_end"] = REGRESSION_LR_END
    return state, warnings


def _fit_task(state: dict[str, Any], warnings: list[str], asked: bool = False) -> None:
    """A link naming a dataset but no task (or a loss of another task) gets the dataset's task and its loss.

    asked: the link named the task; one the dataset has no form of is then replaced with a warning."""
    spec = DATASETS.get(state["w_dataset"])
    tasks = getattr(spec, "tasks", None)
    if tasks and state.get("w_task") not in tasks:
        if asked:
            warnings.append(
                f"dataset {state['w_dataset']} has no {state.get('w_task')} form (its tasks: {', '.join(tasks)}); "
                f"using {tasks[0]}."
            )
        state["w_task"] = tasks[0]
    fits = task_losses(state.get("w_task", "binary"))
    if state.get("w_loss") not in fits:
        if state.get("w_loss") != defaults().get("w_loss"):  # the link asked for it: say why it changed
            warnings.append(f"loss {state.get('w_loss')!r} does not fit task {state.get('w_task')}; using {fits[0]}.")
        state["w_loss"] = fits[0]


def _drawing(params: dict[str, str], warnings: list[str]) -> dict[str, Any]:
    """Session values of the drawn points a link carries (draw=...; micrograd.studio.drawn's codec), or {}."""
    if "draw" not in params:
        return {}
    try:
        d = drawn.decode_url(params["draw"])
        why = drawn.problem(d)
        if why:
            raise DataError(why)
    except DataError as e:
        warnings.append(f"The link's drawing could not be used: {e}.")
        return {}
    return drawn_widgets(d, params.get("loss"))


def url_of(state: Any) -> dict[str, str]:
    """Query parameters for the current widget values."""
    out = {}
    for key, s in url_settings().items():
        v = layer_sizes(state) if key == "layers" else state.get(s.key)
        if v is None:
            continue
        if s.many:
            out[key] = "-".join(map(str, v)) or "none"
        elif isinstance(v, float):
            out[key] = f"{v:g}"
        else:
            out[key] = str(v)
    return out


def set_params(params: dict[str, str]) -> None:
    """Put these query parameters in the address bar: only the ones that changed, in one message to the browser (a
    first visit sets ~20; one message per parameter cost a round trip each)."""
    changed = {k: v for k, v in params.items() if st.query_params.get(k) != v}
    if changed:
        st.query_params.update(changed)


def write_url() -> None:
    """Mirror the settings into the query parameters."""
    set_params(url_of(st.session_state))
    ss = st.session_state
    drawing = (ss.get("drawing") or {}).get("url") if ss.get("w_dataset") == "drawn" else None
    if drawing and st.query_params.get("draw") != drawing:  # drawn points travel in the link (up to 200)
        st.query_params["draw"] = drawing
    elif not drawing and "draw" in st.query_params:
        del st.query_params["draw"]


STICKY = ("lesson", "projector")  # no settings, but part of how a class sees the app


def projector() -> bool:
    """Projector mode: the link says ?projector=1 (or true, on)."""
    return st.query_params.get("projector") in ("1", "true", "on")


def keep_sticky() -> None:
    """Keep a lesson's question and projector mode on from page to page (QA): a page switch drops the query
    parameters; write_url puts the settings back from the widgets, this puts these back from the session. A new
    visit (a reload of an edited link) starts a new session, so taking one off the link still turns it off."""
    ss = st.session_state
    for key in STICKY:
        if key in st.query_params:
            ss[f"url_{key}"] = st.query_params[key]
        elif ss.get(f"url_{key}") is not None:
            st.query_params[key] = ss[f"url_{key}"]
