"""Block types: the Keras catalogue, composite blocks (saved sub-graphs), and queries that answer for both.

Words: a *block type* is what a node can be — a Keras layer from the catalogue (`Conv2D`) or a
*composite block* (`ResidualBlock`); a *node* is one block placed in a graph.
"""
from builder.blocks import composites
from builder.blocks.block_types import (block_spec, fits_kind, block_types, call_style, check_param, class_path, file_params,
                                        initial_params,
                                        input_count, input_ports, is_catalogue_block, is_known, keras_class,
                                        nested_layer_params, output_ports, palette, required_inputs)
from builder.blocks.catalogue import BlockSpec, ParamSpec, canonical_type, catalogue_types, not_block_reason
from builder.blocks.keras_arguments import constructor_arguments, keras_refusal, quantization_config_class
from builder.blocks.random_state import weights_deferred
from builder.blocks.graph_data import LAMBDA_REFUSED, expect_type, read_graph

__all__ = [
    "BlockSpec", "LAMBDA_REFUSED", "ParamSpec", "block_spec", "block_types", "call_style", "canonical_type",
    "catalogue_types", "constructor_arguments", "fits_kind", "keras_refusal", "not_block_reason",
    "quantization_config_class", "weights_deferred",
    "check_param", "class_path", "composites", "expect_type", "file_params", "initial_params", "input_count", "input_ports",
    "is_catalogue_block", "is_known", "keras_class", "nested_layer_params", "output_ports", "palette",
    "read_graph", "required_inputs",
]
