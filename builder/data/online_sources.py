"""keras.datasets sets that download on first use: MNIST, Fashion-MNIST, CIFAR-10, IMDB.

Each loader calls the real `keras.datasets.<name>.load_data()`, which downloads the files once into Keras's
cache (`$KERAS_HOME/datasets`, or `~/.keras/datasets`) and reads them from there afterwards. The set's own
train/test parts come back as RawData x/y and x_test/y_test. Without internet the download fails and the
DatasetError says which file to place by hand, and exactly where.
"""
from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

from builder.data.records import CLASSES, RawData
from builder.errors import DatasetError
from builder.project import DatasetRef

_GOOGLE = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"

DIGIT_NAMES = [str(d) for d in range(10)]
FASHION_NAMES = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag",
                 "Ankle boot"]
CIFAR10_NAMES = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]
IMDB_NAMES = ["negative", "positive"]


def keras_cache_dir() -> Path:
    """The folder keras.utils.get_file downloads datasets into, computed the way Keras computes it."""
    try:
        from keras.src.backend.config import keras_home  # reads KERAS_HOME when Keras is imported

        base = keras_home()
    except ImportError:  # another Keras layout: the documented rule
        base = os.environ.get("KERAS_HOME") or os.path.join(os.path.expanduser("~"), ".keras")
    base = os.path.expanduser(base)
    if not os.access(base, os.W_OK):  # as get_file does: an unwritable (or absent) home falls back to /tmp
        base = os.path.join("/tmp" if os.path.isdir("/tmp") else tempfile.gettempdir(), ".keras")
    return Path(base) / "datasets"


def cache_paths(name: str) -> list[Path]:
    """Where Keras looks for each file of an online set."""
    return [keras_cache_dir() / relative for _, relative in ONLINE_SETS[name].files]


def download(name: str, **arguments):
    """keras.datasets.<name>.load_data(**arguments); a failed download becomes a DatasetError that says what to do."""
    import keras

    load_data = getattr(keras.datasets, name).load_data
    spec = ONLINE_SETS[name]
    try:
        return load_data(**arguments)
    except Exception as exc:  # get_file raises a bare Exception for URL errors, ValueError for a bad hash
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        places = "; ".join(f"{url} -> {path}" for (url, _), path in zip(spec.files, cache_paths(name)))
        raise DatasetError(
            f"Dataset '{name}' needs a one-time download from the internet ({spec.size}), and the download "
            f"failed: {first}. Connect to the internet and load it again, or download the file(s) on another "
            f"machine and place them by hand exactly where Keras looks: {places}."
        ) from None


def image_arrays(parts, class_names: list[str], description: str) -> RawData:
    """Image sets: a channel axis for grey images, uint8 pixels, 1-D int64 labels."""
    (x, y), (x_test, y_test) = parts
    x, x_test = (a[..., np.newaxis] if a.ndim == 3 else a for a in (x, x_test))
    y, y_test = (np.asarray(a).reshape(-1).astype("int64") for a in (y, y_test))
    return RawData(x.astype("uint8"), y, class_names, CLASSES, description, x_test.astype("uint8"), y_test)


def imdb_arrays(parts, maxlen: int) -> RawData:
    """IMDB reviews (lists of word ids) padded or cut to `maxlen` ids."""
    from keras.utils import pad_sequences

    (x, y), (x_test, y_test) = parts
    x, x_test = (pad_sequences(list(a), maxlen=maxlen) for a in (x, x_test))
    y, y_test = (np.asarray(a).astype("int64") for a in (y, y_test))
    description = (f"IMDB movie reviews as word ids (padded/cut to {maxlen}, 0 = padding), positive or negative; "
                   f"{len(x)} train + {len(x_test)} test reviews (keras.datasets).")
    return RawData(x, y, list(IMDB_NAMES), CLASSES, description, x_test, y_test)


def _positive_int(options: dict, key: str, default: int) -> int:
    value = options.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise DatasetError(f"dataset.options.{key} must be a whole number of 1 or more; got {value!r}.")
    return value


def load_image_set(ref: DatasetRef, folder: Path) -> RawData:
    """An image set (MNIST, Fashion-MNIST, CIFAR-10), by ref.name, with its own train and test parts."""
    spec = ONLINE_SETS[ref.name]
    return image_arrays(download(ref.name), list(spec.class_names), spec.description)


def load_imdb(ref: DatasetRef, folder: Path) -> RawData:
    """IMDB sentiment; options num_words (vocabulary kept, default 10000) and maxlen (default 200)."""
    num_words = _positive_int(ref.options, "num_words", 10000)
    maxlen = _positive_int(ref.options, "maxlen", 200)
    return imdb_arrays(download("imdb", num_words=num_words), maxlen)


@dataclass(frozen=True)
class OnlineSet:
    """One keras.datasets set: its loader, the files Keras caches (origin URL, name under the cache's datasets
    folder) and their size; an image set also has its class names and description."""

    name: str
    load: Callable[[DatasetRef, Path], RawData]
    files: tuple[tuple[str, str], ...]
    size: str
    class_names: tuple[str, ...] = ()
    description: str = ""


ONLINE_SETS = {
    "mnist": OnlineSet(
        "mnist", load_image_set, ((_GOOGLE + "mnist.npz", "mnist.npz"),), "11 MB", tuple(DIGIT_NAMES),
        "MNIST handwritten digits: 28x28x1 grey images (0..255), 10 classes; 60000 train + 10000 test "
        "(keras.datasets)."),
    "fashion_mnist": OnlineSet(
        "fashion_mnist", load_image_set, tuple(
            (_GOOGLE + f, f"fashion-mnist/{f}") for f in ("train-labels-idx1-ubyte.gz", "train-images-idx3-ubyte.gz",
                                                           "t10k-labels-idx1-ubyte.gz", "t10k-images-idx3-ubyte.gz")),
        "30 MB", tuple(FASHION_NAMES),
        "Fashion-MNIST clothing: 28x28x1 grey images (0..255), 10 classes; 60000 train + 10000 test "
        "(keras.datasets)."),
    # Keras 3 saves the archive under this name and unpacks it beside it (cifar-10-batches-py-target/).
    "cifar10": OnlineSet(
        "cifar10", load_image_set, (("https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz",
                                     "cifar-10-batches-py-target_archive"),), "163 MB", tuple(CIFAR10_NAMES),
        "CIFAR-10: 32x32x3 colour images (0..255), 10 classes; 50000 train + 10000 test (keras.datasets)."),
    "imdb": OnlineSet("imdb", load_imdb, ((_GOOGLE + "imdb.npz", "imdb.npz"),), "17 MB", tuple(IMDB_NAMES)),
}

LOADERS = {name: spec.load for name, spec in ONLINE_SETS.items()}
