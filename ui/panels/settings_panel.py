"""The training-settings panel: every setting of the engine's TrainingConfig, grouped, undoable.

The form is built from the engine's schema (builder.training.SETTINGS: group, kind, default, help). A value the
user types is checked as they type by the engine (`setting_problems`: builder.project's ranges, and once Keras
is loaded the names only Keras knows); a refused value is marked with the engine's words and never pushed; a
good one becomes `document.set_settings("training", field=value)` (keystrokes of one field fold into one undo
step). Undo and redo come back through `document.projectChanged("training")`, which only updates the fields
whose project value changed, without pushing anything.

The recipe has its own editor (settings_fields.RecipeEditor): the recipe, then its settings, a node setting chosen
from the graph's node ids (kept up to date with the graph). Each change is one undo step (`SetRecipeCommand`; the
keystrokes typed into one of its fields fold into one); the engine's problems are shown beside the field they name,
and a recipe still missing a node it needs is written all the same (it is filled in one field at a time).

When the dataset changes and the loss and metrics are still the default of some output kind, they follow the
new dataset's kind (`builder.training.output_defaults`): classification → sparse_categorical_crossentropy +
accuracy, regression → mse + mae. A built-in or online dataset's kind is known at once; a user's file is loaded
off the GUI thread to find it. The change is its own undo step; while the user is undoing (there is something
to redo), it is offered with a button instead of applied.
"""
from __future__ import annotations

import copy
import json
from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal, Slot
from PySide6.QtWidgets import (
    QFrame, QHBoxLayout, QLabel, QPushButton, QScrollArea, QToolButton, QVBoxLayout, QWidget,
)

from builder.training import GROUPS, SETTINGS, known_output_kind, output_defaults, setting_problems
from ui import style
from ui.document import SetProjectSettingsCommand
from ui.panels.settings_fields import Editor, make_editor, same, shown
from ui.workers.background_task import BackgroundTask

OPEN_GROUPS = ("Basics", "Optimizer and schedule")  # the others start folded
INVALID_STYLE = f"""
QLineEdit[invalid="true"], QComboBox[invalid="true"] {{ border: 1px solid {style.ERROR.name()}; border-radius: 2px; }}
"""


RECIPE_EDIT_ID = 31  # SetRecipeCommand's undo id: it never folds into another kind of settings change


class SetRecipeCommand(SetProjectSettingsCommand):
    """training.recipe changed in its editor: one undo step per change, except that the keystrokes typed into one
    of its fields (`typed_key`) fold into one."""

    def __init__(self, document, value: Any, typed_key: str | None = None) -> None:
        super().__init__(document, "training", {"recipe": value},
                         f"Change training recipe {typed_key}" if typed_key else "Change training recipe")
        self.typed_key = typed_key

    def id(self) -> int:
        return RECIPE_EDIT_ID

    def mergeWith(self, other) -> bool:
        if not isinstance(other, SetRecipeCommand) or self.typed_key is None or other.typed_key != self.typed_key:
            return False
        return super().mergeWith(other)


class Section(QWidget):
    """A group of the form with a header that folds it."""

    def __init__(self, title: str, open_: bool, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.header = QToolButton(self)
        self.header.setText(title)
        self.header.setCheckable(True)
        self.header.setChecked(open_)
        self.header.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.header.setStyleSheet("QToolButton { border: none; font-weight: bold; }")
        self.header.toggled.connect(self.set_open)
        self.body = QWidget(self)
        self.body_layout = QVBoxLayout(self.body)
        self.body_layout.setContentsMargins(8, 2, 0, 6)
        self.body_layout.setSpacing(8)
        line = QFrame(self)
        line.setFrameShape(QFrame.Shape.HLine)
        line.setFrameShadow(QFrame.Shadow.Sunken)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(line)
        layout.addWidget(self.header)
        layout.addWidget(self.body)
        self.set_open(open_)

    @Slot(bool)
    def set_open(self, on: bool) -> None:
        self.header.setArrowType(Qt.ArrowType.DownArrow if on else Qt.ArrowType.RightArrow)
        self.body.setVisible(on)

    @property
    def is_open(self) -> bool:
        return self.header.isChecked()


class FieldRow(QWidget):
    """One setting: its label, a button back to the default, its editor, the engine's refusal and its help."""

    def __init__(self, entry, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.entry = entry
        default = "off" if entry.default is None else shown(entry.default) if not isinstance(entry.default, dict) \
            else json.dumps(entry.default)
        self.label = QLabel(entry.label, self)
        self.label.setToolTip(f"training.{entry.name}")
        self.reset = QToolButton(self)
        self.reset.setText("↺")
        self.reset.setToolTip(f"Back to the default: {default}")
        self.reset.setAutoRaise(True)
        self.editor: Editor = make_editor(entry, self)
        self.editor.setToolTip(entry.help)
        self.error = QLabel(self)
        self.error.setWordWrap(True)
        self.error.setStyleSheet(f"color: {style.ERROR.name()};")
        self.error.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.error.hide()
        self.help = QLabel(f"{entry.help} Default: {default}.", self)
        self.help.setWordWrap(True)
        self.help.setStyleSheet(f"color: {style.MUTED_TEXT.name()}; font-size: 11px;")
        top = QHBoxLayout()
        top.setContentsMargins(0, 0, 0, 0)
        top.addWidget(self.label, 1)
        top.addWidget(self.reset)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addLayout(top)
        layout.addWidget(self.editor)
        layout.addWidget(self.error)
        layout.addWidget(self.help)

    @property
    def problem(self) -> str | None:
        return self.error.text() if not self.error.isHidden() else None

    def mark(self, problem: str | None) -> None:
        """Show the engine's refusal under the editor with a red border, or clear it."""
        self.error.setText(problem or "")
        self.error.setVisible(bool(problem))
        for widget in self.editor.inputs():
            widget.setProperty("invalid", bool(problem))
            widget.style().unpolish(widget)
            widget.style().polish(widget)


class SettingsPanel(QWidget):
    """Every training setting of the open project, grouped, checked by the engine as it is typed."""

    message = Signal(str)  # a line for the status bar

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.document = None
        self.engine_ready = False
        self.rows: dict[str, FieldRow] = {}
        self.sections: dict[str, Section] = {}
        self._shown: dict[str, Any] = {}  # each field's project value the form last showed
        self._refreshing = False
        self._dataset_key: str | None = None
        self._pending_kind: str | None = None  # a dataset whose kind is to be found once Keras is loaded
        self._task = BackgroundTask(self)
        self._task.succeeded.connect(self._on_kind_found)
        self._task.failed.connect(self._on_kind_failed)
        self._task_key: str | None = None
        self._unsubscribe_graph = None
        self._nodes_timer = QTimer(self)  # the graph's node ids reach the node fields once per burst of edits
        self._nodes_timer.setSingleShot(True)
        self._nodes_timer.setInterval(0)
        self._nodes_timer.timeout.connect(self._update_nodes)

        self.setStyleSheet(INVALID_STYLE)
        self.proposal = QWidget(self)  # "use the loss and metrics of this dataset's kind?"
        self.proposal_text = QLabel(self.proposal)
        self.proposal_text.setWordWrap(True)
        self.proposal_button = QPushButton("Use them", self.proposal)
        self.proposal_button.clicked.connect(self._apply_proposal)
        proposal_layout = QHBoxLayout(self.proposal)
        proposal_layout.setContentsMargins(4, 4, 4, 4)
        proposal_layout.addWidget(self.proposal_text, 1)
        proposal_layout.addWidget(self.proposal_button)
        self.proposal.hide()
        self._proposed: dict[str, Any] = {}
        self._proposed_kind: str | None = None
        self._task_document = None

        content = QWidget(self)
        form = QVBoxLayout(content)
        form.setContentsMargins(6, 6, 6, 6)
        form.setSpacing(4)
        for group in GROUPS:
            section = Section(group, group in OPEN_GROUPS, content)
            self.sections[group] = section
            form.addWidget(section)
        for entry in SETTINGS:
            row = FieldRow(entry, self.sections[entry.group].body)
            row.editor.edited.connect(lambda name=entry.name: self._on_edited(name))
            row.reset.clicked.connect(lambda _checked=False, name=entry.name: self._reset(name))
            self.sections[entry.group].body_layout.addWidget(row)
            self.rows[entry.name] = row
        form.addStretch(1)
        self.scroll = QScrollArea(self)
        self.scroll.setWidgetResizable(True)
        self.scroll.setFrameShape(QFrame.Shape.NoFrame)
        self.scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.scroll.setWidget(content)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.proposal)
        layout.addWidget(self.scroll)
        self.setEnabled(False)

    # ---- the window's interface ---------------------------------------------------------------------------
    def set_document(self, document) -> None:
        if self.document is not None:
            for signal, slot in ((self.document.projectChanged, self._on_project_changed),
                                 (self.document.shapes.reportChanged, self._on_report)):
                try:
                    signal.disconnect(slot)
                except (RuntimeError, TypeError):
                    pass
        if self._unsubscribe_graph is not None:
            self._unsubscribe_graph()
        self.document = document
        self._unsubscribe_graph = document.graph.events.subscribe(self._on_graph_event)
        self._shown = {}
        self._proposed = {}
        self.proposal.hide()
        self._dataset_key = self._key(document.project.dataset)
        self._pending_kind = None
        document.projectChanged.connect(self._on_project_changed)
        document.shapes.reportChanged.connect(self._on_report)
        self._update_outputs()
        self._update_nodes()
        self._refresh(force=True)
        self.setEnabled(True)

    def set_engine_ready(self) -> None:
        """Keras is loaded: names are checked as they are typed, and the augmentation layers are known."""
        from builder.data import known_augmentations  # imports Keras (loaded by now)

        self.engine_ready = True
        self.rows["augmentation"].editor.set_choices(known_augmentations())
        if self._pending_kind is not None and self.document is not None:
            self._find_kind()

    def scroll_to(self, name: str) -> None:
        """Scroll the form so that the setting `name` is at its top (its group unfolded)."""
        row = self.rows[name]
        self.sections[row.entry.group].set_open(True)
        self.sections[row.entry.group].header.setChecked(True)
        self.scroll.widget().adjustSize()
        top = row.mapTo(self.scroll.widget(), row.rect().topLeft()).y()
        self.scroll.verticalScrollBar().setValue(max(top - 8, 0))

    def wait(self) -> None:
        """Block until a dataset being read to find its kind is read (the window is closing)."""
        self._task.wait()

    # ---- editing -------------------------------------------------------------------------------------------
    @property
    def config(self):
        return self.document.project.training

    def _on_edited(self, name: str) -> None:
        if self._refreshing or self.document is None:
            return
        if name == "recipe":
            self._on_recipe_edited()
            return
        row = self.rows[name]
        value, problem = row.editor.read()
        if problem is None:
            problems = setting_problems(self.config, name, value, names=self.engine_ready)
            problem = "\n".join(problems) or None
        row.mark(problem)
        if problem:
            self.message.emit(problem.splitlines()[0])
            return
        if not same(value, getattr(self.config, name)):
            self.document.set_settings("training", **{name: value})

    def _on_recipe_edited(self) -> None:
        row = self.rows["recipe"]
        editor = row.editor
        value, problem = editor.read()
        problems = [problem] if problem else setting_problems(self.config, "recipe", value, names=self.engine_ready)
        row.mark("\n".join(editor.mark_problems(problems)) or None)
        blocking = editor.blocking(problems)
        if blocking:
            self.message.emit(blocking[0])
            return
        if not same(value, self.config.recipe):
            self.document.push(SetRecipeCommand(self.document, value,
                                                editor.edited_key if editor.edited_typed else None))

    def _mark_recipe(self) -> None:
        """Show the engine's problems with the project's recipe beside its fields (a key it still needs)."""
        editor = self.rows["recipe"].editor
        problems = setting_problems(self.config, "recipe", self.config.recipe)
        self.rows["recipe"].mark("\n".join(editor.mark_problems(problems)) or None)

    def _reset(self, name: str) -> None:
        self.rows[name].mark(None)
        default = self.rows[name].entry.default
        if not same(default, getattr(self.config, name)):
            self.document.set_settings("training", text=f"Reset training {name}", **{name: default})

    # ---- following the project -------------------------------------------------------------------------------
    @Slot(str)
    def _on_project_changed(self, section: str) -> None:
        if section == "training":
            self._refresh()
            if self._proposed and not output_defaults(self.config, self._proposed_kind):
                self.proposal.hide()
        elif section == "dataset":
            self._dataset_changed()

    def _refresh(self, force: bool = False) -> None:
        """Show the project's values in the fields whose value changed since the form last showed them; a field
        whose text already reads as that value is left as typed."""
        self._refreshing = True
        try:
            for name, row in self.rows.items():
                value = getattr(self.config, name)
                if not force and name in self._shown and same(value, self._shown[name]):
                    continue
                self._shown[name] = copy.deepcopy(value)
                current, problem = row.editor.read()
                if force or problem or not same(current, value):
                    row.editor.show(value)
                row.mark(None)
                row.reset.setEnabled(not same(value, row.entry.default))
                if name == "recipe":
                    self._mark_recipe()
        finally:
            self._refreshing = False

    @Slot(object)
    def _on_report(self, _report) -> None:
        self._update_outputs()

    def _on_graph_event(self, _event) -> None:
        self._nodes_timer.start()

    @Slot()
    def _update_nodes(self) -> None:
        """The node settings (a recipe's) list the graph's node ids as they are now."""
        self._nodes_timer.stop()
        if self.document is None:
            return
        node_ids = list(self.document.graph.nodes)
        self._refreshing = True
        try:
            for row in self.rows.values():
                row.editor.set_nodes(node_ids)
        finally:
            self._refreshing = False

    def _update_outputs(self) -> None:
        outputs = self.document.graph.output_nodes()
        self._refreshing = True
        try:
            for row in self.rows.values():
                row.editor.set_outputs(outputs)
        finally:
            self._refreshing = False

    # ---- loss and metrics from the dataset's output kind ----------------------------------------------------
    @staticmethod
    def _key(ref) -> str:
        return json.dumps(ref.to_dict(), sort_keys=True, default=str)

    def _dataset_changed(self) -> None:
        key = self._key(self.document.project.dataset)
        if key == self._dataset_key:
            return
        self._dataset_key = key
        self.proposal.hide()
        kind = known_output_kind(self.document.project.dataset.name)
        if kind is not None:
            self._pending_kind = None
            QTimer.singleShot(0, lambda d=self.document, k=key: self._follow_kind(d, k, kind))
        elif self.engine_ready:
            self._find_kind()
        else:
            self._pending_kind = key

    def _find_kind(self) -> None:
        """Read the user's data file off the GUI thread to learn its output kind."""
        self._pending_kind = None
        if self._task.running:  # the newest dataset is read when this one is done
            self._pending_kind = self._dataset_key
            return
        from builder.project import Project
        from builder.training import dataset_output_kind

        here = self.document.project  # its dataset and folder, not its graph (which the GUI thread edits)
        project = Project(dataset=copy.deepcopy(here.dataset), name=here.name, path=here.path)
        self._task_key = self._dataset_key
        self._task_document = self.document
        self._task.start(lambda: dataset_output_kind(project), name="settings-dataset-kind")

    @Slot(object)
    def _on_kind_found(self, kind: str) -> None:
        self._follow_kind(self._task_document, self._task_key, kind)
        self._next_pending()

    @Slot(str)
    def _on_kind_failed(self, message: str) -> None:
        self._next_pending()  # the data panel reports an unreadable dataset; the settings stay as they are

    def _next_pending(self) -> None:
        if self._pending_kind is not None and self.document is not None and self.engine_ready:
            self._find_kind()

    def _follow_kind(self, document, key: str, kind: str) -> None:
        """The dataset `key` of `document` has targets of `kind`: set its default loss and metrics if the
        project still has the defaults of another kind (offered instead while the user is undoing)."""
        if document is not self.document or key != self._dataset_key:
            return  # another project or dataset by now
        changes = output_defaults(self.config, kind)
        if not changes:
            return
        words = f"loss {changes['loss']} and metrics {', '.join(changes['metrics'])}"
        what = "a regression" if kind == "regression" else "a classification"
        if document.undo_stack.canRedo():
            self._proposed, self._proposed_kind = changes, kind
            self.proposal_text.setText(f"The dataset is {what} dataset: use {words}?")
            self.proposal.show()
            return
        document.set_settings("training", text=f"Loss and metrics for {what} dataset", **changes)
        self.message.emit(f"Training uses {words} for {what} dataset (undo to keep the previous ones).")

    @Slot()
    def _apply_proposal(self) -> None:
        self.proposal.hide()
        if self._proposed and output_defaults(self.config, self._proposed_kind):
            self.document.set_settings("training", text="Loss and metrics for the dataset", **self._proposed)
        self._proposed = {}
