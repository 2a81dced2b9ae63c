"""File ▸ Export Trained Model: the dialog, then the engine's export and verification off the GUI thread."""
from __future__ import annotations

import functools
import os
from pathlib import Path

from PySide6.QtCore import Signal, Slot
from PySide6.QtWidgets import QMessageBox, QWidget

from ui.controllers.window_controller import WindowController
from ui.document import Document
from ui.message_box import show_message
from ui.panels.export_dialog import ExportDialog
from ui.workers.background_task import BackgroundTask
from ui.workers.training_controller import TrainingController, snapshot


class ExportActions(WindowController):
    """Exports the model of the last training run, or, before any run, an imported project's own weights;
    `finished(report)` or `failed(message)` follows each export."""

    finished = Signal(object)  # ExportReport
    failed = Signal(str)
    runningChanged = Signal(bool)  # the window disables its Export action while one runs
    def __init__(self, window: QWidget, training: TrainingController) -> None:
        super().__init__(window)
        self.training = training
        self.document: Document | None = None
        self._task = BackgroundTask(self)
        self._task.succeeded.connect(self._on_succeeded)
        self._task.failed.connect(self._on_failed)

    def set_document(self, document: Document) -> None:
        self.document = document

    @Slot()
    def on_export(self) -> None:
        self.export()

    def export(self, fmt: str | None = None, path: str | Path | None = None, options=None,
               overwrite: bool = False) -> bool:
        """Export the last trained model, or before any run a project whose weights are its own (an imported model)
        (`options`: an ExportOptions, default float32); with no arguments, ask for the format, TFLite options and
        path, and before replacing an existing file. An existing target is replaced only with `overwrite` (the
        engine refuses it otherwise)."""
        from builder.export import ExportOptions

        result = self.training.last_result
        project = self.document.project if self.document is not None else None
        if result is None and not _has_model(project):
            show_message(self.window, QMessageBox.Icon.Information, "Nothing to export yet",
                         "Export writes the model of the last training run. Train the model first (Train, below).")
            return False
        if self._task.running:
            self.status.emit("An export is already running.")
            return False
        if fmt is None or path is None:
            folder = result.run_dir if result is not None else project.folder()
            dialog = ExportDialog(folder, self.document.project.name, self.window)
            if dialog.exec() != ExportDialog.DialogCode.Accepted:
                return False
            fmt, path, options = dialog.fmt, dialog.path, dialog.options
            if os.path.lexists(path):
                answer = QMessageBox.question(
                    self.window, "Replace the existing file?",
                    f"{path} already exists. Replace it with the exported model?",
                    QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No, QMessageBox.StandardButton.No)
                if answer != QMessageBox.StandardButton.Yes:
                    return False
                overwrite = True
        options = options or ExportOptions()
        self._task.start(functools.partial(_export, result.model_path if result is not None else None, fmt, Path(path),
                                           snapshot(self.document.project), options, overwrite), "export")
        self.runningChanged.emit(True)
        self.status.emit(f"Exporting {fmt} to {path}…")
        return True

    def wait(self) -> None:
        """Block until a running export has ended (the window is closing)."""
        self._task.wait()

    @Slot(object)
    def _on_succeeded(self, report) -> None:
        self.runningChanged.emit(False)
        self.status.emit(f"Exported {report.path}")
        show_message(self.window, QMessageBox.Icon.Information, "Export finished", report.summary())
        self.finished.emit(report)

    @Slot(str)
    def _on_failed(self, message: str) -> None:
        self.runningChanged.emit(False)
        self.status.emit(message)
        show_message(self.window, QMessageBox.Icon.Warning, "Export failed", message)
        self.failed.emit(message)


def _has_model(project) -> bool:
    """Whether a saved project is a model without this window's run: runs on disk, or weights of its own."""
    if project is None or project.path is None:
        return False
    from builder.training import latest_run_model  # loads numpy: only when asked to export

    return bool(project.weights) or latest_run_model(project) is not None


def _export(model_path: Path | None, fmt: str, out_path: Path, project, options, overwrite: bool = False):
    """Runs on the export thread: the engine's export, which imports TensorFlow and converts. Without a run's
    model_path, the project's model (builder.training.project_model: its own weights) is exported."""
    from builder.export import export_model
    from builder.training import project_model

    chosen = project_model(project) if model_path is None else None
    return export_model(chosen.path or chosen.model if chosen else model_path, fmt, out_path, project,
                        options=options, overwrite=overwrite, weights=chosen.weights if chosen else None)
