"""The edits the user makes on the canvas — drop a block type (onto the canvas or into a wire), wire two ports, pick
up a wire's end to move or remove it, drag nodes (onto a wire too), delete — as undo commands; and the requests
it passes on: rename (double-click a node's title) and the right-click menu.

`CanvasInteractions` filters the scene's mouse, drag-and-drop and context-menu events and pushes commands on the
document; it never adds, moves or removes a drawn item itself: the graph's events do that through the scene, so
undo and redo redraw exactly what the graph holds. What it draws itself is transient: the dashed wire that
follows the mouse while a wire is dragged (a `WireDraft`, which marks the ports it may end on and says why not
elsewhere), the picked-up wire hidden meanwhile, and the wire a dragged block would be inserted into.
"""
from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, QPoint, QPointF, Qt, Signal
from PySide6.QtWidgets import (QApplication, QGraphicsItem, QGraphicsScene, QGraphicsSceneContextMenuEvent,
                               QGraphicsSceneDragDropEvent, QGraphicsSceneMouseEvent)

from builder import blocks
from builder.graph import CYCLE_PROBLEM, SAME_NODE_PROBLEM, Edge, downstream_nodes, make_room, upstream_nodes
from ui import style
from ui.canvas.block_type_mime import block_type_from_mime
from ui.canvas.edge_item import EdgeItem
from ui.canvas.node_item import NodeItem, selected_node_ids
from ui.canvas.port_item import INPUT, OUTPUT, PortItem
from ui.canvas.wire_draft import WireDraft
from ui.canvas.wire_label import TextTag
from ui.document import Document
from ui.document.commands import AddNodeCommand, ConnectCommand, MoveNodesCommand
from ui.document.edit_commands import RemoveNodesCommand
from ui.document.wire_commands import InsertOnWireCommand, RemoveWireCommand, SpliceIntoWireCommand

_DRAG_EVENTS = (QEvent.Type.GraphicsSceneDragEnter, QEvent.Type.GraphicsSceneDragMove)

NODE, WIRE, CANVAS = "node", "wire", "canvas"  # what a right-click was on (contextMenuRequested's kind)


def thing_at(scene: QGraphicsScene, pos: QPointF) -> QGraphicsItem | None:
    """The topmost port, node or wire at a scene point (a wire's label counts as the wire), or None."""
    for item in scene.items(pos):
        if isinstance(item, (PortItem, NodeItem, EdgeItem)):
            return item
        if isinstance(item, TextTag) and isinstance(item.parentItem(), EdgeItem):
            return item.parentItem()
    return None


def can_take_input(block_type: str) -> bool:
    """Whether a block has an input port (an Input has none): only such a block can be inserted into a wire."""
    return blocks.input_ports(block_type) != []


class CanvasInteractions(QObject):
    """One scene's edits; installed as the scene's event filter. `message` carries short notes for the status bar.

    `node_items` is the scene's {node id: NodeItem}, read to select a new node and to see where a drag left
    the nodes. `renameRequested(node id)`: the user double-clicked a node's title. `contextMenuRequested(kind,
    target, scene position, screen position)`: a right-click on a node (kind "node", target its id; it is
    selected first, alone, unless already selected), a wire ("wire", its Edge) or the empty canvas ("canvas", None).
    """

    message = Signal(str)
    renameRequested = Signal(str)
    contextMenuRequested = Signal(str, object, QPointF, QPoint)

    def __init__(self, scene: QGraphicsScene, document: Document, node_items: dict[str, NodeItem]) -> None:
        super().__init__(scene)
        self.scene = scene
        self.document = document
        self.node_items = node_items
        self._draft: WireDraft | None = None
        self._hidden_wire: EdgeItem | None = None  # the picked-up wire, hidden while its end is dragged
        self._press_screen = QPoint()
        self._press_positions: dict[str, QPointF] = {}
        self._drop_wire: EdgeItem | None = None  # the wire a dragged block would be inserted into
        scene.installEventFilter(self)

    @property
    def draft(self) -> WireDraft | None:
        """The wire being dragged (new or picked up), None when none is."""
        return self._draft

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

    def insert_on_wire(self, edge: Edge, block_type: str, centre: QPointF) -> str:
        """Add a node of a block type centred on a scene point and rewire `edge` through it (one undo step);
        returns its id and selects it."""
        x = round((centre.x() - style.NODE_WIDTH / 2) / 10) * 10
        y = round((centre.y() - style.NODE_HEIGHT / 2) / 10) * 10
        graph = self.document.graph
        command = InsertOnWireCommand(graph, edge, block_type, blocks.initial_params(block_type), (x, y))
        stack = self.document.undo_stack
        stack.beginMacro(command.text())
        stack.push(command)
        room = make_room(graph, command.node_id)  # what the new block would cover moves down, in the same step
        if room:
            stack.push(MoveNodesCommand(graph, room))
        stack.endMacro()
        self.scene.clearSelection()
        self.node_items[command.node_id].setSelected(True)
        return command.node_id

    def move_wire_end(self, edge: Edge, source: str, target: str, source_port: int = 0, target_port: int = 0) -> bool:
        """Re-attach a wire: `edge` goes, source → target comes (replacing a wire already on that input), one step."""
        new = Edge(source, target, source_port, target_port)
        if new == edge:
            return False
        graph = self.document.graph
        taken = next((e for e in graph.incoming(target) if e.target_port == target_port and e != edge), None)
        stack = self.document.undo_stack
        stack.beginMacro(f"Move wire {edge.source} → {edge.target} to {source} → {target}")
        stack.push(RemoveWireCommand(graph, edge))
        if taken is not None:
            stack.push(RemoveWireCommand(graph, taken))
        stack.push(ConnectCommand(graph, source, target, source_port, target_port))
        stack.endMacro()
        return True

    def disconnect_wire(self, edge: Edge) -> None:
        """Remove one wire (one undo step; undo puts it back at its place)."""
        self.document.push(RemoveWireCommand(self.document.graph, edge))

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
        stack.push(RemoveWireCommand(graph, old))
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
            stack.push(RemoveWireCommand(graph, edge))
        if nodes:  # undo puts every node and wire back at its place: an Input keeps its place among the inputs
            stack.push(RemoveNodesCommand(graph, nodes, project=self.document.project))
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
        if kind == QEvent.Type.GraphicsSceneMouseDoubleClick:
            return self._double_clicked(event)
        if kind == QEvent.Type.GraphicsSceneContextMenu:
            return self._context_menu(event)
        if kind in _DRAG_EVENTS:
            return self._drag_over(event)
        if kind == QEvent.Type.GraphicsSceneDragLeave:
            self._set_drop_wire(None)
            return False
        if kind == QEvent.Type.GraphicsSceneDrop:
            return self._dropped(event)
        return False

    # Mouse: a press on an output port (or a free input) starts a wire; on a wired input, or on a wire's last
    # END_GRAB px, it picks that wire's end up; elsewhere it is the scene's (select, rubber band, drag the
    # selected nodes), and its release turns whatever the drag moved into one MoveNodesCommand — with an
    # unwired node dropped onto a wire, also its insertion there.
    def _mouse_pressed(self, event: QGraphicsSceneMouseEvent) -> bool:
        if event.button() == Qt.MouseButton.LeftButton:
            self._press_screen = event.screenPos()
            pos = event.scenePos()
            port = next((i for i in self.scene.items(pos) if isinstance(i, PortItem)), None)
            if port is not None:
                wired = self._wire_into(port) if port.kind == INPUT else None
                if wired is not None:
                    self._pick_up(wired, INPUT)
                else:
                    self._start_draft(port)
                event.accept()
                return True
            top = thing_at(self.scene, pos)
            end = top.end_near(pos) if isinstance(top, EdgeItem) else None
            if end is not None:
                self._pick_up(top, end)
                event.accept()
                return True
        # Where every node is before the scene handles the press (a drag moves only selected ones).
        self._press_positions = {node_id: item.pos() for node_id, item in self.node_items.items()}
        return False

    def _wire_into(self, port: PortItem) -> EdgeItem | None:
        node = self.node_items.get(port.node_id)
        return next((w for w in node.edges if w.target_item is node and w.edge.target_port == port.index), None)

    def _pick_up(self, wire: EdgeItem, end: str) -> None:
        """Drag the `end` (INPUT: the target end) of a wire; its other end stays where it is."""
        edge = wire.edge
        fixed = (self.node_items[edge.source].port(OUTPUT, edge.source_port) if end == INPUT
                 else self.node_items[edge.target].port(INPUT, edge.target_port))
        if fixed is None:  # a wire to a port its node lacks: nothing to hold on to
            return
        wire.setVisible(False)
        self._hidden_wire = wire
        self._start_draft(fixed, edge)

    def _start_draft(self, start: PortItem, moving: Edge | None = None) -> None:
        graph = self.document.graph
        # The nodes a wire from `start` would close a cycle through: those feeding an output, or fed by an input.
        looping = upstream_nodes(graph, start.node_id) if start.kind == OUTPUT else downstream_nodes(graph, start.node_id)

        def problem_of(port: PortItem) -> str | None:
            if port.node_id == start.node_id:
                return SAME_NODE_PROBLEM
            return CYCLE_PROBLEM if port.node_id in looping else None

        self._draft = WireDraft(self.scene, start, problem_of, moving)

    def _mouse_moved(self, event: QGraphicsSceneMouseEvent) -> bool:
        if self._draft is None:
            if event.buttons() & Qt.MouseButton.LeftButton and self._press_positions:
                self._set_drop_wire(self._wire_under_dragged_node(event.scenePos()))
            return False
        self._draft.move_to(event.scenePos())
        event.accept()
        return True

    def _mouse_released(self, event: QGraphicsSceneMouseEvent) -> bool:
        if self._draft is None:
            # The drag has moved the items by now; the scene's release only ends the grab (or selects).
            self._commit_moves()
            return False
        draft, self._draft = self._draft, None
        draft.move_to(event.scenePos())
        wire, moving, refused = draft.connection(), draft.moving, draft.reason_text
        draft.discard()
        if self._hidden_wire is not None:
            self._hidden_wire.setVisible(True)
            self._hidden_wire = None
        moved = (event.screenPos() - self._press_screen).manhattanLength() >= QApplication.startDragDistance()
        if refused:
            self.message.emit(f"Not connected: {refused}.")
        elif moving is None:
            if wire is not None:
                self.connect_ports(*wire)
        elif wire is not None:
            self.move_wire_end(moving, *wire)
        elif moved:  # a picked-up end dropped away from any port: the wire goes
            self.disconnect_wire(moving)
        event.accept()
        return True

    def _wire_under_dragged_node(self, pos: QPointF) -> EdgeItem | None:
        """The wire under the mouse while one unwired node (that can take an input) is dragged, else None."""
        dragged = [i for i in self.scene.selectedItems() if isinstance(i, NodeItem)]
        if len(dragged) != 1 or dragged[0].edges or not can_take_input(dragged[0].block_type):
            return None
        node = dragged[0]
        if node.pos() == self._press_positions.get(node.node_id, node.pos()):
            return None
        for item in self.scene.items(pos):
            if item is node or node.isAncestorOf(item):
                continue
            if isinstance(item, EdgeItem):
                return item
            if isinstance(item, NodeItem):
                return None
        return None

    def _commit_moves(self) -> None:
        """Turn a finished drag into one MoveNodesCommand (the items moved; now the graph does); a single unwired
        node dropped onto a wire is inserted into it in the same undo step."""
        graph = self.document.graph
        wire, self._drop_wire = self._drop_wire, None
        if wire is not None:
            wire.set_drop_target(False)
        moves = {}
        for node_id, start in self._press_positions.items():
            item = self.node_items.get(node_id)
            if item is None or item.pos() == start:
                continue
            old = graph.node(node_id).position
            moves[node_id] = (old, (item.pos().x(), item.pos().y()))
        self._press_positions = {}
        if not moves:
            return
        if wire is None or len(moves) != 1:
            self.document.push(MoveNodesCommand(graph, moves))
            return
        node_id = next(iter(moves))
        stack = self.document.undo_stack
        stack.beginMacro(f"Insert {node_id} between {wire.edge.source} and {wire.edge.target}")
        stack.push(MoveNodesCommand(graph, moves))
        stack.push(SpliceIntoWireCommand(graph, wire.edge, node_id))
        room = make_room(graph, node_id)
        if room:
            stack.push(MoveNodesCommand(graph, room))
        stack.endMacro()

    def _set_drop_wire(self, wire: EdgeItem | None) -> None:
        if wire is not self._drop_wire:
            if self._drop_wire is not None:
                self._drop_wire.set_drop_target(False)
            if wire is not None:
                wire.set_drop_target(True)
            self._drop_wire = wire

    # Double-click on a node's title asks for a rename; a right-click asks for the menu of what is under it.
    def _double_clicked(self, event: QGraphicsSceneMouseEvent) -> bool:
        top = thing_at(self.scene, event.scenePos())
        if event.button() == Qt.MouseButton.LeftButton and isinstance(top, NodeItem) and top.in_title(event.scenePos()):
            self.renameRequested.emit(top.node_id)
            event.accept()
            return True
        return False

    def _context_menu(self, event: QGraphicsSceneContextMenuEvent) -> bool:
        top = thing_at(self.scene, event.scenePos())
        if isinstance(top, PortItem):
            top = top.parentItem()
        if isinstance(top, (NodeItem, EdgeItem)) and not top.isSelected():
            self.scene.clearSelection()
            top.setSelected(True)
        if isinstance(top, NodeItem):
            kind, target = NODE, top.node_id
        elif isinstance(top, EdgeItem):
            kind, target = WIRE, top.edge
        else:
            kind, target = CANVAS, None
        self.contextMenuRequested.emit(kind, target, event.scenePos(), event.screenPos())
        event.accept()
        return True

    # Drops from the palette: a drag carrying a known block type adds a node where it is dropped, or, dropped on
    # a wire (highlighted while the drag is over it), inserts it into that wire.
    def _drag_over(self, event: QGraphicsSceneDragDropEvent) -> bool:
        block_type = block_type_from_mime(event.mimeData())
        if block_type:
            event.acceptProposedAction()
            top = thing_at(self.scene, event.scenePos()) if can_take_input(block_type) else None
            self._set_drop_wire(top if isinstance(top, EdgeItem) else None)
        else:
            event.ignore()
        return True

    def _dropped(self, event: QGraphicsSceneDragDropEvent) -> bool:
        block_type = block_type_from_mime(event.mimeData())
        self._set_drop_wire(None)
        top = thing_at(self.scene, event.scenePos())
        wire = top if isinstance(top, EdgeItem) else None
        if block_type is None:
            event.ignore()
            return True
        if wire is not None and can_take_input(block_type):
            self.insert_on_wire(wire.edge, block_type, event.scenePos())
        else:
            self.add_node(block_type, event.scenePos())
        event.setDropAction(Qt.DropAction.CopyAction)
        event.accept()
        for view in self.scene.views():  # the canvas takes the keyboard (Delete) after a drop
            if view.viewport() is event.widget():
                view.setFocus()
        return True
