"""Where sweeps run: a local Dask cluster started on demand, or an existing one named by whoever runs the server.

The local cluster is two subprocesses, `dask scheduler` and `dask worker --nworkers N`, on 127.0.0.1 with a
scheduler file (``LocalCluster()`` cannot start inside a Streamlit script: each worker process re-runs the app).
They get their own session, so a Ctrl-C in the terminal reaches only us and we shut them down in order; and they
end on their own when we cannot: the scheduler closes after ``IDLE_TIMEOUT`` without tasks (closing its workers),
and a worker whose scheduler is gone exits after ``DEATH_TIMEOUT``. So a kill -9 of the server leaves nothing
running a minute later.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ENV_VAR = "MICROGRAD_DASK"
IDLE_TIMEOUT = "30s"  # the scheduler closes after this long without tasks (and so after a kill -9 of its client)
DEATH_TIMEOUT = 30  # seconds a worker waits for a lost scheduler before it exits
START_TIMEOUT = 60.0  # seconds for the processes to come up on a loaded machine
ROOT = Path(__file__).resolve().parents[2]  # the checkout: workers import this micrograd, not another copy
_CONNECTED = "running"  # distributed.Client.status while connected (Dask's word, not a run status)
_ADDRESS = re.compile(r"^(tcp|tls)://[A-Za-z0-9.\-\[\]:]+:\d{1,5}$")


class ClusterError(RuntimeError):
    """The cluster cannot be started or reached; the message says what to do."""


def _env() -> dict:
    """The subprocesses' environment: this checkout first on the path, and nothing to slow the workers down."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH", "")) if p)
    env.setdefault("OMP_NUM_THREADS", "1")  # one trial per core; BLAS threads would fight over them
    env.setdefault("OPENBLAS_NUM_THREADS", "1")
    env.setdefault("MKL_NUM_THREADS", "1")
    # Dask's nanny sets MALLOC_TRIM_THRESHOLD_=65536, which also freezes glibc's mmap threshold at 128 KiB: every
    # array over it is then a fresh mmap whose pages fault in on first touch, and a trial ran 2-3x slower on a worker
    # than in a plain process (1,000 points, 2-32-32-1: 3.5 s vs 1.2-1.7 s). A fixed 16 MiB threshold keeps the arrays
    # on the heap.
    env.setdefault("MALLOC_MMAP_THRESHOLD_", str(16 * 1024 * 1024))
    # and trimming the heap only above 128 MiB, not Dask's 64 KiB (the nanny passes this to the worker it spawns)
    env.setdefault(
        "DASK_DISTRIBUTED__NANNY__PRE_SPAWN_ENVIRON", repr({"MALLOC_TRIM_THRESHOLD_": str(128 * 1024 * 1024)})
    )
    # Dask samples every worker thread's stack every 10 ms for its dashboard's profile (which we do not run) and
    # wakes the event loop every 20 ms to watch for blocking: both take the GIL from a trial. Off, a 400-step trial
    # on 2 workers ran 8.3-10.4 s against 7.3-9.4 s (two plain processes side by side: 7.3-9.0 s; the same runs).
    env.setdefault("DASK_DISTRIBUTED__WORKER__PROFILE__ENABLED", "False")
    env.setdefault("DASK_DISTRIBUTED__ADMIN__TICK__INTERVAL", "1s")
    return env


class LocalCluster:
    """`dask scheduler` + `dask worker --nworkers N` on 127.0.0.1 as subprocesses; ``client`` is connected."""

    def __init__(self, n_workers: int | None = None, idle_timeout: str = IDLE_TIMEOUT) -> None:
        from distributed import Client
        from distributed.exceptions import WorkerStartTimeoutError

        self.n_workers = max(1, int(n_workers or os.cpu_count() or 1))
        self._dir = tempfile.TemporaryDirectory(prefix="micrograd-dask-")
        self.scheduler_file = Path(self._dir.name) / "scheduler.json"
        dask = [sys.executable, "-m", "dask"]
        common: dict[str, Any] = dict(env=_env(), cwd=self._dir.name, start_new_session=True, stdin=subprocess.DEVNULL)
        self._log = open(Path(self._dir.name) / "cluster.log", "wb")  # noqa: SIM115 - closed in close()
        common |= {"stdout": self._log, "stderr": subprocess.STDOUT}
        self.processes: list[subprocess.Popen] = []
        self.client = None
        try:
            self.processes.append(
                subprocess.Popen(
                    [*dask, "scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard"]
                    + ["--scheduler-file", str(self.scheduler_file), "--idle-timeout", idle_timeout],
                    **common,
                )
            )
            self.processes.append(
                subprocess.Popen(
                    [*dask, "worker", "--scheduler-file", str(self.scheduler_file), "--nworkers", str(self.n_workers)]
                    + ["--nthreads", "1", "--host", "127.0.0.1", "--no-dashboard"]
                    + ["--death-timeout", str(DEATH_TIMEOUT), "--preload", "micrograd.studio.sweeps"],
                    **common,
                )
            )
            deadline = time.monotonic() + START_TIMEOUT
            while not self.scheduler_file.exists():
                self._check_alive(deadline)
                time.sleep(0.05)
            self.client = Client(scheduler_file=str(self.scheduler_file), timeout="30s", set_as_default=False)
            while True:  # in steps, so a worker command that dies (e.g. a failed preload) is reported at once
                try:
                    self.client.wait_for_workers(self.n_workers, timeout=1.0)
                    break
                except WorkerStartTimeoutError:
                    self._check_alive(deadline)
            from micrograd.studio.sweeps import warm_up

            # the imports a first trial would wait for, paid at start-up on every worker; as tasks, so the
            # scheduler does not count a slow start as idle time
            warm = [
                self.client.submit(warm_up, workers=[w], pure=False) for w in self.client.scheduler_info()["workers"]
            ]
            self.client.gather(warm)
            threading.Thread(target=self._reap, name="micrograd-dask-reaper", daemon=True).start()
        except BaseException as e:
            log = self.log_tail()
            self.close()
            if isinstance(e, KeyboardInterrupt):
                raise
            raise ClusterError(
                f"The local Dask cluster did not start ({type(e).__name__}: {e}). Its log:\n{log}"
            ) from e

    def _reap(self) -> None:
        """Wait for the scheduler to end (it closes itself when idle), then close the client at once and wait for the
        worker command: the client would otherwise try to reconnect for 30 s and log its failure, and both ended
        processes would stay <defunct> until the next sweep polled them."""
        self.processes[0].wait()
        client, self.client = self.client, None  # alive() is False from now on: the next sweep starts a new cluster
        if client is not None:
            with contextlib.suppress(Exception):
                client.close(timeout=2)
        for p in self.processes[1:]:  # its workers exit once their scheduler is gone (DEATH_TIMEOUT at most)
            with contextlib.suppress(subprocess.TimeoutExpired):
                p.wait(timeout=DEATH_TIMEOUT + 30)

    def log_tail(self, lines: int = 60) -> str:
        """The last lines the scheduler and workers printed."""
        with contextlib.suppress(OSError, ValueError):
            self._log.flush()
            return "\n".join(Path(self._log.name).read_text(errors="replace").splitlines()[-lines:])
        return ""

    def _check_alive(self, deadline: float) -> None:
        for role, p in zip(("scheduler", "worker"), self.processes):
            if p.poll() is not None:
                raise ClusterError(f"`dask {role}` exited with status {p.returncode}")
        if time.monotonic() > deadline:
            raise ClusterError(f"the local Dask cluster did not start within {START_TIMEOUT:.0f} s")

    @property
    def address(self) -> str:
        """The scheduler's address, e.g. tcp://127.0.0.1:40123."""
        return self.client.scheduler.address if self.client is not None else ""

    def alive(self) -> bool:
        """Whether the processes still run and the client is connected (the scheduler closes when idle)."""
        return (
            self.client is not None
            and self.client.status == _CONNECTED
            and all(p.poll() is None for p in self.processes)
        )

    def pids(self) -> list[int]:
        """The scheduler's and the worker command's process ids (the worker processes are their children)."""
        return [p.pid for p in self.processes]

    def close(self, timeout: float = 10.0) -> None:
        """Shut the cluster down: politely through the scheduler, then by signal to each process group."""
        client, self.client = self.client, None
        if client is not None:
            with contextlib.suppress(Exception):
                client.shutdown()
            with contextlib.suppress(Exception):
                client.close(timeout=2)
        deadline = time.monotonic() + timeout
        for sig in (signal.SIGTERM, signal.SIGKILL):
            for p in self.processes:
                if p.poll() is None:
                    with contextlib.suppress(ProcessLookupError, PermissionError):
                        os.killpg(p.pid, sig)  # the group: the worker command's worker processes too
            for p in self.processes:
                with contextlib.suppress(subprocess.TimeoutExpired):
                    p.wait(timeout=max(0.1, deadline - time.monotonic()))
            if all(p.poll() is not None for p in self.processes):
                break
            deadline = time.monotonic() + 5
        for p in self.processes:  # the nanny's worker processes share the group; make sure none outlived it
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(p.pid, signal.SIGKILL)
        if not self._log.closed:
            self._log.close()
        with contextlib.suppress(OSError):
            self._dir.cleanup()


def check_address(address: str) -> str:
    """The address in the form Dask takes (tcp://host:port), or ClusterError saying what was expected."""
    a = address.strip()
    if "://" not in a:
        a = f"tcp://{a}"
    if not _ADDRESS.match(a):
        raise ClusterError(
            f"{address!r} is not a Dask scheduler address; give one like tcp://host:8786 "
            f"(with --scheduler or {ENV_VAR})"
        )
    return a


def connect(address: str, timeout: float = 10.0):
    """A distributed.Client of the scheduler at address, or one ClusterError saying it cannot be reached."""
    from distributed import Client

    a = check_address(address)
    try:
        return Client(a, timeout=f"{timeout}s", set_as_default=False)
    except (OSError, TimeoutError) as e:
        raise ClusterError(
            f"Cannot reach the Dask scheduler at {a} ({type(e).__name__}). Check that `dask scheduler` runs there "
            f"and the port is open, or leave out --scheduler / {ENV_VAR} to run on a local cluster."
        ) from None


class Clusters:
    """The cluster sweeps run on: the one at ``address`` or, without one, a local cluster started on demand.

    The address comes only from the command line or the environment of whoever starts the server, never from a
    field a visitor types: a Dask client unpickles what its scheduler sends, so choosing the scheduler means
    choosing code that runs in this process.
    """

    def __init__(self, address: str | None = None, n_workers: int | None = None) -> None:
        self.address = check_address(address) if address else None
        self.n_workers = n_workers
        self._lock = threading.Lock()
        self._local_cluster: LocalCluster | None = None
        self._client = None
        self._atexit = False

    @classmethod
    def from_env(cls, n_workers: int | None = None) -> Clusters:
        """The cluster named by $MICROGRAD_DASK, else a local one."""
        return cls(os.environ.get(ENV_VAR) or None, n_workers)

    def describe(self) -> str:
        """Which cluster is in use, for the page and the sweep record."""
        if self.address:
            return f"Dask scheduler {self.address} (set by whoever started this process)"
        n = self.n_workers or os.cpu_count() or 1
        where = (
            f" at {self._local_cluster.address}"
            if self._local_cluster is not None and self._local_cluster.alive()
            else ""
        )
        return f"local Dask cluster on 127.0.0.1{where}: {n} worker process{'es' * (n != 1)}, started on demand"

    def client(self):
        """A connected client: reconnects, or restarts the local cluster after it closed when idle."""
        with self._lock:
            if self.address:
                if self._client is None or self._client.status != _CONNECTED:
                    if self._client is not None:
                        with contextlib.suppress(Exception):
                            self._client.close()
                    self._client = connect(self.address)
                return self._client
            if self._local_cluster is None or not self._local_cluster.alive():
                if self._local_cluster is not None:
                    self._local_cluster.close()
                self._local_cluster = LocalCluster(self.n_workers)
                if not self._atexit:
                    atexit.register(self.close)
                    self._atexit = True
            return self._local_cluster.client

    def close(self) -> None:
        """Stop the local cluster (an external one keeps running) and drop the client."""
        with self._lock:
            if self._local_cluster is not None:
                self._local_cluster.close()
                self._local_cluster = None
            if self._client is not None:
                with contextlib.suppress(Exception):
                    self._client.close()
                self._client = None
