"""The one atomic write: a file (or folder) appears whole at its path or not at all.

Rules every write of Layerboard follows (through `atomic_path` / `atomic_write_text`):

* Only a regular file is replaced by a file, and only a folder by a folder: a device (`/dev/full`), a FIFO, a
  socket, or a folder where a file is expected is refused with `TargetError`, and nothing is written.
* A symbolic link is written through: its target gets the new content and the link stays a link.
* What is written gets the permissions `open()` would give it: an existing file keeps its mode, a new one gets
  0666 (a folder 0777) less the umask -- not the 0600 of a private temporary file.
* The content is staged in a folder `.<name>.XXXXXXXX` beside the target, locked (`flock`) while its writer lives.
  A kill leaves that folder behind; the next write into the same folder removes such leftovers of dead writers
  (unlocked, older than `STALE_AFTER_S`), also those of earlier versions (`.last.partial.keras`,
  `.p.json.XXXXXXXX.tmp`), and puts back a folder that a kill caught in the middle of being replaced.
"""
from __future__ import annotations

import fcntl
import os
import re
import shutil
import signal
import stat
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from builder.errors import LayerboardError

KILL_AT = "LAYERBOARD_KILL_AT"  # tests only: the name of a point at which kill_point() kills the process
STALE_AFTER_S = 60.0  # leftovers younger than this are never touched (their writer may still be starting)
_LOCK, _OLD, _PARTIAL = "lock", "old", "partial"
_STAGING = re.compile(r"^\..+\.[a-z0-9_]{8}$")  # tempfile.mkdtemp(prefix=".<name>.")
_OLD_FILES = re.compile(r"^\..+\.(partial(\.[A-Za-z0-9]+)?|[a-z0-9_]{8}\.tmp)$")  # earlier versions' temporaries


class TargetError(LayerboardError):
    """A path Layerboard was asked to write is something it must not replace (a device, a folder...)."""


def kill_point(name: str) -> None:
    """Tests only: SIGKILL this process when the environment variable LAYERBOARD_KILL_AT names this point (the
    points are listed in the README, "Checkpoints, resume and failures"); does nothing otherwise."""
    if os.environ.get(KILL_AT) == name:
        os.kill(os.getpid(), signal.SIGKILL)


def real_target(target: str | Path) -> Path:
    """Where a write to `target` lands: the end of its chain of symbolic links (a link is written through)."""
    target = Path(target)
    return Path(os.path.realpath(target)) if target.is_symlink() else target


def check_replaceable(target: str | Path, folder: bool = False) -> Path:
    """The real path a write to `target` would replace; TargetError when it is not a regular file (or, with
    `folder`, a folder)."""
    real = real_target(target)
    try:
        mode = os.stat(real).st_mode
    except FileNotFoundError:
        return real
    except OSError as exc:
        raise TargetError(f"{target}: cannot be written ({exc.strerror}); choose another path.") from None
    if stat.S_ISREG(mode) and not folder:
        return real
    if stat.S_ISDIR(mode):
        if folder:
            return real
        raise TargetError(f"{target} is a folder; Layerboard writes a file there only where nothing or a file is. "
                          "Give a file name.")
    if stat.S_ISREG(mode):
        raise TargetError(f"{target} is a file; this writes a folder. Give a folder name.")
    raise TargetError(f"{target} is {file_kind(mode)}, not a regular file; Layerboard never replaces it. "
                      "Give the path of a file.")


def file_kind(mode: int) -> str:
    """What a file of this `st_mode` is, in words, for a message about something that is not a regular file."""
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISCHR(mode):
        return "a character device"
    if stat.S_ISBLK(mode):
        return "a block device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "something other than a file or a folder"


def umask() -> int:
    """The process's umask, read without changing it where the system tells (Linux), else by setting it back."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    old = os.umask(0o022)
    os.umask(old)
    return old


def _give_permissions(path: Path, previous_mode: int | None) -> None:
    """The permissions open()/mkdir() would have given `path`; an existing file's mode is kept."""
    is_dir = path.is_dir()
    if previous_mode is not None:
        mode = stat.S_IMODE(previous_mode)
    else:
        mode = (0o777 if is_dir else 0o666) & ~umask()
    try:
        os.chmod(path, mode)
    except OSError:
        pass


def clean_leftovers(folder: str | Path, older_than_s: float = STALE_AFTER_S) -> list[Path]:
    """Remove the temporaries that killed writers left in `folder` (never a live writer's); returns them."""
    folder = Path(folder)
    removed: list[Path] = []
    now = time.time()
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return removed
    for entry in entries:
        if not entry.name.startswith(".") or not (_STAGING.match(entry.name) or _OLD_FILES.match(entry.name)):
            continue  # only hidden names of Layerboard's patterns are looked at (a big folder costs one listing)
        try:
            info = entry.stat(follow_symlinks=False)
        except OSError:
            continue
        if now - info.st_mtime < older_than_s:
            continue
        path = Path(entry.path)
        if stat.S_ISDIR(info.st_mode) and _STAGING.match(entry.name):
            if _remove_staging(path):
                removed.append(path)
        elif stat.S_ISREG(info.st_mode) and _OLD_FILES.match(entry.name):
            try:
                path.unlink()
                removed.append(path)
            except OSError:
                pass
    return removed


def _remove_staging(staging: Path) -> bool:
    """Remove one staging folder unless its writer still holds its lock; a replaced folder caught half way is
    put back first."""
    lock_path = staging / _LOCK
    fd = None
    try:
        if lock_path.exists():
            fd = os.open(lock_path, os.O_RDONLY)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                return False  # a live writer
        old = staging / _OLD
        target = staging.parent / staging.name[1:-9]  # ".<name>.XXXXXXXX" -> "<name>"
        if old.exists() and not os.path.lexists(target):
            os.replace(old, target)  # the kill came between moving the old folder aside and the new one in
        shutil.rmtree(staging, ignore_errors=True)
        return not staging.exists()
    except OSError:
        return False
    finally:
        if fd is not None:
            os.close(fd)


@contextmanager
def atomic_path(target: str | Path, suffix: str = "") -> Iterator[Path]:
    """Yield a temporary path beside `target`; on success it replaces the target, else it is removed.

    Whatever the caller writes there (a text file, an HDF5 file, a .keras archive, a SavedModel folder)
    is renamed into place in one step, so a crash or a kill never leaves half a file. A failure also
    removes the folders made for the target, so a failed save leaves no trace. A file replaces only a regular
    file and a folder only a folder (TargetError otherwise); a symbolic link is written through.
    """
    requested = Path(target)
    target = check_replaceable(requested, folder=requested.is_dir())
    created = [p for p in [target.parent, *target.parent.parents] if not p.exists()]
    target.parent.mkdir(parents=True, exist_ok=True)
    if not created:
        clean_leftovers(target.parent)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    lock = os.open(staging / _LOCK, os.O_CREAT | os.O_WRONLY, 0o600)
    fcntl.flock(lock, fcntl.LOCK_EX)
    tmp = staging / f"{_PARTIAL}{suffix}"
    done = False
    try:
        yield tmp
        kill_point(f"before-rename {target.name}")
        made_folder = tmp.is_dir()
        target = check_replaceable(requested, folder=made_folder)
        previous = os.stat(target).st_mode if target.exists() and not made_folder else None
        _give_permissions(tmp, previous)
        if made_folder and target.exists():
            os.replace(target, staging / _OLD)  # a folder cannot be replaced in one step: the old one moves aside
        os.replace(tmp, target)
        done = True
    finally:
        shutil.rmtree(staging, ignore_errors=True)
        os.close(lock)
        if not done:
            for path in created:  # innermost first
                try:
                    path.rmdir()
                except OSError:
                    break


def atomic_write_text(path: str | Path, text: str) -> None:
    """Write text (UTF-8) atomically, synced to disk before the rename."""
    check_replaceable(path)
    with atomic_path(path) as tmp:
        with open(tmp, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
