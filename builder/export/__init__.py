"""Export a trained model to a file format and verify the written file in its own runtime.

One module per format; each writes to a temporary path beside the target, runs the written
artifact on sample inputs, compares with the Keras model, and only then moves it into place.
"""
from __future__ import annotations

from pathlib import Path
from typing import Callable

from builder.errors import ExportError
from builder.export.report import ExportReport
from builder.project import Project

FORMATS = ("keras", "savedmodel", "tflite")
TOLERANCE = 1e-4


def _exporter(fmt: str) -> Callable:
    if fmt == "keras":
        from builder.export.keras_file import export_keras as fn
    elif fmt == "savedmodel":
        from builder.export.savedmodel import export_savedmodel as fn
    elif fmt == "tflite":
        from builder.export.tflite import export_tflite as fn
    else:
        raise ExportError(f"Unknown export format '{fmt}'. Choose one of: {', '.join(FORMATS)}.")
    return fn


def export_model(model_or_path, fmt: str, out_path: str | Path, project: Project | None = None,
                 samples: int = 64) -> ExportReport:
    """Write `fmt` to `out_path` and verify it; raises ExportError (and writes nothing) on failure."""
    from builder.export.verification import load_model_file, verification_inputs

    exporter = _exporter(fmt)
    model = load_model_file(model_or_path) if isinstance(model_or_path, (str, Path)) else model_or_path
    inputs, source = verification_inputs(model, project, samples)
    report = exporter(model, Path(out_path), inputs)
    report.samples_source = source
    return report


__all__ = ["export_model", "ExportReport", "FORMATS", "TOLERANCE"]
