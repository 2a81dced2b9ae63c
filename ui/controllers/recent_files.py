"""File ▸ Open Recent: the engine's recent files list (builder.project.recent_files) as a menu, read each time it
opens, so every window shows the same list; a file that no longer exists is marked, and chosen, leaves the list."""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Slot
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMenu, QMessageBox, QWidget

from builder.errors import LayerboardError
from builder.project import clear_recent_files, recent_files, remove_recent_file
from ui.controllers.file_actions import FileActions
from ui.controllers.window_controller import WindowController
from ui.message_box import show_message


class RecentFiles(WindowController):
    """Owns the "Open Recent" menu (`menu`, for the window's File menu); choosing an entry opens it like Open."""

    def __init__(self, window: QWidget, file_actions: FileActions) -> None:
        super().__init__(window)
        self.file_actions = file_actions
        self.menu = QMenu("Open &Recent", window)
        self.menu.setObjectName("OpenRecentMenu")
        self.menu.aboutToShow.connect(self.fill)  # read when opened: nothing is read (or stat-ed) at start-up

    @Slot()
    def fill(self) -> None:
        """List the recent files, most recent first, then Clear Recent."""
        self.menu.clear()
        paths = recent_files()
        for number, path in enumerate(paths, start=1):
            missing = not path.is_file()
            label = f"{path.name}  —  {path.parent}" + ("  (not found)" if missing else "")
            prefix = f"&{number} " if number < 10 else "1&0 "
            action = QAction(prefix + label.replace("&", "&&"), self.menu)
            action.setData(str(path))
            action.setStatusTip(f"{path} no longer exists; choose it to take it off the list" if missing else str(path))
            action.setToolTip(str(path))
            action.triggered.connect(self._on_chosen)
            self.menu.addAction(action)
        if not paths:
            empty = self.menu.addAction("No recent projects")
            empty.setEnabled(False)
        self.menu.addSeparator()
        clear = self.menu.addAction("&Clear Recent")
        clear.setEnabled(bool(paths))
        clear.triggered.connect(self.clear)

    @Slot()
    def _on_chosen(self) -> None:
        self.open_recent(self.sender().data())

    def open_recent(self, path: str | Path) -> bool:
        """Open a recent file (asking about unsaved changes first); one that no longer exists leaves the list."""
        path = Path(path)
        if not path.is_file():
            try:
                remove_recent_file(path)
            except (LayerboardError, OSError):
                pass
            show_message(self.window, QMessageBox.Icon.Information, "Project not found",
                         f"{path} no longer exists (moved, renamed or deleted); it was taken off Open Recent.")
            self.status.emit(f"{path} no longer exists; removed from Open Recent.")
            self.fill()
            return False
        return self.file_actions.open_file(path)

    @Slot()
    def clear(self) -> None:
        try:
            clear_recent_files()
        except (LayerboardError, OSError) as exc:
            self.status.emit(f"The recent files list could not be cleared: {exc}")
            return
        self.status.emit("Open Recent cleared.")
        self.fill()
