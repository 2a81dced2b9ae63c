"""Undoable wire edits beyond one connect: a block inserted into a wire, a node spliced into one, a wire removed
and put back at its place. Like commands.py, they call Graph methods (through builder.graph's insertion) only."""
from __future__ import annotations

import copy
from typing import Any

from PySide6.QtGui import QUndoCommand

from builder.graph import Edge, Graph, Insertion, connect_at, insert_node_on_edge, undo_insertion

Point = tuple[float, float]


class InsertOnWireCommand(QUndoCommand):
    """Adds a node of `block_type` at `position` and rewires `edge` through it (source → node → target).

    Undo takes the node out and puts the wire back at its place: `graph.to_dict()` is exactly as before.
    """

    def __init__(self, graph: Graph, edge: Edge, block_type: str, params: dict[str, Any], position: Point,
                 node_id: str | None = None, in_port: int = 0, out_port: int = 0) -> None:
        super().__init__(f"Insert {block_type} between {edge.source} and {edge.target}")
        self._graph = graph
        self._edge = edge
        self._block_type = block_type
        self._params = copy.deepcopy(params)
        self._position = position
        self._ports = (in_port, out_port)
        self.node_id = node_id or graph.new_id(block_type)  # fixed, so a redo brings back the same id
        self._insertion: Insertion | None = None

    def redo(self) -> None:
        self._graph.add_node(self._block_type, copy.deepcopy(self._params), self._position, self.node_id)
        try:
            self._insertion = insert_node_on_edge(self._graph, self._edge, self.node_id, *self._ports)
        except Exception:
            self._graph.remove_node(self.node_id)
            raise

    def undo(self) -> None:
        undo_insertion(self._graph, self._insertion)
        self._graph.remove_node(self.node_id)


class SpliceIntoWireCommand(QUndoCommand):
    """Rewires `edge` through a node already in the graph (one with no wires, dragged onto the wire)."""

    def __init__(self, graph: Graph, edge: Edge, node_id: str, in_port: int = 0, out_port: int = 0) -> None:
        super().__init__(f"Insert {node_id} between {edge.source} and {edge.target}")
        self._graph = graph
        self._edge = edge
        self.node_id = node_id
        self._ports = (in_port, out_port)
        self._insertion: Insertion | None = None

    def redo(self) -> None:
        self._insertion = insert_node_on_edge(self._graph, self._edge, self.node_id, *self._ports)

    def undo(self) -> None:
        undo_insertion(self._graph, self._insertion)


class RemoveWireCommand(QUndoCommand):
    """Disconnects a wire; undo puts it back at its place among the graph's wires (the file is as before)."""

    def __init__(self, graph: Graph, edge: Edge) -> None:
        super().__init__(f"Disconnect {edge.source} → {edge.target}")
        self._graph = graph
        self.edge = edge
        self._index = -1

    def redo(self) -> None:
        self._index = self._graph.edges.index(self.edge)
        self._graph.disconnect(self.edge)

    def undo(self) -> None:
        connect_at(self._graph, self.edge, self._index)
