"""One undo step that edits many nodes at once: a parameter or a switch set on every selected node.

The inspector's multi-selection pushes these; each calls Graph methods only, so the canvas and the
inspector follow the graph's events exactly as for a single-node edit.
"""
from __future__ import annotations

import copy
from typing import Any

from PySide6.QtGui import QUndoCommand

from builder.graph import Graph

# A QUndoCommand.id of its own (ui.document.commands uses 1 and 2): spin-box clicks on a multi-selection fold.
SET_PARAM_ON_NODES_ID = 101


def _names(node_ids: list[str]) -> str:
    shown = ", ".join(node_ids[:3])
    return shown + (f" and {len(node_ids) - 3} more" if len(node_ids) > 3 else "")


class SetParamOnNodesCommand(QUndoCommand):
    """Sets one parameter on several nodes; `None` removes it from each (Keras's default applies).

    Undo gives every node back its own old value (set or unset), so nodes that differed differ again.
    """

    def __init__(self, graph: Graph, node_ids: list[str], name: str, value: Any) -> None:
        super().__init__(f"Set {name} on {_names(list(node_ids))}")
        self._graph = graph
        self._node_ids = tuple(node_ids)
        self._name = name
        self._old = {i: copy.deepcopy(graph.node(i).params.get(name)) for i in self._node_ids}
        self._new = copy.deepcopy(value)

    def id(self) -> int:
        return SET_PARAM_ON_NODES_ID

    def mergeWith(self, other: QUndoCommand) -> bool:
        # Clicking a spin box's arrow five times on the same selection is one edit to undo, not five.
        if (not isinstance(other, SetParamOnNodesCommand)
                or (other._node_ids, other._name) != (self._node_ids, self._name)):
            return False
        self._new = other._new
        self.setObsolete(all(old == self._new for old in self._old.values()))
        return True

    def redo(self) -> None:
        for node_id in self._node_ids:
            self._graph.set_param(node_id, self._name, copy.deepcopy(self._new))

    def undo(self) -> None:
        for node_id in self._node_ids:
            self._graph.set_param(node_id, self._name, copy.deepcopy(self._old[node_id]))


class SetFlagOnNodesCommand(QUndoCommand):
    """Switches `trainable` or `output` on several nodes; undo restores each node's own old state."""

    def __init__(self, graph: Graph, node_ids: list[str], name: str, value: bool) -> None:
        words = {("trainable", False): "Freeze", ("trainable", True): "Unfreeze",
                 ("output", True): "Mark as output", ("output", False): "Unmark output"}
        super().__init__(f"{words[(name, bool(value))]} {_names(list(node_ids))}")
        self._graph = graph
        self._node_ids = tuple(node_ids)
        self._name = name
        self._old = {i: bool(getattr(graph.node(i), name)) for i in self._node_ids}
        self._new = bool(value)

    def redo(self) -> None:
        for node_id in self._node_ids:
            self._graph.set_flag(node_id, self._name, self._new)

    def undo(self) -> None:
        for node_id in self._node_ids:
            self._graph.set_flag(node_id, self._name, self._old[node_id])
