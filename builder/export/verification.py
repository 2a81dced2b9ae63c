"""Verification of an export: sample inputs (validation data, else seeded noise) and output comparison."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from builder.data import CLASSES
from builder.errors import ExportError
from builder.model import (
    UnreadableModelError, input_names, load_model_safely, model_input_specs, output_names, random_inputs,
)
from builder.project import RECONSTRUCTION, Project

MAX_SAMPLES = 1000  # validation samples an export is checked on, at most
RANDOM_SAMPLES = 64  # samples of seeded noise for a model without a project


def load_model_file(path: str | Path):
    path = Path(path)
    if not path.exists():
        raise ExportError(f"Model file {path} not found. Train the project first (`train PROJECT`).")
    try:
        return load_model_safely(path)
    except UnreadableModelError as exc:
        raise ExportError(f"{path} is not a readable Keras model: {exc.reason}") from None


@dataclass
class VerificationData:
    """Samples an export is checked on, with their labels when they come from the project's dataset."""

    inputs: list[np.ndarray]
    source: str
    labels: np.ndarray | None = None
    class_names: list[str] = field(default_factory=list)
    regression: bool = False
    representative: list[np.ndarray] | None = None  # training samples for int8 calibration


def verification_data(model, project: Project | None, count: int | None, representative: int = 0) -> VerificationData:
    """The validation split of the project's dataset (up to `count` samples, default all up to 1000), or
    seeded noise for a bare model file; `representative` training samples for int8 calibration. A multi-input set
    (x a dict) gives each model input the array of its name; labels and class names are those of the model's
    first output (its target of the same name in a multi-output set)."""
    if project is not None:
        from builder.data import length, load_project_dataset

        data = load_project_dataset(project)
        names = input_names(model)
        if _feeds(data.x_val, names, model):
            take = count or min(length(data.x_val), MAX_SAMPLES)
            dtypes = [t.dtype for t in model.inputs]
            x = _arrays(data.x_val, names, take, dtypes)
            calibration = _arrays(data.x_train, names, representative, dtypes) if representative else None
            first = output_names(model)[0]
            loss = project.training.loss
            loss = loss.get(first) if isinstance(loss, dict) else loss
            # an output trained to reproduce its input, or not trained at all, has no classes to compare
            target = None if loss in (None, RECONSTRUCTION) else data.describe().target(first)
            labels = data.y_val.get(first) if isinstance(data.y_val, dict) else data.y_val
            regression = target is None or target.output != CLASSES
            labels = None if labels is None or regression else np.asarray(labels[:take])
            class_names = list(target.class_names) if target is not None else []
            return VerificationData(x, f"'{data.name}' validation", labels, class_names, regression, calibration)
    rng = np.random.default_rng(0)
    take = count or RANDOM_SAMPLES

    def noise(n):
        return random_inputs(model_input_specs(model), n, unknown_dim=1, normal=True, rng=rng)

    return VerificationData(noise(take), "random", representative=noise(representative) if representative else None)


def _feeds(x, names: list[str], model) -> bool:
    """Whether the dataset's inputs feed the model: one array for a one-input model, or an array per input name,
    each of the input's per-sample shape (an imported model beside the project's default dataset is checked on
    seeded noise instead)."""
    if isinstance(x, dict):
        if not all(name in x for name in names):
            return False
        columns = [x[name] for name in names]
    elif len(names) == 1:
        columns = [x]
    else:
        return False
    for column, tensor in zip(columns, model.inputs):
        sample = tuple(np.shape(column)[1:]) if hasattr(column, "shape") else None
        wanted = tuple(tensor.shape[1:])
        if sample is None or len(sample) != len(wanted) or any(w is not None and w != s for s, w in zip(sample, wanted)):
            return False
    return True


def _arrays(x, names: list[str], count: int, dtypes) -> list[np.ndarray]:
    """The first `count` samples of each model input, in the model's input order and dtypes."""
    columns = [x[name] for name in names] if isinstance(x, dict) else [x]
    return [np.asarray(column[:count]).astype(dtype) for column, dtype in zip(columns, dtypes)]


def as_list(outputs) -> list[np.ndarray]:
    if isinstance(outputs, dict):
        return [np.asarray(outputs[k]) for k in sorted(outputs, key=_output_index)]
    if isinstance(outputs, (list, tuple)):
        return [np.asarray(o) for o in outputs]
    return [np.asarray(outputs)]


def _output_index(name: str) -> tuple[int, str]:
    tail = name.rsplit("_", 1)[-1]
    return (int(tail), name) if tail.isdigit() else (0, name)


def max_abs_diff(expected: list[np.ndarray], actual: list[np.ndarray]) -> float:
    if len(expected) != len(actual):
        raise ExportError(f"The exported file has {len(actual)} outputs; the model has {len(expected)}.")
    diff = 0.0
    for e, a in zip(expected, actual):
        if e.shape != a.shape:
            raise ExportError(f"The exported file gives an output of shape {a.shape}; the model gives {e.shape}.")
        diff = max(diff, float(np.max(np.abs(e.astype("float64") - a.astype("float64")))) if e.size else 0.0)
    return diff


def keras_outputs(model, inputs: list[np.ndarray]) -> list[np.ndarray]:
    return as_list(model.predict(inputs if len(inputs) > 1 else inputs[0], verbose=0))
