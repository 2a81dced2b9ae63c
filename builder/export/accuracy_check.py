"""A written file's predictions against the Keras model's: class agreement and accuracy, the accuracy-drop gate
for quantised files, and the layers that int8 hurts most (named in a refusal)."""
from __future__ import annotations

import re

import numpy as np

from builder.errors import ExportError
from builder.export.report import ExportReport
from builder.model import output_names as model_output_names

DEFAULT_INT8_DROP = 1.0  # percentage points of validation accuracy


def _classes(outputs: np.ndarray) -> np.ndarray:
    return outputs.argmax(axis=-1) if outputs.shape[-1] > 1 else (outputs[..., 0] > 0.5).astype("int64")


def compare_classes(report: ExportReport, expected, actual, data) -> None:
    """Class agreement (and accuracy before/after on the labels) of the first output, for classifiers."""
    if data.regression or expected[0].ndim != 2:
        if data.regression:
            report.rmse_vs_keras = float(np.sqrt(np.mean((expected[0] - np.asarray(actual[0])) ** 2)))
        return
    keras_classes, export_classes = _classes(expected[0]), _classes(np.asarray(actual[0], "float32"))
    report.class_agreement = float(np.mean(keras_classes == export_classes))
    if data.labels is not None and data.labels.ndim == 1:
        report.accuracy_keras = float(np.mean(keras_classes == data.labels))
        report.accuracy_export = float(np.mean(export_classes == data.labels))
        report.accuracy_drop = round((report.accuracy_keras - report.accuracy_export) * 100.0, 4)


def judge_quantized(report: ExportReport, expected, actual, data, options, model) -> None:
    """Compare classes, then refuse (ExportError) a file whose accuracy drops more than `max_accuracy_drop`
    (DEFAULT_INT8_DROP for int8), naming the layers that lose the most."""
    compare_classes(report, expected, actual, data)
    limit = options.max_accuracy_drop
    if limit is None and options.quantization == "int8":
        limit = DEFAULT_INT8_DROP
    report.max_accuracy_drop = limit
    if limit is None or report.accuracy_drop is None or report.accuracy_drop <= limit:
        return
    report.verified = False
    worst = worst_layers(model, data) if options.quantization == "int8" else []
    report.worst_layers = worst
    names = ", ".join(f"{w['layer']} (error {w['error']:.3g})" for w in worst[:5]) or "not available"
    raise ExportError(
        f"Refused: the {options.quantization} file's validation accuracy is {report.accuracy_export:.1%} against "
        f"the Keras model's {report.accuracy_keras:.1%}, a drop of {report.accuracy_drop:.2f} points (allowed "
        f"{limit:g}; --max-accuracy-drop). Layers that lose the most in int8: {names}. Keep those in float "
        "(export float16 or dynamic-range), or raise --max-accuracy-drop. Nothing was written.")


def worst_layers(model, data) -> list[dict]:
    """The layers whose int8 outputs stray most from float32 (TFLite's QuantizationDebugger), worst first."""
    try:
        from builder.export.tflite_convert import quantization_report

        rows = quantization_report(model, data.representative)
    except Exception:  # the debugger is a help for the message, never a second failure
        return []
    worst: dict[str, float] = {}
    for row in rows:
        worst.setdefault(layer_of_tensor(row.name, model), float(row.rmse_per_scale))
    return [{"layer": k, "error": v} for k, v in list(worst.items())[:10]]


def layer_of_tensor(tensor_name: str, model) -> str:
    """The block a TFLite tensor comes from: its name is a ';'-joined list of TF op paths such as
    'digits_cnn_1/conv2d_2_1/Relu', in which Keras's tracing added '_1' to the model's and layers' names."""
    layers = {layer.name for layer in model.layers}
    traced_model = re.compile(re.escape(model.name) + r"_\d+")
    for piece in tensor_name.split(";"):
        parts = piece.split("/")
        traced = bool(traced_model.fullmatch(parts[0]))  # 'digits_cnn_1/...': every name in it got a suffix
        for part in parts[1:] if traced else parts:
            stripped = re.sub(r"_\d+$", "", part)
            for candidate in ((stripped, part) if traced else (part, stripped)):
                if candidate in layers and candidate != model.name:
                    return candidate
    if tensor_name.startswith("StatefulPartitionedCall"):
        return "model output (" + ", ".join(model_output_names(model)) + ")"
    return tensor_name
