"""Evaluate a trained model on one of the project's splits: metrics, a confusion matrix, the worst samples.

`evaluate(project, model_path)` gives loss and compiled metrics (via model.evaluate) plus, for classification,
a confusion matrix, per-class precision/recall/F1 and the worst-predicted samples; for regression MAE/RMSE,
a residuals summary and the samples with the largest error. Models are always loaded with safe_mode=True.

Every Evaluation also keeps what it found per sample (the true and predicted class of each, or each target and
prediction), so `samples_in_cell` names exactly the samples behind one confusion-matrix count,
`residual_points` gives a residual plot's points and `split_samples` the samples' inputs to show.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from builder.data import CLASSES, Dataset, as_arrays, length, load_project_dataset, take
from builder.errors import LayerboardError, first_line
from builder.model import input_names
from builder.project import RECONSTRUCTION
from builder.training.fit_data import targets_per_output
from builder.training.losses import compile_arguments, trained_outputs
from builder.training.project_model import as_project_model
from builder.training.trained_model import class_name, model_batch, probabilities

WORST_COUNT = 10


@dataclass
class Evaluation:
    """What `evaluate` found; `to_dict()` is JSON-safe and `summary()` is readable lines."""

    model_path: str  # the model file ("" when built from the project's own weights)
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
    weights: str = ""  # which weights were evaluated, in words (a run's, or the project's own)
    output: str = ""  # the output node the details are about, for a model with several outputs ("" with one)
    outputs: list[str] = field(default_factory=list)  # the outputs with a loss, any of which `output` may name
    # Per sample of the split, in its order (not in to_dict unless asked: a split can hold many samples).
    # Classification: the true and predicted class ids (N,) and the class probabilities (N, classes);
    # regression: the targets and predictions as (N, outputs) arrays.
    true_labels: np.ndarray | None = field(default=None, repr=False)
    predicted_labels: np.ndarray | None = field(default=None, repr=False)
    probabilities: np.ndarray | None = field(default=None, repr=False)
    targets: np.ndarray | None = field(default=None, repr=False)
    predictions: np.ndarray | None = field(default=None, repr=False)

    def to_dict(self, per_sample: bool = False) -> dict:
        """JSON-safe; with `per_sample` also "per_sample": each sample's true/predicted class (classification)
        or target/prediction (regression), in the split's order."""
        data = {
            "model": self.model_path, "dataset": self.dataset, "task": self.task, "split": self.split,
            "samples": self.samples, "loss": self.loss, "metrics": dict(self.metrics), "worst": list(self.worst),
            "weights": self.weights, "output": self.output,
        }
        if self.task == "classification":
            data.update(class_names=list(self.class_names), accuracy=self.accuracy,
                        confusion_matrix=[list(r) for r in self.confusion_matrix], per_class=list(self.per_class))
        else:
            data.update(mae=self.mae, rmse=self.rmse, residuals=dict(self.residuals))
        if per_sample:
            data["per_sample"] = self.per_sample()
        return data

    def per_sample(self) -> list[dict[str, Any]]:
        """One row per sample of the split: index, true and predicted class (with its probability), or index,
        target and prediction (a number, or a list for several outputs)."""
        if self.task == "classification":
            if self.true_labels is None:
                return []
            rows = []
            for i, (t, p) in enumerate(zip(self.true_labels.tolist(), self.predicted_labels.tolist())):
                names = self.class_names
                row = {"index": i, "true": class_name(names, t), "predicted": class_name(names, p)}
                if self.probabilities is not None:
                    row["confidence"] = float(self.probabilities[i, p])
                rows.append(row)
            return rows
        if self.targets is None:
            return []
        one = self.targets.shape[1] == 1

        def value(v):
            return float(v[0]) if one else [float(t) for t in v]

        return [{"index": i, "target": value(t), "prediction": value(p)}
                for i, (t, p) in enumerate(zip(self.targets, self.predictions))]

    def summary(self) -> list[str]:
        lines = [f"model:    {self.model_path or '(built from the project)'}",
                 *([f"weights:  {self.weights}"] if self.weights else []),
                 f"dataset:  {self.dataset} ({self.split} split, {self.samples} samples, {self.task})",
                 *([f"output:   {self.output} (the details below are this output's)"] if self.output else [])]
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
    model.compile(**compile_arguments(project.graph, list(model.output_names), project.training))


def _labels_for(model, y: np.ndarray, num_classes: int) -> np.ndarray:
    """Class ids one-hot encoded when the model was trained on one-hot labels (MixUp/CutMix runs)."""
    loss = getattr(model, "loss", None)
    name = getattr(loss, "name", loss) if loss is not None else None
    if name == "categorical_crossentropy" and y.ndim == 1 and num_classes:
        return np.eye(num_classes, dtype="float32")[y.astype("int64")]
    return y


def evaluate(project, model_path, dataset: Dataset | None = None, worst: int = WORST_COUNT,
             split: str | None = None, output: str | None = None) -> Evaluation:
    """Evaluate the model at model_path on the project's test split (the validation split when none is held out,
    or the split named: "train", "validation", "test"). `model_path` is a model file, or a ProjectModel (a run's
    model or the project built with its own weights), or a keras.Model.

    A multi-input set feeds each model input the array of its name. model.evaluate gives every trained output's
    loss and metrics; the details (confusion matrix or residuals) are those of `output`, by default the first
    output trained against a target (else the first trained one; a "reconstruction" output is compared with the
    inputs). An output without a loss is not evaluated."""
    chosen = as_project_model(model_path)
    model = chosen.judged(project, "evaluate")  # a distillation's student; other recipes are refused
    data = dataset or load_project_dataset(project)
    split = split or ("test" if data.has_test else "validation")
    names = list(model.output_names)
    inputs = input_names(model)
    model_batch(model, data.subset(split)[0], f"dataset '{data.name}'")  # refused with the shapes if it does not fit
    if length(data.subset(split)[0]) == 0:
        raise LayerboardError(f"The {split} split of '{data.name}' is empty; set dataset.test_split in the project "
                              "(e.g. 0.1) or evaluate another split.")
    config = project.training
    detail = _detail_output(names, config, output)
    fed = targets_per_output(data, names, config, inputs)
    x, y = fed.subset(split)
    x = {k: np.asarray(v) for k, v in x.items()} if isinstance(x, dict) else np.asarray(x)
    y = {k: np.asarray(v) for k, v in y.items()} if isinstance(y, dict) else np.asarray(y)
    _ensure_compiled(model, project)
    batch_size = config.batch_size
    target = y[detail] if isinstance(y, dict) else y
    info = data.describe().target(detail)
    loss = config.loss.get(detail) if isinstance(config.loss, dict) else config.loss
    regression = loss == RECONSTRUCTION or info is None or info.output != CLASSES
    try:
        labels = y if regression or isinstance(y, dict) else _labels_for(model, y, info.num_classes)
        results = model.evaluate(x, labels, batch_size=batch_size, verbose=0, return_dict=True)
    except Exception as exc:
        first = first_line(exc)
        raise LayerboardError(f"model.evaluate failed on the {split} split: {first}") from None
    metrics = {k: _finite(v) for k, v in results.items()}
    raw = model.predict(x, batch_size=batch_size, verbose=0)
    raw = np.asarray(raw[names.index(detail)] if isinstance(raw, (list, tuple)) else
                     raw[detail] if isinstance(raw, dict) else raw)
    common = dict(model_path=str(chosen.path or ""), weights=chosen.weights, dataset=data.name, split=split,
                  samples=int(length(x)), loss=metrics.get("loss"), metrics=metrics,
                  output=detail if len(names) > 1 else "", outputs=trained_outputs(names, config))
    if regression:
        return _regression(common, raw, target, worst)
    return _classification(common, raw, target, list(info.class_names), worst)


def _detail_output(names: list[str], config, asked: str | None) -> str:
    """The output whose confusion matrix or residuals an evaluation shows: the one asked for, else the first
    trained against a target, else the first trained one."""
    trained = trained_outputs(names, config)
    if asked is not None:
        if asked not in trained:
            raise LayerboardError(f"No trained output '{asked}' to evaluate; the model's outputs with a loss: "
                                  f"{', '.join(trained)}.")
        return asked
    losses = config.loss if isinstance(config.loss, dict) else {}
    return next((o for o in trained if losses.get(o) != RECONSTRUCTION), trained[0] if trained else names[0])


def _classification(common: dict, raw: np.ndarray, y: np.ndarray, names: list[str], worst: int) -> Evaluation:
    probs = probabilities(raw)
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
    worst_rows = [{"index": int(i), "true": class_name(names, int(true[i])), "true_probability": float(true_p[i]),
                   "predicted": class_name(names, int(pred[i])), "confidence": float(probs[i, pred[i]])}
                  for i in order]
    accuracy = float(np.trace(matrix) / matrix.sum()) if matrix.sum() else 0.0
    return Evaluation(task="classification", class_names=names, accuracy=accuracy,
                      confusion_matrix=matrix.tolist(), per_class=per_class, worst=worst_rows,
                      true_labels=true, predicted_labels=pred, probabilities=probs, **common)


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
        worst=worst_rows, targets=target, predictions=prediction, **common)


def class_index(evaluation: Evaluation, name_or_index: str | int) -> int:
    """The index of a class given by name (as the dataset names it) or by its index; an error lists the names."""
    names = evaluation.class_names
    if isinstance(name_or_index, str) and name_or_index in names:
        return names.index(name_or_index)
    try:
        index = int(name_or_index)
    except (TypeError, ValueError):
        index = -1
    if 0 <= index < len(names) and not isinstance(name_or_index, bool):
        return index
    shown = ", ".join(names[:20]) + (", …" if len(names) > 20 else "")
    raise LayerboardError(f"No class '{name_or_index}' in dataset '{evaluation.dataset}'; give a class name "
                          f"({shown}) or an index from 0 to {len(names) - 1}.")


def samples_in_cell(evaluation: Evaluation, true_class: str | int, predicted_class: str | int) -> list[int]:
    """The indices (in the evaluated split) of exactly the samples of one confusion-matrix cell: true class
    `true_class`, predicted `predicted_class` (names or indices); as many as the cell counts, in split order."""
    if evaluation.task != "classification":
        raise LayerboardError(f"Dataset '{evaluation.dataset}' is a regression set: it has no confusion matrix; "
                              "look at its residuals (the largest errors) instead.")
    if evaluation.true_labels is None:
        raise LayerboardError("This evaluation keeps no per-sample results (it was read back from JSON); "
                              "evaluate the model again.")
    t, p = class_index(evaluation, true_class), class_index(evaluation, predicted_class)
    chosen = (evaluation.true_labels == t) & (evaluation.predicted_labels == p)
    return [int(i) for i in np.flatnonzero(chosen)]


def residual_points(evaluation: Evaluation, limit: int | None = None
                    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A regression evaluation's points for a residual plot: (sample index, target, prediction - target), one
    point per sample and output value, in split order. With `limit` (the panel's is 20,000) at most that many:
    a seeded random sample of them, still in split order, so that a per-pixel mask set (1,024 values a mask) draws
    fast; `evaluation.targets.size` is how many there are in all."""
    if evaluation.task != "regression" or evaluation.targets is None:
        raise LayerboardError(f"Dataset '{evaluation.dataset}' is not a regression evaluated here: residuals need "
                              "targets and predictions (evaluate a regression model).")
    target, prediction = evaluation.targets, evaluation.predictions
    index = np.repeat(np.arange(len(target)), target.shape[1])
    target, residual = target.reshape(-1), (prediction - target).reshape(-1)
    if limit is not None and len(target) > limit:
        kept = np.sort(np.random.default_rng(0).choice(len(target), size=limit, replace=False))
        return index[kept], target[kept], residual[kept]
    return index, target, residual


def split_samples(dataset: Dataset, split: str, indices: list[int]) -> tuple[np.ndarray, np.ndarray]:
    """(x, y) of the samples at `indices` of the dataset's "train", "validation" or "test" split (read from disk
    only for those rows when the split is a lazy HDF5 array), e.g. to show a confusion cell's samples; dicts of
    arrays for a multi-input / multi-output set."""
    x, y = dataset.subset(split)
    count = length(x)
    bad = [i for i in indices if not 0 <= int(i) < count]
    if bad:
        raise LayerboardError(f"Sample {bad[0]} is not in the {split} split of '{dataset.name}', which holds "
                              f"{count} samples (indices 0 to {count - 1}).")
    rows = [int(i) for i in indices]
    return as_arrays(take(x, rows)), as_arrays(take(y, rows))
