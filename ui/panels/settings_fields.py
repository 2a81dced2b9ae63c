"""The editors of the training-settings form, one per kind of setting in the engine's schema
(builder.training.SETTINGS: whole, number, switch, choice, name, names, optimizer, schedule, ...), and the
training recipe's editor (`RecipeEditor`: the recipe, then its own settings, node ids chosen from the graph).

An editor turns what the user typed into the value the project file would hold (`read()` returns the value
and, when the text cannot even be read, a problem), and shows a value it is given (`show(value)`, which emits
nothing). The panel checks the value with the engine and pushes the undo command; an editor never touches the
project.
"""
from __future__ import annotations

import copy
import json
import math
import re
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox, QComboBox, QFormLayout, QHBoxLayout, QLabel, QLineEdit, QToolButton, QVBoxLayout, QWidget,
)

from builder.training import recipes
from ui import style

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

    def set_nodes(self, node_ids: list[str]) -> None:
        """The graph's node ids (for settings that name a node)."""

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


UNSET = object()  # a recipe field left empty: the key is not written (its default applies)
NEEDS = "needs it"  # how the engine words a required recipe key that is not given yet


def recipe_choices(setting) -> list[str]:
    """The values a recipe setting allows when its check is a closed list (builder.training.recipes' one_of, whose
    refusal reads "one of a, b"); empty otherwise."""
    refusal = setting.check(object()) if setting.check is not None else None
    if isinstance(refusal, str) and refusal.startswith("one of "):
        return refusal[len("one of "):].split(", ")
    return []


class RecipeField:
    """One setting of a recipe in the editor: a node combo (the graph's node ids), a combo of choices or a line,
    with the setting's help as tooltip and the engine's problem with it underneath."""

    def __init__(self, setting, editor: "RecipeEditor") -> None:
        self.setting = setting
        self.name = setting.name
        self.choices = recipe_choices(setting)
        self.typed = not setting.node and not self.choices  # a line: its keystrokes fold into one undo step
        self.kind = "whole" if isinstance(setting.default, int) and not isinstance(setting.default, bool) else "number"
        if self.typed:
            self.widget: QWidget = QLineEdit(editor)
            self.widget.setPlaceholderText(shown(setting.default) if setting.default not in (None, "") else
                                           "required" if setting.default is None or self.name == "teacher" else "")
            self.widget.textEdited.connect(lambda _text: editor.field_edited(self))
        else:
            self.widget = QComboBox(editor)
            self.widget.setPlaceholderText("choose a node" if setting.node else "")
            self.widget.activated.connect(lambda _i: editor.field_edited(self))
            for choice in self.choices:
                self.widget.addItem(choice, choice)
        self.widget.setToolTip(setting.help)
        self.label = QLabel(self.name, editor)
        self.label.setToolTip(setting.help)
        self.error = QLabel(editor)
        self.error.setWordWrap(True)
        self.error.setStyleSheet(f"color: {style.ERROR.name()}; font-size: 11px;")
        self.error.hide()
        self.box = QWidget(editor)
        layout = _box(self.box, vertical=True)
        layout.setSpacing(1)
        layout.addWidget(self.widget)
        layout.addWidget(self.error)

    def set_nodes(self, node_ids: list[str]) -> None:
        """List the graph's nodes (and "" first when the setting may be empty), keeping the chosen one."""
        if not self.setting.node:
            return
        value = self.value()
        self.widget.clear()
        if self.setting.default == "":
            self.widget.addItem("(none)", "")
        for node_id in node_ids:
            self.widget.addItem(node_id, node_id)
        self.show(value)

    def value(self) -> Any:
        """The chosen or typed value, or UNSET."""
        if self.typed:
            text = self.widget.text().strip()
            if not text:
                return UNSET
            return text if isinstance(self.setting.default, str) else parse_number(text, self.kind)
        index = self.widget.currentIndex()
        return self.widget.itemData(index) if index >= 0 else UNSET

    def show(self, value: Any) -> None:
        if self.typed:
            self.widget.setText("" if value is UNSET else shown(value))
            return
        if value is UNSET and self.setting.default is not None:
            value = self.setting.default
        index = -1 if value is UNSET else self.widget.findData(value)
        if index < 0 and value is not UNSET and value is not None:  # a node no longer in the graph: shown as it is
            self.widget.addItem(f"{shown(value)} (not in the graph)", value)
            index = self.widget.count() - 1
        self.widget.setCurrentIndex(index)

    def mark(self, problem: str | None) -> None:
        self.error.setText(problem or "")
        self.error.setVisible(bool(problem))
        self.widget.setProperty("invalid", bool(problem))
        self.widget.style().unpolish(self.widget)
        self.widget.style().polish(self.widget)


class RecipeEditor(Editor):
    """Supervised or {"name": recipe, its settings}: the recipe chosen from every recipe the engine has
    (builder.training.recipes.RECIPES), then one field per setting of that recipe. A field left empty (or a
    choice left at its default) is not written. `edited_key` is the setting the last edit changed ("name" for the
    recipe itself) and `edited_typed` whether it was typed. Choosing supervised writes the schema's default
    ({"name": "supervised"}, what a new project holds); a project's null (supervised too) is read back as null."""

    def __init__(self, entry, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.entry = entry
        self.combo = QComboBox(self)
        for name in recipes.RECIPES:
            self.combo.addItem(name, name)
        self.combo.activated.connect(self._on_name)
        self.form_widget = QWidget(self)
        self.form = QFormLayout(self.form_widget)
        self.form.setContentsMargins(12, 0, 0, 0)
        self.form.setVerticalSpacing(4)
        self.fields: dict[str, RecipeField] = {}
        self.node_ids: list[str] = []
        self.edited_key: str | None = None
        self.edited_typed = False
        self._shown: dict[str, Any] = {}  # the keys of the recipe last shown (besides its name)
        self._supervised: Any = copy.deepcopy(entry.default)  # how supervised is written: null or {"name": ...}
        layout = _box(self, vertical=True)
        layout.addWidget(self.combo)
        layout.addWidget(self.form_widget)
        self._set_name(recipes.SUPERVISED)

    @property
    def name(self) -> str:
        return self.combo.currentData()

    def _set_name(self, name: str) -> None:
        index = self.combo.findData(name)
        self.combo.setCurrentIndex(max(index, 0))
        while self.form.rowCount():
            self.form.removeRow(0)
        self.fields = {}
        for setting in recipes.RECIPES[self.name].settings:
            field = RecipeField(setting, self)
            field.set_nodes(self.node_ids)
            self.form.addRow(field.label, field.box)
            self.fields[setting.name] = field
        self.form_widget.setVisible(bool(self.fields))

    def _on_name(self, _index: int) -> None:
        if self.name == self._shown.get("name", recipes.SUPERVISED):
            return  # the same recipe chosen again keeps its settings
        self._shown = {"name": self.name}
        self._supervised = copy.deepcopy(self.entry.default)
        self._set_name(self.name)
        self.edited_key, self.edited_typed = "name", False
        self.edited.emit()

    def field_edited(self, field: RecipeField) -> None:
        self.edited_key, self.edited_typed = field.name, field.typed
        self.edited.emit()

    def set_nodes(self, node_ids: list[str]) -> None:
        if list(node_ids) != self.node_ids:
            self.node_ids = list(node_ids)
            for field in self.fields.values():
                field.set_nodes(self.node_ids)

    def inputs(self) -> list[QWidget]:
        return [self.combo]  # each field is marked beside itself (mark_problems)

    def read(self) -> Read:
        if self.name == recipes.SUPERVISED:
            return copy.deepcopy(self._supervised), None
        spec = {"name": self.name}
        spec.update({k: v for k, v in self._shown.items() if k != "name" and k not in self.fields})  # not ours
        for key, field in self.fields.items():
            value = field.value()
            if value is UNSET and self._shown.get(key) == "":
                value = ""  # the file's own empty text stays as it was
            if value is UNSET or (key not in self._shown and same(value, field.setting.default)):
                continue  # left as it was: the default applies, and the file does not say it
            spec[key] = value
        return spec, None

    def show(self, value: Any) -> None:
        spec = value if isinstance(value, dict) else {}
        name = spec.get("name", recipes.SUPERVISED)
        name = name if isinstance(name, str) and name in recipes.RECIPES else recipes.SUPERVISED
        self._shown = {**spec, "name": name}
        self._supervised = copy.deepcopy(value) if name == recipes.SUPERVISED else copy.deepcopy(self.entry.default)
        self._set_name(name)
        for key, field in self.fields.items():
            field.show(spec.get(key, UNSET))
            field.mark(None)

    def missing(self) -> set[str]:
        """The settings the recipe needs that are not given yet."""
        value, _ = self.read()
        return {key for key in self.fields if not isinstance(value, dict) or value.get(key) in (None, "")}

    def mark_problems(self, lines: list[str]) -> list[str]:
        """Show each of the engine's lines beside the field it names ("training.recipe.mean: ..."); returns the
        lines that name no field."""
        by_field: dict[str, list[str]] = {}
        rest = []
        for line in lines:
            key, _, text = line.partition(": ")
            field = key[len("training.recipe."):] if key.startswith("training.recipe.") else None
            if field in self.fields:
                by_field.setdefault(field, []).append(text)
            else:
                rest.append(line)
        for key, field in self.fields.items():
            field.mark("\n".join(by_field.get(key, [])) or None)
        return rest

    def blocking(self, lines: list[str]) -> list[str]:
        """The lines that refuse the value: all but "needs it" of a setting not given yet (a recipe is filled in
        one field at a time; `check` and `train` refuse it until it is whole)."""
        missing = self.missing()
        return [line for line in lines
                if not (NEEDS in line and line.partition(": ")[0][len("training.recipe."):] in missing)]


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
    if kind == "schedule" and entry.name == "recipe":
        return RecipeEditor(entry, parent)
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

