"""A keras.applications backbone (MobileNetV2) as a block: ImageNet weights from Keras's own cache folder, never
downloaded; a notice that names the missing file; shape inference that reads no weights file; a frozen backbone."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest

from builder.errors import GraphError, LayerboardError
from builder.graph import Graph
from builder.model import build_model, infer_shapes, keras_models_folder, weights_files, weights_notices
from builder.project import load_project
from builder.shipped import TEMPLATES_DIR

TEMPLATE = TEMPLATES_DIR / "shapes_transfer_mobilenetv2.json"
FILE_NAME = "mobilenet_v2_weights_tf_dim_ordering_tf_kernels_0.35_96_no_top.h5"
BACKBONE = {"input_shape": [96, 96, 3], "alpha": 0.35, "include_top": False, "weights": "imagenet",
            "pooling": "avg"}


def backbone_graph(**params) -> Graph:
    """image (96, 96, 3) -> MobileNetV2 'backbone' -> Dense 'head'."""
    g = Graph()
    shape = list(params.get("input_shape", BACKBONE["input_shape"]))
    g.add_node("Input", {"shape": shape}, node_id="image")
    g.add_node("MobileNetV2", {**BACKBONE, **params}, node_id="backbone")
    g.add_node("Dense", {"units": 5, "activation": "softmax"}, node_id="head")
    g.connect("image", "backbone")
    g.connect("backbone", "head")
    return g


@pytest.fixture
def keras_home(tmp_path, monkeypatch):
    """An empty Keras folder (KERAS_HOME): Keras's cache of downloads is its models/ subfolder."""
    home = tmp_path / "keras_home"
    (home / "models").mkdir(parents=True)
    monkeypatch.setenv("KERAS_HOME", str(home))
    return home


def write_keras_weights_file(path, seed: int) -> list[np.ndarray]:
    """A MobileNetV2 0.35/96 without top, seeded, saved in the legacy HDF5 layout of Keras's published files
    (model.save_weights only writes `.weights.h5`); returns its arrays."""
    import h5py
    import keras
    from keras.src.legacy.saving import legacy_h5_format

    keras.utils.set_random_seed(seed)
    source = keras.applications.MobileNetV2(input_shape=(96, 96, 3), alpha=0.35, include_top=False, weights=None,
                                            pooling="avg")
    with h5py.File(path, "w") as f:
        legacy_h5_format.save_weights_to_hdf5_group(f, source)
    return source.get_weights()


def test_the_file_name_and_url_are_the_ones_keras_downloads(keras_home):
    from keras.src.applications import mobilenet_v2

    (wanted,) = weights_files(backbone_graph())
    assert wanted.file_name == FILE_NAME
    assert wanted.url == mobilenet_v2.BASE_WEIGHT_PATH + FILE_NAME
    assert wanted.folder == keras_models_folder() == keras_home / "models"
    (with_top,) = weights_files(backbone_graph(alpha=1, include_top=True, input_shape=[224, 224, 3]))
    assert with_top.file_name == "mobilenet_v2_weights_tf_dim_ordering_tf_kernels_1.0_224.h5"
    assert weights_files(backbone_graph(weights=None)) == []


def test_keras_itself_finds_the_file_by_that_name_and_the_block_loads_the_same_weights(keras_home):
    """Keras's own MobileNetV2(weights="imagenet"), in a process whose KERAS_HOME is this folder, reads the file
    without downloading (any download is refused), and gets exactly the arrays the block was given."""
    arrays = write_keras_weights_file(keras_home / "models" / FILE_NAME, seed=7)
    model = build_model(backbone_graph())
    loaded = model.get_layer("backbone").get_weights()
    assert len(loaded) == len(arrays) > 100
    assert all(np.array_equal(a, b) for a, b in zip(loaded, arrays))
    script = ("import keras, numpy as np, sys; m = keras.applications.MobileNetV2(input_shape=(96, 96, 3), "
              "alpha=0.35, include_top=False); np.savez(sys.argv[1], *m.get_weights())")
    out = keras_home / "keras_loaded.npz"
    refuse_network = {"https_proxy": "http://127.0.0.1:9", "HTTPS_PROXY": "http://127.0.0.1:9"}
    subprocess.run([sys.executable, "-c", script, str(out)], check=True, capture_output=True, timeout=120,
                   env={**os.environ, **refuse_network, "KERAS_HOME": str(keras_home)})
    with np.load(out) as by_keras:
        assert all(np.array_equal(by_keras[f"arr_{i}"], a) for i, a in enumerate(arrays))


def test_without_the_file_the_model_builds_and_the_notice_says_how_to_get_it(keras_home, caplog):
    with caplog.at_level("WARNING", logger="builder.model.pretrained"):
        model = build_model(backbone_graph())
    assert model.output.shape == (None, 5)
    (notice,) = weights_notices(backbone_graph())
    folder = str(keras_home / "models")
    for part in (FILE_NAME, folder, "https://storage.googleapis.com/tensorflow/keras-applications/mobilenet_v2/",
                 'python -c "import keras; keras.applications.MobileNetV2(input_shape=(96, 96, 3), alpha=0.35, '
                 'include_top=False)"', "random weights", "trains from scratch"):
        assert part in notice, part
    assert FILE_NAME in caplog.text  # a build says it too (train's output)


def test_shape_inference_reads_no_weights_file_but_a_build_does(keras_home):
    (keras_home / "models" / FILE_NAME).write_bytes(b"not an HDF5 file")  # read, it would fail
    project = load_project(TEMPLATE)
    report = infer_shapes(project.graph)
    assert report.valid, report.summary()
    assert report.nodes["mobilenet_v2"].output_shapes == [(None, 1280)]
    with pytest.raises(LayerboardError, match=f"{FILE_NAME}.*fetch it again"):
        build_model(project.graph)


@pytest.mark.parametrize("params, words", [
    ({"alpha": 0.4}, "alpha 0.35, 0.5, 0.75, 1.0, 1.3, 1.4; it has alpha 0.4"),
    ({"input_shape": [64, 64, 3]}, "square images of 96, 128, 160, 192, 224 pixels; its input_shape is (64, 64, 3)"),
    ({"input_shape": [96, 128, 3]}, "its input_shape is (96, 128, 3)"),
    ({"input_shape": [96, 96, 1]}, "3-channel (RGB) images"),
])
def test_imagenet_weights_need_a_published_alpha_and_size(params, words):
    report = infer_shapes(backbone_graph(**params))
    error = report.node_errors()["backbone"]
    assert error.startswith("MobileNetV2 'backbone': ImageNet weights") and words in error, error
    assert report.nodes["image"].ok
    assert infer_shapes(backbone_graph(**params, weights=None)).nodes["backbone"].ok  # random weights: any


def test_an_input_that_does_not_match_input_shape_says_so():
    g = backbone_graph()
    g.set_param("image", "shape", [128, 128, 3])
    error = infer_shapes(g).node_errors()["backbone"]
    assert "is built for input (None, 96, 96, 3); it received (None, 128, 128, 3). Set input_shape" in error


def test_the_template_builds_frozen_with_its_preprocessing_and_head(keras_home):
    project = load_project(TEMPLATE)
    nodes = project.graph.nodes
    assert [n.type for n in nodes.values()] == ["Input", "Resizing", "Rescaling", "MobileNetV2", "Dropout", "Dense"]
    assert nodes["resizing"].params == {"height": 96, "width": 96}
    assert nodes["rescaling"].params == {"scale": pytest.approx(1 / 127.5), "offset": -1.0}  # [0, 255] -> [-1, 1]
    assert nodes["mobilenet_v2"].params == BACKBONE and not nodes["mobilenet_v2"].trainable
    assert nodes["shape"].params == {"units": 5, "activation": "softmax"}
    assert project.dataset.name == "shapes"
    report = infer_shapes(project.graph)
    assert report.trainable_params(project.graph) == 1280 * 5 + 5
    model = build_model(project.graph)
    backbone = model.get_layer("mobilenet_v2")
    assert backbone.trainable_weights == [] and backbone.count_params() == report.nodes["mobilenet_v2"].params
    assert sum(int(np.prod(w.shape)) for w in model.trainable_weights) == 1280 * 5 + 5
    assert model.output.shape == (None, 5)
    notes = json.loads(json.dumps(weights_notices(project.graph)))
    assert len(notes) == 1 and "it is frozen, so it stays random" in notes[0]


def test_an_invalid_imagenet_backbone_is_not_built(keras_home):
    with pytest.raises(GraphError, match="ImageNet weights exist only"):
        build_model(backbone_graph(alpha=0.4))


def test_an_unwired_composite_block_does_not_stop_the_search_for_backbones():
    """The window asks after every edit; a composite block dropped but not wired yet cannot be expanded."""
    from builder.graph import Graph
    from builder.model import weights_files

    graph = Graph()
    graph.add_node("Input", {"shape": [96, 96, 3]}, node_id="image")
    graph.add_node("MobileNetV2", {"input_shape": [96, 96, 3], "alpha": 0.35, "include_top": False,
                                   "weights": "imagenet", "pooling": "avg"}, node_id="backbone")
    graph.add_node("ResidualBlock", {}, node_id="residual_block_1")  # not wired
    graph.connect("image", "backbone")
    assert [w.node_id for w in weights_files(graph)] == ["backbone"]


def test_a_backbone_inside_a_composite_block_is_found_and_a_graph_without_one_costs_nothing(user_blocks):
    from builder.blocks import composites
    from builder.model import save_selection
    from builder.project import load_template

    template = load_template("shapes_transfer_mobilenetv2").graph
    backbone = next(n.id for n in template.nodes.values() if n.type == "MobileNetV2")
    composites.save_block(save_selection(template, [backbone, "dropout"], "FrozenBackbone"))
    graph = load_template("shapes_transfer_mobilenetv2").graph
    graph.add_node("FrozenBackbone", {}, node_id="wrapped")  # unwired: the search still finds the outer one
    assert [w.node_id for w in weights_files(graph)] == [backbone]
    wired = Graph()
    wired.add_node("Input", {"shape": [96, 96, 3]}, node_id="image")
    wired.add_node("FrozenBackbone", {}, node_id="wrapped")
    wired.connect("image", "wrapped")
    assert [w.file_name for w in weights_files(wired)] == [w.file_name for w in weights_files(template)]
    assert weights_files(load_template("shapes_resnet").graph) == []
