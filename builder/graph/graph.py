"""The graph: nodes (a block type + its constructor arguments) by id, and the edges between their numbered ports.

The graph is the single source of truth. Every change goes through a method here, and each
method emits one plain-Python event so that views (the Qt canvas, a test) can follow.
"""
from __future__ import annotations

import copy
import dataclasses
import keyword
import re
from collections.abc import Iterable, Mapping
from types import MappingProxyType
from typing import Any

from builder.errors import GraphError
from builder.graph.elements import Edge, Node
from builder.graph.events import (EdgeAdded, EdgeRemoved, EventEmitter, FlagChanged, NodeAdded, NodeMoved, NodeRemoved,
                                  NodeRenamed, ParamChanged)

MAX_NODE_ID_LENGTH = 200  # a node id names a Keras layer, a Python variable and a model output


def snake_case(name: str) -> str:
    """Keras's own layer naming (keras.src.utils.naming.to_snake_case): Conv2D -> conv2d."""
    name = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub(r"([a-z])([A-Z])", r"\1_\2", name).lower()


def node_id_problem(node_id: object) -> str | None:
    """None when `node_id` can name a node (a Python identifier that is not a keyword and at most
    MAX_NODE_ID_LENGTH long: it becomes a variable in exported code and an output name in Keras), else why not,
    with what to do."""
    if not isinstance(node_id, str) or not node_id:
        return "a name is needed: use letters, digits and _, not starting with a digit"
    if len(node_id) > MAX_NODE_ID_LENGTH:
        return f"a name may be at most {MAX_NODE_ID_LENGTH} characters long; it has {len(node_id):,}"
    shown = node_id if node_id.isprintable() else ascii(node_id)
    if keyword.iskeyword(node_id) or keyword.issoftkeyword(node_id):
        return f"'{shown}' is a Python keyword: add a letter or _ (e.g. '{shown}_1')"
    if not node_id.isidentifier() or not node_id.isascii():
        suggestion = re.sub(r"[^0-9A-Za-z_]", "_", node_id)
        suggestion = suggestion if suggestion[:1].isalpha() or suggestion[:1] == "_" else "n_" + suggestion
        return (f"'{shown}' is not a valid name: use letters, digits and _, not starting with a digit "
                f"(e.g. '{suggestion[:MAX_NODE_ID_LENGTH]}')")
    return None


class Graph:
    """Nodes by id and the edges between them; emits an event for every change.

    `nodes` and `edges` are read-only views: the graph changes only through its methods, each of which
    emits one event. Per-node indexes of incoming and outgoing wires (in wiring order) make
    `incoming`/`outgoing` cost O(degree), not O(wires), so walking a 500-node graph stays linear.
    """

    def __init__(self) -> None:
        self._nodes: dict[str, Node] = {}
        self._edges: list[Edge] = []
        self._edges_view: tuple[Edge, ...] | None = ()
        self.events = EventEmitter()
        self._in: dict[str, list[Edge]] = {}  # target id -> wires into it, in `edges` order
        self._out: dict[str, list[Edge]] = {}  # source id -> wires out of it, in `edges` order

    @property
    def nodes(self) -> Mapping[str, Node]:
        """Nodes by id, in the order they were added (read-only: change them through the methods below)."""
        return MappingProxyType(self._nodes)

    @property
    def edges(self) -> tuple[Edge, ...]:
        """The wires in the order they were made (read-only)."""
        if self._edges_view is None:
            self._edges_view = tuple(self._edges)
        return self._edges_view

    # ---- queries -------------------------------------------------------------------------
    def node(self, node_id: str) -> Node:
        try:
            return self._nodes[node_id]
        except KeyError:
            raise GraphError(f"There is no node '{node_id}' in the graph.") from None

    def incoming(self, node_id: str) -> list[Edge]:
        """Edges into a node, in input-port order (the order a merge layer receives them)."""
        return sorted(self._in.get(node_id, ()), key=lambda e: e.target_port)

    def outgoing(self, node_id: str) -> list[Edge]:
        return list(self._out.get(node_id, ()))

    def output_nodes(self) -> list[str]:
        """The model's output nodes, in node order: nodes with no outgoing edge, and nodes marked as outputs."""
        return [n for n, node in self._nodes.items()
                if node.type != "Input" and (not self._out.get(n) or node.output)]

    def input_nodes(self) -> list[str]:
        return [n for n, node in self._nodes.items() if node.type == "Input"]

    def owner(self, node_id: str) -> str:
        """The node whose Keras layer `node_id` calls: the node it shares weights with, else itself."""
        return self.node(node_id).shares or node_id

    def sharing_group(self, node_id: str) -> list[str]:
        """Every node that calls the same Keras layer as `node_id` (the owner first, then its sharing nodes in node
        order); just `[node_id]` for a node that shares nothing."""
        owner = self.owner(node_id)
        return [owner] + [n for n, node in self._nodes.items() if node.shares == owner]

    def share_problem(self, node_id: str, owner_id: str | None) -> str | None:
        """None when `set_shares(node_id, owner_id)` would succeed, else the message it would raise (what is wrong
        and what to do)."""
        node = self.node(node_id)
        if owner_id is None or owner_id == node.shares:
            return None
        who = f"{node.type} '{node_id}'"
        if owner_id not in self._nodes:
            return f"{who} cannot share weights with '{owner_id}': there is no such node. Name an existing node."
        owner = self._nodes[owner_id]
        if owner_id == node_id:
            return f"{who} cannot share weights with itself; name another node of type {node.type}."
        if node.type == "Input" or owner.type == "Input":
            return f"{who} cannot share weights with '{owner_id}': an Input has no layer to share."
        if owner.type != node.type:
            return (f"{who} cannot share weights with {owner.type} '{owner_id}': a shared layer is one layer, so "
                    f"both nodes must be of the same type. Name a {node.type} node.")
        if owner.shares == node_id:
            return f"{who} cannot share weights with '{owner_id}': '{owner_id}' already calls the layer of '{node_id}'."
        if owner.shares is not None:
            return (f"{who} cannot share weights with '{owner_id}', which itself shares the layer of "
                    f"'{owner.shares}': name '{owner.shares}' instead.")
        if any(other.shares == node_id for other in self._nodes.values()):
            return (f"{who} cannot share weights with '{owner_id}': other nodes share its own layer; make them share "
                    f"'{owner_id}' first.")
        return None

    def new_id(self, block_type: str) -> str:
        """A fresh id in Keras's style: `conv2d_1`, `conv2d_2`..."""
        return self.new_ids([block_type])[0]

    def new_ids(self, block_types: Iterable[str]) -> list[str]:
        """One fresh id per block type given (a paste), Keras-style, unique in the graph and among themselves."""
        taken = set(self._nodes)
        next_number: dict[str, int] = {}
        ids = []
        for block_type in block_types:
            base = snake_case(block_type)
            i = next_number.get(base, 1)
            while f"{base}_{i}" in taken:
                i += 1
            ids.append(f"{base}_{i}")
            taken.add(ids[-1])
            next_number[base] = i + 1
        return ids

    # ---- edits ---------------------------------------------------------------------------
    def add_node(
        self,
        block_type: str,
        params: dict[str, Any] | None = None,
        position: Iterable[float] = (0.0, 0.0),
        node_id: str | None = None,
        trainable: bool = True,
        output: bool = False,
        index: int | None = None,
        shares: str | None = None,
    ) -> Node:
        """Add a node at the end of `nodes`, or at position `index` there (an undo putting a node back in its
        place: the order of Input and output nodes is the order of the model's inputs and outputs).

        With `shares`, the node calls the Keras layer of node `shares` again: it takes that node's params and
        trainable switch (the ones given are ignored)."""
        node_id = node_id or self.new_id(block_type)
        if node_id in self._nodes:
            raise GraphError(f"A node named '{node_id}' already exists; choose another name.")
        x, y = position
        node = Node(node_id, block_type, dict(params or {}), (float(x), float(y)), bool(trainable), bool(output))
        if shares is not None:
            self._nodes[node_id] = node  # share_problem asks about it; taken out again below if refused
            problem = self.share_problem(node_id, shares)
            del self._nodes[node_id]
            if problem is not None:
                raise GraphError(problem)
            owner = self._nodes[shares]
            node.params, node.trainable, node.shares = copy.deepcopy(owner.params), owner.trainable, shares
        if index is None or index >= len(self._nodes):
            self._nodes[node_id] = node
        else:
            items = list(self._nodes.items())
            items.insert(index, (node_id, node))
            self._nodes = dict(items)
        self.events.emit(NodeAdded(node))
        return node

    def remove_node(self, node_id: str) -> tuple[Node, list[Edge]]:
        """Remove a node and its edges; returns both so an undo can restore them.

        Removing the owner of a shared layer hands the layer to the first node that shared it (the others now
        share that node's layer): the group keeps one set of weights."""
        node = self.node(node_id)
        sharing = [n for n, other in self._nodes.items() if other.shares == node_id]
        if sharing:
            self.set_shares(sharing[0], None)
            for other in sharing[1:]:
                self.set_shares(other, sharing[0])
        edges = [e for e in self._edges if node_id in (e.source, e.target)]  # in wiring order, for undo
        for edge in edges:
            self.disconnect(edge)
        del self._nodes[node_id]
        self._in.pop(node_id, None)
        self._out.pop(node_id, None)
        self.events.emit(NodeRemoved(node))
        return node, edges

    def rename_problem(self, old_id: str, new_id: str) -> str | None:
        """None when `rename_node(old_id, new_id)` would succeed, else the message it would raise."""
        if old_id not in self._nodes:
            return f"There is no node '{old_id}' in the graph."
        if new_id == old_id:
            return None
        problem = node_id_problem(new_id)
        if problem is not None:
            return f"Cannot rename '{old_id}': {problem}."
        if new_id in self._nodes:
            return (f"Cannot rename '{old_id}' to '{new_id}': a node named '{new_id}' already exists; "
                    "choose another name.")
        return None

    def rename_node(self, old_id: str, new_id: str) -> Node:
        """Give a node a new id, keeping its place in `nodes` and its wires (re-made with the new id at the same
        positions in `edges`, with the same ports); emits one NodeRenamed. The new id must be free and pass
        `node_id_problem`. Renaming a node to its own id does nothing."""
        problem = self.rename_problem(old_id, new_id)
        if problem is not None:
            raise GraphError(problem)
        node = self._nodes[old_id]
        if new_id == old_id:
            return node
        node.id = new_id
        self._nodes = {(new_id if key == old_id else key): value for key, value in self._nodes.items()}
        replaced: list[tuple[Edge, Edge]] = []
        for i, edge in enumerate(self._edges):
            if old_id in (edge.source, edge.target):
                new = Edge(new_id if edge.source == old_id else edge.source,
                           new_id if edge.target == old_id else edge.target, edge.source_port, edge.target_port)
                self._edges[i] = new
                replaced.append((edge, new))
        if replaced:
            self._edges_view = None
            swap = dict(replaced)
            touched = {old_id} | {e.source for e, _ in replaced} | {e.target for e, _ in replaced}
            for index in (self._in, self._out):
                for key in touched & index.keys():
                    index[key] = [swap.get(e, e) for e in index[key]]
        for index in (self._in, self._out):
            if old_id in index:
                index[new_id] = index.pop(old_id)
        for other in self._nodes.values():
            if other.shares == old_id:
                other.shares = new_id
        self.events.emit(NodeRenamed(node, old_id, tuple(replaced)))
        return node

    def move_node(self, node_id: str, position: Iterable[float]) -> None:
        node = self.node(node_id)
        x, y = position
        node.position = (float(x), float(y))
        self.events.emit(NodeMoved(node))

    def set_param(self, node_id: str, name: str, value: Any) -> None:
        """Set one constructor argument; `value=None` removes it (Keras's default applies). Nodes that share one
        layer have one set of arguments: it is set on each of them (one ParamChanged per node)."""
        self.node(node_id)
        for member in self.sharing_group(node_id):
            node = self._nodes[member]
            if value is None:
                node.params.pop(name, None)
            else:
                node.params[name] = copy.deepcopy(value) if member != node_id else value
            self.events.emit(ParamChanged(node, name))

    def set_flag(self, node_id: str, name: str, value: bool) -> None:
        """Set a node's `trainable` or `output` switch. Nodes that share one layer are frozen together: `trainable`
        is set on each of them (one FlagChanged per node)."""
        if name not in ("trainable", "output"):
            raise GraphError(f"'{name}' is not a node switch; use 'trainable' or 'output'.")
        self.node(node_id)
        for member in self.sharing_group(node_id) if name == "trainable" else [node_id]:
            node = self._nodes[member]
            setattr(node, name, bool(value))
            self.events.emit(FlagChanged(node, name))

    def set_shares(self, node_id: str, owner_id: str | None) -> None:
        """Make a node call the Keras layer of `owner_id` (shared weights: it takes the owner's params and trainable
        switch, one ParamChanged per parameter that changes), or give it a layer of its own again (None, keeping
        its params). Emits FlagChanged(node, "shares"). Refused with `share_problem`'s message."""
        problem = self.share_problem(node_id, owner_id)
        if problem is not None:
            raise GraphError(problem)
        node = self._nodes[node_id]
        if owner_id == node.shares:
            return
        node.shares = owner_id
        if owner_id is not None:
            owner = self._nodes[owner_id]
            changed = [k for k in dict.fromkeys([*node.params, *owner.params])
                       if node.params.get(k) != owner.params.get(k)]
            node.params = copy.deepcopy(owner.params)
            for name in changed:
                self.events.emit(ParamChanged(node, name))
            if node.trainable != owner.trainable:
                node.trainable = owner.trainable
                self.events.emit(FlagChanged(node, "trainable"))
        self.events.emit(FlagChanged(node, "shares"))

    def connect(self, source: str, target: str, source_port: int = 0, target_port: int = 0,
                index: int | None = None) -> Edge:
        """Wire two ports; the wire goes at the end of `edges`, or at position `index` there (an undo)."""
        self.node(source)
        self.node(target)
        if source == target:
            raise GraphError(f"'{source}' cannot be connected to itself.")
        for e in self._in.get(target, ()):
            if e.target_port == target_port:
                raise GraphError(
                    f"Input port {target_port} of '{target}' is already connected to '{e.source}'; "
                    "remove that wire first."
                )
        edge = Edge(source, target, source_port, target_port)
        self._edges_view = None
        if index is None or index >= len(self._edges):
            self._edges.append(edge)
            self._in.setdefault(target, []).append(edge)
            self._out.setdefault(source, []).append(edge)
        else:  # the per-node indexes keep `edges` order
            self._edges.insert(index, edge)
            self._in[target] = [e for e in self._edges if e.target == target]
            self._out[source] = [e for e in self._edges if e.source == source]
        self.events.emit(EdgeAdded(edge))
        return edge

    def disconnect(self, edge: Edge) -> None:
        if edge not in self._out.get(edge.source, ()):
            raise GraphError(f"There is no wire from '{edge.source}' to '{edge.target}'.")
        self._edges.remove(edge)
        self._edges_view = None
        self._in[edge.target].remove(edge)
        self._out[edge.source].remove(edge)
        self.events.emit(EdgeRemoved(edge))

    def copy(self) -> "Graph":
        """An independent copy for what-if checks, made without events: its own nodes (each with its own params
        dict; the values, which edits replace and never change in place, are shared) and its own wires."""
        other = Graph()
        other._nodes = {node_id: dataclasses.replace(node, params=dict(node.params)) for node_id, node in self._nodes.items()}
        other._edges = list(self._edges)
        other._edges_view = None
        other._in = {node_id: list(edges) for node_id, edges in self._in.items()}
        other._out = {node_id: list(edges) for node_id, edges in self._out.items()}
        return other

    # ---- (de)serialisation -----------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        return {
            "nodes": [n.to_dict() for n in self._nodes.values()],
            "edges": [e.to_dict() for e in self._edges],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Graph":
        """Build a graph from `to_dict` output; the data is assumed validated (see serialization)."""
        graph = cls()
        for n in data.get("nodes", []):
            graph.add_node(n["type"], n.get("params", {}), n.get("position", (0, 0)), n["id"],
                           n.get("trainable", True), n.get("output", False))
        for n in data.get("nodes", []):  # once every node is there: an owner may come after its sharing nodes
            if n.get("shares") is not None:
                graph.set_shares(n["id"], n["shares"])
        for e in data.get("edges", []):
            graph.connect(e["source"], e["target"], e.get("source_port", 0), e.get("target_port", 0))
        return graph
