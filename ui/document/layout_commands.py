"""Auto-layout as one undo step: every node (or the chosen ones) moves to its layered position."""
from __future__ import annotations

from collections.abc import Iterable

from builder.graph import Graph, layered_positions
from ui.document.commands import MoveNodesCommand


class AutoLayoutCommand(MoveNodesCommand):
    """Lays out the whole graph, or only `node_ids` (near where they are, clear of the rest).

    The positions are computed once, when the command is made, so redo after undo lands exactly where
    the first layout did. Never merged with a drag of the same nodes: each is its own undo step.
    """

    def __init__(self, graph: Graph, node_ids: Iterable[str] | None = None) -> None:
        positions = layered_positions(graph, None if node_ids is None else list(node_ids))
        moves = {n: (graph.nodes[n].position, p) for n, p in positions.items() if graph.nodes[n].position != p}
        super().__init__(graph, moves)
        count = len(positions)
        self.setText(f"Auto-layout {'the graph' if node_ids is None else f'{count} blocks'}")
        self.moved = len(moves)  # how many nodes the layout moves (0: it was laid out already)

    def id(self) -> int:
        return -1  # no merging

    def mergeWith(self, other) -> bool:
        return False
