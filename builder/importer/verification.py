"""Checking an imported project against its source model: parameter count, loaded weights, outputs on random input."""
from __future__ import annotations

from typing import Any

from builder.errors import LayerboardError
from builder.model import apply_project_weights, build_model, model_input_specs, random_inputs
from builder.project import Project


def compare_outputs(source, rebuilt, batch: int = 2, seed: int = 0) -> float:
    """Largest absolute difference between the two models' outputs on the same random input."""
    import keras
    import numpy as np

    x = random_inputs(model_input_specs(source), batch, seed=seed)
    feed = x[0] if len(x) == 1 else x
    want = keras.tree.flatten(source(feed, training=False))
    got = keras.tree.flatten(rebuilt(feed, training=False))
    if len(want) != len(got):
        raise LayerboardError(f"The imported model has {len(got)} outputs, the source {len(want)}.")
    worst = 0.0
    for a, b in zip(want, got):
        a, b = np.asarray(a), np.asarray(b)
        if a.shape != b.shape:
            raise LayerboardError(f"An output of the imported model has shape {b.shape}, the source {a.shape}.")
        if a.size:
            worst = max(worst, float(np.max(np.abs(a.astype("float64") - b.astype("float64")))))
    return worst


def verify_import(project: Project, model) -> dict[str, Any]:
    """Build the project, load its weights and compare it with the source model."""
    rebuilt = build_model(project.graph, name=project.name, folder=project.folder())
    report = apply_project_weights(rebuilt, project)
    if report is not None and report.skipped:
        raise LayerboardError("The imported weights did not load: " + report.summary())
    if rebuilt.count_params() != model.count_params():
        raise LayerboardError(f"The imported project has {rebuilt.count_params():,} parameters, the source model "
                              f"{model.count_params():,}.")
    diff = compare_outputs(model, rebuilt)
    if diff > 1e-4:
        raise LayerboardError(f"The imported project's outputs differ from the source model's by up to {diff:.3g}.")
    return {"params": int(rebuilt.count_params()), "max_abs_diff": diff,
            "weights_loaded": len(report.loaded) if report else 0}
