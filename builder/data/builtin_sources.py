"""The built-in datasets, all offline: scikit-learn's bundled sets, the generated sets and the optional mnist1d.

scikit-learn's sets are "digits", "iris", "wine" and "breast_cancer"; "spirals", "sine", "sequences",
"token_order", "shapes" and "shapes_masks" are generated from a fixed seed (builder.data.generated); "mnist1d"
works when the optional `mnist1d` package is installed. Nothing is standardised here: features come as stored.
"""
from __future__ import annotations

import importlib.metadata
import importlib.util
from dataclasses import dataclass
from typing import Callable

import numpy as np

from builder.data.generated_cache import cached_arrays
from builder.data.generated import (make_sequences, make_shape_masks, make_shapes, make_sine, make_spirals,
                                    make_token_order)
from builder.data.two_views import make_digit_halves
from builder.data.records import CLASSES, REGRESSION, Loaded, RawData
from builder.errors import DatasetError


@dataclass(frozen=True)
class Source:
    """One built-in dataset: how to make its arrays and what kind of target it has.

    Calling a Source returns (x, y, class_names), or RawData for a set that comes with its own test part.
    """

    name: str
    load: Callable[[], Loaded | RawData]
    output: str
    description: str
    requires: str | None = None  # an optional package the source needs

    def __call__(self) -> Loaded | RawData:
        return self.load()

    @property
    def available(self) -> bool:
        return self.requires is None or importlib.util.find_spec(self.requires) is not None


# --- scikit-learn's bundled sets -------------------------------------------------------------------------------

def _load_digits() -> Loaded:
    from sklearn.datasets import load_digits

    digits = load_digits()
    # 8x8 grey images with values 0..16, one channel last as Keras's Conv2D expects.
    x = digits.images.astype("float32")[..., np.newaxis]
    y = digits.target.astype("int64")
    return x, y, [str(c) for c in digits.target_names]


def _sklearn_tabular(loader_name: str) -> Callable[[], Loaded]:
    def load() -> Loaded:
        import sklearn.datasets

        bunch = getattr(sklearn.datasets, loader_name)()
        return bunch.data.astype("float32"), bunch.target.astype("int64"), [str(c) for c in bunch.target_names]

    load.__name__ = f"_{loader_name}"
    return load


# --- optional packages -----------------------------------------------------------------------------------------

def _load_mnist1d() -> RawData:
    if importlib.util.find_spec("mnist1d") is None:
        raise DatasetError("Dataset 'mnist1d' needs the optional mnist1d package: pip install mnist1d")
    try:
        def draw() -> dict[str, np.ndarray]:
            from mnist1d.data import get_dataset_args, make_dataset

            data = make_dataset(get_dataset_args(as_dict=False))  # generated locally from its fixed seed, no download
            return {k: np.asarray(data[k]) for k in ("x", "y", "x_test", "y_test")}

        # ~2 s to import and draw: kept on disk for the next process, keyed by the package's version
        data = cached_arrays("mnist1d", {"mnist1d": importlib.metadata.version("mnist1d")}, "", draw)
        x, x_test = (np.asarray(data[k]).astype("float32")[..., np.newaxis] for k in ("x", "x_test"))
        y, y_test = (np.asarray(data[k]).astype("int64") for k in ("y", "y_test"))
    except DatasetError:
        raise
    except Exception as exc:  # an incompatible mnist1d version
        raise DatasetError(f"The installed mnist1d package could not make its dataset: {exc}") from None
    source = SOURCES["mnist1d"]
    return RawData(x, y, [str(d) for d in range(10)], source.output, source.description, x_test, y_test)


_SOURCE_LIST = [
    Source("digits", _load_digits, CLASSES,
           "8x8 grey images of handwritten digits (values 0..16), 10 classes (scikit-learn)."),
    Source("iris", _sklearn_tabular("load_iris"), CLASSES,
           "4 measurements of iris flowers, 3 species (scikit-learn)."),
    Source("wine", _sklearn_tabular("load_wine"), CLASSES,
           "13 chemical measurements of wines, 3 cultivars (scikit-learn)."),
    Source("breast_cancer", _sklearn_tabular("load_breast_cancer"), CLASSES,
           "30 features of breast tumour cell nuclei, malignant or benign (scikit-learn)."),
    Source("spirals", make_spirals, CLASSES,
           "Two interleaved spirals in the plane (2 features), 2 classes; generated."),
    Source("sine", make_sine, REGRESSION,
           "Noisy sine-wave forecasting: a window of 32 steps, shape (32, 1) -> the next value; generated."),
    Source("sequences", make_sequences, CLASSES,
           "Integer token sequences (length 20, vocabulary 50): does token 7 occur more often than token 3? "
           "Generated."),
    Source("token_order", make_token_order, CLASSES,
           "Integer token sequences (length 24, vocabulary 50) in which tokens 7 and 3 each occur 1-3 times: does "
           "the first 7 come before the first 3? Counts say nothing (a bag of words scores 50%); the order does. "
           "4,000, generated."),
    Source("shapes", make_shapes, CLASSES,
           "32x32 colour images (uint8 RGB) of five shapes - circle, ring, square, triangle, plus - at random "
           "places, sizes, turns and colours, with noise; 1,000 per class, generated."),
    Source("shapes_masks", make_shape_masks, REGRESSION,
           "Segmentation: the 5,000 images of 'shapes' (32x32 uint8 RGB), each with its pixel mask as the target, "
           "shape (32, 32, 1): 1 on the shape, 0 on the background. Per-pixel sigmoid + binary_crossentropy; "
           "generated."),
    Source("digits_halves", make_digit_halves, CLASSES,
           "Two inputs, two targets: the left and right halves of scikit-learn's 8x8 digits (inputs 'left' and "
           "'right', each 8x4x1) -> which digit ('digit', 10 classes) and whether it is even ('even', 0/1)."),
    Source("mnist1d", _load_mnist1d, CLASSES,
           "MNIST-1D: 1-D signals of length 40, shape (40, 1), 10 digit classes; 4000 train + 1000 test, "
           "generated locally by the mnist1d package.",
           requires="mnist1d"),
]

SOURCES: dict[str, Source] = {source.name: source for source in _SOURCE_LIST}


def dataset_names() -> list[str]:
    return list(SOURCES)


def source(name: str) -> Source:
    if name not in SOURCES:
        raise DatasetError(f"Unknown dataset '{name}'. Built-in datasets: {', '.join(SOURCES)}.")
    return SOURCES[name]


def load_builtin(name: str) -> RawData:
    """A built-in dataset's samples, unsplit (or with its own test part)."""
    src = SOURCES[name]
    loaded = src()
    if isinstance(loaded, RawData):  # a set with its own test part, or named targets' class names
        if not loaded.description:
            loaded.description = src.description
        return loaded
    x, y, names = loaded
    return RawData(x, y, list(names), src.output, src.description)
