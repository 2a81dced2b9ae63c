"""Undoable edits for composite blocks (builder.blocks.composites); like commands.py, only Graph calls."""
from __future__ import annotations

from PySide6.QtGui import QUndoCommand

from builder.blocks import composites
from builder.graph import Graph


class ExpandCompositeCommand(QUndoCommand):
    """Replaces a composite node by its inner nodes; undo puts the composite node and its wires back.

    The expansion is planned once, so a redo after an undo brings back the same ids and wires.
    Raises GraphError on construction if the node cannot be expanded (not a composite block, unwired input).
    """

    def __init__(self, graph: Graph, node_id: str) -> None:
        self._graph = graph
        self.plan = composites.plan_expansion(graph, node_id)
        super().__init__(f"Expand {graph.node(node_id).type} {node_id}")

    @property
    def new_ids(self) -> list[str]:
        return [n.id for n in self.plan.nodes]

    def redo(self) -> None:
        composites.apply_expansion(self._graph, self.plan)

    def undo(self) -> None:
        composites.undo_expansion(self._graph, self.plan)
