"""TensorFlow SavedModel export (`model.export`), verified by tf.saved_model.load and its serving signature."""
from __future__ import annotations

from pathlib import Path

from builder.export.report import ExportReport, size_of
from builder.export.verification import as_list, input_names, keras_outputs, max_abs_diff, require_agreement
from builder.export.staging import staged


def export_savedmodel(model, out_path: Path, inputs) -> ExportReport:
    import tensorflow as tf

    expected = keras_outputs(model, inputs)
    with staged(out_path) as tmp:
        model.export(str(tmp), format="tf_saved_model", verbose=False)
        serving = tf.saved_model.load(str(tmp)).signatures["serving_default"]
        feeds = {name: tf.constant(x) for name, x in zip(input_names(model), inputs)}
        diff = max_abs_diff(expected, as_list({k: v.numpy() for k, v in serving(**feeds).items()}))
        require_agreement(diff, out_path)
        size = size_of(tmp)
    return ExportReport("savedmodel", out_path, size, "tf.saved_model (serving_default)", diff, len(inputs[0]))
