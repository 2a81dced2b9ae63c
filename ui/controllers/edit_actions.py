"""Edit ▸ Copy, Cut, Paste, Duplicate, Rename, Delete, Select All, Save Selection as Block and Expand Block, and
adding a palette block type to the canvas.

Copy puts the selected blocks and the wires between them on the system clipboard as JSON under MIME_TYPE (plus
the same JSON as text), so a paste works in another window too; a paste checks whatever it finds there as
hostile (builder.project.paste_plan). The clipboard shortcuts act while the canvas has the keyboard focus, so
Ctrl+C in a text field of a panel still copies its text.
"""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QByteArray, QMimeData, QPointF, Qt, Signal, Slot
from PySide6.QtGui import QAction, QCursor, QKeySequence
from PySide6.QtWidgets import QApplication, QGraphicsItem, QInputDialog, QMessageBox, QWidget

from builder.errors import LayerboardError
from builder.project import clipboard_data, clipboard_text, copy_selection, paste_plan
from ui.canvas.scene import CanvasScene
from ui.canvas.view import CanvasView
from ui.controllers.window_controller import WindowController
from ui.document.edit_commands import PasteCommand, RemoveNodesCommand, RenameNodeCommand
from ui.message_box import show_message

MIME_TYPE = "application/x-layerboard-nodes+json"
DUPLICATE_OFFSET = (40.0, 40.0)  # a duplicate lands this far down-right of its original (then clear of others)


class EditActions(WindowController):
    """Edits of the current scene's graph; `compositeBlocksChanged` says the palette should list the block types again."""

    compositeBlocksChanged = Signal()  # a composite block was saved to the user's library
    def __init__(self, window: QWidget, view: CanvasView) -> None:
        super().__init__(window)
        self.view = view
        self.scene: CanvasScene | None = None
        self.copy_action = self._canvas_action("&Copy", QKeySequence.StandardKey.Copy, self.on_copy,
                                               "Copy the selected blocks and the wires between them")
        self.cut_action = self._canvas_action("Cu&t", QKeySequence.StandardKey.Cut, self.on_cut,
                                              "Copy the selected blocks, then delete them")
        self.paste_action = self._canvas_action("&Paste", QKeySequence.StandardKey.Paste, self.on_paste,
                                                "Paste copied blocks at the mouse pointer, with new names")
        self.duplicate_action = self._canvas_action("D&uplicate", QKeySequence("Ctrl+D"), self.on_duplicate,
                                                    "Copy the selected blocks beside themselves")
        self.rename_action = self._canvas_action("&Rename…", QKeySequence(Qt.Key.Key_F2), self.on_rename,
                                                 "Give the selected block a new name (its variable and output name)")

    def _canvas_action(self, text: str, shortcut, slot, tip: str) -> QAction:
        """An action of the window whose shortcut works while the canvas (or a child of it) has the focus."""
        action = QAction(text, self.window)
        action.setShortcut(shortcut)
        action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        action.setStatusTip(tip)
        action.triggered.connect(slot)
        self.view.addAction(action)
        return action

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

    # ---- copy, cut, paste, duplicate (builder.project's clipboard) -------------------------------------
    @Slot()
    def on_copy(self) -> None:
        self.copy()

    @Slot()
    def on_cut(self) -> None:
        self.cut()

    @Slot()
    def on_paste(self) -> None:
        self.paste()

    @Slot()
    def on_duplicate(self) -> None:
        self.duplicate()

    @Slot()
    def on_rename(self) -> None:
        self.rename_node()

    def copy(self) -> dict | None:
        """Put the selected blocks (and the wires between them) on the clipboard; returns what was copied."""
        ids = self.scene.selected_node_ids()
        if not ids:
            self.status.emit("Select the blocks to copy first (click one, drag a rectangle, or Ctrl+click).")
            return None
        data = copy_selection(self.scene.document.graph, ids)
        text = clipboard_text(data)
        mime = QMimeData()
        mime.setData(MIME_TYPE, QByteArray(text.encode("utf-8")))
        mime.setText(text)
        QApplication.clipboard().setMimeData(mime)
        self.status.emit(f"Copied {_blocks(len(ids))}.")
        return data

    def cut(self) -> list[str]:
        """Copy the selected blocks, then delete them with their wires as one undo step; returns their ids."""
        data = self.copy()
        if data is None:
            return []
        ids = [node["id"] for node in data["nodes"]]
        document = self.scene.document
        document.push(RemoveNodesCommand(document.graph, ids, "Cut " + ", ".join(ids), project=document.project))
        self.status.emit(f"Cut {_blocks(len(ids))}.")
        return ids

    def paste(self, scene_pos: QPointF | None = None) -> list[str]:
        """Paste the clipboard's blocks with fresh names, their top-left corner at `scene_pos` (default: the mouse
        pointer when it is over the canvas, else the canvas's centre), clear of other blocks; selects them and
        returns their ids. Anything but Layerboard blocks on the clipboard is refused with a message."""
        mime = QApplication.clipboard().mimeData()
        if mime is not None and mime.hasFormat(MIME_TYPE):
            text = bytes(mime.data(MIME_TYPE).data()).decode("utf-8", errors="replace")
        elif mime is not None and mime.hasText():
            text = mime.text()
        else:
            self.status.emit("The clipboard holds no blocks: copy some first (Ctrl+C).")
            return []
        try:
            data = clipboard_data(text)
        except LayerboardError as exc:
            self._refuse("Cannot paste", str(exc))
            return []
        return self._paste_data(data, self._paste_position() if scene_pos is None else scene_pos)

    def duplicate(self) -> list[str]:
        """Paste a copy of the selected blocks beside them, leaving the clipboard as it is; returns the new ids."""
        ids = self.scene.selected_node_ids()
        if not ids:
            self.status.emit("Select the blocks to duplicate first.")
            return []
        graph = self.scene.document.graph
        left = min(graph.nodes[n].position[0] for n in ids)
        top = min(graph.nodes[n].position[1] for n in ids)
        return self._paste_data(copy_selection(graph, ids),
                                QPointF(left + DUPLICATE_OFFSET[0], top + DUPLICATE_OFFSET[1]), "Duplicate")

    def _paste_data(self, data: dict, anchor: QPointF, verb: str = "Paste") -> list[str]:
        document = self.scene.document
        try:
            plan = paste_plan(document.graph, data, (anchor.x(), anchor.y()), document.project.folder())
        except LayerboardError as exc:
            self._refuse(f"Cannot {verb.lower()}", str(exc))
            return []
        if not plan.nodes:
            self.status.emit("The clipboard holds no blocks.")
            return []
        command = PasteCommand(document.graph, plan, f"{verb} {', '.join(plan.new_ids)}")
        document.push(command)
        self.scene.clearSelection()
        for node_id in command.new_ids:
            item = self.scene.node_items.get(node_id)
            if item is not None:
                item.setSelected(True)
        self.status.emit(f"{verb}d {_blocks(len(plan.nodes))}: {', '.join(plan.new_ids)}.")
        return command.new_ids

    def _paste_position(self) -> QPointF:
        """The mouse pointer's place on the canvas when it is over the canvas, else the canvas's centre."""
        viewport = self.view.viewport()
        pointer = viewport.mapFromGlobal(QCursor.pos())
        if viewport.rect().contains(pointer):
            return self.view.mapToScene(pointer)
        return self.view.mapToScene(viewport.rect().center())

    # ---- rename (builder.project.rename_node) ----------------------------------------------------------
    def rename_node(self, node_id: str | None = None, new_id: str | None = None) -> bool:
        """Rename a block (default: the one selected) and every setting that names it, as one undo step; asks
        for the name when none is given. A name that is taken or not a valid Python name is refused with a
        message. Returns whether the block was renamed."""
        if node_id is None:
            selected = self.scene.selected_node_ids()
            if len(selected) != 1:
                self.status.emit("Select one block to rename it.")
                return False
            node_id = selected[0]
        if new_id is None:
            new_id, ok = QInputDialog.getText(self.window, "Rename block",
                                              f"New name for '{node_id}' (letters, digits and _; it names the "
                                              "layer, its variable in exported code and its output):",
                                              text=node_id)
            if not ok:
                return False
            new_id = new_id.strip()
        if new_id == node_id:
            return False
        document = self.scene.document
        try:
            command = RenameNodeCommand(document, node_id, new_id)
        except LayerboardError as exc:
            self._refuse("Cannot rename block", str(exc))
            return False
        document.push(command)
        changed = ", ".join(command.renaming.training)
        self.status.emit(f"Renamed {node_id} to {new_id}" + (f" (and training.{changed} with it)." if changed
                                                               else "."))
        return True

    def _refuse(self, title: str, message: str) -> None:
        self.status.emit(message.splitlines()[0])
        show_message(self.window, QMessageBox.Icon.Warning, title, message)


def _blocks(count: int) -> str:
    return f"{count} block{'s' if count != 1 else ''}"
