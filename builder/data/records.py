"""The records every dataset source makes and every user reads: RawData, Dataset, DatasetInfo, Preview, target kinds."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, NamedTuple

import numpy as np

from builder.data.lazy_array import length, take
from builder.errors import DatasetError

# What a dataset's targets are (Dataset.output, RawData.output, DatasetInfo.output).
CLASSES = "classes"
REGRESSION = "regression"

# What a built-in source makes: (x, y, class_names).
Loaded = tuple[np.ndarray, np.ndarray, list[str]]


class BadFile(NamedTuple):
    """A file of a dataset that could not be read: its path inside the dataset's folder and what is wrong."""

    file: str
    problem: str

    def to_dict(self) -> dict:
        return {"file": self.file, "problem": self.problem}


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
    skipped: list[BadFile] = field(default_factory=list)  # unreadable files left out (options.skip_bad_files)


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
    skipped_files: tuple[BadFile, ...] = ()  # unreadable files left out (options.skip_bad_files)
    target_shape: tuple[int, ...] = ()  # per sample: () for one class id or value, (32, 32, 1) for a pixel mask

    @property
    def suggested_loss(self) -> str:
        return "sparse_categorical_crossentropy" if self.output == CLASSES else "mean_squared_error"

    def to_dict(self) -> dict:
        return {
            "name": self.name, "description": self.description, "input_shape": list(self.input_shape),
            "dtype": self.dtype, "output": self.output, "class_names": list(self.class_names),
            "num_classes": self.num_classes, "train_size": self.train_size,
            "validation_size": self.validation_size, "test_size": self.test_size,
            "skipped_files": [b.to_dict() for b in self.skipped_files], "target_shape": list(self.target_shape),
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
    skipped: list[BadFile] = field(default_factory=list)  # unreadable files left out (options.skip_bad_files)

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
            test_size=length(self.x_test), skipped_files=tuple(self.skipped),
            target_shape=tuple(int(d) for d in getattr(self.y_train, "shape", ())[1:]),  # () for a dict of targets
        )

    def label(self, target) -> str:
        """A readable label for one target: its class name, or the value for regression."""
        if self.output == CLASSES:
            index = int(target)
            return self.class_names[index] if 0 <= index < len(self.class_names) else str(index)
        values = np.asarray(target, dtype="float64")
        if values.size != 1:  # a vector or a pixel mask per sample: its mean says what it holds
            return f"mean {values.mean():.3g}"
        return f"{float(values.reshape(())):.4g}"

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
