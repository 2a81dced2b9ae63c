"""Shape inference of an unexpanded composite node: its inner layers built on the node's input tensors."""
from __future__ import annotations

from typing import Any

from builder import blocks
from builder.blocks import composites
from builder.errors import LayerboardError, first_line
from builder.graph import Node
from builder.model.explanations import explain
from builder.model.layers import apply_layer, call_graph, make_layer, output_tensors
from builder.model.shape_report import NodeResult, format_shape
from builder.model.weightless import count_weights, shapes_only, too_big


class _InnerFailure(Exception):
    def __init__(self, message: str):
        super().__init__(message)


def _call_block(block_type: str, prefix: str, values: dict[str, Any], inputs: list, ports: list[int],
                 trainable: bool, layers: list, depth: int = 0, folder=None) -> list:
    """Build a block's inner layers on input tensors; returns its output tensors (appends layers made)."""
    if depth > composites.MAX_NESTING:
        raise _InnerFailure("blocks nest too deeply (a block probably contains itself through another block).")
    defn = composites.definition(block_type)
    fed = {defn.inputs[port]: [tensor] for port, tensor in zip(ports, inputs)}

    def call(node: Node, args: list, arg_ports: list[int]) -> list | None:
        if node.type == "Input":
            return None  # an input of the block that is not wired: nothing reads it (shape inference checks wiring)
        named = Node(f"{prefix}_{node.id}", node.type, node.params, trainable=node.trainable and trainable)
        if composites.is_composite(node.type):
            return _call_block(node.type, named.id, node.params, args, arg_ports, named.trainable, layers, depth + 1,
                               folder)
        for name, value in node.params.items():
            try:
                blocks.check_param(node.type, name, value, node.params)
            except LayerboardError as exc:
                raise _InnerFailure(f"inner {node.type} '{named.id}': {exc}") from None
        try:
            layer = make_layer(named, folder, pretrained_weights=False)
        except Exception as exc:
            raise _InnerFailure(f"inner {node.type} '{named.id}' has invalid parameters: {first_line(exc)}") from None
        try:
            out = apply_layer(named, layer, args, arg_ports)
        except Exception as exc:
            raise _InnerFailure(explain(named, [tuple(a.shape) for a in args], exc)) from None
        layers.append(layer)
        return output_tensors(out)

    tensors = call_graph(defn.graph(values), call, fed)
    return [tensors[o.node][o.port] if o.node in tensors else None for o in defn.outputs]


def infer_composite(node: Node, inputs: list[tuple[tuple, str]], ports: list[int], folder=None) -> NodeResult:
    """Shape inference for an unexpanded composite node: a shapes.NodeResult (file parameters read in `folder`)."""
    import keras

    who = f"{node.type} '{node.id}'"
    tensors = [keras.KerasTensor(shape, dtype=dtype) for shape, dtype in inputs]
    layers: list = []
    try:
        with shapes_only():  # the inner layers are thrown away: no weight is allocated
            outs = _call_block(node.type, node.id, node.params, tensors, ports, node.trainable, layers, folder=folder)
    except _InnerFailure as exc:
        got = ", ".join(format_shape(s) for s, _ in inputs)
        return NodeResult(error=f"{who} (input {got}) fails inside: {exc} Expand the block to edit its layers.")
    if any(t is None for t in outs):
        return NodeResult(error=f"{who}: an output of the block passes its input straight through; "
                                "that is not supported unexpanded.")
    oversized = too_big(who, layers)
    if oversized:
        return NodeResult(error=oversized)
    frozen = sum(count_weights(layer.non_trainable_weights) for layer in layers)
    return NodeResult([tuple(t.shape) for t in outs], str(outs[0].dtype), sum(int(l.count_params()) for l in layers),
                      non_trainable_params=frozen)
