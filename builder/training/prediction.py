"""Run a trained model on .npy, .csv and image files: one row per sample, and readable lines of them."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from builder.data import REGRESSION, source
from builder.errors import LayerboardError, first_line
from builder.file_checks import require_regular_file
from builder.training.project_model import as_project_model
from builder.training.trained_model import class_name, probabilities, shape_matches, single_input_shape

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".gif"}


def _fmt(shape: tuple) -> str:
    return "(" + ", ".join("None" if d is None else str(d) for d in shape) + ("," if len(shape) == 1 else "") + ")"


def load_input(path: str | Path, expected: tuple) -> np.ndarray:
    """A batch (N, *expected) from one .npy, .csv or image file, or a clear error naming expected vs got."""
    path = Path(path)
    if not path.exists():
        raise LayerboardError(f"{path}: input file not found.")
    require_regular_file(path, "input file")  # a FIFO or a device would block or never end
    suffix = path.suffix.lower()
    if suffix == ".npy":
        try:
            array = np.load(path, allow_pickle=False)
        except Exception as exc:
            raise LayerboardError(f"{path}: not a readable .npy array ({exc}).") from None
        if shape_matches(expected, tuple(array.shape)):
            return array[np.newaxis]
        if array.ndim >= 1 and shape_matches(expected, tuple(array.shape[1:])):
            return array
        raise LayerboardError(f"{path}: the model expects one sample of shape {_fmt(expected)} or a batch of shape "
                              f"{_fmt((None,) + expected)}; got an array of shape {_fmt(tuple(array.shape))}.")
    if suffix == ".csv":
        if any(d is None for d in expected):
            raise LayerboardError(f"{path}: the model's input shape {_fmt(expected)} has an unknown size, so CSV rows "
                                  "cannot be reshaped to it; use a .npy file.")
        size = int(np.prod(expected))
        try:
            rows = np.loadtxt(path, delimiter=",", ndmin=2, dtype="float64")
        except Exception as exc:
            first = first_line(exc)
            raise LayerboardError(f"{path}: CSV rows must be numbers separated by commas ({first}).") from None
        if rows.shape[1] != size:
            raise LayerboardError(f"{path}: each CSV row must hold {size} numbers (one sample of shape "
                                  f"{_fmt(expected)}); got rows of {rows.shape[1]} numbers.")
        return rows.reshape((len(rows),) + tuple(expected))
    if suffix in IMAGE_SUFFIXES:
        import keras

        if len(expected) != 3 or expected[2] not in (1, 3, 4):
            raise LayerboardError(f"{path}: images need a model input of shape (height, width, 1|3|4); "
                                  f"this model expects {_fmt(expected)}.")
        mode = {1: "grayscale", 3: "rgb", 4: "rgba"}[expected[2]]
        size = (expected[0], expected[1]) if expected[0] and expected[1] else None
        try:
            try:
                image = keras.utils.load_img(str(path), color_mode=mode, target_size=size)
                array = keras.utils.img_to_array(image, dtype="float32")
            except ImportError:  # keras's load_img needs Pillow; TensorFlow decodes PNG/JPEG/BMP/GIF itself
                array = _decode_with_tensorflow(path, expected[2], size)
        except LayerboardError:
            raise
        except Exception as exc:
            first = first_line(exc)
            raise LayerboardError(f"{path}: cannot read the image ({first}).") from None
        return array[np.newaxis]
    raise LayerboardError(f"{path}: unsupported input file type '{path.suffix}'; use .npy, .csv or an image "
                          f"({', '.join(sorted(IMAGE_SUFFIXES))}).")


def _decode_with_tensorflow(path: Path, channels: int, size: tuple | None) -> np.ndarray:
    try:
        import tensorflow as tf
    except ImportError:
        raise LayerboardError(f"{path}: reading images needs Pillow (pip install pillow).") from None
    image = tf.io.decode_image(path.read_bytes(), channels=channels, expand_animations=False)
    if size is not None and tuple(image.shape[:2]) != tuple(size):
        image = tf.image.resize(image, size, method="nearest")  # as load_img's default interpolation
    return np.asarray(image, dtype="float32")


def _task(project) -> tuple[bool, list[str]]:
    """(is_regression, class names) of the project's dataset."""
    src = source(project.dataset.name)
    if src.output == REGRESSION:
        return True, []
    return False, list(src()[2])


def predict_files(project, model_path, paths: list[str | Path], dataset=None) -> list[dict[str, Any]]:
    """Run the model on each file; one row per sample: input, index, prediction, confidence, probabilities.
    `model_path` is a model file, a ProjectModel (a run's model or the project with its own weights) or a
    keras.Model. `dataset` (a loaded builder.data.Dataset) names the classes; without it the project's built-in
    dataset does."""
    model = as_project_model(model_path).load()
    expected = single_input_shape(model)
    batches = [(str(p), load_input(p, expected)) for p in paths]
    regression, names = _task(project) if dataset is None else (dataset.is_regression, list(dataset.class_names))
    rows: list[dict[str, Any]] = []
    for name, batch in batches:
        rows.extend(_predict_rows(model, batch, name, regression, names))
    return rows


def predict_samples(model_path, x, dataset, name: str = "sample", indices: list[int] | None = None
                    ) -> list[dict[str, Any]]:
    """Run the model on samples already in memory (e.g. one sample of a split: `x` of shape (N, *input)), one row
    per sample as `predict_files` gives; `indices` name them (default 0..N-1); the dataset names the classes."""
    model = as_project_model(model_path).load()
    expected = single_input_shape(model)
    batch = np.asarray(x)
    if not shape_matches(expected, tuple(batch.shape[1:])):
        raise LayerboardError(f"The model expects inputs of shape {_fmt(expected)}, but the samples have shape "
                              f"{_fmt(tuple(batch.shape[1:]))}.")
    rows = _predict_rows(model, batch, name, dataset.is_regression, list(dataset.class_names))
    if indices is not None:
        for row, index in zip(rows, indices):
            row["index"] = int(index)
    return rows


def _predict_rows(model, batch: np.ndarray, name: str, regression: bool, names: list[str]) -> list[dict[str, Any]]:
    dtype = str(getattr(model.inputs[0], "dtype", "float32") or "float32")
    raw = np.asarray(model.predict(batch.astype(dtype), verbose=0))
    rows: list[dict[str, Any]] = []
    if regression:
        values = raw.reshape(len(raw), -1)
        for i, v in enumerate(values):
            value = float(v[0]) if v.size == 1 else [float(t) for t in v]
            rows.append({"input": name, "index": i, "prediction": value, "confidence": None,
                         "probabilities": None})
        return rows
    probs = probabilities(raw)
    for i, p in enumerate(probs):
        best = int(p.argmax())
        rows.append({"input": name, "index": i, "prediction": class_name(names, best),
                     "confidence": float(p[best]), "probabilities": [float(v) for v in p]})
    return rows


def format_predictions(rows: list[dict[str, Any]]) -> list[str]:
    lines = []
    for r in rows:
        if r["confidence"] is None:
            value = r["prediction"]
            shown = f"{value:.4g}" if isinstance(value, float) else ", ".join(f"{v:.4g}" for v in value)
            lines.append(f"{r['input']}[{r['index']}]  {shown}")
        else:
            lines.append(f"{r['input']}[{r['index']}]  {r['prediction']}  ({r['confidence']:.1%})")
    return lines
