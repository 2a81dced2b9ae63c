"""The data panel: choose the dataset and its split, see its sizes, classes and samples, fix mismatches."""
from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget


class DataPanel(QWidget):
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
