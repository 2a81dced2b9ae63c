"""Online keras.datasets sets: loaded from Keras's cache (tiny real-format files written here), offline errors."""
from __future__ import annotations

import gzip
import socket

import numpy as np
import pytest

from builder.data import online_sources
from builder.data import load_dataset
from builder.errors import DatasetError
from builder.project import DatasetRef


@pytest.fixture
def keras_home(tmp_path, monkeypatch):
    """Keras's cache folder moved to tmp_path. Keras reads KERAS_HOME once, when it is imported, so the value it
    read is replaced too (the same thing as starting Python with KERAS_HOME set)."""
    from keras.src.backend import config

    home = tmp_path / "keras_home"
    home.mkdir()
    monkeypatch.setenv("KERAS_HOME", str(home))
    monkeypatch.setattr(config, "_KERAS_DIR", str(home))
    assert online_sources.keras_cache_dir() == home / "datasets"
    return home


def online() -> bool:
    try:
        socket.create_connection(("storage.googleapis.com", 443), timeout=2).close()
        return True
    except OSError:
        return False


def write_idx(path, array: np.ndarray) -> None:
    """An MNIST-style idx file, gzipped: a header (8 bytes for labels, 16 for images), then the uint8 values."""
    header = b"\0" * (8 if array.ndim == 1 else 16)
    path.parent.mkdir(parents=True, exist_ok=True)
    with gzip.open(path, "wb") as f:
        f.write(header + array.astype("uint8").tobytes())


def test_fashion_mnist_from_the_keras_cache(keras_home):
    rng = np.random.default_rng(0)
    train_y, test_y = np.arange(40) % 10, np.arange(20) % 10
    files = dict(zip([p.name for p in online_sources.cache_paths("fashion_mnist")], [
        train_y, rng.integers(0, 256, (40, 28, 28)), test_y, rng.integers(0, 256, (20, 28, 28))]))
    for path in online_sources.cache_paths("fashion_mnist"):
        write_idx(path, files[path.name])
    data = load_dataset(DatasetRef(name="fashion_mnist", validation_split=0.25, seed=0))
    assert data.input_shape == (28, 28, 1) and data.x_train.dtype == np.uint8
    assert (len(data.x_train), len(data.x_val), len(data.x_test)) == (30, 10, 20)
    assert data.y_train.dtype == np.int64 and data.y_train.ndim == 1
    assert data.class_names[0] == "T-shirt/top" and len(data.class_names) == 10
    np.testing.assert_array_equal(data.y_test, test_y)


@pytest.mark.skipif(online(), reason="needs a machine without internet (the download would succeed)")
@pytest.mark.parametrize("name, file", [("mnist", "mnist.npz"), ("imdb", "imdb.npz")])
def test_offline_error_says_where_to_place_the_file(keras_home, name, file):
    with pytest.raises(DatasetError) as error:
        load_dataset(DatasetRef(name=name))
    message = str(error.value)
    assert "one-time download from the internet" in message and "download failed: " in message
    assert str(keras_home / "datasets" / file) in message


def test_image_arrays_in_keras_layout():
    """CIFAR-10's load_data shapes: (n, 32, 32, 3) uint8 and labels (n, 1); grey sets get a channel axis."""
    parts = ((np.zeros((6, 32, 32, 3), "uint8"), np.arange(6).reshape(6, 1)),
             (np.zeros((2, 32, 32, 3), "uint8"), np.array([[1], [2]], "uint8")))
    raw = online_sources.image_arrays(parts, online_sources.CIFAR10_NAMES, "")
    assert raw.x.shape == (6, 32, 32, 3) and raw.y.shape == (6,) and raw.y_test.dtype == np.int64
    grey = ((np.zeros((3, 28, 28), "uint8"), np.arange(3)), (np.zeros((1, 28, 28), "uint8"), np.arange(1)))
    assert online_sources.image_arrays(grey, [], "").x_test.shape == (1, 28, 28, 1)


def test_imdb_arrays_are_padded_and_cut():
    """IMDB's load_data gives ragged lists of word ids; they come back as one (n, maxlen) int array."""
    x = np.array([[1, 5, 6], [1, 7, 8, 9, 10, 11]], dtype=object)
    raw = online_sources.imdb_arrays(((x, np.array([0, 1])), (x[:1], np.array([1]))), maxlen=4)
    assert raw.x.shape == (2, 4) and raw.x_test.shape == (1, 4)
    assert raw.x[0].tolist() == [0, 1, 5, 6] and raw.x[1].tolist() == [8, 9, 10, 11]
    assert raw.class_names == ["negative", "positive"] and raw.y.dtype == np.int64


def test_imdb_options_are_checked():
    with pytest.raises(DatasetError, match="num_words must be a whole number"):
        load_dataset(DatasetRef(name="imdb", options={"num_words": "many"}))
