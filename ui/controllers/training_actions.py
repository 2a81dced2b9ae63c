"""The training panel's Train and the runs list's Resume: refuse a graph that cannot be built, start the run in the
training process, report how it ended."""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Slot
from PySide6.QtWidgets import QMessageBox, QWidget

from ui.controllers.window_controller import WindowController
from ui.document import Document
from ui.message_box import show_message
from ui.workers.training_controller import TrainingController


class TrainingActions(WindowController):
    """Starts trainings of the current document on `training` (the training process's GUI-side controller)."""

    def __init__(self, window: QWidget, training: TrainingController) -> None:
        super().__init__(window)
        self.training = training
        self.document: Document | None = None
        training.finished.connect(self._on_finished)
        training.failed.connect(self._on_failed)
        training.settingRefused.connect(self.status)

    def set_document(self, document: Document) -> None:
        self.document = document

    def _trainable(self) -> bool:
        report = self.document.shapes.report
        if report is not None and not report.valid:
            show_message(self.window, QMessageBox.Icon.Warning, "The model cannot be trained", report.summary())
            return False
        if self.training.running:
            self.status.emit("A run is going on: stop it before starting another.")
            return False
        return True

    @Slot(int)
    def train(self, epochs: int) -> None:
        if self._trainable():
            self.training.start(self.document.project, epochs)
            self.status.emit("Training started (in its own process).")

    @Slot(str)
    def resume_run(self, run_dir: str, epochs: int | None = None) -> None:
        """Continue `run_dir` from its last checkpoint up to `epochs` in total: by default up to the project's
        epochs when the run holds fewer, else for the project's epochs more (the training panel's box)."""
        from builder.training import read_checkpoint_epoch

        if not self._trainable():
            return
        done = read_checkpoint_epoch(run_dir)
        if epochs is None:
            planned = self.document.project.training.epochs
            epochs = planned if done < planned else done + planned
        self.training.start(self.document.project, epochs, resume_run_dir=run_dir)
        self.status.emit(f"Resuming {Path(run_dir).name} from epoch {done} up to {epochs} epochs.")

    @Slot(object)
    def _on_finished(self, result) -> None:
        what = "stopped" if result.stopped else "finished"
        self.status.emit(f"Training {what}; the model is in {result.run_dir}. File ▸ Export writes it out.")

    @Slot(str)
    def _on_failed(self, message: str) -> None:
        self.status.emit(message)
        show_message(self.window, QMessageBox.Icon.Warning, "Training failed", message)
