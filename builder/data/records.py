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
    # Multi-output sets (y a dict): class names per target; a target not named here is counted from its values
    # (class ids 0..max) and the first target's names are `class_names`.
    target_class_names: dict[str, list[str]] = field(default_factory=dict)


@dataclass(frozen=True)
class TargetInfo:
    """One named target of a multi-output dataset (y a dict): its kind, its classes, its shape per sample."""

    output: str  # "classes" or "regression"
    class_names: tuple[str, ...] = ()
    shape: tuple[int, ...] = ()  # per sample: () for one class id or value

    @property
    def num_classes(self) -> int:
        return len(self.class_names) if self.output == CLASSES else 0

    def to_dict(self) -> dict:
        return {"output": self.output, "class_names": list(self.class_names), "num_classes": self.num_classes,
                "shape": list(self.shape)}


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
    # Multi-input sets (x a dict): each Input's name -> its shape and dtype per sample; empty for one array (then
    # input_shape and dtype say it; for a dict they are the first input's).
    input_shapes: dict[str, tuple[int, ...]] = field(default_factory=dict)
    input_dtypes: dict[str, str] = field(default_factory=dict)
    # Multi-output sets (y a dict): each target's name -> TargetInfo; empty for one target array (then output,
    # class_names and target_shape say it; for a dict they are the first target's).
    targets: dict[str, TargetInfo] = field(default_factory=dict)

    def target(self, name: str) -> TargetInfo | None:
        """What output `name` is trained against: its own target of a multi-output set (None when the set has
        no target of that name), or the one target of a single-target set."""
        if self.targets:
            return self.targets.get(name)
        return TargetInfo(self.output, tuple(self.class_names) if self.output == CLASSES else (), self.target_shape)

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
            **({"input_shapes": {k: list(v) for k, v in self.input_shapes.items()},
                "input_dtypes": dict(self.input_dtypes)} if self.input_shapes else {}),
            **({"targets": {k: t.to_dict() for k, t in self.targets.items()}} if self.targets else {}),
        }


class Preview(NamedTuple):
    """The first samples of a split: inputs, targets and a readable label for each (x and y are dicts of arrays
    for a multi-input / multi-output set)."""

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
    target_class_names: dict[str, list[str]] = field(default_factory=dict)  # as RawData's

    def __post_init__(self) -> None:
        if self.x_test is None:
            self.x_test, self.y_test = take(self.x_train, []), take(self.y_train, [])

    @property
    def has_test(self) -> bool:
        return length(self.x_test) > 0

    @property
    def input_shape(self) -> tuple[int, ...]:
        """One sample's shape; for a multi-input set (x a dict) the first input's (see input_shapes)."""
        return tuple(first_array(self.x_train).shape[1:])

    @property
    def input_shapes(self) -> dict[str, tuple[int, ...]]:
        """Each named input's shape per sample for a multi-input set (x a dict); empty for one array."""
        if not isinstance(self.x_train, dict):
            return {}
        return {k: tuple(v.shape[1:]) for k, v in self.x_train.items()}

    def targets(self) -> dict[str, TargetInfo]:
        """Each named target of a multi-output set (y a dict); empty for one target array. A target's kind is the
        set's, except that float targets of a classification set are regression; its class names are
        `target_class_names`, the first target's are `class_names`, and others are counted (0..max class id)."""
        if not isinstance(self.y_train, dict):
            return {}
        found = {}
        for i, (key, values) in enumerate(self.y_train.items()):
            shape = tuple(int(d) for d in values.shape[1:])
            kind = np.dtype(values.dtype).kind
            if self.output != CLASSES or kind == "f":
                found[key] = TargetInfo(REGRESSION, (), shape)
                continue
            names = self.target_class_names.get(key) or (self.class_names if i == 0 else None)
            if not names:
                parts = [np.asarray(y[key]).reshape(-1) for y in (self.y_train, self.y_val, self.y_test)]
                top = max((int(p.max()) for p in parts if p.size), default=0)
                names = [str(c) for c in range(top + 1)]
            found[key] = TargetInfo(CLASSES, tuple(names), shape)
        return found

    @property
    def num_classes(self) -> int:
        return len(self.class_names) if self.output == CLASSES else 0

    @property
    def is_regression(self) -> bool:
        return self.output == REGRESSION

    def describe(self) -> DatasetInfo:
        return DatasetInfo(
            name=self.name, description=self.description, input_shape=self.input_shape,
            dtype=str(first_array(self.x_train).dtype), output=self.output, class_names=list(self.class_names),
            num_classes=self.num_classes, train_size=length(self.x_train), validation_size=length(self.x_val),
            test_size=length(self.x_test), skipped_files=tuple(self.skipped),
            target_shape=tuple(int(d) for d in first_array(self.y_train).shape[1:]),
            input_shapes=self.input_shapes,
            input_dtypes={k: str(v.dtype) for k, v in self.x_train.items()} if isinstance(self.x_train, dict) else {},
            targets=self.targets(),
        )

    def label(self, target) -> str:
        """A readable label for one target: its class name, or the value for regression; for a multi-output set
        (a dict of one sample's targets) each target's, "digit 3, even 1"."""
        if isinstance(target, dict):
            targets = self.targets()
            return ", ".join(f"{k}: {_named(targets.get(k), v)}" for k, v in target.items())
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
        n = min(max(0, int(n)), length(x))
        xs, ys = as_arrays(take(x, range(n))), as_arrays(take(y, range(n)))
        rows = [{k: v[i] for k, v in ys.items()} for i in range(n)] if isinstance(ys, dict) else ys
        return Preview(xs, ys, [self.label(t) for t in rows])

    def subset(self, name: str):
        """(x, y) of the "train", "validation" or "test" split."""
        parts = {"train": (self.x_train, self.y_train), "validation": (self.x_val, self.y_val),
                 "test": (self.x_test, self.y_test)}
        if name not in parts:
            raise DatasetError(f"subset must be 'train', 'validation' or 'test'; got {name!r}.")
        return parts[name]


def first_array(values):
    """The array itself, or the first array of a dict of them (multi-input/multi-output data)."""
    return next(iter(values.values())) if isinstance(values, dict) else values


def as_arrays(values):
    return {k: np.asarray(v) for k, v in values.items()} if isinstance(values, dict) else np.asarray(values)


def _named(target: TargetInfo | None, value) -> str:
    """One target value in words: its class name, or the number."""
    if target is not None and target.output == CLASSES:
        index = int(value)
        return target.class_names[index] if 0 <= index < len(target.class_names) else str(index)
    values = np.asarray(value, dtype="float64")
    return f"{float(values.reshape(-1)[0]):.4g}" if values.size == 1 else f"mean {values.mean():.3g}"
