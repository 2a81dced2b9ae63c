"""The model: per-node Keras layer calls, graph -> keras.Model, shape inference and its explanations, weights (a
backbone's ImageNet weights from Keras's cache folder too), cost.

Nothing here imports Keras when imported; Keras is imported by the first call that needs it.
"""
from builder.model.block_selection import save_selection
from builder.model.build import build_model, model_outputs
from builder.model.cost import (FILE_OVERHEAD, LAYER_OVERHEAD, CostEstimate, CostEstimator, estimate, estimate_sizes,
                                layer_flops)
from builder.model.explanations import explain
from builder.model.model_files import (UnreadableModelError, input_names, load_model_safely, model_input_specs,
                                       output_names, random_inputs)
from builder.model.layers import apply_layer, keras_kwargs, make_input, make_layer, node_files, output_tensors
from builder.model.output_activation import UNKNOWN_ACTIVATION, output_activation
from builder.model.precision import dtype_policy_names, uses_half_precision
from builder.model.pretrained import WeightsFile, keras_models_folder, weights_files, weights_notices
from builder.model.shape_inference import ShapeInference, infer_shapes
from builder.model.shape_trace import ShapeTrace, trace_shape
from builder.model.shape_report import NodeResult, Shape, ShapeReport, format_shape
from builder.model.weights import WeightsReport, apply_project_weights, load_node_weights, save_node_weights

__all__ = [
    "FILE_OVERHEAD", "LAYER_OVERHEAD", "UNKNOWN_ACTIVATION", "CostEstimate", "CostEstimator", "NodeResult", "Shape", "ShapeInference",
    "ShapeReport", "UnreadableModelError", "WeightsReport", "apply_layer", "apply_project_weights", "build_model", "estimate",
    "estimate_sizes", "explain", "format_shape", "infer_shapes", "input_names", "keras_kwargs", "layer_flops", "load_model_safely",
    "load_node_weights", "model_input_specs", "random_inputs",
    "make_input", "make_layer", "model_outputs", "node_files", "output_activation", "output_names", "output_tensors", "save_node_weights",
    "save_selection", "WeightsFile", "keras_models_folder", "weights_files", "weights_notices",
    "ShapeTrace", "trace_shape", "dtype_policy_names", "uses_half_precision",
]
