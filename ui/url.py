"""The URL codec: every sidebar setting mirrored in the query parameters, read back with validation.

Which settings a link carries, and their limits and choices, come from the schema (ui.options.url_settings); a
value must also fit the sidebar (its select-slider options and its smaller limits), so a link never sets a widget
to a value the widget cannot show.
"""

from __future__ import annotations

import math
from typing import Any

import streamlit as st

from micrograd.studio.config import SIDEBAR, Setting
from micrograd.studio.datasets import DATASETS
from micrograd.studio.lessons import preset_settings
from ui.options import dataset_defaults, defaults, layer_sizes, url_settings


def _snap(x: float, options: tuple) -> Any:
    for o in options:
        if math.isclose(x, o, rel_tol=1e-9, abs_tol=1e-15):
            return o
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
    x = s.kind(text)
    low, top = s.bounds(SIDEBAR, DATASETS.get(state["w_dataset"]))
    if low is not None and top is not None and not low <= x <= top:  # also false for nan and ±inf
        raise ValueError(f"must be in [{low:g}, {top:g}]")
    return x


def read_url(params: dict[str, str]) -> tuple[dict[str, Any], list[str]]:
    """(widget values, warnings) from query parameters; a bad value keeps the default and adds a warning.

    ``lesson=name`` brings a lesson preset's settings (micrograd.studio.lessons); the link's own settings win.
    """
    state, warnings = defaults(), []
    params, problem = preset_settings(params)
    if problem:
        warnings.append(problem)
    for key, s in url_settings().items():
        if key not in params:
            continue
        text = params[key]
        if key == "dataset" and text == "csv":
            warnings.append("This link used an uploaded CSV file, which links cannot carry; upload it again.")
            continue
        try:
            value = parse(s, text, state)
        except ValueError as e:
            reason = str(e) if "must" in str(e) else "is not a number"
            warnings.append(f"URL parameter {key}={text!r} {reason}; using {state[s.key]!r}.")
            continue
        state[s.key] = value
        if key == "dataset":  # a new dataset brings its own default size and noise unless the URL gives them
            state |= dataset_defaults(value)
    return state, warnings


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


def write_url() -> None:
    """Mirror the settings into the query parameters (only the ones that changed)."""
    for k, v in url_of(st.session_state).items():
        if st.query_params.get(k) != v:
            st.query_params[k] = v
