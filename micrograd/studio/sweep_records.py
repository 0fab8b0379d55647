"""The run store's sweeps table: one row per sweep (its spec, status and cluster); its trials are runs."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from typing import Any

from micrograd.studio.status import Status
from micrograd.studio.store_base import _dumps, _status


class SweepRecords:
    """Sweep methods of RunStore (which provides _db, clock and the process identity)."""

    path: Any
    clock: Callable[[], float]
    pid: int
    host: str
    token: str | None
    _db: Callable[..., AbstractContextManager[sqlite3.Connection]]

    def _check_sweep(self, conn: sqlite3.Connection, sweep_id: int) -> None:
        if conn.execute("SELECT 1 FROM sweeps WHERE id = ?", (sweep_id,)).fetchone() is None:
            raise KeyError(f"no sweep with id {sweep_id!r} in {self.path}; `micrograd runs list` shows the ids")

    def create_sweep(self, name: str, spec: dict, cluster: str | None = None) -> int:
        """Record a new sweep (status queued) and return its id; spec is its JSON definition (axes, base, seeds)."""
        if not isinstance(name, str) or not name.strip():
            raise ValueError(f"a sweep name must be non-empty text, got {name!r}")
        if not isinstance(spec, dict):
            raise ValueError(
                f"a sweep spec must be a dict (its base configuration and axes), got {type(spec).__name__}"
            )
        now = self.clock()
        with self._db() as conn:
            cur = conn.execute(
                "INSERT INTO sweeps (created_at, updated_at, name, spec, status, cluster, pid, host, proc_token)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    now,
                    now,
                    name.strip(),
                    _dumps("spec", spec),
                    Status.QUEUED.value,
                    cluster,
                    self.pid,
                    self.host,
                    self.token,
                ),
            )
        assert cur.lastrowid is not None
        return cur.lastrowid

    def update_sweep(self, sweep_id: int, status: Status | str | None = None, message: str | None = None) -> None:
        """Change a sweep's status and/or message."""
        sets: dict[str, Any] = {"updated_at": self.clock()}
        if status is not None:
            sets["status"] = _status(status)
        if message is not None:
            sets["message"] = str(message)
        columns = ", ".join(f"{k} = ?" for k in sets)  # fixed names, never user text
        with self._db() as conn:
            self._check_sweep(conn, sweep_id)
            conn.execute(f"UPDATE sweeps SET {columns} WHERE id = ?", (*sets.values(), sweep_id))

    def get_sweep(self, sweep_id: int) -> dict:
        """One sweep, with ``trials``: how many of its runs are in each status."""
        with self._db(write=False) as conn:
            rows = list(self._sweep_rows(conn, "WHERE s.id = ?", (sweep_id,)))
        if not rows:
            raise KeyError(f"no sweep with id {sweep_id!r} in {self.path}")
        return rows[0]

    def list_sweeps(self) -> list[dict]:
        """Every sweep, newest first, each with its trial counts per status."""
        with self._db(write=False) as conn:
            return list(self._sweep_rows(conn, "", ()))

    @staticmethod
    def _sweep_rows(conn: sqlite3.Connection, where: str, args: tuple) -> Iterator[dict]:
        sql = (
            "SELECT s.id, s.created_at, s.updated_at, s.name, s.spec, s.status, s.cluster, s.message, s.pid, s.host,"
            " (SELECT json_group_object(status, n) FROM (SELECT status, COUNT(*) AS n FROM runs"
            f"  WHERE sweep_id = s.id GROUP BY status)) AS trials FROM sweeps s {where} ORDER BY s.id DESC"
        )
        for r in conn.execute(sql, args).fetchall():
            d = {k: r[k] for k in r.keys()}
            d["spec"], d["trials"] = json.loads(d["spec"]), json.loads(d["trials"] or "{}")
            yield d
