"""One writer per format: put the artifact at a (temporary) path. Verification is not theirs (see export_model)."""
from __future__ import annotations

from pathlib import Path

from builder.errors import ExportError, first_line

# format: (what the target's name must end with, or "" for a folder; suffix of the temporary artifact)
SUFFIXES = {"keras": (".keras", ".keras"), "h5": (".h5", ".h5"), "savedmodel": ("", ""),
            "tflite": (".tflite", ".tflite"), "onnx": (".onnx", ".onnx")}


def check_target(fmt: str, out_path: Path) -> None:
    ending = SUFFIXES[fmt][0]
    if ending and out_path.suffix != ending:
        article = "An" if fmt in ("h5", "onnx") else "A"
        raise ExportError(f"{article} {fmt} file must end in {ending}; got {out_path.name}.")


def write_keras(model, path: Path, context) -> None:
    model.save(path)


def write_h5(model, path: Path, context) -> None:
    from builder.export.h5_file import write_h5 as write

    write(model, path)


def write_savedmodel(model, path: Path, context) -> None:
    from builder.export.serving import write_serving_savedmodel

    write_serving_savedmodel(model, str(path))


def write_onnx(model, path: Path, context) -> None:
    from builder.export.onnx_file import write_onnx as write

    write(model, path, context.input_names, context.output_names)


def write_tflite(model, path: Path, context) -> None:
    from builder.export.tflite_convert import convert
    from builder.export.tflite_metadata import add_metadata, metadata_for

    options = context.options
    try:
        result = convert(model, options.quantization, context.representative, options.io_type)
    except ExportError:
        raise
    except Exception as exc:
        raise ExportError(f"TFLite conversion failed: {first_line(exc)}") from None
    context.converter_options = list(result.options)
    path.write_bytes(add_metadata(result.content, metadata_for(model, context.class_names or None)))


WRITERS = {"keras": write_keras, "h5": write_h5, "savedmodel": write_savedmodel, "tflite": write_tflite,
           "onnx": write_onnx}
