"""The experiment store: training runs and their step-by-step metrics in SQLite (standard library only)."""

from __future__ import annotations

import json
import math
import os
import socket
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager, suppress
from datetime import datetime
from numbers import Integral, Real
from pathlib import Path
from typing import Any

from micrograd.studio.text import check_text

# the keys of a training step record (micrograd.studio.trainer uses this list); the store stays stdlib-only
STEP_KEYS = ("step", "lr", "loss", "train_loss", "train_accuracy", "test_loss", "test_accuracy", "grad_norm", "seconds")


STATUSES = ("running", "paused", "finished", "diverged", "interrupted", "error")  # error: the trainer failed
FINAL_STATUSES = ("finished", "diverged", "interrupted", "error")
LIVE_STATUSES = ("running", "paused")
ORDER_BY = ("id", "created_at", "updated_at", "name", "status", "dataset", "architecture", "loss", "steps")
ORDER_BY += ("train_loss", "train_accuracy", "test_accuracy", "wall_seconds")
_JSON_COLUMNS = ("tags", "config", "data", "metrics")
_LIVE_COLUMNS = ("train_loss", "train_accuracy", "test_accuracy")  # step fields 3, 4 and 6


def default_db_path() -> Path:
    """$MICROGRAD_DB if set, else ~/.micrograd/runs.db (the folder is created; StoreError if it cannot be)."""
    env = os.environ.get("MICROGRAD_DB")
    if env:
        return Path(env).expanduser()
    folder = Path.home() / ".micrograd"
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise _store_error(folder / "runs.db", e) from e
    return folder / "runs.db"


class StoreError(RuntimeError):
    """The run store cannot be used; the message is meant for a banner."""


def _store_error(path: Path, exc: BaseException) -> StoreError:
    """Translate a sqlite3/OS error into what went wrong with which file and what to do about it."""
    name, msg = getattr(exc, "sqlite_errorname", "") or "", str(exc)
    low = msg.lower()
    if name.startswith(("SQLITE_BUSY", "SQLITE_LOCKED")) or "locked" in low:
        what, todo = "is locked by another program", "close the other program (or wait for it) and reload"
    elif name.startswith(("SQLITE_READONLY", "SQLITE_CANTOPEN", "SQLITE_PERM")) or isinstance(exc, PermissionError):
        what, todo = "cannot be written", "check the permissions of the file and its folder, or set MICROGRAD_DB"
    elif "readonly" in low or "unable to open" in low:
        what, todo = "cannot be written", "check the permissions of the file and its folder, or set MICROGRAD_DB"
    elif name.startswith(("SQLITE_NOTADB", "SQLITE_CORRUPT")) or "not a database" in low or "malformed" in low:
        what, todo = "is corrupt or not an SQLite database", "move or delete the corrupt file (a new one is created)"
    elif name.startswith("SQLITE_FULL") or "full" in low:
        what, todo = "cannot grow: the disk is full", "free some disk space"
    else:
        what, todo = "failed", "check the file, and move or delete it if this persists"
    return StoreError(f"Run store {path} {what} ({msg}). Training still works, but runs are not saved. To fix: {todo}.")


# Migrations: MIGRATIONS[n] turns a version n-1 database into version n. To add version 2, write _migrate_2 and
# register it; existing files are upgraded in one transaction when they are next opened.
def _migrate_1(conn: sqlite3.Connection) -> None:
    conn.execute(
        """CREATE TABLE runs (
        id INTEGER PRIMARY KEY AUTOINCREMENT, created_at REAL NOT NULL, updated_at REAL NOT NULL,
        name TEXT NOT NULL, tags TEXT NOT NULL DEFAULT '[]',
        status TEXT NOT NULL CHECK (status IN ('running', 'paused', 'finished', 'diverged', 'interrupted', 'error')),
        config TEXT NOT NULL, data TEXT NOT NULL, dataset TEXT, architecture TEXT, loss TEXT,
        metrics TEXT NOT NULL DEFAULT '{}', steps INTEGER NOT NULL DEFAULT 0,
        train_loss REAL, train_accuracy REAL, test_accuracy REAL, wall_seconds REAL,
        weights TEXT, message TEXT NOT NULL DEFAULT '', pid INTEGER, host TEXT, proc_token TEXT)"""
    )
    conn.execute(
        """CREATE TABLE steps (
        run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE, step INTEGER NOT NULL,
        lr REAL, loss REAL, train_loss REAL, train_accuracy REAL, test_loss REAL, test_accuracy REAL,
        grad_norm REAL, seconds REAL, PRIMARY KEY (run_id, step)) WITHOUT ROWID"""
    )
    conn.execute("CREATE INDEX runs_created ON runs(created_at)")


MIGRATIONS: dict[int, Callable[[sqlite3.Connection], None]] = {1: _migrate_1}


# A pid alone is ambiguous once the OS reuses it; boot id + the process's start time (Linux) is not.
def _proc_stat(pid: int) -> tuple[str, str] | None:
    """(state, start time in clock ticks) of a Linux process, or None if it does not exist."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except (OSError, ValueError):
        return None
    fields = text[text.rindex(")") + 2 :].split()  # the command name may contain spaces and parentheses
    return fields[0], fields[19]


def _boot_id() -> str:
    try:
        return Path("/proc/sys/kernel/random/boot_id").read_text().strip()
    except OSError:
        return ""


_BOOT_ID = _boot_id()
_HAS_PROC = Path("/proc/self/stat").exists()


def process_token(pid: int) -> str | None:
    """An id of a running process that differs from any later process with the same pid (None off Linux)."""
    stat = _proc_stat(pid) if _HAS_PROC else None
    return None if stat is None else f"{_BOOT_ID}:{stat[1]}"


def process_alive(pid: int | None, token: str | None) -> bool:
    """Whether the process that wrote (pid, token) on this host is still running."""
    if pid is None:
        return False
    if _HAS_PROC:
        stat = _proc_stat(pid)
        if stat is None or stat[0] in ("Z", "X"):  # a killed child stays a zombie until reaped
            return False
        return token is None or token == f"{_BOOT_ID}:{stat[1]}"
    if os.name != "posix":  # Windows' os.kill(pid, 0) would send Ctrl+C; assume alive rather than guess
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else
        return True
    return True


def _num(key: str, x: object) -> float | None:
    """A finite float, or None for None/nan/inf (SQL NULL, JSON null)."""
    if x is None:
        return None
    if isinstance(x, bool) or not isinstance(x, Real):
        raise ValueError(f"step record field {key!r} must be a number or None, got {x!r}")
    x = float(x)
    return x if math.isfinite(x) else None


def _step_row(record: dict) -> tuple:
    """A step record as a row of the steps table (minus run_id); extra keys are ignored."""
    if not isinstance(record, dict):
        raise ValueError(f"a step record must be a dict with keys {', '.join(STEP_KEYS)}; got {record!r}")
    step = record.get("step")
    if isinstance(step, bool) or not isinstance(step, Integral) or step < 0:
        raise ValueError(f"step record needs 'step', a whole number >= 0; got {step!r}")
    return (int(step), *(_num(k, record.get(k)) for k in STEP_KEYS[1:]))


def _clean(x: Any) -> Any:
    """JSON-ready copy: non-finite floats become None, tuples lists, NumPy values plain Python."""
    if isinstance(x, float):
        return x if math.isfinite(x) else None
    if isinstance(x, dict):
        return {str(k): _clean(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_clean(v) for v in x]
    if hasattr(x, "tolist") and not isinstance(x, (str, bytes)):  # NumPy scalars and arrays
        return _clean(x.tolist())
    return x


def _dumps(what: str, x: Any) -> str:
    try:
        return json.dumps(_clean(x), allow_nan=False)
    except (TypeError, ValueError) as e:
        raise ValueError(f"{what} must hold only JSON values (numbers, strings, lists, dicts): {e}") from None


def _check_status(status: str, allowed: Sequence[str] = STATUSES) -> str:
    if status not in allowed:
        raise ValueError(f"status must be one of {', '.join(allowed)}; got {status!r}")
    return status


def _tags(tags: Iterable[str]) -> list[str]:
    if isinstance(tags, str):
        raise ValueError(f"tags must be a list of strings, not one string ({tags!r}); wrap it in a list")
    tags = [t.strip() for t in tags if isinstance(t, str)] if tags is not None else []
    return sorted({t for t in tags if t})


def _architecture(config: dict, data: dict) -> str | None:
    """'2-16-16-1' from config 'architecture' or 'sizes', MLP's 'nin' + 'nouts', or RunConfig's hidden 'layers'."""
    arch = config.get("architecture")
    if isinstance(arch, str):
        return arch
    sizes = arch if isinstance(arch, (list, tuple)) else config.get("sizes")
    nin = config.get("nin", data.get("n_features"))
    if sizes is None and isinstance(config.get("nouts"), (list, tuple)):
        sizes = [nin, *config["nouts"]]
    elif sizes is None and isinstance(config.get("layers"), (list, tuple)):  # hidden sizes; one output score
        sizes = [nin, *config["layers"], 1]
    sizes = [s for s in sizes if s is not None] if isinstance(sizes, (list, tuple)) else []
    return "-".join(str(s) for s in sizes) or None


class RunStore:
    """Runs and their steps in one SQLite file (WAL mode, so the dashboard reads while a trainer writes)."""

    def __init__(self, path: str | os.PathLike, timeout: float = 5.0) -> None:
        self.path = Path(path).expanduser()
        self._lock = threading.RLock()  # one connection shared by Streamlit's threads
        self._conn: sqlite3.Connection | None = None
        self.pid, self.host = os.getpid(), socket.gethostname()
        self.token = process_token(self.pid)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._conn = _connect(self.path, timeout)
            self._conn.row_factory = sqlite3.Row
            self._conn.execute(f"PRAGMA busy_timeout = {int(timeout * 1000)}")
            self._conn.execute("PRAGMA foreign_keys = ON")
            self._conn.execute("PRAGMA journal_mode = WAL")
            # NORMAL in WAL mode: a commit survives the process being killed (not a power cut), and is fast
            self._conn.execute("PRAGMA synchronous = NORMAL")
            with self._tx() as conn:
                self._migrate(conn)
                # a read-only file can still BEGIN; a write that touches no row finds out now, not mid-training
                conn.execute("UPDATE schema_version SET applied_at = applied_at WHERE 0")
                self._mark_interrupted(conn)
        except (sqlite3.Error, OSError) as e:
            self.close()
            raise _store_error(self.path, e) from e
        except StoreError:
            self.close()
            raise

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        """One write transaction, taken up front so a lock shows up here and not half-way through."""
        with self._lock:
            if self._conn is None:
                raise StoreError(f"Run store {self.path} is closed. Training still works, but runs are not saved.")
            conn = self._conn
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
                conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:  # also after a failed COMMIT, or the next BEGIN would fail
                    with suppress(sqlite3.Error):
                        conn.execute("ROLLBACK")
                raise

    @contextmanager
    def _db(self, write: bool = True) -> Iterator[sqlite3.Connection]:
        """A transaction (or a plain connection to read) with sqlite errors turned into StoreError."""
        try:
            if write:
                with self._tx() as conn:
                    yield conn
            else:
                with self._lock:
                    if self._conn is None:
                        raise StoreError(f"Run store {self.path} is closed.")
                    yield self._conn
        except sqlite3.Error as e:
            raise _store_error(self.path, e) from e

    def _migrate(self, conn: sqlite3.Connection) -> None:
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        if "schema_version" not in tables:
            if tables - {"sqlite_sequence"}:
                raise StoreError(
                    f"Run store {self.path} is an SQLite database of another program (tables: "
                    f"{', '.join(sorted(tables))}). Training still works, but runs are not saved. "
                    "To fix: set MICROGRAD_DB to another file."
                )
            conn.execute("CREATE TABLE schema_version (version INTEGER PRIMARY KEY, applied_at REAL NOT NULL)")
        version = conn.execute("SELECT COALESCE(MAX(version), 0) FROM schema_version").fetchone()[0]
        latest = max(MIGRATIONS)
        if version > latest:
            raise StoreError(
                f"Run store {self.path} has schema version {version}, newer than this micrograd knows ({latest}). "
                "Training still works, but runs are not saved. To fix: upgrade micrograd or set MICROGRAD_DB."
            )
        for v in range(version + 1, latest + 1):
            MIGRATIONS[v](conn)
            conn.execute("INSERT INTO schema_version (version, applied_at) VALUES (?, ?)", (v, time.time()))

    def _mark_interrupted(self, conn: sqlite3.Connection) -> None:
        """Live runs whose writer is gone (or on another host) can never finish: say so."""
        rows = conn.execute(
            "SELECT id, pid, host, proc_token FROM runs WHERE status IN (?, ?)", LIVE_STATUSES
        ).fetchall()
        gone = [r["id"] for r in rows if not self._writer_alive(r)]
        now = time.time()
        conn.executemany(
            "UPDATE runs SET status = 'interrupted', updated_at = ?, message = CASE WHEN message = '' "
            "THEN 'the process that trained it stopped' ELSE message END WHERE id = ?",
            [(now, i) for i in gone],
        )

    def _writer_alive(self, row: sqlite3.Row) -> bool:
        if row["pid"] == self.pid and row["host"] == self.host and row["proc_token"] == self.token:
            return True  # this process: its runs are live by definition
        return row["host"] == self.host and process_alive(row["pid"], row["proc_token"])

    def _check_run(self, conn: sqlite3.Connection, run_id: int) -> None:
        if conn.execute("SELECT 1 FROM runs WHERE id = ?", (run_id,)).fetchone() is None:
            raise KeyError(f"no run with id {run_id!r} in {self.path}; `micrograd runs list` shows the ids")

    def create_run(self, config: dict, data: dict, name: str | None = None, tags: Iterable[str] = ()) -> int:
        """Record a new run in status 'running' and return its id."""
        if not isinstance(config, dict) or not isinstance(data, dict):
            raise ValueError("config and data must be dicts (the training settings and the dataset description)")
        check_text(name or "", "the run name")
        dataset = config.get("dataset") or data.get("name") or data.get("dataset")
        arch, loss = _architecture(config, data), config.get("loss")
        row = (_dumps("config", config), _dumps("data", data), _dumps("tags", _tags(tags)))
        row += (None if dataset is None else str(dataset), arch, None if loss is None else str(loss))
        now = time.time()
        with self._db() as conn:
            cur = conn.execute(
                "INSERT INTO runs (created_at, updated_at, name, status, config, data, tags, dataset, architecture,"
                " loss, pid, host, proc_token) VALUES (?, ?, '', 'running', ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (now, now, *row, self.pid, self.host, self.token),
            )
            run_id = cur.lastrowid
            if not name:  # the default name shows the id, known only once the row exists
                parts = (dataset, arch, config.get("activation"), loss)
                name = " ".join(str(p) for p in parts if p) + f" #{run_id}"
            conn.execute("UPDATE runs SET name = ? WHERE id = ?", (name.strip(), run_id))
        return run_id

    def append_steps(self, run_id: int, records: list[dict]) -> None:
        """Store step records (one transaction); a step recorded twice keeps the later values."""
        rows = [_step_row(r) for r in records]
        if not rows:
            return
        top = max(rows, key=lambda r: r[0])
        with self._db() as conn:
            self._check_run(conn, run_id)
            conn.executemany(
                f"INSERT OR REPLACE INTO steps (run_id, {', '.join(STEP_KEYS)}) VALUES (?{', ?' * len(STEP_KEYS)})",
                [(run_id, *r) for r in rows],
            )
            # keep the list view at the latest step while training (a re-sent older step does not count);
            # SET expressions see the old row, so `? >= steps` compares with the previous latest step
            live = ", ".join(f"{c} = CASE WHEN ? >= steps THEN COALESCE(?, {c}) ELSE {c} END" for c in _LIVE_COLUMNS)
            conn.execute(
                f"UPDATE runs SET {live}, steps = MAX(steps, ?), updated_at = ? WHERE id = ?",
                (top[0], top[3], top[0], top[4], top[0], top[6], top[0], time.time(), run_id),
            )

    def update_run(
        self,
        run_id: int,
        *,
        status: str | None = None,
        metrics: dict | None = None,
        weights_json: str | None = None,
        wall_seconds: float | None = None,
        message: str | None = None,
        config: dict | None = None,
        data: dict | None = None,
    ) -> None:
        """Change the given fields; metrics' steps (or step) and train/test figures also fill their columns.

        config and data (settings changed live, new data drawn) replace the stored ones together, and with them
        the dataset, architecture and loss columns.
        """
        sets: dict[str, Any] = {"updated_at": time.time()}
        if (config is None) != (data is None):
            raise ValueError("config and data change together (the architecture column needs both)")
        if config is not None:
            if not isinstance(config, dict) or not isinstance(data, dict):
                raise ValueError("config and data must be dicts (the training settings and the dataset description)")
            sets["config"], sets["data"] = _dumps("config", config), _dumps("data", data)
            dataset = config.get("dataset") or data.get("name") or data.get("dataset")
            sets["dataset"] = None if dataset is None else str(dataset)
            sets["architecture"] = _architecture(config, data)
            sets["loss"] = None if config.get("loss") is None else str(config["loss"])
        if status is not None:
            sets["status"] = _check_status(status)
        if metrics is not None:
            if not isinstance(metrics, dict):
                raise ValueError(f"metrics must be a dict, got {type(metrics).__name__}")
            sets["metrics"] = _dumps("metrics", metrics)
            for key in ("train_loss", "train_accuracy", "test_accuracy"):
                if key in metrics:
                    sets[key] = _num(key, metrics[key])
            steps = metrics.get("steps", metrics.get("step"))  # Trainer.metrics() says "step"
            if steps is not None:
                sets["steps"] = int(steps)
        if weights_json is not None:
            try:
                json.loads(weights_json)
            except (TypeError, ValueError) as e:
                raise ValueError(f"weights_json must be JSON text (the exported model): {e}") from None
            sets["weights"] = weights_json
        if wall_seconds is not None:
            sets["wall_seconds"] = _num("wall_seconds", wall_seconds)
        if message is not None:
            sets["message"] = str(message)
        columns = ", ".join(f"{k} = ?" for k in sets)  # keys are the fixed names above, never user text
        with self._db() as conn:
            self._check_run(conn, run_id)
            conn.execute(f"UPDATE runs SET {columns} WHERE id = ?", (*sets.values(), run_id))

    def list_runs(
        self,
        dataset: str | None = None,
        loss: str | None = None,
        architecture: str | None = None,
        status: str | None = None,
        since: float | datetime | None = None,
        order_by: str = "created_at",
        descending: bool = True,
    ) -> list[dict]:
        """Runs matching every given filter (since: a Unix time or datetime), without the weights."""
        if order_by not in ORDER_BY:
            raise ValueError(f"order_by must be one of {', '.join(ORDER_BY)}; got {order_by!r}")
        where, args = ["1"], []
        for col, val in (("dataset", dataset), ("loss", loss), ("architecture", architecture)):
            if val is not None:
                where.append(f"{col} = ?")
                args.append(val)
        if status is not None:
            where.append("status = ?")
            args.append(_check_status(status))
        if since is not None:
            where.append("created_at >= ?")
            args.append(since.timestamp() if isinstance(since, datetime) else float(since))
        direction = "DESC" if descending else "ASC"
        sql = (
            "SELECT *, weights IS NOT NULL AS has_weights FROM runs WHERE "
            f"{' AND '.join(where)} ORDER BY {order_by} {direction}, id {direction}"
        )
        with self._db(write=False) as conn:
            rows = conn.execute(sql, args).fetchall()
        return [self._run_dict(r, weights=False) for r in rows]

    def get_run(self, run_id: int) -> dict:
        """One run, with its weights JSON text (or None)."""
        with self._db(write=False) as conn:
            row = conn.execute("SELECT *, weights IS NOT NULL AS has_weights FROM runs WHERE id = ?", (run_id,))
            row = row.fetchone()
        if row is None:
            raise KeyError(f"no run with id {run_id!r} in {self.path}; `micrograd runs list` shows the ids")
        return self._run_dict(row, weights=True)

    def get_steps(self, run_id: int, last: int | None = None) -> list[dict]:
        """The run's step records in step order (only the last `last` if given)."""
        with self._db(write=False) as conn:
            self._check_run(conn, run_id)
            if last is None:
                rows = conn.execute("SELECT * FROM steps WHERE run_id = ? ORDER BY step", (run_id,)).fetchall()
            else:
                sql = "SELECT * FROM steps WHERE run_id = ? ORDER BY step DESC LIMIT ?"
                rows = conn.execute(sql, (run_id, max(0, int(last)))).fetchall()[::-1]
        return [{k: r[k] for k in STEP_KEYS} for r in rows]

    def rename(self, run_id: int, name: str) -> None:
        """Give a run a new (non-empty) name."""
        if not isinstance(name, str) or not name.strip():
            raise ValueError(f"a run name must be non-empty text, got {name!r}")
        check_text(name, "the run name")
        with self._db() as conn:
            self._check_run(conn, run_id)
            conn.execute("UPDATE runs SET name = ?, updated_at = ? WHERE id = ?", (name.strip(), time.time(), run_id))

    def set_tags(self, run_id: int, tags: Iterable[str]) -> None:
        """Replace a run's tags (stripped, de-duplicated, sorted)."""
        text = _dumps("tags", _tags(tags))
        with self._db() as conn:
            self._check_run(conn, run_id)
            conn.execute("UPDATE runs SET tags = ?, updated_at = ? WHERE id = ?", (text, time.time(), run_id))

    def delete(self, run_id: int) -> None:
        """Remove a run and its steps."""
        with self._db() as conn:
            self._check_run(conn, run_id)
            conn.execute("DELETE FROM runs WHERE id = ?", (run_id,))  # steps go by ON DELETE CASCADE

    def close(self) -> None:
        """Close the connection (further calls raise StoreError)."""
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

    def __enter__(self) -> RunStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @staticmethod
    def _run_dict(row: sqlite3.Row, weights: bool) -> dict:
        d = {k: row[k] for k in row.keys() if k not in ("weights", "proc_token")}
        for k in _JSON_COLUMNS:
            d[k] = json.loads(d[k])
        d["has_weights"] = bool(d["has_weights"])
        if weights:
            d["weights"] = row["weights"]
        return d


def _connect(path: Path, timeout: float) -> sqlite3.Connection:
    """The store's connection: autocommit, so transactions are exactly the ones _tx opens."""
    return sqlite3.connect(path, timeout=timeout, isolation_level=None, check_same_thread=False)


class RunRecorder:
    """Buffers a trainer's step records into a RunStore; never lets a store failure stop training."""

    FLUSH_EVERY = 25
    FLUSH_SECONDS = 1.0

    def __init__(
        self, store: RunStore | None, config: dict, data: dict, name: str | None = None, tags: Iterable[str] = ()
    ) -> None:
        self.store, self.run_id, self.error = store, None, None
        self.flush_every, self.flush_seconds = self.FLUSH_EVERY, self.FLUSH_SECONDS
        self._buffer: list[dict] = []
        self._last_flush = time.monotonic()
        self._lock = threading.Lock()
        self.finished = False
        if store is not None:
            self.run_id = self._guard(lambda: store.create_run(config, data, name=name, tags=tags))

    @property
    def active(self) -> bool:
        """Whether records still go to the store."""
        return self.store is not None and self.run_id is not None and self.error is None and not self.finished

    def _guard(self, write: Callable[[], Any]) -> Any:
        """Run a store write; on failure remember the banner message, stop writing and return None."""
        try:
            return write()
        except StoreError as e:
            self.error = str(e)
        except KeyError as e:  # the run was deleted (e.g. from another window) while training
            self.error = f"{e.args[0]}. Training still works, but this run is no longer saved."
        self._buffer.clear()
        return None

    def on_step(self, record: dict) -> None:
        """Buffer one step record; flush every flush_every records or flush_seconds, whichever comes first."""
        if not self.active:
            return
        _step_row(record)  # a malformed record is the trainer's bug: report it here, not at the next flush
        with self._lock:
            self._buffer.append(dict(record))
            due = time.monotonic() - self._last_flush >= self.flush_seconds
            if len(self._buffer) >= self.flush_every or due:
                self._flush()

    def _flush(self) -> None:
        if self.active and self._buffer:
            records, self._buffer = self._buffer, []
            self._guard(lambda: self.store.append_steps(self.run_id, records))
        self._last_flush = time.monotonic()

    def flush(self) -> None:
        """Write the buffered records now."""
        with self._lock:
            self._flush()

    def set_status(self, status: str) -> None:
        """Mark the run paused or running again (buffered steps are written first)."""
        _check_status(status, LIVE_STATUSES)
        with self._lock:
            self._flush()
            if self.active:
                self._guard(lambda: self.store.update_run(self.run_id, status=status))

    def finish(
        self,
        status: str,
        metrics: dict,
        weights_json: str | None,
        wall_seconds: float,
        message: str = "",
        config: dict | None = None,
        data: dict | None = None,
    ) -> None:
        """Write the remaining steps and the final status, metrics and weights (and the settings and data
        description as they ended, when given); later calls do nothing."""
        _check_status(status, FINAL_STATUSES)
        with self._lock:
            self._flush()
            if self.active:
                self._guard(
                    lambda: self.store.update_run(
                        self.run_id,
                        status=status,
                        metrics=metrics,
                        weights_json=weights_json,
                        wall_seconds=wall_seconds,
                        message=message,
                        config=config,
                        data=data,
                    )
                )
            self.finished = True
