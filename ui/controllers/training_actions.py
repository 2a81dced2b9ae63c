"""The training panel's Train: refuse a graph that cannot be built, start the run, report how it ended."""
from __future__ import annotations

from PySide6.QtCore import Slot
from PySide6.QtWidgets import QMessageBox, QWidget

from ui.controllers.window_controller import WindowController
from ui.document import Document
from ui.message_box import show_message
from ui.workers.training_controller import TrainingController


class TrainingActions(WindowController):
    """Starts trainings of the current document on `training` (the worker thread's GUI-side controller)."""

    def __init__(self, window: QWidget, training: TrainingController) -> None:
        super().__init__(window)
        self.training = training
        self.document: Document | None = None
        training.finished.connect(self._on_finished)
        training.failed.connect(self._on_failed)

    def set_document(self, document: Document) -> None:
        self.document = document

    @Slot(int)
    def train(self, epochs: int) -> None:
        report = self.document.shapes.report
        if report is not None and not report.valid:
            show_message(self.window, QMessageBox.Icon.Warning, "The model cannot be trained", report.summary())
            return
        self.training.start(self.document.project, epochs)
        self.status.emit("Training started.")

    @Slot(object)
    def _on_finished(self, result) -> None:
        what = "stopped" if result.stopped else "finished"
        self.status.emit(f"Training {what}; the model is in {result.run_dir}. File ▸ Export writes it out.")

    @Slot(str)
    def _on_failed(self, message: str) -> None:
        self.status.emit(message)
        show_message(self.window, QMessageBox.Icon.Warning, "Training failed", message)
