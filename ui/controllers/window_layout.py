"""The window's geometry and dock layout, remembered between sessions (QSettings via ui.app_settings).

`restore()` once the docks exist (before the window is shown); `save()` when the window closes. A layout
saved by an older version, with other docks, is refused by Qt and the default layout stays. `reset()` puts
the default layout back (View → Reset Layout).
"""
from __future__ import annotations

from PySide6.QtCore import QByteArray, Slot
from PySide6.QtWidgets import QMainWindow

from ui.app_settings import app_settings
from ui.controllers.window_controller import WindowController

LAYOUT_VERSION = 1  # bump when the set of docks changes, so an old saved layout is not half-applied
GEOMETRY_KEY = "window/geometry"
STATE_KEY = "window/state"


class WindowLayout(WindowController):
    def __init__(self, window: QMainWindow) -> None:
        super().__init__(window)
        self._default_state: QByteArray = window.saveState(LAYOUT_VERSION)  # as built, before any restore

    def restore(self) -> bool:
        """Apply the saved geometry and dock layout; False when none was saved (or Qt refused it)."""
        settings = app_settings()
        geometry, state = settings.value(GEOMETRY_KEY), settings.value(STATE_KEY)
        window: QMainWindow = self.window
        restored = False
        if isinstance(geometry, QByteArray) and not geometry.isEmpty():
            restored = window.restoreGeometry(geometry)
        if isinstance(state, QByteArray) and not state.isEmpty():
            restored = window.restoreState(state, LAYOUT_VERSION) and restored
        return restored

    def save(self) -> None:
        window: QMainWindow = self.window
        settings = app_settings()
        settings.setValue(GEOMETRY_KEY, window.saveGeometry())
        settings.setValue(STATE_KEY, window.saveState(LAYOUT_VERSION))
        settings.sync()

    @Slot()
    def reset(self) -> None:
        """The docks as the app first showed them, every one visible again."""
        window: QMainWindow = self.window
        window.restoreState(self._default_state, LAYOUT_VERSION)
        self.status.emit("The panels are back where they started.")
