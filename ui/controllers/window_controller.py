"""The base of the window's controllers: a child QObject of the window with a `status` signal."""
from __future__ import annotations

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QWidget


class WindowController(QObject):
    """Owned by the window (its Qt parent); `status` carries short notes for the window's status bar."""

    status = Signal(str)

    def __init__(self, window: QWidget) -> None:
        super().__init__(window)

    @property
    def window(self) -> QWidget:
        """The parent of this controller's dialogs and message boxes.

        Read from Qt rather than kept in an attribute: a Python reference back to the window would make a
        reference cycle, and the window would then be destroyed by the garbage collector at some later moment
        instead of when its last reference goes.
        """
        return self.parent()
