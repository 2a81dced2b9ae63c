"""One open project: the engine's Project, its undo stack, its file path and whether it is saved."""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, Signal, Slot
from PySide6.QtGui import QUndoCommand, QUndoStack

from builder.project import Project
from builder.project import load_project, save_project
from builder.project import load_template
from ui.document.project_commands import SetProjectSettingsCommand
from ui.workers.compatibility_updater import CompatibilityUpdater
from ui.workers.shape_updater import ShapeUpdater


class Document(QObject):
    """The project being edited; every graph edit is pushed here as an undo command."""

    titleChanged = Signal(str)
    dirtyChanged = Signal(bool)
    projectChanged = Signal(str)  # "dataset" or "training": a SetProjectSettingsCommand changed that section

    def __init__(self, project: Project, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.project = project
        self.undo_stack = QUndoStack(self)
        self.shapes = ShapeUpdater(project.graph, self, folder=lambda: self.project.folder())
        self.compatibility = CompatibilityUpdater(project.graph, self.shapes, self,
                                                  folder=lambda: self.project.folder())  # TFLite badges; off until a target is set
        self.undo_stack.cleanChanged.connect(self._on_clean_changed)

    # ---- constructors ----------------------------------------------------------------------
    @classmethod
    def from_template(cls, name: str, parent: QObject | None = None) -> "Document":
        return cls(load_template(name), parent)

    @classmethod
    def from_file(cls, path: str | Path, parent: QObject | None = None) -> "Document":
        return cls(load_project(path), parent)

    # ---- state -----------------------------------------------------------------------------
    @property
    def graph(self):
        return self.project.graph

    @property
    def path(self) -> Path | None:
        return self.project.path

    @property
    def dirty(self) -> bool:
        return not self.undo_stack.isClean()

    @property
    def title(self) -> str:
        """What the window title shows: the file name, or the project name marked unsaved."""
        if self.path is None:
            return f"{self.project.name} (unsaved)"
        return self.path.name

    def push(self, command: QUndoCommand) -> None:
        self.undo_stack.push(command)

    def set_settings(self, section: str, text: str | None = None, **changes) -> None:
        """Change fields of the project's dataset or training settings as one undoable step."""
        self.push(SetProjectSettingsCommand(self, section, changes, text))

    def notify_project_changed(self, section: str) -> None:
        """Called by the settings commands after they changed `section` (redo and undo alike)."""
        self.projectChanged.emit(section)

    def save(self, path: str | Path | None = None) -> Path:
        """Save atomically to `path` (or the current path); raises LayerboardError or OSError."""
        target = Path(path) if path is not None else self.path
        if target is None:
            raise ValueError("An unsaved project needs a path: use Save As.")
        old_title = self.title
        save_project(self.project, target)
        self.undo_stack.setClean()
        if self.title != old_title:
            self.titleChanged.emit(self.title)
        return target

    def close(self) -> None:
        """Stop following the graph (the document is being replaced)."""
        self.shapes.close()
        self.compatibility.close()

    @Slot(bool)
    def _on_clean_changed(self, clean: bool) -> None:
        self.dirtyChanged.emit(not clean)
