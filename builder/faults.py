"""Faults that are not Layerboard's own errors: a plain message for the expected ones, a traceback file for bugs.

Expected faults come from the system, not from Layerboard: a path that cannot be read or written (a missing
folder, no permission, a read-only or full disk, a folder where a file is meant), a path holding a NUL byte, a
structure nested too deeply for Python, memory that runs out. `plain_message` words them as one line that names
the path and the fix. Anything else is a bug: `write_traceback` writes its traceback to a file (the run's
`error.log` for training, `bug_log_path()` for a command) and the user gets one line that says where.

`LAYERBOARD_DEBUG=1` (anything but 0) also shows tracebacks, and TensorFlow's notices, on the terminal.
"""
from __future__ import annotations

import errno
import os
import platform
import sys
import tempfile
import time
import traceback
from pathlib import Path

from builder.errors import first_line

DEBUG_VARIABLE = "LAYERBOARD_DEBUG"

_FIXES = {
    errno.ENOENT: "does not exist; check the path (the folder it is in must exist)",
    errno.EACCES: "is not allowed (permission denied); choose a place you may read or write, or change its "
                  "permissions",
    errno.EPERM: "is not allowed (operation not permitted); choose another path",
    errno.EISDIR: "is a folder; give a file name",
    errno.ENOTDIR: "has a part that is a file, not a folder; check the path",
    errno.EROFS: "is on a read-only file system; choose another place",
    errno.ENOSPC: "cannot be written: the disk is full; free some space or choose another disk",
    errno.EDQUOT: "cannot be written: the disk quota is used up; free some space",
    errno.ENAMETOOLONG: "has a name too long for the file system; use a shorter path",
    errno.EEXIST: "already exists; choose another path",
    errno.ENOTEMPTY: "is a folder that is not empty; choose another path",
    errno.ELOOP: "goes round a loop of symbolic links; fix the links or use another path",
    errno.EINVAL: "is not a valid path here; choose another path",
    errno.EXDEV: "is on another file system than its temporary copy; choose a path on one disk",
    errno.EBUSY: "is in use; close what uses it or choose another path",
}


def debugging() -> bool:
    """Whether LAYERBOARD_DEBUG is set (to anything but 0): tracebacks and TensorFlow's chatter are shown."""
    return os.environ.get(DEBUG_VARIABLE, "").strip() not in ("", "0")


def plain_message(exc: BaseException) -> str | None:
    """One line for a fault the system caused (a path, a NUL byte, a nesting too deep, memory), or None for a bug."""
    if isinstance(exc, RecursionError):
        return ("The input is nested too deeply to read (Python's limit on nesting): a file holding brackets or "
                "objects nested hundreds of levels deep? Flatten it.")
    if isinstance(exc, MemoryError):
        return "Out of memory. Close other programs, or use a smaller model, batch size or dataset."
    if isinstance(exc, ValueError) and "null byte" in str(exc):
        return "A path holds a NUL byte (\\0), which no file name may hold; remove it from the path."
    if isinstance(exc, OSError) and exc.errno in _FIXES:
        names = [n for n in (exc.filename, exc.filename2) if n is not None]
        where = " -> ".join(repr(os.fsdecode(n)) if isinstance(n, bytes) else f"'{n}'" for n in names)
        return f"{where or 'A path'} {_FIXES[exc.errno]}."
    if isinstance(exc, OSError) and exc.filename is not None:
        return f"'{exc.filename}': {exc.strerror or exc}; check the path."
    return None


def write_traceback(exc: BaseException, path: str | Path) -> Path | None:
    """Append the traceback of `exc` (with the time, the command line and the versions) to `path`; returns the
    path, or None when it cannot be written (the fault is then only in the message)."""
    path = Path(path)
    text = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    header = (f"--- {time.strftime('%Y-%m-%d %H:%M:%S')}  layerboard {' '.join(sys.argv[1:])}\n"
              f"Python {platform.python_version()} on {platform.platform()}\n")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "a", encoding="utf-8") as f:
            f.write(header + text + "\n")
    except (OSError, ValueError):
        return None
    return path


def fault_message(exc: BaseException) -> str:
    """One line for a fault that is not a LayerboardError: plain when the system caused it (`plain_message`);
    else a bug, whose traceback is written to `bug_log_path()` and the line says where."""
    plain = plain_message(exc)
    if plain:
        return plain
    written = write_traceback(exc, bug_log_path())
    where = f"its traceback is in {written}" if written else "its traceback could not be written"
    return (f"unexpected fault, a bug in Layerboard: {type(exc).__name__}: {first_line(exc)}; {where}. "
            "Please report it with that file.")


def bug_log_path() -> Path:
    """Where a command writes the traceback of a bug: LAYERBOARD_CACHE_DIR (default ~/.cache/layerboard)/logs/."""
    base = os.environ.get("LAYERBOARD_CACHE_DIR") or Path.home() / ".cache" / "layerboard"
    name = f"error-{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}.log"
    folder = Path(base) / "logs"
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        folder = Path(tempfile.gettempdir())
    return folder / name
