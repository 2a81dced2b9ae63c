"""Graph -> keras.Model through the functional API, plus the per-node Keras calls shape inference shares."""
from __future__ import annotations

from typing import Any

from builder import registry
from builder.errors import GraphError
from builder.graph import Graph, Node, topological_order


def keras_kwargs(node: Node) -> dict[str, Any]:
    """A node's params as Keras constructor arguments.

    JSON lists become the tuples Keras expects, and a wrapper's inner layer
    ({"class_name": "LSTM", "config": {...}}) becomes a layer instance. Only catalogue classes
    are ever instantiated: a project file cannot name arbitrary code.
    """
    nested = set(registry.nested_layer_params(node.type))
    kwargs = {}
    for key, value in node.params.items():
        if key in nested and isinstance(value, dict):
            registry.check_param(node.type, key, value)
            inner = Node(id="", type=value["class_name"], params=dict(value.get("config", {})))
            cls = registry.keras_class(inner.type)
            kwargs[key] = cls(**keras_kwargs(inner))
        else:
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
    layer = cls(name=node.id, **keras_kwargs(node))
    if not node.trainable:
        layer.trainable = False
    return layer


def apply_layer(node: Node, layer, inputs: list, ports: list[int] | None = None):
    """Call the layer on its input tensors, which arrive on input ports `ports` (default 0, 1, ...).

    One tensor for ordinary layers, a list for merges and list-called layers (Attention),
    keyword arguments named after the ports for layers like MultiHeadAttention.
    """
    style = registry.call_style(node.type)
    if style == "kwargs":
        names = registry.input_ports(node.type) or []
        ports = list(range(len(inputs))) if ports is None else ports
        return layer(**{names[p]: t for p, t in zip(ports, inputs)})
    if style == "list":
        return layer(list(inputs))
    return layer(*inputs)


def output_tensors(out) -> list:
    """A layer call's result as a list (one entry per output port)."""
    return list(out) if isinstance(out, (list, tuple)) else [out]


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
        names = registry.output_ports(node.type, count)
        for p in free:
            outputs.append((node_id, p, node_id if p == 0 else f"{node_id}_{names[p]}"))
    return outputs


def build_model(graph: Graph, name: str = "layerboard_model"):
    """Build the functional `keras.Model` the graph describes; raises GraphError if it is invalid."""
    import keras

    from builder.shapes import infer_shapes

    if not graph.nodes:
        raise GraphError("The graph is empty: add an Input block and the layers after it.")
    report = infer_shapes(graph)
    if not report.valid:
        raise GraphError(report.summary(), report.node_errors())
    # ---- composite blocks: build from the expanded graph, so the model is the same either way ----
    from builder import composites

    if composites.has_composites(graph):
        graph = composites.expand_all(graph)
    # ---- end composite blocks ----
    tensors: dict[str, Any] = {}
    order, _ = topological_order(graph)
    for node_id in order:
        node = graph.nodes[node_id]
        if node.type == "Input":
            tensors[node_id] = [make_input(node)]
            continue
        edges = graph.incoming(node_id)
        inputs = [tensors[e.source][e.source_port] for e in edges]
        out = apply_layer(node, make_layer(node), inputs, [e.target_port for e in edges])
        tensors[node_id] = output_tensors(out)
    inputs = [tensors[n][0] for n in graph.input_nodes()]
    counts = {n: len(t) for n, t in tensors.items()}
    outputs = [tensors[n][p] for n, p, _ in model_outputs(graph, counts)]
    return keras.Model(
        inputs=inputs[0] if len(inputs) == 1 else inputs,
        outputs=outputs[0] if len(outputs) == 1 else outputs,
        name=name,
    )
