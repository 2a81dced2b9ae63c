"""Built-in offline datasets: shapes, kinds, deterministic and stratified splits, and a tiny fit."""
from __future__ import annotations


import numpy as np
import pytest

from builder.data import SOURCES, Dataset, DatasetInfo, describe, load_dataset, split
from builder.errors import DatasetError
from builder.project import DatasetRef

# name: (input shape, dtype, output kind, number of classes)
EXPECTED = {
    "digits": ((8, 8, 1), "float32", "classes", 10),
    "iris": ((4,), "float32", "classes", 3),
    "wine": ((13,), "float32", "classes", 3),
    "breast_cancer": ((30,), "float32", "classes", 2),
    "spirals": ((2,), "float32", "classes", 2),
    "sine": ((32, 1), "float32", "regression", 0),
    "sequences": ((20,), "int32", "classes", 2),
    "mnist1d": ((40, 1), "float32", "classes", 10),
    "shapes": ((32, 32, 3), "uint8", "classes", 5),
    "shapes_masks": ((32, 32, 3), "uint8", "regression", 0),  # a (32, 32, 1) mask per image
    "token_order": ((24,), "int32", "classes", 2),
}
NAMED_ARRAYS = {"digits_halves"}  # inputs and targets by name: tests/engine/test_multi_io.py


def test_every_source_is_listed():
    assert set(EXPECTED) | NAMED_ARRAYS == set(SOURCES)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_source_loads_as_described(name):
    shape, dtype, output, classes = EXPECTED[name]
    data = load_dataset(DatasetRef(name=name, validation_split=0.2, seed=0))
    info = data.describe()
    assert isinstance(info, DatasetInfo)
    assert info.name == name and info.description
    assert info.input_shape == shape == data.input_shape
    assert info.dtype == dtype
    assert data.x_train.dtype == data.x_val.dtype == np.dtype(dtype)
    assert info.output == output
    assert info.num_classes == classes == data.num_classes
    assert len(info.class_names) == classes
    assert info.train_size == len(data.x_train) == len(data.y_train)
    assert info.validation_size == len(data.x_val) == len(data.y_val)
    total = info.train_size + info.validation_size
    assert abs(info.validation_size - 0.2 * total) <= 1
    assert np.isfinite(data.x_train.astype("float64")).all()
    if output == "classes":
        assert data.y_train.dtype == np.int64
        assert set(np.unique(np.concatenate([data.y_train, data.y_val]))) == set(range(classes))
        assert info.suggested_loss == "sparse_categorical_crossentropy"
    else:
        assert data.y_train.dtype == np.float32 and data.y_train.shape == (info.train_size, *info.target_shape)
        assert info.suggested_loss == "mean_squared_error"
    assert info.to_dict()["input_shape"] == list(shape)


@pytest.mark.parametrize("name", ["iris", "sine", "sequences"])
def test_preview_returns_first_samples_with_labels(name):
    data = load_dataset(DatasetRef(name=name))
    x, y, labels = data.preview(4)
    assert x.shape == (4,) + data.input_shape and len(y) == 4 and len(labels) == 4
    np.testing.assert_array_equal(x, data.x_train[:4])
    np.testing.assert_array_equal(y, data.y_train[:4])
    if data.class_names:
        assert labels == [data.class_names[int(t)] for t in y]
    else:
        assert [float(s) for s in labels] == pytest.approx([float(t) for t in y], rel=1e-3, abs=1e-3)
    assert data.preview(3, subset="validation").x.shape[0] == 3
    assert data.preview(0).x.shape[0] == 0
    assert data.preview(2, subset="test").x.shape[0] == 0  # no test split held out by default
    with pytest.raises(DatasetError):
        data.preview(2, subset="holdout")


@pytest.mark.parametrize("name", ["spirals", "sine", "sequences", "shapes"])
def test_generated_data_and_split_are_deterministic(name):
    a = load_dataset(DatasetRef(name=name, seed=7))
    b = load_dataset(DatasetRef(name=name, seed=7))
    c = load_dataset(DatasetRef(name=name, seed=8))
    np.testing.assert_array_equal(a.x_train, b.x_train)
    np.testing.assert_array_equal(a.y_val, b.y_val)
    assert not np.array_equal(a.x_train, c.x_train)
    # a different split seed reshuffles the same underlying data
    together = lambda d: np.sort(np.concatenate([d.x_train, d.x_val]).reshape(len(d.x_train) + len(d.x_val), -1),
                                 axis=0)
    np.testing.assert_array_equal(together(a), together(c))


@pytest.mark.parametrize("name", ["iris", "wine", "breast_cancer", "spirals", "sequences"])
def test_stratified_split_keeps_class_proportions(name):
    data = load_dataset(DatasetRef(name=name, validation_split=0.25, seed=3))
    k = data.num_classes
    train = np.bincount(data.y_train, minlength=k) / len(data.y_train)
    val = np.bincount(data.y_val, minlength=k) / len(data.y_val)
    assert np.abs(train - val).max() < 0.05


def test_regression_split_is_plain_and_seeded():
    x, y, _ = SOURCES["sine"]()
    x_train, x_val, y_train, y_val = split(x, y, 0.2, 5, stratify=False)
    assert len(x_val) == 320 and y_val.dtype == np.float32


def test_sine_target_is_the_next_value_of_the_window():
    x, y, names = SOURCES["sine"]()
    assert names == []
    # window i+1 is window i shifted by one step, whose last value is window i's target
    np.testing.assert_array_equal(x[1:, -1, 0], y[:-1])
    np.testing.assert_array_equal(x[1:, :-1, 0], x[:-1, 1:, 0])


def test_sequence_labels_follow_the_rule():
    x, y, names = SOURCES["sequences"]()
    assert x.min() >= 1 and x.max() < 50
    np.testing.assert_array_equal(y, ((x == 7).sum(axis=1) > (x == 3).sum(axis=1)).astype("int64"))
    assert names[int(y[0])] in ("more 3s", "more 7s")


def test_shapes_are_balanced_visible_and_drawn_as_named():
    from builder.data.generated import shape_mask

    x, y, names = SOURCES["shapes"]()
    assert names == ["circle", "ring", "square", "triangle", "plus"]
    again = SOURCES["shapes"]()  # drawn once per process: the same images, but a copy the caller may change
    np.testing.assert_array_equal(again[0], x)
    again[0][...] = 0
    assert x.max() > 0 and SOURCES["shapes"]()[0].max() > 0
    assert np.bincount(y).tolist() == [1000] * 5
    # every image holds a shape: a good share of its pixels is far from the image's most common colour
    flat = x.reshape(len(x), -1, 3).astype("int16")
    background = np.median(flat, axis=1)[:, None, :]
    far = (np.abs(flat - background).max(axis=2) > 60).mean(axis=1)
    assert far.min() > 0.03 and far.max() < 0.6
    # the masks: a ring is a circle without its middle, a plus crosses the centre, a triangle is smallest
    grid = np.linspace(-16, 16, 65)
    u, v = np.meshgrid(grid, grid)
    r = np.full_like(u, 8.0)
    area = {kind: shape_mask(kind, u, v, r).mean() for kind in names}
    centre = (32, 32)
    assert shape_mask("circle", u, v, r)[centre] and not shape_mask("ring", u, v, r)[centre]
    assert shape_mask("plus", u, v, r)[centre] and shape_mask("square", u, v, r)[centre]
    assert area["ring"] < area["circle"] and min(area, key=area.get) == "triangle"
    assert np.all(shape_mask("ring", u, v, r) <= shape_mask("circle", u, v, r))


def test_tabular_features_are_not_standardised():
    x, _, _ = SOURCES["wine"]()
    assert x.max() > 100  # proline values are in the hundreds to thousands


def test_unknown_dataset_lists_known_ones():
    with pytest.raises(DatasetError) as info:
        load_dataset(DatasetRef(name="cifar1000"))
    message = str(info.value)
    for name in ("digits", "iris", "spirals", "sine", "sequences", "mnist1d"):
        assert name in message


def test_bad_validation_split_is_a_dataset_error():
    with pytest.raises(DatasetError):
        load_dataset(DatasetRef(name="iris", validation_split=1.5))
    with pytest.raises(DatasetError):  # too small to hold one sample of each of the 3 classes
        load_dataset(DatasetRef(name="iris", validation_split=0.01))


def test_describe_by_name_and_old_constructor_still_work():
    assert describe("iris").train_size == 120
    old = Dataset("custom", np.zeros((4, 3), "float32"), np.zeros(4, "int64"),
                  np.zeros((2, 3), "float32"), np.zeros(2, "int64"), ["a", "b"])
    assert old.input_shape == (3,) and old.num_classes == 2 and old.describe().output == "classes"


@pytest.mark.parametrize("name", ["spirals", "iris"])
def test_tiny_dense_model_fits(name):
    keras = pytest.importorskip("keras")
    keras.utils.set_random_seed(0)
    data = load_dataset(DatasetRef(name=name))
    model = keras.Sequential([
        keras.Input(data.input_shape),
        keras.layers.Dense(16, activation="relu"),
        keras.layers.Dense(data.num_classes, activation="softmax"),
    ])
    model.compile(optimizer="adam", loss=data.describe().suggested_loss, metrics=["accuracy"])
    history = model.fit(data.x_train, data.y_train, validation_data=(data.x_val, data.y_val),
                        epochs=2, batch_size=32, verbose=0)
    assert len(history.history["loss"]) == 2
    assert np.isfinite(history.history["val_loss"]).all()


def test_named_test_split_and_test_fractions():
    mnist1d = load_dataset(DatasetRef(name="mnist1d", validation_split=0.2))
    assert (len(mnist1d.x_train), len(mnist1d.x_val), len(mnist1d.x_test)) == (3200, 800, 1000)
    folded = load_dataset(DatasetRef(name="mnist1d", validation_split=0.2, test_split=0.1, use_named_split=False))
    assert (len(folded.x_train), len(folded.x_val), len(folded.x_test)) == (3500, 1000, 500)
    iris = load_dataset(DatasetRef(name="iris", validation_split=0.2, test_split=0.2))
    assert (len(iris.x_train), len(iris.x_val), len(iris.x_test)) == (90, 30, 30)
    assert sorted(np.bincount(iris.y_test)) == [10, 10, 10]  # stratified
    seen = np.concatenate([iris.x_train, iris.x_val, iris.x_test])
    assert len(np.unique(seen, axis=0)) == len(np.unique(SOURCES["iris"]()[0], axis=0))  # disjoint, complete
    with pytest.raises(DatasetError, match="test_split"):
        load_dataset(DatasetRef(name="iris", validation_split=0.5, test_split=0.5))
