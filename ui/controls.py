"""Run controls (Start, Pause, Step, Reset, New data) and the live training tick."""

from __future__ import annotations

import math
import random
import time
from collections.abc import Callable

import streamlit as st

from micrograd.studio import config
from micrograd.studio import trainer as training
from micrograd.studio.config import OWN_DATA, ConfigError
from micrograd.studio.datasets import DataError
from micrograd.views import series
from micrograd.views.live import AHEAD_SECONDS
from ui.components import live as components
from ui.options import MAX_SEED, TICK_BUDGET, TICK_SECONDS, dataset_defaults
from ui.session import get_trainer, is_running, load_dataset, new_trainer, replace_trainer, run_state

MAX_LAG = 2.0  # seconds of training a tick may catch up on (two ticks: one late tick still catches up)
RATE_WINDOW = 3.0  # seconds over which the wall-clock steps per second are measured


def start() -> None:
    """Start (or resume) live training."""
    tr = get_trainer()
    if tr.done:
        failed = tr.status in (training.DIVERGED, training.FAILED)
        hint = "press Reset" if failed else "raise the step budget, tick No budget, or Reset"
        st.session_state["notices"].append(f"Nothing to train: the run is {tr.status}; {hint}.")
        return
    tr.resume()
    st.session_state["running"] = True


def pause() -> None:
    """Stop live training: the trainer's next step does nothing, even inside a tick."""
    st.session_state["running"] = False
    get_trainer().request_stop()
    series.take_snapshot(st.session_state.get("snapshots"), get_trainer(), force=True)


def step_once() -> None:
    """Pause and take exactly one step."""
    st.session_state["running"] = False
    tr = get_trainer()
    tr.resume()
    tr.step()
    tr.request_stop()
    series.take_snapshot(st.session_state.get("snapshots"), get_trainer(), force=True)


def reset() -> None:
    """Re-initialise the weights from the seed, on the same data, and clear the history."""
    tr = get_trainer()
    replace_trainer(new_trainer(tr.config, tr.dataset), f"Reset: weights re-initialised from seed {tr.config.seed}.")


def new_data() -> None:
    """Draw new data with a new data seed, keeping the weights and the history."""
    ss = st.session_state
    tr = get_trainer()
    if tr.config.dataset in OWN_DATA:  # data of the user's: nothing to draw anew
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
    """A new dataset starts from its own default size and noise; one picked after a drawing gets its test set back."""
    ss = st.session_state
    name = ss["w_dataset"]
    defaults = dataset_defaults(name)
    ss.update(defaults)
    if defaults and ss.get("drawing") and ss.get("w_test_fraction") == 0.0:  # a drawing trains on every point
        ss["w_test_fraction"] = config.build({"dataset": name}).effective("test_fraction")
        ss.setdefault("notices", []).append(
            f"Back to {name} after drawing: its test set is back (test fraction {ss['w_test_fraction']:g}). The "
            "loss and the learning rate stay as the drawing left them; Use preset settings gives the dataset's own."
        )


def _clock(tr: training.Trainer, speed: float, now: float) -> dict:
    """The pace anchor of the live run: steps are due at ``speed`` per wall-clock second since it was set."""
    ss = st.session_state
    c = ss.get("clock")
    if c is None or c["speed"] != speed or c["run"] != id(tr):
        # at Start, the steps the browser plays before this first tick (live.AHEAD_SECONDS) are due at once: the model
        # then holds every step on screen, and a Pause right after Start stops at the one shown (it went back to the
        # trainer's first step); after a change of speed, one step is due at once
        lead = math.ceil(speed * AHEAD_SECONDS) if c is None else 1
        c = {"t0": now - lead / speed, "step0": tr.step_count, "speed": speed, "run": id(tr), "seen": []}
        ss["clock"] = c
    return c


def steps_per_second() -> float | None:
    """Wall-clock training speed over the last few seconds (None before two ticks)."""
    c = st.session_state.get("clock")
    seen = c["seen"] if c else []
    if len(seen) < 2 or seen[-1][0] <= seen[0][0]:
        return None
    return (seen[-1][1] - seen[0][1]) / (seen[-1][0] - seen[0][0])


SHORT_OF_SPEED = 1.25  # training this many times slower than the speed set: a view plans for the rate reached


def plan_speed(speed: float, reached: float | None) -> float:
    """The steps per second a live view plans its pictures and playback for: the speed set, or the rate training
    reaches when that is clearly below it (under 80 %). Planned for the speed set, a slower run showed "every 2nd
    step" and played each tick's few steps in a burst, then stood still (QA: the scalar engine's ~10 steps a second
    at a speed of 100; a big network's ~40)."""
    return reached if reached is not None and 0 < reached * SHORT_OF_SPEED < speed else speed


def view_speed() -> float:
    """plan_speed() for this session: its speed setting and, while running, the rate its training reaches."""
    return plan_speed(float(st.session_state.get("w_speed", 20)), steps_per_second() if is_running() else None)


def tick(on_step: Callable[[training.Trainer], None] | None = None) -> int:
    """One live tick: the steps due at ``w_speed`` steps per wall-clock second, within TICK_BUDGET.

    The cost of a tick depends on the speed, never on the run's length. A slow machine drops the debt beyond
    MAX_LAG seconds instead of catching up in a burst. on_step(trainer) runs after every step (a live view
    records its frames there). When the run ends, rerun to drop the timer. Returns the number of steps taken.
    """
    ss = st.session_state
    if not ss.get("running"):
        ss.pop("clock", None)
        return 0
    tr = get_trainer()
    speed = float(ss.get("w_speed", 20))
    t0 = time.perf_counter()
    c = _clock(tr, speed, t0)
    due = int((t0 - c["t0"]) * speed + 1e-6) - (tr.step_count - c["step0"])
    cap = max(1, math.ceil(speed * MAX_LAG))
    if due > cap:  # far behind (a slow machine, a hidden tab): owe at most MAX_LAG seconds, forget the rest
        c.update(t0=t0 - cap / speed, step0=tr.step_count)
        due = cap
    n, snapshots = 0, ss.get("snapshots")  # read once: each session-state read costs more than a snapshot check
    with tr.batch():  # the steps' metrics and layer health measured in one pass when the loop ends
        while n < due:
            if tr.step() is None:
                break
            n += 1
            series.take_snapshot(snapshots, tr)
            if on_step is not None:
                on_step(tr)
            if tr.done or time.perf_counter() - t0 > TICK_BUDGET:
                break
    now = time.perf_counter()
    c["seen"] = [*(p for p in c["seen"] if now - p[0] < RATE_WINDOW), (now, tr.step_count)]
    ss["tick"] = {"steps": n, "seconds": now - t0}
    ss["recorder"].sync(tr, not tr.done)
    if tr.done:
        ss["running"] = False
        ss.pop("clock", None)
        st.rerun()
    return n


ACTIONS = {"start": start, "pause": pause, "step": step_once, "reset": reset}  # every row of run buttons


def _disabled(tr: training.Trainer, running: bool) -> dict[str, bool]:
    """Which run buttons are off, the same in every row: Start unless running or spent, Pause while running, Step
    unless spent, Reset always."""
    return {"start": running or tr.done, "pause": not running, "step": tr.done, "reset": False}


def run_controls(live: bool = True) -> None:
    """Start / Pause / Step / Reset buttons; live=False on pages that do not show training (no Start there)."""
    tr, running = get_trainer(), is_running()
    if running and not live:  # nothing ticks on this page: pause rather than claim a run that is not happening
        pause()
        running = False
    hint = None if live else "Live training runs on the Train and Graph pages; Step works here."
    off = _disabled(tr, running) | ({} if live else {"start": True})
    cells = [c for _ in range(2) for c in st.columns(2, gap="small")]  # two rows of two
    for cell, act in zip(cells, ACTIONS):
        first = act == "start"
        cell.button(
            act.capitalize(),
            key=f"btn_{act}",
            on_click=ACTIONS[act],
            disabled=off[act],
            type="primary" if first else "secondary",
            width="stretch",
            help=hint if first else None,
        )
    state = run_state(tr)
    components.library()  # the live views' JS, sent once per full run (every page has this sidebar)
    components.run_status(state, tr.step_count, tr.config.steps, TICK_SECONDS)


def page_run_buttons(page: str) -> None:
    """Start, Pause, Step and Reset on the page itself, for where the sidebar's are out of sight: live.css shows the
    row (keyed mg_page_buttons_<page>: a page that uses it needs its own rule there) only on a narrow screen
    (Streamlit folds the sidebar away there), with a folded sidebar, or in projector mode. They do what the
    sidebar's do (a diverged run's message says "press Reset": QA found no Reset on a phone's Graph page)."""
    off = _disabled(get_trainer(), is_running())
    with st.container(key=f"mg_page_buttons_{page}", horizontal=True, gap="small"):
        for act, do in ACTIONS.items():
            kind = "primary" if act == "start" else "secondary"
            st.button(act.capitalize(), key=f"{page}_{act}_btn", on_click=do, disabled=off[act], type=kind)
