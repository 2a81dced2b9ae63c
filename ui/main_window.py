"""The main window, the shell around one open document: docks, menus, status bar; the controllers act."""
from __future__ import annotations

from PySide6.QtCore import QSize, Qt, Slot
from PySide6.QtGui import QAction, QActionGroup, QCloseEvent, QKeySequence, QUndoGroup
from PySide6.QtWidgets import QDockWidget, QMainWindow, QMessageBox, QWidget

from ui.canvas.scene import CanvasScene
from ui.canvas.view import CanvasView
from ui.controllers.badge_actions import BadgeActions
from ui.controllers.canvas_menus import CanvasMenus
from ui.controllers.edit_actions import EditActions
from ui.controllers.export_actions import ExportActions
from ui.controllers.file_actions import FileActions
from ui.controllers.import_actions import ImportActions
from ui.controllers.recent_files import RecentFiles
from ui.controllers.recovery_actions import RecoveryActions
from ui.controllers.theme_actions import ThemeActions
from ui.controllers.training_actions import TrainingActions
from ui.controllers.view_actions import ViewActions
from ui.controllers.window_layout import WindowLayout
from ui.document import Document
from ui.message_box import show_message
from ui.panels.data_panel import DataPanel
from ui.panels.device_panel import DevicePanel
from ui.panels.evaluation_panel import EvaluationPanel
from ui.panels.inspector import Inspector
from ui.panels.model_summary import ModelSummary
from ui.panels.palette import Palette
from ui.panels.runs_panel import RunsPanel
from ui.panels.settings_panel import SettingsPanel
from ui.panels.shortcuts_dialog import ShortcutsDialog
from ui.panels.training_panel import TrainingPanel
from ui.workers.compatibility_updater import TARGETS
from ui.workers.engine_loader import EngineLoader
from ui.workers.training_controller import TrainingController

DEFAULT_TEMPLATE = "digits_cnn"


class MainWindow(QMainWindow):
    """Palette, canvas, inspector and training panel around one document; `set_document` swaps it.

    The menus' actions call the controllers (ui/controllers/): `file_actions`, `import_actions`,
    `export_actions`, `edit_actions` (composite blocks too), `training_actions` and `badge_actions`.
    """

    def __init__(self, document: Document | None = None) -> None:
        super().__init__()
        self.setObjectName("MainWindow")
        self.resize(QSize(1400, 900))
        self.document: Document | None = None
        self.scene: CanvasScene | None = None
        self.undo_group = QUndoGroup(self)
        self.engine = EngineLoader(self)
        self.training = TrainingController(self)

        self.view = CanvasView(self)
        self.setCentralWidget(self.view)
        self.palette = Palette(self)
        self.inspector = Inspector(self)
        self.training_panel = TrainingPanel(self.training, self)
        self.data_panel = DataPanel(self)
        self.settings_panel = SettingsPanel(self)
        self.runs_panel = RunsPanel(self)
        self.evaluation_panel = EvaluationPanel(self)
        self.device_panel = DevicePanel(self)
        # The workflow panels that follow the open document (set_document) and Keras being loaded (set_engine_ready).
        self.workflow_panels = (self.data_panel, self.settings_panel, self.runs_panel, self.evaluation_panel,
                                self.device_panel)
        right, bottom = Qt.DockWidgetArea.RightDockWidgetArea, Qt.DockWidgetArea.BottomDockWidgetArea
        self._add_dock("Blocks", self.palette, Qt.DockWidgetArea.LeftDockWidgetArea, self.palette.content_width())
        inspector_dock = self._add_dock("Inspector", self.inspector, right, 330)
        self.tabifyDockWidget(inspector_dock, self._add_dock("Data", self.data_panel, right, 330))
        self.tabifyDockWidget(inspector_dock, self._add_dock("Settings", self.settings_panel, right, 330))
        training_dock = self._add_dock("Training", self.training_panel, bottom, 250)
        for title, panel in (("Runs", self.runs_panel), ("Evaluation", self.evaluation_panel),
                             ("Device", self.device_panel)):
            self.tabifyDockWidget(training_dock, self._add_dock(title, panel, bottom, 250))
        inspector_dock.raise_()
        training_dock.raise_()

        self.file_actions = FileActions(self)
        self.import_actions = ImportActions(self, self.file_actions)
        self.export_actions = ExportActions(self, self.training)
        self.edit_actions = EditActions(self, self.view)
        self.training_actions = TrainingActions(self, self.training)
        self.badge_actions = BadgeActions(self, self.engine)
        self.theme_actions = ThemeActions(self)
        self.view_actions = ViewActions(self, self.view)  # View ▸ auto-layout, fit, zoom, minimap, image
        self.recovery_actions = RecoveryActions(self, self.file_actions)  # autosave, restore after a crash
        self.recent_files = RecentFiles(self, self.file_actions)  # File ▸ Open Recent
        self.canvas_menus = CanvasMenus(self)  # right-click on a block, a wire or the canvas
        self.window_layout = WindowLayout(self)  # geometry and docks, remembered
        for controller in (self.file_actions, self.import_actions, self.export_actions, self.edit_actions,
                           self.training_actions, self.badge_actions, self.theme_actions, self.view_actions,
                           self.recovery_actions, self.recent_files, self.canvas_menus, self.window_layout):
            controller.status.connect(self._show_status)

        self.model_summary = ModelSummary(self)  # blocks, parameters, memory, FLOPs; problems (click: the first)
        self.model_summary.problemsClicked.connect(self.select_first_problem)
        self.statusBar().addPermanentWidget(self.model_summary)
        self.statusBar().showMessage("Loading Keras…")

        self._create_actions()
        self._create_menus()
        self.file_actions.documentOpened.connect(self.set_document)
        self.edit_actions.compositeBlocksChanged.connect(self.palette.reload)
        self.export_actions.runningChanged.connect(self._on_export_running)
        self.badge_actions.targetChanged.connect(self._on_compat_target_changed)
        self.palette.blockTypeActivated.connect(self.edit_actions.add_node_at_view_centre)
        self.inspector.refused.connect(self._show_status)
        for panel in self.workflow_panels:
            panel.message.connect(self._show_status)
        self.training_panel.trainRequested.connect(self.training_actions.train)
        self._connect_workflow()
        self.engine.ready.connect(self._on_engine_ready)
        self.engine.failed.connect(self._on_engine_failed)
        self.set_document(document or Document.from_template(DEFAULT_TEMPLATE, self))
        self.window_layout.restore()

    def _connect_workflow(self) -> None:
        """The workflow panels talk through the window: runs → resume, evaluation, export; a run's end → runs."""
        self.runs_panel.resumeRequested.connect(self.training_actions.resume_run)
        self.runs_panel.evaluateRequested.connect(self._evaluate_run)
        self.runs_panel.exportRequested.connect(self._export_run)
        self.data_panel.mismatchesChanged.connect(self._on_dataset_mismatches)
        self.file_actions.runsAdopted.connect(self._on_training_ended)  # a save took the runs along
        self.training.finished.connect(self._on_training_ended)
        self.training.failed.connect(self._on_training_ended)

    @Slot(object)
    def _on_dataset_mismatches(self, problems: dict) -> None:
        self.scene.apply_dataset_problems(problems)
        self._update_summary()

    @Slot(str)
    def _evaluate_run(self, run_dir: str) -> None:
        self._raise_dock(self.evaluation_panel)
        self.evaluation_panel.show_run(run_dir)

    @Slot(str)
    def _export_run(self, run_dir: str) -> None:
        self.export_actions.export_run(run_dir)

    @Slot()
    def _on_training_ended(self, *_args) -> None:
        self.runs_panel.refresh()
        self.evaluation_panel.refresh_runs()
        self.scene.recipe_check.run_now()  # a teacher this run wrote (a template teacher) may now be there

    def _raise_dock(self, panel: QWidget) -> None:
        for dock in self.findChildren(QDockWidget):
            if dock.widget() is panel:
                dock.show()
                dock.raise_()

    def _add_dock(self, title: str, widget: QWidget, area: Qt.DockWidgetArea, size: int) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(f"{title}Dock")
        dock.setWidget(widget)
        features = QDockWidget.DockWidgetFeature
        dock.setFeatures(features.DockWidgetMovable | features.DockWidgetFloatable | features.DockWidgetClosable)
        self.addDockWidget(area, dock)
        orientation = Qt.Orientation.Vertical if area == Qt.DockWidgetArea.BottomDockWidgetArea else Qt.Orientation.Horizontal
        self.resizeDocks([dock], [size], orientation)
        return dock

    # ---- actions and menus --------------------------------------------------------------------
    def _create_actions(self) -> None:
        files, edits = self.file_actions, self.edit_actions
        self.open_action = QAction("&Open…", self, shortcut=QKeySequence.StandardKey.Open, triggered=files.on_open)
        self.save_action = QAction("&Save", self, shortcut=QKeySequence.StandardKey.Save, triggered=files.on_save)
        self.save_as_action = QAction("Save &As…", self, shortcut=QKeySequence.StandardKey.SaveAs,
                                      triggered=files.on_save_as)
        self.export_action = QAction("&Export Trained Model…", self, shortcut="Ctrl+E",
                                     triggered=self.export_actions.on_export)
        self.import_action = QAction("&Import Keras Model…", self, shortcut="Ctrl+I",
                                     triggered=self.import_actions.on_import)
        self.quit_action = QAction("&Quit", self, shortcut=QKeySequence.StandardKey.Quit, triggered=self.close)
        self.undo_action = self.undo_group.createUndoAction(self, "&Undo")
        self.undo_action.setShortcut(QKeySequence.StandardKey.Undo)
        self.redo_action = self.undo_group.createRedoAction(self, "&Redo")
        self.redo_action.setShortcut(QKeySequence.StandardKey.Redo)
        self.delete_action = QAction("&Delete", self, triggered=edits.delete_selection)
        self.delete_action.setShortcuts([QKeySequence(QKeySequence.StandardKey.Delete), QKeySequence(Qt.Key.Key_Backspace)])
        self.select_all_action = QAction("Select &All", self, shortcut=QKeySequence.StandardKey.SelectAll,
                                         triggered=edits.select_all)
        self.save_block_action = QAction("Save Selection as &Block…", self, triggered=edits.on_save_composite_block)
        self.save_block_action.setStatusTip("Save the selected blocks as a reusable block under 'My blocks'")
        self.expand_block_action = QAction("E&xpand Block", self, triggered=edits.on_expand_composite_block)
        self.expand_block_action.setStatusTip("Replace the selected composite block by the layers inside it")
        self.wire_shapes_action = QAction("Wire &Shapes", self, checkable=True, toggled=self._show_wire_shapes)
        self.wire_shapes_action.setStatusTip("Write on every wire the shape it carries")
        self.shortcuts_action = QAction("&Keyboard Shortcuts", self, shortcut="F1", triggered=self.show_shortcuts)
        self.compat_actions = QActionGroup(self)
        self.compat_actions.setExclusive(True)
        for target, label in {None: "Off", **TARGETS}.items():
            action = QAction(label, self, checkable=True, checked=target is None)
            action.setData(target)
            action.setStatusTip("Badge each block with whether it converts to " + label if target else
                                "No TFLite badges")
            self.compat_actions.addAction(action)
        self.compat_actions.triggered.connect(self._on_compat_target_chosen)

    def _create_menus(self) -> None:
        file_menu = self.menuBar().addMenu("&File")
        file_menu.addAction(self.file_actions.new_from_template_action)  # the template gallery
        file_menu.addAction(self.open_action)
        file_menu.addMenu(self.recent_files.menu)
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
        edits = self.edit_actions
        edit_menu.addActions([edits.cut_action, edits.copy_action, edits.paste_action, edits.duplicate_action])
        edit_menu.addAction(self.delete_action)
        edit_menu.addAction(edits.rename_action)
        edit_menu.addAction(self.select_all_action)
        edit_menu.addSeparator()
        edit_menu.addAction(self.save_block_action)
        edit_menu.addAction(self.expand_block_action)
        view_menu = self.menuBar().addMenu("&View")
        for action in self.view_actions.actions():
            if action is None:
                view_menu.addSeparator()
            else:
                view_menu.addAction(action)
        self.view_actions.add_redo_shortcut(self.redo_action)  # Ctrl+Y redoes too
        view_menu.addAction(self.wire_shapes_action)
        view_menu.addSeparator()
        compat_menu = view_menu.addMenu("TFLite &compatibility")
        compat_menu.addActions(self.compat_actions.actions())
        view_menu.addMenu("&Theme").addActions(self.theme_actions.group.actions())
        view_menu.addSeparator()
        panels = view_menu.addMenu("&Panels")
        for dock in self.findChildren(QDockWidget):
            panels.addAction(dock.toggleViewAction())
        panels.addSeparator()
        panels.addAction("&Reset Layout", self.window_layout.reset)
        help_menu = self.menuBar().addMenu("&Help")
        help_menu.addAction(self.shortcuts_action)

    @Slot(QAction)
    def _on_compat_target_chosen(self, action: QAction) -> None:
        self.badge_actions.set_target(action.data())

    @Slot(object)
    def _on_compat_target_changed(self, target: str | None) -> None:
        for action in self.compat_actions.actions():
            action.setChecked(action.data() == target)

    @Slot(bool)
    def _on_export_running(self, running: bool) -> None:
        self.export_action.setEnabled(not running)

    # ---- the document ------------------------------------------------------------------------
    @Slot(object)
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
        self.scene.interactions.renameRequested.connect(self.edit_actions.rename_node)
        self.scene.interactions.contextMenuRequested.connect(self.canvas_menus.show)
        self.scene.set_wire_labels(self.wire_shapes_action.isChecked())
        self.view.setScene(self.scene)
        document.titleChanged.connect(self._update_title)
        document.dirtyChanged.connect(self._update_title)
        document.shapes.reportChanged.connect(self._on_report)
        self.scene.recipe_check.problemsChanged.connect(self._on_report)
        for controller in (self.file_actions, self.export_actions, self.training_actions):
            controller.set_document(document)
        self.edit_actions.set_scene(self.scene)
        self.badge_actions.set_document(document)
        self.inspector.set_document(document)
        for panel in self.workflow_panels:
            panel.set_document(document)
        self.scene.apply_dataset_problems(self.data_panel.mismatches)
        self.training_panel.set_document(document)
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

    @Slot()
    def _on_selection_changed(self) -> None:
        ids = self.scene.selected_node_ids()
        self.inspector.show_nodes(ids)

    # ---- engine, shapes, status ---------------------------------------------------------------------
    def start_engine(self) -> None:
        """Import Keras in the background (call after the window is shown)."""
        self.engine.start()

    @Slot()
    def _on_engine_ready(self) -> None:
        self.document.shapes.set_engine_ready()
        self.inspector.set_engine_ready()
        self.training_panel.set_engine_ready()
        for panel in self.workflow_panels:
            panel.set_engine_ready()
        self._show_status(f"Keras loaded in {self.engine.seconds:.1f} s.")

    @Slot(str)
    def _on_engine_failed(self, message: str) -> None:
        self._show_status(message)
        show_message(self, QMessageBox.Icon.Critical, "Keras could not be loaded", message)

    @Slot(object)
    def _on_report(self, _report) -> None:
        self._update_summary()

    def _update_summary(self) -> None:
        self.model_summary.update_summary(self.document, self.data_panel.mismatches,
                                          self.scene.recipe_check.problems if self.scene is not None else None)

    @Slot()
    def select_first_problem(self) -> None:
        """Select (and show) the first block with a problem of its own, else the first that misfits the dataset."""
        report = self.document.shapes.report
        node_id = report.first_problem() if report is not None else None
        if node_id is None:
            node_id = next(iter(self.data_panel.mismatches), None)
        recipe = self.scene.recipe_check.problems
        if node_id is None:
            node_id = next(iter(recipe.nodes), None)
        item = self.scene.node_items.get(node_id) if node_id is not None else None
        if item is None:
            if report is not None and report.graph_errors:
                self._show_status(report.graph_errors[0])
            elif recipe.general:
                self._show_status(recipe.general[0])
            return
        self.scene.clearSelection()
        item.setSelected(True)
        self.view.centerOn(item)
        self.view.setFocus()

    @Slot(bool)
    def _show_wire_shapes(self, on: bool) -> None:
        if self.scene is not None:
            self.scene.set_wire_labels(on)

    @Slot()
    def show_shortcuts(self) -> None:
        ShortcutsDialog(self.menuBar(), self).exec()

    @Slot(str)
    def _show_status(self, message: str) -> None:
        self.statusBar().showMessage(message, 8000)

    # ---- closing ------------------------------------------------------------------------------
    def closeEvent(self, event: QCloseEvent) -> None:
        if not self.file_actions.maybe_save():
            event.ignore()
            return
        self.recovery_actions.discard_recovery()  # saved or discarded: nothing left to recover
        self.window_layout.save()
        self.shutdown()
        event.accept()

    def shutdown(self) -> None:
        """End every worker thread: training (stopped cooperatively), export, import, the Keras import."""
        self.training.shutdown()
        self.evaluation_panel.shutdown()
        self.device_panel.shutdown()
        self.runs_panel.wait()
        self.training_panel.wait()
        self.settings_panel.wait()
        self.data_panel.wait()
        self.document.compatibility.close()
        if self.scene is not None:
            self.scene.recipe_check.close()
        self.export_actions.wait()
        self.import_actions.wait()
        self.engine.wait()
