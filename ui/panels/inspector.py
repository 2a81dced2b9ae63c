"""The property inspector: the selected node's name, output and an editor per parameter; with several nodes
selected, the parameters they share, set on all of them in one undo step.

Edits become undo commands after `blocks.check_param` accepts them for every node they touch; the editors
then show what the graph holds (through its events), so undo updates them as well.
"""
from __future__ import annotations

from html import escape
from typing import Any

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import (
    QCheckBox, QComboBox, QFormLayout, QFrame, QHBoxLayout, QLabel, QLineEdit, QScrollArea, QToolButton, QVBoxLayout,
    QWidget,
)

from builder import blocks
from builder.errors import LayerboardError
from builder.graph import FlagChanged, NodeRemoved, NodeRenamed, ParamChanged
from ui import style
from ui.document.commands import SetFlagCommand, SetParamCommand
from ui.document.edit_commands import RenameNodeCommand
from ui.panels.inspector_form import ParamForm
from ui.panels.inspector_selection import shared_params, shown_value, summary, type_counts
from ui.panels.param_editors import ParamEditor

ALL_SHARED = ""  # the group selector's key for "every selected node, the parameters they share"


class Inspector(QWidget):
    """Shows the selected nodes (or the project when none is selected); rebuilt when the selection changes."""

    refused = Signal(str)  # why an edit was not accepted (the window also puts it in the status bar)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.document = None
        self.node_id: str | None = None  # the one node shown; None for the project or a multi-selection
        self.node_ids: list[str] = []  # every selected node shown
        self.form: ParamForm | None = None
        self._group_ids: list[str] = []  # the nodes the form edits (a multi-selection's chosen type, or all)
        self._group_choice = ALL_SHARED  # a mixed selection's chosen type, kept while the selection stays
        self._engine_ready = False
        self._unsubscribe = None

        self.title = QLabel(self)
        self.title.setTextFormat(Qt.TextFormat.RichText)
        self.title.setWordWrap(True)
        self.name_edit = QLineEdit(self)  # the node's id: renaming it renames the node
        self.name_edit.setToolTip("The block's name: a Python name, unique in the graph. Exports use it for the "
                                  "layer's variable and output names. Press Enter to rename.")
        self.name_edit.editingFinished.connect(self._on_name_edited)
        self._name_row = QWidget(self)
        name_layout = QHBoxLayout(self._name_row)
        name_layout.setContentsMargins(0, 0, 0, 0)
        name_layout.addWidget(QLabel("Name", self._name_row))
        name_layout.addWidget(self.name_edit, 1)
        self.status = QLabel(self)
        self.status.setWordWrap(True)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.message = QLabel(self)  # why the last edit was refused
        self.message.setWordWrap(True)
        self.message.setStyleSheet(f"color: {style.ERROR.name()};")
        self.message.hide()
        self.trainable = QCheckBox("Trainable", self)
        self.trainable.setToolTip("Unticked freezes this layer's weights during training (transfer learning).")
        self.trainable.clicked.connect(lambda on: self._set_flag("trainable", on))
        self.is_output = QCheckBox("Model output", self)
        self.is_output.setToolTip("A model output even though other blocks read it; blocks with no outgoing "
                                  "wire are outputs anyway. The output is named after the block.")
        self.is_output.clicked.connect(lambda on: self._set_flag("output", on))
        flags = QHBoxLayout()
        flags.setContentsMargins(0, 0, 0, 0)
        flags.addWidget(self.trainable)
        flags.addWidget(self.is_output)
        flags.addStretch(1)
        self.group_box = QComboBox(self)  # a mixed selection: edit what all share, or all nodes of one type
        self.group_box.setToolTip("Which of the selected blocks the parameters below edit.")
        self.group_box.activated.connect(self._on_group_chosen)
        self._group_row = QWidget(self)
        group_layout = QHBoxLayout(self._group_row)
        group_layout.setContentsMargins(0, 0, 0, 0)
        group_layout.addWidget(QLabel("Edit", self._group_row))
        group_layout.addWidget(self.group_box, 1)
        self.show_all = QCheckBox("Show all parameters", self)
        self.show_all.toggled.connect(self._update_row_visibility)

        self._scroll = QScrollArea(self)
        self._scroll.setWidgetResizable(True)
        self._scroll.setFrameShape(QFrame.Shape.NoFrame)
        self._scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)  # help lines wrap instead
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)
        layout.addWidget(self.title)
        layout.addWidget(self._name_row)
        layout.addWidget(self.status)
        layout.addWidget(self.message)
        layout.addLayout(flags)
        layout.addWidget(self._group_row)
        layout.addWidget(self._scroll, 1)
        layout.addWidget(self.show_all)
        self.show_nodes([])

    # ---- what the form holds ------------------------------------------------------------------
    @property
    def editors(self) -> dict[str, ParamEditor]:
        return self.form.editors if self.form is not None else {}

    @property
    def reset_buttons(self) -> dict[str, QToolButton]:
        """Parameter -> its "use Keras's default" button."""
        return self.form.reset_buttons if self.form is not None else {}

    @property
    def help_labels(self) -> dict[str, QLabel]:
        """Parameter -> the help written under its editor."""
        return self.form.help_labels if self.form is not None else {}

    # ---- wiring -------------------------------------------------------------------------------
    def set_document(self, document) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()
            self.document.shapes.reportChanged.disconnect(self._on_report)
        self.document = document
        self._unsubscribe = document.graph.events.subscribe(self._on_graph_event)
        document.shapes.reportChanged.connect(self._on_report)
        self.show_nodes([])

    def set_engine_ready(self) -> None:
        self._engine_ready = True
        self.show_nodes(self.node_ids)

    def _on_graph_event(self, event) -> None:
        if isinstance(event, NodeRenamed):
            if event.old_id in self.node_ids:
                self.node_ids = [event.node.id if i == event.old_id else i for i in self.node_ids]
                self.show_nodes(self.node_ids)
        elif isinstance(event, ParamChanged) and event.node.id in self._group_ids:
            if self.form is not None:
                self._show_param(event.name)
            else:
                self.show_nodes(self.node_ids)
        elif isinstance(event, FlagChanged) and event.node.id in self.node_ids:
            self._show_flags()
        elif isinstance(event, NodeRemoved) and event.node.id in self.node_ids:
            self.show_nodes([i for i in self.node_ids if i != event.node.id])
        elif not self.node_ids:
            self.show_project()

    @Slot(object)
    def _on_report(self, _report) -> None:
        if not self.node_ids:
            self.show_project()
        else:
            self._show_status()

    # ---- what is shown ------------------------------------------------------------------------
    def show_node(self, node_id: str | None) -> None:
        """Show a node's parameters, or the project summary for None."""
        self.show_nodes([] if node_id is None else [node_id])

    def show_nodes(self, node_ids: list[str]) -> None:
        """Show the selection: none -> the project summary, one node -> its name and parameters, several ->
        the parameters they share (or those of one type), edited on all of them at once."""
        graph = self.document.graph if self.document is not None else None
        ids = [i for i in dict.fromkeys(node_ids) if graph is not None and i in graph.nodes]
        if set(ids) != set(self.node_ids):
            self._group_choice = ALL_SHARED
        self.node_ids = ids
        self.node_id = ids[0] if len(ids) == 1 else None
        if self.form is not None:
            self.form.blockSignals(True)  # a focused editor's "editing finished" as it goes must not edit the new nodes
        self.form = None
        self.message.hide()
        content = QWidget()
        self.trainable.setVisible(bool(ids))
        self.is_output.setVisible(bool(ids))
        self._name_row.setVisible(len(ids) == 1)
        self._group_row.setVisible(False)
        if not ids:
            self._group_ids = []
            self._show_nothing(content)
        elif len(ids) == 1:
            self._group_ids = ids
            self._show_one(content, graph.nodes[ids[0]])
        else:
            self._show_many(content, [graph.nodes[i] for i in ids])
        # Set once built, so that showing it shows every row at once; deletes the previous content and its editors.
        self._scroll.setWidget(content)

    def _show_nothing(self, content: QWidget) -> None:
        self.show_all.hide()
        hint = QLabel("Select a block to edit its parameters; select several to edit them together.\n\n"
                      "Drag blocks from the palette; drag from a block's lower port to another block's upper "
                      "port to wire them.", content)
        hint.setWordWrap(True)
        hint.setStyleSheet(f"color: {style.MUTED_TEXT.name()};")
        column = QVBoxLayout(content)
        column.addWidget(hint)
        column.addStretch(1)
        self.show_project()

    def _show_one(self, content: QWidget, node) -> None:
        colour = style.category_colour(node.type).name()
        self.title.setText(f"<span style='font-size:13pt; font-weight:600; color:{colour}'>{escape(node.type)}</span>")
        self.name_edit.setText(node.id)
        self._show_flags()
        self._show_status()
        if not self._engine_ready:
            self._build_pending(content, {name: repr(value) for name, value in node.params.items()})
            return
        spec = blocks.block_spec(node.type)
        self._build_form(content, spec.params, spec.primary, f"{node.type} has no parameters.")

    def _show_many(self, content: QWidget, nodes: list) -> None:
        types = [n.type for n in nodes]
        self.title.setText(f"<span style='font-size:13pt; font-weight:600'>{len(nodes)} blocks</span>"
                           f"&nbsp;&nbsp;<span style='color:{style.MUTED_TEXT.name()}'>{escape(summary(types))}</span>")
        self._show_flags()
        self._show_status()
        counts = type_counts(types)
        chosen = self._group_choice if self._group_choice in counts else ALL_SHARED
        if len(counts) > 1:
            self.group_box.clear()
            self.group_box.addItem(f"All {len(nodes)} blocks: the parameters they share", ALL_SHARED)
            for block_type, count in counts.items():
                self.group_box.addItem(f"The {count} {block_type} block{'s' * (count > 1)}", block_type)
            self.group_box.setCurrentIndex(max(self.group_box.findData(chosen), 0))
            self._group_row.setVisible(True)
        self._group_ids = [n.id for n in nodes if chosen in (ALL_SHARED, n.type)]
        if not self._engine_ready:
            self._build_pending(content, {n.id: n.type for n in nodes})
        elif chosen == ALL_SHARED and len(counts) > 1:
            specs, primary = shared_params(types)
            self._build_form(content, specs, primary,
                             "These blocks share no parameters: choose one type above to edit its blocks.")
        else:
            spec = blocks.block_spec(chosen or nodes[0].type)
            self._build_form(content, spec.params, spec.primary, f"{spec.type} has no parameters.")

    def _build_pending(self, content: QWidget, rows: dict[str, str]) -> None:
        """Before Keras has loaded there are no parameter specs: list the values (or the nodes) as text."""
        self.show_all.hide()
        layout = QFormLayout(content)
        for name, text in rows.items():
            layout.addRow(f"{name}:", QLabel(escape(text)))
        note = QLabel("Parameter editors appear once Keras has loaded…")
        note.setStyleSheet(f"color: {style.MUTED_TEXT.name()};")
        note.setWordWrap(True)
        layout.addRow(note)

    def _build_form(self, content: QWidget, specs: list, primary: list[str], empty_text: str) -> None:
        self.show_all.setVisible(bool(specs))
        column = QVBoxLayout(content)
        column.setContentsMargins(0, 0, 0, 0)
        if not specs:
            empty = QLabel(empty_text, content)
            empty.setWordWrap(True)
            column.addWidget(empty)
            column.addStretch(1)
            return
        self.form = ParamForm(specs, primary, content)
        self.form.committed.connect(self._on_committed)
        self.form.refused.connect(self._on_refused)
        self.form.resetClicked.connect(self._on_reset_clicked)
        column.addWidget(self.form)
        column.addStretch(1)
        for name in self.form.editors:
            self._show_param(name)
        self._update_row_visibility()

    def _group_nodes(self) -> list:
        graph = self.document.graph
        return [graph.nodes[i] for i in self._group_ids if i in graph.nodes]

    def _show_param(self, name: str) -> None:
        if self.form is None:
            return
        nodes = self._group_nodes()
        self.form.show_values(name, [shown_value(n, name) for n in nodes], any(name in n.params for n in nodes))

    def _show_status(self) -> None:
        report = self.document.shapes.report if self.document is not None else None
        if report is None:
            self.status.setText("Output shape: … (loading Keras)")
            self.status.setStyleSheet(f"color: {style.MUTED_TEXT.name()};")
            return
        if self.node_id is None:
            self._show_selection_status(report)
            return
        result = report.nodes.get(self.node_id)
        if result is None:
            self.status.setText("Output shape: …")
            self.status.setStyleSheet("")
        elif result.ok:
            from builder.model import format_shape

            weights = (f"Parameters: shares the weights of '{result.shares}'" if result.shares
                       else f"Parameters: {result.params:,}")
            self.status.setText(f"Output shape: {format_shape(result.shape)}\n{weights}")
            self.status.setStyleSheet("")
        else:
            colour = style.BLOCKED if result.blocked_by else style.ERROR
            self.status.setText(result.error)
            self.status.setStyleSheet(f"color: {colour.name()};")

    def _show_selection_status(self, report) -> None:
        results = [report.nodes.get(i) for i in self.node_ids]
        params = sum(r.params for r in results if r is not None and r.ok)
        failing = [i for i, r in zip(self.node_ids, results) if r is not None and not r.ok]
        text = f"Parameters in the selection: {params:,}"
        if failing:
            text += f"\n{len(failing)} with a problem: {', '.join(failing[:5])}{'…' * (len(failing) > 5)}"
        self.status.setText(text)
        self.status.setStyleSheet(f"color: {style.ERROR.name()};" if failing else "")

    def show_project(self) -> None:
        """The project's summary: dataset, training settings, parameter count and what is wrong with the graph."""
        if self.document is None:
            self.title.setText("")
            self.status.setText("")
            return
        project = self.document.project
        training = project.training
        self.title.setText(f"<span style='font-size:13pt; font-weight:600'>{escape(project.name)}</span>")
        lines = [project.description, "",
                 f"{len(project.graph.nodes)} blocks, {len(project.graph.edges)} wires",
                 f"Dataset: {project.dataset.name} ({_split_text(project.dataset)})",
                 f"Training: {training.epochs} epochs, batch {training.batch_size}, "
                 f"{_optimizer_name(training.optimizer)} (learning rate {training.learning_rate:g})"]
        report = self.document.shapes.report
        if report is None:
            lines.append("Checking shapes once Keras has loaded…")
        else:
            lines.append(f"Total parameters: {report.total_params:,}")
            lines += ["", report.summary()]
        self.status.setStyleSheet(f"color: {style.ERROR.name()};" if report is not None and not report.valid else "")
        self.status.setText("\n".join(lines).strip())

    @Slot()
    def _update_row_visibility(self) -> None:
        if self.form is None:
            return
        set_names = {name for node in self._group_nodes() for name in node.params}
        self.form.set_rows_visible(self.show_all.isChecked(), set_names)

    @Slot(int)
    def _on_group_chosen(self, _index: int) -> None:
        self._group_choice = self.group_box.currentData()
        self.show_nodes(self.node_ids)

    # ---- edits --------------------------------------------------------------------------------
    @Slot(str, object)
    def _on_committed(self, name: str, value: Any) -> None:
        self.set_param(name, value)

    @Slot(str, str)
    def _on_refused(self, _name: str, message: str) -> None:
        self._refuse(message)

    @Slot(str)
    def _on_reset_clicked(self, name: str) -> None:
        self.set_param(name, None)

    def set_param(self, name: str, value: Any) -> bool:
        """Validate and push one parameter change on the node shown, or on every node the multi-selection's form
        edits (one undo step); if any node refuses the value, none changes and the reason names that node."""
        graph = self.document.graph if self.document is not None else None
        nodes = self._group_nodes() if graph is not None else []
        if not nodes:
            return False  # an editor losing focus after its nodes went away
        for node in nodes:
            try:
                blocks.check_param(node.type, name, value, node.params)
            except LayerboardError as exc:
                self._refuse(str(exc) if len(nodes) == 1 else f"'{node.id}': {exc}")
                self._show_param(name)
                return False
        self.message.hide()
        if all(node.params.get(name) == value for node in nodes):
            self._show_param(name)  # e.g. a mixed field set to what every node already holds explicitly
            return True
        self.document.push(SetParamCommand(graph, [n.id for n in nodes], name, value))
        return True

    def _flag_nodes(self) -> list:
        """The selected nodes whose switches apply (an Input has no weights and is always a model input)."""
        graph = self.document.graph
        return [graph.nodes[i] for i in self.node_ids if i in graph.nodes and graph.nodes[i].type != "Input"]

    def _show_flags(self) -> None:
        nodes = self._flag_nodes() if self.document is not None else []
        for box, name in ((self.trainable, "trainable"), (self.is_output, "output")):
            values = {bool(getattr(n, name)) for n in nodes}
            box.setEnabled(bool(nodes))
            if len(values) > 1:
                box.setTristate(True)
                box.setCheckState(Qt.CheckState.PartiallyChecked)  # mixed: a click sets it on all of them
            else:
                box.setTristate(False)
                box.setChecked(values.pop() if values else name == "trainable")

    def _set_flag(self, name: str, value: bool) -> None:
        nodes = self._flag_nodes() if self.document is not None else []
        changing = [n.id for n in nodes if getattr(n, name) != value]
        if not changing:
            self._show_flags()
        else:
            self.document.push(SetFlagCommand(self.document.graph, [n.id for n in nodes], name, value))

    @Slot()
    def _on_name_edited(self) -> None:
        """Enter or focus out in the Name field: rename the node (its NodeRenamed event re-shows it), or say why not
        and show the name it kept."""
        old_id = self.node_id
        new_id = self.name_edit.text().strip()
        if old_id is None or self.document is None or old_id not in self.document.graph.nodes or new_id == old_id:
            if old_id is not None:
                self.name_edit.setText(old_id)
            return
        try:
            command = RenameNodeCommand(self.document, old_id, new_id)
        except LayerboardError as exc:
            self._refuse(str(exc))
            self.name_edit.setText(old_id)
            return
        self.message.hide()
        self.document.push(command)

    def _refuse(self, message: str) -> None:
        self.message.setText(message)
        self.message.show()
        self.refused.emit(message)


def _split_text(dataset) -> str:
    held = f"{dataset.validation_split:.0%} for validation"
    return held + (f", {dataset.test_split:.0%} for test" if dataset.test_split else "")


def _optimizer_name(optimizer) -> str:
    """"adam", or the class name of an optimizer given as a Keras config."""
    return optimizer.get("class_name", "?") if isinstance(optimizer, dict) else str(optimizer)
