"""The run store's foundation: its errors, value checks, and one SQLite connection with migrations (stdlib only)."""

from __future__ import annotations

import json
import math
import os
import socket
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager, suppress
from numbers import Integral, Real
from pathlib import Path
from typing import Any

from micrograd.studio.procs import process_alive, process_token
from micrograd.studio.status import ACTIVE, Status
from micrograd.studio.store_schema import MIGRATIONS, check_references

# the keys of a training step record (micrograd.studio.trainer uses this list); the store stays stdlib-only
STEP_KEYS: tuple[str, ...] = ("step", "lr", "loss", "train_loss", "train_accuracy", "test_loss", "test_accuracy")
STEP_KEYS += (
    "grad_norm",
    "seconds",
    "train_r2",
    "test_r2",
)  # regression's score in place of the accuracy (None for classes)


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


PROCESS_GONE = "the process that trained it stopped"  # a run ended at open: its writer is gone (a restart)


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


def _num(key: str, x: object) -> float | None:
    """A finite float, or None for None/nan/inf (SQL NULL, JSON null)."""
    if type(x) is not float:  # nearly every value is one: it skips the slower abstract-number check
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


def _status(status: object, allowed: frozenset[Status] | None = None) -> str:
    """The stored text of a status (a Status or its word), or ValueError naming the allowed words."""
    return Status.parse(status, allowed).value


def _weights(what: str, text: str | None) -> str | None:
    """Weights file text as given (None stays None), or ValueError if it is not JSON."""
    if text is not None:
        try:
            json.loads(text)
        except (TypeError, ValueError) as e:
            raise ValueError(f"{what} must be JSON text (the exported model): {e}") from None
    return text


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
    elif sizes is None and isinstance(config.get("layers"), (list, tuple)):  # hidden sizes, then the outputs
        sizes = [nin, *config["layers"], data.get("n_outputs", 1)]
    sizes = [s for s in sizes if s is not None] if isinstance(sizes, (list, tuple)) else []
    return "-".join(str(s) for s in sizes) or None


class StoreBase:
    """One SQLite file (WAL mode, so the dashboard reads while a trainer writes), migrated to the latest schema."""

    def __init__(
        self, path: str | os.PathLike, timeout: float = 5.0, *, clock: Callable[[], float] = time.time
    ) -> None:
        """Open (creating or upgrading) the store at path; clock gives the Unix time (tests inject their own)."""
        self.path = Path(path).expanduser()
        self.clock = clock
        self._stale_checked = -math.inf
        self._lock = threading.RLock()  # one connection shared by Streamlit's threads
        self._conn: sqlite3.Connection | None = None
        self.pid, self.host = os.getpid(), socket.gethostname()
        self.token = process_token(self.pid)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._conn = _connect(self.path, timeout)
            self._conn.row_factory = sqlite3.Row
            self._conn.execute(f"PRAGMA busy_timeout = {int(timeout * 1000)}")
            self._conn.execute("PRAGMA journal_mode = WAL")
            # NORMAL in WAL mode: a commit survives the process being killed (not a power cut), and is fast
            self._conn.execute("PRAGMA synchronous = NORMAL")
            self._conn.execute("PRAGMA foreign_keys = OFF")  # a migration may rebuild a table; no-op in a transaction
            with self._tx() as conn:
                self._migrate(conn)
                # a read-only file can still BEGIN; a write that touches no row finds out now, not mid-training
                conn.execute("UPDATE schema_version SET applied_at = applied_at WHERE 0")
                self._mark_interrupted(conn)
            self._conn.execute("PRAGMA foreign_keys = ON")
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
        if version < latest:
            check_references(conn)

    def _mark_interrupted(self, conn: sqlite3.Connection) -> None:
        """Unfinished runs and sweeps whose writer is gone (or on another host) can never finish: say so."""
        active = tuple(s.value for s in ACTIVE)
        marks = ",".join("?" * len(active))
        now = self.clock()
        for table, why in (
            ("runs", PROCESS_GONE),
            ("sweeps", "the process that ran it stopped"),
        ):
            rows = conn.execute(f"SELECT id, pid, host, proc_token FROM {table} WHERE status IN ({marks})", active)
            gone = [r["id"] for r in rows.fetchall() if not self._writer_alive(r)]
            conn.executemany(
                f"UPDATE {table} SET status = ?, updated_at = ?, message = CASE WHEN message = '' "
                "THEN ? ELSE message END WHERE id = ?",
                [(Status.INTERRUPTED.value, now, why, i) for i in gone],
            )

    def _writer_alive(self, row: sqlite3.Row) -> bool:
        if row["pid"] == self.pid and row["host"] == self.host and row["proc_token"] == self.token:
            return True  # this process: its runs are live by definition
        return row["host"] == self.host and process_alive(row["pid"], row["proc_token"])

    def close(self) -> None:
        """Close the connection (further calls raise StoreError)."""
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

    def __enter__(self) -> StoreBase:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _connect(path: Path, timeout: float) -> sqlite3.Connection:
    """The store's connection: autocommit, so transactions are exactly the ones _tx opens."""
    return sqlite3.connect(path, timeout=timeout, isolation_level=None, check_same_thread=False)
