"""Wire edits beyond one connect: a node inserted into a wire, a wire put back at its place, and why a wire cannot be made.

`insert_node_on_edge` splits a wire source → target into source → node → target; `undo_insertion` puts the
graph back exactly as it was (the same `to_dict()`, the split wire at its old place among the edges).
`wire_problem` says why a wire would be refused (the same node, or a cycle); `upstream_nodes` and
`downstream_nodes` are the reachability sets it and the canvas's port highlighting use.
"""
from __future__ import annotations

from collections import deque
from dataclasses import dataclass

from builder.errors import GraphError
from builder.graph.elements import Edge

SAME_NODE_PROBLEM = "same block: a block cannot feed itself"
CYCLE_PROBLEM = "would make a cycle"


@dataclass(frozen=True)
class Insertion:
    """What `insert_node_on_edge` did: the wire it split (and where it stood in `graph.edges`) and the two new wires."""

    edge: Edge
    index: int
    node_id: str
    into_node: Edge
    out_of_node: Edge


def insert_node_on_edge(graph, edge: Edge, node_id: str, in_port: int = 0, out_port: int = 0) -> Insertion:
    """Rewire `edge` (source → target) through `node_id`: source → node (into `in_port`) → target (from `out_port`).

    The node must already be in the graph and must not be on the wire's ends; the graph is unchanged when a
    check fails (GraphError from the graph's own checks, raised before anything is disconnected).
    """
    graph.node(node_id)
    problem = wire_problem(graph, edge.source, node_id, ignoring=edge) or wire_problem(graph, node_id, edge.target,
                                                                                         ignoring=edge)
    if problem is not None:
        raise GraphError(f"'{node_id}' cannot be inserted between '{edge.source}' and '{edge.target}': {problem}.")
    index = graph.edges.index(edge)
    graph.disconnect(edge)
    into = graph.connect(edge.source, node_id, edge.source_port, in_port)
    out = graph.connect(node_id, edge.target, out_port, edge.target_port)
    return Insertion(edge, index, node_id, into, out)


def undo_insertion(graph, insertion: Insertion) -> None:
    """Take the node back out of the wire: its two wires go, the split wire comes back at its old place."""
    graph.disconnect(insertion.out_of_node)
    graph.disconnect(insertion.into_node)
    connect_at(graph, insertion.edge, insertion.index)


def connect_at(graph, edge: Edge, index: int) -> Edge:
    """Connect `edge` so it stands at `index` in `graph.edges` (one EdgeAdded; the wires after it keep their
    items), so that undoing a disconnect restores the graph's exact wiring order (and file)."""
    return graph.connect(edge.source, edge.target, edge.source_port, edge.target_port, index=index)


def upstream_nodes(graph, node_id: str) -> set[str]:
    """Every node whose output reaches `node_id` (not the node itself unless it is on a cycle)."""
    return _reach(graph, node_id, lambda n: (e.source for e in graph.incoming(n)))


def downstream_nodes(graph, node_id: str) -> set[str]:
    """Every node that `node_id`'s output reaches."""
    return _reach(graph, node_id, lambda n: (e.target for e in graph.outgoing(n)))


def _reach(graph, start: str, neighbours) -> set[str]:
    seen: set[str] = set()
    queue = deque(neighbours(start))
    while queue:
        n = queue.popleft()
        if n not in seen:
            seen.add(n)
            queue.extend(neighbours(n))
    return seen


def wire_problem(graph, source: str, target: str, ignoring: Edge | None = None) -> str | None:
    """Why a wire from `source`'s output to `target`'s input cannot be made, or None when it can.

    `ignoring` is a wire about to be removed (the one being moved or split), left out of the cycle test.
    """
    if source == target:
        return SAME_NODE_PROBLEM
    queue, seen = deque([target]), {target}
    while queue:  # does target already feed source?
        n = queue.popleft()
        for e in graph.outgoing(n):
            if e == ignoring or e.target in seen:
                continue
            if e.target == source:
                return CYCLE_PROBLEM
            seen.add(e.target)
            queue.append(e.target)
    return None
