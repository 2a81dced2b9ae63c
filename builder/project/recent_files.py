"""The recently opened or saved project files (File ▸ Open Recent): most recent first, at most MAX_RECENT.

Kept as a JSON list of absolute paths in the per-user data folder, written by the one atomic write, so every
window and the command line share one list. A list file that is broken or hostile reads as an empty list.
"""
from __future__ import annotations

import json
import logging
import os
from pathlib import Path

from builder.files import atomic_write_text
from builder.project.user_data import user_data_dir

log = logging.getLogger(__name__)

MAX_RECENT = 10
MAX_LIST_BYTES = 256 * 1024  # ten paths take a few kilobytes


def recent_list_path() -> Path:
    """The file holding the list: <user data folder>/recent_projects.json."""
    return user_data_dir() / "recent_projects.json"


def _normal(path: str | Path) -> Path:
    return Path(os.path.normpath(os.path.abspath(path)))


def recent_files() -> list[Path]:
    """The recent project files, most recent first (files that no longer exist included: the menu says so)."""
    source = recent_list_path()
    try:
        if not source.is_file() or source.stat().st_size > MAX_LIST_BYTES:
            return []
        data = json.loads(source.read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError) as exc:
        log.warning("the recent files list %s cannot be read (%s); starting a new one", source, exc)
        return []
    paths: list[Path] = []
    for entry in data if isinstance(data, list) else []:
        if isinstance(entry, str) and entry and "\0" not in entry and Path(entry).is_absolute():
            path = _normal(entry)
            if path not in paths:
                paths.append(path)
    return paths[:MAX_RECENT]


def _write(paths: list[Path]) -> list[Path]:
    paths = paths[:MAX_RECENT]
    atomic_write_text(recent_list_path(), json.dumps([str(p) for p in paths], indent=1) + "\n")
    return paths


def add_recent_file(path: str | Path) -> list[Path]:
    """Put `path` first in the list (once); returns the list. Raises OSError or TargetError when it cannot be
    written."""
    path = _normal(path)
    return _write([path] + [p for p in recent_files() if p != path])


def remove_recent_file(path: str | Path) -> list[Path]:
    """Take `path` off the list (a file that no longer exists); returns the list."""
    path = _normal(path)
    return _write([p for p in recent_files() if p != path])


def clear_recent_files() -> None:
    """Empty the list."""
    _write([])
