"""Export a trained model to a file format and verify the written file in its own runtime.

Every export goes the same way: the format's writer (builder.export.writers) puts the artifact under a temporary
name beside the target; a fresh Python process that does not import Layerboard loads it in the runtime that will
run it (builder.export.runtime_check) and runs the project's validation samples; the outputs are compared with
the Keras model's; only then is the artifact moved into place, with export_report.json (and, for a TFLite
classifier, labels.txt) beside it. A failed verification leaves nothing at the target path.

Float exports must agree with Keras within TOLERANCE (max abs difference; a model with half-precision layers
within HALF_PRECISION_TOLERANCE of its outputs' scale, since TFLite converts a float32 copy of it). Quantised TFLite files (float16,
dynamic-range, int8) are compared on predicted classes and validation accuracy (or RMSE against Keras for
regression); `max_accuracy_drop` (percentage points, default 1.0 for int8) refuses a file that loses more and
names the layers that lose the most.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from builder.errors import ExportError
from builder.export.accuracy_check import compare_classes, judge_quantized
from builder.export.fresh_process import run_exported
from builder.export.report import ExportReport, size_of
from builder.export.tflite_convert import IO_TYPES, QUANTIZATIONS
from builder.export.verification import keras_outputs, load_model_file, max_abs_diff, verification_data
from builder.export.writers import SUFFIXES, WRITERS, check_target
from builder.files import atomic_path, atomic_write_text, check_replaceable
from builder.model import input_names, output_names, uses_half_precision
from builder.project import Project
from builder.training import validate_settings

FORMATS = ("keras", "h5", "savedmodel", "tflite", "onnx")
TOLERANCE = 1e-4
# A model with float16 layers (mixed_float16 or float16 policies) computes with ~3 significant digits; a file that
# computes in float32 (TFLite is given a float32 copy) agrees with it to about this, relative to the outputs' size.
HALF_PRECISION_TOLERANCE = 1e-2
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
    """Refuse an unknown format, quantization or input/output type, or a combination that does not go together."""
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
    if options.samples is not None and options.samples < 1:
        raise ExportError(f"samples (verification samples) must be at least 1; got {options.samples}.")
    drop = options.max_accuracy_drop
    if drop is not None and not (isinstance(drop, (int, float)) and -100 <= drop <= 100):  # NaN fails this too
        raise ExportError(f"max_accuracy_drop must be a number of percentage points from -100 to 100; got {drop}.")


def export_model(model_or_path, fmt: str, out_path: str | Path, project: Project | None = None,
                 samples: int | None = None, options: ExportOptions | None = None,
                 overwrite: bool = False, weights: str | None = None) -> ExportReport:
    """Write `fmt` to `out_path` and verify it; raises ExportError (and writes nothing) on failure.

    An existing `out_path` is replaced only with `overwrite` (the CLI's --force; the window asks first), and only
    when it is a file (a folder holding a SavedModel for savedmodel), never a device, a folder of other things...
    `weights` says in words which weights are exported (the report names them; default: the model file).
    """
    options = options or ExportOptions()
    if samples is not None:
        options.samples = samples
    _check_options(fmt, options)
    if project is not None:
        validate_settings(project)  # every bad setting at once, for the window as for the CLI
    out_path = Path(out_path)
    check_target(fmt, out_path)
    check_overwrite(out_path, overwrite, folder=fmt == "savedmodel")
    model = load_model_file(model_or_path) if isinstance(model_or_path, (str, Path)) else model_or_path
    data = verification_data(model, project, options.samples,
                             options.representative_samples if options.quantization == "int8" else 0)
    context = ExportContext(options, input_names(model), output_names(model), data.class_names, data.representative)
    with atomic_path(out_path, SUFFIXES[fmt][1]) as tmp:
        WRITERS[fmt](model, tmp, context)
        report = verify_artifact(fmt, tmp, model, data, context, out_path)
    if fmt == "tflite" and data.class_names and not data.regression:
        labels = out_path.with_name(LABELS_FILE)
        atomic_write_text(labels, "\n".join(data.class_names) + "\n")
        report.labels_file = str(labels)
    report.weights = weights or (f"the model file {model_or_path}" if isinstance(model_or_path, (str, Path)) else "")
    report.write_json()
    return report


def check_overwrite(out_path: Path, overwrite: bool, folder: bool = False) -> None:
    """Refuse an existing target unless `overwrite`; refuse always what must not be replaced (TargetError)."""
    real = check_replaceable(out_path, folder=folder)
    if not os.path.lexists(out_path):
        return
    if not overwrite:
        raise ExportError(f"{out_path} already exists; choose another name, or pass --force to replace it.")
    if folder and real.is_dir() and any(real.iterdir()) and not (real / "saved_model.pb").exists():
        raise ExportError(f"{out_path} is a folder that does not hold a SavedModel (no saved_model.pb); "
                          "Layerboard does not replace it, even with --force. Give a new folder name.")


def verify_artifact(fmt: str, artifact: Path, model, data, context: ExportContext, out_path: Path) -> ExportReport:
    """Run the written artifact in its own runtime (fresh process) and judge it against the Keras model;
    raises ExportError when it computes something else (float) or loses too much accuracy (quantised)."""
    options = context.options
    expected = keras_outputs(model, data.inputs)
    run = run_exported(fmt, artifact, data.inputs, context.input_names, context.output_names)
    report = ExportReport(fmt, out_path, size_of(artifact), run.runtime, _max_diff(expected, run.outputs),
                          len(data.inputs[0]), data.source, quantization=options.quantization,
                          latency_ms_per_sample=round(run.latency_ms, 4), converter_options=context.converter_options)
    if options.quantization != "float32":
        judge_quantized(report, expected, run.outputs, data, options, model)
        return report
    report.tolerance = tolerance = _float_tolerance(model, expected)
    compare_classes(report, expected, run.outputs, data)
    if report.max_abs_diff > tolerance:
        raise ExportError(f"Verification failed: the written file's outputs differ from the Keras model's by "
                          f"{report.max_abs_diff:.3g} (allowed {tolerance:g}); nothing was written to {out_path}.")
    return report


def _float_tolerance(model, expected) -> float:
    """TOLERANCE, or for a model with half-precision layers HALF_PRECISION_TOLERANCE times its outputs' scale."""
    if not uses_half_precision(model):
        return TOLERANCE
    scale = max([1.0] + [float(np.max(np.abs(np.asarray(e, dtype="float32")))) for e in expected])
    return HALF_PRECISION_TOLERANCE * scale


def _max_diff(expected, actual) -> float:
    return max_abs_diff(expected, [np.asarray(a, dtype="float32") for a in actual])
