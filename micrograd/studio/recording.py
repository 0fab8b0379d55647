"""Run recording for the dashboard: one SessionRecorder per browser session writes its trainers' runs to the store.

No Streamlit here. The UI calls ``sync(trainer, running)`` once per script run (and per live tick); the recorder
notices a new trainer, opens a run at its first step, and keeps the stored status in line with the trainer's.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from functools import partial

from micrograd.studio import trainer as training
from micrograd.studio.runs import RunRecorder, RunStore, StoreError, default_db_path
from micrograd.studio.trainer import Trainer

FINAL = {training.FINISHED: "finished", training.DIVERGED: "diverged", training.FAILED: "error"}


def open_store(path: str | os.PathLike | None = None) -> tuple[RunStore | None, str]:
    """(store, "") or (None, the StoreError message for a banner); path None means default_db_path()."""
    try:
        return RunStore(default_db_path() if path is None else path), ""
    except StoreError as e:
        return None, str(e)


def weights_of(trainer: Trainer) -> str | None:
    """The trainer's weights file text, or None when they cannot be exported (a diverged run's NaNs)."""
    from micrograd.studio.weights import WeightsError

    try:
        return trainer.export_json()
    except WeightsError:  # no weights is better than no record
        return None


def start_recording(store: RunStore | None, trainer: Trainer) -> tuple[RunRecorder | None, str]:
    """A recorder with a new 'running' run for trainer, or (None, why not)."""
    if store is None:
        return None, "no run store"
    rec = RunRecorder(store, trainer.config.to_dict(), trainer.dataset.summary())
    return (None, rec.error) if rec.error else (rec, "")


def final_status(trainer: Trainer) -> str | None:
    """The store status of a trainer that cannot go on ('finished', 'diverged', 'error'), else None."""
    if trainer.status in FINAL:
        return FINAL[trainer.status]
    return "finished" if trainer.done else None


def finish_recording(recorder: RunRecorder, trainer: Trainer, status: str, wall_seconds: float) -> None:
    """Write the final status, metrics, weights and wall time (later calls do nothing)."""
    message = trainer.message or (
        "stopped before the step budget: replaced by a new run" if status == "interrupted" else ""
    )
    metrics = trainer.metrics() if trainer.history else {"step": 0}
    # the settings as they ended: lr, loss, budget... change live, and "New data" redraws the data
    config, data = trainer.config.to_dict(), trainer.dataset.summary()
    recorder.finish(status, metrics, weights_of(trainer), wall_seconds, message, config=config, data=data)


class SessionRecorder:
    """Records every run of one dashboard session; store failures become ``error`` and never stop training."""

    def __init__(self, store_path: str | os.PathLike | None = None) -> None:
        self.store_path = store_path
        self.store: RunStore | None = None
        self.trainer: Trainer | None = None
        self.recorder: RunRecorder | None = None
        self.error = ""
        self._status = ""  # the live status last written: running or paused
        self._started = 0.0
        self._gave_up: Trainer | None = None  # the trainer whose run could not be started

    @property
    def run_id(self) -> int | None:
        """The store id of the current trainer's run (None before its first step or without a store)."""
        return None if self.recorder is None else self.recorder.run_id

    def watch(self, trainer: Trainer) -> None:
        """Make trainer the one recorded; the previous trainer's unfinished run ends as 'interrupted'."""
        if trainer is self.trainer:
            return
        self._end("interrupted")
        self.trainer, self.recorder, self._status = trainer, None, ""
        trainer.on_step = partial(self._on_step, trainer, trainer.on_step)  # chained: other hooks keep working

    def _on_step(self, trainer: Trainer, chained: Callable[[dict], None] | None, record: dict) -> None:
        if chained is not None:
            chained(record)
        if trainer is not self.trainer:  # a replaced trainer stepped by a late callback
            return
        rec = self.recorder
        if rec is None:
            if self._gave_up is trainer:  # one attempt per run, not one per step
                return
            self._gave_up = trainer
            if self.store is None:  # retried at each run's start, so fixing the file needs no reload
                self.store, self.error = open_store(self.store_path)
            rec, error = start_recording(self.store, trainer)
            if rec is None:
                self.error = error if self.store is not None else self.error
                return
            self.recorder, self._status, self._started, self.error = rec, "running", time.time(), ""
            self._gave_up = None
        elif rec.finished and rec.error is None:  # a step after finishing: the budget was raised; sync finishes again
            rec.finished = False
            rec.set_status("running")
            self._status = "running"
        rec.on_step(record)
        self.error = rec.error or ""

    def sync(self, trainer: Trainer, running: bool) -> None:
        """Watch trainer, then store its status: finished/diverged/error when done, else running or paused."""
        self.watch(trainer)
        rec = self.recorder
        if rec is None or rec.finished:
            return
        status = final_status(trainer)
        if status is not None:
            self._end(status)
            return
        want = "running" if running else "paused"
        if want != self._status:
            rec.set_status(want)
            if want == "paused" and rec.active:  # keep the weights so far, in case the session never comes back
                try:
                    rec.store.update_run(
                        rec.run_id,
                        metrics=trainer.metrics(),
                        weights_json=weights_of(trainer),
                        config=trainer.config.to_dict(),
                        data=trainer.dataset.summary(),
                    )
                except (StoreError, KeyError) as e:
                    rec.error = str(e)
            self._status = want
        self.error = rec.error or ""

    def _end(self, status: str) -> None:
        """Finish the current run: with the trainer's own final status if it has one, else status."""
        rec, tr = self.recorder, self.trainer
        if rec is None or tr is None or rec.finished:
            return
        finish_recording(rec, tr, final_status(tr) or status, time.time() - self._started)
        self.error = rec.error or ""

    def close(self) -> None:
        """End the current run as interrupted (if unfinished) and close the store."""
        self._end("interrupted")
        if self.store is not None:
            self.store.close()
            self.store = None
