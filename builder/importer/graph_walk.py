"""Walking a Keras model's functional graph into nodes and wires, collecting every part a graph cannot represent.

Keras's own node structure is followed: every layer call becomes a node (id = layer name, type =
class name, params = the layer's config), every tensor that feeds a call argument becomes a wire
(source port = which output of a multi-output layer, target port = which input port of the block).
A nested model (a functional backbone, a Sequential head) becomes one node: the catalogue's
keras.applications block when it builds exactly that model, else a composite block the project
carries (nested_models). Anything Layerboard cannot represent (a layer outside the catalogue, a raw
`keras.ops` call, a call argument such as `use_causal_mask=True`) is collected by
name in `problems`: nothing is dropped silently. Keras 3 has no public API for a functional model's
call graph, so this module (and only this one) reads `_nodes_by_depth` and `_keras_history`.
"""
from __future__ import annotations

import inspect
from typing import Any

from builder import blocks
from builder.errors import LayerboardError, first_line
from builder.graph import Node, call_id, snake_case
from builder.importer.config_translation import config_differences, config_params
from builder.importer.nested_models import backbone_node, block_definition, node_id_for

# keras.ops calls on two same-shape tensors that a merge block computes exactly
_OP_BLOCKS = {"Add": "Add", "Subtract": "Subtract", "Multiply": "Multiply", "Maximum": "Maximum", "Minimum": "Minimum"}


class KerasGraphWalker:
    """Turns a Keras model into nodes and wires; collects what cannot be represented."""

    def __init__(self) -> None:
        self.nodes: dict[str, Node] = {}
        self.order: list[str] = []
        self.wires: list[tuple[str, int, str, int]] = []  # source, source_port, target, target_port
        self.layers: dict[str, Any] = {}
        self.port_counts: dict[str, int] = {}
        self.sources: dict[int, tuple[str, int] | None] = {}  # id(KerasTensor) -> (node id, port)
        self._alive: list[Any] = []  # keep the tensors whose ids are keys above
        self.problems: list[str] = []
        self.notes: list[str] = []
        self._used: dict[int, str] = {}  # id(layer) -> node id
        self.converted_ops = 0  # `a + b` style keras.ops calls turned into merge blocks
        self.parts: dict[str, str] = {}  # a layer inside a composite node (in `layers`) -> that node's id
        self._nested: set[int] = set()  # id(model) of each nested model made a node

    # -- helpers
    def _set_source(self, tensor, source) -> None:
        self._alive.append(tensor)
        self.sources[id(tensor)] = source

    def _source(self, tensor, who: str):
        if id(tensor) not in self.sources:
            self.problems.append(f"{who} reads a tensor that does not come from the model's inputs")
            return None
        return self.sources[id(tensor)]

    def _unique_id(self, name: str, scope: str) -> str:
        candidate = name
        if candidate in self.nodes and scope:
            candidate = f"{scope}_{name}"
        base, i = candidate, 2
        while candidate in self.nodes:
            candidate = f"{base}_{i}"
            i += 1
        return candidate

    def _add(self, node: Node, layer=None, port_count: int = 1) -> None:
        self.nodes[node.id] = node
        self.order.append(node.id)
        self.port_counts[node.id] = port_count
        if layer is not None:
            self.layers[node.id] = layer

    # -- entry points
    def add_input(self, tensor, name: str) -> str:
        input_layer = getattr(tensor, "_keras_history", None)
        input_layer = input_layer.operation if input_layer is not None else None
        if input_layer is not None and (getattr(input_layer, "sparse", False) or getattr(input_layer, "ragged", False)):
            self.problems.append(f"{name} (a sparse or ragged Input)")
        params: dict[str, Any] = {"shape": [None if d is None else int(d) for d in tensor.shape[1:]]}
        if tensor.shape[0] is not None:  # a fixed batch size (a stateful RNN needs one)
            params["batch_size"] = int(tensor.shape[0])
        dtype = str(tensor.dtype)
        if dtype != "float32":
            params["dtype"] = dtype
        node_id = self._unique_id(name, "")
        self._add(Node(id=node_id, type="Input", params=params))
        self._set_source(tensor, (node_id, 0))
        return node_id

    def walk_model(self, model, inputs: list, scope: str) -> list:
        """Walk `model` with its flat inputs fed by `inputs` (sources); returns its outputs' sources."""
        import keras

        if isinstance(model, keras.Sequential):
            return self._walk_sequential(model, inputs, scope)
        if not hasattr(model, "_nodes_by_depth"):
            self.problems.append(f"{model.name} (a subclassed {type(model).__name__} model: its call() is "
                                 "Python code, not a graph)")
            return [None] * max(len(getattr(model, "outputs", None) or []), 1)
        model_inputs = list(model.inputs)
        if len(model_inputs) != len(inputs):
            self.problems.append(f"{model.name} (called with {len(inputs)} inputs, built for {len(model_inputs)})")
            return [None] * len(model.outputs)
        for tensor, source in zip(model_inputs, inputs):
            self._set_source(tensor, source)
        for depth in sorted(model._nodes_by_depth, reverse=True):
            for knode in model._nodes_by_depth[depth]:
                op = knode.operation
                if isinstance(op, keras.layers.InputLayer):
                    continue
                self._visit(op, knode, model.name if scope is not None else "")
        return [self._source(t, model.name) for t in model.outputs]

    def _walk_sequential(self, model, inputs: list, scope: str) -> list:
        import keras

        if len(inputs) != 1:
            self.problems.append(f"{model.name} (a Sequential model called with {len(inputs)} inputs)")
            return [None]
        source = inputs[0]
        for layer in model.layers:
            if isinstance(layer, keras.Model):
                source = self._nested_model(layer, [source], model.name if scope is not None else "")[0]
                continue
            node_id = self._layer_node(layer, model.name if scope is not None else "")
            if node_id is None:
                source = None
                continue
            if blocks.call_style(self.nodes[node_id].type) != "single":
                self.problems.append(f"{layer.name} ({type(layer).__name__} inside a Sequential model)")
            if source is not None:
                self.wires.append((source[0], source[1], node_id, 0))
            source = (node_id, 0)
        return [source]

    def _nested_model(self, model, inputs: list, scope: str) -> list:
        """A model used as a layer, as one node: the catalogue's backbone block when it builds exactly this model,
        else a composite block the project carries (nested_models); returns the sources of its outputs."""
        count = max(len(getattr(model, "outputs", None) or []), 1)
        if id(model) in self._nested:
            self.problems.append(f"{model.name} (a nested model called more than once: Layerboard cannot share "
                                 "one model's weights between calls yet)")
            return [None] * count
        self._nested.add(id(model))
        if None in inputs:
            return [None] * count  # what feeds it is already reported
        if not is_graph_model(model):
            return self.walk_model(model, inputs, scope)  # reports the subclassed model
        node_id = self._unique_id(node_id_for(model.name), scope)
        node = backbone_node(model, node_id)
        if node is not None and len(inputs) == 1:
            self._add(node, model)
            self.wires.append((inputs[0][0], inputs[0][1], node_id, 0))
            self.notes.append(f"the nested model {model.name} is the catalogue's {node.type} block '{node_id}'"
                              + ("" if node.trainable else " (frozen)") + ", with its weights")
            return [(node_id, 0)]
        inner = KerasGraphWalker()
        inner._used, inner._nested = self._used, self._nested  # a layer in both models is a shared layer
        input_ids = [inner.add_input(t, input_name(model, i, t)) for i, t in enumerate(model.inputs)]
        outputs = inner.walk_model(model, [(i, 0) for i in input_ids], None)
        self.notes.extend(inner.notes)
        self.converted_ops += inner.converted_ops
        if inner.problems or None in outputs:
            self.problems.extend(inner.problems)
            return [None] * count
        if len(inputs) != len(input_ids):
            self.problems.append(f"{model.name} (called with {len(inputs)} inputs, built for {len(input_ids)})")
            return [None] * count
        try:
            block = block_definition(model, inner, input_ids, outputs)
        except LayerboardError as exc:
            self.problems.append(first_line(exc))
            return [None] * count
        inner_ids = {n["id"] for n in block["graph"]["nodes"]}
        self._add(Node(id=node_id, type=block["name"], params={}, trainable=bool(model.trainable)), None,
                  len(outputs))
        for name, layer in inner.layers.items():
            if inner.parts.get(name, name) in inner_ids:  # its weights, under the names expanding gives the layers
                self.layers[f"{node_id}_{name}"] = layer
                self.parts[f"{node_id}_{name}"] = node_id
        for port, (source, source_port) in enumerate(inputs):
            self.wires.append((source, source_port, node_id, port))
        self.notes.append(f"the nested model {model.name} became the block {block['name']} '{node_id}', which "
                          "the project carries (expand it to edit its layers)")
        return [(node_id, port) for port in range(len(outputs))]

    # -- one call
    def _visit(self, op, knode, scope: str) -> None:
        import keras

        outputs = list(knode.outputs)
        if isinstance(op, keras.Model):
            kwargs = dict(knode.arguments.kwargs)
            training = kwargs.pop("training", None)
            for name, value in kwargs.items():
                if value is None:
                    continue
                shown = "a tensor" if isinstance(value, keras.KerasTensor) else repr(value)
                self.problems.append(f"{op.name} (a nested model) is called with {name}={shown}, which Layerboard "
                                     "cannot represent")
            tensors = [t for t in keras.tree.flatten(knode.arguments.args) if isinstance(t, keras.KerasTensor)]
            inner = self._nested_model(op, [self._source(t, op.name) for t in tensors], scope)
            if training is not None and op.trainable:
                self.notes.append(f"{op.name} was called with training={training}; Layerboard drops that argument "
                                  "(freeze the block to keep its BatchNormalization in inference mode)")
            for tensor, source in zip(outputs, inner):
                self._set_source(tensor, source)
            return
        if not isinstance(op, keras.layers.Layer) and self._merge_op(op, knode, scope):
            return
        if not isinstance(op, keras.layers.Layer):
            self.problems.append(f"{op.name} (a keras.ops.{snake_case(type(op).__name__)} call, not a layer)")
            for tensor in outputs:
                self._set_source(tensor, None)
            return
        node_id = self._layer_node(op, scope, port_count=len(outputs))
        for i, tensor in enumerate(outputs):
            self._set_source(tensor, (node_id, i) if node_id is not None else None)
        if node_id is not None:
            for tensor, port in self._call_inputs(op, knode, self.nodes[node_id].type):
                source = self._source(tensor, op.name)
                if source is not None:
                    self.wires.append((source[0], source[1], node_id, port))

    def _merge_op(self, op, knode, scope: str) -> bool:
        """`a + b` (keras.ops add/subtract/multiply/maximum/minimum of two same-shape tensors) as
        the equivalent merge block (ConvNeXt's residuals are written this way); False if it is not one."""
        import keras

        block_type = _OP_BLOCKS.get(type(op).__name__)
        args = list(knode.arguments.args)
        if (block_type is None or not type(op).__module__.startswith("keras.src.ops") or knode.arguments.kwargs
                or len(args) != 2 or not all(isinstance(t, keras.KerasTensor) for t in args)
                or tuple(args[0].shape) != tuple(args[1].shape) or not blocks.is_known(block_type)):
            return False
        node_id = self._unique_id(op.name, scope)
        self._add(Node(id=node_id, type=block_type, params={}))
        for port, tensor in enumerate(args):
            source = self._source(tensor, op.name)
            if source is not None:
                self.wires.append((source[0], source[1], node_id, port))
        self._set_source(knode.outputs[0], (node_id, 0))
        self.converted_ops += 1
        return True

    def _layer_node(self, layer, scope: str, port_count: int = 1) -> str | None:
        """A node for `layer`, or None (and a problem) when Layerboard cannot represent it."""
        block_type = blocks.canonical_type(type(layer).__name__)  # GroupedQueryAttention -> GroupQueryAttention
        who = f"{layer.name} ({type(layer).__name__})"
        if id(layer) in self._used:  # a shared layer: this call is a node that calls the first one's layer
            owner = self._used[id(layer)]
            if owner not in self.nodes:  # its first call is in another model's walk (a nested model's)
                self.problems.append(f"{who} is called both inside and outside a nested model (shared weights "
                                     "across a composite block cannot be represented)")
                return None
            first = self.nodes[owner]
            node_id = self._unique_id(call_id(owner, self.nodes), scope)
            self._add(Node(id=node_id, type=first.type, params=dict(first.params), trainable=first.trainable,
                           shares=owner), None, port_count)
            return node_id
        if not blocks.is_known(block_type) or block_type == "Input":
            reason = blocks.not_block_reason(block_type)
            self.problems.append(f"{who}: {reason}" if reason else
                                 f"{who}: not a built-in Keras layer (a custom class carries its own code)")
            return None
        if blocks.keras_class(block_type) is not type(layer):
            self.problems.append(f"{who}: a different class than Keras's {block_type}")
            return None
        params = config_params(block_type, layer.get_config())
        for name, value in params.items():
            try:
                blocks.check_param(block_type, name, value, params)
            except LayerboardError as exc:
                self.problems.append(f"{who}: {exc}")
                return None
        try:
            differences = config_differences(block_type, layer, params)
        except Exception as exc:  # the block refuses its own config
            self.problems.append(f"{who}: cannot be rebuilt from its settings ({first_line(exc)})")
            return None
        if differences:
            self.problems.append(f"{who}: setting(s) {', '.join(differences)} cannot be represented")
            return None
        node_id = self._unique_id(layer.name, scope)
        self._used[id(layer)] = node_id
        self._add(Node(id=node_id, type=block_type, params=params, trainable=bool(layer.trainable)), layer, port_count)
        return node_id

    def _call_inputs(self, layer, knode, block_type: str) -> list[tuple[Any, int]]:
        """(tensor, input port) for each tensor argument of the call; other arguments must be defaults."""
        import keras

        who = f"{layer.name} ({block_type})"
        signature = inspect.signature(layer.call)
        try:
            bound = signature.bind(*knode.arguments.args, **knode.arguments.kwargs)
        except TypeError as exc:
            self.problems.append(f"{who}: its call cannot be read ({exc})")
            return []
        arguments = dict(bound.arguments)
        for name, p in signature.parameters.items():
            if p.kind == p.VAR_KEYWORD and name in arguments:
                arguments.update(arguments.pop(name))
        style = blocks.call_style(block_type)
        found: list[tuple[Any, int]] = []
        if style == "kwargs":
            for port, name in enumerate(blocks.input_ports(block_type) or []):
                value = arguments.pop(name, None)
                if isinstance(value, keras.KerasTensor):
                    found.append((value, port))
                elif value is not None:
                    self.problems.append(f"{who}: its '{name}' input is not a tensor")
        else:
            first = next(iter(signature.parameters))
            value = arguments.pop(first, None)
            values = list(value) if isinstance(value, (list, tuple)) else [value]
            if style == "single" and len(values) != 1:
                self.problems.append(f"{who} is called with {len(values)} tensors; its block takes one")
            for port, tensor in enumerate(values):
                if isinstance(tensor, keras.KerasTensor):
                    found.append((tensor, port))
                else:
                    self.problems.append(f"{who}: input {port} is not a tensor")
        for name, value in arguments.items():
            default = signature.parameters[name].default if name in signature.parameters else inspect.Parameter.empty
            if value is None or name == "training":
                continue
            if default is not inspect.Parameter.empty and _same(value, default):
                continue
            shown = "a tensor" if isinstance(value, keras.KerasTensor) else repr(value)
            self.problems.append(f"{who} is called with {name}={shown}, which Layerboard cannot represent")
        return found


def _same(a: Any, b: Any) -> bool:
    try:
        return bool(a == b) and type(a) is type(b)
    except Exception:
        return False


def is_graph_model(model) -> bool:
    """Whether `model` is a Sequential or functional model (a graph), not a subclassed one (Python code)."""
    import keras

    return isinstance(model, keras.Sequential) or hasattr(model, "_nodes_by_depth")


def input_name(model, index: int, tensor) -> str:
    """The name of the model's input layer that makes `tensor`, its `index`-th input."""
    import keras

    history = getattr(tensor, "_keras_history", None)
    name = history.operation.name if history is not None and history.operation is not None else f"input_{index + 1}"
    if (isinstance(model, keras.Sequential) and index == 0 and model._layers
            and isinstance(model._layers[0], keras.layers.InputLayer)):
        name = model._layers[0].name
    return name
