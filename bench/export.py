"""Export every template to every TFLite variant (and the other formats) and print what the verification measured.

For each template: train it (its own settings, or --epochs), then export through `builder.export.export_model`
— the same path as `python main.py export` — so every number comes from running the written file in its own
runtime in a fresh process on the validation split: file size, size against float32, accuracy before/after,
class agreement with Keras, max abs difference, latency per sample (batch 1).

Targets (issue 6): full-int8 TFLite size <= 30 % of float32 with validation accuracy within 1 percentage point of
the Keras model on the image templates; float32 TFLite agrees with Keras on every predicted class.

Usage:
    python bench/export.py                       # every template
    python bench/export.py --templates digits_cnn --epochs 5
"""
from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

VARIANTS = [("keras", "float32"), ("h5", "float32"), ("savedmodel", "float32"), ("onnx", "float32"),
            ("tflite", "float32"), ("tflite", "float16"), ("tflite", "dynamic"), ("tflite", "int8")]
NAMES = {"keras": "model.keras", "h5": "model.h5", "savedmodel": "savedmodel", "onnx": "model.onnx",
         "tflite": "model.tflite"}


def is_image(project) -> bool:
    shapes = [project.graph.nodes[n].params.get("shape") for n in project.graph.input_nodes()]
    return any(isinstance(s, list) and len(s) == 3 for s in shapes)


def weight_bytes(path: Path) -> int:
    """Bytes of the constant buffers (weights, biases, shapes) in a .tflite file: the file minus its fixed structure
    (graph, tensor names, quantisation parameters, metadata)."""
    from tensorflow.lite.tools import flatbuffer_utils

    model = flatbuffer_utils.read_model(str(path))
    return sum(b.data.size for b in model.buffers if b.data is not None)


def bench_template(name: str, epochs: int | None, folder: Path) -> list[dict]:
    from builder.errors import ExportError
    from builder.export import ExportOptions, export_model
    from builder.project import load_template
    from builder.training import Trainer

    project = load_template(name)
    project.training.tensorboard = False
    result = Trainer(project, run_dir=folder / name / "run", epochs=epochs).run()
    rows = []
    for fmt, quantization in VARIANTS:
        target = folder / name / f"{fmt}-{quantization}" / NAMES[fmt]
        try:
            report = export_model(result.model_path, fmt, target, project=project,
                                  options=ExportOptions(quantization=quantization))
            row = {"template": name, "format": fmt, "quantization": quantization, "report": report}
            if fmt == "tflite":
                try:
                    row["weights"] = weight_bytes(target)
                except Exception as exc:  # tensorflow.lite.tools moved or gone: leave the cell empty
                    print(f"weights of {target}: {type(exc).__name__}: {exc}", file=sys.stderr)
            rows.append(row)
        except ExportError as exc:
            rows.append({"template": name, "format": fmt, "quantization": quantization, "error": str(exc)})
    return rows


def main(argv: list[str] | None = None) -> int:
    from builder.project import list_templates, load_template

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--templates", help="comma-separated template names (default: all)")
    parser.add_argument("--epochs", type=int, help="train each template this many epochs (default: its own)")
    args = parser.parse_args(argv)
    names = args.templates.split(",") if args.templates else [t.name for t in list_templates()]
    failures = []
    with tempfile.TemporaryDirectory(prefix="layerboard-bench-export-") as tmp:
        rows = [row for name in names for row in bench_template(name, args.epochs, Path(tmp))]
    print("\n| template | format | quantization | size KiB | vs float32 TFLite | weights vs float32 | accuracy Keras | "
          "accuracy file | drop (points) | same class | max abs diff | ms/sample |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    float_sizes = {r["template"]: r["report"].size_bytes for r in rows
                   if "report" in r and r["format"] == "tflite" and r["quantization"] == "float32"}
    float_weights = {r["template"]: r["weights"] for r in rows
                     if "report" in r and r["format"] == "tflite" and r["quantization"] == "float32"}
    for row in rows:
        if "error" in row:
            print(f"| {row['template']} | {row['format']} | {row['quantization']} | failed: {row['error'][:160]} |")
            failures.append(f"{row['template']} {row['format']} {row['quantization']}: export failed")
            continue
        r = row["report"]
        base = float_sizes.get(row["template"])
        ratio = f"{r.size_bytes / base:.1%}" if base and r.format == "tflite" else ""
        base_weights = float_weights.get(row["template"])
        weights = f"{row['weights'] / base_weights:.1%}" if base_weights and "weights" in row else ""
        pct = (lambda v: "" if v is None else f"{v:.2%}")
        print(f"| {row['template']} | {r.format} | {r.quantization} | {r.size_bytes / 1024:.1f} | {ratio} | {weights} | "
              f"{pct(r.accuracy_keras)} | {pct(r.accuracy_export)} | "
              f"{'' if r.accuracy_drop is None else f'{r.accuracy_drop:.2f}'} | {pct(r.class_agreement)} | "
              f"{r.max_abs_diff:.1e} | {r.latency_ms_per_sample:.3f} |")
        if r.format == "tflite" and r.quantization == "float32" and r.class_agreement not in (None, 1.0):
            failures.append(f"{row['template']}: float32 TFLite disagrees with Keras on some classes")
        if r.format == "tflite" and r.quantization == "int8" and is_image(load_template(row["template"])):
            if base and r.size_bytes > 0.30 * base:
                failures.append(f"{row['template']}: int8 is {r.size_bytes / base:.0%} of float32 (target <= 30%)")
            if r.accuracy_drop is not None and r.accuracy_drop > 1.0:
                failures.append(f"{row['template']}: int8 loses {r.accuracy_drop:.2f} points (target <= 1)")
    print()
    for failure in failures:
        print(f"FAIL {failure}")
    if not failures:
        print("PASS: int8 <= 30 % of float32 within 1 point on the image templates; float32 TFLite agrees on every "
              "class")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
