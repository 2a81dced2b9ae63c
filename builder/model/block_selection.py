"""Saving selected nodes as a composite block, with example input shapes from shape inference."""
from __future__ import annotations

from typing import Any

from builder.blocks import composites
from builder.graph import Graph
from builder.model.shape_inference import infer_shapes


def save_selection(graph: Graph, node_ids: list[str], name: str, description: str = "",
                   shapes: dict[tuple[str, int], tuple] | None = None) -> dict[str, Any]:
    """Turn selected nodes into a block definition (a dict ready for `composites.save_block`).

    See composites.selection_definition; `shapes` ((node, port) -> shape with the batch dimension) gives
    the example shapes of the inputs, by default found by shape inference.
    """
    if shapes is None:
        entering = [e for e in graph.edges if e.target in set(node_ids) and e.source not in set(node_ids)]
        shapes = _source_shapes(graph, list(dict.fromkeys((e.source, e.source_port) for e in entering)))
    return composites.selection_definition(graph, node_ids, name, description, shapes)


def _source_shapes(graph: Graph, sources: list[tuple[str, int]]) -> dict[tuple[str, int], tuple]:
    """Example input shapes from shape inference; sources it cannot infer are left out."""
    try:
        report = infer_shapes(graph)
    except Exception:  # no Keras, or a graph it cannot check: the block is still saved, without examples
        return {}
    shapes = {}
    for source, port in sources:
        result = report.nodes.get(source)
        if result is not None and result.ok and port < len(result.output_shapes):
            shapes[(source, port)] = result.output_shapes[port]
    return shapes
