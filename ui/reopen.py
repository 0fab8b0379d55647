"""Open a recorded run again: its settings into the sidebar's widgets, its final weights into a new trainer."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from micrograd.studio import weights as export
from micrograd.studio.config import RunConfig
from ui.options import MAX_LAYERS, MAX_WIDTH, widgets_for
from ui.session import config_from_state, load_dataset, new_trainer, replace_trainer
from ui.uploads import check_loaded


def open_run(run_id: int, run: dict) -> None:
    """Make a stored run (``RunStore.get_run``) this session's run, paused, with a notice of what was rounded.

    Raises ValueError (ConfigError, DataError and WeightsError are ValueErrors) or KeyError saying why it cannot;
    then the widgets and the current run stay as they were.
    """
    ss = st.session_state
    if not run["weights"]:
        raise ValueError(f"run #{run_id} has no stored weights (it diverged or stopped before they were saved)")
    config = RunConfig.from_dict(run["config"])
    if len(config.layers) > MAX_LAYERS or any(n > MAX_WIDTH for n in config.layers):
        raise ValueError(f"its hidden layers {config.layers} exceed this dashboard's {MAX_LAYERS} x {MAX_WIDTH}")
    uploaded = (ss.get("csv") or {}).get("name")
    if config.dataset == "csv" and uploaded != Path(config.csv or "").name:  # the CLI records a path
        raise ValueError(
            f"it was trained on the CSV file {config.csv!r}, which is not uploaded in this session. On the Train "
            "page choose Dataset → Upload CSV…, upload that file, then open the run again"
        )
    loaded = export.loads(run["weights"])
    widgets, notes = widgets_for(config)
    old = {k: ss[k] for k in widgets if k in ss}
    ss.update(widgets)
    try:  # the sidebar re-initialises the weights unless its widgets give back this very configuration
        config = config_from_state().validate()
        dataset = load_dataset(config)
        problems = check_loaded(loaded, dataset)
        if problems:
            raise ValueError("; ".join(problems))
        trainer = new_trainer(config, dataset, loaded.model)
        trainer.origin = run_id
    except Exception:
        for k in widgets:
            ss.pop(k, None)
        ss.update(old)
        raise
    rounded = f" Rounded to the sidebar's choices: {', '.join(notes)}." if notes else ""
    replace_trainer(
        trainer, f"Opened run #{run_id} ({run['name']}): its settings and {weights_words(run, loaded)}.{rounded}"
    )


def weights_words(run: dict, loaded) -> str:
    """Which weights a stored run gives (its last step's, or an earlier save's), and that training counts anew."""
    saved, steps = loaded.metrics.get("step"), run.get("steps") or 0
    anew = "training goes on from them as a new run, counting from step 0"
    if isinstance(saved, int) and saved < steps:
        return (
            f"its weights at step {saved:,}, the last saved: the run went on to step {steps:,} before it was "
            f"{run.get('status') or 'stopped'}, and the steps after the last save are lost; {anew}"
        )
    if isinstance(saved, int):
        return f"its weights at step {saved:,}, where it ended; {anew}"
    return f"its final weights; {anew}"
