"""The edits the user makes on the canvas — drop a block type, wire two ports, drag nodes, delete — as undo commands.

`CanvasInteractions` filters the scene's mouse and drag-and-drop events and pushes commands on the document;
it never adds, moves or removes a drawn item itself: the graph's events do that through the scene, so undo
and redo redraw exactly what the graph holds. The only item it draws is the dashed wire that follows the
mouse while a wire is being dragged (a `WireDraft`, not part of the graph).
"""
from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, QPointF, Qt, Signal
from PySide6.QtWidgets import QGraphicsScene, QGraphicsSceneDragDropEvent, QGraphicsSceneMouseEvent

from builder import blocks
from builder.graph import Edge
from ui import style
from ui.canvas.block_type_mime import block_type_from_mime
from ui.canvas.edge_item import EdgeItem
from ui.canvas.node_item import NodeItem, selected_node_ids
from ui.canvas.port_item import PortItem
from ui.canvas.wire_draft import WireDraft
from ui.document import Document
from ui.document.commands import AddNodeCommand, ConnectCommand, DisconnectCommand, MoveNodesCommand, RemoveNodeCommand

_DRAG_EVENTS = (QEvent.Type.GraphicsSceneDragEnter, QEvent.Type.GraphicsSceneDragMove)


class CanvasInteractions(QObject):
    """One scene's edits; installed as the scene's event filter. `message` carries short notes for the status bar.

    `node_items` is the scene's {node id: NodeItem}, read to select a new node and to see where a drag left
    the nodes.
    """

    message = Signal(str)

    def __init__(self, scene: QGraphicsScene, document: Document, node_items: dict[str, NodeItem]) -> None:
        super().__init__(scene)
        self.scene = scene
        self.document = document
        self.node_items = node_items
        self._draft: WireDraft | None = None
        self._press_positions: dict[str, QPointF] = {}
        scene.installEventFilter(self)

    # ---- edits ----------------------------------------------------------------------------------
    def add_node(self, block_type: str, centre: QPointF) -> str:
        """Add a node of a block type centred on a scene point; returns its id and selects it."""
        x = round((centre.x() - style.NODE_WIDTH / 2) / 10) * 10
        y = round((centre.y() - style.NODE_HEIGHT / 2) / 10) * 10
        command = AddNodeCommand(self.document.graph, block_type, blocks.initial_params(block_type), (x, y))
        self.document.push(command)
        self.scene.clearSelection()
        self.node_items[command.node_id].setSelected(True)
        return command.node_id

    def connect_ports(self, source: str, target: str, source_port: int = 0, target_port: int = 0) -> bool:
        """Wire an output to an input; a wire already on that input is replaced."""
        graph = self.document.graph
        if source == target:
            self.message.emit(f"'{source}' cannot be connected to itself.")
            return False
        new = Edge(source, target, source_port, target_port)
        old = next((e for e in graph.edges if e.target == target and e.target_port == target_port), None)
        if old == new:
            return False
        if old is None:
            self.document.push(ConnectCommand(graph, source, target, source_port, target_port))
            return True
        stack = self.document.undo_stack
        stack.beginMacro(f"Reconnect {target}")
        stack.push(DisconnectCommand(graph, old))
        stack.push(ConnectCommand(graph, source, target, source_port, target_port))
        stack.endMacro()
        return True

    def delete_selection(self) -> None:
        """Remove the selected nodes (with their wires) and the selected wires, as one undo step."""
        nodes = selected_node_ids(self.scene)
        edges = [i.edge for i in self.scene.selectedItems()
                 if isinstance(i, EdgeItem) and i.edge.source not in nodes and i.edge.target not in nodes]
        if not nodes and not edges:
            return
        graph = self.document.graph
        stack = self.document.undo_stack
        stack.beginMacro("Delete " + ", ".join(nodes + [f"{e.source} → {e.target}" for e in edges]))
        for edge in edges:
            stack.push(DisconnectCommand(graph, edge))
        for node_id in nodes:
            stack.push(RemoveNodeCommand(graph, node_id))
        stack.endMacro()

    # ---- the scene's events ---------------------------------------------------------------------
    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """True: the event was handled here and the scene does not see it."""
        kind = event.type()
        if kind == QEvent.Type.GraphicsSceneMousePress:
            return self._mouse_pressed(event)
        if kind == QEvent.Type.GraphicsSceneMouseMove:
            return self._mouse_moved(event)
        if kind == QEvent.Type.GraphicsSceneMouseRelease:
            return self._mouse_released(event)
        if kind in _DRAG_EVENTS:
            return self._drag_over(event)
        if kind == QEvent.Type.GraphicsSceneDrop:
            return self._dropped(event)
        return False

    # Mouse: a press on a port starts a wire; a press elsewhere is the scene's (select, rubber band, drag
    # the selected nodes), and its release turns whatever the drag moved into one MoveNodesCommand.
    def _mouse_pressed(self, event: QGraphicsSceneMouseEvent) -> bool:
        if event.button() == Qt.MouseButton.LeftButton:
            port = next((i for i in self.scene.items(event.scenePos()) if isinstance(i, PortItem)), None)
            if port is not None:
                self._draft = WireDraft(self.scene, port)
                event.accept()
                return True
        # Where every node is before the scene handles the press (a drag moves only selected ones).
        self._press_positions = {node_id: item.pos() for node_id, item in self.node_items.items()}
        return False

    def _mouse_moved(self, event: QGraphicsSceneMouseEvent) -> bool:
        if self._draft is None:
            return False
        self._draft.move_to(event.scenePos())
        event.accept()
        return True

    def _mouse_released(self, event: QGraphicsSceneMouseEvent) -> bool:
        if self._draft is None:
            # The drag has moved the items by now; the scene's release only ends the grab (or selects).
            self._commit_moves()
            return False
        self._draft.move_to(event.scenePos())
        wire = self._draft.connection()
        self._draft.discard()
        self._draft = None
        if wire is not None:
            self.connect_ports(*wire)
        event.accept()
        return True

    def _commit_moves(self) -> None:
        """Turn a finished drag into one MoveNodesCommand (the items moved; now the graph does)."""
        graph = self.document.graph
        moves = {}
        for node_id, start in self._press_positions.items():
            item = self.node_items.get(node_id)
            if item is None or item.pos() == start:
                continue
            old = graph.node(node_id).position
            moves[node_id] = (old, (item.pos().x(), item.pos().y()))
        self._press_positions = {}
        if moves:
            self.document.push(MoveNodesCommand(graph, moves))

    # Drops from the palette: a drag carrying a known block type adds a node where it is dropped.
    def _drag_over(self, event: QGraphicsSceneDragDropEvent) -> bool:
        if block_type_from_mime(event.mimeData()):
            event.acceptProposedAction()
        else:
            event.ignore()
        return True

    def _dropped(self, event: QGraphicsSceneDragDropEvent) -> bool:
        block_type = block_type_from_mime(event.mimeData())
        if block_type is None:
            event.ignore()
            return True
        self.add_node(block_type, event.scenePos())
        event.setDropAction(Qt.DropAction.CopyAction)
        event.accept()
        for view in self.scene.views():  # the canvas takes the keyboard (Delete) after a drop
            if view.viewport() is event.widget():
                view.setFocus()
        return True
