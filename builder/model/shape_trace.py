"""Where a node's input shape came from: its whole upstream, and for a shape error the chain back to where the
offending dimension last changed (read from a ShapeReport's per-node output shapes)."""
from __future__ import annotations

from dataclasses import dataclass, field

from builder.graph import Edge, Graph, upstream_nodes
from builder.model.shape_report import Shape, ShapeReport, format_shape


@dataclass(frozen=True)
class ShapeTrace:
    """`nodes`/`edges`: everything upstream of the node. `chain_nodes`/`chain_edges`: for a node red because of a
    shape, the nodes and wires that carried the offending shape unchanged, back to `origins` (where it last
    changed; an Input when it never did). Empty chains when the node has no shape error."""

    node_id: str
    nodes: frozenset[str] = field(default_factory=frozenset)
    edges: frozenset[Edge] = field(default_factory=frozenset)
    chain_nodes: frozenset[str] = field(default_factory=frozenset)
    chain_edges: frozenset[Edge] = field(default_factory=frozenset)
    origins: frozenset[str] = field(default_factory=frozenset)


def trace_shape(graph: Graph, report: ShapeReport | None, node_id: str) -> ShapeTrace:
    """The upstream of `node_id` and, when its own error is about the shapes it received, the offending chain."""
    nodes = upstream_nodes(graph, node_id)
    edges = frozenset(e for n in nodes | {node_id} for e in graph.incoming(n) if e.source in nodes)
    own_error = report is not None and node_id in report.nodes and not report.nodes[node_id].ok
    received = _received_shapes(graph, report, node_id) if own_error else []
    if not received:
        return ShapeTrace(node_id, frozenset(nodes), edges)
    error = report.nodes[node_id].error or ""
    # "needs a 3-D input …; it received (None, 64)": the number of dimensions is what is wrong; other shape errors
    # (a window larger than the input, sizes that do not match) are about the sizes themselves.
    key = len if ("needs" in error and "received" in error) else tuple
    chain_nodes: set[str] = set()
    chain_edges: set[Edge] = set()
    origins: set[str] = set()
    stack = list(received)
    while stack:
        edge, shape = stack.pop()
        chain_edges.add(edge)
        if edge.source in chain_nodes:
            continue
        chain_nodes.add(edge.source)
        feeding = [(e, s) for e, s in _received_shapes(graph, report, edge.source) if key(s) == key(shape)]
        if feeding:
            stack.extend(feeding)
        else:
            origins.add(edge.source)
    return ShapeTrace(node_id, frozenset(nodes), edges, frozenset(chain_nodes), frozenset(chain_edges),
                      frozenset(origins))


def _received_shapes(graph: Graph, report: ShapeReport | None, node_id: str) -> list[tuple[Edge, Shape]]:
    """The (wire, shape) pairs a node received, when its own error names them (a shape error); else []."""
    if report is None or node_id not in report.nodes:
        return []
    result = report.nodes[node_id]
    pairs = []
    for edge in graph.incoming(node_id):
        upstream = report.nodes.get(edge.source)
        if upstream is None or not upstream.ok or edge.source_port >= len(upstream.output_shapes):
            return []
        pairs.append((edge, tuple(upstream.output_shapes[edge.source_port])))
    if result.error is None:
        return pairs  # as a link of a chain: what an upstream node received
    if result.blocked_by is not None or not any(format_shape(s) in result.error for _, s in pairs):
        return []
    return pairs
