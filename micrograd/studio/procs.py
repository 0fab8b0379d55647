"""Which process wrote a live run: a pid plus a token that tells it from a later process with the same pid."""

from __future__ import annotations

import os
from pathlib import Path


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
