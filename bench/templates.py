"""Every shipped template trained its full epochs, as a user runs it, then shipped to TFLite float32 and int8.

Prints one table row per template: task, dataset, parameters, epochs, training time, the final validation metric,
the TFLite float32 and full-int8 file sizes, the int8 file's value of the same metric on the validation split (run
in the LiteRT interpreter) and its drop against the Keras model on the same samples. The numbers are written to
templates/gallery/numbers.json, which the gallery and `python main.py templates [--json]` read: nothing a card
shows is typed by hand.

Usage:
    python bench/templates.py                         # every template (about half an hour on 2 cores)
    python bench/templates.py --templates digits_cnn,wine_mlp
    python bench/templates.py --markdown table.md     # also write the table as Markdown (README)
    python bench/templates.py --no-write              # measure without updating the gallery's numbers
"""
from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from builder.files import atomic_write_text  # noqa: E402
from builder.project import NUMBERS_FILE, TEMPLATES_DIR, list_templates, load_template  # noqa: E402

def primary_metric(project, final_metrics: dict[str, float]) -> str:
    """The validation metric a card shows: the first metric of the first output that has one, else val_loss."""
    metrics = project.training.metrics
    if isinstance(metrics, dict):
        names = [f"{output}_{m}" for output, ms in metrics.items() for m in ms]
    else:
        names = list(metrics)
    for name in names:
        key = f"val_{name}"
        if key in final_metrics:
            return key
        found = [k for k in final_metrics if k.startswith("val_") and k.endswith(f"_{name}")]
        if found:
            return sorted(found)[0]
    return "val_loss"


def input_names(model) -> list[str]:
    return [t.name.split(":")[0] for t in model.inputs]


def input_list(model, x) -> list[np.ndarray]:
    """The validation inputs in the model's input order (named arrays by their Input's name)."""
    return [np.asarray(x[name]) for name in input_names(model)] if isinstance(x, dict) else [np.asarray(x)]


def run_tflite(path: Path, model, inputs: list[np.ndarray]) -> list[np.ndarray]:
    """The file's outputs on `inputs`, one sample at a time, in the LiteRT interpreter (int8 in and out handled)."""
    from ai_edge_litert.interpreter import Interpreter

    interpreter = Interpreter(model_path=str(path))
    runner = interpreter.get_signature_runner()
    details, out_details = runner.get_input_details(), runner.get_output_details()
    names = input_names(model)
    if len(names) == 1 and len(details) == 1:
        keys = list(details)
    elif set(names) <= set(details):
        keys = names  # by name: two inputs of one shape (digits_two_heads) cannot be swapped
    else:
        raise RuntimeError(f"the TFLite file's inputs {sorted(details)} are not the model's {names}")
    outputs: dict[str, list] = {}
    for i in range(len(inputs[0])):
        feed = {}
        for key, x in zip(keys, inputs):
            sample, detail = x[i:i + 1], details[key]
            if np.issubdtype(detail["dtype"], np.integer) and not np.issubdtype(sample.dtype, np.integer):
                scale, zero = detail["quantization"]
                info = np.iinfo(detail["dtype"])
                sample = np.clip(np.round(sample / scale + zero), info.min, info.max)
            feed[key] = sample.astype(detail["dtype"])
        for key, value in runner(**feed).items():
            value = np.asarray(value)
            scale, zero = out_details[key]["quantization"]
            if np.issubdtype(value.dtype, np.integer) and scale:
                value = (value.astype("float32") - zero) * scale
            outputs.setdefault(key, []).append(value)
    order = list(model.output_names)
    keyed = {k: np.concatenate(v) for k, v in outputs.items()}
    if set(order) <= set(keyed):
        return [keyed[name] for name in order]
    return [keyed[k] for k in sorted(keyed)]  # the converter's own names (output_0, ...), in order


def metric_on(model, x, y, predictions: list[np.ndarray], key: str) -> float | None:
    """The compiled metric `key` (without its val_ prefix) of `predictions` against y, as Keras computes it."""
    model.reset_metrics()
    y_pred = predictions[0] if len(predictions) == 1 else dict(zip(model.output_names, predictions))
    values = model.compute_metrics(x, y, y_pred, sample_weight=None)
    name = key.removeprefix("val_")
    value = values.get(name)
    if value is None:
        return None
    return float(np.asarray(value))


def measure(name: str, workdir: Path, samples: int) -> dict:
    import keras

    from builder.data import load_project_dataset, take
    from builder.export import ExportOptions, export_model
    from builder.training import Trainer, maximised, targets_per_output

    from builder.model import weights_files

    project = load_template(name)
    missing = [w for w in weights_files(project.graph) if not w.found()]  # ImageNet files not in Keras's cache
    print(f"  {name}: training {project.training.epochs} epochs ...", flush=True)
    start = time.perf_counter()
    result = Trainer(project, workdir / name / "run").run()
    wall = time.perf_counter() - start
    key = primary_metric(project, result.final_metrics)
    if (project.training.recipe or {}).get("name", "supervised") != "supervised":
        return measure_recipe(project, result, wall, workdir / name, samples)
    model = keras.saving.load_model(result.model_path, compile=True)
    row = {"task": "", "dataset": project.dataset.name, "parameters": int(model.count_params()),
           "epochs": result.epochs_run, "train_seconds": round(result.duration_s, 1), "process_seconds": round(wall, 1),
           "metric": key.removeprefix("val_"), "value": float(result.final_metrics[key]),
           "lower_is_better": not maximised(key)}
    if missing:  # the card must not pass off a random backbone's result as transfer learning
        row["note"] = "random backbone: no ImageNet file in Keras's cache"
    dataset = load_project_dataset(project)
    count = min(samples, len(dataset.y_val if not isinstance(dataset.y_val, dict) else next(iter(dataset.y_val.values()))))
    rows = list(range(count))
    from dataclasses import replace

    dataset = replace(dataset, x_val=take(dataset.x_val, rows), y_val=take(dataset.y_val, rows))
    fed = targets_per_output(dataset, list(model.output_names), project.training, input_names(model))
    x, y = fed.x_val, fed.y_val  # as training feeds them: the inputs for a reconstruction, placeholders, names
    inputs = input_list(model, x)
    keras_predictions = model.predict(inputs[0] if len(inputs) == 1 else inputs, verbose=0)
    keras_predictions = list(keras_predictions) if isinstance(keras_predictions, (list, tuple)) else [keras_predictions]
    keras_value = metric_on(model, x, y, keras_predictions, key)
    for quantization in ("float32", "int8"):
        out = workdir / name / f"{name}-{quantization}.tflite"
        try:
            options = ExportOptions(quantization=quantization, max_accuracy_drop=100.0 if quantization == "int8" else None)
            report = export_model(result.model_path, "tflite", out, project=project, options=options, samples=64)
            row[f"tflite_{quantization}_bytes"] = report.size_bytes
        except Exception as exc:  # a template whose layers a converter cannot take: the row says so
            row[f"tflite_{quantization}_bytes"] = None
            row[f"tflite_{quantization}_problem"] = str(exc).splitlines()[0][:300]
            continue
        if quantization == "int8":
            try:
                value = metric_on(model, x, y, run_tflite(out, model, inputs), key)
            except Exception as exc:
                value, row["int8_problem"] = None, str(exc).splitlines()[0][:300]
            row["int8_value"] = value
            row["keras_value_same_samples"] = keras_value
            if value is not None and keras_value is not None:
                drop = keras_value - value
                row["int8_drop"] = -drop if row["lower_is_better"] else drop
    return row


def measure_recipe(project, result, wall: float, folder: Path, samples: int) -> dict:
    """A training recipe's row (a VAE): its validation loss (the reconstruction's when reported), and the TFLite
    sizes of the part it ships (a VAE's decoder, verified on N(0, 1) latents); no labels, so no int8 metric."""
    from builder.export import ExportOptions, export_model
    from builder.training import as_project_model

    final = result.final_metrics
    # a VAE's reconstruction loss, a distillation student's accuracy, else the recipe's loss (a GAN's, a denoiser's)
    key = next((k for k in ("val_accuracy", "val_reconstruction_loss") if k in final), "val_loss")
    whole = as_project_model(result.model_path)
    part, part_name = whole.part(project)
    from builder.model import infer_shapes

    # the networks as drawn (the recipe's wrapper adds a state variable or two, e.g. a VAE's KL weight)
    row = {"task": "", "dataset": project.dataset.name, "parameters": int(infer_shapes(project.graph).total_params),
           "epochs": result.epochs_run, "train_seconds": round(result.duration_s, 1), "process_seconds": round(wall, 1),
           "metric": key.removeprefix("val_"), "value": float(final[key]), "lower_is_better": key != "val_accuracy",
           **({"shipped_part": part_name} if part_name else {})}
    labelled = key == "val_accuracy"  # a distillation's student: a classifier, its int8 file judged on labels
    for quantization in ("float32", "int8"):
        out = folder / f"{project.name}-{part_name or 'model'}-{quantization}.tflite"
        try:
            options = ExportOptions(quantization=quantization, max_accuracy_drop=100.0 if quantization == "int8" else None)
            row[f"tflite_{quantization}_bytes"] = export_model(part, "tflite", out, options=options, samples=64,
                                                               **({"project": project} if labelled else {})).size_bytes
        except Exception as exc:  # e.g. int8 without calibration data for latent inputs
            row[f"tflite_{quantization}_bytes"] = None
            row[f"tflite_{quantization}_problem"] = str(exc).splitlines()[0][:300]
            continue
        if labelled and quantization == "int8":
            from builder.data import load_project_dataset

            dataset = load_project_dataset(project)
            x, labels = np.asarray(dataset.x_val[:samples], "float32"), np.asarray(dataset.y_val[:samples]).reshape(-1)
            keras_value = float(np.mean(part.predict(x, verbose=0).argmax(-1) == labels))
            value = float(np.mean(run_tflite(out, part, [x])[0].argmax(-1) == labels))
            row.update(int8_value=value, keras_value_same_samples=keras_value, int8_drop=keras_value - value)
    return row


def fmt(value, spec: str = ".3f", missing: str = "—") -> str:
    return missing if value is None else format(value, spec)


def table(rows: dict[str, dict], infos: dict) -> str:
    head = ("| template | task | dataset | params | epochs | train s | val metric | TFLite f32 KB | TFLite int8 KB "
            "| int8 metric | int8 drop |")
    lines = [head, "|" + "---|" * 11]
    for name, row in rows.items():
        size = lambda key: fmt(row.get(key) / 1024 if row.get(key) else None, ".0f")  # noqa: E731
        lines.append(f"| {name} | {infos[name].task} | {row['dataset']} | {row['parameters']:,} | {row['epochs']} | "
                     f"{row['train_seconds']:.0f} | {row['metric']} {row['value']:.3f}"
                     + (f" ({row['note']})" if row.get("note") else "") + f" | {size('tflite_float32_bytes')} "
                     f"| {size('tflite_int8_bytes')} | {fmt(row.get('int8_value'))} | {fmt(row.get('int8_drop'), '+.3f')} |")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--templates", help="comma-separated template names (default: every template)")
    parser.add_argument("--samples", type=int, default=1000, help="validation samples for the int8 comparison")
    parser.add_argument("--markdown", help="also write the table to this Markdown file")
    parser.add_argument("--no-write", action="store_true", help=f"do not update templates/{NUMBERS_FILE}")
    args = parser.parse_args()
    infos = {t.name: t for t in list_templates()}
    names = args.templates.split(",") if args.templates else list(infos)
    unknown = [n for n in names if n not in infos]
    if unknown:
        parser.error(f"no template named {', '.join(unknown)}; templates: {', '.join(infos)}")
    machine = f"a {os.cpu_count()}-core CPU ({platform.machine()}, {platform.system()})"
    rows: dict[str, dict] = {}
    with tempfile.TemporaryDirectory(prefix="layerboard-bench-templates-") as folder:
        for name in names:
            try:
                row = measure(name, Path(folder), args.samples)
            except Exception as exc:
                print(f"  {name}: FAILED: {exc}", flush=True)
                continue
            row["task"] = infos[name].task
            row["measured_on"] = f"{machine}, {datetime.date.today().isoformat()}"
            rows[name] = row
            print(f"  {name}: {row['metric']} {row['value']:.3f} in {row['train_seconds']:.0f} s", flush=True)
    text = table(rows, infos)
    print(text)
    if args.markdown:
        Path(args.markdown).write_text(text + "\n")
    if not args.no_write:
        path = TEMPLATES_DIR / NUMBERS_FILE
        try:
            kept = json.loads(path.read_text()).get("templates", {})
        except (OSError, ValueError):
            kept = {}
        kept = {k: v for k, v in kept.items() if k in infos}  # templates that are gone leave no rows
        kept.update(rows)
        data = {"about": "Measured by bench/templates.py (full training of each template, then TFLite float32 and "
                         "int8 in the LiteRT interpreter); the gallery and `templates --json` read it.",
                "templates": dict(sorted(kept.items()))}
        atomic_write_text(path, json.dumps(data, indent=1) + "\n")
        print(f"wrote {path}")
    return 0 if len(rows) == len(names) else 1


if __name__ == "__main__":
    sys.exit(main())
