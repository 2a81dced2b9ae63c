"""The one place the app's remembered preferences live: a QSettings in INI format, per user.

The theme, the window's geometry and its dock layout: every part of the view asks `app_settings()` rather than
building its own QSettings, so all of them land in one file (~/.config/Layerboard/Layerboard.ini on
Linux) and tests can point that file elsewhere with `QSettings.setPath` (see tests/gui/conftest.py). The recent projects are the engine's list (builder/project/recent_files.py), so the
command line reads them too.
"""
from __future__ import annotations

from PySide6.QtCore import QSettings

ORGANIZATION = "Layerboard"
APPLICATION = "Layerboard"


def app_settings() -> QSettings:
    """The user's Layerboard settings (a fresh QSettings object on the shared file; cheap to make)."""
    return QSettings(QSettings.Format.IniFormat, QSettings.Scope.UserScope, ORGANIZATION, APPLICATION)
