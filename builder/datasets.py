"""Built-in offline dataset sources as NumPy arrays with a fixed-seed train/validation split (no TensorFlow here).

Every source works without a network: scikit-learn's bundled sets ("digits", "iris", "wine", "breast_cancer"),
sets generated from a fixed seed ("spirals", "sine", "sequences"), and "mnist1d" when the optional `mnist1d`
package is installed. Classification sets are split with stratification (class proportions kept in both
parts); regression sets with a plain seeded shuffle. Nothing is standardised here: features come as stored.
"""
from __future__ import annotations

import importlib.util
from dataclasses import dataclass, field
from typing import Callable, NamedTuple

import numpy as np

from builder.errors import DatasetError
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

    @property
    def suggested_loss(self) -> str:
        return "sparse_categorical_crossentropy" if self.output == CLASSES else "mean_squared_error"

    def to_dict(self) -> dict:
        return {
            "name": self.name, "description": self.description, "input_shape": list(self.input_shape),
            "dtype": self.dtype, "output": self.output, "class_names": list(self.class_names),
            "num_classes": self.num_classes, "train_size": self.train_size,
            "validation_size": self.validation_size,
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
            num_classes=self.num_classes, train_size=len(self.x_train), validation_size=len(self.x_val),
        )

    def label(self, target) -> str:
        """A readable label for one target: its class name, or the value for regression."""
        if self.output == CLASSES:
            index = int(target)
            return self.class_names[index] if 0 <= index < len(self.class_names) else str(index)
        return f"{float(target):.4g}"

    def preview(self, n: int = 5, subset: str = "train") -> Preview:
        """The first n samples of the training (or "validation") split, with readable labels."""
        if subset not in ("train", "validation"):
            raise DatasetError(f"preview subset must be 'train' or 'validation'; got {subset!r}.")
        x, y = (self.x_train, self.y_train) if subset == "train" else (self.x_val, self.y_val)
        n = max(0, int(n))
        return Preview(x[:n], y[:n], [self.label(t) for t in y[:n]])


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


# --- optional packages -----------------------------------------------------------------------------------------

def _load_mnist1d() -> Loaded:
    if importlib.util.find_spec("mnist1d") is None:
        raise DatasetError("Dataset 'mnist1d' needs the optional mnist1d package: pip install mnist1d")
    try:
        from mnist1d.data import get_dataset_args, make_dataset

        data = make_dataset(get_dataset_args(as_dict=False))  # generated locally from its fixed seed, no download
        x = np.concatenate([np.asarray(data["x"]), np.asarray(data["x_test"])]).astype("float32")
        y = np.concatenate([np.asarray(data["y"]), np.asarray(data["y_test"])]).astype("int64")
    except DatasetError:
        raise
    except Exception as exc:  # an incompatible mnist1d version
        raise DatasetError(f"The installed mnist1d package could not make its dataset: {exc}") from None
    return x[..., np.newaxis], y, [str(d) for d in range(10)]


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
    Source("mnist1d", _load_mnist1d, CLASSES,
           "1-D signals of length 40, shape (40, 1), 10 digit classes; needs `pip install mnist1d`.",
           requires="mnist1d"),
]

SOURCES: dict[str, Source] = {source.name: source for source in _SOURCE_LIST}


def dataset_names() -> list[str]:
    return list(SOURCES)


def source(name: str) -> Source:
    if name not in SOURCES:
        raise DatasetError(f"Unknown dataset '{name}'. Built-in datasets: {', '.join(SOURCES)}.")
    return SOURCES[name]


def split(x: np.ndarray, y: np.ndarray, validation_split: float, seed: int, stratify: bool = True):
    """Seeded train/validation split, stratified by class unless told otherwise (regression)."""
    from sklearn.model_selection import train_test_split

    try:
        return train_test_split(x, y, test_size=validation_split, random_state=seed,
                                stratify=y if stratify else None)
    except ValueError as exc:  # e.g. too few validation samples to hold every class
        raise DatasetError(f"Cannot split the dataset with validation_split={validation_split}: {exc}") from None


def load_dataset(ref: DatasetRef) -> Dataset:
    src = source(ref.name)
    if not 0.0 < ref.validation_split < 1.0:
        raise DatasetError(f"dataset.validation_split must be between 0 and 1 (exclusive); got {ref.validation_split}.")
    x, y, names = src()
    x_train, x_val, y_train, y_val = split(x, y, ref.validation_split, ref.seed, stratify=src.output == CLASSES)
    return Dataset(ref.name, x_train, y_train, x_val, y_val, list(names), src.output, src.description)


def describe(ref: DatasetRef | str) -> DatasetInfo:
    """Load a dataset (by reference, or by name with the default split) and describe it."""
    return load_dataset(DatasetRef(name=ref) if isinstance(ref, str) else ref).describe()
