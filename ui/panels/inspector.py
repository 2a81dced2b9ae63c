"""The property inspector: the selected node's output and an editor per parameter.

Edits become SetParamCommands after `blocks.check_param` accepts them; the editors then show
what the graph holds (through its ParamChanged event), so undo updates them as well.
"""
from __future__ import annotations

from html import escape
from typing import Any

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import (
    QCheckBox, QFormLayout, QFrame, QHBoxLayout, QLabel, QScrollArea, QToolButton, QVBoxLayout, QWidget,
)

from builder import blocks
from builder.errors import LayerboardError
from builder.graph import FlagChanged, NodeRemoved, ParamChanged
from ui import style
from ui.document.commands import SetFlagCommand, SetParamCommand
from ui.panels.param_editors import ParamEditor, make_editor


class Inspector(QWidget):
    """Shows one node (or the project when none is selected); rebuilt when the selection changes."""

    refused = Signal(str)  # why an edit was not accepted (the window also puts it in the status bar)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.document = None
        self.node_id: str | None = None
        self.editors: dict[str, ParamEditor] = {}
        self.reset_buttons: dict[str, QToolButton] = {}  # parameter -> its "use Keras's default" button
        self._labels: dict[str, QLabel] = {}
        self._form: QFormLayout | None = None
        self._primary: set[str] = set()
        self._engine_ready = False
        self._unsubscribe = None

        self.title = QLabel(self)
        self.title.setTextFormat(Qt.TextFormat.RichText)
        self.title.setWordWrap(True)
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
        self.show_all = QCheckBox("Show all parameters", self)
        self.show_all.toggled.connect(self._update_row_visibility)

        self._scroll = QScrollArea(self)
        self._scroll.setWidgetResizable(True)
        self._scroll.setFrameShape(QFrame.Shape.NoFrame)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)
        layout.addWidget(self.title)
        layout.addWidget(self.status)
        layout.addWidget(self.message)
        layout.addLayout(flags)
        layout.addWidget(self._scroll, 1)
        layout.addWidget(self.show_all)
        self.show_node(None)

    # ---- wiring -------------------------------------------------------------------------------
    def set_document(self, document) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()
            self.document.shapes.reportChanged.disconnect(self._on_report)
        self.document = document
        self._unsubscribe = document.graph.events.subscribe(self._on_graph_event)
        document.shapes.reportChanged.connect(self._on_report)
        self.show_node(None)

    def set_engine_ready(self) -> None:
        self._engine_ready = True
        self.show_node(self.node_id)

    def _on_graph_event(self, event) -> None:
        if isinstance(event, ParamChanged) and event.node.id == self.node_id:
            if self.editors:
                self._show_param(event.node.params, event.name)
            else:
                self.show_node(self.node_id)
        elif isinstance(event, FlagChanged) and event.node.id == self.node_id:
            self._show_flags(event.node)
        elif isinstance(event, NodeRemoved) and event.node.id == self.node_id:
            self.show_node(None)
        elif self.node_id is None:
            self.show_project()

    @Slot(object)
    def _on_report(self, _report) -> None:
        if self.node_id is None:
            self.show_project()
        else:
            self._show_status()

    # ---- what is shown ------------------------------------------------------------------------
    def show_node(self, node_id: str | None) -> None:
        """Show a node's parameters, or the project summary for None."""
        graph = self.document.graph if self.document is not None else None
        if graph is None or node_id not in graph.nodes:
            node_id = None
        self.node_id = node_id
        self.editors, self.reset_buttons, self._labels, self._form = {}, {}, {}, None
        self.message.hide()
        content = QWidget()
        self._scroll.setWidget(content)  # deletes the previous content and its editors
        self.trainable.setVisible(node_id is not None)
        self.is_output.setVisible(node_id is not None)
        if node_id is None:
            self.show_all.hide()
            hint = QLabel("Select a block to edit its parameters.\n\nDrag blocks from the palette; drag from "
                          "a block's lower port to another block's upper port to wire them.", content)
            hint.setWordWrap(True)
            hint.setStyleSheet(f"color: {style.MUTED_TEXT.name()};")
            column = QVBoxLayout(content)
            column.addWidget(hint)
            column.addStretch(1)
            self.show_project()
            return
        node = graph.nodes[node_id]
        self._show_flags(node)
        colour = style.category_colour(node.type).name()
        self.title.setText(
            f"<span style='font-size:13pt; font-weight:600; color:{colour}'>{escape(node.type)}</span>"
            f"&nbsp;&nbsp;<span style='color:{style.MUTED_TEXT.name()}'>{escape(node.id)}</span>")
        self._show_status()
        if not self._engine_ready:
            self.show_all.hide()
            self._build_pending(content, node.params)
        else:
            self.show_all.show()
            self._build_form(content, node)

    def _show_status(self) -> None:
        report = self.document.shapes.report if self.document is not None else None
        if report is None:
            self.status.setText("Output shape: … (loading Keras)")
            self.status.setStyleSheet(f"color: {style.MUTED_TEXT.name()};")
            return
        result = report.nodes.get(self.node_id)
        if result is None:
            self.status.setText("Output shape: …")
            self.status.setStyleSheet("")
        elif result.ok:
            from builder.model import format_shape

            self.status.setText(f"Output shape: {format_shape(result.shape)}\nParameters: {result.params:,}")
            self.status.setStyleSheet("")
        else:
            colour = style.BLOCKED if result.blocked_by else style.ERROR
            self.status.setText(result.error)
            self.status.setStyleSheet(f"color: {colour.name()};")

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

    def _build_pending(self, content: QWidget, params: dict[str, Any]) -> None:
        """Before Keras has loaded there are no parameter specs: list the values as text."""
        layout = QFormLayout(content)
        for name, value in params.items():
            layout.addRow(f"{name}:", QLabel(escape(repr(value))))
        note = QLabel("Parameter editors appear once Keras has loaded…")
        note.setStyleSheet(f"color: {style.MUTED_TEXT.name()};")
        note.setWordWrap(True)
        layout.addRow(note)

    def _build_form(self, content: QWidget, node) -> None:
        spec = blocks.block_spec(node.type)
        form = QFormLayout(content)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.setContentsMargins(0, 4, 0, 4)
        self._form = form
        self._primary = set(spec.primary)
        for param in spec.params:
            editor = make_editor(param, content)
            editor.setToolTip(param.help)
            editor.committed.connect(self._on_committed)
            editor.refused.connect(self._on_refused)
            reset = QToolButton(content)
            reset.setText("↺")
            reset.setAutoRaise(True)
            default = "unset" if param.default is None else repr(param.default)
            reset.setToolTip(f"Use Keras's default ({default})")
            reset.setProperty("param", param.name)
            keep = reset.sizePolicy()
            keep.setRetainSizeWhenHidden(True)  # editors line up whether or not their reset shows
            reset.setSizePolicy(keep)
            reset.clicked.connect(self._on_reset_clicked)
            field = QWidget(content)
            row = QHBoxLayout(field)
            row.setContentsMargins(0, 0, 0, 0)
            row.addWidget(editor, 1)
            row.addWidget(reset)
            label = QLabel(param.name + ("*" if param.required else ""), content)
            label.setToolTip(param.help)
            form.addRow(label, field)
            self.editors[param.name] = editor
            self.reset_buttons[param.name] = reset
            self._labels[param.name] = label
            self._show_param(node.params, param.name)
        if not spec.params:
            form.addRow(QLabel(f"{node.type} has no parameters."))
        self._update_row_visibility()

    def _show_param(self, params: dict[str, Any], name: str) -> None:
        editor = self.editors.get(name)
        if editor is None:
            return
        is_set = name in params
        editor.show_value(params[name] if is_set else editor.spec.default)
        self.reset_buttons[name].setVisible(is_set and not editor.spec.required)
        label = self._labels[name]
        font = label.font()
        font.setBold(is_set)
        label.setFont(font)

    @Slot()
    def _update_row_visibility(self) -> None:
        if self._form is None or self.node_id is None:
            return
        params = self.document.graph.nodes[self.node_id].params
        for row, name in enumerate(self.editors):
            visible = self.show_all.isChecked() or name in params or name in self._primary
            self._form.setRowVisible(row, visible)

    # ---- edits --------------------------------------------------------------------------------
    @Slot(str, object)
    def _on_committed(self, name: str, value: Any) -> None:
        self.set_param(name, value)

    @Slot(str, str)
    def _on_refused(self, _name: str, message: str) -> None:
        self._refuse(message)

    @Slot()
    def _on_reset_clicked(self) -> None:
        name = self.sender().property("param")
        self.set_param(name, None)

    def set_param(self, name: str, value: Any) -> bool:
        """Validate and push one parameter change; returns False (and says why) if refused."""
        graph = self.document.graph if self.document is not None else None
        if graph is None or self.node_id not in graph.nodes:
            return False  # an editor losing focus after its node went away
        node = graph.nodes[self.node_id]
        try:
            blocks.check_param(node.type, name, value)
        except LayerboardError as exc:
            self._refuse(str(exc))
            self._show_param(node.params, name)
            return False
        self.message.hide()
        if node.params.get(name) != value:
            self.document.push(SetParamCommand(graph, node.id, name, value))
        return True

    def _show_flags(self, node) -> None:
        self.trainable.setChecked(node.trainable)
        self.trainable.setEnabled(node.type != "Input")
        self.is_output.setChecked(node.output)
        self.is_output.setEnabled(node.type != "Input")

    def _set_flag(self, name: str, value: bool) -> None:
        graph = self.document.graph if self.document is not None else None
        if graph is None or self.node_id not in graph.nodes:
            return
        if getattr(graph.nodes[self.node_id], name) != value:
            self.document.push(SetFlagCommand(graph, self.node_id, name, value))

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
