"""tf.data pipelines: every sample once per epoch, seeded shuffling for training only, streaming from HDF5."""
from __future__ import annotations

import numpy as np
import pytest

tf = pytest.importorskip("tensorflow")
h5py = pytest.importorskip("h5py")

from builder.data import (  # noqa: E402
    Dataset, LazyArray, evaluation_pipeline, fits_in_memory, make_pipeline, nbytes, total_memory, train_and_validation,
)


def _data(n=23, features=3):
    x = np.arange(n * features, dtype="float32").reshape(n, features)
    y = np.arange(n, dtype="int64")  # the label is the row number: order is easy to read back
    return x, y


def _epoch(ds):
    xs, ys, sizes = [], [], []
    for bx, by in ds:
        xs.append(bx.numpy()), ys.append(by.numpy()), sizes.append(len(by))
    return np.concatenate(xs), np.concatenate(ys), sizes


def test_training_pipeline_sees_every_sample_once_per_epoch_and_reshuffles():
    x, y = _data()
    ds = make_pipeline(x, y, batch_size=5, shuffle=True, seed=7)
    first_x, first, sizes = _epoch(ds)
    second = _epoch(ds)[1]
    assert sizes == [5, 5, 5, 5, 3]  # the last partial batch is kept
    assert sorted(first) == list(range(23)) and sorted(second) == list(range(23))
    np.testing.assert_array_equal(first_x, x[first])  # inputs stay paired with their targets
    assert list(first) != list(range(23))
    assert list(first) != list(second)  # a new order each epoch
    assert ds.cardinality().numpy() == 5


def test_same_seed_gives_same_order_and_other_seed_another():
    x, y = _data()
    a = [_epoch(make_pipeline(x, y, 4, True, 3))[1] for _ in range(2)]
    np.testing.assert_array_equal(a[0], a[1])
    ds1, ds2 = make_pipeline(x, y, 4, True, 3), make_pipeline(x, y, 4, True, 3)
    np.testing.assert_array_equal(_epoch(ds1)[1], _epoch(ds2)[1])
    np.testing.assert_array_equal(_epoch(ds1)[1], _epoch(ds2)[1])  # the epoch sequence repeats too
    assert list(_epoch(make_pipeline(x, y, 4, True, 4))[1]) != list(a[0])


def test_validation_pipeline_keeps_order():
    x, y = _data()
    ds = make_pipeline(x, y, 4, False, 7)
    for _ in range(2):
        got_x, got_y, sizes = _epoch(ds)
        np.testing.assert_array_equal(got_y, y)
        np.testing.assert_array_equal(got_x, x)
    assert sizes == [4] * 5 + [3]


def test_train_and_validation_and_evaluation_pipeline():
    x, y = _data(30)
    dataset = Dataset("d", x[:20], y[:20], x[20:], y[20:], class_names=[str(i) for i in range(30)])
    train, val = train_and_validation(dataset, 8, 1)
    assert sorted(_epoch(train)[1]) == list(range(20))
    np.testing.assert_array_equal(_epoch(val)[1], y[20:])
    test = evaluation_pipeline(x[20:], y[20:], 4, one_hot=30)
    labels = _epoch(test)[1]
    np.testing.assert_array_equal(labels, np.eye(30, dtype="float32")[y[20:]])


def test_dict_inputs_and_outputs():
    x, y = _data(11)
    xs = {"a": x, "b": x[:, :1] * 10}
    ys = {"out": y}
    seen = []
    for bx, by in make_pipeline(xs, ys, 4, True, 0):
        np.testing.assert_array_equal(bx["a"].numpy(), x[by["out"].numpy()])
        np.testing.assert_array_equal(bx["b"].numpy(), x[by["out"].numpy()][:, :1] * 10)
        seen.extend(by["out"].numpy())
    assert sorted(seen) == list(range(11))


def test_sample_weight_travels_with_its_sample():
    x, y = _data(9)
    w = y.astype("float32") / 10
    seen = 0
    for bx, by, bw in make_pipeline(x, y, 4, True, 0, sample_weight=w):
        np.testing.assert_allclose(bw.numpy(), by.numpy() / 10)
        seen += len(by)
    assert seen == 9


def _hdf5(tmp_path, n=23):
    x, y = _data(n)
    path = tmp_path / "data.h5"
    with h5py.File(path, "w") as f:
        f["x"], f["y"] = x, y
    return path, x, y


@pytest.mark.parametrize("shuffle", [True, False])
def test_lazy_array_is_streamed_once_per_epoch_with_last_partial_batch(tmp_path, shuffle):
    path, x, y = _hdf5(tmp_path)
    lx, ly = LazyArray(path, "x"), LazyArray(path, "y")
    ds = make_pipeline(lx, ly, 5, shuffle, 3, stream=True)
    orders = []
    for _ in range(2):
        got_x, got_y, sizes = _epoch(ds)
        assert sizes == [5, 5, 5, 5, 3]
        assert sorted(got_y) == list(range(23))
        np.testing.assert_array_equal(got_x, x[got_y])
        orders.append(list(got_y))
    if shuffle:
        assert orders[0] != list(range(23)) and orders[0] != orders[1]
        again = make_pipeline(LazyArray(path, "x"), LazyArray(path, "y"), 5, True, 3, stream=True)
        assert list(_epoch(again)[1]) == orders[0]  # reproducible from the seed
    else:
        assert orders == [list(range(23))] * 2


def test_lazy_view_and_dict_streamed_with_numpy_targets(tmp_path):
    path, x, y = _hdf5(tmp_path, 17)
    view = LazyArray(path, "x").take(np.arange(2, 17))  # a split: rows 2..16
    ds = make_pipeline({"inp": view}, y[2:17], 4, True, 0, stream=True)
    got_x, got_y = [], []
    for bx, by in ds:
        got_x.append(bx["inp"].numpy()), got_y.append(by.numpy())
    got_x, got_y = np.concatenate(got_x), np.concatenate(got_y)
    assert sorted(got_y) == list(range(2, 17))
    np.testing.assert_array_equal(got_x, x[got_y])


def test_small_lazy_data_is_read_into_memory_by_default(tmp_path):
    path, x, y = _hdf5(tmp_path)
    lx = LazyArray(path, "x")
    assert nbytes(lx) == x.nbytes and fits_in_memory(nbytes(lx))
    got_x, got_y, _ = _epoch(make_pipeline(lx, LazyArray(path, "y"), 6, False, 0))
    np.testing.assert_array_equal(got_x, x)


def test_memory_rule():
    total = total_memory()
    assert total is None or total > 0
    assert fits_in_memory(1)
    if total:
        assert fits_in_memory(total // 4) and not fits_in_memory(total // 2)


def test_pipeline_trains_a_keras_model():
    keras = pytest.importorskip("keras")
    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 4)).astype("float32")
    y = (x[:, 0] > 0).astype("int64")
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2, activation="softmax")])
    model.compile("adam", "sparse_categorical_crossentropy")
    history = model.fit(make_pipeline(x, y, 16, True, 0), validation_data=make_pipeline(x, y, 16, False, 0),
                        epochs=2, verbose=0, shuffle=False)
    assert len(history.history["loss"]) == 2
