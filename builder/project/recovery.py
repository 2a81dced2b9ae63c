"""Recovery files: autosaves of open projects, kept until saved or discarded, offered again after a crash.

A recovery file is a project file (the same `project_to_dict`, written by the one atomic write) with one more
top-level object, `"recovery"`: the process that wrote it (its pid and, where the system tells, when that process
started, so a pid the system gave to a later process is not taken for the writer), when it was written, and the
project's own path (none for a project never saved). It lives in `recovery_dir()` under the per-user data folder.

A file whose writer still runs belongs to an open window and is not offered; one whose writer is gone is work a
crash or a kill left behind. Reading one makes the checks loading a project makes (`load_project`: a regular file,
its size, the JSON, the limits, every field); a file that fails them is skipped with a note, never fatal.
"""
from __future__ import annotations

import json
import logging
import os
import secrets
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from builder.errors import LayerboardError, ProjectFileError
from builder.files import atomic_write_text
from builder.project.files import load_project, project_to_dict
from builder.project.limits import check_path
from builder.project.record import Project
from builder.project.user_data import folder_name, recovery_dir

log = logging.getLogger(__name__)

RECOVERY_KEY = "recovery"  # the top-level object of a project file that makes it a recovery file
SUFFIX = ".json"
MAX_LISTED = 50  # the newest recovery files read when listing; a folder of thousands costs no more than this
CHANGED_TOLERANCE_S = 2.0  # file systems keep modification times coarsely; a file this much newer was changed


@dataclass(frozen=True)
class RecoveryFile:
    """One recovery file as listed: what it holds and who wrote it."""

    path: Path  # the recovery file
    project_name: str
    original_path: Path | None  # the project's own file, None for a project never saved
    saved_at: float  # when it was written (seconds since the epoch)
    pid: int  # the process that wrote it
    process_started: int | None  # that process's start time as the system counts it (Linux), to tell pid reuse
    node_count: int

    @property
    def writer_alive(self) -> bool:
        """Whether the process that wrote it still runs (an open window): then it is not offered."""
        return pid_alive(self.pid, self.process_started)

    def describe(self) -> str:
        """One line for a list: name, where it was saved, when, how many blocks."""
        where = str(self.original_path) if self.original_path else "never saved"
        when = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(self.saved_at))
        blocks = f"{self.node_count} block{'s' if self.node_count != 1 else ''}"
        return f"{self.project_name} ({where}), autosaved {when}, {blocks}"


@dataclass
class RecoveryScan:
    """The recovery files found (newest first) and a note for each one skipped."""

    found: list[RecoveryFile] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)


@dataclass
class RestoredProject:
    """A project read back from a recovery file; `project.path` is its own file when saving there is safe."""

    project: Project
    recovery: RecoveryFile
    notes: list[str] = field(default_factory=list)


# ---- the writing process ------------------------------------------------------------------------------------
def process_start_time(pid: int) -> int | None:
    """When process `pid` started, in clock ticks since boot (Linux /proc); None where the system does not say."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
        return int(text[text.rindex(")") + 2:].split()[19])  # field 22; the name before ")" may hold spaces
    except (OSError, ValueError, IndexError):
        return None


def _process_state(pid: int) -> str | None:
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
        return text[text.rindex(")") + 2:].split()[0]
    except (OSError, ValueError, IndexError):
        return None


def pid_alive(pid: int, started: int | None = None) -> bool:
    """Whether process `pid` runs; with `started` (its `process_start_time`), a later process that was given the
    same pid does not count. A zombie (killed, not yet reaped) is not alive."""
    if type(pid) is not int or pid <= 0:
        return False
    if sys.platform == "win32":
        return _windows_pid_alive(pid)
    try:
        os.kill(pid, 0)  # signal 0: only asks whether the process exists
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # another user's process: it exists
    except OSError:
        return False
    if _process_state(pid) in ("Z", "X"):
        return False
    if started is not None:
        now = process_start_time(pid)
        if now is not None and now != started:
            return False
    return True


def _windows_pid_alive(pid: int) -> bool:
    """OpenProcess + GetExitCodeProcess (os.kill would end the process on Windows)."""
    import ctypes

    kernel = ctypes.windll.kernel32  # type: ignore[attr-defined]
    handle = kernel.OpenProcess(0x1000, False, pid)  # PROCESS_QUERY_LIMITED_INFORMATION
    if not handle:
        return False
    try:
        code = ctypes.c_ulong()
        return bool(kernel.GetExitCodeProcess(handle, ctypes.byref(code))) and code.value == 259  # STILL_ACTIVE
    finally:
        kernel.CloseHandle(handle)


# ---- writing ------------------------------------------------------------------------------------------------
def new_recovery_path(project_name: str) -> Path:
    """A fresh recovery file name for one open project of this process: <name>-<pid>-<random>.json."""
    stem = folder_name(project_name).lstrip(".")[:40] or "untitled"
    return recovery_dir() / f"{stem}-{os.getpid()}-{secrets.token_hex(4)}{SUFFIX}"


def write_recovery(project: Project, path: str | Path) -> Path:
    """Write `project` (saved or not) atomically to the recovery file `path`, with this process as its writer and
    the project's own path; the project itself is not changed (its path stays where it was)."""
    data = project_to_dict(project)
    data[RECOVERY_KEY] = {
        "pid": os.getpid(),
        "process_started": process_start_time(os.getpid()),
        "saved_at": time.time(),
        "original_path": str(project.path) if project.path is not None else None,
    }
    path = Path(path)
    atomic_write_text(path, json.dumps(data) + "\n")
    return path


def remove_recovery(path: str | Path) -> bool:
    """Remove a recovery file (a project saved or its changes discarded); only a regular file in the recovery
    folder is removed. Returns whether one was."""
    path = Path(path)
    try:
        if path.parent.resolve() != recovery_dir().resolve() or not path.is_file() or path.is_symlink():
            return False
        path.unlink()
        return True
    except FileNotFoundError:
        return False


# ---- reading ------------------------------------------------------------------------------------------------
def read_recovery(path: str | Path) -> tuple[RecoveryFile, Project]:
    """The recovery file at `path` and the project it holds, checked as loading a project checks it; raises
    ProjectFileError (a LayerboardError) for a file that is broken, hostile or not a recovery file."""
    path = Path(path)
    project = load_project(path)  # every check of a project file: regular file, size, JSON, limits, fields
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:  # replaced in between by a broken file: not this one any more
        raise ProjectFileError(path, "", f"cannot be read again ({exc}).") from None
    meta = data.get(RECOVERY_KEY) if isinstance(data, dict) else None
    if not isinstance(meta, dict):
        raise ProjectFileError(path, RECOVERY_KEY, "missing: a project file, not a recovery file.")
    pid, started, saved_at, original = (meta.get(k) for k in ("pid", "process_started", "saved_at", "original_path"))
    if type(pid) is not int or pid <= 0:
        raise ProjectFileError(path, f"{RECOVERY_KEY}.pid", "expected a process id (a positive integer).")
    if started is not None and type(started) is not int:
        raise ProjectFileError(path, f"{RECOVERY_KEY}.process_started", "expected an integer or null.")
    if type(saved_at) not in (int, float) or not 0 <= saved_at < 1e11:
        raise ProjectFileError(path, f"{RECOVERY_KEY}.saved_at", "expected a time (seconds since 1970).")
    if original is not None and not isinstance(original, str):
        raise ProjectFileError(path, f"{RECOVERY_KEY}.original_path", "expected a path or null.")
    recovery = RecoveryFile(path=path, project_name=project.name, original_path=Path(original) if original else None,
                            saved_at=float(saved_at), pid=pid, process_started=started,
                            node_count=len(project.graph.nodes))
    project.path = None
    return recovery, project


def list_recoveries(include_live: bool = False) -> RecoveryScan:
    """The recovery files in `recovery_dir()`, newest first: those whose writer is gone (a crash or a kill left them),
    or with `include_live` those of running windows too. A file that cannot be read is skipped with a note."""
    scan = RecoveryScan()
    folder = recovery_dir()
    try:
        entries = [e for e in os.scandir(folder) if not e.name.startswith(".") and e.name.endswith(SUFFIX)]
    except FileNotFoundError:
        return scan
    except OSError as exc:
        scan.skipped.append(f"{folder}: cannot be listed ({exc.strerror}).")
        return scan
    candidates: list[tuple[float, Path]] = []
    for entry in entries:
        try:
            info = entry.stat(follow_symlinks=False)
        except OSError:
            continue
        if not entry.is_file(follow_symlinks=False):  # a link or a folder is not something Layerboard wrote
            scan.skipped.append(f"{entry.path}: not a regular file; skipped.")
            continue
        candidates.append((info.st_mtime, Path(entry.path)))
    candidates.sort(reverse=True)
    if len(candidates) > MAX_LISTED:
        scan.skipped.append(f"{len(candidates) - MAX_LISTED} older recovery files in {folder} were not read.")
    for _mtime, path in candidates[:MAX_LISTED]:
        try:
            recovery, _project = read_recovery(path)
        except LayerboardError as exc:
            scan.skipped.append(f"skipped: {exc}")
            continue
        except Exception as exc:  # a hostile file must never stop the start-up; say what it was
            log.warning("recovery file %s: %r", path, exc)
            scan.skipped.append(f"skipped: {path}: cannot be read ({type(exc).__name__}: {exc}).")
            continue
        if include_live or not recovery.writer_alive:
            scan.found.append(recovery)
    scan.found.sort(key=lambda r: r.saved_at, reverse=True)
    return scan


def restore_project(path: str | Path) -> RestoredProject:
    """The project in the recovery file `path`, with its own path back when saving there is safe: an absolute
    `.json` path whose file is not newer than the autosave (else it comes back unsaved, and Save asks where)."""
    recovery, project = read_recovery(path)
    notes: list[str] = []
    original = recovery.original_path
    if original is not None:
        problem = _original_path_problem(original, recovery.saved_at)
        if problem:
            notes.append(f"{original}: {problem} The restored project is unsaved; Save asks where to write it.")
        else:
            project.path = original
    return RestoredProject(project, recovery, notes)


def _original_path_problem(original: Path, saved_at: float) -> str | None:
    try:
        check_path(original)
    except LayerboardError:
        return "the path holds a NUL byte."
    if not original.is_absolute() or original.suffix.lower() != SUFFIX:
        return "not the absolute path of a .json project file."
    try:
        info = os.stat(original)
    except FileNotFoundError:
        return None if original.parent.is_dir() else "its folder no longer exists."
    except OSError as exc:
        return f"cannot be checked ({exc.strerror})."
    if not os.path.isfile(original):
        return "not a regular file."
    if info.st_mtime > saved_at + CHANGED_TOLERANCE_S:
        return "the file was changed after this autosave (by another window?); it is left as it is."
    return None
