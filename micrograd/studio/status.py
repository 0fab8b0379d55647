"""The one list of run statuses, shared by the trainer, the run store, recording and sweeps (stdlib only)."""

from __future__ import annotations

from enum import Enum


class Status(str, Enum):
    """Where a run (or a sweep) stands. A str, so it compares equal to, stores and prints as its value."""

    QUEUED = "queued"  # waiting for a worker (a sweep's trial)
    RUNNING = "running"
    PAUSED = "paused"
    FINISHED = "finished"  # the step budget was spent
    DIVERGED = "diverged"  # the loss or the weights blew up
    FAILED = "failed"  # the trainer (or the worker) raised; the message says what happened
    CANCELLED = "cancelled"  # stopped on purpose before the end (a sweep's Cancel, Ctrl-C)
    INTERRUPTED = "interrupted"  # the process or session that trained it went away

    def __str__(self) -> str:  # "finished", not "Status.FINISHED", in f-strings and messages
        return self.value

    @property
    def final(self) -> bool:
        """True for a status that never changes again by itself."""
        return self in FINAL

    @property
    def live(self) -> bool:
        """True while some process trains the run (running or paused)."""
        return self in LIVE

    @classmethod
    def parse(cls, value: object, allowed: frozenset[Status] | tuple[Status, ...] | None = None) -> Status:
        """The Status named by value (a Status or its text), or ValueError listing the allowed words."""
        choices = tuple(cls) if allowed is None else tuple(s for s in cls if s in allowed)
        try:
            status = cls(value)
        except ValueError:
            status = None
        if status is None or status not in choices:
            raise ValueError(f"status must be one of {', '.join(s.value for s in choices)}; got {value!r}")
        return status


LIVE = frozenset({Status.RUNNING, Status.PAUSED})
ACTIVE = LIVE | {Status.QUEUED}  # not final: someone is expected to move it on
FINAL = frozenset(Status) - ACTIVE
