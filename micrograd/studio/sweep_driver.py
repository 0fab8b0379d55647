"""The sweep driver: a background thread that submits a sweep's trials to Dask and records each result.

The thread belongs to the process that started the sweep (the dashboard's server or the CLI), never to a page
session: it writes every result to the run store as it arrives, and pages only read the store. So closing a tab
does not stop a sweep, Cancel does, and every session sees the same sweeps.
"""

from __future__ import annotations

import contextlib
import os
import queue
import threading
import time
import uuid
from collections import Counter

from micrograd.studio.cluster import Clusters
from micrograd.studio.runs import RunStore, StoreError
from micrograd.studio.status import Status
from micrograd.studio.sweeps import SweepSpec, Trial, cancel_event, label, run_trial, topic

CANCEL_GRACE = 60.0  # seconds running trials get to stop and report after Cancel, before their futures are dropped
FINAL = tuple(s.value for s in Status if s.final)
_DONE, _RAISED = "finished", "error"  # distributed.Future.status of a task that returned / raised (Dask's words)


def _data_hint(config: dict) -> dict:
    """What is known of a trial's data before it runs (the store's architecture column needs the inputs)."""
    from micrograd.studio.datasets import DATASETS

    spec = DATASETS.get(config.get("dataset"))
    return {"name": config.get("dataset"), "n_features": spec.n_features} if spec is not None else {}


class SweepRun:
    """One sweep in flight. ``start`` records the sweep and its queued trials, submits them, starts the thread."""

    def __init__(self, store_path: str | os.PathLike, clusters: Clusters, spec: SweepSpec) -> None:
        self.store_path, self.clusters, self.spec = store_path, clusters, spec
        self.sweep_id: int | None = None
        self.token = ""
        self.trials: list[Trial] = []
        self.run_ids: list[int] = []
        self.status: dict[int, str] = {}  # trial index -> queued, running or a final status
        self.error = ""
        self.started_at = 0.0
        self._cancel = threading.Event()
        self._wake = threading.Event()
        self._events: queue.Queue = queue.Queue()
        self._thread: threading.Thread | None = None
        self._client = None
        self._futures: list = []

    def start(self) -> int:
        """Validate, record and submit the sweep; return its id. Raises SweepError, ClusterError or StoreError."""
        self.trials = self.spec.trials()
        self._client = self.clusters.client()
        self._store = RunStore(self.store_path)
        try:
            name = self.spec.name or self.spec.describe()
            self.sweep_id = self._store.create_sweep(name, self.spec.to_dict(), self.clusters.describe())
            for t in self.trials:
                where = " ".join(f"{k}={label(v)}" for k, v in t.axes.items())
                run_name = f"sweep {self.sweep_id} #{t.index + 1}: {where} seed={t.config['seed']}".replace("  ", " ")
                run_id = self._store.create_run(
                    t.config,
                    _data_hint(t.config),
                    name=run_name,
                    sweep_id=self.sweep_id,
                    sweep_axes=t.axes,
                    status="queued",
                )
                self.run_ids.append(run_id)
                self.status[t.index] = "queued"
            # names on the cluster: two servers (two run stores) may share a cluster and number their sweeps alike
            self.token = f"{uuid.uuid4().hex[:12]}-{self.sweep_id}"
            self._client.subscribe_topic(topic(self.token), self._on_event)
            self._futures = [
                self._client.submit(run_trial, t.config, self.token, t.index, key=f"micrograd-{self.token}-{t.index}")
                for t in self.trials
            ]
        except BaseException:
            self._abandon("failed", "the sweep could not be submitted")
            self._store.close()
            raise
        self._store.update_sweep(self.sweep_id, status="running")
        self.started_at = time.time()
        self._thread = threading.Thread(target=self._drive, name=f"sweep-{self.sweep_id}", daemon=True)
        self._thread.start()
        return self.sweep_id

    def _on_event(self, event: tuple) -> None:
        """A trial announced its start (runs on the client's event loop: only hand it over)."""
        self._events.put(event[1])
        self._wake.set()

    def cancel(self) -> None:
        """Stop the sweep: queued trials are dropped, running ones stop at their next check; all are recorded."""
        self._cancel.set()
        self._wake.set()

    @property
    def cancelled(self) -> bool:
        """Whether Cancel was asked for."""
        return self._cancel.is_set()

    def done(self) -> bool:
        """Whether the driver thread has recorded every trial."""
        return self._thread is not None and not self._thread.is_alive()

    def join(self, timeout: float | None = None) -> bool:
        """Wait for the driver; True when it has finished."""
        if self._thread is not None:
            self._thread.join(timeout)
        return self.done()

    def counts(self) -> Counter:
        """How many trials are in each status right now."""
        return Counter(self.status.values())

    def _drive(self) -> None:
        from distributed import Event, as_completed

        index_of = {f.key: i for i, f in enumerate(self._futures)}
        grace_until = None
        try:
            ac = as_completed(self._futures, loop=self._client.loop)  # our client, not a process-wide default
            while not ac.is_empty():
                self._take_events()
                if self._cancel.is_set() and grace_until is None:
                    grace_until = time.monotonic() + CANCEL_GRACE
                    with contextlib.suppress(Exception):
                        Event(cancel_event(self.token), client=self._client).set()
                    queued = [
                        f for f in self._futures if self.status[index_of[f.key]] == Status.QUEUED and not f.done()
                    ]
                    self._client.cancel(queued)
                if grace_until is not None and time.monotonic() > grace_until:
                    self._client.cancel([f for f in self._futures if not f.done()])
                if ac.has_ready():
                    for f in ac.next_batch(block=False):
                        self._record(index_of[f.key], f)
                else:
                    self._wake.wait(0.2)
                    self._wake.clear()
            self._finish_sweep()
        except BaseException as e:  # a store or cluster failure: record what is known, never leave 'running'
            self.error = f"{type(e).__name__}: {e}"
            self._abandon("interrupted", f"the sweep driver stopped: {self.error}")
        finally:
            with contextlib.suppress(Exception):
                self._client.unsubscribe_topic(topic(self.token))
            self._futures = []
            self._store.close()

    def _take_events(self) -> None:
        while True:
            try:
                msg = self._events.get_nowait()
            except queue.Empty:
                return
            i = msg.get("index") if isinstance(msg, dict) else None
            if isinstance(i, int) and self.status.get(i) in (Status.QUEUED, Status.RUNNING):
                self.status[i] = "running"
                self._store.update_run(self.run_ids[i], status="running", message=f"on {msg.get('worker', '?')}")

    def _record(self, i: int, future) -> None:
        """Write one finished future's result (or why it has none) to its run."""
        run_id = self.run_ids[i]
        if future.status == _DONE:
            r = future.result()
            if r["steps"]:
                self._store.append_steps(run_id, r["steps"])
            self._store.update_run(
                run_id,
                status=r["status"],
                metrics=r["metrics"],
                weights_json=r["weights"],
                wall_seconds=r["wall_seconds"],
                message=r["message"],
                config=r["config"],
                data=r["data"] if r["data"] is not None else _data_hint(r["config"]),
            )
            self.status[i] = r["status"]
            return
        if future.status == _RAISED:
            from distributed import KilledWorker

            e = future.exception()
            why = (
                "the worker running it died on every attempt (killed, or out of memory)"
                if isinstance(e, KilledWorker)
                else f"{type(e).__name__}: {e}"
            )
            status, message = "failed", why
        elif self._cancel.is_set():
            started = self.status[i] == Status.RUNNING
            status, message = "cancelled", "cancelled while running" if started else "cancelled before it started"
        else:  # dropped without Cancel: the cluster went away
            status, message = "interrupted", "the Dask cluster was lost before this trial finished"
        self._store.update_run(run_id, status=status, message=message)
        self.status[i] = status

    def _finish_sweep(self) -> None:
        c = self.counts()
        summary = ", ".join(f"{c[s]} {s}" for s in FINAL if c[s])
        status = "cancelled" if self._cancel.is_set() else "finished"
        self._store.update_sweep(self.sweep_id, status=status, message=summary)

    def _abandon(self, sweep_status: str, message: str) -> None:
        """Give every trial not yet recorded a true final status, and the sweep sweep_status."""
        with contextlib.suppress(Exception):
            for i, s in list(self.status.items()):
                if s not in FINAL:
                    if self._cancel.is_set():
                        final = "cancelled"
                    elif s == Status.QUEUED:
                        final = "cancelled" if sweep_status == Status.FAILED else "interrupted"
                    else:
                        final = "interrupted"
                    self._store.update_run(self.run_ids[i], status=final, message=message)
                    self.status[i] = final
            if self.sweep_id is not None:
                self._store.update_sweep(self.sweep_id, status=sweep_status, message=message)
        with contextlib.suppress(Exception):
            self._client.cancel(self._futures)


class SweepService:
    """The sweeps one process drives, and the cluster they run on (one per server or CLI process)."""

    def __init__(self, store_path: str | os.PathLike, clusters: Clusters | None = None) -> None:
        self.store_path = store_path
        self.clusters = clusters if clusters is not None else Clusters.from_env()
        self.runs: dict[int, SweepRun] = {}
        self._lock = threading.Lock()

    def start(self, spec: SweepSpec) -> int:
        """Start a sweep; its id. Raises SweepError, ClusterError or StoreError with a message for the user."""
        run = SweepRun(self.store_path, self.clusters, spec)
        sweep_id = run.start()
        with self._lock:
            self.runs[sweep_id] = run
        return sweep_id

    def active(self, sweep_id: int) -> bool:
        """Whether this process is driving that sweep right now."""
        run = self.runs.get(sweep_id)
        return run is not None and not run.done()

    def cancel(self, sweep_id: int) -> bool:
        """Cancel a sweep this process drives; False when it does not (finished, or driven elsewhere)."""
        if not self.active(sweep_id):
            return False
        self.runs[sweep_id].cancel()
        return True

    def close(self, timeout: float = 30.0) -> None:
        """Cancel every sweep, wait for their records, stop the local cluster."""
        for run in list(self.runs.values()):
            run.cancel()
        deadline = time.monotonic() + timeout
        for run in list(self.runs.values()):
            run.join(max(0.0, deadline - time.monotonic()))
        with contextlib.suppress(StoreError):
            self.clusters.close()
