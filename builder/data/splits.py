"""Seeded splits: raw samples into train, validation and test parts, stratified by class for classification."""
from __future__ import annotations

import math

import numpy as np

from builder.data.lazy_array import is_lazy, length, take
from builder.data.records import CLASSES, Dataset, RawData, first_array
from builder.errors import DatasetError
from builder.project import DatasetRef


def split_indices(y, fraction: float | int, seed: int, stratify: bool, what: str = "validation_split",
                  setting: float | None = None):
    """Seeded (train rows, held-out rows) over len(y), stratified by class unless told otherwise; `fraction` may
    be a count of held-out rows instead, computed from the user's `setting` (the fraction a message quotes)."""
    from sklearn.model_selection import train_test_split

    y = np.asarray(y) if not isinstance(y, dict) else None
    rows = np.arange(len(y)) if y is not None else None
    asked = f"dataset.{what} = {setting if setting is not None else fraction}"
    total = len(rows) if rows is not None else 0
    held = fraction if isinstance(fraction, int) else math.ceil(fraction * total - 1e-9)
    if rows is not None and (held >= total or held < 1):
        part = "validation" if what == "validation_split" else "the test split"
        raise DatasetError(f"The dataset has {total} sample{'s' if total != 1 else ''}: {asked} holds out {held} "
                           f"for {part} and leaves {max(0, total - held)} to train on; use a dataset with more "
                           "samples (at least 2, more for every class) or change the split.")
    try:
        return train_test_split(rows, test_size=fraction, random_state=seed,
                                stratify=y if stratify and y is not None and y.ndim == 1 else None)
    except ValueError as exc:  # e.g. too few held-out samples to hold every class
        count = f" ({held} of {total} samples)" if rows is not None else ""
        raise DatasetError(f"Cannot split the dataset with {asked}{count}: {exc}") from None


def split(x, y, validation_split: float, seed: int, stratify: bool = True):
    """Seeded train/validation split (x_train, x_val, y_train, y_val), stratified by class unless told otherwise."""
    train, held = split_indices(np.asarray(first_array(y)), validation_split, seed, stratify)
    return take(x, train), take(x, held), take(y, train), take(y, held)


def check_fractions(ref: DatasetRef) -> None:
    """Refuse validation and test fractions that leave nothing to train on (before anything is loaded)."""
    if not 0.0 < ref.validation_split < 1.0:
        raise DatasetError(f"dataset.validation_split must be between 0 and 1 (exclusive); got {ref.validation_split}.")
    if not 0.0 <= ref.test_split < 1.0 or ref.validation_split + ref.test_split >= 1.0:
        raise DatasetError(f"dataset.test_split must be at least 0 and validation_split + test_split below 1; got "
                           f"validation {ref.validation_split}, test {ref.test_split}.")


def split_raw(raw: RawData, ref: DatasetRef) -> Dataset:
    """Split loaded samples as `ref` says: a test part first (the dataset's own, or test_split of the samples),
    then validation. Fractions are of the whole: validation_split 0.2 and test_split 0.1 leave 70 % for training."""
    stratify = raw.output == CLASSES
    x, y = raw.x, raw.y
    x_test, y_test = raw.x_test, raw.y_test
    if x_test is None or not ref.use_named_split:
        if x_test is not None:  # fold the named test part back in; the fractions then apply to all samples
            x, y = _concat(x, x_test), _concat(y, y_test)
        if ref.test_split > 0:
            rest, held = split_indices(np.asarray(first_array(y)), ref.test_split, ref.seed, stratify, "test_split")
            x, y, x_test, y_test = take(x, rest), take(y, rest), take(x, held), take(y, held)
        else:
            x_test, y_test = take(x, []), take(y, [])
        # A count, not a fraction of the rest: 0.2 of 5000 is 1000 whatever was held out for testing.
        validation = max(1, math.ceil(ref.validation_split * (length(x) + length(x_test)) - 1e-9))  # as sklearn
    else:
        validation = ref.validation_split
    train, held = split_indices(np.asarray(first_array(y)), validation, ref.seed, stratify,
                                setting=ref.validation_split)
    return Dataset(ref.name, take(x, train), take(y, train), take(x, held), take(y, held), list(raw.class_names),
                   raw.output, raw.description, x_test, y_test, list(raw.skipped),
                   dict(raw.target_class_names))


def _concat(a, b):
    if isinstance(a, dict):
        return {k: _concat(a[k], b[k]) for k in a}
    if is_lazy(a) or is_lazy(b):
        raise DatasetError("use_named_split=false is not supported for HDF5 files with separate test datasets; "
                           "set use_named_split to true.")
    return np.concatenate([a, b])
