"""What to change so that the model fits its dataset: for each mismatch, block parameters and the loss, as plain data.

`suggest_fixes` proposes, for every DatasetMismatch that check_against_dataset finds, the change that removes it:
the Input's shape or dtype, the output layer's units or activation, or the loss. A proposal is kept only when the
check, run again on the changed project, no longer reports that mismatch, so a Fix never claims more than it does.
Mismatches that need new blocks (a Flatten, a TextVectorization, a second Input) get no proposal: they say in
words what to add. Nothing here imports Keras when a shape report is given.
"""
from __future__ import annotations

import copy
import dataclasses
from dataclasses import dataclass, field
from typing import Any, Sequence

import numpy as np

from builder import blocks
from builder.data.checks import DatasetMismatch, check_against_dataset
from builder.data.records import CLASSES, DatasetInfo, TargetInfo
from builder.graph import Graph, Node
from builder.model import UNKNOWN_ACTIVATION, ShapeReport, infer_shapes, output_activation
from builder.project import RECONSTRUCTION, Project

CLASS_LOSS = "sparse_categorical_crossentropy"  # class ids, as every dataset source gives them
BINARY_LOSS = "binary_crossentropy"  # one sigmoid unit for two classes
REGRESSION_LOSS = "mean_squared_error"


@dataclass(frozen=True)
class ParamChange:
    """Set one parameter of one node (`value` None: remove it, so Keras's default applies)."""

    node_id: str
    param: str
    value: Any

    def to_dict(self) -> dict:
        return {"node_id": self.node_id, "param": self.param, "value": self.value}

    def describe(self) -> str:
        return f"set {self.node_id}.{self.param} to {_plain_value(self.value)}"


@dataclass(frozen=True)
class DatasetFix:
    """One mismatch and the changes that remove it; `params` and `training` are both empty when there is no
    automatic fix (the mismatch's message says what to do by hand)."""

    mismatch: DatasetMismatch
    params: tuple[ParamChange, ...] = ()
    training: dict[str, Any] = field(default_factory=dict)  # {"loss": ...}: fields of project.training

    @property
    def fixable(self) -> bool:
        return bool(self.params or self.training)

    def describe(self) -> str:
        """The change in words: "set image.shape to [8, 8, 1]; set the loss to ..." (or that there is none)."""
        if not self.fixable:
            return "no automatic fix: change the model by hand as the message says"
        parts = [change.describe() for change in self.params]
        parts += [f"set the {name} to {_plain_value(value)}" for name, value in self.training.items()]
        return "; ".join(parts)

    def to_dict(self) -> dict:
        return {"node_id": self.mismatch.node_id, "message": self.mismatch.message,
                "params": [change.to_dict() for change in self.params], "training": copy.deepcopy(self.training),
                "fix": self.describe() if self.fixable else None}


def _plain_value(value: Any) -> str:
    if value is None:
        return "none (Keras's default)"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join("None" if v is None else str(v) for v in value) + "]"
    return str(value)


# ---- what the model should be, change by change ----------------------------------------------------------------

@dataclass(frozen=True)
class _Candidate:
    """One change that may remove some mismatches: parameters, or a new training.loss."""

    params: tuple[ParamChange, ...] = ()
    training: dict[str, Any] = field(default_factory=dict)
    output_shape: tuple[str, tuple] | None = None  # (node id, new output shape) when the change alters one


def _kind(dtype: Any) -> str:
    """'string', 'int', 'float', 'bool' or '' for a dtype name (NumPy's kinds; Keras's names are NumPy's)."""
    name = str(dtype or "").lower()
    if name in ("string", "str", "object", "bytes"):
        return "string"
    try:
        kind = np.dtype(name).kind
    except TypeError:
        return "float" if name.startswith("bfloat") else ""
    kinds = {"U": "string", "S": "string", "O": "string", "i": "int", "u": "int", "f": "float", "b": "bool"}
    return kinds.get(kind, "")


def _has_param(node: Node, name: str) -> bool:
    if name in node.params:
        return True
    try:
        blocks.block_spec(node.type).param(name)
    except Exception:  # no such parameter, or a block type the catalogue does not know
        return False
    return True


def _input_candidates(node: Node, data_shape: Sequence[int], dtype: str, report: ShapeReport) -> list[_Candidate]:
    found = []
    data_shape = [int(d) for d in data_shape]
    data_kind = _kind(dtype)
    shape = node.params.get("shape")
    shape = [shape] if isinstance(shape, int) else list(shape) if isinstance(shape, (list, tuple)) else None
    fits = shape is not None and len(shape) == len(data_shape) and all(
        m is None or m == d for m, d in zip(shape, data_shape))
    if data_kind != "string" and not fits:
        found.append(_Candidate((ParamChange(node.id, "shape", data_shape),)))
    result = report.nodes.get(node.id)
    declared = node.params.get("dtype") or (result.dtype if result is not None else None) or "float32"
    input_kind = _kind(declared)
    if data_kind and input_kind and data_kind != "string":
        if input_kind == "string":
            found.append(_Candidate((ParamChange(node.id, "dtype", "int32" if data_kind == "int" else "float32"),)))
        elif data_kind == "float" and input_kind in ("int", "bool"):
            found.append(_Candidate((ParamChange(node.id, "dtype", "float32"),)))
    return found


def _activation_holder(graph: Graph, node_id: str) -> Node | None:
    """The node whose `activation` parameter the output's values come through: the output itself, or the first
    node with an activation setting back along a single-input chain (over Dropout, Flatten and the like)."""
    seen = set()
    while node_id not in seen:
        seen.add(node_id)
        node = graph.nodes[node_id]
        if _has_param(node, "activation"):
            return node
        edges = graph.incoming(node_id)
        if len(edges) != 1:
            return None
        node_id = edges[0].source
    return None


def _with_loss(project: Project, node_id: str, loss: str) -> dict[str, Any]:
    """training fields that give `node_id` the loss `loss` (one loss for all, or the node's entry of a dict)."""
    current = project.training.loss
    if isinstance(current, dict):
        return {"loss": {**current, node_id: loss}}
    return {"loss": loss}


def _loss_of(project: Project, node_id: str) -> Any:
    loss = project.training.loss
    return loss.get(node_id) if isinstance(loss, dict) else loss


def _output_candidates(project: Project, node: Node, shape: tuple, target: TargetInfo) -> list[_Candidate]:
    graph = project.graph
    found: list[_Candidate] = []
    units = shape[-1] if len(shape) > 1 else None
    activation = output_activation(graph, node.id)
    if target.output == CLASSES:
        binary = target.num_classes == 2 and units == 1
        want_units = 1 if binary else target.num_classes
        # Logits (no activation) fit a from-logits loss: kept; anything else becomes softmax (sigmoid for 1 unit).
        want_activation = "sigmoid" if binary else (None if activation is None else "softmax")
        want_loss = BINARY_LOSS if binary else CLASS_LOSS
    else:
        want_units = target.shape[-1] if target.shape else 1
        want_activation = None if activation in (None, "softmax") else activation
        want_loss = REGRESSION_LOSS
    if units is not None and units != want_units and want_units > 0 and _has_param(node, "units"):
        found.append(_Candidate((ParamChange(node.id, "units", int(want_units)),),
                                output_shape=(node.id, (*shape[:-1], int(want_units)))))
    if activation is not UNKNOWN_ACTIVATION and activation != want_activation:
        holder = _activation_holder(graph, node.id)
        if holder is not None:
            found.append(_Candidate((ParamChange(holder.id, "activation", want_activation or "linear"),)))
    if _loss_of(project, node.id) != want_loss:
        found.append(_Candidate(training=_with_loss(project, node.id, want_loss)))
    return found


# ---- trying a change -------------------------------------------------------------------------------------------

def _changed(project: Project, report: ShapeReport, changes: Sequence[_Candidate]) -> tuple[Project, ShapeReport]:
    """A copy of the project (and of the report, for a changed output shape) with the candidates applied."""
    graph = project.graph.copy()
    training = copy.deepcopy(project.training)
    nodes = dict(report.nodes)
    for candidate in changes:
        for change in candidate.params:
            graph.set_param(change.node_id, change.param, copy.deepcopy(change.value))
        for name, value in candidate.training.items():
            setattr(training, name, copy.deepcopy(value))
        if candidate.output_shape is not None:
            node_id, shape = candidate.output_shape
            result = nodes[node_id]
            nodes[node_id] = dataclasses.replace(result, output_shapes=[shape, *result.output_shapes[1:]])
    changed = Project(graph=graph, dataset=project.dataset, training=training, name=project.name, path=project.path)
    return changed, ShapeReport(nodes, list(report.graph_errors))


def _merge(changes: Sequence[_Candidate]) -> tuple[tuple[ParamChange, ...], dict[str, Any]]:
    params: dict[tuple[str, str], ParamChange] = {}
    training: dict[str, Any] = {}
    for candidate in changes:
        for change in candidate.params:
            params[(change.node_id, change.param)] = change
        for name, value in candidate.training.items():
            if isinstance(value, dict) and isinstance(training.get(name), dict):
                value = {**training[name], **value}
            training[name] = value
    return tuple(params.values()), training


# ---- public API --------------------------------------------------------------------------------------------------

def suggest_fixes(project: Project, info: DatasetInfo, report: ShapeReport | None = None,
                  target_shape: Sequence[int] | None = None) -> list[DatasetFix]:
    """One DatasetFix per mismatch of check_against_dataset, in its order; a fix with no changes where the
    mismatch has no automatic fix. `report` reuses a shape inference of `project.graph` (else one is run);
    `target_shape` is the per-sample shape of regression targets when they are vectors."""
    graph: Graph = project.graph
    if report is None:
        report = infer_shapes(graph, project.folder())
    target = None if target_shape is None else tuple(target_shape)
    mismatches = check_against_dataset(project, info, report, target)
    if not mismatches:
        return []
    candidates: dict[str, list[_Candidate]] = {}  # by the node whose mismatches they may remove
    inputs = graph.input_nodes()
    if info.input_shapes:  # a multi-input set: each Input against the array of its name
        for node_id in inputs:
            if node_id in info.input_shapes:
                candidates[node_id] = _input_candidates(graph.nodes[node_id], info.input_shapes[node_id],
                                                        info.input_dtypes.get(node_id, info.dtype), report)
    elif len(inputs) == 1:
        candidates[inputs[0]] = _input_candidates(graph.nodes[inputs[0]], info.input_shape, info.dtype, report)
    for output in graph.output_nodes():
        result = report.nodes.get(output)
        loss = _loss_of(project, output)
        wanted = info.target(output)
        if result is None or not result.ok or result.shape is None or loss in (None, RECONSTRUCTION) or not wanted:
            continue
        if target_shape is not None and not info.targets:
            wanted = dataclasses.replace(wanted, shape=target)
        candidates.setdefault(output, []).extend(
            _output_candidates(project, graph.nodes[output], tuple(result.shape), wanted))

    left_after: dict[tuple[int, ...], list[DatasetMismatch]] = {}  # each change is checked once, not per mismatch

    def removes(changes: Sequence[_Candidate], mismatch: DatasetMismatch) -> bool:
        key = tuple(id(c) for c in changes)
        if key not in left_after:
            changed, changed_report = _changed(project, report, changes)
            left_after[key] = check_against_dataset(changed, info, changed_report, target)
        return mismatch not in left_after[key]

    fixes = []
    for mismatch in mismatches:
        options = candidates.get(mismatch.node_id or "", [])
        chosen = next(([c] for c in options if removes([c], mismatch)), None)
        if chosen is None and len(options) > 1 and removes(options, mismatch):
            chosen = options
        params, training = _merge(chosen or [])
        fixes.append(DatasetFix(mismatch, params, training))
    return fixes


def combine_fixes(fixes: Sequence[DatasetFix]) -> DatasetFix | None:
    """Every proposal at once ("Fix all"): the parameter changes and training fields of all fixable ones, or None."""
    usable = [f for f in fixes if f.fixable]
    if not usable:
        return None
    params, training = _merge([_Candidate(f.params, f.training) for f in usable])
    message = "; ".join(f.mismatch.message for f in usable)
    return DatasetFix(DatasetMismatch(None, message), params, training)
