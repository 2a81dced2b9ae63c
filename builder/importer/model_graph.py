"""A Keras model as a laid-out graph: walk it, keep what leads to its outputs, flag the outputs in the model's order."""
from __future__ import annotations

from typing import Any

from builder.errors import LayerboardError
from builder.graph import Graph, apply_layout
from builder.importer.graph_walk import KerasGraphWalker, input_name, is_graph_model
from builder.model import model_outputs


def graph_from_model(model) -> tuple[Graph, dict[str, Any], list[str]]:
    """(graph, node id -> source layer, notes) for a functional or Sequential Keras model.

    Raises LayerboardError naming every layer (or call) the graph cannot represent.
    """
    walker = KerasGraphWalker()
    if not is_graph_model(model):
        raise LayerboardError(f"{model.name} is a subclassed {type(model).__name__}: its call() is Python code, not "
                              "a graph Layerboard can draw. Import a functional or Sequential model instead.")
    try:
        model_inputs = list(model.inputs)
    except (AttributeError, ValueError):
        model_inputs = []
    if not model_inputs:
        raise LayerboardError(f"{model.name} has no defined input (an unbuilt Sequential model?). Start it with "
                              "keras.Input(shape=...) and save it again.")
    sources = []
    for i, tensor in enumerate(model_inputs):
        sources.append((walker.add_input(tensor, input_name(model, i, tensor)), 0))
    outputs = walker.walk_model(model, sources, None)

    wanted: list[tuple[str, int]] = []
    for i, source in enumerate(outputs):
        if source is None:
            continue
        if walker.nodes[source[0]].type == "Input":
            walker.problems.append(f"output {i + 1} is the input '{source[0]}' itself (add a layer in between)")
        elif source in wanted:
            walker.problems.append(f"output {i + 1} repeats the output of '{source[0]}'")
        else:
            wanted.append(source)
    if walker.problems:
        _raise_unsupported(model, walker.problems)

    # keep only what leads to an output (an unused output of an inlined sub-model leads nowhere)
    needed = {n for n, _ in wanted}
    stack = list(needed)
    into: dict[str, list[str]] = {}
    for s, _, t, _ in walker.wires:
        into.setdefault(t, []).append(s)
    while stack:
        for s in into.get(stack.pop(), []):
            if s not in needed:
                needed.add(s)
                stack.append(s)
    order = [n for n in walker.order if n in needed or walker.nodes[n].type == "Input"]
    # output nodes take the model's output order among themselves (Graph.output_nodes follows node order)
    output_ids = list(dict.fromkeys(n for n, _ in wanted))
    slots = [i for i, n in enumerate(order) if n in output_ids]
    for slot, node_id in zip(slots, output_ids):
        order[slot] = node_id

    graph = Graph()
    for node_id in order:
        node = walker.nodes[node_id]
        graph.add_node(node.type, node.params, (0, 0), node_id, trainable=node.trainable)
    for node_id in order:  # a layer called again: those calls share the layer of its first call
        if walker.nodes[node_id].shares in graph.nodes:
            graph.set_shares(node_id, walker.nodes[node_id].shares)
    for s, sp, t, tp in walker.wires:
        if s in graph.nodes and t in graph.nodes:
            graph.connect(s, t, sp, tp)
    for node_id in output_ids:
        if graph.outgoing(node_id):
            graph.set_flag(node_id, "output", True)
    got = [(n, p) for n, p, _ in model_outputs(graph, walker.port_counts)]
    if got != wanted:
        _raise_unsupported(model, [
            "the model's outputs (" + ", ".join(f"{n}[{p}]" for n, p in wanted) + ") cannot be expressed as "
            "output nodes; a graph built from them would output (" + ", ".join(f"{n}[{p}]" for n, p in got) + ")"])
    if walker.converted_ops:
        walker.notes.append(f"{walker.converted_ops} keras.ops call(s) on two tensors (such as `x + y`) became "
                            "the equivalent merge block (Add, Multiply...)")
    apply_layout(graph)
    # a composite node's inner layers are named `<node id>_<inner id>`, as expanding it names them
    layers = {n: layer for n, layer in walker.layers.items() if walker.parts.get(n, n) in graph.nodes}
    return graph, layers, walker.notes


def _raise_unsupported(model, problems: list[str]) -> None:
    unique = list(dict.fromkeys(problems))
    raise LayerboardError(
        f"Layerboard cannot represent {len(unique)} part(s) of model '{model.name}': " + "; ".join(unique)
        + ". Rebuild those parts with blocks from Layerboard's catalogue (python main.py templates, or the palette) "
        "and save the model again.")
