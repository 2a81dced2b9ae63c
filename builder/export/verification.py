"""Verification of an export: sample inputs (validation data, else seeded noise) and output comparison."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from builder.errors import ExportError
from builder.model import UnreadableModelError, load_model_safely, model_input_specs, random_inputs
from builder.project import Project

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
    seeded noise for a bare model file; `representative` training samples for int8 calibration."""
    if project is not None and len(model.inputs) == 1:
        from builder.data import load_project_dataset

        data = load_project_dataset(project)
        take = count or min(len(data.x_val), MAX_SAMPLES)
        dtype = model.inputs[0].dtype
        x = np.asarray(data.x_val[:take]).astype(dtype)
        labels = None if isinstance(data.y_val, dict) else np.asarray(data.y_val[:take])
        calibration = [np.asarray(data.x_train[:representative]).astype(dtype)] if representative else None
        return VerificationData([x], f"'{data.name}' validation", labels, list(data.class_names),
                                data.is_regression, calibration)
    rng = np.random.default_rng(0)
    take = count or RANDOM_SAMPLES

    def noise(n):
        return random_inputs(model_input_specs(model), n, unknown_dim=1, normal=True, rng=rng)

    return VerificationData(noise(take), "random", representative=noise(representative) if representative else None)


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
