"""Export a trained model to a file format and verify the written file in its own runtime.

Every export goes the same way: the format's writer (builder.export.writers) puts the artifact under a temporary
name beside the target; a fresh Python process that does not import Layerboard loads it in the runtime that will
run it (builder.export.runtime_check) and runs the project's validation samples; the outputs are compared with
the Keras model's; only then is the artifact moved into place, with export_report.json (and, for a TFLite
classifier, labels.txt) beside it. A failed verification leaves nothing at the target path.

Float exports must agree with Keras within TOLERANCE (max abs difference). Quantised TFLite files (float16,
dynamic-range, int8) are compared on predicted classes and validation accuracy (or RMSE against Keras for
regression); `max_accuracy_drop` (percentage points, default 1.0 for int8) refuses a file that loses more and
names the layers that lose the most.
"""
from __future__ import annotations

import re

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from builder.errors import ExportError
from builder.export.report import ExportReport
from builder.project import Project

FORMATS = ("keras", "h5", "savedmodel", "tflite", "onnx")
QUANTIZATIONS = ("float32", "float16", "dynamic", "int8")
IO_TYPES = ("float32", "int8", "uint8")
TOLERANCE = 1e-4
DEFAULT_INT8_DROP = 1.0  # percentage points of validation accuracy
LABELS_FILE = "labels.txt"


@dataclass
class ExportOptions:
    quantization: str = "float32"  # TFLite only
    io_type: str = "float32"  # TFLite int8: the type of the file's inputs and outputs (int8/uint8 for MCUs)
    representative_samples: int = 200  # training samples that calibrate int8
    max_accuracy_drop: float | None = None  # percentage points; None = DEFAULT_INT8_DROP for int8, no gate else
    samples: int | None = None  # verification samples (default: the validation split, up to 1000)


@dataclass
class ExportContext:
    """What a writer may need besides the model."""

    options: ExportOptions
    input_names: list[str]
    output_names: list[str]
    class_names: list[str] = field(default_factory=list)
    representative: list[np.ndarray] | None = None
    converter_options: list[str] = field(default_factory=list)


def _check_options(fmt: str, options: ExportOptions) -> None:
    if fmt not in FORMATS:
        raise ExportError(f"Unknown export format '{fmt}'. Choose one of: {', '.join(FORMATS)}, python.")
    if options.quantization not in QUANTIZATIONS:
        raise ExportError(f"Unknown quantization '{options.quantization}'; choose {', '.join(QUANTIZATIONS)}.")
    if options.io_type not in IO_TYPES:
        raise ExportError(f"Unknown input/output type '{options.io_type}'; choose {', '.join(IO_TYPES)}.")
    if fmt != "tflite" and (options.quantization != "float32" or options.io_type != "float32"):
        raise ExportError(f"Quantization is a TFLite option; {fmt} files are float32. Use --format tflite.")
    if options.io_type != "float32" and options.quantization != "int8":
        raise ExportError(f"--io-type {options.io_type} needs full-integer quantization (--quantization int8).")
    if options.representative_samples < 1:
        raise ExportError("representative_samples must be at least 1.")


def export_model(model_or_path, fmt: str, out_path: str | Path, project: Project | None = None,
                 samples: int | None = None, options: ExportOptions | None = None) -> ExportReport:
    """Write `fmt` to `out_path` and verify it; raises ExportError (and writes nothing) on failure."""
    from builder.files import atomic_path
    from builder.export.verification import input_names, load_model_file, output_names, verification_data
    from builder.export.writers import SUFFIXES, WRITERS, check_target

    options = options or ExportOptions()
    if samples is not None:
        options.samples = samples
    _check_options(fmt, options)
    out_path = Path(out_path)
    check_target(fmt, out_path)
    model = load_model_file(model_or_path) if isinstance(model_or_path, (str, Path)) else model_or_path
    data = verification_data(model, project, options.samples,
                             options.representative_samples if options.quantization == "int8" else 0)
    context = ExportContext(options, input_names(model), output_names(model), data.class_names, data.representative)
    with atomic_path(out_path, SUFFIXES[fmt][1]) as tmp:
        WRITERS[fmt](model, tmp, context)
        report = verify_artifact(fmt, tmp, model, data, context, out_path)
    if fmt == "tflite" and data.class_names and not data.regression:
        labels = out_path.with_name(LABELS_FILE)
        labels.write_text("\n".join(data.class_names) + "\n")
        report.labels_file = str(labels)
    report.write_json()
    return report


def verify_artifact(fmt: str, artifact: Path, model, data, context: ExportContext, out_path: Path) -> ExportReport:
    """Run the written artifact in its own runtime (fresh process) and judge it against the Keras model;
    raises ExportError when it computes something else (float) or loses too much accuracy (quantised)."""
    from builder.export.fresh_process import run_exported
    from builder.export.report import size_of
    from builder.export.verification import keras_outputs

    options = context.options
    expected = keras_outputs(model, data.inputs)
    run = run_exported(fmt, artifact, data.inputs, context.input_names, context.output_names)
    report = ExportReport(fmt, out_path, size_of(artifact), run.runtime, _max_diff(expected, run.outputs),
                          len(data.inputs[0]), data.source, quantization=options.quantization,
                          latency_ms_per_sample=round(run.latency_ms, 4), converter_options=context.converter_options)
    if options.quantization != "float32":
        _judge_quantized(report, expected, run.outputs, data, options, model)
        return report
    report.tolerance = TOLERANCE
    _compare_classes(report, expected, run.outputs, data)
    if report.max_abs_diff > TOLERANCE:
        raise ExportError(f"Verification failed: the written file's outputs differ from the Keras model's by "
                          f"{report.max_abs_diff:.3g} (allowed {TOLERANCE:g}); nothing was written to {out_path}.")
    return report


def _max_diff(expected, actual) -> float:
    from builder.export.verification import max_abs_diff

    return max_abs_diff(expected, [np.asarray(a, dtype="float32") for a in actual])


def _classes(outputs: np.ndarray) -> np.ndarray:
    return outputs.argmax(axis=-1) if outputs.shape[-1] > 1 else (outputs[..., 0] > 0.5).astype("int64")


def _compare_classes(report: ExportReport, expected, actual, data) -> None:
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


def _judge_quantized(report: ExportReport, expected, actual, data, options: ExportOptions, model) -> None:
    _compare_classes(report, expected, actual, data)
    limit = options.max_accuracy_drop
    if limit is None and options.quantization == "int8":
        limit = DEFAULT_INT8_DROP
    report.max_accuracy_drop = limit
    if limit is None or report.accuracy_drop is None or report.accuracy_drop <= limit:
        return
    report.verified = False
    worst = _worst_layers(model, data) if options.quantization == "int8" else []
    report.worst_layers = worst
    names = ", ".join(f"{w['layer']} (error {w['error']:.3g})" for w in worst[:5]) or "not available"
    raise ExportError(
        f"Refused: the {options.quantization} file's validation accuracy is {report.accuracy_export:.1%} against "
        f"the Keras model's {report.accuracy_keras:.1%}, a drop of {report.accuracy_drop:.2f} points (allowed "
        f"{limit:g}; --max-accuracy-drop). Layers that lose the most in int8: {names}. Keep those in float "
        "(export float16 or dynamic-range), or raise --max-accuracy-drop. Nothing was written.")


def _worst_layers(model, data) -> list[dict]:
    """The layers whose int8 outputs stray most from float32 (TFLite's QuantizationDebugger), worst first."""
    try:
        from builder.export.tflite_convert import quantization_report

        rows = quantization_report(model, data.representative)
    except Exception:  # the debugger is a help for the message, never a second failure
        return []
    worst: dict[str, float] = {}
    for row in rows:
        worst.setdefault(_layer_of_tensor(row.name, model), float(row.rmse_per_scale))
    return [{"layer": k, "error": v} for k, v in list(worst.items())[:10]]


def _layer_of_tensor(tensor_name: str, model) -> str:
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
        return "model output (" + ", ".join(model.output_names) + ")"
    return tensor_name


__all__ = ["export_model", "ExportOptions", "ExportReport", "FORMATS", "QUANTIZATIONS", "IO_TYPES", "TOLERANCE"]
