"""Cheap estimates of a model's cost: exported file size, FLOPs and activation memory per sample.

Nothing is converted or run: shape inference gives every node's input and output shapes, and a
fresh (unbuilt) Keras layer gives its configuration (kernel size, use_bias, activation...).

Conventions, stated so the numbers can be compared:
  * FLOPs: one multiply-add counts as 2 FLOPs; a bias add, an activation function, a merge or a
    pooling comparison counts 1 FLOP per element it touches. Inference only, batch size 1.
    Embedding, reshapes, dropout, padding, cropping and other data movement count 0. Layers
    without a formula count 0 and are listed in `unknown_layers`.
    Recurrent layers: the matmuls and bias adds of every gate and time step (2*(in+units)*gates*units
    + gates*units per step; the elementwise gate arithmetic is not counted).
    Normalisation: BatchNormalization 2 per element (folded into scale and shift at inference),
    LayerNormalization / GroupNormalization / UnitNormalization about 5 per element.
  * Size: params x bytes per weight (4 float32, 2 float16, 1 int8) plus an overhead of
    4 KiB for the file and 0.5 KiB per layer (flatbuffer tables, tensor names, quantisation scales).
    Compared in tests with files the TFLite converter really writes (within a factor of 1.5).
  * Activation memory: the SUM of the float32 sizes of every node's outputs (Inputs included) for
    one sample -- what training keeps for the backward pass; the peak at inference is smaller.

Composite blocks are costed through their expanded inner layers.
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from typing import Any

from builder.blocks import composites
from builder.model.layers import make_layer
from builder.model.shape_inference import infer_shapes
from builder.model.shape_report import ShapeReport
from builder.model.weightless import shapes_only

BYTES = {"float32": 4, "float16": 2, "int8": 1}
FILE_OVERHEAD = 4096
LAYER_OVERHEAD = 512

_ZERO = {
    "Input", "Embedding", "Masking", "Identity", "Dropout", "SpatialDropout1D", "SpatialDropout2D", "SpatialDropout3D",
    "GaussianNoise", "GaussianDropout", "ActivityRegularization", "Flatten", "Reshape", "Permute", "RepeatVector",
    "UpSampling1D", "UpSampling2D", "UpSampling3D", "ZeroPadding1D", "ZeroPadding2D", "ZeroPadding3D",
    "Cropping1D", "Cropping2D", "Cropping3D", "Concatenate", "RandomFlip", "RandomRotation", "RandomZoom",
    "RandomTranslation", "RandomContrast", "RandomCrop", "CenterCrop", "StochasticDepth", "CategoryEncoding",
    "StringLookup", "IntegerLookup", "TextVectorization",
}
_ACTIVATION_LAYERS = {"Activation", "ReLU", "LeakyReLU", "PReLU", "ELU", "Softmax"}
_MERGES = {"Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum"}
_PER_ELEMENT = {"BatchNormalization": 2, "LayerNormalization": 5, "GroupNormalization": 5, "UnitNormalization": 5,
                "Rescaling": 2, "Normalization": 2, "LayerScale": 1, "Resizing": 4}


@dataclass
class CostEstimate:
    params: int
    size_bytes: dict[str, int]
    flops_per_sample: int
    activation_bytes_per_sample: int
    flops_by_node: dict[str, int] = field(default_factory=dict)
    unknown_layers: list[str] = field(default_factory=list)  # node ids counted as 0 FLOPs (no formula)

    def to_dict(self) -> dict[str, Any]:
        return {"params": self.params, "size_bytes": dict(self.size_bytes), "flops_per_sample": self.flops_per_sample,
                "activation_bytes_per_sample": self.activation_bytes_per_sample, "unknown_layers": list(self.unknown_layers)}


def _prod(dims) -> int:
    return int(math.prod(int(d) for d in dims if d is not None)) if dims else 1


def _activation_flops(layer, out_elems: int) -> int:
    act = getattr(layer, "activation", None)
    name = getattr(act, "__name__", None) or (act if isinstance(act, str) else None)
    return 0 if act is None or name in (None, "linear") else out_elems


def _rnn_flops(layer, in_shape, gates: int) -> int:
    steps, features = in_shape[-2], in_shape[-1]
    units = layer.units
    per_step = 2 * (features + units) * gates * units + gates * units
    if gates == 3 and getattr(layer, "reset_after", False):
        per_step += gates * units  # the second (recurrent) bias
    return int((steps or 1) * per_step)


def layer_flops(node_type: str, layer, in_shapes: list, out_shape) -> int | None:
    """FLOPs of one layer for one sample; shapes without the batch dimension. None: no formula."""
    if node_type in _ZERO:
        return 0
    out = _prod(out_shape)
    x = in_shapes[0] if in_shapes else ()
    bias = out if getattr(layer, "use_bias", False) else 0
    if node_type == "Dense":
        return 2 * x[-1] * layer.units * _prod(out_shape[:-1]) + bias + _activation_flops(layer, out)
    if node_type in ("Conv1D", "Conv2D", "Conv3D"):
        k = _prod(layer.kernel_size)
        channels = x[-1] if layer.data_format == "channels_last" else x[0]
        return 2 * out * k * channels // max(1, getattr(layer, "groups", 1)) + bias + _activation_flops(layer, out)
    if node_type in ("DepthwiseConv1D", "DepthwiseConv2D"):
        return 2 * out * _prod(layer.kernel_size) + bias + _activation_flops(layer, out)
    if node_type in ("SeparableConv1D", "SeparableConv2D"):
        channels = x[-1] if layer.data_format == "channels_last" else x[0]
        positions = out // layer.filters
        dm = layer.depth_multiplier
        return (2 * positions * channels * dm * _prod(layer.kernel_size) + 2 * positions * channels * dm * layer.filters
                + bias + _activation_flops(layer, out))
    if node_type in ("Conv1DTranspose", "Conv2DTranspose", "Conv3DTranspose"):
        channels = x[-1] if layer.data_format == "channels_last" else x[0]
        return 2 * (_prod(x) // channels) * channels * _prod(layer.kernel_size) * layer.filters + bias \
            + _activation_flops(layer, out)
    if node_type == "EinsumDense":
        return 2 * _prod(x) * _prod(out_shape[-1:]) + _activation_flops(layer, out)  # approximate: last axis mixing
    if node_type in ("LSTM", "GRU", "SimpleRNN"):
        return _rnn_flops(layer, x, {"LSTM": 4, "GRU": 3, "SimpleRNN": 1}[node_type])
    if node_type == "Bidirectional":
        inner = type(layer.forward_layer).__name__
        if inner in ("LSTM", "GRU", "SimpleRNN"):
            return 2 * _rnn_flops(layer.forward_layer, x, {"LSTM": 4, "GRU": 3, "SimpleRNN": 1}[inner])
        return None
    if node_type == "ConvLSTM2D":
        k = _prod(layer.kernel_size)
        steps, channels = x[0], x[-1]
        positions = _prod(out_shape[-3:-1]) if not layer.return_sequences else _prod(out_shape[-3:-1])
        return int(steps * positions * (2 * k * (channels + layer.filters) * 4 * layer.filters + 4 * layer.filters))
    if node_type == "MultiHeadAttention":
        q = x
        v = in_shapes[1] if len(in_shapes) > 1 else x
        k_ = in_shapes[2] if len(in_shapes) > 2 else v
        heads, kd = layer.num_heads, layer.key_dim
        vd = layer.value_dim or kd
        tq, tk = _prod(q[:-1]), _prod(k_[:-1])
        out_dim = out_shape[-1]
        b = 1 if layer.use_bias else 0
        proj = (2 * tq * q[-1] * heads * kd + 2 * tk * k_[-1] * heads * kd + 2 * tk * v[-1] * heads * vd
                + b * (tq * heads * kd + tk * heads * kd + tk * heads * vd))
        scores = 2 * tq * tk * heads * kd + tq * tk * heads  # QK^T and the softmax (1 per score)
        mix = 2 * tq * tk * heads * vd
        return proj + scores + mix + 2 * tq * heads * vd * out_dim + b * tq * out_dim
    if node_type in ("Attention", "AdditiveAttention"):
        q, v = x, in_shapes[1] if len(in_shapes) > 1 else x
        tq, tv, d = _prod(q[:-1]), _prod(v[:-1]), q[-1]
        return 2 * tq * tv * d + tq * tv + 2 * tq * tv * v[-1]
    if node_type.startswith(("MaxPooling", "AveragePooling")):
        return out * _prod(layer.pool_size)
    if node_type.startswith(("GlobalMaxPooling", "GlobalAveragePooling")):
        return _prod(x)
    if node_type in _PER_ELEMENT:
        return _PER_ELEMENT[node_type] * out
    if node_type in _MERGES:
        return (len(in_shapes) - 1) * out + (out if node_type == "Average" else 0)
    if node_type == "Dot":
        return 2 * _prod(x) * _prod(out_shape) // max(1, _prod(in_shapes[1:2][0] if len(in_shapes) > 1 else ()))
    if node_type in _ACTIVATION_LAYERS:
        return out
    if node_type == "TimeDistributed":
        return None
    return None


def estimate_sizes(params: int, layers: int) -> dict[str, int]:
    return {fmt: params * b + FILE_OVERHEAD + LAYER_OVERHEAD * layers for fmt, b in BYTES.items()}


def estimate(project_or_graph, report: ShapeReport | None = None, flops_cache: dict | None = None) -> CostEstimate:
    """Size per format, FLOPs and activation memory per sample; nodes with shape errors count 0.

    `report` is the graph's shape report when the caller has one (it is inferred here otherwise, and always for
    a graph with composite blocks, whose expansion is what is counted). `flops_cache` is a dict the caller keeps
    between calls: a block counted before, with the same settings and shapes, is not counted again."""
    return CostEstimator(flops_cache).estimate(project_or_graph, report)


class CostEstimator:
    """`estimate` for a caller that asks again after every edit (the window's status bar): it keeps the FLOPs of
    every block it counted and, for a graph with composite blocks, its own incremental shape inference of the
    expanded graph, so re-estimating after one edit costs about that edit."""

    def __init__(self, flops_cache: dict | None = None) -> None:
        self.flops_cache: dict[str, int | None] = {} if flops_cache is None else flops_cache
        self.expanded_inference = None  # a ShapeInference of expanded graphs, made on the first composite graph

    def estimate(self, project_or_graph, report: ShapeReport | None = None) -> CostEstimate:
        graph = getattr(project_or_graph, "graph", project_or_graph)
        folder = project_or_graph.folder() if hasattr(project_or_graph, "folder") else None  # for file parameters
        if composites.has_composites(graph):
            if self.expanded_inference is None:
                from builder.model.shape_inference import ShapeInference

                self.expanded_inference = ShapeInference(folder)
            self.expanded_inference.folder = folder
            graph = composites.expand_all(graph)
            report = self.expanded_inference.run(graph)
        elif report is None:
            report = infer_shapes(graph, folder)
        if len(self.flops_cache) > 50_000:  # edits leave old keys behind: a long session starts afresh
            self.flops_cache.clear()
        with shapes_only():  # the layers made for their settings are thrown away: no weight (or seed) is allocated
            return _estimate(graph, report, folder, self.flops_cache)


def _estimate(graph, report: ShapeReport, folder, same: dict[str, int | None]) -> CostEstimate:
    """`same`: FLOPs by (type, params, shapes, folder), so a repeated block is counted once."""
    flops: dict[str, int] = {}
    unknown: list[str] = []
    activation = 0
    layers = 0
    for node_id, result in report.nodes.items():
        node = graph.nodes[node_id]
        if not result.ok:
            continue
        for shape in result.output_shapes:
            activation += 4 * _prod(shape[1:])
        if node.type == "Input":
            continue
        layers += node.shares is None  # a shared layer is written once; each call still costs its FLOPs
        edges = graph.incoming(node_id)
        in_shapes = [tuple(report.nodes[e.source].output_shapes[e.source_port][1:]) for e in edges]
        out_shape = tuple(result.shape[1:])
        key = json.dumps([node.type, node.params, in_shapes, out_shape, str(folder)], sort_keys=True, default=str)
        if key in same:
            count = same[key]
        else:
            try:
                count = layer_flops(node.type, make_layer(node, folder, pretrained_weights=False) if node.type not in _ZERO else None, in_shapes,
                                    out_shape)
            except Exception:  # an unexpected configuration: no formula rather than a crash
                count = None
            same[key] = count
        if count is None:
            unknown.append(node_id)
            count = 0
        flops[node_id] = int(count)
    params = report.total_params
    return CostEstimate(params, estimate_sizes(params, layers), sum(flops.values()), activation, flops, unknown)
