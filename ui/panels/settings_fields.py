"""The editors of the training-settings form, one per kind of setting in the engine's schema
(builder.training.SETTINGS: whole, number, switch, choice, name, names, optimizer, schedule, ...).

An editor turns what the user typed into the value the project file would hold (`read()` returns the value
and, when the text cannot even be read, a problem), and shows a value it is given (`show(value)`, which emits
nothing). The panel checks the value with the engine and pushes the undo command; an editor never touches the
project.
"""
from __future__ import annotations

import json
import math
import re
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox, QComboBox, QFormLayout, QHBoxLayout, QLabel, QLineEdit, QToolButton, QVBoxLayout, QWidget,
)

Read = tuple[Any, "str | None"]  # (the value, why the text cannot be read or None)


def shown(value: Any) -> str:
    """A number or name as an editor writes it ("" for null)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, (dict, list)):
        return json.dumps(value)
    return str(value)


def same(a: Any, b: Any) -> bool:
    """Equal as the project file would write them (1 is not 1.0, true is not 1)."""
    try:
        return json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)
    except (TypeError, ValueError):
        return a == b


def parse_number(text: str, kind: str) -> Any:
    """Typed text as a number of the kind (whole, number, optional_number): a number when it reads as one, ""
    → null when optional, else the text itself, which the engine then refuses with its rule."""
    text = text.strip()
    if text == "" and kind == "optional_number":
        return None
    try:
        return int(text)
    except ValueError:
        pass
    try:
        value = float(text)
    except ValueError:
        return text
    if kind == "whole" and math.isfinite(value) and value.is_integer() and "." not in text and "e" not in text.lower():
        return int(value)
    return value


def parse_json_object(text: str, what: str, empty: Any = None) -> Read:
    """A JSON object typed in a line ({"momentum": 0.9}); `empty` for an empty line."""
    text = text.strip()
    if not text:
        return empty, None
    try:
        value = json.loads(text)
    except ValueError as exc:
        return None, f"{what} is not JSON: {exc.msg} at character {exc.pos + 1}; write e.g. {{\"momentum\": 0.9}}"
    if not isinstance(value, dict):
        return None, f"{what} must be a JSON object {{\"name\": value, ...}}; got {text}"
    return value, None


class Editor(QWidget):
    """One setting's editor: `edited` when the user changed it; `read()` and `show(value)`."""

    edited = Signal()

    def read(self) -> Read:
        raise NotImplementedError

    def show(self, value: Any) -> None:
        raise NotImplementedError

    def set_outputs(self, outputs: list[str]) -> None:
        """The model's output names (for settings given per output)."""

    def inputs(self) -> list[QWidget]:
        """The widgets a red border marks when the value is refused."""
        return [w for w in self.findChildren(QWidget) if isinstance(w, (QLineEdit, QComboBox))]

    def line(self, placeholder: str = "") -> QLineEdit:
        edit = QLineEdit(self)
        edit.setPlaceholderText(placeholder)
        edit.textEdited.connect(lambda _text: self.edited.emit())
        return edit


def _box(widget: QWidget, vertical: bool = False) -> QHBoxLayout | QVBoxLayout:
    layout = QVBoxLayout(widget) if vertical else QHBoxLayout(widget)
    layout.setContentsMargins(0, 0, 0, 0)
    layout.setSpacing(4)
    return layout


class NumberEditor(Editor):
    """whole, number, optional_number: a line; an empty optional one is null (off)."""

    def __init__(self, kind: str, placeholder: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.kind = kind
        self.edit = self.line(placeholder or ("off" if kind == "optional_number" else ""))
        _box(self).addWidget(self.edit)

    def read(self) -> Read:
        return parse_number(self.edit.text(), self.kind), None

    def show(self, value: Any) -> None:
        self.edit.setText(shown(value))


class SwitchEditor(Editor):
    def __init__(self, text: str = "on", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.box = QCheckBox(text, self)
        self.box.clicked.connect(lambda _on: self.edited.emit())
        _box(self).addWidget(self.box)

    def read(self) -> Read:
        return self.box.isChecked(), None

    def show(self, value: Any) -> None:
        self.box.setChecked(bool(value))


class ChoiceEditor(Editor):
    """One of a closed list of values (true/false/"auto" are shown as the project file writes them)."""

    def __init__(self, choices: tuple, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.choices = list(choices)
        self.combo = QComboBox(self)
        for choice in self.choices:
            self.combo.addItem(shown(choice))
        self.combo.activated.connect(lambda _i: self.edited.emit())
        _box(self).addWidget(self.combo)

    def read(self) -> Read:
        return self.choices[self.combo.currentIndex()], None

    def show(self, value: Any) -> None:
        for i, choice in enumerate(self.choices):
            if same(choice, value):
                self.combo.setCurrentIndex(i)
                return


class NameEditor(Editor):
    """A name, with suggestions; any other name is typed in."""

    def __init__(self, suggestions: tuple = (), parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.combo = QComboBox(self)
        self.combo.setEditable(True)
        self.combo.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.combo.addItems([str(s) for s in suggestions])
        self.combo.lineEdit().textEdited.connect(lambda _t: self.edited.emit())
        self.combo.activated.connect(lambda _i: self.edited.emit())
        _box(self).addWidget(self.combo)

    def read(self) -> Read:
        return self.combo.currentText().strip(), None

    def show(self, value: Any) -> None:
        self.combo.setEditText(shown(value))


class NamesEditor(Editor):
    """A list of names, typed comma-separated."""

    def __init__(self, suggestions: tuple = (), parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.edit = self.line(", ".join(suggestions[:2]))
        self.edit.setToolTip("Comma-separated: " + ", ".join(suggestions))
        _box(self).addWidget(self.edit)

    def read(self) -> Read:
        return [n.strip() for n in self.edit.text().split(",") if n.strip()], None

    def show(self, value: Any) -> None:
        self.edit.setText(", ".join(value) if isinstance(value, list) else shown(value))


class PerOutputEditor(Editor):
    """One value for every output, or one per output node ({output: value}) when the model has several."""

    def __init__(self, make, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._make = make
        self.outputs: list[str] = []
        self.per_output = QCheckBox("One per output", self)
        self.per_output.setToolTip("Give each output node its own value")
        self.per_output.clicked.connect(self._on_mode)
        self.single: Editor = make(self)
        self.single.edited.connect(self.edited)
        self.rows = QWidget(self)
        self.form = QFormLayout(self.rows)
        self.form.setContentsMargins(12, 0, 0, 0)
        self.editors: dict[str, Editor] = {}
        layout = _box(self, vertical=True)
        layout.addWidget(self.per_output)
        layout.addWidget(self.single)
        layout.addWidget(self.rows)
        self._value: Any = None
        self._update_mode()

    def set_outputs(self, outputs: list[str]) -> None:
        if outputs == self.outputs:
            return
        self.outputs = list(outputs)
        self._rebuild(self._value)

    def _names(self, value: Any) -> list[str]:
        extra = [k for k in value if k not in self.outputs] if isinstance(value, dict) else []
        return self.outputs + extra

    def _rebuild(self, value: Any) -> None:
        while self.form.rowCount():
            self.form.removeRow(0)
        self.editors = {}
        for name in self._names(value):
            editor = self._make(self.rows)
            editor.edited.connect(self.edited)
            self.editors[name] = editor
            self.form.addRow(name, editor)
            if isinstance(value, dict) and name in value:
                editor.show(value[name])
            elif value is not None and not isinstance(value, dict):
                editor.show(value)
        self._update_mode()

    def _update_mode(self) -> None:
        several = len(self.outputs) > 1 or isinstance(self._value, dict)
        self.per_output.setVisible(several)
        on = several and self.per_output.isChecked()
        self.single.setVisible(not on)
        self.rows.setVisible(on)

    def _on_mode(self, on: bool) -> None:
        value, _ = self.single.read()
        if on:
            for editor in self.editors.values():
                editor.show(value)
        else:
            first = next(iter(self.editors.values()), None)
            if first is not None:
                self.single.show(first.read()[0])
        self._update_mode()
        self.edited.emit()

    def read(self) -> Read:
        if not self.per_output.isChecked():
            return self.single.read()
        values = {}
        for name, editor in self.editors.items():
            value, problem = editor.read()
            if problem:
                return None, f"{name}: {problem}"
            values[name] = value
        return values, None

    def show(self, value: Any) -> None:
        self._value = value
        self.per_output.setChecked(isinstance(value, dict))
        if not isinstance(value, dict):
            self.single.show(value)
        self._rebuild(value)


class OptimizerEditor(Editor):
    """A Keras optimizer name and its own settings as a Keras config (JSON)."""

    def __init__(self, names: tuple, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.name = NameEditor(names, self)
        self.name.edited.connect(self.edited)
        self.config = self.line('its settings, e.g. {"momentum": 0.9}')
        layout = _box(self, vertical=True)
        layout.addWidget(self.name)
        layout.addWidget(self.config)

    def read(self) -> Read:
        name, _ = self.name.read()
        config, problem = parse_json_object(self.config.text(), "The optimizer's settings", {})
        if problem:
            return None, problem
        return ({"class_name": name, "config": config} if config else name), None

    def show(self, value: Any) -> None:
        if isinstance(value, dict):
            self.name.show(value.get("class_name", ""))
            config = value.get("config") or {}
            self.config.setText(json.dumps(config) if config else "")
        else:
            self.name.show(value)
            self.config.setText("")


def _when_empty(help_text: str) -> str:
    """What an unset sub-setting means, from its help's "(empty: ...)"."""
    match = re.search(r"\(empty: ([^)]*)\)", help_text)
    return match.group(1) if match else ""


class SubSettingsEditor(Editor):
    """The settings inside a setting's object (a schedule's, early stopping's), each a line or a check box with
    the engine's default as its placeholder; an empty line leaves the setting out (its default applies)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.form = QFormLayout(self)
        self.form.setContentsMargins(12, 0, 0, 0)
        self.fields: dict[str, tuple[Any, QWidget]] = {}

    def set_settings(self, subs) -> None:
        while self.form.rowCount():
            self.form.removeRow(0)
        self.fields = {}
        for sub in subs:
            if sub.kind == "switch":
                widget = QCheckBox(self)
                widget.setChecked(bool(sub.default))
                widget.clicked.connect(lambda _on: self.edited.emit())
            else:
                widget = self.line(shown(sub.default) if sub.default is not None else _when_empty(sub.help))
            widget.setToolTip(sub.help)
            label = QLabel(sub.name, self)
            label.setToolTip(sub.help)
            self.form.addRow(label, widget)
            self.fields[sub.name] = (sub, widget)

    def read(self) -> Read:
        values = {}
        for name, (sub, widget) in self.fields.items():
            if isinstance(widget, QCheckBox):
                values[name] = widget.isChecked()
            elif widget.text().strip():
                text = widget.text().strip()
                values[name] = text if sub.kind == "name" else parse_number(text, sub.kind)
        return values, None

    def show(self, value: Any) -> None:
        value = value if isinstance(value, dict) else {}
        for name, (sub, widget) in self.fields.items():
            if isinstance(widget, QCheckBox):
                widget.setChecked(bool(value.get(name, sub.default)))
            else:
                widget.setText(shown(value[name]) if name in value else "")


class ScheduleEditor(Editor):
    """null (constant) or {"name": schedule, its settings}."""

    def __init__(self, entry, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.entry = entry
        self.combo = QComboBox(self)
        self.combo.addItems([str(c) for c in entry.choices])
        self.combo.activated.connect(self._on_name)
        self.subs = SubSettingsEditor(self)
        self.subs.edited.connect(self.edited)
        layout = _box(self, vertical=True)
        layout.addWidget(self.combo)
        layout.addWidget(self.subs)
        self._set_name("constant")

    def _set_name(self, name: str) -> None:
        index = self.combo.findText(name)
        self.combo.setCurrentIndex(max(index, 0))
        self.name = self.combo.currentText()
        self.subs.set_settings(self.entry.sub_settings(name))
        self.subs.setVisible(bool(self.subs.fields))

    def _on_name(self, _index: int) -> None:
        if self.combo.currentText() == self.name:
            return  # the same schedule chosen again keeps its settings
        self._set_name(self.combo.currentText())
        self.edited.emit()

    def read(self) -> Read:
        name = self.combo.currentText()
        if name == "constant":
            return None, None
        values, _ = self.subs.read()
        return {"name": name, **values}, None

    def show(self, value: Any) -> None:
        spec = {"name": value} if isinstance(value, str) else (value if isinstance(value, dict) else {})
        name = spec.get("name", "constant")
        self._set_name(name if isinstance(name, str) else "constant")
        self.subs.show({k: v for k, v in spec.items() if k != "name"})


class OutputWeightsEditor(Editor):
    """null, or {output: weight} (an empty line: that output counts 1)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.outputs: list[str] = []
        self.form = QFormLayout(self)
        self.form.setContentsMargins(0, 0, 0, 0)
        self.edits: dict[str, QLineEdit] = {}
        self._value: Any = None
        self.form.addRow(QLabel("(the model has no output yet)", self))

    def set_outputs(self, outputs: list[str]) -> None:
        if outputs != self.outputs:
            self.outputs = list(outputs)
            self.show(self._value)

    def read(self) -> Read:
        values = {name: parse_number(edit.text(), "number") for name, edit in self.edits.items()
                  if edit.text().strip()}
        return (values or None), None

    def show(self, value: Any) -> None:
        self._value = value
        names = self.outputs + ([k for k in value if k not in self.outputs] if isinstance(value, dict) else [])
        if list(self.edits) != names or not names:
            while self.form.rowCount():
                self.form.removeRow(0)
            self.edits = {}
            for name in names:
                self.edits[name] = self.line("1")
                self.form.addRow(name, self.edits[name])
            if not names:
                self.form.addRow(QLabel("(the model has no output yet)", self))
        for name, edit in self.edits.items():
            edit.setText(shown(value[name]) if isinstance(value, dict) and name in value else "")


class ClassWeightEditor(Editor):
    """null (none), "balanced", or {class index: weight} as JSON."""

    MODES = ("none", "balanced", "per class")

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.combo = QComboBox(self)
        self.combo.addItems(self.MODES)
        self.combo.activated.connect(self._on_mode)
        self.weights = self.line('{"0": 1.0, "1": 5.0}')
        layout = _box(self, vertical=True)
        layout.addWidget(self.combo)
        layout.addWidget(self.weights)
        self._on_mode(0, emit=False)

    def _on_mode(self, _index: int, emit: bool = True) -> None:
        self.weights.setVisible(self.combo.currentText() == "per class")
        if emit:
            self.edited.emit()

    def read(self) -> Read:
        mode = self.combo.currentText()
        if mode == "none":
            return None, None
        if mode == "balanced":
            return "balanced", None
        value, problem = parse_json_object(self.weights.text(), "The class weights", {})
        return value, problem

    def show(self, value: Any) -> None:
        mode = "none" if value is None else "balanced" if value == "balanced" else "per class"
        self.combo.setCurrentIndex(self.MODES.index(mode))
        self.weights.setText(json.dumps(value) if isinstance(value, dict) else "")
        self._on_mode(0, emit=False)


class EarlyStoppingEditor(Editor):
    """Off (null), or its settings; switching it on fills in the engine's default patience."""

    def __init__(self, entry, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.entry = entry
        self.on = QCheckBox("Stop early", self)
        self.on.clicked.connect(self._on_switch)
        self.subs = SubSettingsEditor(self)
        self.subs.set_settings(entry.sub_settings())
        self.subs.edited.connect(self.edited)
        layout = _box(self, vertical=True)
        layout.addWidget(self.on)
        layout.addWidget(self.subs)
        self.subs.setVisible(False)

    def _on_switch(self, on: bool) -> None:
        self.subs.setVisible(on)
        if on:
            defaults = {s.name: s.default for s in self.entry.sub_settings() if s.name == "patience"}
            self.subs.show(defaults)
        self.edited.emit()

    def read(self) -> Read:
        if not self.on.isChecked():
            return None, None
        return self.subs.read()

    def show(self, value: Any) -> None:
        on = bool(value)
        self.on.setChecked(on)
        self.subs.setVisible(on)
        self.subs.show(value if isinstance(value, dict) else {})


class AugmentationEditor(Editor):
    """{layer: {its arguments}}: one row per layer, in order, its arguments as JSON; a list to add one."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.rows: list[tuple[str, QLineEdit, QWidget]] = []
        self.list = QWidget(self)
        self.list_layout = _box(self.list, vertical=True)
        self.add = QComboBox(self)
        self.add.addItem("Add a layer… (loading Keras)")
        self.add.setEnabled(False)
        self.add.activated.connect(self._on_add)
        layout = _box(self, vertical=True)
        layout.addWidget(self.list)
        layout.addWidget(self.add)

    def set_choices(self, names: list[str]) -> None:
        """The layers the installed Keras has (known once Keras is loaded)."""
        self.add.clear()
        self.add.addItem("Add a layer…")
        self.add.addItems(names)
        self.add.setEnabled(True)

    def _on_add(self, index: int) -> None:
        if index <= 0:
            return
        name = self.add.itemText(index)
        self.add.setCurrentIndex(0)
        if any(row[0] == name for row in self.rows):
            return
        self._add_row(name, {})
        self.edited.emit()

    def _add_row(self, name: str, args: Any) -> None:
        row = QWidget(self.list)
        layout = _box(row)
        label = QLabel(name, row)
        label.setMinimumWidth(90)
        edit = QLineEdit(json.dumps(args) if isinstance(args, dict) else shown(args), row)
        edit.setPlaceholderText("{} (the layer's defaults)")
        edit.setToolTip(f"{name}'s arguments as JSON, e.g. {{\"factor\": 0.1}}; lists stand for tuples")
        edit.textEdited.connect(lambda _t: self.edited.emit())
        remove = QToolButton(row)
        remove.setText("✕")
        remove.setToolTip(f"Remove {name}")
        remove.clicked.connect(lambda: self._remove(name))
        layout.addWidget(label)
        layout.addWidget(edit, 1)
        layout.addWidget(remove)
        self.list_layout.addWidget(row)
        self.rows.append((name, edit, row))

    def _remove(self, name: str) -> None:
        for i, (row_name, _edit, row) in enumerate(self.rows):
            if row_name == name:
                row.deleteLater()
                del self.rows[i]
                break
        self.edited.emit()

    def read(self) -> Read:
        values = {}
        for name, edit, _row in self.rows:
            args, problem = parse_json_object(edit.text(), f"{name}'s arguments", {})
            if problem:
                return None, problem
            values[name] = args
        return values, None

    def show(self, value: Any) -> None:
        for _name, _edit, row in self.rows:
            row.setParent(None)
            row.deleteLater()
        self.rows = []
        if isinstance(value, dict):
            for name, args in value.items():
                self._add_row(str(name), args)


def make_editor(entry, parent: QWidget | None = None) -> Editor:
    """The editor of one schema entry (builder.training.Setting), by its kind."""
    kind = entry.kind
    if kind in ("whole", "number", "optional_number"):
        return NumberEditor(kind, parent=parent)
    if kind == "switch":
        return SwitchEditor(parent=parent)
    if kind == "choice":
        return ChoiceEditor(entry.choices, parent)
    if kind == "name" and entry.per_output:
        return PerOutputEditor(lambda p: NameEditor(entry.choices, p), parent)
    if kind == "name":
        return NameEditor(entry.choices, parent)
    if kind == "names":
        return PerOutputEditor(lambda p: NamesEditor(entry.choices, p), parent) if entry.per_output else \
            NamesEditor(entry.choices, parent)
    if kind == "optimizer":
        return OptimizerEditor(entry.choices, parent)
    if kind == "schedule":
        return ScheduleEditor(entry, parent)
    if kind == "output_weights":
        return OutputWeightsEditor(parent)
    if kind == "class_weight":
        return ClassWeightEditor(parent)
    if kind == "early_stopping":
        return EarlyStoppingEditor(entry, parent)
    if kind == "augmentation":
        return AugmentationEditor(parent)
    raise ValueError(f"no editor for settings of kind {kind!r}")

