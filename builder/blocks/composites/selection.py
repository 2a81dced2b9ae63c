"""Turning selected nodes of a graph into a composite block definition."""
from __future__ import annotations

from typing import Any

from builder.blocks.composites.definition import FORMAT, VERSION, BlockError
from builder.blocks.composites.library import check_name, definition_from_dict
from builder.graph import Edge, Graph, topological_order


def selection_definition(graph: Graph, node_ids: list[str], name: str, description: str = "",
                         shapes: dict[tuple[str, int], tuple] | None = None) -> dict[str, Any]:
    """Turn selected nodes into a block definition (a dict ready for `save_block`).

    Wires entering the selection become the block's inputs (one per distinct source port, so a
    tensor that feeds two selected layers is one input); wires leaving it, and selected nodes with
    no outgoing wire or marked as outputs, become its outputs. `shapes` ((node, port) -> shape with
    the batch dimension) gives the example shapes of the inputs (builder.model.save_selection infers them).
    """
    check_name(name, allow_existing_user=True)
    selected = list(dict.fromkeys(node_ids))
    if not selected:
        raise BlockError("Select the blocks to save first.")
    for node_id in selected:
        node = graph.node(node_id)
        if node.type == "Input":
            raise BlockError(f"'{node_id}' is an Input: a block's inputs are the wires that enter the selection. "
                             "Select only the layers after the Input.")
    chosen = set(selected)
    _check_contiguous(graph, chosen)
    order, _ = topological_order(graph)
    rank = {n: i for i, n in enumerate(order)}
    selected.sort(key=lambda n: rank.get(n, len(rank)))
    entering = [e for e in graph.edges if e.target in chosen and e.source not in chosen]
    entering.sort(key=lambda e: (rank.get(e.target, 0), e.target_port))
    sources = list(dict.fromkeys((e.source, e.source_port) for e in entering))
    if not sources:
        raise BlockError("Nothing enters the selection: a block needs at least one wire coming into it.")
    in_names = ["input"] if len(sources) == 1 else [f"input_{i + 1}" for i in range(len(sources))]
    in_names = [_free_id(n, chosen) for n in in_names]
    leaving = [(e.source, e.source_port) for e in graph.edges if e.source in chosen and e.target not in chosen]
    with_wires = {e.source for e in graph.edges}
    extra = [(n, 0) for n in selected if n not in with_wires or graph.nodes[n].output]
    exits = sorted(dict.fromkeys(leaving + extra), key=lambda s: (rank.get(s[0], 0), s[1]))
    out_names = ["output"] if len(exits) == 1 else [f"output_{i + 1}" for i in range(len(exits))]
    shapes = shapes or {}
    x0 = min(graph.nodes[n].position[0] for n in selected)
    y0 = min(graph.nodes[n].position[1] for n in selected)
    nodes = []
    for i, (source, port) in enumerate(sources):
        params = {}
        shape = shapes.get((source, port))
        if shape is not None:
            params["shape"] = list(shape[1:])
        nodes.append({"id": in_names[i], "type": "Input", "params": params,
                      "position": [float(i * 240), -90.0]})
    for node_id in selected:
        data = graph.nodes[node_id].to_dict()
        data.pop("output", None)
        data["position"] = [data["position"][0] - x0, data["position"][1] - y0]
        nodes.append(data)
    input_of = {s: in_names[i] for i, s in enumerate(sources)}
    edges = [e.to_dict() for e in graph.edges if e.source in chosen and e.target in chosen]
    for e in entering:
        edges.append(Edge(input_of[(e.source, e.source_port)], e.target, 0, e.target_port).to_dict())
    data = {
        "format": FORMAT,
        "version": VERSION,
        "name": name,
        "description": description or f"Saved from {len(selected)} blocks: {', '.join(selected)}.",
        "inputs": in_names,
        "outputs": [{"name": out_names[i], "node": n, "port": p} for i, (n, p) in enumerate(exits)],
        "graph": {"nodes": nodes, "edges": edges},
    }
    definition_from_dict(data, f"<block {name}>")  # the same checks a saved file gets
    return data


def _free_id(name: str, taken: set[str]) -> str:
    candidate, i = name, 1
    while candidate in taken:
        candidate, i = f"{name}_in{i}", i + 1
    return candidate


def _check_contiguous(graph: Graph, chosen: set[str]) -> None:
    """No path may leave the selection and come back: the block would then feed itself."""
    stack = [e.target for e in graph.edges if e.source in chosen and e.target not in chosen]
    seen: set[str] = set()
    while stack:
        n = stack.pop()
        if n in seen:
            continue
        seen.add(n)
        for e in graph.outgoing(n):
            if e.target in chosen:
                raise BlockError(f"The selection has a gap: '{n}' takes a selected block's output and feeds another "
                                 f"selected block ('{e.target}'). Select '{n}' too, or fewer blocks.")
            stack.append(e.target)
