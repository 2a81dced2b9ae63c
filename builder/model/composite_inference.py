"""Shape inference of an unexpanded composite node: its inner layers built on the node's input tensors."""
from __future__ import annotations

from typing import Any

from builder import blocks
from builder.blocks import composites
from builder.errors import LayerboardError
from builder.graph import Node, topological_order
from builder.model.explanations import explain
from builder.model.layers import apply_layer, make_layer, output_tensors
from builder.model.shape_report import NodeResult, format_shape


class _InnerFailure(Exception):
    def __init__(self, message: str):
        super().__init__(message)


def _call_block(block_type: str, prefix: str, values: dict[str, Any], inputs: list, ports: list[int],
                 trainable: bool, layers: list, depth: int = 0) -> list:
    """Build a block's inner layers on input tensors; returns its output tensors (appends layers made)."""
    if depth > composites.MAX_NESTING:
        raise _InnerFailure("blocks nest too deeply (a block probably contains itself through another block).")
    defn = composites.definition(block_type)
    inner = defn.graph(values)
    tensors: dict[str, list] = {}
    for port, tensor in zip(ports, inputs):
        tensors[defn.inputs[port]] = [tensor]
    order, _ = topological_order(inner)
    for inner_id in order:
        node = inner.nodes[inner_id]
        if node.type == "Input":
            continue
        edges = inner.incoming(inner_id)
        args = [tensors[e.source][e.source_port] for e in edges]
        named = Node(f"{prefix}_{inner_id}", node.type, node.params, trainable=node.trainable and trainable)
        if composites.is_composite(node.type):
            tensors[inner_id] = _call_block(node.type, named.id, node.params, args, [e.target_port for e in edges],
                                            named.trainable, layers, depth + 1)
            continue
        for name, value in node.params.items():
            try:
                blocks.check_param(node.type, name, value)
            except LayerboardError as exc:
                raise _InnerFailure(f"inner {node.type} '{named.id}': {exc}") from None
        try:
            layer = make_layer(named)
        except Exception as exc:
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise _InnerFailure(f"inner {node.type} '{named.id}' has invalid parameters: {first}") from None
        try:
            out = apply_layer(named, layer, args, [e.target_port for e in edges])
        except Exception as exc:
            raise _InnerFailure(explain(named, [tuple(a.shape) for a in args], exc)) from None
        layers.append(layer)
        tensors[inner_id] = output_tensors(out)
    return [tensors[o.node][o.port] if o.node in tensors else None for o in defn.outputs]


def infer_composite(node: Node, inputs: list[tuple[tuple, str]], ports: list[int]) -> NodeResult:
    """Shape inference for an unexpanded composite node: a shapes.NodeResult."""
    import keras

    who = f"{node.type} '{node.id}'"
    tensors = [keras.KerasTensor(shape, dtype=dtype) for shape, dtype in inputs]
    layers: list = []
    try:
        outs = _call_block(node.type, node.id, node.params, tensors, ports, node.trainable, layers)
    except _InnerFailure as exc:
        got = ", ".join(format_shape(s) for s, _ in inputs)
        return NodeResult(error=f"{who} (input {got}) fails inside: {exc} Expand the block to edit its layers.")
    if any(t is None for t in outs):
        return NodeResult(error=f"{who}: an output of the block passes its input straight through; "
                                "that is not supported unexpanded.")
    return NodeResult([tuple(t.shape) for t in outs], str(outs[0].dtype), sum(int(l.count_params()) for l in layers))
