"""The canvas scene: node and wire items that follow the graph's events, and nothing else.

Items are created, moved and removed only in `_on_graph_event`. The user's edits on the canvas (drops,
wiring, drags, delete) are `CanvasInteractions` (ui/canvas/interactions.py): they push undo commands on the
document, and the graph events those commands cause redraw the canvas.
"""
from __future__ import annotations

from PySide6.QtCore import QPointF, Slot
from PySide6.QtWidgets import QGraphicsScene

from builder.graph import Edge, EdgeAdded, EdgeRemoved, FlagChanged, NodeAdded, NodeMoved, NodeRemoved
from ui.canvas.edge_item import EdgeItem
from ui.canvas.interactions import CanvasInteractions
from ui.canvas.node_item import NodeItem, selected_node_ids
from ui.document import Document


class CanvasScene(QGraphicsScene):
    """Draws one document's graph; `interactions` turns the user's mouse edits on it into undo commands."""

    def __init__(self, document: Document, parent=None) -> None:
        super().__init__(parent)
        self.document = document
        self.node_items: dict[str, NodeItem] = {}
        self.edge_items: dict[Edge, EdgeItem] = {}
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
        self.interactions = CanvasInteractions(self, document, self.node_items)

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
        """A merge node (Add, Concatenate…) shows one input port more than it has wires (a gap left by a removed wire is the free one)."""
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
        """Dim the badges of nodes edited since their answer, until the new answer comes."""
        for node_id, item in self.node_items.items():
            item.set_badge_stale(node_id in stale)

    @Slot(object)
    def apply_dataset_problems(self, problems: dict) -> None:
        """Mark the blocks that do not fit the dataset ({node id: [message, ...]}; others are unmarked)."""
        for node_id, item in self.node_items.items():
            item.set_dataset_problems(problems.get(node_id, []))

    def selected_node_ids(self) -> list[str]:
        return selected_node_ids(self)

    # ---- edits: one-line delegates to the interactions, for scripts and tests that drive the scene ---
    def add_block(self, block_type: str, centre: QPointF) -> str:
        """Add a node of `block_type` centred on a scene point; returns its id and selects it."""
        return self.interactions.add_node(block_type, centre)

    def connect_ports(self, source: str, target: str, source_port: int = 0, target_port: int = 0) -> bool:
        return self.interactions.connect_ports(source, target, source_port, target_port)

    def delete_selection(self) -> None:
        self.interactions.delete_selection()
