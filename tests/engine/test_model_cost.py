"""Size / FLOPs / activation-memory estimates, checked by hand and against real TF numbers."""
from __future__ import annotations

import pytest

from builder.graph import Graph
from builder.model import FILE_OVERHEAD, LAYER_OVERHEAD, estimate
from builder.project import load_template


def _chain(input_shape, *layers):
    graph = Graph()
    graph.add_node("Input", {"shape": list(input_shape)}, node_id="x")
    previous = "x"
    for i, (kind, params) in enumerate(layers):
        node_id = f"l{i}"
        graph.add_node(kind, params, node_id=node_id)
        graph.connect(previous, node_id)
        previous = node_id
    return graph


def test_dense_flops_params_sizes_and_activations():
    e = estimate(_chain([784], ("Dense", {"units": 256})))
    assert e.flops_per_sample == 2 * 784 * 256 + 256  # multiply-adds + bias adds, no activation
    assert e.params == 784 * 256 + 256
    assert e.size_bytes == {"float32": 4 * e.params + FILE_OVERHEAD + LAYER_OVERHEAD,
                            "float16": 2 * e.params + FILE_OVERHEAD + LAYER_OVERHEAD,
                            "int8": e.params + FILE_OVERHEAD + LAYER_OVERHEAD}
    assert e.activation_bytes_per_sample == 4 * (784 + 256)  # summed over all outputs, Input included
    relu = estimate(_chain([784], ("Dense", {"units": 256, "activation": "relu"})))
    assert relu.flops_per_sample == e.flops_per_sample + 256


def test_conv_family_by_hand():
    conv = estimate(_chain([8, 8, 3], ("Conv2D", {"filters": 4, "kernel_size": [3, 3]})))
    assert conv.flops_per_sample == 2 * (6 * 6 * 4) * 9 * 3 + 6 * 6 * 4
    dw = estimate(_chain([8, 8, 3], ("DepthwiseConv2D", {"kernel_size": [3, 3], "use_bias": False})))
    assert dw.flops_per_sample == 2 * (6 * 6 * 3) * 9
    sep = estimate(_chain([8, 8, 3], ("SeparableConv2D", {"filters": 5, "kernel_size": [3, 3], "use_bias": False})))
    assert sep.flops_per_sample == 2 * 36 * 3 * 9 + 2 * 36 * 3 * 5
    tr = estimate(_chain([4, 4, 2], ("Conv2DTranspose", {"filters": 3, "kernel_size": [2, 2], "strides": [2, 2],
                                                          "use_bias": False})))
    assert tr.flops_per_sample == 2 * 16 * 2 * 4 * 3
    pool = estimate(_chain([4, 4, 2], ("MaxPooling2D", {"pool_size": [2, 2]}), ("GlobalAveragePooling2D", {})))
    assert pool.flops_per_sample == 2 * 2 * 2 * 4 + 2 * 2 * 2


def test_recurrent_attention_and_zero_layers():
    lstm = estimate(_chain([20, 8], ("LSTM", {"units": 16})))
    assert lstm.flops_per_sample == 20 * (2 * (8 + 16) * 4 * 16 + 4 * 16)
    graph = _chain([10, 16])
    graph.add_node("MultiHeadAttention", {"num_heads": 2, "key_dim": 8}, node_id="mha")
    graph.connect("x", "mha", 0, 0)
    graph.connect("x", "mha", 0, 1)
    mha = estimate(graph)
    proj = 3 * (2 * 10 * 16 * 16 + 10 * 16)
    assert mha.flops_per_sample == proj + 2 * 10 * 10 * 16 + 10 * 10 * 2 + 2 * 10 * 10 * 16 + 2 * 10 * 16 * 16 + 10 * 16
    emb = estimate(_chain([5], ("Embedding", {"input_dim": 10, "output_dim": 4}), ("Flatten", {})))
    assert emb.flops_per_sample == 0 and emb.unknown_layers == []


def test_unknown_layers_are_listed():
    e = estimate(_chain([4, 3], ("TimeDistributed", {"layer": {"class_name": "Dense", "config": {"units": 2}}})))
    assert e.unknown_layers == ["l0"] and e.flops_per_sample == 0


def test_digits_flops_match_tensorflow_profiler_and_sizes_match_real_files():
    """The TF profiler (float_operation on the frozen graph) counts the same convs/matmuls/bias adds; it
    leaves out ReLU (we count 1 per element) and counts softmax: agree within 2%. File sizes within 1.5x."""
    import numpy as np
    import tensorflow as tf
    from tensorflow.python.framework.convert_to_constants import convert_variables_to_constants_v2

    from builder.model import build_model

    project = load_template("digits_cnn")
    e = estimate(project)
    assert e.params == 9930
    model = build_model(project.graph)
    fn = tf.function(lambda x: model(x, training=False), input_signature=[tf.TensorSpec((1, 8, 8, 1))])
    cf = convert_variables_to_constants_v2(fn.get_concrete_function())
    with tf.Graph().as_default() as graph:
        tf.import_graph_def(cf.graph.as_graph_def(), name="")
        profile = tf.compat.v1.profiler.profile(
            graph, options=tf.compat.v1.profiler.ProfileOptionBuilder(
                tf.compat.v1.profiler.ProfileOptionBuilder.float_operation()).with_empty_output().build())
    assert profile.total_float_ops == pytest.approx(e.flops_per_sample, rel=0.02)
    for fmt in ("float32", "float16", "int8"):
        converter = tf.lite.TFLiteConverter.from_concrete_functions([cf])
        if fmt == "float16":
            converter.optimizations = [tf.lite.Optimize.DEFAULT]
            converter.target_spec.supported_types = [tf.float16]
        if fmt == "int8":
            converter.optimizations = [tf.lite.Optimize.DEFAULT]
            converter.representative_dataset = lambda: ([np.random.rand(1, 8, 8, 1).astype("float32")]
                                                        for _ in range(4))
            converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
        real = len(converter.convert())
        assert real / 1.5 <= e.size_bytes[fmt] <= real * 1.5, (fmt, real, e.size_bytes[fmt])


def test_model_cost_does_not_import_tensorflow():
    import subprocess
    import sys

    code = ("import sys; import builder.model.cost; "
            "assert 'tensorflow' not in sys.modules and 'keras' not in sys.modules")
    assert subprocess.run([sys.executable, "-c", code], capture_output=True).returncode == 0


def test_trainable_params_leave_out_frozen_nodes_and_moving_statistics():
    from builder.model import infer_shapes

    graph = _chain([8], ("Dense", {"units": 4}), ("BatchNormalization", {}), ("Dense", {"units": 2}))
    report = infer_shapes(graph)
    assert report.total_params == (8 * 4 + 4) + 4 * 4 + (4 * 2 + 2)
    assert report.nodes["l1"].non_trainable_params == 8  # moving mean and variance
    assert report.trainable_params(graph) == report.total_params - 8
    graph.set_flag("l0", "trainable", False)
    assert report.trainable_params(graph) == report.total_params - 8 - (8 * 4 + 4)


def test_a_kept_flops_cache_counts_only_the_edited_block_again():
    graph = _chain([784], ("Dense", {"units": 256}), ("Dense", {"units": 10}))
    cache: dict = {}
    first = estimate(graph, flops_cache=cache)
    assert len(cache) == 2
    graph.set_param("l1", "units", 20)
    second = estimate(graph, flops_cache=cache)
    assert len(cache) == 3  # one new entry: the edited block with its new settings
    assert second.flops_by_node["l0"] == first.flops_by_node["l0"]
    assert second.flops_by_node["l1"] == 2 * 256 * 20 + 20


def test_an_estimator_kept_between_edits_of_a_graph_with_composite_blocks_infers_only_what_changed():
    from builder.model import CostEstimator, estimate

    graph = _chain([8, 8, 32], ("ResidualBlock", {}), ("Flatten", {}), ("Dense", {"units": 3}))  # 32 filters inside
    estimator = CostEstimator()
    first = estimator.estimate(graph)
    assert first.flops_per_sample == estimate(graph).flops_per_sample > 0  # the same numbers as a one-off estimate
    inference = estimator.expanded_inference
    assert inference.computed > 1
    graph.set_param("l2", "units", 5)
    second = estimator.estimate(graph)
    assert inference.computed == 1  # only the edited Dense went to Keras again
    assert second.flops_per_sample == estimate(graph).flops_per_sample
