"""Graph -> keras.Model through the functional API, plus the per-node Keras calls shape inference shares."""
from __future__ import annotations

from typing import Any

from builder import registry
from builder.errors import GraphError
from builder.graph import Graph, Node, topological_order


def keras_kwargs(node: Node) -> dict[str, Any]:
    """A node's params as Keras constructor arguments (JSON lists become the tuples Keras expects)."""
    kwargs = {}
    for key, value in node.params.items():
        kwargs[key] = tuple(value) if isinstance(value, list) else value
    return kwargs


def make_input(node: Node):
    """A `keras.Input` tensor for an Input node."""
    import keras

    kwargs = keras_kwargs(node)
    return keras.Input(shape=kwargs.get("shape"), dtype=kwargs.get("dtype"), name=node.id)


def make_layer(node: Node):
    """A fresh Keras layer for a non-Input node, named after the node."""
    cls = registry.keras_class(node.type)
    return cls(name=node.id, **keras_kwargs(node))


def apply_layer(node: Node, layer, inputs: list):
    """Call the layer on its input tensors: a list for merge layers, a single tensor otherwise."""
    if registry.input_count(node.type) is None:
        return layer(list(inputs))
    return layer(*inputs)


def build_model(graph: Graph, name: str = "layerboard_model"):
    """Build the functional `keras.Model` the graph describes; raises GraphError if it is invalid."""
    import keras

    from builder.shapes import infer_shapes

    report = infer_shapes(graph)
    if not report.valid:
        raise GraphError(report.summary(), report.node_errors())
    tensors: dict[str, Any] = {}
    order, _ = topological_order(graph)
    for node_id in order:
        node = graph.nodes[node_id]
        if node.type == "Input":
            tensors[node_id] = make_input(node)
            continue
        inputs = [tensors[e.source] for e in graph.incoming(node_id)]
        tensors[node_id] = apply_layer(node, make_layer(node), inputs)
    inputs = [tensors[n] for n in graph.input_nodes()]
    outputs = [tensors[n] for n in graph.output_nodes()]
    return keras.Model(
        inputs=inputs[0] if len(inputs) == 1 else inputs,
        outputs=outputs[0] if len(outputs) == 1 else outputs,
        name=name,
    )
