"""The one safe way to open a Keras model file, and seeded random inputs for checking a model."""
from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path
from typing import Any

from builder.errors import LayerboardError, first_line
from builder.file_checks import check_hdf5_objects, open_hdf5, require_regular_file


class UnreadableModelError(LayerboardError):
    """Keras could not load a model file, or refused it; `reason` is Keras's first line, `refused_code`
    says the file holds code (a Lambda layer) that safe mode will not run, `refused` says in words what safe
    mode refused when it was not code (a vocabulary file outside the model), else it is empty."""

    def __init__(self, path: Path, reason: str, refused_code: bool, refused: str = ""):
        self.path, self.reason, self.refused_code, self.refused = Path(path), reason, refused_code, refused
        super().__init__(f"{path}: cannot load the model: {reason}")


def _refusal(message: str) -> tuple[bool, str]:
    """(refused code?, what else safe mode refused) from Keras's message."""
    if "vocabulary file" in message:
        file = re.search(r"Vocabulary file: '([^']*)'", message)
        return False, "a vocabulary file outside the model file" + (f" ('{file[1]}')" if file else "")
    if "Lambda" in message or "lambda" in message or "arbitrary code" in message:
        return True, ""
    if "safe_mode" in message:
        return False, first_line(message)
    return False, ""


def _check_file(path: Path) -> None:
    """Refuse a model path that is not a regular file, and HDF5 in it (an .h5 model, the weights inside a .keras
    archive) that reads data from other files."""
    try:
        require_regular_file(path, "model file")
        if path.suffix in (".h5", ".hdf5"):
            with open_hdf5(path, "model file"):
                pass
        elif zipfile.is_zipfile(path):
            with zipfile.ZipFile(path) as archive:
                for name in archive.namelist():
                    if name.endswith(".h5"):
                        _check_archived_hdf5(path, archive, name)
    except LayerboardError as exc:
        raise UnreadableModelError(path, str(exc), False) from None


class _StoredMember(io.RawIOBase):
    """An uncompressed archive member read in place (h5py seeks back and forth; a zipfile stream reads all the
    bytes up to each forward seek, which costs a second for an 80 MB weights file)."""

    def __init__(self, file, start: int, size: int) -> None:
        super().__init__()
        self._file, self._start, self._size, self._pos = file, start, size, 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._pos

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._pos, io.SEEK_END: self._size}[whence]
        self._pos = max(0, base + offset)
        return self._pos

    def readinto(self, buffer) -> int:
        count = max(0, min(len(buffer), self._size - self._pos))
        self._file.seek(self._start + self._pos)
        data = self._file.read(count)
        buffer[:len(data)] = data
        self._pos += len(data)
        return len(data)


def _check_archived_hdf5(path: Path, archive: zipfile.ZipFile, name: str) -> None:
    import h5py

    info = archive.getinfo(name)
    with open(path, "rb") as raw:
        stream = None
        if info.compress_type == zipfile.ZIP_STORED:
            raw.seek(info.header_offset)
            header = raw.read(30)  # the local file header: its name and extra field lengths end it
            if header[:4] == b"PK\x03\x04":
                start = info.header_offset + 30 + int.from_bytes(header[26:28], "little") + \
                    int.from_bytes(header[28:30], "little")
                stream = _StoredMember(raw, start, info.file_size)
        if stream is None:
            stream = archive.open(name)
        with stream, h5py.File(stream, "r") as handle:
            check_hdf5_objects(handle, f"{path}:{name}", "model file")


def load_model_safely(path: str | Path, *, compile: bool = True, custom_objects: dict[str, Any] | None = None):
    """`keras.saving.load_model` in safe mode: code stored in the file (Lambda layers) is never run, files
    outside it are never read (a vocabulary file it names, HDF5 external links or storage), and a path that is
    not a regular file is refused before it is opened.

    Raises UnreadableModelError with Keras's own first line; callers add what the user should do.
    """
    import keras

    _check_file(Path(path))
    try:
        return keras.saving.load_model(str(path), custom_objects=custom_objects, compile=compile, safe_mode=True)
    except Exception as exc:  # Keras's refusal (safe mode) or a file it cannot read
        refused_code, refused = _refusal(str(exc))
        raise UnreadableModelError(Path(path), first_line(exc), refused_code, refused) from None


def random_inputs(inputs: list[tuple[tuple, str]], batch: int, *, seed: int = 0, unknown_dim: int = 8,
                  normal: bool = False, rng=None) -> list:
    """Seeded random arrays for inputs given as (shape without batch, dtype): integers and booleans 0 or 1,
    floats uniform in [0, 1) or standard normal; unknown dimensions become `unknown_dim`."""
    import numpy as np

    rng = rng if rng is not None else np.random.default_rng(seed)
    arrays = []
    for shape, dtype in inputs:
        full = (batch,) + tuple(unknown_dim if d is None else d for d in shape)
        dtype = str(dtype)
        if dtype == "bool":
            arrays.append(rng.integers(0, 2, size=full).astype(bool))
        elif dtype.startswith(("int", "uint")):
            arrays.append(rng.integers(0, 2, size=full).astype(dtype))
        elif normal:
            arrays.append(rng.standard_normal(full).astype(dtype))
        else:
            arrays.append(rng.random(full).astype(dtype))
    return arrays


def model_input_specs(model) -> list[tuple[tuple, str]]:
    """(shape without batch, dtype) of each input of a Keras model."""
    return [(tuple(t.shape[1:]), str(t.dtype)) for t in model.inputs]


def input_names(model) -> list[str]:
    """The names of a Keras model's inputs, in order."""
    return [t.name.split(":")[0] for t in model.inputs]


def output_names(model) -> list[str]:
    """The names of a Keras model's outputs, in order; a Sequential model has none of its own: its one output is
    its last layer's."""
    names = getattr(model, "output_names", None)
    return list(names) if names else [model.layers[-1].name]
