"""Augmentation from the training config: Keras preprocessing layers mapped over training batches only."""
from __future__ import annotations

import numpy as np
import pytest

tf = pytest.importorskip("tensorflow")

from builder.data import (  # noqa: E402
    Dataset, build_augmenter, categorical_loss_name, known_augmentations, make_pipeline, needs_one_hot,
    train_and_validation,
)
from builder.errors import TrainingError  # noqa: E402

CLASSES = 4


def _images(n=32, size=16, channels=3, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.integers(0, 256, (n, size, size, channels)).astype("uint8")
    y = np.arange(n, dtype="int64") % CLASSES
    return x, y


def _dataset(n=32):
    x, y = _images(n + 16)
    return Dataset("imgs", x[:n], y[:n], x[n:], y[n:], class_names=[f"c{i}" for i in range(CLASSES)])


def _batches(ds):
    xs, ys = zip(*[(bx.numpy(), by.numpy()) for bx, by in ds])
    return np.concatenate(xs), np.concatenate(ys)


def test_empty_setting_builds_nothing():
    assert build_augmenter({}, 0) is None and build_augmenter(None, 0) is None
    assert not needs_one_hot({}) and not needs_one_hot({"RandomErasing": {}})
    assert needs_one_hot({"MixUp": {}}) and needs_one_hot({"CutMix": {}})


def test_the_requested_layers_exist_in_keras():
    known = known_augmentations()
    for name in ("MixUp", "CutMix", "RandomErasing", "RandAugment"):
        assert name in known


def test_unknown_name_lists_known_ones():
    with pytest.raises(TrainingError) as info:
        build_augmenter({"MixUpp": {}}, 0, input_shape=(8, 8, 3), num_classes=2)
    message = str(info.value)
    assert "Unknown augmentation 'MixUpp'" in message and "MixUp" in message and "RandAugment" in message


@pytest.mark.parametrize("config, parameter", [
    ({"MixUp": {"alpha": -1}}, "alpha"),
    ({"MixUp": {"beta": 1}}, "beta"),
    ({"RandAugment": {"value_range": [255, 0]}}, "value_range"),
    ({"RandomErasing": {"factor": 5}}, "factor"),
    ({"CutMix": {"factor": "big"}}, "factor"),
])
def test_bad_parameter_is_named(config, parameter):
    with pytest.raises(TrainingError, match=repr(parameter)):
        build_augmenter(config, 0, input_shape=(8, 8, 3), num_classes=2)


def test_non_image_data_is_refused():
    with pytest.raises(TrainingError, match=r"height, width, channels"):
        build_augmenter({"RandomErasing": {}}, 0, input_shape=(20,), num_classes=2)
    with pytest.raises(TrainingError, match="regression"):
        build_augmenter({"MixUp": {}}, 0, input_shape=(8, 8, 3), num_classes=0)
    x = np.zeros((8, 20), "float32")
    dataset = Dataset("tab", x, np.zeros(8, "int64"), x, np.zeros(8, "int64"), class_names=["a", "b"])
    with pytest.raises(TrainingError, match=r"\(20,\)"):
        train_and_validation(dataset, 4, 0, augmentation={"MixUp": {}})
    assert train_and_validation(dataset, 4, 0, augmentation={}) is not None  # none: tabular data is fine


def test_augmentation_changes_training_batches_but_not_validation():
    dataset = _dataset()
    train, val = train_and_validation(dataset, 8, 0, augmentation={"RandomErasing": {"factor": [1.0, 1.0]}})
    plain_train, plain_val = train_and_validation(dataset, 8, 0)
    aug_x, aug_y = _batches(train)
    ref_x, ref_y = _batches(plain_train)
    np.testing.assert_array_equal(aug_y, ref_y)  # same seed, same order; labels untouched
    assert not np.array_equal(aug_x, ref_x.astype("float32"))
    val_x, val_y = _batches(val)
    np.testing.assert_array_equal(val_x, dataset.x_val)
    np.testing.assert_array_equal(val_y, dataset.y_val)
    np.testing.assert_array_equal(val_x, _batches(plain_val)[0])


def test_mixup_mixes_labels_and_one_hot_encodes_validation():
    dataset = _dataset(64)
    train, val = train_and_validation(dataset, 16, 1, augmentation={"MixUp": {"alpha": 0.8}})
    for _ in range(2):  # a second epoch works too (the layers' seed state advances inside tf.data)
        x, y = _batches(train)
    assert x.shape == (64, 16, 16, 3) and y.shape == (64, CLASSES)
    np.testing.assert_allclose(y.sum(axis=1), 1.0, rtol=1e-5)
    assert (y.max(axis=1) < 0.999).any()  # some rows are blends, not one-hot
    assert (y >= 0).all()
    _, val_y = _batches(val)
    np.testing.assert_array_equal(val_y, np.eye(CLASSES, dtype="float32")[dataset.y_val])


def test_cutmix_mixes_labels_and_keeps_one_hot_labels_as_given():
    x, y = _images(32)
    one_hot = np.eye(CLASSES, dtype="float32")[y]
    augmenter = build_augmenter({"CutMix": {}}, 2, input_shape=x.shape[1:], num_classes=CLASSES)
    assert augmenter.needs_one_hot
    _, got = _batches(make_pipeline(x, one_hot, 16, True, 2, augment=augmenter))
    assert got.shape == (32, CLASSES)
    np.testing.assert_allclose(got.sum(axis=1), 1.0, rtol=1e-5)
    assert (got.max(axis=1) < 0.999).any()


def test_random_erasing_erases_a_patch():
    x = np.full((16, 32, 32, 3), 200, "uint8")
    y = np.zeros(16, "int64")
    augmenter = build_augmenter({"RandomErasing": {"factor": [1.0, 1.0], "fill_value": 0.0}}, 3,
                                input_shape=x.shape[1:], num_classes=1)
    got, _ = _batches(make_pipeline(x, y, 8, False, 3, augment=augmenter))
    erased = (got == 0).all(axis=-1)  # pixels set to the fill value
    assert erased.any(axis=(1, 2)).all()  # every image loses a patch (factor [1, 1]: always)
    assert (got[~erased] == 200).all()  # the rest is untouched
    assert not augmenter.needs_one_hot


def test_randaugment_runs_on_uint8_range_images_and_trains():
    keras = pytest.importorskip("keras")
    dataset = _dataset(32)
    train, val = train_and_validation(dataset, 8, 0, augmentation={"RandAugment": {"value_range": [0, 255]}})
    x, y = _batches(train)
    assert x.shape == (32, 16, 16, 3) and np.isfinite(x).all()
    assert x.min() >= 0 and x.max() <= 255
    assert not np.array_equal(x, _batches(train_and_validation(dataset, 8, 0)[0])[0])
    model = keras.Sequential([keras.Input((16, 16, 3)), keras.layers.Rescaling(1 / 255),
                              keras.layers.Flatten(), keras.layers.Dense(CLASSES, activation="softmax")])
    model.compile("adam", "sparse_categorical_crossentropy")
    model.fit(train, validation_data=val, epochs=1, verbose=0, shuffle=False)


def test_mixup_trains_with_the_categorical_loss():
    keras = pytest.importorskip("keras")
    dataset = _dataset(32)
    config = {"RandomFlip": {"mode": "horizontal"}, "MixUp": {}}
    train, val = train_and_validation(dataset, 8, 0, augmentation=config)
    loss = categorical_loss_name("sparse_categorical_crossentropy") if needs_one_hot(config) else None
    assert loss == "categorical_crossentropy"
    model = keras.Sequential([keras.Input((16, 16, 3)), keras.layers.Rescaling(1 / 255),
                              keras.layers.Flatten(), keras.layers.Dense(CLASSES, activation="softmax")])
    model.compile("adam", loss, metrics=["accuracy"])
    history = model.fit(train, validation_data=val, epochs=1, verbose=0, shuffle=False)
    assert np.isfinite(history.history["val_loss"][0])
