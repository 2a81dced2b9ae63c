"""File ▸ Import Keras Model: a .keras/.h5 model becomes a project file, off the GUI thread, and then opens."""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Slot
from PySide6.QtWidgets import QFileDialog, QMessageBox, QWidget

from ui.controllers.file_actions import PROJECT_FILTER, FileActions
from ui.controllers.window_controller import WindowController
from ui.message_box import show_message
from ui.workers.background_task import BackgroundTask


class ImportActions(WindowController):
    """One import at a time on `task` (its `succeeded`/`failed` follow each import); the result opens through `files`."""

    def __init__(self, window: QWidget, files: FileActions) -> None:
        super().__init__(window)
        self.files = files
        self.task = BackgroundTask(self)
        self.task.succeeded.connect(self._on_imported)
        self.task.failed.connect(self._on_failed)

    @Slot()
    def on_import(self) -> None:
        """Ask for the model, then for the project file to write (weights go beside it)."""
        if not self.files.maybe_save():
            return
        source = QFileDialog.getOpenFileName(self.window, "Import Keras model", "", "Keras models (*.keras *.h5)")[0]
        if not source:
            return
        suggestion = str(Path(source).with_suffix(".json"))
        target = QFileDialog.getSaveFileName(self.window, "Save the imported project as", suggestion, PROJECT_FILTER)[0]
        if target:
            self.import_model_file(source, target)

    def import_model_file(self, source: str | Path, target: str | Path) -> None:
        """Import a .keras/.h5 model into a project file (weights beside it) off the GUI thread, then open it."""
        from builder.importer import import_model

        if self.task.running:
            self.status.emit("An import is already running.")
            return
        self.status.emit(f"Importing {source}…")
        self.task.start(lambda: import_model(str(source), str(target), force=True), name="import-model")

    def wait(self) -> None:
        """Block until a running import has ended (the window is closing)."""
        self.task.wait()

    @Slot(object)
    def _on_imported(self, result) -> None:
        self.files.open_file(result.project_path)
        for note in result.notes:
            self.status.emit(note)

    @Slot(str)
    def _on_failed(self, message: str) -> None:
        show_message(self.window, QMessageBox.Icon.Warning, "Cannot import model", message)
