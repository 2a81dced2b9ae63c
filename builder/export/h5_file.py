"""Legacy HDF5 (`.h5`) export through Keras 3's h5py writer, and a runner for the written file.

Keras 3 still writes the legacy format when `model.save` gets a path ending in `.h5`
(a deprecation warning only). It stores the model config as JSON plus the weights, so every
built-in layer round-trips; a custom layer that is not registered cannot be rebuilt.
"""
from __future__ import annotations

import logging
import shutil
import tempfile
import warnings
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from builder.errors import ExportError, first_line
from builder.files import atomic_path
from builder.model import output_names as model_output_names

H5_SUFFIXES = (".h5", ".hdf5")


def _first_line(exc: BaseException) -> str:
    """The first line of the error without its full stop (the message adds its own punctuation)."""
    return first_line(exc).rstrip(".")


def _operations(model):
    """Every operation of the model's graph, nested models' included."""
    for op in getattr(model, "operations", None) or getattr(model, "layers", []):
        yield op
        if op is not model and (getattr(op, "operations", None) or getattr(op, "layers", None)):
            yield from _operations(op)


def _blamed_layer(model, exc: BaseException) -> str | None:
    """The name of the layer a save/load failure is about, when it can be told."""
    text = str(exc)
    ops = [op for op in _operations(model) if op is not model]
    for name in sorted({op.name for op in ops}, key=len, reverse=True):
        if name and (f"'{name}'" in text or f"`{name}`" in text or f'"{name}"' in text):
            return name
    by_class = [op.name for op in ops if f"`{type(op).__name__}`" in text or f"'{type(op).__name__}'" in text]
    if len(by_class) == 1:  # e.g. "Requested the deserialization of a `Lambda` layer ..."
        return by_class[0]
    tb = exc.__traceback__
    while tb is not None:  # Keras's functional rebuild: process_node(layer, ...) is the layer it failed on
        if tb.tb_frame.f_code.co_name == "process_node":
            layer = tb.tb_frame.f_locals.get("layer")
            if isinstance(getattr(layer, "name", None), str):
                return layer.name
        tb = tb.tb_next
    return None


def _refuse_raw_operations(model) -> None:
    """A `keras.ops` call in the graph (e.g. `x + y` on Keras tensors) is no layer: h5 rebuilds it wrongly."""
    import keras

    for op in _operations(model):
        if not isinstance(op, keras.layers.Layer):
            raise ExportError(f"The legacy HDF5 format cannot hold '{op.name}' ({type(op).__name__}), an operation "
                              f"that is not a layer: Keras would rebuild it wrongly. "
                              f"Export to the native .keras format instead.")


@contextmanager
def _quiet():
    """Silence Keras's legacy-format warning (absl logging and Python warnings) for one save or load."""
    logger = logging.getLogger("absl")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        logger.setLevel(level)


def write_h5(model, path: Path) -> None:
    """Write `model` as a legacy HDF5 file at exactly `path`; raises ExportError on failure."""
    path = Path(path)
    if not path.parent.is_dir():
        raise ExportError(f"Cannot write {path}: the folder {path.parent} does not exist.")
    _refuse_raw_operations(model)
    try:  # Keras picks the format from the suffix: the temporary name ends in .h5
        with atomic_path(path, ".h5") as tmp:
            try:
                with _quiet():  # "HDF5 format is considered legacy" warning
                    model.save(str(tmp))
            except Exception as exc:
                layer = _blamed_layer(model, exc)
                where = f" (layer '{layer}')" if layer else ""
                raise ExportError(f"The model cannot be saved in the legacy HDF5 format{where}: {_first_line(exc)}. "
                                  f"Export to the native .keras format instead.") from None
            if not tmp.is_file():
                raise ExportError(f"Keras wrote no HDF5 file for {path}. Export to the native .keras format instead.")
            _check_rebuildable(model, tmp)
    except OSError as exc:
        raise ExportError(f"Cannot write {path}: {exc.strerror or _first_line(exc)}.") from None


def _check_rebuildable(model, tmp: Path) -> None:
    """Reload the file once so a layer the h5 config cannot rebuild is reported now, not at load time."""
    try:
        _load(tmp)
    except Exception as exc:
        layer = _blamed_layer(model, exc)
        where = f" layer '{layer}'" if layer else " model"
        raise ExportError(f"The HDF5 file of this{where} cannot be loaded back: {_first_line(exc)}. "
                          f"Export to the native .keras format instead.") from None


def _load(path: Path):
    import keras

    # Keras 3.15 honours safe_mode for legacy h5 too (the config is read inside a SafeModeScope),
    # so a Lambda layer's marshalled bytecode is refused, as it is for `.keras` files.
    # load_model picks the h5 reader from the suffix: a file named otherwise is read through a link.
    path = Path(path)
    with _quiet():
        if path.suffix.lower() in H5_SUFFIXES:
            return keras.saving.load_model(str(path), compile=False, safe_mode=True)
        folder = Path(tempfile.mkdtemp(prefix=".layerboard-h5-"))
        try:
            link = folder / "model.h5"
            link.symlink_to(path.resolve())
            return keras.saving.load_model(str(link), compile=False, safe_mode=True)
        finally:
            shutil.rmtree(folder, ignore_errors=True)


def run_h5(path: Path, inputs: list[np.ndarray]) -> list[np.ndarray]:
    """Load an `.h5` file with Keras and return its outputs, one array per model output in order."""
    path = Path(path)
    if not path.is_file():
        raise ExportError(f"HDF5 file {path} not found.")
    try:
        model = _load(path)
    except Exception as exc:
        raise ExportError(f"{path} is not a readable Keras HDF5 model: {_first_line(exc)}") from None
    outputs = model.predict(inputs if len(inputs) > 1 else inputs[0], verbose=0)
    if isinstance(outputs, dict):
        return [np.asarray(outputs[name]) for name in model_output_names(model)]
    if isinstance(outputs, (list, tuple)):
        return [np.asarray(o) for o in outputs]
    return [np.asarray(outputs)]
