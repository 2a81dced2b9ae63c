"""What a user's data file holds before it is loaded: a CSV's columns, the arrays of an .npz or HDF5 file.

The window lists these so that the user picks the target column or the x and y arrays instead of typing them;
`guess_array_options` picks x and y for a file whose arrays are not called so. Only headers are read: an .npz
member's shape comes from its .npy header, an HDF5 dataset's from its metadata.
"""
from __future__ import annotations

import csv
import io
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from builder.data import bad_files
from builder.data.file_sources import resolve_data_path
from builder.errors import DatasetError
from builder.file_checks import open_hdf5
from builder.project import DatasetRef

ARRAY_KINDS = ("npz", "hdf5")
HEADER_BYTES = 1 << 20  # a CSV's header row is read from its first MiB


@dataclass(frozen=True)
class ArrayEntry:
    """One array of an .npz or HDF5 file: its key (an HDF5 path without the leading '/'), shape and dtype."""

    name: str
    shape: tuple[int, ...]
    dtype: str

    def to_dict(self) -> dict:
        return {"name": self.name, "shape": list(self.shape), "dtype": self.dtype}


@dataclass(frozen=True)
class FileContents:
    """A CSV's column names, or an array file's arrays (empty for the kinds that have neither)."""

    columns: list[str] = field(default_factory=list)
    arrays: list[ArrayEntry] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {"columns": list(self.columns), "arrays": [a.to_dict() for a in self.arrays]}



def csv_columns(path: Path, delimiter: str = ",") -> list[str]:
    """The names in a CSV file's header row."""
    with open(path, "rb") as handle:
        head = handle.read(HEADER_BYTES)
    text = bad_files.decode_text(head.split(b"\n", 1)[0], lambda problem: DatasetError(
        f"The CSV file '{path}' cannot be read as text: {problem}. Save it as CSV text in UTF-8."))
    rows = list(csv.reader(io.StringIO(text), delimiter=delimiter if len(str(delimiter)) == 1 else ","))
    return [c.strip() for c in rows[0]] if rows else []


def npz_arrays(path: Path) -> list[ArrayEntry]:
    """The arrays of an .npz archive, read from each member's .npy header (no array is loaded)."""
    found = []
    try:
        with zipfile.ZipFile(path) as archive:
            for member in archive.namelist():
                if not member.endswith(".npy"):
                    continue
                with archive.open(member) as handle:
                    version = np.lib.format.read_magic(handle)
                    reader = np.lib.format.read_array_header_1_0 if version == (1, 0) else \
                        np.lib.format.read_array_header_2_0
                    shape, _, dtype = reader(handle)
                found.append(ArrayEntry(member[:-4], tuple(int(d) for d in shape), str(dtype)))
    except (zipfile.BadZipFile, ValueError, OSError) as exc:
        raise DatasetError(f"'{path}' is not a readable NumPy .npz file: {exc}") from None
    return found


def hdf5_arrays(path: Path) -> list[ArrayEntry]:
    """The datasets of an HDF5 file, by path inside it."""
    import h5py

    found = []
    with open_hdf5(path, "HDF5 file", DatasetError) as handle:
        def visit(name, item):
            if isinstance(item, h5py.Dataset):
                found.append(ArrayEntry(name, tuple(int(d) for d in item.shape), str(item.dtype)))
        handle.visititems(visit)
    return found


def file_contents(ref: DatasetRef, folder: Path) -> FileContents:
    """The columns (csv) or arrays (npz, hdf5) of the project's data file; nothing for other kinds."""
    if ref.name == "csv":
        return FileContents(columns=csv_columns(resolve_data_path(ref, folder, "CSV file"), ref.options.get("delimiter", ",")))
    if ref.name == "npz":
        return FileContents(arrays=npz_arrays(resolve_data_path(ref, folder, ".npz file")))
    if ref.name == "hdf5":
        return FileContents(arrays=hdf5_arrays(resolve_data_path(ref, folder, "HDF5 file")))
    return FileContents()


def guess_array_options(arrays: list[ArrayEntry]) -> dict[str, str]:
    """dataset.options x and y for a file without arrays named so: x the first array of two or more dimensions
    (else the first), y the first other array of as many rows with at most two dimensions. Empty when 'x' and
    'y' exist, or when nothing fits."""
    names = {a.name for a in arrays}
    if {"x", "y"} <= names or not arrays:
        return {}
    usable = [a for a in arrays if a.shape and a.name != "class_names"]
    x = next((a for a in usable if len(a.shape) >= 2), usable[0] if usable else None)
    if x is None:
        return {}
    y = next((a for a in usable if a is not x and a.shape[0] == x.shape[0] and len(a.shape) <= 2), None)
    return {"x": x.name, "y": y.name} if y is not None else {}
