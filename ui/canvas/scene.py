"""The canvas scene: node and wire items that follow the graph's events, and the mouse edits.

Items are created, moved and removed only in `_on_graph_event`; mouse handlers push undo
commands on the document and let the resulting graph events redraw the canvas.
"""
from __future__ import annotations

from PySide6.QtCore import QPointF, Qt, Signal, Slot
from PySide6.QtWidgets import QGraphicsScene, QGraphicsSceneMouseEvent

from builder import blocks
from builder.graph import Edge, EdgeAdded, EdgeRemoved, FlagChanged, NodeAdded, NodeMoved, NodeRemoved
from ui import style
from ui.canvas.edge_item import EdgeItem
from ui.canvas.node_item import NodeItem
from ui.canvas.port_item import PortItem
from ui.canvas.wire_draft import WireDraft
from ui.document.commands import AddNodeCommand, ConnectCommand, DisconnectCommand, MoveNodesCommand, RemoveNodeCommand
from ui.document import Document


class CanvasScene(QGraphicsScene):
    """Draws one document's graph; `message` carries short notes for the status bar."""

    message = Signal(str)

    def __init__(self, document: Document, parent=None) -> None:
        super().__init__(parent)
        self.document = document
        self.node_items: dict[str, NodeItem] = {}
        self.edge_items: dict[Edge, EdgeItem] = {}
        self._draft: WireDraft | None = None
        self._press_positions: dict[str, QPointF] = {}
        graph = document.graph
        for node in graph.nodes.values():
            self._add_node_item(node)
        for edge in graph.edges:
            self._add_edge_item(edge)
        self._unsubscribe = graph.events.subscribe(self._on_graph_event)
        document.shapes.reportChanged.connect(self.apply_report)
        self.apply_report(document.shapes.report)
        document.compatibility.resultsChanged.connect(self.apply_compatibility)
        document.compatibility.staleChanged.connect(self.apply_stale_badges)
        self.apply_compatibility(document.compatibility.results)

    def close(self) -> None:
        """Stop following the graph (the document is being replaced)."""
        self._unsubscribe()
        self.document.shapes.reportChanged.disconnect(self.apply_report)
        self.document.compatibility.resultsChanged.disconnect(self.apply_compatibility)
        self.document.compatibility.staleChanged.disconnect(self.apply_stale_badges)

    # ---- the graph -> items ------------------------------------------------------------------
    def _on_graph_event(self, event) -> None:
        if isinstance(event, NodeAdded):
            item = self._add_node_item(event.node)
            report = self.document.shapes.report
            if report is not None and event.node.id in report.nodes:
                item.set_result(report.nodes[event.node.id])
            item.set_compatibility(self.document.compatibility.results.get(event.node.id))
        elif isinstance(event, NodeRemoved):
            item = self.node_items.pop(event.node.id)
            self.removeItem(item)
        elif isinstance(event, NodeMoved):
            self.node_items[event.node.id].setPos(QPointF(*event.node.position))
        elif isinstance(event, EdgeAdded):
            self._add_edge_item(event.edge)
        elif isinstance(event, EdgeRemoved):
            item = self.edge_items.pop(event.edge)
            item.detach()
            self.removeItem(item)
            self._update_merge_ports(event.edge.target)
        elif isinstance(event, FlagChanged):
            self.node_items[event.node.id].set_flags(event.node.trainable, event.node.output)
        # ParamChanged changes nothing drawn until shape inference reports (see apply_report).

    def _add_node_item(self, node) -> NodeItem:
        item = NodeItem(node.id, node.type, node.position)
        item.set_flags(node.trainable, node.output)
        self.node_items[node.id] = item
        self.addItem(item)
        return item

    def _add_edge_item(self, edge: Edge) -> EdgeItem:
        self._update_merge_ports(edge.target)
        item = EdgeItem(edge, self.node_items[edge.source], self.node_items[edge.target])
        self.edge_items[edge] = item
        self.addItem(item)
        return item

    def _update_merge_ports(self, node_id: str) -> None:
        """A merge block shows one input port more than it has wires (a gap left by a removed wire is the free one)."""
        item = self.node_items.get(node_id)
        if item is None or not item.is_merge:
            return
        ports = [e.target_port for e in self.document.graph.incoming(node_id)]
        item.set_input_port_count(max(len(ports) + 1, max(ports, default=-1) + 1))

    @Slot(object)
    def apply_report(self, report) -> None:
        """Show each node's shape, parameter count or error from a ShapeReport (None: not yet)."""
        for node_id, item in self.node_items.items():
            item.set_result(report.nodes.get(node_id) if report is not None else None)

    @Slot(object)
    def apply_compatibility(self, results: dict) -> None:
        """Show each node's TFLite badge ({node_id: BlockCompatibility}; empty: badges off or not checked yet)."""
        for node_id, item in self.node_items.items():
            item.set_compatibility(results.get(node_id))

    @Slot(object)
    def apply_stale_badges(self, stale: set) -> None:
        """Dim the badges of blocks edited since their answer, until the new answer comes."""
        for node_id, item in self.node_items.items():
            item.set_badge_stale(node_id in stale)

    # ---- edits the user asks for -------------------------------------------------------------
    def add_block(self, block_type: str, centre: QPointF) -> str:
        """Add a block centred on a scene point; returns its id and selects it."""
        x = round((centre.x() - style.NODE_WIDTH / 2) / 10) * 10
        y = round((centre.y() - style.NODE_HEIGHT / 2) / 10) * 10
        command = AddNodeCommand(self.document.graph, block_type, blocks.initial_params(block_type), (x, y))
        self.document.push(command)
        self.clearSelection()
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

    def selected_node_ids(self) -> list[str]:
        return [i.node_id for i in self.selectedItems() if isinstance(i, NodeItem)]

    def delete_selection(self) -> None:
        """Remove the selected nodes (with their wires) and the selected wires, as one undo step."""
        nodes = self.selected_node_ids()
        edges = [i.edge for i in self.selectedItems()
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

    # ---- mouse: wires from ports, moves on release -------------------------------------------
    def mousePressEvent(self, event: QGraphicsSceneMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            port = next((i for i in self.items(event.scenePos()) if isinstance(i, PortItem)), None)
            if port is not None:
                self._draft = WireDraft(self, port)
                event.accept()
                return
        super().mousePressEvent(event)
        self._press_positions = {i.node_id: i.pos() for i in self.selectedItems() if isinstance(i, NodeItem)}

    def mouseMoveEvent(self, event: QGraphicsSceneMouseEvent) -> None:
        if self._draft is not None:
            self._draft.move_to(event.scenePos())
            event.accept()
            return
        super().mouseMoveEvent(event)

    def mouseReleaseEvent(self, event: QGraphicsSceneMouseEvent) -> None:
        if self._draft is not None:
            self._draft.move_to(event.scenePos())
            wire = self._draft.connection()
            self._draft.discard()
            self._draft = None
            if wire is not None:
                self.connect_ports(*wire)
            event.accept()
            return
        super().mouseReleaseEvent(event)
        self._commit_moves()

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
