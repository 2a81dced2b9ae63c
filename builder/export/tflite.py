"""TFLite (LiteRT) float32 export through Keras's `model.export(format="litert")`, verified in the LiteRT interpreter."""
from __future__ import annotations

from pathlib import Path

from builder.errors import ExportError
from builder.export.report import ExportReport, size_of
from builder.export.verification import input_names, keras_outputs, max_abs_diff, as_list, require_agreement
from builder.export.staging import staged


def run_tflite(path: Path, names: list[str], inputs) -> list:
    """Run a .tflite file with the LiteRT interpreter through its serving signature."""
    try:
        from ai_edge_litert.interpreter import Interpreter
    except ImportError:
        raise ExportError("The LiteRT interpreter is not installed: pip install ai-edge-litert.") from None
    interpreter = Interpreter(model_path=str(path))
    runner = interpreter.get_signature_runner()
    return as_list(runner(**dict(zip(names, inputs))))


def export_tflite(model, out_path: Path, inputs) -> ExportReport:
    if out_path.suffix != ".tflite":
        raise ExportError(f"A TFLite file must end in .tflite; got {out_path.name}.")
    expected = keras_outputs(model, inputs)
    with staged(out_path, ".tflite") as tmp:
        try:
            model.export(str(tmp), format="litert", verbose=False)
        except Exception as exc:
            raise ExportError(f"TFLite conversion failed: {str(exc).strip().splitlines()[0]}") from None
        diff = max_abs_diff(expected, run_tflite(tmp, input_names(model), inputs))
        require_agreement(diff, out_path)
        size = size_of(tmp)
    return ExportReport("tflite", out_path, size, "LiteRT interpreter", diff, len(inputs[0]))
