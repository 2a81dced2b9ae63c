"""The image and autoencoder templates draw the architecture they teach: augmentation that acts only in training,
residual Add skips with projections, inverted residual blocks, a ViT's patches and attention, autoencoder outputs."""
from __future__ import annotations

import math

import numpy as np
import pytest

from builder.model import build_model, infer_shapes
from builder.project import load_template


def _types(graph) -> list[str]:
    return [node.type for node in graph.nodes.values()]


def _sources(graph, node_id: str) -> list[str]:
    """The nodes feeding `node_id`, in port order."""
    return [e.source for e in sorted(graph.incoming(node_id), key=lambda e: e.target_port)]


def _shape(report, node_id: str) -> tuple:
    return tuple(report.nodes[node_id].shape[1:])


def test_augmentation_blocks_change_images_in_training_and_pass_them_through_at_inference():
    project = load_template("digits_cnn_augmented")
    graph = project.graph
    augmentations = ["random_rotation", "random_translation", "random_zoom"]
    assert [graph.nodes[n].type for n in augmentations] == ["RandomRotation", "RandomTranslation", "RandomZoom"]
    assert _sources(graph, "random_rotation") == ["image"]  # right after the Input, before any learned layer
    import keras

    model = build_model(graph, name=project.name)
    augment = keras.Model(model.inputs, model.get_layer("random_zoom").output)
    images = np.random.default_rng(0).uniform(0, 16, (16, 8, 8, 1)).astype("float32")
    np.testing.assert_allclose(np.asarray(augment([images], training=False)), images, atol=1e-5)
    assert not np.allclose(np.asarray(augment([images], training=True)), images, atol=1e-3)


def test_resnet_blocks_add_a_skip_projected_where_the_shape_changes():
    graph = load_template("shapes_resnet").graph
    report = infer_shapes(graph)
    adds = [n for n, node in graph.nodes.items() if node.type == "Add"]
    assert len(adds) == 3
    projected = 0
    for add in adds:
        main, skip = _sources(graph, add)
        assert graph.nodes[main].type == "BatchNormalization"  # Conv2D-BN-ReLU-Conv2D-BN on the main path
        assert _shape(report, main) == _shape(report, skip)
        assert [e.target for e in graph.outgoing(add)] and graph.nodes[graph.outgoing(add)[0].target].type == "ReLU"
        if graph.nodes[skip].type == "BatchNormalization":  # a projection skip: strided 1x1 Conv2D, then BN
            conv = graph.nodes[_sources(graph, skip)[0]]
            assert conv.type == "Conv2D" and conv.params["kernel_size"] == [1, 1] and conv.params["strides"] == 2
            projected += 1
    assert projected == 2  # blocks 2 and 3 halve the image and double the channels


def test_mobilenetv2_blocks_expand_filter_depthwise_and_project_linearly():
    graph = load_template("shapes_mobilenetv2").graph
    report = infer_shapes(graph)
    depthwise = [n for n, node in graph.nodes.items() if node.type == "DepthwiseConv2D"]
    assert len(depthwise) == 4
    for n in depthwise:
        block = n.removesuffix("_depthwise")
        expand, project = graph.nodes[f"{block}_expand"], graph.nodes[f"{block}_project"]
        assert expand.params["kernel_size"] == [1, 1] and project.params["kernel_size"] == [1, 1]
        assert "activation" not in project.params  # the projection is linear
        assert _shape(report, f"{block}_expand")[-1] > _shape(report, f"{block}_project")[-1]  # inverted: wide inside
    assert all(node.params.get("max_value") == 6.0 for node in graph.nodes.values() if node.type == "ReLU")
    adds = [n for n, node in graph.nodes.items() if node.type == "Add"]
    assert len(adds) == 2
    for add in adds:
        a, b = _sources(graph, add)
        assert _shape(report, a) == _shape(report, b)


def test_vit_embeds_patches_with_positions_and_attends_to_itself():
    graph = load_template("digits_vit").graph
    report = infer_shapes(graph)
    patches = graph.nodes["patches"].params
    assert graph.nodes["patches"].type == "Conv2D" and patches["kernel_size"] == patches["strides"] == 2
    assert _shape(report, "to_sequence") == (16, 32)  # (8 / 2) x (8 / 2) patches
    position = graph.nodes["position_embedding"]
    assert position.type == "EinsumDense" and position.params["bias_axes"] == "bc"
    assert report.nodes["position_embedding"].params == 2 * 16 * 32  # one bias vector (and scale) per patch
    attention = [n for n, node in graph.nodes.items() if node.type == "MultiHeadAttention"]
    assert len(attention) == 2
    for n in attention:
        query, value = _sources(graph, n)
        assert query == value and graph.nodes[query].type == "LayerNormalization"  # pre-norm self-attention
    assert _types(graph).count("Add") == 4 and "GlobalAveragePooling1D" in _types(graph)


@pytest.mark.parametrize("name", ["digits_dense_autoencoder", "digits_conv_autoencoder"])
def test_autoencoder_rebuilds_its_input_and_exposes_the_bottleneck_without_a_loss(name):
    project = load_template(name)
    graph = project.graph
    report = infer_shapes(graph)
    assert graph.output_nodes() == ["reconstruction", "bottleneck"]  # the reconstruction is the main output
    assert _shape(report, "reconstruction") == _shape(report, "image")
    assert math.prod(_shape(report, "bottleneck")) < math.prod(_shape(report, "image")) / 3
    assert project.training.loss == {"reconstruction": "reconstruction"}  # the bottleneck has no loss
    assert graph.nodes["reconstruction"].params["scale"] == 16.0  # back to the raw 0..16 pixels it is compared with
