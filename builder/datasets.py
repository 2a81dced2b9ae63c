"""Dataset sources as NumPy arrays with a fixed-seed train/validation split (no TensorFlow here)."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from builder.errors import DatasetError
from builder.project import DatasetRef


@dataclass
class Dataset:
    """A loaded, split dataset: arrays plus what the dataset says about itself."""

    name: str
    x_train: np.ndarray
    y_train: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray
    class_names: list[str] = field(default_factory=list)

    @property
    def input_shape(self) -> tuple[int, ...]:
        return tuple(self.x_train.shape[1:])

    @property
    def num_classes(self) -> int:
        return len(self.class_names)


def _load_digits() -> tuple[np.ndarray, np.ndarray, list[str]]:
    from sklearn.datasets import load_digits

    digits = load_digits()
    # 8x8 grey images with values 0..16, one channel last as Keras's Conv2D expects.
    x = digits.images.astype("float32")[..., np.newaxis]
    y = digits.target.astype("int64")
    return x, y, [str(c) for c in digits.target_names]


SOURCES: dict[str, Callable[[], tuple[np.ndarray, np.ndarray, list[str]]]] = {
    "digits": _load_digits,
}


def split(x: np.ndarray, y: np.ndarray, validation_split: float, seed: int):
    """Stratified, seeded train/validation split."""
    from sklearn.model_selection import train_test_split

    return train_test_split(x, y, test_size=validation_split, random_state=seed, stratify=y)


def load_dataset(ref: DatasetRef) -> Dataset:
    if ref.name not in SOURCES:
        raise DatasetError(f"Unknown dataset '{ref.name}'. Built-in datasets: {', '.join(SOURCES)}.")
    if not 0.0 < ref.validation_split < 1.0:
        raise DatasetError(f"dataset.validation_split must be between 0 and 1 (exclusive); got {ref.validation_split}.")
    x, y, names = SOURCES[ref.name]()
    x_train, x_val, y_train, y_val = split(x, y, ref.validation_split, ref.seed)
    return Dataset(ref.name, x_train, y_train, x_val, y_val, names)
