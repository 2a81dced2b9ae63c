"""Load a dataset by name: built-in sets, user files and online sets, split as the project's DatasetRef says.

Every source works without TensorFlow here; a loader imports Keras only when it needs it (image and text
folders, online sets), so listing dataset names stays cheap.
"""
from __future__ import annotations

from pathlib import Path
from typing import Callable

from builder.data import file_sources, online_sources
from builder.data.builtin_sources import SOURCES, load_builtin
from builder.data.records import Dataset, DatasetInfo, RawData
from builder.data.splits import check_fractions, split_raw
from builder.errors import DatasetError
from builder.project import DatasetRef

# User files (csv, npz, hdf5, image_folder, text_folder), then the online keras.datasets sets.
EXTERNAL_LOADERS: dict[str, Callable[[DatasetRef, Path], RawData]] = {**file_sources.LOADERS,
                                                                       **online_sources.LOADERS}


def all_dataset_names() -> list[str]:
    """Built-in sets, then online sets and file kinds."""
    return list(SOURCES) + [n for n in EXTERNAL_LOADERS if n not in SOURCES]


def load_raw(ref: DatasetRef, folder: Path | None = None) -> RawData:
    """Load a dataset's samples, unsplit (or with its own test part)."""
    if ref.name in SOURCES:
        return load_builtin(ref.name)
    if ref.name not in EXTERNAL_LOADERS:
        raise DatasetError(f"Unknown dataset '{ref.name}'. Datasets: {', '.join(all_dataset_names())}.")
    return EXTERNAL_LOADERS[ref.name](ref, Path(folder) if folder else Path.cwd())


def load_dataset(ref: DatasetRef, folder: Path | None = None) -> Dataset:
    """Load and split: a test part first (the dataset's own, or test_split of the samples), then validation.

    Fractions are of the whole: validation_split 0.2 and test_split 0.1 leave 70 % for training. `folder` is
    where the project's relative `path` is resolved (the project's folder).
    """
    check_fractions(ref)
    return split_raw(load_raw(ref, folder), ref)


def load_project_dataset(project) -> Dataset:
    """The project's dataset, with file paths resolved inside the project's folder."""
    return load_dataset(project.dataset, project.folder())


def describe(ref: DatasetRef | str, folder: Path | None = None) -> DatasetInfo:
    """Load a dataset (by reference, or by name with the default split) and describe it."""
    return load_dataset(DatasetRef(name=ref) if isinstance(ref, str) else ref, folder).describe()
