"""Run controls (Start, Pause, Step, Reset, New data) and the live training tick."""

from __future__ import annotations

import random
import time

import streamlit as st

from micrograd.studio import trainer as training
from micrograd.studio.config import ConfigError
from micrograd.studio.datasets import DataError
from micrograd.views import graph
from ui.options import MAX_SEED, TICK_BUDGET, dataset_defaults
from ui.session import get_trainer, is_running, load_dataset, new_trainer, replace_trainer


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
        tr.set_dataset(load_dataset(config), config)
    except (ConfigError, DataError) as e:
        ss["notices"].append(f"New data failed: {e}")
        return
    ss["w_data_seed"] = seed
    ss["notices"].append(f"New data drawn (data seed {seed}); the weights were kept.")


def on_dataset_change() -> None:
    """A new dataset starts from its own default size and noise."""
    ss = st.session_state
    ss.update(dataset_defaults(ss["w_dataset"]))


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
