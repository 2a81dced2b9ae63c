"""Which activation a model output's values come through, read from the graph (decides from-logits losses and data checks)."""
from __future__ import annotations

from typing import Any

from builder import blocks

# Layers an output's values pass through unchanged in kind (the activation is the one before them).
_PASS_THROUGH = {
    "Dropout", "SpatialDropout1D", "SpatialDropout2D", "SpatialDropout3D", "GaussianNoise", "GaussianDropout",
    "AlphaDropout", "Flatten", "Reshape", "Permute", "Identity", "ActivityRegularization",
}
# Layers that are an activation.
_ACTIVATION_LAYERS = {"Softmax": "softmax", "ReLU": "relu", "LeakyReLU": "leaky_relu", "PReLU": "prelu",
                      "ELU": "elu"}
UNKNOWN_ACTIVATION = object()  # the output's activation cannot be told from the graph


def _declared_activation(node) -> Any:
    """A node's own activation (None for linear), or UNKNOWN_ACTIVATION when the node has no activation setting."""
    if node.type in _ACTIVATION_LAYERS:
        return _ACTIVATION_LAYERS[node.type]
    if "activation" in node.params:
        value = node.params["activation"]
    else:
        try:
            value = blocks.block_spec(node.type).param("activation").default
        except Exception:  # no such parameter, or an unknown block
            return UNKNOWN_ACTIVATION
    if value is None:
        return None
    if not isinstance(value, str):
        return UNKNOWN_ACTIVATION
    value = value.lower()
    return None if value == "linear" else value


def output_activation(graph, node_id: str) -> Any:
    """The activation the output node's values come through, walking back over Dropout/Flatten-like layers."""
    seen = set()
    while node_id not in seen:
        seen.add(node_id)
        node = graph.nodes[node_id]
        if node.type not in _PASS_THROUGH:
            return _declared_activation(node)
        edges = graph.incoming(node_id)
        if len(edges) != 1:
            return UNKNOWN_ACTIVATION
        node_id = edges[0].source
    return UNKNOWN_ACTIVATION
