"""The run store's schema as migrations: MIGRATIONS[n] turns a version n-1 database into version n.

To add version 3, write _migrate_3 and register it; a file is upgraded in one transaction when it is next opened.
Migrations run with foreign keys off (SQLite's way to rebuild a table), and must leave no broken reference.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

from micrograd.studio.status import Status


def _check(column: str, statuses: tuple[str, ...]) -> str:
    """A CHECK constraint listing the allowed statuses (the words are ours, never user text)."""
    return f"CHECK ({column} IN ({', '.join(repr(s) for s in statuses)}))"


# version 1's words, frozen here: the old code wrote them and a version-1 file holds them
_V1_STATUSES = ("running", "paused", "finished", "diverged", "interrupted", "error")


def _migrate_1(conn: sqlite3.Connection) -> None:
    conn.execute(
        f"""CREATE TABLE runs (
        id INTEGER PRIMARY KEY AUTOINCREMENT, created_at REAL NOT NULL, updated_at REAL NOT NULL,
        name TEXT NOT NULL, tags TEXT NOT NULL DEFAULT '[]',
        status TEXT NOT NULL {_check("status", _V1_STATUSES)},
        config TEXT NOT NULL, data TEXT NOT NULL, dataset TEXT, architecture TEXT, loss TEXT,
        metrics TEXT NOT NULL DEFAULT '{{}}', steps INTEGER NOT NULL DEFAULT 0,
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


_V1_COLUMNS = (
    "id, created_at, updated_at, name, tags, status, config, data, dataset, architecture, loss, metrics, steps, "
    "train_loss, train_accuracy, test_accuracy, wall_seconds, weights, message, pid, host, proc_token"
)


def _migrate_2(conn: sqlite3.Connection) -> None:
    """Sweeps, the live-change log, and per run: initial weights, task, sweep id and axes, a session heartbeat.

    The status words become the Status enum's ('error' is now 'failed'). SQLite cannot alter a CHECK constraint,
    so runs is rebuilt (SQLite's 12-step procedure: new table, copy, drop, rename) keeping every row and id.
    """
    statuses = tuple(s.value for s in Status)
    conn.execute(
        f"""CREATE TABLE sweeps (
        id INTEGER PRIMARY KEY AUTOINCREMENT, created_at REAL NOT NULL, updated_at REAL NOT NULL,
        name TEXT NOT NULL, spec TEXT NOT NULL, status TEXT NOT NULL {_check("status", statuses)},
        cluster TEXT, message TEXT NOT NULL DEFAULT '', pid INTEGER, host TEXT, proc_token TEXT)"""
    )
    conn.execute(
        f"""CREATE TABLE runs_new (
        id INTEGER PRIMARY KEY AUTOINCREMENT, created_at REAL NOT NULL, updated_at REAL NOT NULL,
        name TEXT NOT NULL, tags TEXT NOT NULL DEFAULT '[]',
        status TEXT NOT NULL {_check("status", statuses)},
        config TEXT NOT NULL, data TEXT NOT NULL, dataset TEXT, architecture TEXT, loss TEXT,
        metrics TEXT NOT NULL DEFAULT '{{}}', steps INTEGER NOT NULL DEFAULT 0,
        train_loss REAL, train_accuracy REAL, test_accuracy REAL, wall_seconds REAL,
        weights TEXT, message TEXT NOT NULL DEFAULT '', pid INTEGER, host TEXT, proc_token TEXT,
        initial_weights TEXT, task TEXT NOT NULL DEFAULT 'binary',
        sweep_id INTEGER REFERENCES sweeps(id) ON DELETE SET NULL, sweep_axes TEXT, heartbeat REAL)"""
    )
    # AUTOINCREMENT never reuses an id, also of a deleted run: carry the counter over (DROP forgets it)
    seq = conn.execute("SELECT seq FROM sqlite_sequence WHERE name = 'runs'").fetchone()
    old = ", ".join(
        "CASE status WHEN 'error' THEN 'failed' ELSE status END" if c == "status" else c
        for c in _V1_COLUMNS.split(", ")
    )
    conn.execute(f"INSERT INTO runs_new ({_V1_COLUMNS}) SELECT {old} FROM runs")
    conn.execute("DROP TABLE runs")  # foreign keys are off: steps keep their rows
    conn.execute("ALTER TABLE runs_new RENAME TO runs")
    if seq is not None:  # the copy's own counter (if it has rows) is renamed with it; keep the larger
        conn.execute("DELETE FROM sqlite_sequence WHERE name = 'runs' AND seq < ?", (seq[0],))
        conn.execute(
            "INSERT INTO sqlite_sequence (name, seq) SELECT 'runs', ? WHERE NOT EXISTS "
            "(SELECT 1 FROM sqlite_sequence WHERE name = 'runs')",
            (seq[0],),
        )
    conn.execute("CREATE INDEX runs_created ON runs(created_at)")
    conn.execute("CREATE INDEX runs_sweep ON runs(sweep_id)")
    conn.execute(
        """CREATE TABLE changes (
        id INTEGER PRIMARY KEY, run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
        step INTEGER NOT NULL, field TEXT NOT NULL, value TEXT NOT NULL)"""
    )
    conn.execute("CREATE INDEX changes_run ON changes(run_id, id)")


def _migrate_3(conn: sqlite3.Connection) -> None:
    """Data files: a run on an uploaded CSV keeps the file's bytes, for replay. Each distinct file is stored once
    (keyed by its SHA-256), however many runs use it; runs.data_file names it (NULL for built-in data)."""
    conn.execute(
        """CREATE TABLE data_files (
        sha256 TEXT PRIMARY KEY, name TEXT NOT NULL, size INTEGER NOT NULL, data BLOB NOT NULL) WITHOUT ROWID"""
    )
    conn.execute("ALTER TABLE runs ADD COLUMN data_file TEXT REFERENCES data_files(sha256)")
    conn.execute("CREATE INDEX runs_data_file ON runs(data_file)")


def _migrate_4(conn: sqlite3.Connection) -> None:
    """R² for regression runs: per step, and per run beside the accuracies (filled from the stored metrics)."""
    for table in ("steps", "runs"):
        for column in ("train_r2", "test_r2"):
            conn.execute(f"ALTER TABLE {table} ADD COLUMN {column} REAL")
    conn.execute(
        "UPDATE runs SET train_r2 = json_extract(metrics, '$.train_r2'), test_r2 = json_extract(metrics, '$.test_r2') "
        "WHERE json_valid(metrics)"
    )


MIGRATIONS: dict[int, Callable[[sqlite3.Connection], None]] = {1: _migrate_1, 2: _migrate_2, 3: _migrate_3}
MIGRATIONS[4] = _migrate_4


def check_references(conn: sqlite3.Connection) -> None:
    """Raise sqlite3.IntegrityError if a migration left a row pointing nowhere (checked before its commit)."""
    bad = conn.execute("PRAGMA foreign_key_check").fetchall()
    if bad:
        raise sqlite3.IntegrityError(f"the migration left {len(bad)} broken references, e.g. {tuple(bad[0])}")
