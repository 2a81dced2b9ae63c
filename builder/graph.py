"""The model graph: nodes (Keras layer type + constructor arguments), edges between numbered ports.

The graph is the single source of truth. Every change goes through a method here, and each
method emits one plain-Python event so that views (the Qt canvas, a test) can follow.
"""
from __future__ import annotations

import copy
import re
from collections import deque
from dataclasses import dataclass, field
from typing import Any, Iterable

from builder.errors import GraphError
from builder.events import EventEmitter


@dataclass
class Node:
    """One block: `type` is the Keras class name, `params` its constructor arguments."""

    id: str
    type: str
    params: dict[str, Any] = field(default_factory=dict)
    position: tuple[float, float] = (0.0, 0.0)
    trainable: bool = True  # False freezes the layer's weights (transfer learning)
    output: bool = False  # marked as a model output even though other nodes read it

    def to_dict(self) -> dict[str, Any]:
        data = {
            "id": self.id,
            "type": self.type,
            "params": copy.deepcopy(self.params),
            "position": [float(self.position[0]), float(self.position[1])],
        }
        if not self.trainable:
            data["trainable"] = False
        if self.output:
            data["output"] = True
        return data


@dataclass(frozen=True)
class Edge:
    """A wire from output port `source_port` of `source` to input port `target_port` of `target`."""

    source: str
    target: str
    source_port: int = 0
    target_port: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "source_port": self.source_port,
            "target": self.target,
            "target_port": self.target_port,
        }


# Events: one dataclass per kind of change. Listeners receive the instance.
@dataclass(frozen=True)
class NodeAdded:
    node: Node


@dataclass(frozen=True)
class NodeRemoved:
    node: Node


@dataclass(frozen=True)
class NodeMoved:
    node: Node


@dataclass(frozen=True)
class ParamChanged:
    node: Node
    name: str


@dataclass(frozen=True)
class FlagChanged:
    """`trainable` or `output` of a node changed."""

    node: Node
    name: str


@dataclass(frozen=True)
class EdgeAdded:
    edge: Edge


@dataclass(frozen=True)
class EdgeRemoved:
    edge: Edge


def _snake(name: str) -> str:
    """Keras's own layer naming (keras.src.utils.naming.to_snake_case): Conv2D -> conv2d."""
    name = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub(r"([a-z])([A-Z])", r"\1_\2", name).lower()


class Graph:
    """Nodes by id and the edges between them; emits an event for every change.

    `edges` is the list of wires in the order they were made; per-node indexes of incoming and
    outgoing wires (kept in that same order) make `incoming`/`outgoing` cost O(degree), not
    O(wires), so walking a 500-node graph stays linear. Change the graph only through its methods.
    """

    def __init__(self) -> None:
        self.nodes: dict[str, Node] = {}
        self.edges: list[Edge] = []
        self.events = EventEmitter()
        self._in: dict[str, list[Edge]] = {}  # target id -> wires into it, in `edges` order
        self._out: dict[str, list[Edge]] = {}  # source id -> wires out of it, in `edges` order
        self._indexed = 0  # len(edges) when the indexes were last in step with it

    def _index(self) -> None:
        """Bring the indexes in step with `edges` if it was changed behind the graph's back."""
        if self._indexed == len(self.edges):
            return
        self._in, self._out = {}, {}
        for e in self.edges:
            self._in.setdefault(e.target, []).append(e)
            self._out.setdefault(e.source, []).append(e)
        self._indexed = len(self.edges)

    # ---- queries -------------------------------------------------------------------------
    def node(self, node_id: str) -> Node:
        try:
            return self.nodes[node_id]
        except KeyError:
            raise GraphError(f"There is no node '{node_id}' in the graph.") from None

    def incoming(self, node_id: str) -> list[Edge]:
        """Edges into a node, in input-port order (the order a merge layer receives them)."""
        self._index()
        return sorted(self._in.get(node_id, ()), key=lambda e: e.target_port)

    def outgoing(self, node_id: str) -> list[Edge]:
        self._index()
        return list(self._out.get(node_id, ()))

    def output_nodes(self) -> list[str]:
        """The model's output nodes, in node order: nodes with no outgoing edge, and nodes marked as outputs."""
        self._index()
        return [n for n, node in self.nodes.items()
                if node.type != "Input" and (not self._out.get(n) or node.output)]

    def input_nodes(self) -> list[str]:
        return [n for n, node in self.nodes.items() if node.type == "Input"]

    def new_id(self, block_type: str) -> str:
        """A fresh id in Keras's style: `conv2d_1`, `conv2d_2`..."""
        base = _snake(block_type)
        i = 1
        while f"{base}_{i}" in self.nodes:
            i += 1
        return f"{base}_{i}"

    # ---- edits ---------------------------------------------------------------------------
    def add_node(
        self,
        block_type: str,
        params: dict[str, Any] | None = None,
        position: Iterable[float] = (0.0, 0.0),
        node_id: str | None = None,
        trainable: bool = True,
        output: bool = False,
    ) -> Node:
        node_id = node_id or self.new_id(block_type)
        if node_id in self.nodes:
            raise GraphError(f"A node named '{node_id}' already exists; choose another name.")
        x, y = position
        node = Node(node_id, block_type, dict(params or {}), (float(x), float(y)), bool(trainable), bool(output))
        self.nodes[node_id] = node
        self.events.emit(NodeAdded(node))
        return node

    def remove_node(self, node_id: str) -> tuple[Node, list[Edge]]:
        """Remove a node and its edges; returns both so an undo can restore them."""
        node = self.node(node_id)
        edges = [e for e in self.edges if node_id in (e.source, e.target)]  # in wiring order, for undo
        for edge in edges:
            self.disconnect(edge)
        del self.nodes[node_id]
        self._in.pop(node_id, None)
        self._out.pop(node_id, None)
        self.events.emit(NodeRemoved(node))
        return node, edges

    def move_node(self, node_id: str, position: Iterable[float]) -> None:
        node = self.node(node_id)
        x, y = position
        node.position = (float(x), float(y))
        self.events.emit(NodeMoved(node))

    def set_param(self, node_id: str, name: str, value: Any) -> None:
        """Set one constructor argument; `value=None` removes it (Keras's default applies)."""
        node = self.node(node_id)
        if value is None:
            node.params.pop(name, None)
        else:
            node.params[name] = value
        self.events.emit(ParamChanged(node, name))

    def set_flag(self, node_id: str, name: str, value: bool) -> None:
        """Set a node's `trainable` or `output` switch."""
        if name not in ("trainable", "output"):
            raise GraphError(f"'{name}' is not a node switch; use 'trainable' or 'output'.")
        node = self.node(node_id)
        setattr(node, name, bool(value))
        self.events.emit(FlagChanged(node, name))

    def connect(self, source: str, target: str, source_port: int = 0, target_port: int = 0) -> Edge:
        self.node(source)
        self.node(target)
        if source == target:
            raise GraphError(f"'{source}' cannot be connected to itself.")
        self._index()
        for e in self._in.get(target, ()):
            if e.target_port == target_port:
                raise GraphError(
                    f"Input port {target_port} of '{target}' is already connected to '{e.source}'; "
                    "remove that wire first."
                )
        edge = Edge(source, target, source_port, target_port)
        self.edges.append(edge)
        self._in.setdefault(target, []).append(edge)
        self._out.setdefault(source, []).append(edge)
        self._indexed = len(self.edges)
        self.events.emit(EdgeAdded(edge))
        return edge

    def disconnect(self, edge: Edge) -> None:
        self._index()
        if edge not in self._out.get(edge.source, ()):
            raise GraphError(f"There is no wire from '{edge.source}' to '{edge.target}'.")
        self.edges.remove(edge)
        self._in[edge.target].remove(edge)
        self._out[edge.source].remove(edge)
        self._indexed = len(self.edges)
        self.events.emit(EdgeRemoved(edge))

    # ---- (de)serialisation -----------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        return {
            "nodes": [n.to_dict() for n in self.nodes.values()],
            "edges": [e.to_dict() for e in self.edges],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Graph":
        """Build a graph from `to_dict` output; the data is assumed validated (see serialization)."""
        graph = cls()
        for n in data.get("nodes", []):
            graph.add_node(n["type"], n.get("params", {}), n.get("position", (0, 0)), n["id"],
                           n.get("trainable", True), n.get("output", False))
        for e in data.get("edges", []):
            graph.connect(e["source"], e["target"], e.get("source_port", 0), e.get("target_port", 0))
        return graph


def topological_order(graph: Graph) -> tuple[list[str], set[str]]:
    """Nodes in data-flow order (Kahn's algorithm) and the set of nodes that a cycle holds up."""
    indegree = {n: 0 for n in graph.nodes}
    for e in graph.edges:
        indegree[e.target] += 1
    ready = deque(n for n, d in indegree.items() if d == 0)
    order: list[str] = []
    while ready:
        n = ready.popleft()
        order.append(n)
        for e in graph.outgoing(n):
            indegree[e.target] -= 1
            if indegree[e.target] == 0:
                ready.append(e.target)
    return order, set(graph.nodes) - set(order)


def nodes_on_cycles(graph: Graph, candidates: set[str]) -> set[str]:
    """Of the candidates, those that can reach themselves (on a cycle, not just behind one)."""
    on_cycle = set()
    for start in candidates:
        stack, seen = [e.target for e in graph.outgoing(start)], set()
        while stack:
            n = stack.pop()
            if n == start:
                on_cycle.add(start)
                break
            if n in seen or n not in candidates:
                continue
            seen.add(n)
            stack.extend(e.target for e in graph.outgoing(n))
    return on_cycle
