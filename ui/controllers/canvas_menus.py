"""Right-click menus on the canvas: for a block, for a wire and for the empty canvas.

The canvas says what was clicked (`CanvasInteractions.contextMenuRequested`: kind, target, scene and screen
position); `menu_for` builds the menu from the window's own actions (so a menu entry and the Edit menu are one
action with one shortcut) plus the few that only make sense at a place: paste here, add a block here, insert
a block on this wire. `show` opens it.
"""
from __future__ import annotations

from PySide6.QtCore import QPoint, QPointF, Slot
from PySide6.QtWidgets import QMainWindow, QMenu

from builder import blocks
from builder.graph import Edge
from ui.controllers.window_controller import WindowController
from ui.document.commands import AddNodeCommand, SetFlagCommand, SetSharesCommand

# The blocks most often put between two others; the rest are one submenu further, by palette category.
COMMON_INSERTS = ("Dense", "Conv2D", "BatchNormalization", "LayerNormalization", "Dropout", "Activation",
                  "MaxPooling2D", "Flatten")


class CanvasMenus(WindowController):
    """Builds and opens the canvas's context menus over `window` (a MainWindow)."""

    def __init__(self, window: QMainWindow) -> None:
        super().__init__(window)

    @Slot(str, object, QPointF, QPoint)
    def show(self, kind: str, target, scene_pos: QPointF, screen_pos: QPoint) -> None:
        menu = self.menu_for(kind, target, scene_pos)
        menu.exec(screen_pos)
        menu.deleteLater()

    def menu_for(self, kind: str, target, scene_pos: QPointF) -> QMenu:
        """The menu for a "node" (target: its id), a "wire" (target: its Edge) or the "canvas" (target: None)."""
        menu = QMenu(self.window)
        if kind == "node":
            self._node_menu(menu, target)
        elif kind == "wire":
            self._wire_menu(menu, target, scene_pos)
        else:
            self._canvas_menu(menu, scene_pos)
        return menu

    # ---- a block -------------------------------------------------------------------------------
    def _node_menu(self, menu: QMenu, node_id: str) -> None:
        w = self.window
        edits = w.edit_actions
        graph = w.document.graph
        node = graph.node(node_id)
        selected = w.scene.selected_node_ids() or [node_id]
        rename = menu.addAction("Rename…", lambda: edits.rename_node(node_id))
        rename.setShortcut(edits.rename_action.shortcut())
        menu.addSeparator()
        for action in (edits.cut_action, edits.copy_action, edits.duplicate_action, w.delete_action):
            menu.addAction(action)
        menu.addSeparator()
        frozen = not node.trainable
        menu.addAction("Unfreeze" if frozen else "Freeze (not trainable)",
                       lambda: self._set_flag(selected, "trainable", frozen))
        menu.addAction("Unmark as Output" if node.output else "Mark as Model Output",
                       lambda: self._set_flag(selected, "output", not node.output))
        menu.addAction("Highlight What Feeds It", lambda: w.scene.highlight_upstream(node_id))
        menu.addSeparator()
        if node.type != "Input" and blocks.is_catalogue_block(node.type):
            menu.addAction("Call Again (Shared Weights)", lambda: self.call_again(node_id))
        if node.shares:
            menu.addAction(f"Stop Sharing {node.shares}'s Weights", lambda: self.stop_sharing(node_id))
        menu.addSeparator()
        from builder.blocks import composites

        if composites.is_composite(node.type):
            menu.addAction(w.expand_block_action)
        menu.addAction(w.save_block_action)
        if len(selected) > 1:
            menu.addAction(w.view_actions.auto_layout_action)

    def call_again(self, node_id: str) -> str:
        """Add a node beside `node_id` that calls its Keras layer again (a siamese branch, a tied layer): same type,
        params and weights; wire its input to another tensor. Returns the new node's id."""
        document = self.window.document
        graph = document.graph
        owner = graph.node(graph.owner(node_id))
        x, y = graph.node(node_id).position
        command = AddNodeCommand(graph, owner.type, owner.params, (x + 260.0, y), shares=owner.id)
        document.push(command)
        return command.node_id

    def stop_sharing(self, node_id: str) -> None:
        """Give a node that calls another's layer a layer (and weights) of its own, keeping its params."""
        document = self.window.document
        document.push(SetSharesCommand(document.graph, node_id, None))

    def _set_flag(self, node_ids: list[str], name: str, value: bool) -> None:
        """Freeze or mark every selected block as one undo step."""
        document = self.window.document
        changing = [n for n in node_ids if getattr(document.graph.node(n), name) != value]
        if changing:
            document.push(SetFlagCommand(document.graph, changing, name, value))

    # ---- a wire -------------------------------------------------------------------------------
    def _wire_menu(self, menu: QMenu, edge: Edge, scene_pos: QPointF) -> None:
        insert = menu.addMenu("Insert Block Here")
        for block_type in COMMON_INSERTS:
            insert.addAction(block_type, lambda b=block_type: self.insert_on_wire(edge, b, scene_pos))
        insert.addSeparator()
        for category, block_types in blocks.palette().items():
            sub = insert.addMenu(category)
            for block_type in block_types:
                sub.addAction(block_type, lambda b=block_type: self.insert_on_wire(edge, b, scene_pos))
        menu.addAction("Delete Wire", lambda: self.delete_wire(edge))

    def insert_on_wire(self, edge: Edge, block_type: str, scene_pos: QPointF) -> None:
        self.window.scene.interactions.insert_on_wire(edge, block_type, scene_pos)

    def delete_wire(self, edge: Edge) -> None:
        self.window.scene.interactions.disconnect_wire(edge)

    # ---- the empty canvas ---------------------------------------------------------------------------
    def _canvas_menu(self, menu: QMenu, scene_pos: QPointF) -> None:
        w = self.window
        paste = menu.addAction("Paste Here", lambda: w.edit_actions.paste(scene_pos))
        paste.setShortcut(w.edit_actions.paste_action.shortcut())
        paste.setEnabled(w.edit_actions.paste_action.isEnabled())
        add = menu.addMenu("Add Block Here")
        for category, block_types in blocks.palette().items():
            sub = add.addMenu(category)
            for block_type in block_types:
                sub.addAction(block_type, lambda b=block_type: w.scene.add_block(b, scene_pos))
        menu.addSeparator()
        menu.addAction(w.select_all_action)
        menu.addAction(w.view_actions.auto_layout_action)
        menu.addAction(w.view_actions.fit_action)
        menu.addSeparator()
        menu.addAction(w.view_actions.export_image_action)
