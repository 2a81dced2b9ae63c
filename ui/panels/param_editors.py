"""One editor widget per parameter kind; each shows a value and emits what the user committed.

Editors parse text but do not validate ranges: the inspector asks `builder.blocks.check_param`, so
the GUI and the engine refuse the same values with the same words. For a multi-selection whose nodes
hold different values an editor shows a "mixed" state; whatever the user then commits goes to all.
"""
from __future__ import annotations

import json
from typing import Any

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import QCheckBox, QComboBox, QHBoxLayout, QLineEdit, QSpinBox, QWidget

from builder import blocks
from builder.blocks import ParamSpec

INT_LIMIT = 2**31 - 1
DEFAULT_LABEL = "(default)"
MIXED_LABEL = "— mixed —"


class _Mixed:
    """What a mixed editor shows: no single value (never equal to one, so any commit goes through)."""

    def __repr__(self) -> str:
        return "MIXED"


MIXED = _Mixed()


class ParamEditor(QWidget):
    """Base: `committed(name, value)` with the parsed value (None = unset); `refused(name, message)`."""

    committed = Signal(str, object)
    refused = Signal(str, str)

    def __init__(self, spec: ParamSpec, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.spec = spec
        self._shown: Any = None
        self._layout = QHBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)

    def show_value(self, value: Any) -> None:
        """Display a value without emitting anything (the value the graph holds, or the default)."""
        self._shown = value
        self._display(value)

    def show_mixed(self) -> None:
        """Display "— mixed —": the selected nodes hold different values; nothing is emitted."""
        self._shown = MIXED
        self._display_mixed()

    @property
    def is_mixed(self) -> bool:
        return self._shown is MIXED

    def _display(self, value: Any) -> None:
        raise NotImplementedError

    def _display_mixed(self) -> None:
        raise NotImplementedError

    def _commit(self, value: Any) -> None:
        if value != self._shown:
            self.committed.emit(self.spec.name, value)

    @property
    def input_widget(self) -> QWidget:
        return self._layout.itemAt(0).widget()


class _SpinBox(QSpinBox):
    """A spin box that can show no number: `mixed` keeps its text empty (showing the placeholder) even when
    showing the widget makes QAbstractSpinBox write its value back into the text."""

    mixed = False

    def showEvent(self, event) -> None:
        super().showEvent(event)
        if self.mixed:
            self.lineEdit().clear()


class IntEditor(ParamEditor):
    """A spin box; a nullable one keeps one step below its minimum for "default" (unset)."""

    def __init__(self, spec: ParamSpec, parent: QWidget | None = None) -> None:
        super().__init__(spec, parent)
        self.box = _SpinBox(self)
        low = int(spec.minimum) if spec.minimum is not None else -INT_LIMIT + 1
        high = int(spec.maximum) if spec.maximum is not None else INT_LIMIT
        if spec.nullable:
            low -= 1
            self.box.setSpecialValueText(DEFAULT_LABEL)
        self.box.setRange(low, high)
        self.box.setKeyboardTracking(False)  # valueChanged on Enter, focus out or arrows, not per key
        self._layout.addWidget(self.box)
        self._typed = False  # whether the user typed into a mixed box (then Enter commits even the hidden value)
        self.box.valueChanged.connect(self._on_value_changed)
        self.box.lineEdit().textEdited.connect(self._on_text_edited)
        self.box.editingFinished.connect(self._on_editing_finished)

    def _display(self, value: Any) -> None:
        self.box.mixed = False
        self.box.blockSignals(True)
        self.box.setValue(self.box.minimum() if value is None else int(value))
        # After a mixed display the text is empty; setValue leaves it so when the value did not change.
        shown = self.box.value()
        special = shown == self.box.minimum() and self.box.specialValueText()
        self.box.lineEdit().setText(self.box.specialValueText() if special else self.box.textFromValue(shown))
        self.box.blockSignals(False)

    def _display_mixed(self) -> None:
        self._typed = False
        self.box.mixed = True
        self.box.lineEdit().setPlaceholderText(MIXED_LABEL)
        self.box.lineEdit().clear()

    @Slot(str)
    def _on_text_edited(self, _text: str) -> None:
        self._typed = True

    @Slot()
    def _on_editing_finished(self) -> None:
        if not self.is_mixed:
            return
        if self._typed and self.box.lineEdit().text().strip():
            self._on_value_changed(self.box.value())  # the typed value may equal the box's hidden one
        else:
            self._display_mixed()  # left without typing: still mixed, not the hidden value

    @Slot(int)
    def _on_value_changed(self, value: int) -> None:
        if self.spec.nullable and value == self.box.minimum():
            self._commit(None)
        else:
            self._commit(value)


class BoolEditor(ParamEditor):
    def __init__(self, spec: ParamSpec, parent: QWidget | None = None) -> None:
        super().__init__(spec, parent)
        self.box = QCheckBox(self)
        self._layout.addWidget(self.box)
        self.box.toggled.connect(self._on_toggled)
        self.box.clicked.connect(self._on_clicked)

    def _display(self, value: Any) -> None:
        self.box.blockSignals(True)
        self.box.setTristate(False)
        self.box.setChecked(bool(value))
        self.box.blockSignals(False)

    def _display_mixed(self) -> None:
        self.box.blockSignals(True)
        self.box.setCheckState(Qt.CheckState.PartiallyChecked)  # a click goes on to Checked
        self.box.blockSignals(False)

    @Slot(bool)
    def _on_toggled(self, checked: bool) -> None:
        self._commit(checked)

    @Slot(bool)
    def _on_clicked(self, checked: bool) -> None:
        if self.is_mixed:  # partly checked counts as checked: a click to Checked toggles nothing
            self._commit(checked)


class ChoiceEditor(ParamEditor):
    """A combo box; nullable choices start with "(default)" for unset."""

    def __init__(self, spec: ParamSpec, parent: QWidget | None = None) -> None:
        super().__init__(spec, parent)
        self.box = QComboBox(self)
        if spec.nullable:
            self.box.addItem(DEFAULT_LABEL, None)
        for choice in spec.choices or []:
            self.box.addItem(str(choice), choice)
        self.box.setMaxVisibleItems(16)
        self._layout.addWidget(self.box)
        self.box.activated.connect(self._on_activated)

    def _display(self, value: Any) -> None:
        self.box.blockSignals(True)
        index = self.box.findData(value)
        if index < 0 and value is not None:  # a value from a file that the list lacks: show it anyway
            self.box.addItem(str(value), value)
            index = self.box.count() - 1
        self.box.setCurrentIndex(max(index, 0))
        self.box.blockSignals(False)

    def _display_mixed(self) -> None:
        self.box.blockSignals(True)
        self.box.setPlaceholderText(MIXED_LABEL)
        self.box.setCurrentIndex(-1)  # the placeholder shows while no item is current
        self.box.blockSignals(False)

    @Slot(int)
    def _on_activated(self, index: int) -> None:
        self._commit(self.box.itemData(index))


class TextEditor(ParamEditor):
    """A line edit that parses its text on Enter or focus loss; empty text means unset."""

    placeholder = ""

    def __init__(self, spec: ParamSpec, parent: QWidget | None = None) -> None:
        super().__init__(spec, parent)
        self.line = QLineEdit(self)
        self._placeholder = DEFAULT_LABEL if not spec.required else self.placeholder
        self.line.setPlaceholderText(self._placeholder)
        self._layout.addWidget(self.line)
        self.line.editingFinished.connect(self._on_editing_finished)

    def _display(self, value: Any) -> None:
        self.line.blockSignals(True)
        self.line.setPlaceholderText(self._placeholder)
        self.line.setText("" if value is None else self.format(value))
        self.line.blockSignals(False)

    def _display_mixed(self) -> None:
        self.line.blockSignals(True)
        self.line.setPlaceholderText(MIXED_LABEL)
        self.line.clear()
        self.line.blockSignals(False)

    @Slot()
    def _on_editing_finished(self) -> None:
        text = self.line.text().strip()
        if not text:
            if not self.is_mixed:  # an empty mixed field was left as it was; the reset button unsets
                self._commit(None)
            return
        try:
            value = self.parse(text)
        except ValueError as exc:
            self.refused.emit(self.spec.name, f"{self.spec.name}: {exc}")
            if self.is_mixed:
                self.show_mixed()
            else:
                self._display(self._shown)
            return
        self._commit(value)

    def format(self, value: Any) -> str:
        return str(value)

    def parse(self, text: str) -> Any:
        return text


class FloatEditor(TextEditor):
    """A number; a JSON list ("[-0.1, 0.2]", a range where Keras takes one) goes on for Keras to judge."""

    placeholder = "a number, e.g. 0.5"

    def format(self, value: Any) -> str:
        return repr(float(value))

    def parse(self, text: str) -> Any:
        if text.startswith("["):
            try:
                return json.loads(text)
            except json.JSONDecodeError as exc:
                raise ValueError(f"not valid JSON ({exc.msg} at column {exc.colno}).") from None
        try:
            return float(text)
        except ValueError:
            raise ValueError(f"'{text}' is not a number.") from None


def _parse_ints(text: str, allow_none: bool) -> list[int | None]:
    values: list[int | None] = []
    for part in text.strip("()[] ").split(","):
        part = part.strip()
        if not part:
            continue
        if allow_none and part.lower() == "none":
            values.append(None)
            continue
        try:
            values.append(int(part))
        except ValueError:
            raise ValueError(f"'{part}' is not a whole number; write numbers separated by commas, e.g. 3, 3.") from None
    if not values:
        raise ValueError("write numbers separated by commas, e.g. 3, 3.")
    return values


def _format_ints(value: Any) -> str:
    items = value if isinstance(value, (list, tuple)) else [value]
    return ", ".join("None" if v is None else str(v) for v in items)


class TupleEditor(TextEditor):
    """Kernel sizes, strides: "3" is one number for every dimension, "3, 3" one per dimension."""

    placeholder = "e.g. 3, 3"

    def format(self, value: Any) -> str:
        return _format_ints(value)

    def parse(self, text: str) -> int | list[int]:
        values = _parse_ints(text, allow_none=False)
        return values[0] if len(values) == 1 else values


class ShapeEditor(TextEditor):
    """A shape without the batch dimension, e.g. "28, 28, 1"; None for a free dimension."""

    placeholder = "e.g. 28, 28, 1"

    def format(self, value: Any) -> str:
        return _format_ints(value)

    def parse(self, text: str) -> list[int | None]:
        return _parse_ints(text, allow_none=True)


class JsonEditor(TextEditor):
    """Structured values as JSON text: a wrapper's inner layer ({"class_name": "LSTM", "config": {...}}),
    an initializer or regularizer config, a vocabulary list, an axis list, a [low, high] range. For a
    parameter of kind "json" a number, true/false or null is read as such; plain words stay plain strings."""

    placeholder = '{"class_name": "LSTM", "config": {"units": 32}}'

    def format(self, value: Any) -> str:
        return value if isinstance(value, str) else json.dumps(value)

    def parse(self, text: str) -> Any:
        if self.spec.kind not in ("layer", "layers") and not text.startswith(("{", "[")):
            if self.spec.kind != "str":
                try:
                    return json.loads(text)
                except json.JSONDecodeError:
                    pass
            return text
        try:
            return json.loads(text)
        except json.JSONDecodeError as exc:
            raise ValueError(f"not valid JSON ({exc.msg} at column {exc.colno}).") from None


class StrEditor(JsonEditor):
    """Text parameters; a value from an imported model that is a config object shows as JSON."""

    placeholder = ""


EDITORS: dict[str, type[ParamEditor]] = {
    "int": IntEditor,
    "float": FloatEditor,
    "bool": BoolEditor,
    "choice": ChoiceEditor,
    "tuple": TupleEditor,
    "shape": ShapeEditor,
    "str": StrEditor,
    "layer": JsonEditor,
    "layers": JsonEditor,
    "json": JsonEditor,
    "dtype": ChoiceEditor,  # a policy given as a config shows as its own item
}


def fits_editor(kind: str, value: Any) -> bool:
    """Whether the typed editor of `kind` can show `value`; Keras takes more than a kind says (an axis list, a
    [low, high] range where a number is usual), and such a value is shown and edited as JSON instead."""
    if value is None or kind in ("layer", "layers", "json", "dtype", "choice"):
        return True
    return blocks.fits_kind(kind, value) or kind == "str" and isinstance(value, (dict, list))


def editor_class(spec: ParamSpec, value: Any = None) -> type[ParamEditor]:
    """The editor for a parameter's kind (plain text for kinds this GUI does not know); the JSON editor where
    the kind's typed editor cannot show `value`."""
    if spec.kind == "choice" and not spec.choices:
        return TextEditor
    if not fits_editor(spec.kind, value):
        return JsonEditor
    return EDITORS.get(spec.kind, TextEditor)


def make_editor(spec: ParamSpec, parent: QWidget | None = None, value: Any = None) -> ParamEditor:
    return editor_class(spec, value)(spec, parent)
