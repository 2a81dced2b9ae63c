"""Arrays read on demand from an HDF5 file (h5py), so a dataset larger than memory can be split and streamed.

A LazyArray is a view of some rows of one HDF5 dataset: `len`, `shape` and `dtype` cost nothing, `take(rows)`
makes a smaller view, and `read(rows)` (or `np.asarray`) reads those rows from disk.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from builder.errors import DatasetError
from builder.file_checks import open_hdf5


class LazyArray:
    def __init__(self, file: str | Path, key: str, rows: np.ndarray | None = None) -> None:
        self.file, self.key = str(file), key
        with open_hdf5(self.file, "HDF5 dataset file", DatasetError, only=key) as handle:  # checks what it reads
            stored = handle[key]
            self._row_shape, self.dtype, total = tuple(stored.shape[1:]), stored.dtype, stored.shape[0]
        self.rows = np.arange(total) if rows is None else np.asarray(rows, dtype="int64")
        self._handle = None

    @property
    def shape(self) -> tuple[int, ...]:
        return (len(self.rows),) + self._row_shape

    @property
    def ndim(self) -> int:
        return len(self.shape)

    def __len__(self) -> int:
        return len(self.rows)

    def take(self, rows) -> "LazyArray":
        return LazyArray(self.file, self.key, self.rows[np.asarray(rows, dtype="int64")])

    def read(self, rows=None) -> np.ndarray:
        """The values of `rows` (positions in this view; all when None), in that order."""
        wanted = self.rows if rows is None else self.rows[np.asarray(rows, dtype="int64")]
        if len(wanted) == 0:
            return np.empty((0,) + self._row_shape, self.dtype)
        order = np.argsort(wanted, kind="stable")
        unique, inverse = np.unique(wanted[order], return_inverse=True)  # h5py wants increasing, distinct rows
        with open_hdf5(self.file, "HDF5 dataset file", DatasetError, only=self.key) as handle:
            values = handle[self.key][unique]
        out = np.empty((len(wanted),) + self._row_shape, self.dtype)
        out[order] = values[inverse]
        return out

    def __getitem__(self, item) -> np.ndarray:
        if isinstance(item, slice):
            return self.read(np.arange(len(self))[item])
        if isinstance(item, (int, np.integer)):
            return self.read([item])[0]
        return self.read(item)

    def astype(self, dtype) -> np.ndarray:
        return self.read().astype(dtype)

    def __array__(self, dtype=None, copy=None):
        values = self.read()
        return values.astype(dtype) if dtype is not None else values

    def __repr__(self) -> str:
        return f"LazyArray({self.file!r}, {self.key!r}, shape={self.shape}, dtype={self.dtype})"


def take(values, rows):
    """Rows of an array, a LazyArray or a dict of them (multi-input/multi-output data)."""
    if isinstance(values, dict):
        return {k: take(v, rows) for k, v in values.items()}
    if isinstance(values, LazyArray):
        return values.take(rows)
    return values[np.asarray(rows, dtype="int64")]


def length(values) -> int:
    if isinstance(values, dict):
        return len(next(iter(values.values())))
    return len(values)


def is_lazy(values) -> bool:
    if isinstance(values, dict):
        return any(isinstance(v, LazyArray) for v in values.values())
    return isinstance(values, LazyArray)
