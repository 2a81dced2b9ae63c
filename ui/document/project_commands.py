"""Undoable edits of the project's dataset and training settings (the graph's edits are in commands.py).

Each command replaces some fields of `project.dataset` or `project.training` and tells the document, which
emits `projectChanged(section)` so that every panel showing the settings follows undo and redo too.
"""
from __future__ import annotations

import copy
from typing import Any

from PySide6.QtGui import QUndoCommand

SECTIONS = ("dataset", "training")
SET_SETTINGS_ID = 3  # consecutive changes of the same field fold into one undo step


class SetProjectSettingsCommand(QUndoCommand):
    """Set fields of the project's `dataset` (DatasetRef) or `training` (TrainingConfig) section."""

    def __init__(self, document, section: str, changes: dict[str, Any], text: str | None = None) -> None:
        if section not in SECTIONS:
            raise ValueError(f"unknown project section {section!r}")
        record = getattr(document.project, section)
        unknown = [name for name in changes if not hasattr(record, name)]
        if unknown:
            raise ValueError(f"{section} has no setting {', '.join(unknown)}")
        super().__init__(text or _describe(section, changes))
        self._document = document
        self._section = section
        self._new = copy.deepcopy(changes)
        self._old = {name: copy.deepcopy(getattr(record, name)) for name in changes}

    @property
    def section(self) -> str:
        return self._section

    def redo(self) -> None:
        self._apply(self._new)

    def undo(self) -> None:
        self._apply(self._old)

    def id(self) -> int:
        return SET_SETTINGS_ID

    def mergeWith(self, other: QUndoCommand) -> bool:
        """Typing a value keystroke by keystroke is one undo step: same section, same single field."""
        if not isinstance(other, SetProjectSettingsCommand) or other._section != self._section:
            return False
        if len(self._new) != 1 or set(other._new) != set(self._new):
            return False
        self._new = other._new
        return True

    def _apply(self, values: dict[str, Any]) -> None:
        record = getattr(self._document.project, self._section)
        for name, value in values.items():
            setattr(record, name, copy.deepcopy(value))
        self._document.notify_project_changed(self._section)


def _describe(section: str, changes: dict[str, Any]) -> str:
    names = ", ".join(changes)
    return f"Change {'dataset' if section == 'dataset' else 'training'} {names}"
