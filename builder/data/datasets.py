"""Built-in offline dataset sources as NumPy arrays with a fixed-seed train/validation split (no TensorFlow here).

Every source works without a network: scikit-learn's bundled sets ("digits", "iris", "wine", "breast_cancer"),
sets generated from a fixed seed ("spirals", "sine", "sequences", "shapes"), and "mnist1d" when the optional `mnist1d`
package is installed. Classification sets are split with stratification (class proportions kept in both
parts); regression sets with a plain seeded shuffle. Nothing is standardised here: features come as stored.
"""
from __future__ import annotations

import functools
import importlib.util
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, NamedTuple

import numpy as np

from builder.errors import DatasetError
from builder.data.lazy_array import is_lazy, length, take
from builder.project import DatasetRef

CLASSES = "classes"
REGRESSION = "regression"

# Fixed seed of the generated sets, so "spirals" is the same data on every machine (the split has its own seed).
GENERATOR_SEED = 1234

Loaded = tuple[np.ndarray, np.ndarray, list[str]]


@dataclass(frozen=True)
class DatasetInfo:
    """What a loaded dataset says about itself."""

    name: str
    description: str
    input_shape: tuple[int, ...]
    dtype: str
    output: str  # "classes" or "regression"
    class_names: list[str]
    num_classes: int  # 0 for regression
    train_size: int
    validation_size: int
    test_size: int = 0

    @property
    def suggested_loss(self) -> str:
        return "sparse_categorical_crossentropy" if self.output == CLASSES else "mean_squared_error"

    def to_dict(self) -> dict:
        return {
            "name": self.name, "description": self.description, "input_shape": list(self.input_shape),
            "dtype": self.dtype, "output": self.output, "class_names": list(self.class_names),
            "num_classes": self.num_classes, "train_size": self.train_size,
            "validation_size": self.validation_size, "test_size": self.test_size,
        }


class Preview(NamedTuple):
    """The first samples of a split: inputs, targets and a readable label for each."""

    x: np.ndarray
    y: np.ndarray
    labels: list[str]


@dataclass
class Dataset:
    """A loaded, split dataset: arrays plus what the dataset says about itself."""

    name: str
    x_train: np.ndarray
    y_train: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray
    class_names: list[str] = field(default_factory=list)
    output: str = CLASSES
    description: str = ""
    x_test: Any = None  # empty (0 rows) when the project holds no test split out
    y_test: Any = None

    def __post_init__(self) -> None:
        if self.x_test is None:
            self.x_test, self.y_test = take(self.x_train, []), take(self.y_train, [])

    @property
    def has_test(self) -> bool:
        return length(self.x_test) > 0

    @property
    def input_shape(self) -> tuple[int, ...]:
        return tuple(self.x_train.shape[1:])

    @property
    def num_classes(self) -> int:
        return len(self.class_names) if self.output == CLASSES else 0

    @property
    def is_regression(self) -> bool:
        return self.output == REGRESSION

    def describe(self) -> DatasetInfo:
        return DatasetInfo(
            name=self.name, description=self.description, input_shape=self.input_shape,
            dtype=str(self.x_train.dtype), output=self.output, class_names=list(self.class_names),
            num_classes=self.num_classes, train_size=length(self.x_train), validation_size=length(self.x_val),
            test_size=length(self.x_test),
        )

    def label(self, target) -> str:
        """A readable label for one target: its class name, or the value for regression."""
        if self.output == CLASSES:
            index = int(target)
            return self.class_names[index] if 0 <= index < len(self.class_names) else str(index)
        return f"{float(target):.4g}"

    def preview(self, n: int = 5, subset: str = "train") -> Preview:
        """The first n samples of the "train", "validation" or "test" split, with readable labels."""
        x, y = self.subset(subset)
        n = max(0, int(n))
        xs, ys = x[:n], np.asarray(y[:n])
        return Preview(np.asarray(xs), ys, [self.label(t) for t in ys])

    def subset(self, name: str):
        """(x, y) of the "train", "validation" or "test" split."""
        parts = {"train": (self.x_train, self.y_train), "validation": (self.x_val, self.y_val),
                 "test": (self.x_test, self.y_test)}
        if name not in parts:
            raise DatasetError(f"subset must be 'train', 'validation' or 'test'; got {name!r}.")
        return parts[name]


@dataclass(frozen=True)
class Source:
    """One built-in dataset: how to make its arrays and what kind of target it has.

    Calling a Source returns (x, y, class_names) as the plain loader functions did.
    """

    name: str
    load: Callable[[], Loaded]
    output: str
    description: str
    requires: str | None = None  # an optional package the source needs

    def __call__(self) -> Loaded:
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


# --- generated sets --------------------------------------------------------------------------------------------

def _make_spirals(per_class: int = 500, noise: float = 0.2) -> Loaded:
    """Two interleaved spirals in the plane; each point's class is the spiral it lies on."""
    rng = np.random.default_rng(GENERATOR_SEED)
    t = np.sqrt(rng.uniform(0.0, 1.0, per_class)) * 3.0 * np.pi  # denser near the centre like the classic set
    arm = np.stack([t * np.cos(t), t * np.sin(t)], axis=1)
    x = np.concatenate([arm, -arm]) + rng.normal(0.0, noise, (2 * per_class, 2))
    x = x / (3.0 * np.pi)  # roughly within [-1, 1]
    y = np.concatenate([np.zeros(per_class), np.ones(per_class)]).astype("int64")
    return x.astype("float32"), y, ["spiral A", "spiral B"]


SINE_WINDOW = 32


def _make_sine(length: int = 1600, noise: float = 0.1) -> Loaded:
    """A noisy sum of two sine waves; each sample is a window of 32 steps, the target the step after it."""
    rng = np.random.default_rng(GENERATOR_SEED)
    t = np.arange(length + SINE_WINDOW, dtype="float64")
    series = np.sin(2 * np.pi * t / 50.0) + 0.5 * np.sin(2 * np.pi * t / 17.0) + rng.normal(0.0, noise, t.shape)
    windows = np.lib.stride_tricks.sliding_window_view(series[:-1], SINE_WINDOW)
    x = windows[:length].astype("float32")[..., np.newaxis]
    y = series[SINE_WINDOW:SINE_WINDOW + length].astype("float32")
    return x, y, []


SEQUENCE_LENGTH = 20
SEQUENCE_VOCABULARY = 50
TOKEN_A, TOKEN_B = 7, 3


def _make_sequences(count: int = 2000) -> Loaded:
    """Token sequences (ids 1..49; 0 is kept free for padding); the label says whether token 7 occurs more
    often than token 3. Counts never tie, and the two classes are equally common."""
    rng = np.random.default_rng(GENERATOR_SEED)
    others = np.array([t for t in range(1, SEQUENCE_VOCABULARY) if t not in (TOKEN_A, TOKEN_B)])
    x = rng.choice(others, size=(count, SEQUENCE_LENGTH))
    y = np.arange(count) % 2  # half "more 7s", half "more 3s", before the shuffle below
    for i in range(count):
        low, high = sorted(rng.choice(5, size=2, replace=False))  # two different counts, 0..4
        sevens, threes = (high, low) if y[i] == 1 else (low, high)
        places = rng.choice(SEQUENCE_LENGTH, size=sevens + threes, replace=False)
        x[i, places[:sevens]] = TOKEN_A
        x[i, places[sevens:]] = TOKEN_B
    order = rng.permutation(count)
    return x[order].astype("int32"), y[order].astype("int64"), ["more 3s", "more 7s"]


SHAPE_NAMES = ["circle", "ring", "square", "triangle", "plus"]
SHAPES_SIZE = 32


def _shape_masks(kind: str, u: np.ndarray, v: np.ndarray, r: np.ndarray) -> np.ndarray:
    """Which pixels a shape of radius r covers, in coordinates (u, v) centred on it and turned with it."""
    d2 = u * u + v * v
    if kind == "circle":
        return d2 <= r * r
    if kind == "ring":
        return (d2 <= r * r) & (d2 >= (0.55 * r) ** 2)
    if kind == "square":
        return np.maximum(np.abs(u), np.abs(v)) <= 0.8 * r
    if kind == "triangle":  # equilateral, circumradius r: inside the three sides at distance r/2
        return np.all([u * np.cos(a) + v * np.sin(a) <= 0.5 * r
                       for a in (np.pi / 2, np.pi / 2 + 2 * np.pi / 3, np.pi / 2 + 4 * np.pi / 3)], axis=0)
    arm = 0.3 * r  # plus
    return ((np.abs(u) <= arm) & (np.abs(v) <= r)) | ((np.abs(v) <= arm) & (np.abs(u) <= r))


def _make_shapes() -> Loaded:
    """Colour images of five shapes at random places, sizes, turns and colours on a random background, with
    pixel noise: a small image-classification set whose models look like real mobile CNNs. Drawing them takes
    ~2 s, so one process draws them once (training, evaluation and each export load the set again); every
    caller gets its own copy."""
    x, y, names = _draw_shapes()
    return x.copy(), y.copy(), list(names)


@functools.lru_cache(maxsize=1)
def _draw_shapes(per_class: int = 1000, size: int = SHAPES_SIZE, noise: float = 12.0) -> Loaded:
    rng = np.random.default_rng(GENERATOR_SEED)
    count = per_class * len(SHAPE_NAMES)
    y = np.repeat(np.arange(len(SHAPE_NAMES)), per_class)
    centre = rng.uniform(0.33 * size, 0.67 * size, (count, 2, 1, 1))
    radius = rng.uniform(0.17 * size, 0.3 * size, (count, 1, 1))
    turn = rng.uniform(0.0, 2 * np.pi, (count, 1, 1))
    rows, cols = np.mgrid[0:size, 0:size].astype("float64") + 0.5
    dx, dy = cols[None] - centre[:, 0], rows[None] - centre[:, 1]
    u = dx * np.cos(turn) + dy * np.sin(turn)
    v = -dx * np.sin(turn) + dy * np.cos(turn)
    mask = np.zeros((count, size, size), dtype=bool)
    for k, kind in enumerate(SHAPE_NAMES):
        pick = y == k
        mask[pick] = _shape_masks(kind, u[pick], v[pick], radius[pick])
    # colours far enough apart in brightness that the shape is always visible
    background = rng.uniform(0, 255, (count, 3))
    foreground = rng.uniform(0, 255, (count, 3))
    dim = np.abs(foreground.mean(axis=1) - background.mean(axis=1)) < 60
    foreground[dim] = (background[dim] + 128) % 256  # every channel 128 away
    image = np.where(mask[..., None], foreground[:, None, None, :], background[:, None, None, :])
    image = image + rng.normal(0.0, noise, image.shape)
    order = rng.permutation(count)
    return np.clip(image, 0, 255).round().astype("uint8")[order], y[order].astype("int64"), list(SHAPE_NAMES)


# --- optional packages -----------------------------------------------------------------------------------------

def _load_mnist1d() -> "RawData":
    if importlib.util.find_spec("mnist1d") is None:
        raise DatasetError("Dataset 'mnist1d' needs the optional mnist1d package: pip install mnist1d")
    try:
        from mnist1d.data import get_dataset_args, make_dataset

        data = make_dataset(get_dataset_args(as_dict=False))  # generated locally from its fixed seed, no download
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
    Source("spirals", _make_spirals, CLASSES,
           "Two interleaved spirals in the plane (2 features), 2 classes; generated."),
    Source("sine", _make_sine, REGRESSION,
           "Noisy sine-wave forecasting: a window of 32 steps, shape (32, 1) -> the next value; generated."),
    Source("sequences", _make_sequences, CLASSES,
           "Integer token sequences (length 20, vocabulary 50): does token 7 occur more often than token 3? "
           "Generated."),
    Source("shapes", _make_shapes, CLASSES,
           "32x32 colour images (uint8 RGB) of five shapes - circle, ring, square, triangle, plus - at random "
           "places, sizes, turns and colours, with noise; 1,000 per class, generated."),
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


@dataclass
class RawData:
    """What a source loads before splitting: all samples, or its own train and test parts."""

    x: Any
    y: Any
    class_names: list[str]
    output: str = CLASSES
    description: str = ""
    x_test: Any = None  # a test split the dataset already has (used when DatasetRef.use_named_split)
    y_test: Any = None


def _external_loaders() -> dict[str, Callable[[DatasetRef, Path], RawData]]:
    """User files (csv, npz, hdf5, image_folder, text_folder) and the online keras.datasets sets."""
    from builder.data import file_sources
    from builder.data import online_sources

    return {**file_sources.LOADERS, **online_sources.LOADERS}


def all_dataset_names() -> list[str]:
    """Built-in sets, then online sets and file kinds."""
    return list(SOURCES) + [n for n in _external_loaders() if n not in SOURCES]


def split_indices(y, fraction: float | int, seed: int, stratify: bool, what: str = "validation_split"):
    """Seeded (train rows, held-out rows) over len(y), stratified by class unless told otherwise; `fraction` may
    be a count of held-out rows instead."""
    from sklearn.model_selection import train_test_split

    y = np.asarray(y) if not isinstance(y, dict) else None
    rows = np.arange(len(y)) if y is not None else None
    try:
        return train_test_split(rows, test_size=fraction, random_state=seed,
                                stratify=y if stratify and y is not None and y.ndim == 1 else None)
    except ValueError as exc:  # e.g. too few held-out samples to hold every class
        raise DatasetError(f"Cannot split the dataset with {what}={fraction}: {exc}") from None


def split(x, y, validation_split: float, seed: int, stratify: bool = True):
    """Seeded train/validation split (x_train, x_val, y_train, y_val), stratified by class unless told otherwise."""
    train, held = split_indices(_targets_for_split(y), validation_split, seed, stratify)
    return take(x, train), take(x, held), take(y, train), take(y, held)


def _targets_for_split(y):
    """The array stratification looks at: the targets, or the first output's for multi-output data."""
    values = next(iter(y.values())) if isinstance(y, dict) else y
    return np.asarray(values)


def _check_fractions(ref: DatasetRef) -> None:
    if not 0.0 < ref.validation_split < 1.0:
        raise DatasetError(f"dataset.validation_split must be between 0 and 1 (exclusive); got {ref.validation_split}.")
    if not 0.0 <= ref.test_split < 1.0 or ref.validation_split + ref.test_split >= 1.0:
        raise DatasetError(f"dataset.test_split must be at least 0 and validation_split + test_split below 1; got "
                           f"validation {ref.validation_split}, test {ref.test_split}.")


def load_raw(ref: DatasetRef, folder: Path | None = None) -> RawData:
    """Load a dataset's samples, unsplit (or with its own test part)."""
    if ref.name in SOURCES:
        src = SOURCES[ref.name]
        loaded = src()
        if isinstance(loaded, RawData):
            return loaded
        x, y, names = loaded
        return RawData(x, y, list(names), src.output, src.description)
    loaders = _external_loaders()
    if ref.name not in loaders:
        raise DatasetError(f"Unknown dataset '{ref.name}'. Datasets: {', '.join(all_dataset_names())}.")
    return loaders[ref.name](ref, Path(folder) if folder else Path.cwd())


def load_dataset(ref: DatasetRef, folder: Path | None = None) -> Dataset:
    """Load and split: a test part first (the dataset's own, or test_split of the samples), then validation.

    Fractions are of the whole: validation_split 0.2 and test_split 0.1 leave 70 % for training. `folder` is
    where the project's relative `path` is resolved (the project's folder).
    """
    _check_fractions(ref)
    raw = load_raw(ref, folder)
    stratify = raw.output == CLASSES
    x, y = raw.x, raw.y
    x_test, y_test = raw.x_test, raw.y_test
    if x_test is None or not ref.use_named_split:
        if x_test is not None:  # fold the named test part back in; the fractions then apply to all samples
            x, y = _concat(x, x_test), _concat(y, y_test)
        if ref.test_split > 0:
            rest, held = split_indices(_targets_for_split(y), ref.test_split, ref.seed, stratify, "test_split")
            x, y, x_test, y_test = take(x, rest), take(y, rest), take(x, held), take(y, held)
        else:
            x_test, y_test = take(x, []), take(y, [])
        # A count, not a fraction of the rest: 0.2 of 5000 is 1000 whatever was held out for testing.
        validation = max(1, math.ceil(ref.validation_split * (length(x) + length(x_test)) - 1e-9))  # as sklearn
    else:
        validation = ref.validation_split
    train, held = split_indices(_targets_for_split(y), validation, ref.seed, stratify)
    return Dataset(ref.name, take(x, train), take(y, train), take(x, held), take(y, held), list(raw.class_names),
                   raw.output, raw.description, x_test, y_test)


def _concat(a, b):
    if isinstance(a, dict):
        return {k: _concat(a[k], b[k]) for k in a}
    if is_lazy(a) or is_lazy(b):
        raise DatasetError("use_named_split=false is not supported for HDF5 files with separate test datasets; "
                           "set use_named_split to true.")
    return np.concatenate([a, b])


def load_project_dataset(project) -> Dataset:
    """The project's dataset, with file paths resolved inside the project's folder."""
    return load_dataset(project.dataset, project.folder())


def describe(ref: DatasetRef | str, folder: Path | None = None) -> DatasetInfo:
    """Load a dataset (by reference, or by name with the default split) and describe it."""
    return load_dataset(DatasetRef(name=ref) if isinstance(ref, str) else ref, folder).describe()
