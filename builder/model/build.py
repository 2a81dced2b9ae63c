"""Graph -> keras.Model through the functional API."""
from __future__ import annotations

from pathlib import Path

from builder import blocks
from builder.blocks import composites
from builder.errors import GraphError
from builder.graph import Graph, Node
from builder.model.layers import apply_layer, call_graph, make_input, make_layer, output_tensors
from builder.model.shape_inference import infer_shapes


def model_outputs(graph: Graph, port_counts: dict[str, int]) -> list[tuple[str, int, str]]:
    """The model's outputs as (node id, output port, output name).

    An output node (see Graph.output_nodes) gives every output port that has no wire, or port 0
    when all are wired; port 0 is named after the node, other ports `<node>_<port name>`.
    """
    outputs = []
    for node_id in graph.output_nodes():
        node = graph.nodes[node_id]
        count = port_counts.get(node_id, 1)
        wired = {e.source_port for e in graph.outgoing(node_id)}
        free = [p for p in range(count) if p not in wired] or [0]
        names = blocks.output_ports(node.type, count)
        for p in free:
            outputs.append((node_id, p, node_id if p == 0 else f"{node_id}_{names[p]}"))
    return outputs


def build_model(graph: Graph, name: str = "layerboard_model", folder: str | Path | None = None):
    """Build the functional `keras.Model` the graph describes; raises GraphError if it is invalid.

    `folder` is the project's folder, where file parameters (a lookup's vocabulary file) are read; without
    it a file parameter is refused."""
    import keras

    if not graph.nodes:
        raise GraphError("The graph is empty: add an Input block and the layers after it.")
    report = infer_shapes(graph, folder)
    if not report.valid:
        raise GraphError(report.summary(), report.node_errors())
    if composites.has_composites(graph):  # built from the expanded graph, so the model is the same either way
        graph = composites.expand_all(graph)
    layers: dict[str, object] = {}  # owner id -> its Keras layer, called again by the nodes that share it
    tensors = call_graph(graph, lambda node, inputs, ports: _call_node(graph, node, inputs, ports, folder, layers))
    inputs = [tensors[n][0] for n in graph.input_nodes()]
    counts = {n: len(t) for n, t in tensors.items()}
    outputs = [tensors[n][p] for n, p, _ in model_outputs(graph, counts)]
    return keras.Model(
        inputs=inputs[0] if len(inputs) == 1 else inputs,
        outputs=outputs[0] if len(outputs) == 1 else outputs,
        name=name,
    )


def _call_node(graph: Graph, node: Node, inputs: list, ports: list[int], folder, layers: dict) -> list:
    if node.type == "Input":
        return [make_input(node)]
    owner = graph.nodes[node.shares] if node.shares else node  # one layer for a node and those that share it
    if owner.id not in layers:
        layers[owner.id] = make_layer(owner, folder)
    return output_tensors(apply_layer(node, layers[owner.id], inputs, ports))
