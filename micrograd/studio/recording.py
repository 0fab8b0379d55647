"""Run recording: the one way the CLI and the dashboard save a trainer's runs in the run store (no Streamlit here).

``Recorder`` is the API: ``watch(trainer)`` before it steps, ``sync(trainer, running)`` whenever the caller looks
at it (each script run and live tick in the dashboard; once at the end in the CLI), ``close()`` when done. It opens
a run at the trainer's first step with the weights from before that step, logs every setting changed live (the
step it followed, the field, the new value), saves the weights every FIRST_CHECKPOINT_SECONDS to CHECKPOINT_SECONDS
of training (as often as SAVE_SHARE of the time allows), and keeps the stored status in line with the trainer's.
With ``heartbeat=True`` (dashboard sessions) it also tells the store the session is alive and closes the runs of
sessions that went silent (see RunStore.close_stale).

``RunRecorder`` is its writer for one run: buffered steps, changes, checkpoints, status; a store failure becomes
``error`` (reported once through ``on_error``) and never stops training.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterable
from functools import partial
from pathlib import Path
from typing import Any

from micrograd.studio.config import OWN_DATA
from micrograd.studio.runs import DATA_FILE_LIMIT, RunStore, StoreError, default_db_path
from micrograd.studio.status import FINAL, LIVE, Status
from micrograd.studio.store_base import _step_row
from micrograd.studio.trainer import Trainer
from micrograd.studio.weights import initial_weights_of, weights_of

CHECKPOINT_SECONDS = 10.0  # a live run's weights in the store are at most this old (of training time)
FIRST_CHECKPOINT_SECONDS = 1.0  # and at least this old: a run closed or reloaded early still has its weights
SAVE_SHARE = 0.0025  # saves take at most this share of the time: a small net saves every few seconds, a large one less
HEARTBEAT_SECONDS = 5.0  # how often a session tells the store it is alive (RunStore.STALE_SECONDS is 120)


def open_store(path: str | os.PathLike | None = None) -> tuple[RunStore | None, str]:
    """(store, "") or (None, the StoreError message for a banner); path None means default_db_path()."""
    try:
        return RunStore(default_db_path() if path is None else path), ""
    except StoreError as e:
        return None, str(e)


def final_status(trainer: Trainer) -> Status | None:
    """The run status of a trainer that cannot go on (finished, diverged, failed), else None."""
    if trainer.status in FINAL:  # the trainer's own phases (ready, training) are no run statuses
        return Status(trainer.status)
    return Status.FINISHED if trainer.done else None


class RunRecorder:
    """Writes one run into a RunStore: buffered steps, live changes, checkpoints and its status."""

    FLUSH_EVERY = 25
    FLUSH_SECONDS = 1.0

    def __init__(
        self,
        store: RunStore | None,
        config: dict,
        data: dict,
        name: str | None = None,
        tags: Iterable[str] = (),
        *,
        heartbeat: bool = False,
        clock: Callable[[], float] = time.monotonic,
        on_error: Callable[[str], None] | None = None,
        **run: Any,
    ) -> None:
        """Create the run (run: create_run's keywords: task, sweep_id, sweep_axes, initial_weights)."""
        self.store = store
        self.run_id: int | None = None
        self.error: str | None = None
        self.status = Status.RUNNING
        self.heartbeat, self.clock, self.on_error = heartbeat, clock, on_error
        self.flush_every, self.flush_seconds = self.FLUSH_EVERY, self.FLUSH_SECONDS
        self.saved_step = 0  # the last step known to be in the store
        self.deleted = False  # the run was deleted while recording (nothing left to finish)
        self._buffer: list[tuple] = []  # step rows (store_base._step_row), validated as they come
        self._last_flush = self._last_beat = clock()
        self._lock = threading.Lock()
        if store is not None:
            self.run_id = self._guard(lambda: store.create_run(config, data, name=name, tags=tags, **run))
            run_id = self.run_id
            if run_id is not None and heartbeat:
                self._guard(lambda: store.heartbeat(run_id))

    @property
    def finished(self) -> bool:
        """True once a final status was written (or attempted)."""
        return self.status in FINAL

    @property
    def active(self) -> bool:
        """Whether records still go to the store."""
        return self.store is not None and self.run_id is not None and self.error is None and not self.finished

    def _guard(self, write: Callable[[], Any]) -> Any:
        """Run a store write; on failure remember the banner message, stop writing and return None."""
        try:
            return write()
        except StoreError as e:
            self._fail(str(e))
        except KeyError as e:  # the run was deleted (e.g. from another window) while training
            self.deleted = True
            self._fail(f"{e.args[0]}. Training still works, but this run is no longer saved.")
        self._buffer.clear()
        return None

    def _fail(self, message: str) -> None:
        first = self.error is None
        self.error = message
        if first and self.on_error is not None:
            self.on_error(message)

    def on_step(self, record: dict) -> None:
        """Buffer one step record; flush every flush_every records or flush_seconds, whichever comes first."""
        if not self.active:
            return
        row = _step_row(record)  # a malformed record is the trainer's bug: report it here, not at the next flush
        with self._lock:
            self._buffer.append(row)
            due = self.clock() - self._last_flush >= self.flush_seconds
            if len(self._buffer) >= self.flush_every or due:
                self._flush()

    def _flush(self) -> None:
        if self.active and self._buffer:
            records, self._buffer = self._buffer, []
            store, run_id = self.store, self.run_id
            assert store is not None and run_id is not None
            self._guard(lambda: store.append_steps(run_id, records))
            if self.error is None:
                self.saved_step = max(self.saved_step, max(r[0] for r in records))
        self._last_flush = self.clock()

    def flush(self) -> None:
        """Write the buffered records now."""
        with self._lock:
            self._flush()

    def _write(self, what: Callable[[RunStore, int], Any]) -> Any:
        """Flush, then one more write if still active."""
        with self._lock:
            self._flush()
            if self.active:
                store, run_id = self.store, self.run_id
                assert store is not None and run_id is not None
                return self._guard(lambda: what(store, run_id))
        return None

    def log_change(self, step: int, field: str, value: Any) -> None:
        """A setting changed live after `step` steps."""
        self._write(lambda s, i: s.log_change(i, step, field, value))

    def checkpoint(
        self, metrics: dict, weights_json: str | None, config: dict, data: dict, wall_seconds: float | None = None
    ) -> None:
        """Save the weights and metrics so far (and the settings and data as they are now, and the wall time since
        the run started: a paused run's list row showed none, QA)."""
        self._write(
            lambda s, i: s.update_run(
                i, metrics=metrics, weights_json=weights_json, config=config, data=data, wall_seconds=wall_seconds
            )
        )

    def set_status(self, status: Status | str) -> None:
        """Mark the run running or paused (also again after finishing, when the budget was raised)."""
        status = Status.parse(status, LIVE)
        reopen = self.finished and self.error is None
        if reopen:
            self.status = status  # writes go on
        if reopen or not self.heartbeat:
            self._write(lambda s, i: s.update_run(i, status=status))
        self.status = status
        if self.heartbeat:
            self._beat()

    def beat(self) -> None:
        """Tell the store the session is alive, every HEARTBEAT_SECONDS (see RunStore.close_stale)."""
        if self.heartbeat and self.active and self.clock() - self._last_beat >= HEARTBEAT_SECONDS:
            self._beat()

    def _beat(self) -> None:
        self._last_beat = self.clock()
        status = self.status
        stored = self._write(lambda s, i: s.heartbeat(i, status))
        if stored == Status.INTERRUPTED:  # closed as stale while the session was away; it is back, so it goes on
            self._write(lambda s, i: s.update_run(i, status=status, message=""))
            self._write(lambda s, i: s.heartbeat(i))

    def finish(
        self,
        status: Status | str,
        metrics: dict,
        weights_json: str | None,
        wall_seconds: float,
        message: str = "",
        config: dict | None = None,
        data: dict | None = None,
    ) -> None:
        """Write the remaining steps and the final status, metrics and weights (and the settings and data
        description as they ended, when given); later calls do nothing. After a store failure it tries again, then
        with the status and message alone (they fit where weights do not), so the record ends with its true
        status and says where it stops."""
        status = Status.parse(status, FINAL)
        with self._lock:
            if self.finished:
                return
            self._flush()
            store, run_id, failed = self.store, self.run_id, self.error
            self.status = status
            if store is None or run_id is None or self.deleted:
                return
            if failed:
                message = f"{message} The record stops at step {self.saved_step}: the run store failed.".strip()
            # update_run's keyword arguments, each of its own type
            full: dict[str, Any] = dict(
                metrics=metrics, weights_json=weights_json, wall_seconds=wall_seconds, config=config, data=data
            )
            for fields in (full, {}):
                try:
                    store.update_run(run_id, status=status, message=message, **fields)
                    return
                except KeyError:  # deleted meanwhile: nothing left to finish
                    return
                except StoreError as e:
                    if not failed:
                        self._fail(str(e))
                        failed = str(e)
                        message = f"{message} The record stops at step {self.saved_step}: the run store failed."
                        message = message.strip()


class Recorder:
    """Records every run of one trainer after another (a dashboard session, or a CLI command)."""

    def __init__(
        self,
        store_path: str | os.PathLike | None = None,
        *,
        opener: Callable[[], tuple[RunStore | None, str]] | None = None,
        heartbeat: bool = False,
        clock: Callable[[], float] = time.monotonic,
        on_error: Callable[[str], None] | None = None,
        name: str | None = None,
        tags: Iterable[str] = (),
        data_file: Callable[[], tuple[str, bytes] | None] | None = None,
    ) -> None:
        """store_path: the database (None: default_db_path()); opener: returns a shared (store, problem) instead,
        which close() then leaves open. on_error gets each new store problem once (the CLI prints it).
        data_file: a CSV run's file or a drawn run's points (drawn.to_csv), kept for replay, as (name, bytes)."""
        self.store_path = store_path
        self._opener = opener if opener is not None else partial(open_store, store_path)
        self._owns_store = opener is None
        self.heartbeat, self.clock, self.on_error = heartbeat, clock, on_error
        self.name, self.tags = name, tuple(tags)
        self.data_file = data_file
        self.store: RunStore | None = None
        self.trainer: Trainer | None = None
        self.recorder: RunRecorder | None = None
        self.error = ""
        self._reported = ""
        self._gave_up: Trainer | None = None  # the trainer whose run could not be started
        self._initial: list[float] | None = None  # parameter values before the first step
        self._seen: tuple[object, dict] = (None, {})  # the trainer's config object and dict as last logged
        self._started = self._checkpointed = 0.0
        self._save_cost = 0.0  # seconds the last save of the current run's weights took

    @property
    def run_id(self) -> int | None:
        """The store id of the current trainer's run (None before its first step or without a store)."""
        return None if self.recorder is None else self.recorder.run_id

    def _note(self, error: str | None) -> None:
        self.error = error or ""
        if self.error and self.error != self._reported:
            self._reported = self.error
            if self.on_error is not None:
                self.on_error(self.error)

    def _open(self) -> bool:
        if self.store is None:
            self.store, problem = self._opener()
            if self.store is None:
                self._note(problem)
        return self.store is not None

    def watch(self, trainer: Trainer) -> None:
        """Make trainer the one recorded; the previous trainer's unfinished run ends as interrupted."""
        if trainer is self.trainer:
            return
        self._end(Status.INTERRUPTED)
        self.trainer, self.recorder = trainer, None
        self._initial = [p.data for p in trainer.params] if trainer.step_count == 0 else None
        self._seen = (trainer.config, trainer.config.to_dict())
        trainer.on_step = partial(self._on_step, trainer, trainer.on_step)  # chained: other hooks keep working
        if self.heartbeat and self._gave_up is None:
            self._open()  # a session that opens the store runs the stale-session sweep (sync)

    def _on_step(self, trainer: Trainer, chained: Callable[[dict], None] | None, record: dict) -> None:
        if chained is not None:
            chained(record)
        if trainer is not self.trainer:  # a replaced trainer stepped by a late callback
            return
        rec = self.recorder
        if rec is None:
            rec = self._start(trainer)
            if rec is None:
                return
        else:
            if rec.finished and rec.error is None:  # a step after finishing: the budget was raised
                rec.set_status(Status.RUNNING)
            self._log_changes(trainer, record["step"] - 1)  # a change seen now was made before this step
        rec.on_step(record)
        due = min(CHECKPOINT_SECONDS, max(FIRST_CHECKPOINT_SECONDS, self._save_cost / SAVE_SHARE))
        if self.clock() - self._checkpointed >= due:
            self._checkpoint(trainer)
        self._note(rec.error)

    def _start(self, trainer: Trainer) -> RunRecorder | None:
        """Open the trainer's run at its first recorded step (one attempt per trainer)."""
        if self._gave_up is trainer:
            return None
        self._gave_up = trainer
        if not self._open():
            return None
        initial = None if self._initial is None else initial_weights_of(trainer, self._initial)
        csv = self._csv_of(trainer) if trainer.config.dataset in OWN_DATA else None  # kept for replay
        rec = RunRecorder(
            self.store,
            trainer.config.to_dict(),
            trainer.dataset.summary(),
            self.name,
            self.tags,
            heartbeat=self.heartbeat,
            clock=self.clock,
            task=getattr(trainer.config, "task", "binary"),
            initial_weights=initial,
            data_file=csv,
        )
        if rec.error:
            self._note(rec.error)
            return None
        store, run_id = self.store, rec.run_id
        if trainer.origin is not None and not self.name and store is not None and run_id is not None:
            # a reopened run's record says where it came from: "moons 2-16-16-1 tanh svm #4, from run #2"
            rec._guard(lambda: store.rename(run_id, f"{store.get_run(run_id)['name']}, from run #{trainer.origin}"))
        self.recorder, self._gave_up, self._initial = rec, None, None
        self._started = self._checkpointed = self.clock()
        self._save_cost = 0.0  # seconds the last save of this run's weights took (none yet)
        self._seen = (trainer.config, trainer.config.to_dict())
        self._note("")
        return rec

    def _csv_of(self, trainer: Trainer) -> tuple[str, bytes] | None:
        """(name, bytes) of this CSV or drawn run's data: data_file's, else the CLI's path config.csv (within the
        limit)."""
        if self.data_file is not None:
            return self.data_file()
        path = Path(str(trainer.config.csv or ""))
        try:
            return (path.name, path.read_bytes()) if path.is_file() and path.stat().st_size <= DATA_FILE_LIMIT else None
        except OSError:
            return None

    def _log_changes(self, trainer: Trainer, step: int) -> None:
        config, rec = trainer.config, self.recorder
        if config is self._seen[0] or rec is None:  # settings change by replacing the config object
            return
        now = config.to_dict()
        for field, value in now.items():
            if self._seen[1].get(field) != value:
                rec.log_change(step, field, value)
        self._seen = (config, now)

    def _checkpoint(self, trainer: Trainer) -> None:
        self._checkpointed, started = self.clock(), time.perf_counter()
        if self.recorder is not None:
            config, data = trainer.config.to_dict(), trainer.dataset.summary()
            wall = self.clock() - self._started
            self.recorder.checkpoint(trainer.metrics(), weights_of(trainer), config, data, wall)
            self._save_cost = time.perf_counter() - started

    def sync(self, trainer: Trainer, running: bool) -> None:
        """Watch trainer, then store its status: its final one when done, else running or paused.

        With heartbeat, then close the runs of sessions that went silent (after this one's own heartbeat, so a
        session back from a long pause keeps its run).
        """
        try:
            self._sync(trainer, running)
        finally:
            if self.heartbeat and self.store is not None:
                try:
                    self.store.close_stale()
                except StoreError as e:
                    self._note(str(e))

    def _sync(self, trainer: Trainer, running: bool) -> None:
        self.watch(trainer)
        rec = self.recorder
        if rec is None or rec.finished:
            return
        self._log_changes(trainer, trainer.step_count)
        status = final_status(trainer)
        if status is not None:
            self._end(status)
            return
        want = Status.RUNNING if running else Status.PAUSED
        if want != rec.status:
            rec.set_status(want)
            if want == Status.PAUSED:  # keep the weights so far, in case the session never comes back
                self._checkpoint(trainer)
        rec.beat()
        self._note(rec.error)

    def _end(self, status: Status, message: str = "") -> None:
        """Finish the current run: with the trainer's own final status if it has one, else status."""
        rec, tr = self.recorder, self.trainer
        if rec is None or tr is None or rec.finished:
            return
        status = final_status(tr) or status
        if not message and status == Status.INTERRUPTED:
            message = f"stopped {'before the step budget' if tr.config.steps else '(no budget)'}: replaced by a new run"
        self._log_changes(tr, tr.step_count)
        metrics = tr.metrics() if tr.history else {"step": 0}
        # the settings as they ended: lr, loss, budget... change live, and "New data" redraws the data
        config, data = tr.config.to_dict(), tr.dataset.summary()
        rec.finish(status, metrics, weights_of(tr), self.clock() - self._started, tr.message or message, config, data)
        self._note(rec.error)

    def close(self, status: Status = Status.INTERRUPTED, message: str = "") -> None:
        """End the current run (its trainer's final status, else status with message) and close an own store."""
        self._end(status, message)
        if self.store is not None and self._owns_store:
            self.store.close()
            self.store = None


SessionRecorder = Recorder  # the dashboard's name for it before the CLI used it too
