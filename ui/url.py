"""The URL codec: every sidebar setting mirrored in the query parameters, read back with validation."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import streamlit as st

from micrograd.losses import LOSS_TITLES
from micrograd.nn import ACTIVATIONS, INITS
from micrograd.optim import SCHEDULES
from micrograd.studio import datasets
from micrograd.studio.config import ENGINES
from micrograd.studio.datasets import DATASETS
from ui.options import (
    L2_OPTIONS,
    LR_OPTIONS,
    MAX_BATCH,
    MAX_LAYERS,
    MAX_SEED,
    MAX_STEPS,
    MAX_WIDTH,
    MOMENTUM_OPTIONS,
    SPEED_OPTIONS,
    defaults,
    layer_sizes,
)


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
