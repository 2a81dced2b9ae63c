"""A model used as one layer of a bigger model (the transfer-learning shape `y = head(base(x))`), as one node.

A keras.applications backbone that the catalogue offers (MobileNetV2) becomes that one backbone node, when a
backbone built from the parameters read off the nested model has the same layers and settings
(`backbone_node`). Any other nested functional or Sequential model becomes a composite block whose
definition the project carries (`block_definition`): its name is the model's name in CamelCase plus a digest
of the definition, so two projects never mean different blocks by one name. Either way the node keeps the
nested model's trainable switch, and its weights are kept (a backbone's under its Keras layer names, a
block's inner layers under `<node id>_<inner id>`, the names expanding the block gives them).
"""
from __future__ import annotations

import hashlib
import json
import re
from typing import Any

from builder import blocks
from builder.blocks import composites
from builder.errors import LayerboardError, first_line
from builder.graph import Graph, Node, apply_layout
from builder.model import make_layer

BACKBONE_ALPHAS = (0.35, 0.5, 0.75, 1.0, 1.3, 1.4)  # keras.applications.MobileNetV2's published widths
MOBILENET_V2_NAME = re.compile(r"^mobilenetv2_(?P<alpha>\d+(?:\.\d+)?)_\d+$")


def node_id_for(name: str) -> str:
    """A Keras model name ("mobilenetv2_0.35_96") as a node id (a Python identifier)."""
    text = re.sub(r"\W", "_", name, flags=re.ASCII)
    return text if text[:1].isalpha() or text[:1] == "_" else f"n_{text}"


def leaf_layers(model) -> list:
    """The model's layers, nested models walked, without its Input layers."""
    import keras

    found = []
    for layer in model.layers:
        if isinstance(layer, keras.Model):
            found.extend(leaf_layers(layer))
        elif not isinstance(layer, keras.layers.InputLayer):
            found.append(layer)
    return found


# ---- a keras.applications backbone the catalogue offers ---------------------------------------------------
def _layer_signature(layer) -> tuple[str, str, Any]:
    """A layer's class, settings and, when it has weights (which are kept by layer name), its name."""
    config = {k: v for k, v in layer.get_config().items() if k not in ("name", "trainable")}
    name = layer.name if layer.weights else ""  # Keras numbers the names of an Input, a pooling...
    return type(layer).__name__, name, json.loads(json.dumps(config, default=str))


def _mobilenet_v2_params(model) -> list[dict[str, Any]]:
    """Candidate MobileNetV2 node params for a nested model that looks like one (its layer names), likeliest first."""
    names = {layer.name for layer in model.layers}
    if not {"Conv1", "out_relu"} <= names or len(model.inputs) != 1 or len(model.outputs) != 1:
        return []
    shape = [None if d is None else int(d) for d in model.inputs[0].shape[1:]]
    if len(shape) != 3 or None in shape:
        return []
    include_top = "predictions" in names
    last = type(model.layers[-1]).__name__
    pooling = None if include_top else {"GlobalAveragePooling2D": "avg", "GlobalMaxPooling2D": "max"}.get(last)
    alphas = list(BACKBONE_ALPHAS)
    named = MOBILENET_V2_NAME.match(model.name)
    if named:
        alphas.insert(0, float(named["alpha"]))
    params = [{"input_shape": shape, "alpha": alpha, "include_top": include_top, "pooling": pooling}
              for alpha in dict.fromkeys(alphas)]
    conv1 = model.get_layer("Conv1").filters
    return [p for p in params if _divisible(32 * p["alpha"]) == conv1]


def _divisible(value: float, divisor: int = 8) -> int:
    """MobileNetV2's filter rounding (keras.applications' own rule): to a multiple of 8, never 10% below."""
    rounded = max(divisor, int(value + divisor / 2) // divisor * divisor)
    return rounded + divisor if rounded < 0.9 * value else rounded


def backbone_node(model, node_id: str) -> Node | None:
    """The catalogue backbone node that builds exactly `model` (layers, settings), or None.

    The node is frozen when the model is; a model with only some layers frozen is no backbone node (a composite
    block keeps each inner layer's switch)."""
    candidates = _mobilenet_v2_params(model)
    if not candidates or any(layer.trainable != model.trainable for layer in leaf_layers(model)):
        return None
    want = [_layer_signature(layer) for layer in model.layers]
    for params in candidates:
        node = Node(id=node_id, type="MobileNetV2", params=params, trainable=bool(model.trainable))
        try:
            for name, value in params.items():
                blocks.check_param(node.type, name, value, node.params)
            twin = make_layer(node, pretrained_weights=False)
        except Exception:  # the catalogue's block cannot take these settings: not this backbone
            continue
        if len(twin.layers) == len(model.layers) and [_layer_signature(l) for l in twin.layers] == want:
            return node
    return None


# ---- any other nested model: a composite block the project carries ---------------------------------------
def reaching(wires: list[tuple[str, int, str, int]], wanted: set[str]) -> set[str]:
    """The node ids in `wanted` and every node a wire path leads from into them."""
    into: dict[str, list[str]] = {}
    for s, _, t, _ in wires:
        into.setdefault(t, []).append(s)
    needed, stack = set(wanted), list(wanted)
    while stack:
        for s in into.get(stack.pop(), []):
            if s not in needed:
                needed.add(s)
                stack.append(s)
    return needed


def block_name(model_name: str, data: dict[str, Any]) -> str:
    """The model's name in CamelCase plus a digest of the definition: one name, one definition, in any project."""
    camel = "".join(part[:1].upper() + part[1:] for part in re.split(r"[^0-9A-Za-z]+", model_name) if part)
    if not camel[:1].isalpha():
        camel = "Model" + camel
    camel = camel[:1].upper() + camel[1:60]
    digest = hashlib.sha1(json.dumps({k: v for k, v in data.items() if k != "name"}, sort_keys=True,
                                     default=str).encode()).hexdigest()[:6]
    return f"{camel}{digest}"


def block_definition(model, walker, input_ids: list[str], outputs: list) -> dict[str, Any]:
    """A block definition (a "layerboard-block" dict, registered) for a nested model walked by `walker` (its own
    KerasGraphWalker, whose Input nodes `input_ids` stand for the model's inputs; `outputs`: the sources of its
    outputs). Raises LayerboardError when the walk cannot be a block."""
    for i, source in enumerate(outputs):
        if source is not None and walker.nodes[source[0]].type == "Input":
            raise LayerboardError(f"{model.name}: its output {i + 1} is its input '{source[0]}' itself")
    shared = [n for n, node in walker.nodes.items() if getattr(node, "shares", None)]
    if shared:
        raise LayerboardError(f"{model.name}: it calls a layer more than once ({', '.join(shared)}), which a "
                              "block cannot hold yet")
    needed = reaching(walker.wires, {s[0] for s in outputs})
    graph = Graph()
    for node_id in walker.order:
        node = walker.nodes[node_id]
        if node_id in needed or node_id in input_ids:
            graph.add_node(node.type, node.params, (0, 0), node_id, trainable=node.trainable)
    for s, sp, t, tp in walker.wires:
        if s in graph.nodes and t in graph.nodes:
            graph.connect(s, t, sp, tp)
    apply_layout(graph)
    names = ["output"] if len(outputs) == 1 else [f"output_{i + 1}" for i in range(len(outputs))]
    data: dict[str, Any] = {
        "format": composites.FORMAT, "version": composites.VERSION, "name": "",
        "description": f"The nested model '{model.name}' of an imported model ({len(needed)} layers).",
        "inputs": list(input_ids),
        "outputs": [{"name": n, "node": s[0], "port": s[1]} for n, s in zip(names, outputs)],
        "graph": graph.to_dict(),
    }
    data["name"] = block_name(model.name, data)
    try:
        composites.register_definition(data, f"<block of nested model {model.name}>")
    except LayerboardError as exc:
        raise LayerboardError(f"{model.name}: {first_line(exc)}") from None
    return data
