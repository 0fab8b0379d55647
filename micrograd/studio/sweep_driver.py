"""The sweep driver: a background thread that submits a sweep's trials to Dask and records each result.

The thread belongs to the process that started the sweep (the dashboard's server or the CLI), never to a page
session: it writes every result to the run store as it arrives, and pages only read the store. So closing a tab
does not stop a sweep, Cancel does, and every session sees the same sweeps.
"""

from __future__ import annotations

import contextlib
import os
import queue
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable
from functools import partial
from typing import Any

from micrograd.studio.cluster import Clusters
from micrograd.studio.runs import RunStore, StoreError
from micrograd.studio.status import Status
from micrograd.studio.sweeps import SweepSpec, Trial, cancel_event, label, run_trial, topic

CANCEL_GRACE = 60.0  # seconds running trials get to stop and report after Cancel, before their futures are dropped
FINAL = tuple(s.value for s in Status if s.final)
STARTING = "starting the cluster…"  # the sweep's message while the driver connects
_DONE, _RAISED = "finished", "error"  # distributed.Future.status of a task that returned / raised (Dask's words)


def _say(problem: str) -> None:
    """The default way a driver reports a problem: one line on stderr (the server's log, the CLI's terminal)."""
    print("micrograd: " + "".join(c if c.isprintable() else " " for c in problem), file=sys.stderr, flush=True)


def _data_hint(config: dict) -> dict:
    """What is known of a trial's data before it runs (the store's architecture column needs the inputs)."""
    from micrograd.studio.datasets import DATASETS

    spec = DATASETS.get(str(config.get("dataset")))
    return {"name": config.get("dataset"), "n_features": spec.n_features} if spec is not None else {}


class SweepRun:
    """One sweep in flight. ``start`` records the sweep and its queued trials, submits them, starts the thread."""

    def __init__(
        self,
        store_path: str | os.PathLike,
        clusters: Clusters,
        spec: SweepSpec,
        on_problem: Callable[[str], None] = _say,
    ) -> None:
        self.store_path, self.clusters, self.spec = store_path, clusters, spec
        self.on_problem = on_problem  # told once per kind of problem: a failed store write, the driver stopping
        self.sweep_id: int | None = None
        self.token = ""
        self.trials: list[Trial] = []
        self.run_ids: list[int] = []
        self.status: dict[int, str] = {}  # trial index -> queued, running or a final status
        self.error = ""  # the first problem (also told to on_problem)
        self.unrecorded = 0  # store writes that failed for good
        self.started_at = 0.0
        self._cancel = threading.Event()
        # set when the driver has written its last record. Not Thread.is_alive(): in Python 3.11 a KeyboardInterrupt
        # landing in Thread.join(timeout) marks a running thread stopped (threading's bpo-45274 handling), so the
        # CLI, which joins in a loop and takes Ctrl-C as Cancel, would exit before the trials are recorded.
        self._finished = threading.Event()
        self._said: set[str] = set()
        self._unwritten: dict[int, list[Callable[[], None]]] = {}  # trial index -> its final record's writes
        self._wake = threading.Event()
        self._events: queue.Queue = queue.Queue()
        self._thread: threading.Thread | None = None
        self._client: Any = None  # a distributed.Client once connected (Dask ships no type hints)
        self._futures: list = []

    def _sweep(self) -> int:
        """The sweep's id: set by start() before anything is written about it."""
        if self.sweep_id is None:
            raise RuntimeError("the sweep has not been created in the store yet")
        return self.sweep_id

    def start(self, wait_for_cluster: bool = True) -> int:
        """Validate, record and submit the sweep; return its id. Raises SweepError, ClusterError or StoreError.

        Without wait_for_cluster the driver thread connects (starting a local cluster takes seconds) and submits:
        the sweep is recorded as queued, "starting the cluster…", and a cluster that fails is recorded, not raised.
        """
        self.trials = self.spec.trials()
        if wait_for_cluster:
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
            if wait_for_cluster:
                self._submit()
            else:
                self._store.update_sweep(self._sweep(), message=STARTING)
        except BaseException as e:
            if isinstance(e, StoreError):  # the caller shows this error; the records below fail alike
                self._said |= {"store", "unrecorded"}
            self._abandon("failed", "the sweep could not be submitted")
            self._store.close()
            raise
        self.started_at = time.time()
        self._thread = threading.Thread(
            target=self._drive, args=(not wait_for_cluster,), name=f"sweep-{self.sweep_id}", daemon=True
        )
        self._thread.start()
        return self.sweep_id

    def _submit(self) -> None:
        """Hand every trial to the cluster (self._client) and mark the sweep running."""
        # names on the cluster: two servers (two run stores) may share a cluster and number their sweeps alike
        self.token = f"{uuid.uuid4().hex[:12]}-{self.sweep_id}"
        self._client.subscribe_topic(topic(self.token), self._on_event)
        self._futures = [
            self._client.submit(run_trial, t.config, self.token, t.index, key=f"micrograd-{self.token}-{t.index}")
            for t in self.trials
        ]
        self._store.update_sweep(self._sweep(), status="running", message="")

    def _connect_and_submit(self) -> bool:
        """The background start: connect (starting a local cluster if need be), submit; False if it did not."""
        try:
            self._client = self.clusters.client()
            if not self._cancel.is_set():
                self._submit()
                return True
            self._abandon("cancelled", "cancelled before it started")
        except Exception as e:  # ClusterError (its message says what to do), or the store failing
            why = f"the sweep could not start: {e}"
            self._problem("driver", why)
            self._abandon("cancelled" if self._cancel.is_set() else "failed", why)
        return False

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
        return self._finished.is_set()

    def join(self, timeout: float | None = None) -> bool:
        """Wait for the driver; True when it has finished (a Ctrl-C while waiting leaves this run intact)."""
        if self._thread is not None:
            self._finished.wait(timeout)
        return self.done()

    def counts(self) -> Counter:
        """How many trials are in each status right now."""
        return Counter(self.status.values())

    def _drive(self, connect: bool = False) -> None:
        from distributed import Event, as_completed

        grace_until = None
        try:
            if connect and not self._connect_and_submit():
                return
            index_of = {f.key: i for i, f in enumerate(self._futures)}
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
        except BaseException as e:  # a cluster failure: record what is known, never leave 'running'
            why = f"{type(e).__name__}: {e}"
            self._problem("driver", f"the sweep driver stopped: {why}")
            self._abandon("interrupted", f"the sweep driver stopped: {why}")
        finally:
            with contextlib.suppress(Exception):  # the cluster may be gone; nothing is lost without the topic
                self._client.unsubscribe_topic(topic(self.token))
            self._futures = []
            self._store.close()
            self._finished.set()

    def _problem(self, kind: str, message: str) -> None:
        """Tell a problem once per kind (a store that refuses every write is one problem, not one per trial)."""
        if kind in self._said:
            return
        self._said.add(kind)
        self.error = self.error or message
        self.on_problem(f"sweep {self.sweep_id}: {message}" if self.sweep_id is not None else f"sweep: {message}")

    def _write(self, write: Callable[[], None]) -> bool:
        """One store write; a failure is told (once) and the sweep goes on: the cluster's trials do not wait."""
        try:
            write()
        except (StoreError, KeyError) as e:  # KeyError: the run was deleted on the Experiments page meanwhile
            self._problem("store", f"a result could not be written to the run store, it is retried at the end: {e}")
            return False
        return True

    def _record_writes(self, i: int, writes: list[Callable[[], None]]) -> None:
        """A trial's final record; kept to retry at the end if the store refuses it now."""
        self._unwritten.pop(i, None)
        for k, write in enumerate(writes):
            if not self._write(write):
                self._unwritten[i] = writes[k:]
                return

    def _retry_unwritten(self) -> None:
        """The final records the store refused earlier, once more; what still fails is counted and told."""
        for i, writes in list(self._unwritten.items()):
            for k, write in enumerate(writes):
                try:
                    write()
                except (StoreError, KeyError):
                    self._unwritten[i] = writes[k:]
                    break
            else:
                del self._unwritten[i]
        self.unrecorded = len(self._unwritten)
        if self.unrecorded:
            self._problem("unrecorded", f"{self.unrecorded} trial results could not be written to the run store")

    def _take_events(self) -> None:
        while True:
            try:
                msg = self._events.get_nowait()
            except queue.Empty:
                return
            i = msg.get("index") if isinstance(msg, dict) else None
            if isinstance(i, int) and self.status.get(i) in (Status.QUEUED, Status.RUNNING):
                self.status[i] = "running"
                run_id, where = self.run_ids[i], f"on {msg.get('worker', '?')}"
                self._write(partial(self._store.update_run, run_id, status="running", message=where))

    def _record(self, i: int, future) -> None:
        """Write one finished future's result (or why it has none) to its run."""
        run_id, store = self.run_ids[i], self._store
        if future.status == _DONE:
            r = future.result()
            writes = [lambda: store.append_steps(run_id, r["steps"])] if r["steps"] else []
            writes.append(
                lambda: store.update_run(
                    run_id,
                    status=r["status"],
                    metrics=r["metrics"],
                    weights_json=r["weights"],
                    wall_seconds=r["wall_seconds"],
                    message=r["message"],
                    config=r["config"],
                    data=r["data"] if r["data"] is not None else _data_hint(r["config"]),
                )
            )
            self._record_writes(i, writes)
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
        self._record_writes(i, [lambda: store.update_run(run_id, status=status, message=message)])
        self.status[i] = status

    def _finish_sweep(self) -> None:
        self._retry_unwritten()
        c = self.counts()
        summary = ", ".join(f"{c[s]} {s}" for s in FINAL if c[s])
        if self.unrecorded:
            summary += f"; {self.unrecorded} of them could not be written to the run store"
        status = "cancelled" if self._cancel.is_set() else "finished"
        self._write(lambda: self._store.update_sweep(self._sweep(), status=status, message=summary))

    def _abandon(self, sweep_status: str, message: str) -> None:
        """Give every trial not yet recorded a true final status, and the sweep sweep_status."""
        for i, s in list(self.status.items()):
            if s not in FINAL:
                if self._cancel.is_set():
                    final = "cancelled"
                elif s == Status.QUEUED:
                    final = "cancelled" if sweep_status == Status.FAILED else "interrupted"
                else:
                    final = "interrupted"
                self._record_writes(
                    i, [partial(self._store.update_run, self.run_ids[i], status=final, message=message)]
                )
                self.status[i] = final
        self._retry_unwritten()
        if self.sweep_id is not None:
            self._write(lambda: self._store.update_sweep(self._sweep(), status=sweep_status, message=message))
        try:
            if self._futures:
                self._client.cancel(self._futures)
        except Exception as e:  # the cluster is what failed: its tasks end with it (scheduler idle timeout)
            self._problem("cancel", f"the remaining trials could not be cancelled on the cluster: {e}")


class SweepService:
    """The sweeps one process drives, and the cluster they run on (one per server or CLI process)."""

    def __init__(
        self,
        store_path: str | os.PathLike,
        clusters: Clusters | None = None,
        on_problem: Callable[[str], None] = _say,
    ) -> None:
        self.store_path, self.on_problem = store_path, on_problem
        self.clusters = clusters if clusters is not None else Clusters.from_env()
        self.runs: dict[int, SweepRun] = {}
        self._lock = threading.Lock()

    def start(self, spec: SweepSpec) -> int:
        """Start a sweep and return its id at once (the driver thread connects to the cluster, starting it if need be).

        Raises SweepError or StoreError with a message for the user; a cluster that fails is recorded on the sweep.
        """
        run = SweepRun(self.store_path, self.clusters, spec, self.on_problem)
        sweep_id = run.start(wait_for_cluster=False)
        with self._lock:
            self.runs[sweep_id] = run
        return sweep_id

    def active(self, sweep_id: int) -> bool:
        """Whether this process is driving that sweep right now."""
        run = self.runs.get(sweep_id)
        return run is not None and not run.done()

    def busy(self) -> bool:
        """Whether this process is driving any sweep right now."""
        return any(self.active(i) for i in list(self.runs))

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
