"""Edit ▸ Delete, Select All, Save Selection as Block and Expand Block, and adding a palette block type to the canvas."""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Signal, Slot
from PySide6.QtWidgets import QGraphicsItem, QInputDialog, QMessageBox, QWidget

from builder.errors import LayerboardError
from ui.canvas.scene import CanvasScene
from ui.canvas.view import CanvasView
from ui.controllers.window_controller import WindowController
from ui.message_box import show_message


class EditActions(WindowController):
    """Edits of the current scene's graph; `compositeBlocksChanged` says the palette should list the block types again."""

    compositeBlocksChanged = Signal()  # a composite block was saved to the user's library
    def __init__(self, window: QWidget, view: CanvasView) -> None:
        super().__init__(window)
        self.view = view
        self.scene: CanvasScene | None = None

    def set_scene(self, scene: CanvasScene) -> None:
        """Edit this scene's document from now on (the window has swapped documents)."""
        self.scene = scene

    # ---- nodes and selection ----------------------------------------------------------------------
    @Slot(str)
    def add_node_at_view_centre(self, block_type: str) -> None:
        """A palette double-click: a node of that block type in the middle of what the view shows."""
        centre = self.view.mapToScene(self.view.viewport().rect().center())
        self.scene.add_block(block_type, centre)

    @Slot()
    def delete_selection(self) -> None:
        self.scene.delete_selection()

    @Slot()
    def select_all(self) -> None:
        for item in self.scene.items():
            if item.flags() & QGraphicsItem.GraphicsItemFlag.ItemIsSelectable:
                item.setSelected(True)

    # ---- composite blocks (builder.blocks.composites) ------------------------------------------------
    @Slot()
    def on_save_composite_block(self) -> None:
        self.save_selection_as_composite_block()

    @Slot()
    def on_expand_composite_block(self) -> None:
        self.expand_composite_block()

    def save_selection_as_composite_block(self, name: str | None = None, description: str = "") -> Path | None:
        """Save the selected nodes as a composite block in the user's library; asks for a name if none is given."""
        from builder.blocks import composites
        from builder.model import save_selection

        ids = self.scene.selected_node_ids()
        if not ids:
            show_message(self.window, QMessageBox.Icon.Information, "Nothing selected",
                         "Select the blocks to save first (drag a rectangle, or Ctrl+click).")
            return None
        if name is None:
            name, ok = QInputDialog.getText(self.window, "Save selection as block",
                                            "Block name (CamelCase, e.g. MyResidualBlock):")
            if not ok or not name.strip():
                return None
        document = self.scene.document
        try:
            data = save_selection(document.graph, ids, name.strip(), description)
            path = composites.save_block(data)
        except (LayerboardError, OSError) as exc:
            show_message(self.window, QMessageBox.Icon.Warning, "Cannot save block", str(exc))
            return None
        self.compositeBlocksChanged.emit()
        self.status.emit(f"Saved block {data['name']} to {path}; it is in the palette under 'My blocks'.")
        return path

    def expand_composite_block(self, node_id: str | None = None) -> list[str]:
        """Replace a composite node (default: the selected one) by its inner nodes, as one undo step."""
        from builder.blocks import composites
        from ui.document.composite_commands import ExpandCompositeCommand

        document = self.scene.document
        if node_id is None:
            composite_ids = [n for n in self.scene.selected_node_ids()
                             if composites.is_composite(document.graph.nodes[n].type)]
            if len(composite_ids) != 1:
                self.status.emit("Select one composite block (from 'Blocks' or 'My blocks') to expand it.")
                return []
            node_id = composite_ids[0]
        try:
            command = ExpandCompositeCommand(document.graph, node_id)
        except LayerboardError as exc:
            show_message(self.window, QMessageBox.Icon.Warning, "Cannot expand block", str(exc))
            return []
        document.push(command)
        self.scene.clearSelection()
        for new_id in command.new_ids:
            self.scene.node_items[new_id].setSelected(True)
        return command.new_ids
