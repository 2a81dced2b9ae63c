"""Per-node Keras calls: a node's constructor arguments, its layer, and calling it on input tensors (shape inference and model building share them)."""
from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

from builder import blocks
from builder.errors import LayerboardError
from builder.file_checks import require_regular_file
from builder.graph import Graph, Node, topological_order
from builder.model.pretrained import is_backbone, load_imagenet_weights
from builder.project import resolve_inside


def node_files(node: Node, folder: str | Path | None) -> dict[str, str]:
    """The files a node's parameters name (a lookup's `vocabulary` given as a path), as checked absolute paths.

    The one place where a node's file parameter becomes a path Keras reads: it must be a path relative to
    the project's `folder` that stays inside it (symbolic links resolved) and names a regular file. Without
    a folder (a graph that belongs to no project) a file parameter is refused.
    """
    found = {}
    for name in blocks.file_params(node.type):
        value = node.params.get(name)
        if not isinstance(value, str):
            continue  # a list of tokens, or empty (learned with adapt)
        where = f"Node '{node.id}' ({node.type}), parameter {name}"
        if folder is None:
            raise LayerboardError(f"{where}: '{value}' names a file, and a file is read only inside a project's "
                                  "folder; save the project and put the file beside it, or give the "
                                  f"{name} as a list.")
        try:
            path = resolve_inside(Path(folder), value)
        except LayerboardError as exc:
            raise LayerboardError(f"{where}: {exc}") from None
        found[name] = str(require_regular_file(path, f"file '{value}' of {where}"))
    return found


def keras_kwargs(node: Node, folder: str | Path | None = None) -> dict[str, Any]:
    """A node's params as Keras constructor arguments.

    JSON lists become the tuples Keras expects, and a wrapper's inner layer
    ({"class_name": "LSTM", "config": {...}}, or a list of them) becomes a layer instance. Only catalogue classes
    are ever instantiated: a project file cannot name arbitrary code. A file parameter becomes the
    checked absolute path of a file inside the project's `folder` (`node_files`).
    """
    def make(block_type: str, params: dict[str, Any]):
        return blocks.keras_class(block_type)(**keras_kwargs(Node(id=node.id, type=block_type, params=params), folder))

    for key in blocks.nested_layer_params(node.type):
        if node.params.get(key) is not None:
            blocks.check_param(node.type, key, node.params[key], node.params)
    return blocks.constructor_arguments(node.type, node.params, make, node_files(node, folder))


def make_input(node: Node):
    """A `keras.Input` tensor for an Input node."""
    import keras

    kwargs = keras_kwargs(node)
    return keras.Input(shape=kwargs.get("shape"), dtype=kwargs.get("dtype"), batch_size=kwargs.get("batch_size"),
                       name=node.id)


def make_layer(node: Node, folder: str | Path | None = None, *, pretrained_weights: bool = True):
    """A fresh Keras layer for a non-Input node, named after the node; file parameters are read inside `folder`.

    A keras.applications backbone (MobileNetV2) is a nested Model built with `weights=None`, never downloaded;
    with `pretrained_weights` it then gets the ImageNet weights its node asks for from Keras's cache folder
    (builder.model.pretrained). Shape inference passes False: it reads no weights file."""
    cls = blocks.keras_class(node.type)
    kwargs = keras_kwargs(node, folder)
    backbone = is_backbone(node.type)
    if backbone:
        kwargs["weights"] = None
    layer = cls(name=node.id, **kwargs)
    if backbone and pretrained_weights:
        load_imagenet_weights(node, layer)
    if not node.trainable:
        layer.trainable = False
    return layer


def apply_layer(node: Node, layer, inputs: list, ports: list[int] | None = None):
    """Call the layer on its input tensors, which arrive on input ports `ports` (default 0, 1, ...).

    One tensor for ordinary layers, a list for merges and list-called layers (Attention),
    keyword arguments named after the ports for layers like MultiHeadAttention.
    """
    style = blocks.call_style(node.type)
    if style == "kwargs":
        names = blocks.input_ports(node.type) or []
        ports = list(range(len(inputs))) if ports is None else ports
        return layer(**{names[p]: t for p, t in zip(ports, inputs)})
    if style == "list":
        return layer(list(inputs))
    return layer(*inputs)


def output_tensors(out) -> list:
    """A layer call's result as a list (one entry per output port)."""
    return list(out) if isinstance(out, (list, tuple)) else [out]


NodeCall = Callable[[Node, list, list[int]], "list | None"]


def call_graph(graph: Graph, call: NodeCall, tensors: dict[str, list] | None = None) -> dict[str, list]:
    """Walk the graph in data-flow order, calling `call(node, input tensors, their input ports)` for each node
    whose tensors are not given yet; it returns the node's output tensors (or None to leave the node out).

    The one node-by-node Keras walk: model building and the inference of unexpanded composite blocks use it.
    """
    tensors = dict(tensors or {})
    order, _ = topological_order(graph)
    for node_id in order:
        if node_id in tensors:
            continue
        edges = graph.incoming(node_id)
        out = call(graph.nodes[node_id], [tensors[e.source][e.source_port] for e in edges],
                   [e.target_port for e in edges])
        if out is not None:
            tensors[node_id] = out
    return tensors
