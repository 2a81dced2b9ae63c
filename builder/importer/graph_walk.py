"""Import a saved Keras model (.keras or legacy .h5) as a Layerboard project with its weights.

The model is loaded with Keras's safe mode (never running code stored in the file) and its
functional graph is walked through Keras's own node structure: every layer call becomes a node
(id = layer name, type = class name, params = the layer's config), every tensor that feeds a
call argument becomes an edge (source port = which output of a multi-output layer, target port
= which input port of the block). Nested models (a Sequential stem, a functional backbone) are
inlined, so the graph holds only catalogue layers. Anything Layerboard cannot represent (a layer
outside the catalogue, a raw `keras.ops` call, a shared layer, a call argument such as
`use_causal_mask=True`) is collected and reported by name in one LayerboardError: nothing is
dropped silently. Weights go to an HDF5 `<stem>.weights.h5` beside the project (builder.weights).
"""
from __future__ import annotations

import inspect
import json
import logging
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from builder import blocks
from builder.errors import LayerboardError
from builder.model import UnreadableModelError, load_model_safely, model_input_specs, random_inputs
from builder.graph import Graph, Node, snake_case

log = logging.getLogger(__name__)

# keras.ops calls on two same-shape tensors that a merge block computes exactly
_OP_BLOCKS = {"Add": "Add", "Subtract": "Subtract", "Multiply": "Multiply", "Maximum": "Maximum", "Minimum": "Minimum"}
_DROPPED_KEYS = {"name", "trainable", "dtype"}
_SHORT_OBJECT_MODULES = {"keras.initializers", "keras.regularizers", "keras.constraints"}

LAMBDA_FIX = (
    "Layerboard refuses Lambda layers because they run arbitrary Python code stored in the model file. "
    "Replace each Lambda with a built-in Keras layer that does the same (Rescaling, Activation, Reshape, "
    "Permute, Multiply, Add...), save the model again and re-import it")


# ---- loading, safely ---------------------------------------------------------------------------
def _iter_dicts(value: Any):
    if isinstance(value, dict):
        yield value
        for v in value.values():
            yield from _iter_dicts(v)
    elif isinstance(value, list):
        for v in value:
            yield from _iter_dicts(v)


def _stored_config(path: Path) -> Any:
    """The model config stored in the file, read as plain JSON (nothing is deserialised)."""
    try:
        if path.suffix == ".keras":
            with zipfile.ZipFile(path) as archive:
                return json.loads(archive.read("config.json"))
        import h5py

        with h5py.File(path, "r") as f:
            raw = f.attrs.get("model_config")
            if raw is None:
                raise LayerboardError(f"{path} holds no model (only weights?); save the whole model with "
                                      "model.save('model.keras') and import that.")
            return json.loads(raw.decode() if isinstance(raw, bytes) else raw)
    except LayerboardError:
        raise
    except (OSError, KeyError, ValueError, zipfile.BadZipFile) as exc:
        raise LayerboardError(f"{path} is not a readable Keras model file ({exc}).") from None


def check_stored_config(config: Any, path: Path) -> None:
    """Refuse, before Keras reads the file, a model that would need code from the file or elsewhere."""
    lambdas, custom = [], []
    for d in _iter_dicts(config):
        class_name = d.get("class_name")
        if class_name == "Lambda":
            lambdas.append(str((d.get("config") or {}).get("name") or d.get("name") or "?"))
        elif class_name in ("__lambda__", "__function__") or (
                isinstance(d.get("module"), str) and not d["module"].split(".")[0] in ("keras", "builtins")):
            custom.append(f"{class_name} from {d.get('module') or 'Python code in the file'}")
    if lambdas:
        raise LayerboardError(f"{path.name}: {LAMBDA_FIX}. Lambda layers found: {', '.join(sorted(set(lambdas)))}.")
    if custom:
        raise LayerboardError(
            f"{path.name} needs code that is not part of Keras ({', '.join(sorted(set(custom)))}); Layerboard only "
            "imports models made of built-in Keras layers and never runs code from a model file. Rebuild those "
            "parts with built-in layers and save again.")


def load_keras_file(path: str | Path):
    """Load a .keras or .h5 model without running code from it (compile=False, safe_mode=True)."""
    import keras

    path = Path(path)
    if not path.is_file():
        raise LayerboardError(f"{path} does not exist. Give the path of a .keras or .h5 model file.")
    if path.suffix not in (".keras", ".h5", ".hdf5"):
        raise LayerboardError(f"{path} is not a .keras or .h5 model file. Save the model with "
                              "model.save('model.keras') and import that.")
    check_stored_config(_stored_config(path), path)
    # catalogue blocks that keras.layers does not export (ConvNeXt's LayerScale): Keras classes only,
    # which the legacy .h5 loader cannot find by name on its own
    extra = {}
    for block_type in blocks.block_types():
        if block_type != "Input" and not hasattr(keras.layers, block_type):
            try:
                extra[block_type] = blocks.keras_class(block_type)
            except LayerboardError:  # not a Keras layer (a composite block)
                continue
    try:
        return load_model_safely(path, custom_objects=extra, compile=False)
    except UnreadableModelError as exc:
        if exc.refused_code:
            raise LayerboardError(f"{path.name}: {LAMBDA_FIX}.") from None
        raise LayerboardError(f"Keras cannot load {path.name}: {exc.reason}") from None


# ---- layer configs -> node params ----------------------------------------------------------------
def _plain(value: Any) -> Any:
    """A config value as JSON data: tuples become lists, numpy values plain numbers, Keras objects short."""
    import numpy as np

    if isinstance(value, dict):
        if "class_name" in value and "config" in value and ("module" in value or "registered_name" in value):
            return _short_object(value)
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    return value


def _short_object(obj: dict) -> Any:
    """A serialised initializer/regularizer/constraint: its name when it has default settings,
    else {"class_name", "config"} (no module or registered_name)."""
    import keras

    module = obj.get("module") or ""
    class_name, config = obj["class_name"], _plain(obj.get("config") or {})
    if module in _SHORT_OBJECT_MODULES:
        getter = {"keras.initializers": keras.initializers.get, "keras.regularizers": keras.regularizers.get,
                  "keras.constraints": keras.constraints.get}[module]
        name = snake_case(class_name)
        try:
            candidate = getter(name)
            if type(candidate).__name__ == class_name and _plain(candidate.get_config()) == config:
                return name
        except Exception:  # no short name for this class: keep the full form
            pass
    if class_name == "DTypePolicy" and isinstance(config, dict):
        return config.get("name")
    return {"class_name": class_name, "config": config}


def _dtype_name(value: Any) -> str | None:
    if isinstance(value, dict):
        value = (value.get("config") or {}).get("name")
    return value if isinstance(value, str) else None


def config_params(block_type: str, config: dict) -> dict[str, Any]:
    """A layer config as node params: without name/trainable, dtype only when not float32,
    a wrapper's inner layer as {"class_name", "config"}, and only parameters the block offers."""
    nested = set(blocks.nested_layer_params(block_type))
    offered = {p.name for p in blocks.block_spec(block_type).params}
    params: dict[str, Any] = {}
    for key, value in config.items():
        if key == "dtype":
            dtype = _dtype_name(value)
            if dtype and dtype != "float32":
                params["dtype"] = dtype
            continue
        if key in _DROPPED_KEYS or key not in offered:
            continue  # anything this drops that matters is caught by the round-trip check
        if key in nested and isinstance(value, dict) and "class_name" in value:
            inner = value["class_name"]
            inner_config = value.get("config") or {}
            if blocks.is_known(inner) and inner != "Input":
                params[key] = {"class_name": inner, "config": config_params(inner, inner_config)}
            else:
                params[key] = {"class_name": inner, "config": _plain(
                    {k: v for k, v in inner_config.items() if k not in _DROPPED_KEYS})}
            continue
        value = _plain(value)
        kind = blocks.block_spec(block_type).param(key).kind
        if kind in ("int", "float") and isinstance(value, list) and len(value) == 1:
            value = value[0]  # LayerNormalization keeps axis=-1 as [-1]; the round-trip check confirms
        params[key] = value
    return params


def _comparable(block_type: str, config: dict) -> Any:
    """A config for comparing a layer with its rebuilt twin: plain data, no names."""
    data = _plain({k: v for k, v in config.items() if k != "name"})
    for key in blocks.nested_layer_params(block_type):
        inner = data.get(key)
        if isinstance(inner, dict):
            inner.pop("module", None)
            inner.pop("registered_name", None)
            inner.pop("build_config", None)
            if isinstance(inner.get("config"), dict):
                inner["config"].pop("name", None)
    return data


def config_differences(block_type: str, layer, params: dict[str, Any]) -> list[str]:
    """Settings of `layer` that the node params do not reproduce (empty when the round trip is exact)."""
    from builder.model import make_layer

    twin = make_layer(Node(id=f"{layer.name}_twin", type=block_type, params=params, trainable=layer.trainable))
    want = _comparable(block_type, layer.get_config())
    differences = _differences(want, _comparable(block_type, twin.get_config()))
    build_config = layer.get_build_config() if differences and layer.built else None
    if build_config:  # some configs change when built (LayerNormalization's axis -1 becomes [3])
        twin.build_from_config(build_config)
        differences = _differences(want, _comparable(block_type, twin.get_config()))
    return differences


def _differences(want: dict, got: dict) -> list[str]:
    return sorted(k for k in set(want) | set(got) if want.get(k) != got.get(k))


# ---- walking the Keras graph --------------------------------------------------------------------
@dataclass
class ImportResult:
    """What import produced: the project, and for each node the source layer (for its weights)."""

    project: Any  # builder.project.Project
    layers: dict[str, Any] = field(default_factory=dict)  # node id -> source Keras layer
    source_params: int = 0
    notes: list[str] = field(default_factory=list)  # things worth knowing that did not stop the import
    project_path: Path | None = None
    weights_path: Path | None = None
    verification: dict[str, Any] | None = None

    @property
    def graph(self) -> Graph:
        return self.project.graph


class _Walker:
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
                source = self.walk_model(layer, [source], layer.name)[0] if source is not None else None
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

    # -- one call
    def _visit(self, op, knode, scope: str) -> None:
        import keras

        outputs = list(knode.outputs)
        if isinstance(op, keras.Model):
            args = keras.tree.flatten((knode.arguments.args, knode.arguments.kwargs))
            tensors = [t for t in args if isinstance(t, keras.KerasTensor)]
            training = knode.arguments.kwargs.get("training")
            if training is not None:
                self.notes.append(f"{op.name} was called with training={training}; Layerboard inlines its layers "
                                  "and drops that argument (freeze them to keep BatchNormalization in inference mode)")
            inner = self.walk_model(op, [self._source(t, op.name) for t in tensors], op.name)
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
        block_type = type(layer).__name__
        who = f"{layer.name} ({block_type})"
        if id(layer) in self._used:
            self.problems.append(f"{who} is used more than once (shared weights)")
            return None
        if not blocks.is_known(block_type) or block_type == "Input":
            self.problems.append(who)
            return None
        if blocks.keras_class(block_type) is not type(layer):
            self.problems.append(f"{who}: a different class than Keras's {block_type}")
            return None
        params = config_params(block_type, layer.get_config())
        for name, value in params.items():
            try:
                blocks.check_param(block_type, name, value)
            except LayerboardError as exc:
                self.problems.append(f"{who}: {exc}")
                return None
        try:
            differences = config_differences(block_type, layer, params)
        except Exception as exc:  # the block refuses its own config
            self.problems.append(f"{who}: cannot be rebuilt from its settings ({str(exc).strip().splitlines()[0]})")
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


def graph_from_model(model) -> tuple[Graph, dict[str, Any], list[str]]:
    """(graph, node id -> source layer, notes) for a functional or Sequential Keras model.

    Raises LayerboardError naming every layer (or call) the graph cannot represent.
    """
    import keras

    from builder.model import model_outputs
    from builder.graph import apply_layout

    walker = _Walker()
    if not isinstance(model, keras.Sequential) and not hasattr(model, "_nodes_by_depth"):
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
        history = getattr(tensor, "_keras_history", None)
        name = history.operation.name if history is not None and history.operation is not None else f"input_{i + 1}"
        if isinstance(model, keras.Sequential) and i == 0 and model._layers and isinstance(model._layers[0], keras.layers.InputLayer):
            name = model._layers[0].name
        sources.append((walker.add_input(tensor, name), 0))
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
    layers = {n: layer for n, layer in walker.layers.items() if n in graph.nodes}
    return graph, layers, walker.notes


def _raise_unsupported(model, problems: list[str]) -> None:
    unique = list(dict.fromkeys(problems))
    raise LayerboardError(
        f"Layerboard cannot represent {len(unique)} part(s) of model '{model.name}': " + "; ".join(unique)
        + ". Rebuild those parts with blocks from Layerboard's catalogue (python main.py templates, or the palette) "
        "and save the model again.")


# ---- the whole import -------------------------------------------------------------------------
def compare_outputs(source, rebuilt, batch: int = 2, seed: int = 0) -> float:
    """Largest absolute difference between the two models' outputs on the same random input."""
    import keras
    import numpy as np

    x = random_inputs(model_input_specs(source), batch, seed=seed)
    feed = x[0] if len(x) == 1 else x
    want = keras.tree.flatten(source(feed, training=False))
    got = keras.tree.flatten(rebuilt(feed, training=False))
    if len(want) != len(got):
        raise LayerboardError(f"The imported model has {len(got)} outputs, the source {len(want)}.")
    worst = 0.0
    for a, b in zip(want, got):
        a, b = np.asarray(a), np.asarray(b)
        if a.shape != b.shape:
            raise LayerboardError(f"An output of the imported model has shape {b.shape}, the source {a.shape}.")
        if a.size:
            worst = max(worst, float(np.max(np.abs(a.astype("float64") - b.astype("float64")))))
    return worst


def project_from_model(model, name: str = "imported") -> ImportResult:
    """A Project (graph laid out, dataset/training left default) for an already loaded model."""
    from builder.project import Project

    graph, layers, notes = graph_from_model(model)
    project = Project(graph=graph, name=name)
    return ImportResult(project=project, layers=layers, source_params=int(model.count_params()), notes=notes)


def import_model(source: str | Path, project_path: str | Path, force: bool = False,
                 verify: bool = True) -> ImportResult:
    """Import a .keras/.h5 model as a project file plus `<stem>.weights.h5` beside it.

    With `verify`, the written project is built again, its weights loaded, and its parameter
    count and outputs compared with the source model (a mismatch is a LayerboardError).
    """
    from builder.project import save_project
    from builder.model import save_node_weights

    source, project_path = Path(source), Path(project_path)
    weights_path = project_path.with_name(f"{project_path.stem}.weights.h5")
    if not force:
        for path in (project_path, weights_path):
            if path.exists():
                raise LayerboardError(f"{path} already exists; choose another name or pass --force to overwrite it.")
    model = load_keras_file(source)
    result = project_from_model(model, name=project_path.stem)
    result.project.weights = weights_path.name
    save_node_weights(result.layers, weights_path)
    save_project(result.project, project_path)
    result.project_path, result.weights_path = project_path, weights_path
    if verify:
        result.verification = verify_import(result.project, model)
    return result


def verify_import(project, model) -> dict[str, Any]:
    """Build the project, load its weights and compare it with the source model."""
    from builder.model import build_model
    from builder.model import apply_project_weights

    rebuilt = build_model(project.graph, name=project.name)
    report = apply_project_weights(rebuilt, project)
    if report is not None and report.skipped:
        raise LayerboardError("The imported weights did not load: " + report.summary())
    if rebuilt.count_params() != model.count_params():
        raise LayerboardError(f"The imported project has {rebuilt.count_params():,} parameters, the source model "
                              f"{model.count_params():,}.")
    diff = compare_outputs(model, rebuilt)
    if diff > 1e-4:
        raise LayerboardError(f"The imported project's outputs differ from the source model's by up to {diff:.3g}.")
    return {"params": int(rebuilt.count_params()), "max_abs_diff": diff,
            "weights_loaded": len(report.loaded) if report else 0}
