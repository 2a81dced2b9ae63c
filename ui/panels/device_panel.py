"""The device panel: the engine's doctor report (what training runs on, and why not the GPU)."""
from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget


class DevicePanel(QWidget):
    """Placeholder while the panel is built: the window docks it already."""

    message = Signal(str)  # a line for the status bar

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.document = None
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel("(coming)", self))

    def set_document(self, document) -> None:
        self.document = document

    def set_engine_ready(self) -> None:
        pass
