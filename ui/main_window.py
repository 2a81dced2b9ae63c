"""The main window: palette, canvas, inspector and training panel around one open document."""
from __future__ import annotations

import functools
from pathlib import Path

from PySide6.QtCore import QSize, Qt, Signal, Slot
from PySide6.QtGui import QAction, QActionGroup, QCloseEvent, QKeySequence, QUndoGroup
from PySide6.QtWidgets import (QDockWidget, QFileDialog, QGraphicsItem, QInputDialog, QLabel, QMainWindow,
                               QMessageBox, QWidget)

from builder.errors import LayerboardError
from builder.project import list_templates
from ui.workers.background_task import BackgroundTask
from ui.canvas.scene import CanvasScene
from ui.canvas.view import CanvasView
from ui.workers.compatibility_updater import TARGETS, summary
from ui.document import Document
from ui.workers.engine_loader import EngineLoader
from ui.panels.export_dialog import ExportDialog
from ui.panels.inspector import Inspector
from ui.panels.palette import Palette
from ui.workers.training_controller import TrainingController, snapshot
from ui.panels.training_panel import TrainingPanel

PROJECT_FILTER = "Layerboard projects (*.json);;All files (*)"
DEFAULT_TEMPLATE = "digits_cnn"


def show_message(parent: QWidget, icon: QMessageBox.Icon, title: str, text: str) -> QMessageBox:
    """A window-modal message box that does not block the caller (nor a test)."""
    box = QMessageBox(icon, title, text, QMessageBox.StandardButton.Ok, parent)
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    box.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    box.open()
    return box


class MainWindow(QMainWindow):
    exportFinished = Signal(object)  # ExportReport
    exportFailed = Signal(str)

    def __init__(self, document: Document | None = None) -> None:
        super().__init__()
        self.setObjectName("MainWindow")
        self.resize(QSize(1400, 900))
        self.document: Document | None = None
        self.scene: CanvasScene | None = None
        self.undo_group = QUndoGroup(self)
        self.engine = EngineLoader(self)
        self.training = TrainingController(self)
        self._export_task = BackgroundTask(self)
        self.import_task = BackgroundTask(self)
        self.import_task.succeeded.connect(self._on_imported)
        self.import_task.failed.connect(
            lambda message: show_message(self, QMessageBox.Icon.Warning, "Cannot import model", message))

        self.view = CanvasView(self)
        self.setCentralWidget(self.view)
        self.palette = Palette(self)
        self.inspector = Inspector(self)
        self.training_panel = TrainingPanel(self.training, self)
        self._add_dock("Blocks", self.palette, Qt.DockWidgetArea.LeftDockWidgetArea, 190)
        self._add_dock("Inspector", self.inspector, Qt.DockWidgetArea.RightDockWidgetArea, 300)
        self._add_dock("Training", self.training_panel, Qt.DockWidgetArea.BottomDockWidgetArea, 210)

        self.summary = QLabel(self)
        self.statusBar().addPermanentWidget(self.summary)
        self.statusBar().showMessage("Loading Keras…")

        self._create_actions()
        self._create_menus()
        self.palette.blockActivated.connect(self._on_block_activated)
        self.inspector.refused.connect(self._show_status)
        self.training_panel.trainRequested.connect(self._on_train_requested)
        self.training.finished.connect(self._on_training_finished)
        self.training.failed.connect(self._on_training_failed)
        self.engine.ready.connect(self._on_engine_ready)
        self.engine.failed.connect(self._on_engine_failed)
        self._export_task.succeeded.connect(self._on_export_succeeded)
        self._export_task.failed.connect(self._on_export_failed)
        self.set_document(document or Document.from_template(DEFAULT_TEMPLATE, self))

    def _add_dock(self, title: str, widget: QWidget, area: Qt.DockWidgetArea, size: int) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(f"{title}Dock")
        dock.setWidget(widget)
        dock.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetMovable | QDockWidget.DockWidgetFeature.DockWidgetFloatable)
        self.addDockWidget(area, dock)
        orientation = Qt.Orientation.Vertical if area == Qt.DockWidgetArea.BottomDockWidgetArea else Qt.Orientation.Horizontal
        self.resizeDocks([dock], [size], orientation)
        return dock

    # ---- actions and menus --------------------------------------------------------------------
    def _create_actions(self) -> None:
        # Menu actions call no-argument slots: `triggered` passes a `checked` flag that the
        # methods' optional path/format arguments must not receive.
        self.open_action = QAction("&Open…", self, shortcut=QKeySequence.StandardKey.Open, triggered=self._on_open)
        self.save_action = QAction("&Save", self, shortcut=QKeySequence.StandardKey.Save, triggered=self._on_save)
        self.save_as_action = QAction("Save &As…", self, shortcut=QKeySequence.StandardKey.SaveAs,
                                      triggered=self._on_save_as)
        self.export_action = QAction("&Export Trained Model…", self, shortcut="Ctrl+E", triggered=self._on_export)
        self.import_action = QAction("&Import Keras Model…", self, shortcut="Ctrl+I", triggered=self._on_import)
        self.quit_action = QAction("&Quit", self, shortcut=QKeySequence.StandardKey.Quit, triggered=self.close)
        self.undo_action = self.undo_group.createUndoAction(self, "&Undo")
        self.undo_action.setShortcut(QKeySequence.StandardKey.Undo)
        self.redo_action = self.undo_group.createRedoAction(self, "&Redo")
        self.redo_action.setShortcut(QKeySequence.StandardKey.Redo)
        self.delete_action = QAction("&Delete", self, triggered=self.delete_selection)
        self.delete_action.setShortcuts([QKeySequence(QKeySequence.StandardKey.Delete), QKeySequence(Qt.Key.Key_Backspace)])
        self.select_all_action = QAction("Select &All", self, shortcut=QKeySequence.StandardKey.SelectAll,
                                         triggered=self.select_all)
        # ---- composite blocks (builder/composites.py) ----
        self.save_block_action = QAction("Save Selection as &Block…", self, triggered=self._on_save_block)
        self.save_block_action.setStatusTip("Save the selected blocks as a reusable block under 'My blocks'")
        self.expand_block_action = QAction("E&xpand Block", self, triggered=self._on_expand_block)
        self.expand_block_action.setStatusTip("Replace the selected composite block by the layers inside it")
        # ---- end composite blocks ----
        self.fit_action = QAction("&Fit Graph in View", self, shortcut="Ctrl+0", triggered=self._fit)
        self.zoom_in_action = QAction("Zoom &In", self, shortcut=QKeySequence.StandardKey.ZoomIn, triggered=self._zoom_in)
        self.zoom_out_action = QAction("Zoom &Out", self, shortcut=QKeySequence.StandardKey.ZoomOut,
                                       triggered=self._zoom_out)
        # TFLite badges: off by default, so no conversion process starts unless the user asks.
        self.compat_target: str | None = None
        self.compat_actions = QActionGroup(self)
        self.compat_actions.setExclusive(True)
        for target, label in {None: "Off", **TARGETS}.items():
            action = QAction(label, self, checkable=True, checked=target is None)
            action.setData(target)
            action.setStatusTip("Badge each block with whether it converts to " + label if target else
                                "No TFLite badges")
            self.compat_actions.addAction(action)
        self.compat_actions.triggered.connect(self._on_compat_target_chosen)

    @Slot()
    def _on_open(self) -> None:
        self.open_file()

    @Slot()
    def _on_save(self) -> None:
        self.save()

    @Slot()
    def _on_save_as(self) -> None:
        self.save_as()

    @Slot()
    def _on_export(self) -> None:
        self.export()

    def _create_menus(self) -> None:
        file_menu = self.menuBar().addMenu("&File")
        templates = file_menu.addMenu("&New from Template")
        for info in list_templates():
            action = templates.addAction(info.name)
            action.setData(info.name)
            action.setStatusTip(info.description)
            action.triggered.connect(self._on_template_chosen)
        file_menu.addAction(self.open_action)
        file_menu.addAction(self.import_action)
        file_menu.addSeparator()
        file_menu.addAction(self.save_action)
        file_menu.addAction(self.save_as_action)
        file_menu.addSeparator()
        file_menu.addAction(self.export_action)
        file_menu.addSeparator()
        file_menu.addAction(self.quit_action)
        edit_menu = self.menuBar().addMenu("&Edit")
        edit_menu.addAction(self.undo_action)
        edit_menu.addAction(self.redo_action)
        edit_menu.addSeparator()
        edit_menu.addAction(self.delete_action)
        edit_menu.addAction(self.select_all_action)
        edit_menu.addSeparator()
        edit_menu.addAction(self.save_block_action)
        edit_menu.addAction(self.expand_block_action)
        view_menu = self.menuBar().addMenu("&View")
        view_menu.addAction(self.fit_action)
        view_menu.addAction(self.zoom_in_action)
        view_menu.addAction(self.zoom_out_action)
        view_menu.addSeparator()
        compat_menu = view_menu.addMenu("TFLite &compatibility")
        compat_menu.addActions(self.compat_actions.actions())
        view_menu.addSeparator()
        for dock in self.findChildren(QDockWidget):
            view_menu.addAction(dock.toggleViewAction())

    # ---- the document ------------------------------------------------------------------------
    def set_document(self, document: Document) -> None:
        """Show another document; the previous one (and its scene) is discarded."""
        old_doc, old_scene = self.document, self.scene
        document.setParent(self)
        self.document = document
        self.undo_group.addStack(document.undo_stack)
        self.undo_group.setActiveStack(document.undo_stack)
        self.scene = CanvasScene(document, self)
        self.scene.selectionChanged.connect(self._on_selection_changed)
        self.scene.interactions.message.connect(self._show_status)
        self.view.setScene(self.scene)
        document.titleChanged.connect(self._update_title)
        document.dirtyChanged.connect(self._update_title)
        document.shapes.reportChanged.connect(self._on_report)
        document.compatibility.busyChanged.connect(self._on_compat_busy)
        document.compatibility.resultsChanged.connect(self._on_compat_results)
        document.compatibility.checkFailed.connect(self._show_status)
        document.compatibility.set_target(self.compat_target)
        self.inspector.set_document(document)
        self.training_panel.set_epochs(document.project.training.epochs)
        if self.engine.is_ready:
            document.shapes.set_engine_ready()
        if old_scene is not None:
            old_scene.close()
            old_scene.deleteLater()
        if old_doc is not None:
            self.undo_group.removeStack(old_doc.undo_stack)
            old_doc.close()
            old_doc.deleteLater()
        self._update_title()
        self._update_summary()
        self.view.fit_graph_when_shown()

    @Slot()
    def _update_title(self) -> None:
        self.setWindowTitle(f"{self.document.title}[*] — Layerboard")
        self.setWindowModified(self.document.dirty)

    def maybe_save(self) -> bool:
        """Ask about unsaved changes; False means the user cancelled."""
        if not self.document.dirty:
            return True
        answer = QMessageBox.question(
            self, "Unsaved changes", f"Save the changes to {self.document.title}?",
            QMessageBox.StandardButton.Save | QMessageBox.StandardButton.Discard | QMessageBox.StandardButton.Cancel)
        if answer == QMessageBox.StandardButton.Save:
            return self.save()
        return answer == QMessageBox.StandardButton.Discard

    @Slot()
    def _on_template_chosen(self) -> None:
        self.new_from_template(self.sender().data())

    def new_from_template(self, name: str) -> bool:
        if not self.maybe_save():
            return False
        try:
            self.set_document(Document.from_template(name, self))
        except LayerboardError as exc:
            show_message(self, QMessageBox.Icon.Warning, "Cannot open template", str(exc))
            return False
        return True

    def open_file(self, path: str | Path | None = None) -> bool:
        if not self.maybe_save():
            return False
        if not path:
            path = QFileDialog.getOpenFileName(self, "Open project", "", PROJECT_FILTER)[0]
            if not path:
                return False
        try:
            self.set_document(Document.from_file(path, self))
        except LayerboardError as exc:
            show_message(self, QMessageBox.Icon.Warning, "Cannot open project", str(exc))
            return False
        self._show_status(f"Opened {path}")
        return True

    def _on_import(self) -> None:
        if not self.maybe_save():
            return
        source = QFileDialog.getOpenFileName(self, "Import Keras model", "", "Keras models (*.keras *.h5)")[0]
        if not source:
            return
        suggestion = str(Path(source).with_suffix(".json"))
        target = QFileDialog.getSaveFileName(self, "Save the imported project as", suggestion, PROJECT_FILTER)[0]
        if target:
            self.import_model_file(source, target)

    def import_model_file(self, source: str | Path, target: str | Path) -> None:
        """Import a .keras/.h5 model into a project file (weights beside it) off the GUI thread, then open it."""
        from builder.importer import import_model

        if self.import_task.running:
            self._show_status("An import is already running.")
            return
        self._show_status(f"Importing {source}…")
        self.import_task.start(lambda: import_model(str(source), str(target), force=True), name="import-model")

    def _on_imported(self, result) -> None:
        self.open_file(result.project_path)
        for note in result.notes:
            self._show_status(note)

    def save(self) -> bool:
        if self.document.path is None:
            return self.save_as()
        return self._save_to(self.document.path)

    def save_as(self, path: str | Path | None = None) -> bool:
        if not path:
            suggestion = str(self.document.path or Path.cwd() / f"{self.document.project.name}.json")
            path = QFileDialog.getSaveFileName(self, "Save project as", suggestion, PROJECT_FILTER)[0]
            if not path:
                return False
        return self._save_to(Path(path))

    def _save_to(self, path: Path) -> bool:
        try:
            self.document.save(path)
        except (LayerboardError, OSError) as exc:
            show_message(self, QMessageBox.Icon.Warning, "Cannot save project", str(exc))
            return False
        self._show_status(f"Saved {path}")
        return True

    # ---- editing ------------------------------------------------------------------------------
    @Slot()
    def delete_selection(self) -> None:
        self.scene.delete_selection()

    @Slot()
    def select_all(self) -> None:
        for item in self.scene.items():
            if item.flags() & QGraphicsItem.GraphicsItemFlag.ItemIsSelectable:
                item.setSelected(True)

    # ---- composite blocks (builder/composites.py) ----
    @Slot()
    def _on_save_block(self) -> None:
        self.save_selection_as_block()

    @Slot()
    def _on_expand_block(self) -> None:
        self.expand_block()

    def save_selection_as_block(self, name: str | None = None, description: str = "") -> Path | None:
        """Save the selected nodes as a block in the user's blocks folder; asks for a name if none is given."""
        from builder.blocks import composites
        from builder.model import save_selection

        ids = self.scene.selected_node_ids()
        if not ids:
            show_message(self, QMessageBox.Icon.Information, "Nothing selected",
                         "Select the blocks to save first (drag a rectangle, or Ctrl+click).")
            return None
        if name is None:
            name, ok = QInputDialog.getText(self, "Save selection as block",
                                            "Block name (CamelCase, e.g. MyResidualBlock):")
            if not ok or not name.strip():
                return None
        try:
            data = save_selection(self.document.graph, ids, name.strip(), description)
            path = composites.save_block(data)
        except (LayerboardError, OSError) as exc:
            show_message(self, QMessageBox.Icon.Warning, "Cannot save block", str(exc))
            return None
        self.palette.reload()
        self._show_status(f"Saved block {data['name']} to {path}; it is in the palette under 'My blocks'.")
        return path

    def expand_block(self, node_id: str | None = None) -> list[str]:
        """Replace a composite node (default: the selected one) by its inner nodes, as one undo step."""
        from builder.blocks import composites
        from ui.document.composite_commands import ExpandBlockCommand

        if node_id is None:
            blocks = [n for n in self.scene.selected_node_ids()
                      if composites.is_composite(self.document.graph.nodes[n].type)]
            if len(blocks) != 1:
                self._show_status("Select one composite block (from 'Blocks' or 'My blocks') to expand it.")
                return []
            node_id = blocks[0]
        try:
            command = ExpandBlockCommand(self.document.graph, node_id)
        except LayerboardError as exc:
            show_message(self, QMessageBox.Icon.Warning, "Cannot expand block", str(exc))
            return []
        self.document.push(command)
        self.scene.clearSelection()
        for new_id in command.new_ids:
            self.scene.node_items[new_id].setSelected(True)
        return command.new_ids
    # ---- end composite blocks ----

    @Slot()
    def _fit(self) -> None:
        self.view.fit_graph()

    @Slot()
    def _zoom_in(self) -> None:
        self.view.set_zoom(self.view.zoom * 1.25)

    @Slot()
    def _zoom_out(self) -> None:
        self.view.set_zoom(self.view.zoom * 0.8)

    @Slot(str)
    def _on_block_activated(self, block_type: str) -> None:
        centre = self.view.mapToScene(self.view.viewport().rect().center())
        self.scene.add_block(block_type, centre)

    @Slot()
    def _on_selection_changed(self) -> None:
        ids = self.scene.selected_node_ids()
        self.inspector.show_node(ids[0] if len(ids) == 1 else None)

    # ---- TFLite badges (ui/compatibility_badges.py) ----
    def set_compat_target(self, target: str | None) -> None:
        """Badge every block for "tflite" or "tflite-int8"; None turns the badges off."""
        self.compat_target = target
        for action in self.compat_actions.actions():
            action.setChecked(action.data() == target)
        self.document.compatibility.set_target(target)
        if target is not None and not self.engine.is_ready:
            self._show_status("TFLite badges appear once Keras has loaded.")

    @Slot(QAction)
    def _on_compat_target_chosen(self, action: QAction) -> None:
        self.set_compat_target(action.data())

    @Slot(bool)
    def _on_compat_busy(self, busy: bool) -> None:
        if busy and self.compat_target is not None and not self.document.compatibility.results:
            self._show_status(f"Checking blocks for {TARGETS[self.compat_target]}… "
                              "(a block not seen before takes a few seconds)")

    @Slot(object)
    def _on_compat_results(self, results: dict) -> None:
        if results and self.compat_target is not None:
            self._show_status(summary(self.compat_target, results))
    # ---- end TFLite badges ----

    # ---- engine, shapes, status ---------------------------------------------------------------------
    def start_engine(self) -> None:
        """Import Keras in the background (call after the window is shown)."""
        self.engine.start()

    @Slot()
    def _on_engine_ready(self) -> None:
        self.document.shapes.set_engine_ready()
        self.inspector.set_engine_ready()
        self.training_panel.set_engine_ready()
        self._show_status(f"Keras loaded in {self.engine.seconds:.1f} s.")

    @Slot(str)
    def _on_engine_failed(self, message: str) -> None:
        self._show_status(message)
        show_message(self, QMessageBox.Icon.Critical, "Keras could not be loaded", message)

    @Slot(object)
    def _on_report(self, _report) -> None:
        self._update_summary()

    def _update_summary(self) -> None:
        graph = self.document.graph
        report = self.document.shapes.report
        text = f"{len(graph.nodes)} blocks"
        if report is None:
            text += " · loading Keras…"
        else:
            problems = len(report.graph_errors) + sum(1 for r in report.nodes.values() if r.error and not r.blocked_by)
            text += f" · {report.total_params:,} parameters · "
            text += "valid" if report.valid else f"{problems} problem{'s' if problems != 1 else ''}"
        self.summary.setText(text)

    @Slot(str)
    def _show_status(self, message: str) -> None:
        self.statusBar().showMessage(message, 8000)

    # ---- training and export -------------------------------------------------------------------
    @Slot(int)
    def _on_train_requested(self, epochs: int) -> None:
        report = self.document.shapes.report
        if report is not None and not report.valid:
            show_message(self, QMessageBox.Icon.Warning, "The model cannot be trained", report.summary())
            return
        self.training.start(self.document.project, epochs)
        self._show_status("Training started.")

    @Slot(object)
    def _on_training_finished(self, result) -> None:
        what = "stopped" if result.stopped else "finished"
        self._show_status(f"Training {what}; the model is in {result.run_dir}. File ▸ Export writes it out.")

    @Slot(str)
    def _on_training_failed(self, message: str) -> None:
        self._show_status(message)
        show_message(self, QMessageBox.Icon.Warning, "Training failed", message)

    def export(self, fmt: str | None = None, path: str | Path | None = None, options=None) -> bool:
        """Export the last trained model (`options`: an ExportOptions, default float32); with no arguments, ask
        for the format, TFLite options and path."""
        from builder.export import ExportOptions

        result = self.training.last_result
        if result is None:
            show_message(self, QMessageBox.Icon.Information, "Nothing to export yet",
                         "Export writes the model of the last training run. Train the model first (Train, below).")
            return False
        if self._export_task.running:
            self._show_status("An export is already running.")
            return False
        if fmt is None or path is None:
            dialog = ExportDialog(result.run_dir, self.document.project.name, self)
            if dialog.exec() != ExportDialog.DialogCode.Accepted:
                return False
            fmt, path, options = dialog.fmt, dialog.path, dialog.options
        options = options or ExportOptions()
        self._export_task.start(functools.partial(_export, result.model_path, fmt, Path(path),
                                                  snapshot(self.document.project), options), "export")
        self.export_action.setEnabled(False)
        self._show_status(f"Exporting {fmt} to {path}…")
        return True

    @Slot(object)
    def _on_export_succeeded(self, report) -> None:
        self.export_action.setEnabled(True)
        self._show_status(f"Exported {report.path}")
        show_message(self, QMessageBox.Icon.Information, "Export finished", report.summary())
        self.exportFinished.emit(report)

    @Slot(str)
    def _on_export_failed(self, message: str) -> None:
        self.export_action.setEnabled(True)
        self._show_status(message)
        show_message(self, QMessageBox.Icon.Warning, "Export failed", message)
        self.exportFailed.emit(message)

    # ---- closing ------------------------------------------------------------------------------
    def closeEvent(self, event: QCloseEvent) -> None:
        if not self.maybe_save():
            event.ignore()
            return
        self.shutdown()
        event.accept()

    def shutdown(self) -> None:
        """End every worker thread: training (stopped cooperatively), export, the Keras import."""
        self.training.shutdown()
        self.document.compatibility.close()
        self._export_task.wait()
        self.import_task.wait()
        self.engine.wait()


def _export(model_path: Path, fmt: str, out_path: Path, project, options):
    """Runs on the export thread: the engine's export, which imports TensorFlow and converts."""
    from builder.export import export_model

    return export_model(model_path, fmt, out_path, project, options=options)
