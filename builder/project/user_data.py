"""The per-user data folder: where the runs of a project that was never saved live.

`$LAYERBOARD_DATA_DIR` when set; else the platform's place for an application's data:
`$XDG_DATA_HOME/layerboard` (default `~/.local/share/layerboard`) on Linux and other Unixes,
`%LOCALAPPDATA%\\Layerboard` on Windows, `~/Library/Application Support/Layerboard` on macOS.
Never the folder the app was started from.
"""
from __future__ import annotations

import os
import re
import sys
from pathlib import Path

DATA_DIR_VARIABLE = "LAYERBOARD_DATA_DIR"

_UNSAFE = re.compile(r"[^A-Za-z0-9._ -]")


def user_data_dir() -> Path:
    """The per-user data folder (not created here)."""
    override = os.environ.get(DATA_DIR_VARIABLE)
    if override:
        return Path(override).expanduser()
    if sys.platform == "win32":
        base = os.environ.get("LOCALAPPDATA")
        return (Path(base) if base else Path.home() / "AppData" / "Local") / "Layerboard"
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Application Support" / "Layerboard"
    base = os.environ.get("XDG_DATA_HOME")
    return (Path(base) if base else Path.home() / ".local" / "share") / "layerboard"


def folder_name(name: str) -> str:
    """`name` as one safe folder name: characters other than letters, digits, `.`, `_`, `-` and spaces become `_`,
    and a name that is empty or only dots (`..` would leave the folder) becomes `untitled`."""
    safe = _UNSAFE.sub("_", str(name)).strip()[:100]
    return safe if safe.strip(".") else "untitled"


def unsaved_runs_dir(project_name: str) -> Path:
    """Where the runs of a never-saved project named `project_name` go: <user data folder>/runs/<name>/."""
    return user_data_dir() / "runs" / folder_name(project_name)


def recovery_dir() -> Path:
    """Where autosaves of open projects wait to be restored after a crash: <user data folder>/recovery/."""
    return user_data_dir() / "recovery"
