"""Does the model fit its dataset? Input shape and dtype, output size, activation and loss against a DatasetInfo.

Shape inference (builder.model) says what each node gives; this module compares the Inputs and the output
nodes with what the dataset feeds and expects, and says in one sentence per problem what to change. Nodes whose
shape is unknown (wiring or parameter problems) get no dataset message: shape inference already reports them.

A multi-input / multi-output set (x and y dicts) is matched by name: each Input reads the array of its id, each
output with a loss is trained against the target of its id. An output left out of a per-output loss dict is not
trained and is not checked. A single-target set feeds its one target to every output that has a loss.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

from builder.data.records import CLASSES, DatasetInfo, TargetInfo
from builder.graph import Graph, Node
from builder.model import UNKNOWN_ACTIVATION, ShapeReport, format_shape, infer_shapes, output_activation
from builder.project import RECONSTRUCTION


@dataclass(frozen=True)
class DatasetMismatch:
    """One way the model does not fit the dataset; `node_id` is None for a problem of the whole model."""

    node_id: str | None
    message: str


# Layers that pass their input's activation through unchanged (walked over to find the output's activation).
_SPARSE_CE = {"sparsecategoricalcrossentropy"}
_CATEGORICAL_CE = {"categoricalcrossentropy", "categoricalfocalcrossentropy"}
_BINARY_CE = {"binarycrossentropy", "binaryfocalcrossentropy"}
_REGRESSION_LOSSES = {
    "mse", "meansquarederror", "mae", "meanabsoluteerror", "huber", "huberloss", "logcosh", "mape",
    "meanabsolutepercentageerror", "msle", "meansquaredlogarithmicerror",
}


# ---- helpers ---------------------------------------------------------------------------------------------------

def _dtype_kind(dtype: Any) -> str:
    """'string', 'int', 'float', 'bool' or '' (unknown) for a NumPy / Keras dtype name."""
    name = str(dtype or "").lower()
    if not name:
        return ""
    if name in ("string", "str", "object", "bytes") or name.startswith(("<u", ">u", "|s", "<s", "|o", "str")):
        return "string"
    try:
        import numpy as np

        kind = np.dtype(name).kind
    except TypeError:
        kind = ""
    if kind in ("U", "S", "O"):
        return "string"
    if kind in ("i", "u"):
        return "int"
    if kind == "f" or name.startswith("bfloat"):
        return "float"
    if kind == "b":
        return "bool"
    return ""


def _loss_kind(loss: Any) -> str:
    """'sparse', 'categorical', 'binary', 'regression' or '' (unknown/other) for a Keras loss name."""
    if not isinstance(loss, str):
        return ""
    key = loss.lower().replace("_", "")
    for kind, names in (("sparse", _SPARSE_CE), ("categorical", _CATEGORICAL_CE), ("binary", _BINARY_CE),
                        ("regression", _REGRESSION_LOSSES)):
        if key in names:
            return kind
    return "crossentropy" if "crossentropy" in key else ""


def _loss_for(project, node_id: str) -> Any:
    loss = project.training.loss
    if isinstance(loss, dict):
        return loss.get(node_id)
    return loss


def _who(node: Node) -> str:
    return f"{node.type} '{node.id}'"


def _as_list(shape: Sequence) -> str:
    return "[" + ", ".join("None" if d is None else str(d) for d in shape) + "]"


def _input_shape(node: Node, report: ShapeReport) -> tuple | None:
    shape = node.params.get("shape")
    if isinstance(shape, (list, tuple)):
        return tuple(shape)
    if isinstance(shape, int):
        return (shape,)
    result = report.nodes.get(node.id)
    if result is not None and result.ok and result.shape is not None:
        return tuple(result.shape[1:])
    return None


def _shapes_match(model: tuple, data: tuple) -> bool:
    return len(model) == len(data) and all(m is None or m == d for m, d in zip(model, data))


# ---- inputs ----------------------------------------------------------------------------------------------------

def _check_input(graph: Graph, node: Node, data_shape: tuple, data_dtype: str, name: str,
                 report: ShapeReport) -> list[DatasetMismatch]:
    """One Input against the array it is fed: `name` says which ("dataset 'digits'", "input 'left' of ...")."""
    found: list[DatasetMismatch] = []
    result = report.nodes.get(node.id)
    if result is None or not result.ok:
        return found  # shape inference reports what is wrong with this Input
    data_shape = tuple(data_shape)
    shape = _input_shape(node, report)
    text = _dtype_kind(data_dtype) == "string" and {tuple(shape or ()), data_shape} <= {(), (1,), (None,)}
    if shape is not None and not text and not _shapes_match(shape, data_shape):
        found.append(DatasetMismatch(node.id, (
            f"Input '{node.id}' has shape {format_shape(shape)} but {name} gives samples of shape "
            f"{format_shape(data_shape)}: set the Input's shape to {_as_list(data_shape)}.")))

    data_kind = _dtype_kind(data_dtype)
    declared = node.params.get("dtype") or result.dtype or "float32"
    input_kind = _dtype_kind(declared)
    if not data_kind or not input_kind:
        return found
    if data_kind == "string" and input_kind != "string":
        found.append(DatasetMismatch(node.id, (
            f"Input '{node.id}' has dtype {declared} but {name} gives text (strings): set the Input's "
            "dtype to 'string' and follow it with TextVectorization or StringLookup.")))
    elif data_kind != "string" and input_kind == "string":
        wanted = "int32" if data_kind == "int" else "float32"
        found.append(DatasetMismatch(node.id, (
            f"Input '{node.id}' has dtype string but {name} gives {data_dtype} numbers: set the Input's "
            f"dtype to {wanted}.")))
    elif data_kind == "float" and input_kind in ("int", "bool"):
        found.append(DatasetMismatch(node.id, (
            f"Input '{node.id}' has dtype {declared} but {name} gives {data_dtype} values, which would "
            "be cut to whole numbers: set the Input's dtype to float32.")))
    elif data_kind == "float":
        for edge in graph.outgoing(node.id):
            target = graph.nodes[edge.target]
            if target.type == "Embedding":
                found.append(DatasetMismatch(target.id, (
                    f"Embedding '{target.id}' needs integer token ids but {name} gives {data_dtype} "
                    "values: use a dataset of token ids, or replace the Embedding with a Dense layer.")))
    return found


def _check_named_inputs(graph: Graph, info: DatasetInfo, report: ShapeReport) -> list[DatasetMismatch]:
    """A multi-input set feeds each Input the array of the same name; arrays no Input reads are left out."""
    found: list[DatasetMismatch] = []
    inputs = graph.input_nodes()
    unread = [key for key in info.input_shapes if key not in inputs]
    for node_id in inputs:
        if node_id in info.input_shapes:
            found += _check_input(graph, graph.nodes[node_id], info.input_shapes[node_id],
                                  info.input_dtypes.get(node_id, info.dtype),
                                  f"input '{node_id}' of dataset '{info.name}'", report)
            continue
        named = ", ".join(f"'{k}' {format_shape(tuple(info.input_shapes[k]))}" for k in info.input_shapes)
        fix = (f"rename the Input to {' or '.join(repr(k) for k in unread)}" if unread else
               "remove this Input, or use a dataset with an array for it")
        found.append(DatasetMismatch(node_id, (
            f"Input '{node_id}' has no array in dataset '{info.name}', which feeds its inputs by name ({named}): "
            f"{fix}.")))
    return found


# ---- outputs ---------------------------------------------------------------------------------------------------

def _size_message(node: Node, got: int, wanted: int, what: str, name: str, extra: str = "") -> str:
    if node.type == "Dense" and "units" in node.params:
        return f"{_who(node)} has {got} units but {name} {what}: set units to {wanted}{extra}."
    return (f"{_who(node)} gives {got} values per sample but {name} {what}: make its last dimension {wanted} "
            f"(end with Dense(units={wanted})){extra}.")


def _check_classes(project, node: Node, shape: tuple, target: TargetInfo, name: str) -> list[DatasetMismatch]:
    found: list[DatasetMismatch] = []
    say = lambda message: found.append(DatasetMismatch(node.id, message))  # noqa: E731
    classes = target.num_classes
    per_sample = tuple(shape[1:])
    if len(per_sample) != 1:
        say(f"{_who(node)} gives outputs of shape {format_shape(shape)} but {name} has one class label per "
            f"sample: add Flatten or GlobalAveragePooling before the last layer so its output is (None, {classes}).")
    units = per_sample[-1] if per_sample else None
    activation = output_activation(project.graph, node.id)
    loss = _loss_for(project, node.id)
    loss_kind = _loss_kind(loss)
    if units is None or classes <= 0:
        return found
    if classes == 2 and units == 1:  # one sigmoid unit: binary classification
        if activation == "softmax":
            say(f"{_who(node)} has 1 unit with softmax, which always outputs 1: use activation sigmoid for "
                "2 classes (or 2 units with softmax).")
        elif activation is not UNKNOWN_ACTIVATION and activation not in (None, "sigmoid"):
            say(f"{_who(node)} has activation {activation} but {name} has 2 classes and the layer 1 unit: "
                "use sigmoid.")
        if loss_kind in ("sparse", "categorical", "regression"):
            say(f"{_who(node)} has 1 unit for the 2 classes of {name}, so the loss should be binary_crossentropy, "
                f"not {loss}: set the loss to binary_crossentropy (or use 2 units with softmax).")
        return found
    if units != classes:
        extra = " (or 1 unit with sigmoid and binary_crossentropy)" if classes == 2 else ""
        say(_size_message(node, units, classes, f"has {classes} classes", name, extra))
    if activation == "sigmoid":
        say(f"{_who(node)} has activation sigmoid but {name} has {classes} classes, one per sample: use softmax "
            "(sigmoid scores each class on its own).")
    elif activation is not UNKNOWN_ACTIVATION and activation not in (None, "softmax"):
        say(f"{_who(node)} has activation {activation}, which does not give class probabilities: use softmax.")
    if loss_kind == "binary":
        say(f"The loss {loss} suits a single sigmoid unit, but {_who(node)} scores the {classes} classes of {name}: "
            "set the loss to sparse_categorical_crossentropy.")
    elif loss_kind == "categorical":
        say(f"The loss {loss} expects one-hot labels but {name} gives class ids: set the loss to "
            "sparse_categorical_crossentropy.")
    elif loss_kind == "regression":
        say(f"The loss {loss} is a regression loss but {name} is classification: set the loss to "
            "sparse_categorical_crossentropy.")
    return found


def _check_regression(project, node: Node, shape: tuple, name: str, target_shape: tuple) -> list[DatasetMismatch]:
    found: list[DatasetMismatch] = []
    say = lambda message: found.append(DatasetMismatch(node.id, message))  # noqa: E731
    per_sample = tuple(shape[1:])
    values = target_shape[-1] if target_shape else 1
    wanted = (None, *target_shape) if target_shape else (None, 1)
    what = "one target value per sample" if values == 1 and len(target_shape) <= 1 else \
        f"targets of shape {format_shape(target_shape)} per sample"
    if len(per_sample) != max(len(target_shape), 1):
        say(f"{_who(node)} gives outputs of shape {format_shape(shape)} but {name} has {what}: flatten or pool "
            f"before the last layer (or set return_sequences to false) so its output is {format_shape(wanted)}.")
    units = per_sample[-1] if per_sample else None
    if units is not None and units != values:
        say(_size_message(node, units, values, f"predicts {values} value{'s' if values != 1 else ''} per sample "
                                               "(regression)", name))
    activation = output_activation(project.graph, node.id)
    if activation == "softmax":
        say(f"{_who(node)} has activation softmax, which makes class probabilities, but {name} is regression: "
            "remove the activation (linear output).")
    loss = _loss_for(project, node.id)
    per_value = _loss_kind(loss) == "binary" and bool(target_shape)  # a 0..1 target per pixel or value, as masks
    if _loss_kind(loss) in ("sparse", "categorical", "binary", "crossentropy") and not per_value:
        say(f"The loss {loss} is for classification but {name} is regression: set the loss to "
            "mean_squared_error (or mean_absolute_error, huber).")
    return found


# ---- public API --------------------------------------------------------------------------------------------------

def check_against_dataset(project, info: DatasetInfo, report: ShapeReport | None = None,
                          target_shape: Sequence[int] | None = None) -> list[DatasetMismatch]:
    """Every way the project's model does not fit the dataset, each with the change that fixes it.

    `report` reuses a shape inference already run on `project.graph`; `target_shape` is the per-sample shape
    of regression targets when they are vectors or masks (default: the DatasetInfo's; () is one value per
    sample). Never raises for a half-built graph: nodes whose shape is unknown are skipped.
    """
    graph: Graph = project.graph
    if report is None:
        report = infer_shapes(graph, project.folder())
    found: list[DatasetMismatch] = []
    name = f"'{info.name}'"

    inputs = graph.input_nodes()
    recipe = project.training.recipe if isinstance(project.training.recipe, dict) else {}
    if recipe.get("name", "supervised") != "supervised":
        # A training recipe (autoencoder, VAE) reads the data through its encoder's Input and makes its own targets
        # (the input itself): a VAE's decoder Input takes latent vectors, never the data, and no output is
        # compared with the dataset's labels (the recipe checks its shapes per node).
        fed = [i for i in inputs if i != recipe.get("decoder_input")]
        if len(fed) == 1 and not info.input_shapes:
            return _check_input(graph, graph.nodes[fed[0]], info.input_shape, info.dtype, f"dataset {name}", report)
        return []
    if info.input_shapes:  # a multi-input set: each Input reads the array of its name
        found += _check_named_inputs(graph, info, report)
    elif len(inputs) > 1:
        found.append(DatasetMismatch(None, (
            f"The model has {len(inputs)} Inputs ({', '.join(repr(i) for i in inputs)}) but dataset {name} feeds "
            f"a single input of shape {format_shape(tuple(info.input_shape))}: keep one Input, or use a dataset "
            "with one array per Input.")))
    elif inputs:
        found += _check_input(graph, graph.nodes[inputs[0]], info.input_shape, info.dtype, f"dataset {name}", report)

    for output in graph.output_nodes():
        node = graph.nodes[output]
        result = report.nodes.get(node.id)
        loss = _loss_for(project, node.id)
        if loss is None or result is None or not result.ok or result.shape is None:
            continue  # an output left out of a per-output loss is not trained: it has no target to fit
        shape = tuple(result.shape)
        if loss == RECONSTRUCTION:  # the target is the input itself
            found += _check_reconstruction(node, shape, info)
            continue
        target = info.target(node.id)
        if target is None:  # a multi-output set: each output is trained against the target of its name
            found.append(DatasetMismatch(node.id, (
                f"{_who(node)} is an output with a loss, but dataset {name} has no target '{node.id}' (its targets: "
                f"{', '.join(repr(k) for k in info.targets)}): rename the output to the target it predicts, or "
                "leave it out of the per-output training.loss so it is not trained.")))
            continue
        what = f"{name} target '{node.id}'" if info.targets else name
        if target.output == CLASSES:
            found += _check_classes(project, node, shape, target, what)
        else:
            wanted = target.shape if target_shape is None or info.targets else tuple(target_shape)
            found += _check_regression(project, node, shape, what, tuple(wanted))
    return found


def _check_reconstruction(node: Node, shape: tuple, info: DatasetInfo) -> list[DatasetMismatch]:
    name = f"'{info.name}'"
    if info.input_shapes and len(info.input_shapes) > 1:
        return [DatasetMismatch(node.id, (
            f"{_who(node)} has the loss 'reconstruction', which compares it with the model's one input, but dataset "
            f"{name} feeds {len(info.input_shapes)} inputs ({', '.join(repr(k) for k in info.input_shapes)}): use "
            "a dataset with one input, or give this output another loss."))]
    if _shapes_match(tuple(shape[1:]), tuple(info.input_shape)):
        return []
    return [DatasetMismatch(node.id, (
        f"{_who(node)} gives outputs of shape {format_shape(shape)} but the loss 'reconstruction' "
        f"compares them with the samples of {name}, of shape {format_shape(tuple(info.input_shape))}"
        f": make the output's shape (None, {', '.join(map(str, info.input_shape))})."))]


def dataset_problems_text(mismatches: Sequence[DatasetMismatch]) -> list[str]:
    """One line per mismatch: "node 'dense_1': message", or just the message for a whole-model problem."""
    return [f"node '{m.node_id}': {m.message}" if m.node_id else m.message for m in mismatches]
