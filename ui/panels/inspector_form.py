"""The inspector's parameter form: one row per parameter (name, editor, reset) with its help written under it.

The form shows values and forwards what the user commits; the inspector decides which nodes an edit
goes to (one node, or every node of a multi-selection) and validates it.
"""
from __future__ import annotations

import re
from typing import Any, Iterable

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import QFormLayout, QHBoxLayout, QLabel, QToolButton, QWidget

from builder.blocks import ParamSpec
from ui import style
from ui.panels.param_editors import ParamEditor, editor_class, fits_editor, make_editor

# Keras docstrings often open with the argument's type ("int, the dimension of..."): the editor already says it.
_TYPE_PREFIX = re.compile(r"^(int|integer|bool|boolean|float|str|string),\s+", re.IGNORECASE)


def help_line(text: str) -> str:
    """A parameter's help as a sentence to show under its editor."""
    text = _TYPE_PREFIX.sub("", text.strip())
    return text[:1].upper() + text[1:]


class ParamForm(QWidget):
    """Rows for `specs`; `committed(name, value)`, `refused(name, message)`, `resetClicked(name)`."""

    committed = Signal(str, object)
    refused = Signal(str, str)
    resetClicked = Signal(str)

    def __init__(self, specs: list[ParamSpec], primary: Iterable[str], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.primary = set(primary)
        self.editors: dict[str, ParamEditor] = {}
        self.reset_buttons: dict[str, QToolButton] = {}
        self.labels: dict[str, QLabel] = {}
        self.help_labels: dict[str, QLabel] = {}  # parameter -> its help, shown under the editor
        self._rows: dict[str, list[int]] = {}  # parameter -> its form rows (editor, help)
        self._fields: dict[str, QHBoxLayout] = {}  # parameter -> the row holding its editor and reset button
        self._form = QFormLayout(self)
        self._form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self._form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.DontWrapRows)
        self._form.setContentsMargins(0, 4, 0, 4)
        self._form.setVerticalSpacing(2)
        for spec in specs:
            self._add_row(spec)

    def _add_row(self, spec: ParamSpec) -> None:
        editor = self._editor(spec)
        reset = QToolButton(self)
        reset.setText("↺")
        reset.setAutoRaise(True)
        default = "unset" if spec.default is None else repr(spec.default)
        reset.setToolTip(f"Use Keras's default ({default})")
        reset.setProperty("param", spec.name)
        keep = reset.sizePolicy()
        keep.setRetainSizeWhenHidden(True)  # editors line up whether or not their reset shows
        reset.setSizePolicy(keep)
        reset.clicked.connect(self._on_reset_clicked)
        field = QWidget(self)
        row = QHBoxLayout(field)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(editor, 1)
        self._fields[spec.name] = row
        row.addWidget(reset)
        label = QLabel(spec.name + ("*" if spec.required else ""), self)
        label.setToolTip(spec.help)
        rows = [self._form.rowCount()]
        self._form.addRow(label, field)
        if spec.help:
            note = QLabel(help_line(spec.help), self)
            note.setWordWrap(True)
            note.setFont(style.small_font())
            note.setStyleSheet(f"color: {style.MUTED_TEXT.name()}; margin-bottom: 4px;")
            note.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            rows.append(self._form.rowCount())
            self._form.addRow(note)
            self.help_labels[spec.name] = note
        self.editors[spec.name] = editor
        self.reset_buttons[spec.name] = reset
        self.labels[spec.name] = label
        self._rows[spec.name] = rows

    def _editor(self, spec: ParamSpec, value: Any = None) -> ParamEditor:
        editor = make_editor(spec, self, value)
        editor.setToolTip(spec.help)
        editor.committed.connect(self.committed)
        editor.refused.connect(self.refused)
        return editor

    def _fit_editor(self, name: str, values: list[Any]) -> ParamEditor:
        """The row's editor, swapped for one that can show the values (JSON for an axis list where an int is
        usual, or back to the typed one)."""
        editor = self.editors[name]
        misfit = next((v for v in values if not fits_editor(editor.spec.kind, v)), None)
        if type(editor) is not editor_class(editor.spec, misfit):
            replacement = self._editor(editor.spec, misfit)
            self._fields[name].replaceWidget(editor, replacement)
            editor.deleteLater()
            self.editors[name] = editor = replacement
        return editor

    def show_values(self, name: str, values: list[Any], any_set: bool, can_reset: bool = True) -> None:
        """Show one parameter as the nodes hold it: `values` per node (Keras's default where unset); different
        values show as mixed. `any_set`: some node sets it (bold name, and the reset button unless required)."""
        if name not in self.editors:
            return
        editor = self._fit_editor(name, values)
        first = values[0] if values else editor.spec.default
        if all(v == first for v in values):
            editor.show_value(first)
        else:
            editor.show_mixed()
        self.reset_buttons[name].setVisible(any_set and can_reset and not editor.spec.required)
        font = self.labels[name].font()
        font.setBold(any_set)
        self.labels[name].setFont(font)

    def set_rows_visible(self, show_all: bool, set_names: set[str]) -> None:
        """Primary parameters and those some node sets; every parameter with `show_all`."""
        for name, rows in self._rows.items():
            visible = show_all or name in set_names or name in self.primary
            for row in rows:
                self._form.setRowVisible(row, visible)

    @Slot()
    def _on_reset_clicked(self) -> None:
        self.resetClicked.emit(self.sender().property("param"))
