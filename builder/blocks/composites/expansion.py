"""Expanding a composite node into its inner nodes (and undoing it), in place or on a copy of the graph."""
from __future__ import annotations

import copy
from dataclasses import dataclass

from builder.blocks.composites.definition import MAX_NESTING
from builder.blocks.composites.library import definition, is_composite
from builder.errors import GraphError
from builder.graph import Edge, Graph, Node, place_clear


@dataclass
class Expansion:
    """What expanding one composite node does: the node and its wires go, the inner nodes and wires come."""

    node: Node
    old_edges: list[Edge]
    nodes: list[Node]
    edges: list[Edge]


def plan_expansion(graph: Graph, node_id: str) -> Expansion:
    """Compute (without changing the graph) how a composite node is replaced by its inner nodes."""
    node = graph.node(node_id)
    if not is_composite(node.type):
        raise GraphError(f"'{node_id}' is a {node.type}, not a composite block; only blocks can be expanded.")
    defn = definition(node.type)
    inner = defn.graph(node.params)
    incoming, outgoing = graph.incoming(node_id), graph.outgoing(node_id)
    feeds = {defn.inputs[e.target_port]: (e.source, e.source_port)
             for e in incoming if e.target_port < len(defn.inputs)}
    layers = [n for n in inner.nodes.values() if n.type != "Input"]
    x0 = min((n.position[0] for n in layers), default=0.0)
    y0 = min((n.position[1] for n in layers), default=0.0)

    def pid(inner_id: str) -> str:
        return f"{node_id}_{inner_id}"

    def resolve(inner_id: str, port: int) -> tuple[str, int]:
        if inner.nodes[inner_id].type == "Input":
            if inner_id not in feeds:
                raise GraphError(f"Wire the '{inner_id}' input of {node.type} '{node_id}' before expanding it.")
            return feeds[inner_id]
        return pid(inner_id), port

    new_nodes = []
    for n in layers:
        if pid(n.id) in graph.nodes:
            raise GraphError(f"Cannot expand '{node_id}': the graph already has a node '{pid(n.id)}'. Rename that node first.")
        new_nodes.append(Node(pid(n.id), n.type, copy.deepcopy(n.params),
                              (node.position[0] + n.position[0] - x0, node.position[1] + n.position[1] - y0),
                              trainable=n.trainable and node.trainable, output=n.output))
    # clear of every other node; the composite node itself goes, so it travels with the group
    placed = place_clear(graph, {node_id: node.position, **{n.id: n.position for n in new_nodes}})
    for n in new_nodes:
        n.position = placed[n.id]
    new_edges = []
    for e in inner.edges:
        source, port = resolve(e.source, e.source_port)
        new_edges.append(Edge(source, pid(e.target), port, e.target_port))
    for e in outgoing:
        if e.source_port >= len(defn.outputs):
            raise GraphError(f"'{node_id}' has no output port {e.source_port}; {node.type} has {len(defn.outputs)}.")
        out = defn.outputs[e.source_port]
        source, port = resolve(out.node, out.port)
        new_edges.append(Edge(source, e.target, port, e.target_port))
    if node_id in graph.output_nodes():
        # The block was a model output: its output layers stay outputs even if they also feed inner layers.
        wired_out = {e.source for e in new_edges}
        by_id = {n.id: n for n in new_nodes}
        for out in defn.outputs:
            target = by_id.get(pid(out.node))
            if target is not None and target.id in wired_out:
                target.output = True
    return Expansion(copy.deepcopy(node), list(incoming) + list(outgoing), new_nodes, new_edges)


def apply_expansion(graph: Graph, plan: Expansion) -> None:
    """The inner nodes take the block's place in the node order (the order of the model's outputs)."""
    index = list(graph.nodes).index(plan.node.id)
    graph.remove_node(plan.node.id)
    for i, n in enumerate(plan.nodes):
        graph.add_node(n.type, copy.deepcopy(n.params), n.position, n.id, n.trainable, n.output, index=index + i)
    for e in plan.edges:
        graph.connect(e.source, e.target, e.source_port, e.target_port)


def undo_expansion(graph: Graph, plan: Expansion) -> None:
    order = list(graph.nodes)
    index = min((order.index(n.id) for n in plan.nodes if n.id in graph.nodes), default=len(order))
    for n in reversed(plan.nodes):
        graph.remove_node(n.id)
    node = plan.node
    graph.add_node(node.type, copy.deepcopy(node.params), node.position, node.id, node.trainable, node.output,
                   index=index)
    for e in plan.old_edges:
        graph.connect(e.source, e.target, e.source_port, e.target_port)


def expand(graph: Graph, node_id: str) -> Expansion:
    """Replace a composite node by its inner nodes (ids `<node id>_<inner id>`), in place."""
    plan = plan_expansion(graph, node_id)
    apply_expansion(graph, plan)
    return plan


def has_composites(graph: Graph) -> bool:
    return any(is_composite(n.type) for n in graph.nodes.values())


def expand_all(graph: Graph) -> Graph:
    """A copy of the graph with every composite (and every block inside one) expanded."""
    result = Graph.from_dict(graph.to_dict())
    depth = {n: 0 for n in result.nodes}
    while True:
        pending = next((n for n, node in result.nodes.items() if is_composite(node.type)), None)
        if pending is None:
            return result
        if depth.get(pending, 0) >= MAX_NESTING:
            raise GraphError("Composite blocks nest too deeply: a block probably contains itself through another block.")
        plan = expand(result, pending)
        depth.update({n.id: depth.get(pending, 0) + 1 for n in plan.nodes})
