"""Evaluate a trained model on the project's validation split, and run it on input files (no Qt here).

`evaluate(project, model_path)` gives loss and compiled metrics (via model.evaluate) plus, for classification,
a confusion matrix, per-class precision/recall/F1 and the worst-predicted samples; for regression MAE/RMSE,
a residuals summary and the samples with the largest error. `predict_files(project, model_path, paths)` runs
the model on .npy, .csv and image files. Models are always loaded with safe_mode=True.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from builder.data.datasets import Dataset, load_project_dataset
from builder.errors import LayerboardError
from builder.model import load_model_safely

WORST_COUNT = 10
IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".gif"}


def load_model(model_path: str | Path):
    from builder.training import keras_objects  # noqa: F401  (registers Layerboard's losses and metrics for loading)

    path = Path(model_path)
    if not path.exists():
        raise LayerboardError(f"{path}: model file not found. Train the project first or pass --run DIR "
                              "(a run folder holding model.keras).")
    return load_model_safely(path)  # its error says "<path>: cannot load the model: <Keras's reason>"


def _single_input_shape(model) -> tuple:
    if len(model.inputs) != 1 or len(model.outputs) != 1:
        raise LayerboardError(f"The model has {len(model.inputs)} input(s) and {len(model.outputs)} output(s); "
                              "evaluate and predict support models with one input and one output.")
    return tuple(model.inputs[0].shape[1:])


def _probabilities(raw: np.ndarray) -> np.ndarray:
    """Class probabilities from the model's output: kept when already a distribution, else softmax/sigmoid."""
    raw = np.asarray(raw, dtype="float64")
    raw = raw.reshape(len(raw), -1)
    if raw.shape[1] == 1:  # one sigmoid unit: binary classification
        p = raw[:, 0]
        if p.size and (p.min() < 0 or p.max() > 1):
            p = 1.0 / (1.0 + np.exp(-p))
        return np.stack([1.0 - p, p], axis=1)
    if raw.size and raw.min() >= 0 and np.allclose(raw.sum(axis=1), 1.0, atol=1e-3):
        return raw
    shifted = np.exp(raw - raw.max(axis=1, keepdims=True))  # logits
    return shifted / shifted.sum(axis=1, keepdims=True)


def _class_name(names: list[str], index: int) -> str:
    return names[index] if 0 <= index < len(names) else str(index)


@dataclass
class Evaluation:
    """What `evaluate` found; `to_dict()` is JSON-safe and `summary()` is readable lines."""

    model_path: str
    dataset: str
    task: str  # "classification" or "regression"
    split: str
    samples: int
    loss: float | None
    metrics: dict[str, float] = field(default_factory=dict)
    class_names: list[str] = field(default_factory=list)
    accuracy: float | None = None
    confusion_matrix: list[list[int]] = field(default_factory=list)
    per_class: list[dict[str, Any]] = field(default_factory=list)
    mae: float | None = None
    rmse: float | None = None
    residuals: dict[str, float] = field(default_factory=dict)
    worst: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict:
        data = {
            "model": self.model_path, "dataset": self.dataset, "task": self.task, "split": self.split,
            "samples": self.samples, "loss": self.loss, "metrics": dict(self.metrics), "worst": list(self.worst),
        }
        if self.task == "classification":
            data.update(class_names=list(self.class_names), accuracy=self.accuracy,
                        confusion_matrix=[list(r) for r in self.confusion_matrix], per_class=list(self.per_class))
        else:
            data.update(mae=self.mae, rmse=self.rmse, residuals=dict(self.residuals))
        return data

    def summary(self) -> list[str]:
        lines = [f"model:    {self.model_path}",
                 f"dataset:  {self.dataset} ({self.split} split, {self.samples} samples, {self.task})"]
        shown = "  ".join(f"{k} {v:.4f}" if v is not None else f"{k} n/a" for k, v in self.metrics.items())
        lines.append(f"model.evaluate: {shown}")
        if self.task == "classification":
            lines.append(f"accuracy: {self.accuracy:.4f} (from the confusion matrix)")
            lines.append("")
            width = max([5] + [len(n) for n in self.class_names])
            lines.append(f"{'class':<{width}}  {'precision':>9}  {'recall':>6}  {'f1':>6}  {'support':>7}")
            for row in self.per_class:
                lines.append(f"{row['class']:<{width}}  {row['precision']:>9.3f}  {row['recall']:>6.3f}  "
                             f"{row['f1']:>6.3f}  {row['support']:>7}")
            lines.append("")
            lines.append("confusion matrix (rows = true class, columns = predicted):")
            cell = max([4, width] + [len(str(v)) for r in self.confusion_matrix for v in r])
            lines.append(" " * width + "  " + " ".join(f"{n:>{cell}}" for n in self.class_names))
            for name, row in zip(self.class_names, self.confusion_matrix):
                lines.append(f"{name:<{width}}  " + " ".join(f"{v:>{cell}}" for v in row))
            lines.append("")
            lines.append("worst-predicted samples (lowest probability of the true class):")
            lines.append(f"{'index':>6}  {'true':<{width}}  {'p(true)':>7}  {'predicted':<{width}}  {'confidence':>10}")
            for w in self.worst:
                lines.append(f"{w['index']:>6}  {w['true']:<{width}}  {w['true_probability']:>7.3f}  "
                             f"{w['predicted']:<{width}}  {w['confidence']:>10.3f}")
        else:
            lines.append(f"mae:      {self.mae:.4f}")
            lines.append(f"rmse:     {self.rmse:.4f}")
            r = self.residuals
            lines.append(f"residuals (prediction - target): mean {r['mean']:.4f}  std {r['std']:.4f}  "
                         f"max abs {r['max_abs']:.4f}")
            lines.append("")
            lines.append("worst samples (largest absolute error):")
            lines.append(f"{'index':>6}  {'target':>10}  {'prediction':>10}  {'abs error':>10}")
            for w in self.worst:
                lines.append(f"{w['index']:>6}  {w['target']:>10.4f}  {w['prediction']:>10.4f}  {w['abs_error']:>10.4f}")
        return lines


def _finite(value) -> float | None:
    value = float(value)
    return value if math.isfinite(value) else None


def _ensure_compiled(model, project) -> None:
    if getattr(model, "compiled", True):
        return
    from builder.training.losses import compile_arguments

    model.compile(**compile_arguments(project.graph, list(model.output_names), project.training))


def _labels_for(model, y: np.ndarray, num_classes: int) -> np.ndarray:
    """Class ids one-hot encoded when the model was trained on one-hot labels (MixUp/CutMix runs)."""
    loss = getattr(model, "loss", None)
    name = getattr(loss, "name", loss) if loss is not None else None
    if name == "categorical_crossentropy" and y.ndim == 1 and num_classes:
        return np.eye(num_classes, dtype="float32")[y.astype("int64")]
    return y


def evaluate(project, model_path: str | Path, dataset: Dataset | None = None, worst: int = WORST_COUNT,
             split: str | None = None) -> Evaluation:
    """Evaluate the model at model_path on the project's test split (the validation split when none is held out,
    or the split named: "train", "validation", "test")."""
    model = load_model(model_path)
    expected = _single_input_shape(model)
    data = dataset or load_project_dataset(project)
    split = split or ("test" if data.has_test else "validation")
    x, y = (np.asarray(v) for v in data.subset(split))
    if len(x) == 0:
        raise LayerboardError(f"The {split} split of '{data.name}' is empty; set dataset.test_split in the project "
                              "(e.g. 0.1) or evaluate another split.")
    if not _shape_matches(expected, tuple(x.shape[1:])):
        raise LayerboardError(f"The model expects inputs of shape {expected}, but dataset '{data.name}' has "
                              f"samples of shape {tuple(x.shape[1:])}.")
    _ensure_compiled(model, project)
    batch_size = project.training.batch_size
    try:
        labels = y if data.is_regression else _labels_for(model, y, data.num_classes)
        results = model.evaluate(x, labels, batch_size=batch_size, verbose=0, return_dict=True)
    except Exception as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise LayerboardError(f"model.evaluate failed on the {split} split: {first}") from None
    metrics = {k: _finite(v) for k, v in results.items()}
    raw = np.asarray(model.predict(x, batch_size=batch_size, verbose=0))
    common = dict(model_path=str(model_path), dataset=data.name, split=split, samples=int(len(x)),
                  loss=metrics.get("loss"), metrics=metrics)
    if data.is_regression:
        return _regression(common, raw, y, worst)
    return _classification(common, raw, y, list(data.class_names), worst)


def _classification(common: dict, raw: np.ndarray, y: np.ndarray, names: list[str], worst: int) -> Evaluation:
    probs = _probabilities(raw)
    k = max(probs.shape[1], len(names))
    names = names + [str(i) for i in range(len(names), k)]
    true = np.asarray(y).astype("int64").reshape(-1)
    pred = probs.argmax(axis=1)
    matrix = np.zeros((k, k), dtype="int64")
    np.add.at(matrix, (true, pred), 1)
    per_class = []
    for i, name in enumerate(names):
        tp = int(matrix[i, i])
        support = int(matrix[i].sum())
        predicted = int(matrix[:, i].sum())
        precision = tp / predicted if predicted else 0.0
        recall = tp / support if support else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        per_class.append({"class": name, "precision": precision, "recall": recall, "f1": f1, "support": support})
    true_p = probs[np.arange(len(true)), true]
    order = np.argsort(true_p, kind="stable")[:worst]
    worst_rows = [{"index": int(i), "true": _class_name(names, int(true[i])), "true_probability": float(true_p[i]),
                   "predicted": _class_name(names, int(pred[i])), "confidence": float(probs[i, pred[i]])}
                  for i in order]
    accuracy = float(np.trace(matrix) / matrix.sum()) if matrix.sum() else 0.0
    return Evaluation(task="classification", class_names=names, accuracy=accuracy,
                      confusion_matrix=matrix.tolist(), per_class=per_class, worst=worst_rows, **common)


def _regression(common: dict, raw: np.ndarray, y: np.ndarray, worst: int) -> Evaluation:
    target = np.asarray(y, dtype="float64").reshape(len(y), -1)
    prediction = np.asarray(raw, dtype="float64").reshape(len(raw), -1)
    residual = (prediction - target).reshape(len(target), -1)
    per_sample = np.abs(residual).mean(axis=1)
    order = np.argsort(-per_sample, kind="stable")[:worst]
    worst_rows = [{"index": int(i), "target": float(target[i].mean()), "prediction": float(prediction[i].mean()),
                   "abs_error": float(per_sample[i])} for i in order]
    flat = residual.reshape(-1)
    return Evaluation(
        task="regression", mae=float(np.abs(flat).mean()), rmse=float(np.sqrt((flat ** 2).mean())),
        residuals={"mean": float(flat.mean()), "std": float(flat.std()), "max_abs": float(np.abs(flat).max())},
        worst=worst_rows, **common)


# --- predict on files ------------------------------------------------------------------------------------------

def _shape_matches(expected: tuple, got: tuple) -> bool:
    return len(expected) == len(got) and all(e is None or e == g for e, g in zip(expected, got))


def _fmt(shape: tuple) -> str:
    return "(" + ", ".join("None" if d is None else str(d) for d in shape) + ("," if len(shape) == 1 else "") + ")"


def load_input(path: str | Path, expected: tuple) -> np.ndarray:
    """A batch (N, *expected) from one .npy, .csv or image file, or a clear error naming expected vs got."""
    path = Path(path)
    if not path.exists():
        raise LayerboardError(f"{path}: input file not found.")
    suffix = path.suffix.lower()
    if suffix == ".npy":
        try:
            array = np.load(path, allow_pickle=False)
        except Exception as exc:
            raise LayerboardError(f"{path}: not a readable .npy array ({exc}).") from None
        if _shape_matches(expected, tuple(array.shape)):
            return array[np.newaxis]
        if array.ndim >= 1 and _shape_matches(expected, tuple(array.shape[1:])):
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
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
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
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
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
    from builder.data.datasets import REGRESSION, source

    src = source(project.dataset.name)
    if src.output == REGRESSION:
        return True, []
    return False, list(src()[2])


def predict_files(project, model_path: str | Path, paths: list[str | Path]) -> list[dict[str, Any]]:
    """Run the model on each file; one row per sample: input, index, prediction, confidence, probabilities."""
    model = load_model(model_path)
    expected = _single_input_shape(model)
    batches = [(str(p), load_input(p, expected)) for p in paths]
    regression, names = _task(project)
    dtype = str(getattr(model.inputs[0], "dtype", "float32") or "float32")
    rows: list[dict[str, Any]] = []
    for name, batch in batches:
        raw = np.asarray(model.predict(batch.astype(dtype), verbose=0))
        if regression:
            values = raw.reshape(len(raw), -1)
            for i, v in enumerate(values):
                value = float(v[0]) if v.size == 1 else [float(t) for t in v]
                rows.append({"input": name, "index": i, "prediction": value, "confidence": None,
                             "probabilities": None})
            continue
        probs = _probabilities(raw)
        for i, p in enumerate(probs):
            best = int(p.argmax())
            rows.append({"input": name, "index": i, "prediction": _class_name(names, best),
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
