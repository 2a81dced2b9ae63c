"""Keras 3 model -> TFLite (LiteRT) flatbuffer, with float32 / float16 / dynamic-range / full-int8 variants.

The model is traced into a SavedModel (Keras's ExportArchive, endpoint "serving_default", inputs named like
`model.inputs`, outputs a dict keyed by `model.output_names`) and converted with `TFLiteConverter.from_saved_model`,
so that in the LiteRT interpreter

    runner = Interpreter(model_content=result.content).get_signature_runner()
    runner(**{input_name: array})  ->  {output_name: array, ...}

Going through a SavedModel (rather than `from_concrete_functions`) matters: the SavedModel path freezes the weights
that recurrent layers read inside their while loop; the concrete-function path leaves READ_VARIABLE ops there that
fail at run time, and gives attention models NaN outputs.

Conversion strategy (see `convert`): the TFLite builtin op set first, with a free batch dimension; when that fails
(Keras 3 LSTM/GRU/Bidirectional loops build TensorLists whose element shape is only static with a fixed batch) the
batch is fixed to 1, which lets the converter lower the TensorList ops to builtins; only when that fails too are
SELECT_TF_OPS (Flex) allowed, with `_experimental_lower_tensor_list_ops=False`. A Flex file does NOT run in the
`ai_edge_litert` interpreter (it has no Flex delegate) - `ConversionResult.select_tf_ops` says so.

TensorFlow is imported lazily, inside the functions.
"""
from __future__ import annotations

import csv
import io
import math
import sys
import tempfile
import warnings
from dataclasses import dataclass, field

import numpy as np

from builder.errors import ExportError
from builder.quiet_tensorflow import caught_stderr, without_chatter
from builder.export.serving import input_specs, write_serving_savedmodel
from builder.model import dtype_policy_names, uses_half_precision

QUANTIZATIONS = ("float32", "float16", "dynamic", "int8")
IO_TYPES = ("float32", "int8", "uint8")


@dataclass
class ConversionResult:
    content: bytes
    select_tf_ops: bool = False
    options: list[str] = field(default_factory=list)


@dataclass
class LayerError:
    """How much one tensor of the int8 model departs from its float counterpart."""
    name: str                 # tensor name in the quantised model (usually the layer's op name)
    op: str                   # TFLite op that produces it, e.g. FULLY_CONNECTED
    rmse_per_scale: float     # RMSE between int8 and float, in units of the quantisation step (~0.29 is ideal)
    rmse: float
    max_abs_error: float
    scale: float


class QuantizationReport(list):
    """A list of LayerError, worst first; `reason` explains an empty report."""

    def __init__(self, items=(), reason: str = ""):
        super().__init__(items)
        self.reason = reason


# ---------------------------------------------------------------------------------------------------------------
# Conversion


def _first_line(exc: Exception) -> str:
    lines = [line for line in str(exc).strip().splitlines() if line.strip()]
    # TF's converter errors end with the useful summary; MLIR location dumps come first.
    for line in reversed(lines):
        if "error:" in line and not line.startswith("loc("):
            return line.strip()[:300]
    return (lines[-1] if lines else type(exc).__name__)[:300]


def _representative_gen(representative, count: int | None = None):
    """Calibration samples one at a time: a list for a one-input model, else a dict by input name (the converted
    signature's inputs need not be in the model's order: a denoiser's came out as (time, image))."""
    named = isinstance(representative, dict)
    arrays = [np.asarray(a) for a in (representative.values() if named else representative)]
    n = min(len(a) for a in arrays)
    if count is not None:
        n = min(n, count)

    def gen():
        for i in range(n):
            sample = [a[i:i + 1].astype("float32") if a.dtype.kind == "f" else a[i:i + 1] for a in arrays]
            yield dict(zip(representative, sample)) if named else sample

    return gen


def _check_representative(model, representative):
    if representative is None:
        raise ExportError("int8 quantisation needs representative data: one array per model input, ~100-500 samples.")
    if isinstance(representative, np.ndarray):
        representative = [representative]
    representative = list(representative)
    if len(representative) != len(model.inputs):
        raise ExportError(f"The representative data has {len(representative)} arrays; the model has "
                          f"{len(model.inputs)} inputs.")
    if len(representative) > 1:  # by the serving signature's input names (export.serving.input_specs)
        return {spec.name: array for spec, array in zip(input_specs(model), representative)}
    return representative


def _configure(converter, quantization, representative, io_type, select_tf_ops, lower_tensor_lists):
    import tensorflow as tf

    opts = []
    if quantization == "float16":
        converter.optimizations = [tf.lite.Optimize.DEFAULT]
        converter.target_spec.supported_types = [tf.float16]
        opts += ["optimizations=[DEFAULT]", "supported_types=[float16]"]
    elif quantization == "dynamic":
        converter.optimizations = [tf.lite.Optimize.DEFAULT]
        opts.append("optimizations=[DEFAULT]")
    elif quantization == "int8":
        converter.optimizations = [tf.lite.Optimize.DEFAULT]
        converter.representative_dataset = _representative_gen(representative)
        opts += ["optimizations=[DEFAULT]", "representative_dataset"]
    ops = []
    if quantization == "int8":
        ops.append(tf.lite.OpsSet.TFLITE_BUILTINS_INT8)
        opts.append("TFLITE_BUILTINS_INT8")
        if select_tf_ops:  # Flex ops cannot be int8; allow float builtins + Flex around them
            ops.append(tf.lite.OpsSet.TFLITE_BUILTINS)
    else:
        ops.append(tf.lite.OpsSet.TFLITE_BUILTINS)
    if select_tf_ops:
        ops.append(tf.lite.OpsSet.SELECT_TF_OPS)
        opts.append("SELECT_TF_OPS")
    converter.target_spec.supported_ops = ops
    if not lower_tensor_lists:
        converter._experimental_lower_tensor_list_ops = False
        opts.append("experimental_lower_tensor_list_ops=False")
    if quantization == "int8" and io_type != "float32":
        dtype = tf.int8 if io_type == "int8" else tf.uint8
        converter.inference_input_type = dtype
        converter.inference_output_type = dtype
        opts.append(f"inference_input_type=inference_output_type={io_type}")
    return opts


def _make_converter(model, batch, directory):
    import tensorflow as tf

    write_serving_savedmodel(model, directory, batch)
    return tf.lite.TFLiteConverter.from_saved_model(directory, signature_keys=["serving_default"])


def _has_recurrent(model) -> bool:
    import keras

    def walk(layer):
        if isinstance(layer, (keras.layers.RNN, keras.layers.Bidirectional)):
            return True
        return any(walk(sub) for sub in getattr(layer, "layers", []) if sub is not layer)

    return any(walk(layer) for layer in model.layers)


def _unrolled(model):
    """A copy of `model` (same weights) whose recurrent layers are unrolled: no WHILE loop in the TFLite graph.

    The TFLite calibrator (int8 quantisation and the quantisation debugger) crashes the process (SIGSEGV, TF 2.21)
    on the WHILE loop that a lowered Keras 3 LSTM/GRU produces, so int8 always quantises an unrolled copy.
    """
    import keras

    def unroll(cfg):
        cfg = dict(cfg)
        cfg["config"] = dict(cfg["config"], unroll=True)
        return cfg

    def clone(layer):
        cfg = layer.get_config()
        if isinstance(layer, keras.layers.Bidirectional):
            cfg["layer"] = unroll(cfg["layer"])
            if cfg.get("backward_layer"):
                cfg["backward_layer"] = unroll(cfg["backward_layer"])
        elif isinstance(layer, keras.layers.RNN):
            cfg["unroll"] = True
        return layer.__class__.from_config(cfg)

    for tensor in model.inputs:
        if len(tensor.shape) > 1 and tensor.shape[1] is None:
            raise ExportError("int8 quantisation of a recurrent model needs a fixed sequence length (the recurrent "
                              f"layers are unrolled); input '{tensor.name}' has shape {tuple(tensor.shape)}.")
    copy = keras.models.clone_model(model, clone_function=clone, recursive=True)
    copy.set_weights(model.get_weights())
    return copy


def _float32_copy(model):
    """(model, options note): a copy of `model` whose layers compute in float32 (same weights, cast) when any layer
    has another float dtype policy (mixed_float16, float16, bfloat16), else `model` itself.

    A float16 computation converts to TensorFlow (Flex) ops that the TFLite interpreter cannot run; TFLite's own
    float16 and int8 options are how a phone model gets smaller, so the converter is given float32 layers."""
    import keras

    if not uses_half_precision(model) and "float64" not in dtype_policy_names(model):
        return model, []

    def clone(layer):
        cfg = layer.get_config()
        if "dtype" in cfg:
            cfg["dtype"] = "float32"
        return layer.__class__.from_config(cfg)

    copy = keras.models.clone_model(model, clone_function=clone, recursive=True)
    copy.set_weights([w.astype("float32") if w.dtype.kind == "f" else w for w in model.get_weights()])
    return copy, ["float32 copy of the float16/mixed-precision layers"]


def _calibratable(model):
    """(model to calibrate, options note) - see `_unrolled`."""
    if _has_recurrent(model):
        return _unrolled(model), ["unroll=True (recurrent layers)"]
    return model, []


# (batch, SELECT_TF_OPS, lower tensor lists), in order of preference
_ATTEMPTS = ((None, False, True), (1, False, True), (None, True, False))


def convert(model, quantization: str = "float32", representative=None, io_type: str = "float32") -> ConversionResult:
    """Convert a built Keras model to a .tflite flatbuffer; see the module docstring for the fallback order."""
    if quantization not in QUANTIZATIONS:
        raise ExportError(f"Unknown quantisation '{quantization}'. Choose one of: {', '.join(QUANTIZATIONS)}.")
    if io_type not in IO_TYPES:
        raise ExportError(f"Unknown input/output type '{io_type}'. Choose one of: {', '.join(IO_TYPES)}.")
    if io_type != "float32" and quantization != "int8":
        raise ExportError(f"Input/output type {io_type} needs int8 quantisation (got {quantization}).")
    if not getattr(model, "inputs", None):
        raise ExportError("The model must be built (a functional model with known inputs) to convert it to TFLite.")
    model, extra = _float32_copy(model)
    if quantization == "int8":
        representative = _check_representative(model, representative)
        model, unrolled = _calibratable(model)
        extra += unrolled

    errors, logs = [], []
    for batch, select, lower in _ATTEMPTS:
        with tempfile.TemporaryDirectory(prefix="layerboard_tflite_") as directory:
            # The converter prints a failed attempt's diagnostics from C++ ("error: Lowering tensor list ops is
            # failed..."): kept off the terminal unless every attempt fails, as a later attempt may well succeed.
            with caught_stderr() as caught:
                try:
                    converter = _make_converter(model, batch, directory)
                    opts = _configure(converter, quantization, representative, io_type, select, lower)
                    content = converter.convert()
                except Exception as exc:  # the converter raises ConverterError, ValueError, RuntimeError...
                    errors.append(f"{'batch 1' if batch else 'free batch'}{', SELECT_TF_OPS' if select else ''}: "
                                  f"{_first_line(exc)}")
                    content = None
            if content is None:
                logs.append(without_chatter(caught.text()))
                continue
            sys.stderr.write(without_chatter(caught.text()))  # the attempt that worked says what it says
        if batch == 1:
            opts.insert(0, "batch_size=1")
        return ConversionResult(bytes(content), select_tf_ops=select, options=extra + opts)
    sys.stderr.write("".join(logs))
    raise ExportError("TFLite conversion failed:\n  " + "\n  ".join(errors))


# ---------------------------------------------------------------------------------------------------------------
# Quantisation debugging


def quantization_report(model, representative, samples: int | None = None) -> QuantizationReport:
    """Per-tensor error of the int8 model against float, worst first (RMSE in units of each tensor's scale).

    Uses `tf.lite.experimental.QuantizationDebugger`; when it cannot handle the model, returns an empty report
    whose `.reason` says why.
    """
    import tensorflow as tf

    try:
        representative = _check_representative(model, representative)
        model, _ = _calibratable(model)
    except ExportError as exc:
        return QuantizationReport(reason=str(exc))
    for batch, select, lower in _ATTEMPTS[:2]:
        with tempfile.TemporaryDirectory(prefix="layerboard_qdebug_") as directory:
            try:
                converter = _make_converter(model, batch, directory)
                _configure(converter, "int8", representative, "float32", select, lower)
                with warnings.catch_warnings():  # the debugger uses the deprecated tf.lite.Interpreter
                    warnings.simplefilter("ignore")
                    debugger = tf.lite.experimental.QuantizationDebugger(
                        converter=converter, debug_dataset=_representative_gen(representative, samples))
                    debugger.run()
                dump = io.StringIO()
                debugger.layer_statistics_dump(dump)
            except Exception as exc:
                reason = f"The quantisation debugger could not analyse this model: {_first_line(exc)}"
                continue
        return QuantizationReport(_parse_dump(dump.getvalue()))
    return QuantizationReport(reason=reason)


def _parse_dump(text: str) -> list[LayerError]:
    rows = []
    for row in csv.DictReader(io.StringIO(text)):
        try:
            scale = float(row.get("scale") or "nan")
            mse = float(row.get("mean_squared_error") or "nan")
            max_abs = float(row.get("max_abs_error") or "nan")
        except ValueError:
            continue
        rmse = math.sqrt(mse) if mse >= 0 else float("nan")
        per_scale = rmse / scale if scale > 0 else float("nan")
        rows.append(LayerError(row.get("tensor_name", ""), row.get("op_name", ""), per_scale, rmse, max_abs, scale))
    rows.sort(key=lambda e: (-e.rmse_per_scale if not math.isnan(e.rmse_per_scale) else float("inf")))
    return rows
