"""View ▸ Auto-Layout, Fit, Zoom, Minimap and Export Canvas as Image; Ctrl+Y as a second redo shortcut."""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Slot
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QFileDialog, QMessageBox, QWidget

from builder.errors import LayerboardError
from ui.canvas.canvas_image import export_canvas_image
from ui.canvas.view import CanvasView
from ui.controllers.window_controller import WindowController
from ui.document.layout_commands import AutoLayoutCommand
from ui.message_box import show_message

ZOOM_STEP = 1.25
IMAGE_FILTERS = {"PNG image (*.png)": ".png", "SVG drawing (*.svg)": ".svg"}


class ViewActions(WindowController):
    """Acts on the view's current scene (and its document); the actions are the window's, so their shortcuts
    work wherever the focus is in the window."""

    def __init__(self, window: QWidget, view: CanvasView) -> None:
        super().__init__(window)
        self.view = view
        self.auto_layout_action = self._action(
            "&Auto-Layout", "Ctrl+L", self.auto_layout,
            "Lay the graph out top to bottom (only the selected blocks when two or more are selected)")
        self.fit_action = self._action("&Fit Graph in View", "Ctrl+0", self.fit, "Show the whole graph")
        self.zoom_in_action = self._action("Zoom &In", QKeySequence.StandardKey.ZoomIn, self.zoom_in, "Zoom in")
        self.zoom_out_action = self._action("Zoom &Out", QKeySequence.StandardKey.ZoomOut, self.zoom_out, "Zoom out")
        self.minimap_action = self._action("&Minimap", None, self.set_minimap_shown,
                                           "An overview of the whole graph in the canvas's corner", checkable=True)
        self.export_image_action = self._action("Export Canvas as &Image…", None, self.on_export_image,
                                                "Save the graph as a PNG picture or an SVG drawing")
        view.minimap.shownChanged.connect(self._on_minimap_shown)

    def _action(self, text: str, shortcut, slot, tip: str, checkable: bool = False) -> QAction:
        action = QAction(text, self.window)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        action.setStatusTip(tip)
        action.setCheckable(checkable)
        (action.toggled if checkable else action.triggered).connect(slot)
        self.window.addAction(action)
        return action

    def actions(self) -> list[QAction | None]:
        """The View menu's entries, in order; None is a separator."""
        return [self.fit_action, self.zoom_in_action, self.zoom_out_action, self.minimap_action, None,
                self.auto_layout_action, self.export_image_action]

    @staticmethod
    def add_redo_shortcut(redo_action: QAction) -> None:
        """Give the window's Redo action Ctrl+Y beside the platform's own redo keys."""
        keys = QKeySequence.keyBindings(QKeySequence.StandardKey.Redo)
        if QKeySequence("Ctrl+Y") not in keys:
            keys.append(QKeySequence("Ctrl+Y"))
        redo_action.setShortcuts(keys)

    # ---- layout ---------------------------------------------------------------------------------
    @Slot()
    def auto_layout(self) -> None:
        """Lay out the selected blocks when two or more are selected, else the whole graph: one undo step."""
        scene = self.view.scene()
        if scene is None:
            return
        selected = scene.selected_node_ids()
        whole = len(selected) < 2
        command = AutoLayoutCommand(scene.document.graph, None if whole else selected)
        if not command.moved:
            self.status.emit("The graph is laid out already." if whole else "The selection is laid out already.")
            return
        scene.document.push(command)
        if whole:
            self.view.fit_graph()
        self.status.emit(f"Auto-layout moved {command.moved} block{'s' if command.moved != 1 else ''} "
                         "(Ctrl+Z undoes it).")

    # ---- zoom -----------------------------------------------------------------------------------
    @Slot()
    def fit(self) -> None:
        self.view.fit_graph()

    @Slot()
    def zoom_in(self) -> None:
        self.view.set_zoom(self.view.zoom * ZOOM_STEP)

    @Slot()
    def zoom_out(self) -> None:
        self.view.set_zoom(self.view.zoom / ZOOM_STEP)

    @Slot(bool)
    def set_minimap_shown(self, shown: bool) -> None:
        self.view.minimap.set_wanted(shown)

    @Slot(bool)
    def _on_minimap_shown(self, shown: bool) -> None:
        self.minimap_action.blockSignals(True)  # follow an automatic show or hide without making it a choice
        self.minimap_action.setChecked(shown)
        self.minimap_action.blockSignals(False)

    # ---- image ----------------------------------------------------------------------------------
    @Slot()
    def on_export_image(self) -> None:
        scene = self.view.scene()
        document = scene.document if scene is not None else None
        folder = document.path.parent if document is not None and document.path else Path.cwd()
        name = document.project.name if document is not None else "graph"
        path, chosen = QFileDialog.getSaveFileName(self.window, "Export canvas as image", str(folder / f"{name}.png"),
                                                   ";;".join(IMAGE_FILTERS))
        if not path:
            return
        if Path(path).suffix.lower() not in IMAGE_FILTERS.values():
            path += IMAGE_FILTERS.get(chosen, ".png")
        self.export_image(path)

    def export_image(self, path: str | Path) -> bool:
        """Write the canvas to `path` (.png or .svg); a problem is shown in a message box."""
        try:
            written = export_canvas_image(self.view.scene(), path)
        except (LayerboardError, OSError) as exc:
            show_message(self.window, QMessageBox.Icon.Warning, "Cannot export the canvas", str(exc))
            return False
        self.status.emit(f"Exported the canvas to {written}")
        return True
