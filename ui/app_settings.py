"""The one place the app's remembered preferences live: a QSettings in INI format, per user.

The theme, the window's geometry and its dock layout, whether the template gallery shows at start: every part of the
view asks `app_settings()` rather than building its own QSettings, so all of them land in one file
(~/.config/Layerboard/Layerboard.ini on Linux) and tests can point that file elsewhere with `QSettings.setPath` (see tests/gui/conftest.py). The recent projects are the engine's list (builder/project/recent_files.py), so the
command line reads them too.
"""
from __future__ import annotations

from PySide6.QtCore import QSettings

ORGANIZATION = "Layerboard"
APPLICATION = "Layerboard"


def app_settings() -> QSettings:
    """The user's Layerboard settings (a fresh QSettings object on the shared file; cheap to make)."""
    return QSettings(QSettings.Format.IniFormat, QSettings.Scope.UserScope, ORGANIZATION, APPLICATION)


GALLERY_AT_START_KEY = "start/template_gallery"  # show the template gallery when the app starts (default: yes)


def gallery_at_start() -> bool:
    """Whether the app shows the template gallery at start (the gallery's "Show at start" box)."""
    value = app_settings().value(GALLERY_AT_START_KEY, True)
    return value if isinstance(value, bool) else str(value).lower() not in ("false", "0", "no")


def set_gallery_at_start(shown: bool) -> None:
    app_settings().setValue(GALLERY_AT_START_KEY, bool(shown))
