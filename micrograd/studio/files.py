"""Writing an output file so that nothing but a regular file is ever replaced, and that one only whole.

- a regular file (or a path that does not exist yet) gets a temp file in the same folder, renamed over it: readers
  and a full disk see the old file or the new one, never half of one;
- a symbolic link is followed: the file it names is replaced, the link stays a link;
- a character device (/dev/null, /dev/stdout on a terminal) is written in place: replacing it would destroy it;
- a folder, a named pipe (which would block until someone reads it), a socket or a block device is refused.
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile


class OutputError(OSError):
    """The output cannot be written; the message says which path and why, in one line."""


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISBLK(mode):
        return "a block device"
    return "not a regular file"


def _umask() -> int:
    """The process umask, read without changing it (os.umask would, for a moment, in every thread)."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    return 0o022


def check_output(path: str | os.PathLike) -> tuple[bool, str]:
    """(is a character device, the path to write) for path, or an OutputError saying why it cannot be written."""
    shown = os.fspath(path)
    try:
        info = os.stat(path)  # follows symlinks: what the path names in the end
    except FileNotFoundError:
        info = None
    except OSError as e:  # a symlink loop, a path through a file, no permission to look
        raise OutputError(f"cannot write {shown}: {e.strerror}") from None
    if info is not None and stat.S_ISCHR(info.st_mode):
        return True, shown
    if info is not None and not stat.S_ISREG(info.st_mode):
        hint = "give a file name inside it" if stat.S_ISDIR(info.st_mode) else "give the name of a regular file"
        raise OutputError(f"cannot write {shown}: it is {_kind(info.st_mode)}; {hint}")
    target = os.path.realpath(path)  # through any symlinks, so the link is kept and its file replaced
    folder = os.path.dirname(target)
    if not os.path.isdir(folder):
        raise OutputError(f"cannot write {shown}: the folder {folder} does not exist")
    return False, target


def write_file(path: str | os.PathLike, data: str | bytes) -> None:
    """Write data (str as UTF-8) to path: see the module docstring; raises OutputError with a one-line reason."""
    raw = data.encode("utf-8") if isinstance(data, str) else bytes(data)
    shown = os.fspath(path)
    device, target = check_output(path)
    if device:
        try:
            with open(target, "wb") as f:
                f.write(raw)
        except OSError as e:
            raise OutputError(f"cannot write {shown}: {e.strerror}") from None
        return
    try:
        old: os.stat_result | None = os.stat(target)
    except OSError:
        old = None
    folder = os.path.dirname(target)
    try:
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{os.path.basename(target)}.", suffix=".tmp")
    except OSError as e:
        raise OutputError(f"cannot write {shown}: {e.strerror} (in {folder})") from None
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(raw)
            f.flush()
            os.fsync(f.fileno())
        # mkstemp makes the file private; keep the old file's mode, or give a new one the usual 0o666 - umask
        os.chmod(tmp, stat.S_IMODE(old.st_mode) if old is not None else 0o666 & ~_umask())
        if old is not None and getattr(os, "geteuid", lambda: -1)() == 0:  # root gives a user's file back to them
            with contextlib.suppress(OSError):
                os.chown(tmp, old.st_uid, old.st_gid)
        os.replace(tmp, target)
    except OSError as e:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise OutputError(f"cannot write {shown}: {e.strerror or e}") from None
