"""Native `.keras` export, verified by reloading it with keras.saving.load_model."""
from __future__ import annotations

from pathlib import Path

from builder.export.report import ExportReport, size_of
from builder.export.verification import keras_outputs, max_abs_diff, require_agreement
from builder.export.staging import staged


def export_keras(model, out_path: Path, inputs) -> ExportReport:
    import keras

    expected = keras_outputs(model, inputs)
    with staged(out_path, ".keras") as tmp:
        model.save(tmp)
        reloaded = keras.saving.load_model(tmp, safe_mode=True)
        diff = max_abs_diff(expected, keras_outputs(reloaded, inputs))
        require_agreement(diff, out_path)
        size = size_of(tmp)
    return ExportReport("keras", out_path, size, "keras.saving.load_model", diff, len(inputs[0]))

