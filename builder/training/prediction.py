"""Run a trained model on .npy, .csv and image files: one row per sample, and readable lines of them.

A model with several outputs gives one row per sample and output (each row names its "output"). A model with
several inputs cannot read files (one file is one sample of one input); `predict_samples` runs it on samples
already in memory (a dict of arrays, one per input name)."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from builder.data import CLASSES, REGRESSION, source
from builder.errors import LayerboardError, first_line
from builder.file_checks import require_regular_file
from builder.model import input_names
from builder.training.project_model import as_project_model
from builder.training.trained_model import class_name, model_batch, probabilities, shape_matches, shape_text

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".gif"}


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
        raise LayerboardError(f"{path}: the model expects one sample of shape {shape_text(expected)} or a batch of shape "
                              f"{shape_text((None,) + expected)}; got an array of shape {shape_text(tuple(array.shape))}.")
    if suffix == ".csv":
        if any(d is None for d in expected):
            raise LayerboardError(f"{path}: the model's input shape {shape_text(expected)} has an unknown size, so CSV rows "
                                  "cannot be reshaped to it; use a .npy file.")
        size = int(np.prod(expected))
        try:
            rows = np.loadtxt(path, delimiter=",", ndmin=2, dtype="float64")
        except Exception as exc:
            first = first_line(exc)
            raise LayerboardError(f"{path}: CSV rows must be numbers separated by commas ({first}).") from None
        if rows.shape[1] != size:
            raise LayerboardError(f"{path}: each CSV row must hold {size} numbers (one sample of shape "
                                  f"{shape_text(expected)}); got rows of {rows.shape[1]} numbers.")
        return rows.reshape((len(rows),) + tuple(expected))
    if suffix in IMAGE_SUFFIXES:
        import keras

        if len(expected) != 3 or expected[2] not in (1, 3, 4):
            raise LayerboardError(f"{path}: images need a model input of shape (height, width, 1|3|4); "
                                  f"this model expects {shape_text(expected)}.")
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


def _one_input_shape(model) -> tuple:
    """The shape of one sample of the model's only input; a model with several inputs cannot read files."""
    if len(model.inputs) != 1:
        names = ", ".join(repr(n) for n in input_names(model))
        raise LayerboardError(f"The model has {len(model.inputs)} inputs ({names}); predict reads one file per "
                              "sample of one input, so it runs models with one input. Evaluate this model on its "
                              "dataset instead (`evaluate`, or the Evaluation panel's samples).")
    return tuple(model.inputs[0].shape[1:])


def predict_files(project, model_path, paths: list[str | Path], dataset=None) -> list[dict[str, Any]]:
    """Run the model on each file; one row per sample: input, index, prediction, confidence, probabilities.
    `model_path` is a model file, a ProjectModel (a run's model or the project with its own weights) or a
    keras.Model. `dataset` (a loaded builder.data.Dataset) names the classes; without it the project's built-in
    dataset does."""
    model = as_project_model(model_path).judged(project, "predict")  # a distillation's student; other recipes refused
    expected = _one_input_shape(model)
    batches = [(str(p), load_input(p, expected)) for p in paths]
    if dataset is None and len(model.outputs) > 1:
        from builder.data import load_project_dataset

        dataset = load_project_dataset(project)
    heads = _heads(model, dataset) if dataset is not None else [("",) + _task(project)]
    rows: list[dict[str, Any]] = []
    for name, batch in batches:
        rows.extend(_predict_rows(model, batch, name, heads))
    return rows


def predict_samples(model_path, x, dataset, name: str = "sample", indices: list[int] | None = None
                    ) -> list[dict[str, Any]]:
    """Run the model on samples already in memory (e.g. one sample of a split: `x` of shape (N, *input), or a dict
    of such arrays by input name for a multi-input set), one row per sample (and output) as `predict_files` gives;
    `indices` name them (default 0..N-1); the dataset names the classes."""
    model = as_project_model(model_path).load()
    batch = model_batch(model, x, "the samples")
    if isinstance(batch, dict):
        batch = {k: np.asarray(v) for k, v in batch.items()}
    else:
        batch = np.asarray(batch)
    rows = _predict_rows(model, batch, name, _heads(model, dataset))
    if indices is not None:
        per_sample = max(1, len(model.outputs))
        for i, row in enumerate(rows):
            row["index"] = int(indices[i // per_sample])
    return rows


def _heads(model, dataset) -> list[tuple[str, bool, list[str]]]:
    """(output name, is regression, class names) per model output: "" for a model's only output. An output is
    read as classes when the dataset's target of its name (or its one target) has classes and the output's last
    dimension scores them (an autoencoder's reconstruction or bottleneck is read as values)."""
    if len(model.outputs) == 1:
        return [("", dataset.is_regression, list(dataset.class_names))]
    info = dataset.describe()
    heads = []
    for name, tensor in zip(model.output_names, model.outputs):
        target = info.target(name)
        width = tensor.shape[-1] if len(tensor.shape) == 2 else None
        classes = target is not None and target.output == CLASSES and width in (
            target.num_classes, 1 if target.num_classes == 2 else -1)
        heads.append((name, not classes, list(target.class_names) if classes else []))
    return heads


def _predict_rows(model, batch, name: str, heads: list[tuple[str, bool, list[str]]]) -> list[dict[str, Any]]:
    """One row per sample, or per sample and output (in that order) for a model with several outputs."""
    dtypes = [str(getattr(t, "dtype", "float32") or "float32") for t in model.inputs]
    if isinstance(batch, dict):
        batch = {k: np.asarray(v).astype(dtype) for (k, v), dtype in zip(batch.items(), dtypes)}
        count = len(next(iter(batch.values())))
    else:
        batch = batch.astype(dtypes[0])
        count = len(batch)
    raw = model.predict(batch, verbose=0)
    outputs = list(raw) if isinstance(raw, (list, tuple)) else [raw]
    per_output = [_output_rows(np.asarray(values), regression, names)
                  for values, (_, regression, names) in zip(outputs, heads)]
    rows: list[dict[str, Any]] = []
    for i in range(count):
        for (output, _, _), values in zip(heads, per_output):
            row = {"input": name, "index": i, **values[i]}
            if output:
                row["output"] = output
            rows.append(row)
    return rows


def _output_rows(raw: np.ndarray, regression: bool, names: list[str]) -> list[dict[str, Any]]:
    if regression:
        values = raw.reshape(len(raw), -1)
        return [{"prediction": float(v[0]) if v.size == 1 else [float(t) for t in v], "confidence": None,
                 "probabilities": None} for v in values]
    rows = []
    for p in probabilities(raw):
        best = int(p.argmax())
        rows.append({"prediction": class_name(names, best), "confidence": float(p[best]),
                     "probabilities": [float(v) for v in p]})
    return rows


def format_predictions(rows: list[dict[str, Any]]) -> list[str]:
    lines = []
    for r in rows:
        where = f"{r['input']}[{r['index']}]" + (f" {r['output']}:" if r.get("output") else "")
        if r["confidence"] is None:
            value = r["prediction"]
            shown = f"{value:.4g}" if isinstance(value, float) else ", ".join(f"{v:.4g}" for v in value)
            lines.append(f"{where}  {shown}")
        else:
            lines.append(f"{where}  {r['prediction']}  ({r['confidence']:.1%})")
    return lines
