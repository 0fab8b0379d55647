"""The experiment store: training runs, their step-by-step metrics, live changes and sweeps in SQLite (stdlib only)."""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Iterable, Sequence
from datetime import datetime
from numbers import Integral
from typing import Any

from micrograd.studio.procs import process_alive, process_token
from micrograd.studio.status import ACTIVE, FINAL, LIVE, Status
from micrograd.studio.store_base import (
    STEP_KEYS,
    StoreBase,
    StoreError,
    _architecture,
    _dumps,
    _num,
    _status,
    _step_row,
    _store_error,
    _tags,
    _weights,
    default_db_path,
)
from micrograd.studio.store_schema import MIGRATIONS
from micrograd.studio.sweep_records import SweepRecords
from micrograd.studio.text import check_text

__all__ = ["RunStore", "StoreError", "Status", "default_db_path", "process_alive", "process_token", "STEP_KEYS"]
__all__ += ["STATUSES", "FINAL_STATUSES", "LIVE_STATUSES", "MIGRATIONS", "_store_error"]

# views of the one status enum (micrograd.studio.status), in its order, for filters and messages
STATUSES = tuple(Status)
FINAL_STATUSES = tuple(s for s in Status if s in FINAL)
LIVE_STATUSES = tuple(s for s in Status if s in LIVE)
SESSION_GONE = "the browser session that trained it was closed"  # how close_stale's message begins
STALE_SECONDS = 120.0  # a session not heard of for this long is gone (Streamlit's disconnectedSessionTTL)
# a live run's session unheard for longer than this is said to be quiet in run lists (until a dashboard session's
# close_stale ends it): about three missed beats of a running tab (a tick a second, a beat at most every
# recording.HEARTBEAT_SECONDS, 5 s); a paused tab beats from the sidebar's keep-alive (ui.options.KEEPALIVE_SECONDS,
# 30 s; a browser slows a tab hidden for minutes to one timer a minute); tests/test_experiments_quiet.py holds them
QUIET_SECONDS = {Status.RUNNING.value: 16.0, Status.PAUSED.value: 75.0}  # by the stored word
DATA_FILE_LIMIT = 5 << 20  # bytes: the dashboard's upload limit (.streamlit/config.toml maxUploadSize = 5 MB)
MAX_NAME, MAX_TAG, MAX_TAGS = 200, 50, 20  # characters of a run name and of a tag, tags per run (typed text)
STALE_CHECK_SECONDS = 10.0  # how often the stale-session sweep may run per store
ORDER_BY: tuple[str, ...] = ("id", "created_at", "updated_at", "name", "status", "dataset", "architecture", "loss")
ORDER_BY += ("steps", "train_loss", "train_accuracy", "test_accuracy", "train_r2", "test_r2", "wall_seconds")
_JSON_COLUMNS = ("tags", "config", "data", "metrics", "sweep_axes")
_LIVE_COLUMNS = ("train_loss", "train_accuracy", "test_accuracy", "train_r2", "test_r2")  # step fields as well
_LIVE_SQL = ", ".join(f"'{s.value}'" for s in LIVE_STATUSES)  # our own words, never user text
# what a run list shows: every column but the (large) weights and the process token
_LIST_COLUMNS = (
    "id, created_at, updated_at, name, tags, status, config, data, dataset, architecture, loss, metrics, steps, "
    "train_loss, train_accuracy, test_accuracy, train_r2, test_r2, wall_seconds, message, pid, host, task, sweep_id, "
    "sweep_axes, "
    "heartbeat, weights IS NOT NULL AS has_weights, initial_weights IS NOT NULL AS has_initial_weights, data_file"
)


def _data_file(f: tuple[str, bytes] | None) -> tuple[str, str, int, bytes] | None:
    """(sha256, name, size, bytes) of a CSV file to keep with a run; None when there is none or it is too big."""
    if f is None:
        return None
    name, data = f
    if not isinstance(data, (bytes, bytearray)) or not isinstance(name, str):
        raise ValueError("data_file must be (file name, bytes)")
    if len(data) > DATA_FILE_LIMIT:  # more than the dashboard accepts: the run is kept without it (not replayable)
        return None
    check_text(name, "the data file's name")
    return hashlib.sha256(data).hexdigest(), name, len(data), bytes(data)


def quiet_for(run: dict, now: float) -> float | None:
    """Seconds since a live run's session was last heard, when that is longer than its beats allow (QUIET_SECONDS);
    else None. A quiet run's tab was closed or hidden; close_stale ends it as interrupted after STALE_SECONDS."""
    beat, limit = run.get("heartbeat"), QUIET_SECONDS.get(str(run.get("status")))
    if beat is None or limit is None or now - beat <= limit:
        return None
    return now - beat


def status_text(run: dict, now: float) -> str:
    """The run's status ("" if none), and for a live run whose session has gone quiet how long ago it was last heard:
    "running · not heard from for 40 s" (its tab was closed, or hidden for minutes); past STALE_SECONDS "…: its
    session is gone" (a dashboard session's close_stale ends it as interrupted when it next checks)."""
    status, quiet = str(run.get("status") or ""), quiet_for(run, now)
    if quiet is None:
        return status
    if quiet < STALE_SECONDS:
        return f"{status} · not heard from for {quiet:.0f} s"
    return f"{status} · not heard from for {quiet / 60:.0f} min: its session is gone"


class RunStore(StoreBase, SweepRecords):
    """Runs and their steps, live changes and sweeps in one SQLite file; see StoreBase for opening it."""

    def _check_run(self, conn: sqlite3.Connection, run_id: int) -> None:
        if conn.execute("SELECT 1 FROM runs WHERE id = ?", (run_id,)).fetchone() is None:
            raise KeyError(f"no run with id {run_id!r} in {self.path}; `micrograd runs list` shows the ids")

    def create_run(
        self,
        config: dict,
        data: dict,
        name: str | None = None,
        tags: Iterable[str] = (),
        *,
        task: str = "binary",
        sweep_id: int | None = None,
        sweep_axes: dict | None = None,
        initial_weights: str | None = None,
        status: Status | str = Status.RUNNING,
        data_file: tuple[str, bytes] | None = None,
    ) -> int:
        """Record a new run (running, or queued for a sweep's trial) and return its id.

        initial_weights: the weights file text before step 1 (for replay); sweep_id and sweep_axes: the sweep
        this run is a trial of, and the trial's value of each axis; data_file: (name, bytes) of the uploaded CSV the
        run trains on, kept for replay when within the upload limit (each distinct file once).
        """
        if not isinstance(config, dict) or not isinstance(data, dict):
            raise ValueError("config and data must be dicts (the training settings and the dataset description)")
        if not isinstance(task, str) or not task:
            raise ValueError(f"task must be a non-empty name such as 'binary', got {task!r}")
        if sweep_axes is not None and not isinstance(sweep_axes, dict):
            raise ValueError(f"sweep_axes must be a dict of axis name to value, got {type(sweep_axes).__name__}")
        state = _status(status, ACTIVE)
        check_text(name or "", "the run name")
        dataset = config.get("dataset") or data.get("name") or data.get("dataset")
        arch, loss = _architecture(config, data), config.get("loss")
        row: tuple[str | int | None, ...]  # the INSERT's parameters
        row = (_dumps("config", config), _dumps("data", data), _dumps("tags", _tags(tags)))
        row += (None if dataset is None else str(dataset), arch, None if loss is None else str(loss))
        row += (_weights("initial_weights", initial_weights), task, sweep_id)
        row += (None if sweep_axes is None else _dumps("sweep_axes", sweep_axes),)
        now = self.clock()
        kept = _data_file(data_file)
        with self._db() as conn:
            if sweep_id is not None:
                self._check_sweep(conn, sweep_id)
            if kept is not None:
                conn.execute("INSERT OR IGNORE INTO data_files (sha256, name, size, data) VALUES (?, ?, ?, ?)", kept)
            cur = conn.execute(
                "INSERT INTO runs (created_at, updated_at, name, status, config, data, tags, dataset, architecture,"
                " loss, initial_weights, task, sweep_id, sweep_axes, pid, host, proc_token)"
                " VALUES (?, ?, '', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (now, now, state, *row, self.pid, self.host, self.token),
            )
            run_id = cur.lastrowid
            if not name:  # the default name shows the id, known only once the row exists
                parts = (dataset, arch, config.get("activation"), loss)
                name = " ".join(str(p) for p in parts if p) + f" #{run_id}"
            conn.execute(
                "UPDATE runs SET name = ?, data_file = ? WHERE id = ?",
                (name.strip(), None if kept is None else kept[0], run_id),
            )
        assert run_id is not None
        return run_id

    def get_data_file(self, run_id: int) -> tuple[str, bytes] | None:
        """(name, bytes) of the CSV file the run trained on, or None (built-in data, or a file not kept)."""
        with self._db(write=False) as conn:
            self._check_run(conn, run_id)
            row = conn.execute(
                "SELECT f.name, f.data FROM runs r JOIN data_files f ON f.sha256 = r.data_file WHERE r.id = ?",
                (run_id,),
            ).fetchone()
        return None if row is None else (row[0], bytes(row[1]))

    def append_steps(self, run_id: int, records: Sequence[dict | tuple]) -> None:
        """Store step records, or rows _step_row made of them (one transaction); a step recorded twice keeps the
        later values."""
        rows = [r if isinstance(r, tuple) else _step_row(r) for r in records]
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
                (*(v for c in _LIVE_COLUMNS for v in (top[0], top[STEP_KEYS.index(c)])), top[0], self.clock(), run_id),
            )

    def update_run(
        self,
        run_id: int,
        *,
        status: Status | str | None = None,
        metrics: dict | None = None,
        weights_json: str | None = None,
        wall_seconds: float | None = None,
        message: str | None = None,
        config: dict | None = None,
        data: dict | None = None,
        initial_weights: str | None = None,
    ) -> None:
        """Change the given fields; metrics' steps (or step) and train/test figures also fill their columns.

        config and data (settings changed live, new data drawn) replace the stored ones together, and with them
        the dataset, architecture and loss columns.
        """
        sets: dict[str, Any] = {"updated_at": self.clock()}
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
            sets["status"] = _status(status)
        if metrics is not None:
            if not isinstance(metrics, dict):
                raise ValueError(f"metrics must be a dict, got {type(metrics).__name__}")
            sets["metrics"] = _dumps("metrics", metrics)
            for key in _LIVE_COLUMNS:
                if key in metrics:
                    sets[key] = _num(key, metrics[key])
            steps = metrics.get("steps", metrics.get("step"))  # Trainer.metrics() says "step"
            if steps is not None:
                sets["steps"] = int(steps)
        if weights_json is not None:
            sets["weights"] = _weights("weights_json", weights_json)
        if initial_weights is not None:
            sets["initial_weights"] = _weights("initial_weights", initial_weights)
        if wall_seconds is not None:
            sets["wall_seconds"] = _num("wall_seconds", wall_seconds)
        if message is not None:
            sets["message"] = str(message)
        columns = ", ".join(f"{k} = ?" for k in sets)  # keys are the fixed names above, never user text
        with self._db() as conn:
            self._check_run(conn, run_id)
            conn.execute(f"UPDATE runs SET {columns} WHERE id = ?", (*sets.values(), run_id))

    def log_change(self, run_id: int, step: int, field: str, value: Any) -> None:
        """Record a setting changed live: field took value after `step` steps (so step step + 1 used it)."""
        if isinstance(step, bool) or not isinstance(step, Integral) or step < 0:
            raise ValueError(f"a change needs the step it followed, a whole number >= 0; got {step!r}")
        if not isinstance(field, str) or not field:
            raise ValueError(f"a change needs the name of the setting, got {field!r}")
        text = _dumps(f"the value of {field}", value)
        with self._db() as conn:
            self._check_run(conn, run_id)
            conn.execute(
                "INSERT INTO changes (run_id, step, field, value) VALUES (?, ?, ?, ?)", (run_id, int(step), field, text)
            )

    def get_changes(self, run_id: int) -> list[dict]:
        """The run's live setting changes in the order they were made: {step, field, value}."""
        with self._db(write=False) as conn:
            self._check_run(conn, run_id)
            rows = conn.execute("SELECT step, field, value FROM changes WHERE run_id = ? ORDER BY id", (run_id,))
            return [{"step": r["step"], "field": r["field"], "value": json.loads(r["value"])} for r in rows]

    def heartbeat(self, run_id: int, status: Status | str | None = None) -> Status:
        """A session says it is alive (and its run's live status, if given); returns the run's status.

        Runs with a heartbeat are closed by close_stale when it stops; a returned final status means that
        happened (or the run ended otherwise), and the heartbeat changed nothing.
        """
        state = None if status is None else _status(status, LIVE)
        with self._db() as conn:
            conn.execute(
                f"UPDATE runs SET heartbeat = ?, status = COALESCE(?, status) WHERE id = ? AND status IN ({_LIVE_SQL})",
                (self.clock(), state, run_id),
            )
            row = conn.execute("SELECT status FROM runs WHERE id = ?", (run_id,)).fetchone()
        if row is None:
            raise KeyError(f"no run with id {run_id!r} in {self.path}; `micrograd runs list` shows the ids")
        return Status(row["status"])

    def close_stale(self, max_age: float = STALE_SECONDS, *, force: bool = False) -> list[int]:
        """Live runs whose session has not sent a heartbeat for max_age seconds end as interrupted; their ids.

        Their weights are the last ones saved. Runs without a heartbeat (the CLI's) are left to the
        process check at open. Without force, does nothing if it ran less than STALE_CHECK_SECONDS ago.
        """
        now = self.clock()
        if not force and now - self._stale_checked < STALE_CHECK_SECONDS:
            return []
        self._stale_checked = now
        minutes = f"{max_age / 60:g} minute" + ("" if max_age == 60 else "s")
        why = f"{SESSION_GONE} (no contact for {minutes}); weights as last saved"
        with self._db() as conn:
            rows = conn.execute(
                f"SELECT id FROM runs WHERE status IN ({_LIVE_SQL}) AND heartbeat IS NOT NULL AND heartbeat < ?",
                (now - max_age,),
            ).fetchall()
            ids = [r["id"] for r in rows]
            conn.executemany(
                "UPDATE runs SET status = ?, updated_at = ?, message = ? WHERE id = ?",
                [(Status.INTERRUPTED.value, now, why, i) for i in ids],
            )
        return ids

    def list_runs(
        self,
        dataset: str | None = None,
        loss: str | None = None,
        architecture: str | None = None,
        status: Status | str | None = None,
        since: float | datetime | None = None,
        order_by: str = "created_at",
        descending: bool = True,
        sweep_id: int | None = None,
    ) -> list[dict]:
        """Runs matching every given filter (since: a Unix time or datetime), without the weights."""
        if order_by not in ORDER_BY:
            raise ValueError(f"order_by must be one of {', '.join(ORDER_BY)}; got {order_by!r}")
        where: list[str] = ["1"]
        args: list[str | int | float] = []
        for col, val in (("dataset", dataset), ("loss", loss), ("architecture", architecture), ("sweep_id", sweep_id)):
            if val is not None:
                where.append(f"{col} = ?")
                args.append(val)
        if status is not None:
            where.append("status = ?")
            args.append(_status(status))
        if since is not None:
            where.append("created_at >= ?")
            args.append(since.timestamp() if isinstance(since, datetime) else float(since))
        direction = "DESC" if descending else "ASC"
        sql = (
            f"SELECT {_LIST_COLUMNS} FROM runs WHERE "
            f"{' AND '.join(where)} ORDER BY {order_by} {direction}, id {direction}"
        )
        with self._db(write=False) as conn:
            rows = conn.execute(sql, args).fetchall()
        return [self._run_dict(r) for r in rows]

    def get_run(self, run_id: int) -> dict:
        """One run, with its weights and initial weights JSON text (or None)."""
        with self._db(write=False) as conn:
            row = conn.execute(f"SELECT {_LIST_COLUMNS}, weights, initial_weights FROM runs WHERE id = ?", (run_id,))
            row = row.fetchone()
        if row is None:
            raise KeyError(f"no run with id {run_id!r} in {self.path}; `micrograd runs list` shows the ids")
        return self._run_dict(row)

    def get_steps(self, run_id: int, last: int | None = None) -> list[dict]:
        """The run's step records in step order (only the last `last` if given), with the trainer's keys: the
        accuracies of a classifier, the R² of a regression."""
        with self._db(write=False) as conn:
            self._check_run(conn, run_id)
            (task,) = conn.execute("SELECT task FROM runs WHERE id = ?", (run_id,)).fetchone()
            other = ("train_accuracy", "test_accuracy") if task == "regression" else ("train_r2", "test_r2")
            keys = [k for k in STEP_KEYS if k not in other]
            if last is None:
                rows = conn.execute("SELECT * FROM steps WHERE run_id = ? ORDER BY step", (run_id,)).fetchall()
            else:
                sql = "SELECT * FROM steps WHERE run_id = ? ORDER BY step DESC LIMIT ?"
                rows = conn.execute(sql, (run_id, max(0, int(last)))).fetchall()[::-1]
        return [{k: r[k] for k in keys} for r in rows]

    def rename(self, run_id: int, name: str) -> None:
        """Give a run a new (non-empty) name."""
        if not isinstance(name, str) or not name.strip():
            raise ValueError(f"a run name must be non-empty text, got {name!r}")
        check_text(name, "the run name")
        if len(name.strip()) > MAX_NAME:
            raise ValueError(f"a run name is at most {MAX_NAME} characters, got {len(name.strip()):,}; shorten it")
        with self._db() as conn:
            self._check_run(conn, run_id)
            conn.execute("UPDATE runs SET name = ?, updated_at = ? WHERE id = ?", (name.strip(), self.clock(), run_id))

    def set_tags(self, run_id: int, tags: Iterable[str]) -> None:
        """Replace a run's tags (stripped, de-duplicated, sorted)."""
        tags = _tags(tags)
        long = [t for t in tags if len(t) > MAX_TAG]
        if long or len(tags) > MAX_TAGS:
            raise ValueError(
                f"a run has at most {MAX_TAGS} tags of at most {MAX_TAG} characters each, got {len(tags)} tag{'s' * (len(tags) != 1)}"
                + (f", the longest {max(map(len, long)):,} characters" if long else "")
                + "; use fewer or shorter tags"
            )
        text = _dumps("tags", tags)
        with self._db() as conn:
            self._check_run(conn, run_id)
            conn.execute("UPDATE runs SET tags = ?, updated_at = ? WHERE id = ?", (text, self.clock(), run_id))

    def delete(self, run_id: int) -> None:
        """Remove a run and its steps."""
        with self._db() as conn:
            self._check_run(conn, run_id)
            conn.execute("DELETE FROM runs WHERE id = ?", (run_id,))  # steps go by ON DELETE CASCADE
            # a data file no run uses any more goes too
            conn.execute(
                "DELETE FROM data_files WHERE sha256 NOT IN (SELECT data_file FROM runs WHERE data_file NOT NULL)"
            )

    @staticmethod
    def _run_dict(row: sqlite3.Row) -> dict:
        d = {k: row[k] for k in row.keys()}
        for k in _JSON_COLUMNS:
            d[k] = None if d[k] is None else json.loads(d[k])
        d["has_weights"], d["has_initial_weights"] = bool(d["has_weights"]), bool(d["has_initial_weights"])
        return d
