"""The generated sets shapes_masks and token_order, and the binary_iou metric that scores masks."""
from __future__ import annotations

import hashlib

import numpy as np
import pytest

from builder.data import SOURCES, check_against_dataset, describe, load_dataset
from builder.graph import Graph
from builder.project import DatasetRef, Project, TrainingConfig

# sha256 of make_shapes()'s images and labels before shapes and shapes_masks shared one drawing
SHAPES_IMAGES_SHA256 = "949f56f91c573ff68a1195784cf2dc39717d6b8c824c9ee71a59ebfaf6811b72"
SHAPES_LABELS_SHA256 = "11ec5260888d514bd470f0a4b9523b73a365d9870cf6b3d65358d9399b2abd00"


def sha256(array: np.ndarray) -> str:
    return hashlib.sha256(np.ascontiguousarray(array).tobytes()).hexdigest()


# ---- shapes_masks --------------------------------------------------------------------------------------------

def test_shapes_set_is_unchanged_by_the_shared_drawing():
    x, y, names = SOURCES["shapes"]()
    assert (sha256(x), sha256(y)) == (SHAPES_IMAGES_SHA256, SHAPES_LABELS_SHA256)
    assert names == ["circle", "ring", "square", "triangle", "plus"]


def test_shape_masks_are_the_shapes_images_with_their_pixel_masks():
    x, masks, names = SOURCES["shapes_masks"]()
    images, _, _ = SOURCES["shapes"]()
    assert np.array_equal(x, images) and names == []
    assert masks.shape == (5000, 32, 32, 1) and masks.dtype == np.float32
    assert set(np.unique(masks)) == {0.0, 1.0}
    covered = masks.reshape(len(masks), -1).mean(axis=1)
    assert covered.min() > 0.01 and covered.max() < 0.5  # every image has a shape, none fills it
    # The mask marks this image's shape: its pixels are nearer the shape's mean colour than the background's.
    for image, mask in zip(x[:50].astype("float64"), masks[:50, ..., 0].astype(bool)):
        inside, outside = image[mask].mean(axis=0), image[~mask].mean(axis=0)
        nearer = np.linalg.norm(image - inside, axis=-1) < np.linalg.norm(image - outside, axis=-1)
        assert np.mean(nearer == mask) > 0.97


def test_shape_masks_are_a_per_pixel_regression_set():
    data = load_dataset(DatasetRef(name="shapes_masks", validation_split=0.2, seed=0))
    info = data.describe()
    assert (info.output, info.input_shape, info.dtype, info.target_shape) == \
        ("regression", (32, 32, 3), "uint8", (32, 32, 1))
    assert info.train_size == 4000 and info.validation_size == 1000 and info.description
    preview = data.preview(3)
    assert preview.y.shape == (3, 32, 32, 1)
    assert preview.labels == [f"mean {m.mean():.3g}" for m in preview.y]


def unet_like(head: list, loss: str) -> Project:
    """Input (32, 32, 3) -> Conv2D -> head layers; the smallest model with a per-pixel output."""
    graph = Graph()
    previous = graph.add_node("Input", {"shape": [32, 32, 3]}, node_id="image").id
    for block, params in [("Conv2D", {"filters": 4, "kernel_size": 3, "padding": "same"}), *head]:
        node = graph.add_node(block, params)
        graph.connect(previous, node.id)
        previous = node.id
    return Project(graph=graph, training=TrainingConfig(loss=loss))


def test_a_per_pixel_sigmoid_output_with_binary_crossentropy_fits_shapes_masks():
    info = describe("shapes_masks")
    per_pixel = [("Conv2D", {"filters": 1, "kernel_size": 1, "activation": "sigmoid"})]
    assert check_against_dataset(unet_like(per_pixel, "binary_crossentropy"), info) == []
    pooled = [("GlobalAveragePooling2D", {}), ("Dense", {"units": 1, "activation": "sigmoid"})]
    assert check_against_dataset(unet_like(pooled, "binary_crossentropy"), info)  # one value, not a mask
    assert check_against_dataset(unet_like(per_pixel, "sparse_categorical_crossentropy"), info)


# ---- token_order -----------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def token_order():
    return SOURCES["token_order"]()


def test_token_order_is_balanced_deterministic_and_padding_free(token_order):
    x, y, names = token_order
    assert x.shape == (4000, 24) and x.dtype == np.int32 and y.dtype == np.int64
    assert x.min() >= 1 and x.max() <= 49  # 0 stays free for padding
    assert np.bincount(y).tolist() == [2000, 2000] and names == ["3 first", "7 first"]
    again = SOURCES["token_order"]()
    assert np.array_equal(again[0], x) and np.array_equal(again[1], y)


def test_token_order_labels_say_which_token_comes_first(token_order):
    x, y, _ = token_order
    sevens, threes = (x == 7).sum(axis=1), (x == 3).sum(axis=1)
    assert sevens.min() >= 1 and threes.min() >= 1 and max(sevens.max(), threes.max()) <= 3
    assert np.array_equal(((x == 7).argmax(axis=1) < (x == 3).argmax(axis=1)).astype("int64"), y)


def test_counting_tokens_cannot_tell_token_order_classes_apart(token_order):
    from sklearn.linear_model import LogisticRegression

    x, y, _ = token_order
    counts = np.stack([np.bincount(row, minlength=50) for row in x])  # a bag of words
    model = LogisticRegression(max_iter=1000).fit(counts[:3000], y[:3000])
    assert model.score(counts[3000:], y[3000:]) < 0.56
    first = np.stack([(x == 7).argmax(axis=1), (x == 3).argmax(axis=1)], axis=1)  # where the tokens are
    assert LogisticRegression().fit(first[:3000], y[:3000]).score(first[3000:], y[3000:]) > 0.95


# ---- binary_iou --------------------------------------------------------------------------------------------------

def test_binary_iou_is_a_named_metric_offered_in_the_settings():
    from builder.training import setting, setting_problems
    from builder.training.checkpoints import maximised

    config = TrainingConfig(loss="binary_crossentropy")
    assert setting_problems(config, "metrics", ["binary_iou"], names=True) == []
    assert "binary_iou" in " ".join(setting_problems(config, "metrics", ["binary_iou_"], names=True))
    assert "binary_iou" in setting("metrics").choices
    assert maximised("val_binary_iou")


def test_binary_iou_scores_the_overlap_of_the_masks_ones():
    from builder.training.losses import make_metric

    metric = make_metric("binary_iou", "binary_crossentropy")
    assert metric.name == "binary_iou"
    true = np.array([[[[1], [1]], [[0], [0]]]], "float32")  # one 2x2 mask, shape (1, 2, 2, 1)
    predicted = np.array([[[[0.9], [0.2]], [[0.3], [0.1]]]], "float32")  # thresholded: 1 0 / 0 0
    metric.update_state(true, predicted)
    # 1 pixel in both masks, 2 in either; Keras's default would average in the background's 2/3 (7/12)
    assert float(metric.result()) == pytest.approx(1 / 2)
