"""Every graph edit as a QUndoCommand: each one calls Graph methods and nothing else.

The canvas follows the graph's events, so undo and redo redraw exactly what the graph holds.
"""
from __future__ import annotations

import copy
from collections.abc import Iterable
from typing import Any

from PySide6.QtGui import QUndoCommand

from builder.graph import Edge, Graph, call_id

Point = tuple[float, float]

# Ids for QUndoCommand.mergeWith: commands of the same id may fold into one undo step.
MOVE_ID = 1
SET_PARAM_ID = 2


class AddNodeCommand(QUndoCommand):
    """Adds a node; with `shares`, one that calls that node's layer again (same type, params and weights)."""

    def __init__(self, graph: Graph, block_type: str, params: dict[str, Any], position: Point,
                 node_id: str | None = None, shares: str | None = None) -> None:
        super().__init__(f"Call {shares} again" if shares else f"Add {block_type}")
        self._graph = graph
        self._block_type = block_type
        self._params = copy.deepcopy(params)
        self._position = position
        self._shares = shares
        # Fixed on first redo so that a redo after an undo brings back the same id.
        self.node_id = node_id or (call_id(shares, graph.nodes) if shares else graph.new_id(block_type))

    def redo(self) -> None:
        self._graph.add_node(self._block_type, copy.deepcopy(self._params), self._position, self.node_id,
                             shares=self._shares)

    def undo(self) -> None:
        self._graph.remove_node(self.node_id)


class SetSharesCommand(QUndoCommand):
    """Makes a node call another node's layer (shared weights), or gives it a layer of its own again (None); undo
    puts back the sharing and the parameters it had."""

    def __init__(self, graph: Graph, node_id: str, owner_id: str | None) -> None:
        super().__init__(f"Share {owner_id}'s layer with {node_id}" if owner_id else f"Give {node_id} its own layer")
        self._graph = graph
        self._node_id = node_id
        self._owner_id = owner_id
        node = graph.node(node_id)
        self._old_owner = node.shares
        self._old_params = copy.deepcopy(node.params)
        self._old_trainable = node.trainable

    def redo(self) -> None:
        self._graph.set_shares(self._node_id, self._owner_id)

    def undo(self) -> None:
        self._graph.set_shares(self._node_id, None)
        for name in set(self._graph.node(self._node_id).params) | set(self._old_params):
            if self._graph.node(self._node_id).params.get(name) != self._old_params.get(name):
                self._graph.set_param(self._node_id, name, copy.deepcopy(self._old_params.get(name)))
        if self._graph.node(self._node_id).trainable != self._old_trainable:
            self._graph.set_flag(self._node_id, "trainable", self._old_trainable)
        if self._old_owner is not None:
            self._graph.set_shares(self._node_id, self._old_owner)


class MoveNodesCommand(QUndoCommand):
    """Moves nodes to new positions; pushed once per drag, on mouse release."""

    def __init__(self, graph: Graph, moves: dict[str, tuple[Point, Point]]) -> None:
        names = ", ".join(sorted(moves))
        super().__init__(f"Move {names}")
        self._graph = graph
        self._moves = dict(moves)  # node id -> (old position, new position)

    def id(self) -> int:
        return MOVE_ID

    def mergeWith(self, other: QUndoCommand) -> bool:
        # Successive drags of the same selection fold into one step, like a text editor's typing.
        if not isinstance(other, MoveNodesCommand) or set(other._moves) != set(self._moves):
            return False
        for node_id, (_, new) in other._moves.items():
            self._moves[node_id] = (self._moves[node_id][0], new)
        return True

    def redo(self) -> None:
        for node_id, (_, new) in self._moves.items():
            self._graph.move_node(node_id, new)

    def undo(self) -> None:
        for node_id, (old, _) in self._moves.items():
            self._graph.move_node(node_id, old)


class ConnectCommand(QUndoCommand):
    def __init__(self, graph: Graph, source: str, target: str, source_port: int = 0, target_port: int = 0) -> None:
        super().__init__(f"Connect {source} → {target}")
        self._graph = graph
        self.edge = Edge(source, target, source_port, target_port)

    def redo(self) -> None:
        e = self.edge
        self._graph.connect(e.source, e.target, e.source_port, e.target_port)

    def undo(self) -> None:
        self._graph.disconnect(self.edge)


def _node_list(node_ids: str | Iterable[str]) -> tuple[str, ...]:
    return (node_ids,) if isinstance(node_ids, str) else tuple(node_ids)


def _names(node_ids: tuple[str, ...]) -> str:
    shown = ", ".join(node_ids[:3])
    return shown + (f" and {len(node_ids) - 3} more" if len(node_ids) > 3 else "")


class SetParamCommand(QUndoCommand):
    """Sets one parameter on a node, or on every node of a selection; `None` removes it (Keras's default applies).

    Undo gives every node back its own old value (set or unset), so nodes that differed differ again.
    """

    def __init__(self, graph: Graph, node_ids: str | Iterable[str], name: str, value: Any) -> None:
        self._node_ids = _node_list(node_ids)
        one = len(self._node_ids) == 1
        super().__init__(f"Set {self._node_ids[0]}.{name}" if one else f"Set {name} on {_names(self._node_ids)}")
        self._graph = graph
        self._name = name
        self._old = {i: copy.deepcopy(graph.node(i).params.get(name)) for i in self._node_ids}
        self._new = copy.deepcopy(value)

    def id(self) -> int:
        return SET_PARAM_ID

    def mergeWith(self, other: QUndoCommand) -> bool:
        # Clicking a spin box's arrow five times is one edit to undo, not five.
        if not isinstance(other, SetParamCommand) or (other._node_ids, other._name) != (self._node_ids, self._name):
            return False
        self._new = other._new
        # edited back to where it started: no undo step left
        self.setObsolete(all(old == self._new for old in self._old.values()))
        return True

    def redo(self) -> None:
        for node_id in self._node_ids:
            self._graph.set_param(node_id, self._name, copy.deepcopy(self._new))

    def undo(self) -> None:
        for node_id in self._node_ids:
            self._graph.set_param(node_id, self._name, copy.deepcopy(self._old[node_id]))


class SetFlagCommand(QUndoCommand):
    """Switches `trainable` (freeze for fine-tuning) or `output` (mark as a model output) of a node or of every node
    of a selection; undo restores each node's own old state."""

    def __init__(self, graph: Graph, node_ids: str | Iterable[str], name: str, value: bool) -> None:
        words = {("trainable", False): "Freeze", ("trainable", True): "Unfreeze",
                 ("output", True): "Mark as output", ("output", False): "Unmark output"}
        self._node_ids = _node_list(node_ids)
        super().__init__(f"{words[(name, bool(value))]} {_names(self._node_ids)}")
        self._graph = graph
        self._name = name
        self._old = {i: bool(getattr(graph.node(i), name)) for i in self._node_ids}
        self._new = bool(value)

    def redo(self) -> None:
        for node_id in self._node_ids:
            self._graph.set_flag(node_id, self._name, self._new)

    def undo(self) -> None:
        for node_id in self._node_ids:
            self._graph.set_flag(node_id, self._name, self._old[node_id])
