"""File ▸ New from Template (the template gallery), Open, Save and Save As, and the question about unsaved changes;
the files opened and saved go to the recent files list (File ▸ Open Recent)."""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QFileDialog, QMessageBox, QWidget

from builder.errors import LayerboardError
from builder.project import Project, add_recent_file
from ui.controllers.window_controller import WindowController
from ui.document import Document
from ui.message_box import show_message
from ui.panels.template_gallery import TemplateGallery

PROJECT_FILTER = "Layerboard projects (*.json);;All files (*)"


class FileActions(WindowController):
    """Opens documents (`documentOpened` hands each one to the window) and saves the current one."""

    documentOpened = Signal(object)  # a Document for the window to show instead of the current one
    runsAdopted = Signal(object)  # [Path]: runs taken along to the saved project's runs folder
    documentSet = Signal(object)  # the Document the window shows from now on (every swap, the first one too)

    def __init__(self, window: QWidget) -> None:
        super().__init__(window)
        self.document: Document | None = None
        self.new_from_template_action = QAction("&New from Template…", self, shortcut=QKeySequence.StandardKey.New,
                                                triggered=self.on_new_from_template)
        self.new_from_template_action.setStatusTip("Start a project from a template: the gallery of every template")
        # Runs to take along once the training going on has ended: (project, old folder, new folder, move).
        self._pending_runs: list[tuple] = []
        training = getattr(window, "training", None)
        if training is not None:
            training.runningChanged.connect(self._on_training_running)

    def set_document(self, document: Document) -> None:
        self.document = document
        self.documentSet.emit(document)

    # ---- the menu's actions (no-argument slots: `triggered` passes a `checked` flag that the methods'
    # optional path arguments must not receive) ----------------------------------------------------------
    @Slot()
    def on_new_from_template(self) -> None:
        self.show_gallery()

    @Slot()
    def on_open(self) -> None:
        self.open_file()

    @Slot()
    def on_save(self) -> None:
        self.save()

    @Slot()
    def on_save_as(self) -> None:
        self.save_as()

    # ---- opening ------------------------------------------------------------------------------
    def maybe_save(self) -> bool:
        """Ask about unsaved changes; False means the user cancelled."""
        if not self.document.dirty:
            return True
        answer = QMessageBox.question(
            self.window, "Unsaved changes", f"Save the changes to {self.document.title}?",
            QMessageBox.StandardButton.Save | QMessageBox.StandardButton.Discard | QMessageBox.StandardButton.Cancel)
        if answer == QMessageBox.StandardButton.Save:
            return self.save()
        return answer == QMessageBox.StandardButton.Discard

    def show_gallery(self) -> TemplateGallery:
        """Open the template gallery over the window (window-modal, not blocking); the card chosen opens as a new
        unsaved project, "Empty project" as an empty one. Returns the dialog (deleted once closed)."""
        gallery = TemplateGallery(self.window)
        gallery.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        gallery.setWindowModality(Qt.WindowModality.WindowModal)
        gallery.templateChosen.connect(self._on_gallery_template)
        gallery.emptyProjectChosen.connect(self.new_empty_project)
        engine = getattr(self.window, "engine", None)  # once Keras is loaded, unmeasured cards count parameters
        if engine is not None and engine.is_ready:
            gallery.set_engine_ready()
        elif engine is not None:
            engine.ready.connect(gallery.set_engine_ready)
        gallery.open()
        return gallery

    @Slot(object)
    def _on_gallery_template(self, path: Path) -> None:
        self.new_from_template(str(path))

    def new_from_template(self, name: str) -> bool:
        """Open a template (by name, or its file) as a new unsaved project."""
        if not self.maybe_save():
            return False
        try:
            self.documentOpened.emit(Document.from_template(name, self.window))
        except LayerboardError as exc:
            show_message(self.window, QMessageBox.Icon.Warning, "Cannot open template", str(exc))
            return False
        self.status.emit(f"New project from the template {Path(name).stem}")
        return True

    @Slot()
    def new_empty_project(self) -> bool:
        """A new unsaved project with no blocks (the gallery's "Empty project")."""
        if not self.maybe_save():
            return False
        self.documentOpened.emit(Document(Project(name="untitled"), self.window))
        return True

    def open_file(self, path: str | Path | None = None) -> bool:
        if not self.maybe_save():
            return False
        if not path:
            path = QFileDialog.getOpenFileName(self.window, "Open project", "", PROJECT_FILTER)[0]
            if not path:
                return False
        try:
            self.documentOpened.emit(Document.from_file(path, self.window))
        except LayerboardError as exc:
            show_message(self.window, QMessageBox.Icon.Warning, "Cannot open project", str(exc))
            return False
        self.status.emit(f"Opened {path}")
        self._remember(path)
        return True

    # ---- saving -------------------------------------------------------------------------------
    def save(self) -> bool:
        if self.document.path is None:
            return self.save_as()
        return self._save_to(self.document.path)

    def save_as(self, path: str | Path | None = None) -> bool:
        if not path:
            suggestion = str(self.document.path or Path.cwd() / f"{self.document.project.name}.json")
            path = QFileDialog.getSaveFileName(self.window, "Save project as", suggestion, PROJECT_FILTER)[0]
            if not path:
                return False
        return self._save_to(Path(path))

    def _save_to(self, path: Path) -> bool:
        project = self.document.project
        old_runs, first_save = project.default_runs_dir(), project.path is None
        try:
            self.document.save(path)
        except (LayerboardError, OSError) as exc:
            show_message(self.window, QMessageBox.Icon.Warning, "Cannot save project", str(exc))
            return False
        self.status.emit(f"Saved {path}")
        self._remember(path)
        if project.default_runs_dir() != old_runs:
            # Saved for the first time, its runs leave the per-user data folder; saved under another name, the old
            # file keeps its runs and the new one gets a copy.
            self._pending_runs.append((project, old_runs, project.default_runs_dir(), first_save))
            self._adopt_pending_runs()
        return True

    def _remember(self, path: str | Path) -> None:
        """Put a file opened or saved first in File ▸ Open Recent; a list that cannot be written costs only a note."""
        try:
            add_recent_file(path)
        except (LayerboardError, OSError) as exc:
            self.status.emit(f"The recent files list was not updated: {exc}")

    # ---- the runs follow the project (builder.training.adopt_runs) ------------------------------------------
    @Slot(bool)
    def _on_training_running(self, running: bool) -> None:
        if not running:
            self._adopt_pending_runs()

    def _adopt_pending_runs(self) -> None:
        """Move or copy the runs of saves made so far, unless a training is writing one of them (then when it ends)."""
        training = getattr(self.window, "training", None)
        if training is not None and training.running:
            return
        from builder.training import adopt_runs  # plain Python (no Keras); loaded only when a save moves runs

        pending, self._pending_runs = self._pending_runs, []
        for project, old, new, move in pending:
            try:
                adopted = adopt_runs(project, old, move=move, into=new)
            except LayerboardError as exc:
                show_message(self.window, QMessageBox.Icon.Warning, "Runs not taken along", str(exc))
                continue
            if adopted:
                self.status.emit(f"{len(adopted)} run{'s' if len(adopted) != 1 else ''} "
                                 f"{'moved' if move else 'copied'} to {new}")
                self.runsAdopted.emit(adopted)
