"""The command line: every engine feature as a `python main.py COMMAND` (headless, scriptable)."""
from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from pathlib import Path

from builder.errors import LayerboardError

EXIT_ERROR = 1
EXIT_INVALID = 2


class _Parser(argparse.ArgumentParser):
    """argparse, but a bad argument is one line on stderr, not a usage dump."""

    def error(self, message: str):  # type: ignore[override]
        self.exit(EXIT_INVALID, f"error: {message} (see `{self.prog} --help`)\n")


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="layerboard", description="Draw, train and export Keras models. No command opens the app.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    sub.add_parser("templates", help="list the project templates")

    p = sub.add_parser("new", help="create a project file from a template")
    p.add_argument("template", help="template name (see `templates`) or path")
    p.add_argument("-o", "--output", required=True, help="project file to write")
    p.add_argument("--force", action="store_true", help="overwrite an existing file")

    p = sub.add_parser("check", help="validate a project: every node's output shape and parameter count")
    p.add_argument("project")
    p.add_argument("--dataset", action="store_true",
                   help="also load the project's dataset and check the Inputs and outputs against it")
    p.add_argument("--target", choices=["tflite", "tflite-int8"],
                   help="also convert every block on its own to TFLite (int8: full-integer quantised) and say "
                        "whether it uses built-in ops, needs select TF ops, or cannot convert (answers are cached)")
    p.add_argument("--json", action="store_true", help="print one JSON object")

    p = sub.add_parser("train", help="train a project headless")
    p.add_argument("project")
    p.add_argument("--epochs", type=int, help="override the project's epoch count")
    p.add_argument("--run-dir", help="where to write model.keras, history.csv and run.json "
                                      "(default: runs/<project>/<timestamp>/ beside the project)")
    p.add_argument("--resume", metavar="RUN_DIR",
                   help="continue a run from its last checkpoint (epoch count, optimizer state, schedule); "
                        "--epochs is then the total")
    p.add_argument("--strategy", choices=["auto", "none", "mirrored", "multiworker"],
                   help="override training.strategy; multiworker reads the cluster from TF_CONFIG")
    p.add_argument("--cpu-devices", type=int, metavar="N",
                   help="split the CPU into N logical devices (to try mirrored training without GPUs)")
    p.add_argument("--json", action="store_true", help="end with one JSON line of the final metrics")

    p = sub.add_parser("control", help="change a running training: learning rate, early-stopping patience")
    p.add_argument("run_dir", help="the run directory of the training to change")
    p.add_argument("--learning-rate", type=float, help="the new learning rate (a schedule is rescaled to it)")
    p.add_argument("--patience", type=int, help="the new early-stopping patience in epochs")

    p = sub.add_parser("datasets", help="list the datasets, or describe one with a preview of its samples")
    p.add_argument("name", nargs="?", help="a dataset name, or a project file (describes its dataset)")
    p.add_argument("--preview", type=int, default=5, metavar="N", help="samples to show (default 5)")
    p.add_argument("--json", action="store_true", help="print one JSON object")

    p = sub.add_parser("export", help="export a trained model and verify the written file")
    p.add_argument("source", help="a project file (uses its latest run) or a .keras model")
    p.add_argument("--format", required=True, choices=["keras", "h5", "savedmodel", "tflite", "onnx", "python"],
                   help="python writes a standalone Keras script of the project (no training needed)")
    p.add_argument("-o", "--output", required=True, help="file (or folder for savedmodel) to write")
    p.add_argument("--run", help="the run directory whose model to export (default: the project's latest run)")
    p.add_argument("--quantization", default="float32", choices=["float32", "float16", "dynamic", "int8"],
                   help="TFLite: float16, dynamic-range int8 weights, or full-integer int8 (calibrated on "
                        "training samples)")
    p.add_argument("--io-type", default="float32", choices=["float32", "int8", "uint8"],
                   help="TFLite int8: the type of the file's inputs and outputs (int8/uint8 for micro-controllers)")
    p.add_argument("--representative-samples", type=int, default=200, metavar="N",
                   help="TFLite int8: training samples that calibrate the quantisation (default 200)")
    p.add_argument("--max-accuracy-drop", type=float, metavar="P",
                   help="refuse a quantised file whose validation accuracy drops more than P percentage points "
                        "(default 1.0 for int8)")
    p.add_argument("--samples", type=int, metavar="N",
                   help="validation samples to verify on (default: the validation split, up to 1000)")
    p.add_argument("--json", action="store_true", help="print the verification report as JSON")

    p = sub.add_parser("import", help="turn a .keras or .h5 model into a project, with its weights beside it")
    p.add_argument("source", help="a Keras model file (.keras or .h5); no code from it is ever run")
    p.add_argument("-o", "--output", required=True, help="project file to write; weights go to <stem>.weights.h5 beside it")
    p.add_argument("--force", action="store_true", help="overwrite an existing project or weights file")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p = sub.add_parser("blocks", help="list composite blocks, or save part of a project as a block")
    p.add_argument("action", nargs="?", choices=["list", "save"], default="list",
                   help="list (default) or save: `blocks save PROJECT --nodes a,b,c --name MyBlock`")
    p.add_argument("project", nargs="?", help="for save: the project whose nodes to save")
    p.add_argument("--nodes", help="for save: comma-separated node ids (the selection)")
    p.add_argument("--name", help="for save: the block's CamelCase name, e.g. MyResidualBlock")
    p.add_argument("--description", default="", help="for save: one line shown in the palette")
    p.add_argument("--dir", help="for save: folder to write to (default: $LAYERBOARD_BLOCKS_DIR or ~/.config/layerboard/blocks)")
    p.add_argument("--force", action="store_true", help="for save: overwrite your block of the same name")
    p.add_argument("--json", action="store_true", help="print JSON")

    p = sub.add_parser("evaluate", help="evaluate a trained model on the project's test split (validation when none)")
    p.add_argument("project")
    p.add_argument("--run", help="the run directory whose model to evaluate (default: the project's latest run)")
    p.add_argument("--split", choices=["train", "validation", "test"],
                   help="which split (default: test when the project holds one out, else validation)")
    p.add_argument("--json", action="store_true", help="print one JSON object")

    p = sub.add_parser("predict", help="run a trained model on .npy, .csv or image files")
    p.add_argument("project")
    p.add_argument("inputs", nargs="+", metavar="INPUT",
                   help=".npy (one sample or a batch), .csv (one sample per row) or an image (.png, .jpg)")
    p.add_argument("--run", help="the run directory whose model to use (default: the project's latest run)")
    p.add_argument("--json", action="store_true", help="print a JSON list, one object per sample")

    p = sub.add_parser("doctor", help="what training will run on (CPU or GPU), and why no GPU is used")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    return parser


def cmd_templates(args) -> int:
    from builder.project import list_templates

    for t in list_templates():
        print(f"{t.name:<20} {t.description}")
    return 0


def cmd_new(args) -> int:
    from builder.project import save_project
    from builder.project import load_template

    out = Path(args.output)
    if out.exists() and not args.force:
        raise LayerboardError(f"{out} already exists; choose another name or pass --force to overwrite it.")
    project = load_template(args.template)
    project.name = out.stem
    save_project(project, out)
    print(f"created {out} from template '{args.template}'")
    return 0


def cmd_check(args) -> int:
    from builder.model import estimate
    from builder.project import load_project
    from builder.model import format_shape, infer_shapes

    project = load_project(args.project)
    report = infer_shapes(project.graph)
    dataset_problems = _dataset_problems(project, report) if args.dataset else []
    valid = report.valid and not dataset_problems
    target = getattr(args, "target", None)
    blocks = {}
    if target:
        from builder.export.compatibility import check_project

        blocks = {b.node_id: b for b in check_project(project, target)}
    cost = estimate(project)
    unconvertible = [b for b in blocks.values() if b.status == "unsupported"]
    if args.json:
        data = {
            "valid": valid,
            "dataset_problems": dataset_problems,
            "nodes": [{"id": n, "type": project.graph.nodes[n].type,
                       "output_shape": list(r.shape) if r.shape is not None else None,
                       "params": r.params, "error": r.error} for n, r in report.nodes.items()],
            "total_params": report.total_params,
            "errors": report.graph_errors,
            "estimates": _estimates_json(cost),
        }
        if target:
            data["target"] = target
            data["blocks"] = [b.to_dict() for b in blocks.values()]
        print(json.dumps(data))
    else:
        column = f" {target + ' (' + ('int8' if target == 'tflite-int8' else 'float') + ')':<26}" if target else ""
        print(f"{'node':<20} {'type':<20} {'output shape':<22} {'params':>10}{column}")
        for node_id, r in report.nodes.items():
            shape = format_shape(r.shape) if r.ok else "ERROR"
            status = f" {_status_text(blocks[node_id]):<26}" if node_id in blocks else ""
            print(f"{node_id:<20} {project.graph.nodes[node_id].type:<20} {shape:<22} {r.params:>10,}{status}".rstrip())
            if r.error:
                print(f"  ! {r.error}")
            b = blocks.get(node_id)
            if b is not None and b.status in ("unsupported", "select_tf_ops") and b.message:
                print(f"  {'!' if b.status == 'unsupported' else '-'} {b.message}")
        for error in report.graph_errors:
            print(f"! {error}")
        for problem in dataset_problems:
            print(f"! dataset: {problem}")
        print(f"total parameters: {report.total_params:,}")
        _print_estimates(cost)
        if target:
            _print_target_summary(target, list(blocks.values()))
        print("valid" if valid else "INVALID")
    return 0 if valid and not unconvertible else EXIT_INVALID


def _status_text(block) -> str:
    text = {"builtin": "builtin", "select_tf_ops": "select TF ops", "unsupported": "cannot convert",
            "skipped": "-"}[block.status]
    if block.quantized is not None and block.status != "unsupported":
        text += f", int8: {'yes' if block.quantized else 'no'}"
    return text


def _estimates_json(cost) -> dict:
    return {"params": cost.params, "size_bytes": cost.size_bytes, "flops_per_sample": cost.flops_per_sample,
            "activation_bytes_per_sample": cost.activation_bytes_per_sample, "unknown_layers": cost.unknown_layers}


def _print_estimates(cost) -> None:
    sizes = ", ".join(f"{fmt} {n / 1024:,.1f} KiB" for fmt, n in cost.size_bytes.items())
    print(f"estimated file size: {sizes}")
    unknown = f" (no formula, counted as 0: {', '.join(cost.unknown_layers)})" if cost.unknown_layers else ""
    print(f"per sample: {cost.flops_per_sample / 1e6:,.3f} MFLOPs (multiply-add = 2), "
          f"activations {cost.activation_bytes_per_sample / 1024:,.1f} KiB (float32, all outputs summed){unknown}")


def _print_target_summary(target: str, blocks: list) -> None:
    checked = [b for b in blocks if b.status != "skipped"]
    bad = [b.node_id for b in checked if b.status == "unsupported"]
    select = [b.node_id for b in checked if b.status == "select_tf_ops"]
    if bad:
        print(f"{target}: {len(bad)} block(s) cannot convert: {', '.join(bad)}")
    elif select:
        print(f"{target}: converts, but {', '.join(select)} need(s) the select-TF-ops runtime (a larger TFLite build)")
    else:
        print(f"{target}: every block converts to TFLite built-in operators")
    if target == "tflite-int8":
        floats = [b.node_id for b in checked if b.status != "unsupported" and not b.quantized]
        print(f"int8: {'every block quantises' if not floats else 'stays float: ' + ', '.join(floats)}")


def _dataset_problems(project, report) -> list[str]:
    from builder.data.checks import check_against_dataset, dataset_problems_text
    from builder.data.datasets import load_project_dataset

    info = load_project_dataset(project).describe()
    return dataset_problems_text(check_against_dataset(project, info, report))


def cmd_control(args) -> int:
    from builder.training.live_control import write_control_request

    if args.learning_rate is None and args.patience is None:
        raise LayerboardError("Say what to change: --learning-rate X and/or --patience N.")
    if not Path(args.run_dir).is_dir():
        raise LayerboardError(f"{args.run_dir} is not a run directory (train writes one per run).")
    path = write_control_request(args.run_dir, learning_rate=args.learning_rate, patience=args.patience)
    print(f"wrote {path}; the training picks it up within a second and logs it to control.csv")
    return 0


def cmd_datasets(args) -> int:
    from builder.data import datasets

    if not args.name:
        rows = [(name, source.description) for name, source in datasets.SOURCES.items()]
        rows += [(name, "user file or folder (dataset.path)" if name in _file_kinds() else "online (keras.datasets)")
                 for name in datasets.all_dataset_names() if name not in datasets.SOURCES]
        if args.json:
            print(json.dumps([{"name": n, "description": d} for n, d in rows]))
        else:
            for name, description in rows:
                print(f"{name:<16} {description}")
        return 0
    if args.name.endswith(".json") and Path(args.name).exists():
        from builder.project import load_project

        data = datasets.load_project_dataset(load_project(args.name))
    else:
        data = datasets.load_dataset(datasets.DatasetRef(name=args.name))
    info, preview = data.describe(), data.preview(args.preview)
    if args.json:
        print(json.dumps({**info.to_dict(), "preview": [
            {"label": label, "target": _plain(t), "x": _plain(x)} for x, t, label in zip(*preview)]}))
        return 0
    print(f"{info.name}: {info.description}")
    print(f"input shape {info.input_shape} {info.dtype}; "
          + (f"{info.num_classes} classes: {', '.join(info.class_names)}" if info.output == "classes" else "regression"))
    print(f"train {info.train_size}, validation {info.validation_size}, test {info.test_size}")
    for i, (x, label) in enumerate(zip(preview.x, preview.labels)):
        flat = np_flat(x)
        print(f"  [{i}] {label:<12} {flat}")
    return 0


def _file_kinds() -> set[str]:
    from builder.data import file_sources

    return set(file_sources.LOADERS)


def _plain(value):
    import numpy as np

    array = np.asarray(value)
    return array.tolist() if array.dtype.kind != "O" else [str(v) for v in array.reshape(-1)]


def np_flat(x) -> str:
    import numpy as np

    array = np.asarray(x)
    if array.dtype.kind in "OUS":
        return repr(str(array.reshape(-1)[0])[:60])
    values = array.reshape(-1)
    shown = ", ".join(f"{v:.3g}" for v in values[:8])
    return f"[{shown}{', ...' if values.size > 8 else ''}] shape {array.shape}"


def _format_logs(logs: dict[str, float]) -> str:
    return "  ".join(f"{k} {v:.4f}" for k, v in logs.items())


def cmd_train(args) -> int:
    from builder.project import load_project
    from builder.training.trainer import Trainer, TrainingCallbacks

    project = load_project(args.project)

    class PrintEpochs(TrainingCallbacks):
        def on_train_begin(self, epochs: int, steps_per_epoch: int) -> None:
            self.epochs = epochs

        def on_epoch_end(self, epoch: int, logs: dict[str, float]) -> None:
            print(f"epoch {epoch + 1}/{self.epochs}  {_format_logs(logs)}", flush=True)

    if args.cpu_devices:
        from builder.training.distribution import split_cpu

        split_cpu(args.cpu_devices)
    if args.strategy:
        project.training.strategy = args.strategy
    if args.resume and args.run_dir:
        raise LayerboardError("--resume continues in the run directory it names; leave out --run-dir.")
    trainer = Trainer(project, run_dir=args.resume or args.run_dir, callbacks=PrintEpochs(), epochs=args.epochs,
                      resume=bool(args.resume))
    try:
        result = trainer.run()
    except KeyboardInterrupt:
        raise LayerboardError("interrupted") from None
    print(f"saved {result.model_path} ({result.epochs_run} epochs, {result.duration_s:.1f} s)")
    if args.json:
        print(json.dumps({
            "run_dir": str(result.run_dir),
            "model": str(result.model_path),
            "epochs_run": result.epochs_run,
            "stopped": result.stopped,
            "duration_s": round(result.duration_s, 3),
            "final_metrics": result.final_metrics,
        }))
    return 0


def latest_model(project) -> Path:
    """The model.keras of the project's newest run, or an error that says to train first."""
    runs = project.default_runs_dir()
    models = sorted(runs.glob("*/model.keras"), key=lambda p: p.stat().st_mtime) if runs.exists() else []
    if not models:
        raise LayerboardError(
            f"{project.path} has no trained model yet (nothing in {runs}). "
            f"Train it first: python main.py train {project.path}  (or pass --run DIR).")
    return models[-1]


def cmd_export(args) -> int:
    from builder.export import ExportOptions, export_model
    from builder.project import load_project

    source = Path(args.source)
    project = None
    if args.format == "python":
        from builder.export.python_code import write_python

        if source.suffix == ".keras":
            raise LayerboardError("--format python exports a project file, not a .keras model; "
                                  "import the model first: python main.py import MODEL.keras -o project.json")
        path = write_python(load_project(source), args.output)
        print(json.dumps({"format": "python", "path": str(path)}) if args.json else f"wrote {path}")
        return 0
    if source.suffix == ".keras":
        model_path = source
    else:
        project = load_project(source)
        model_path = Path(args.run) / "model.keras" if args.run else latest_model(project)
    options = ExportOptions(quantization=args.quantization, io_type=args.io_type,
                            representative_samples=args.representative_samples,
                            max_accuracy_drop=args.max_accuracy_drop, samples=args.samples)
    report = export_model(model_path, args.format, args.output, project=project, options=options)
    if args.json:
        print(json.dumps(report.to_dict()))
    else:
        print(report.summary())
        print(f"report: {Path(report.path).parent / 'export_report.json'}"
              + (f"; labels: {report.labels_file}" if report.labels_file else ""))
    return 0


def cmd_import(args) -> int:
    from builder.importer import import_model

    result = import_model(args.source, args.output, force=args.force)
    graph = result.graph
    inputs = len(graph.input_nodes())
    verified = result.verification or {}
    if args.json:
        print(json.dumps({
            "project": str(result.project_path),
            "weights": str(result.weights_path),
            "nodes": len(graph.nodes),
            "inputs": inputs,
            "outputs": graph.output_nodes(),
            "params": result.source_params,
            "max_abs_diff": verified.get("max_abs_diff"),
            "unsupported": [],
            "notes": result.notes,
        }))
        return 0
    print(f"imported {args.source} -> {result.project_path}")
    print(f"  nodes:       {len(graph.nodes)} ({len(graph.nodes) - inputs} layers, {inputs} input(s))")
    print(f"  parameters:  {result.source_params:,} (the rebuilt model has the same)")
    print(f"  weights:     {result.weights_path} ({verified.get('weights_loaded', 0)} layers with weights)")
    print("  unsupported: none")
    if "max_abs_diff" in verified:
        print(f"  verified:    outputs match the source model (max abs diff {verified['max_abs_diff']:.2g})")
    for note in result.notes:
        print(f"  note: {note}")
    return 0


def cmd_blocks(args) -> int:
    from builder.blocks import composites
    from builder.model import save_selection

    if args.action == "save":
        from builder.project import load_project

        if not (args.project and args.nodes and args.name):
            raise LayerboardError("blocks save needs a project, --nodes a,b,c and --name MyBlock.")
        project = load_project(args.project)
        nodes = [n.strip() for n in args.nodes.split(",") if n.strip()]
        data = save_selection(project.graph, nodes, args.name, args.description)
        path = composites.save_block(data, args.dir, overwrite=args.force)
        if args.json:
            print(json.dumps({"name": data["name"], "path": str(path), "inputs": data["inputs"],
                              "outputs": [o["name"] for o in data["outputs"]]}))
        else:
            print(f"saved block {data['name']} to {path} (inputs: {', '.join(data['inputs'])}; "
                  f"outputs: {', '.join(o['name'] for o in data['outputs'])})")
        return 0
    rows = [{"name": d.name, "category": d.category, "inputs": d.inputs, "outputs": [o.name for o in d.outputs],
             "params": list(d.params), "description": d.description, "path": str(d.path)}
            for d in composites.definitions().values()]
    if args.json:
        print(json.dumps({"blocks": rows, "problems": composites.load_problems()}))
        return 0
    for r in rows:
        print(f"{r['name']:<26} {r['category']:<10} in: {', '.join(r['inputs'])}  out: {', '.join(r['outputs'])}")
        print(f"    {r['description']}")
    for problem in composites.load_problems():
        print(f"! skipped {problem}")
    return 0


def _run_model(args):
    from builder.project import load_project

    project = load_project(args.project)
    return project, (Path(args.run) / "model.keras" if args.run else latest_model(project))


def cmd_evaluate(args) -> int:
    from builder.training.evaluation import evaluate

    project, model_path = _run_model(args)
    result = evaluate(project, model_path, split=args.split)
    print(json.dumps(result.to_dict()) if args.json else "\n".join(result.summary()))
    return 0


def cmd_predict(args) -> int:
    from builder.training.evaluation import format_predictions, predict_files

    project, model_path = _run_model(args)
    rows = predict_files(project, model_path, args.inputs)
    print(json.dumps(rows) if args.json else "\n".join(format_predictions(rows)))
    return 0


def cmd_doctor(args) -> int:
    from builder.training.doctor import diagnose

    report = diagnose()
    print(json.dumps(report.to_dict()) if args.json else "\n".join(report.summary()))
    return 0


COMMANDS = {"templates": cmd_templates, "new": cmd_new, "check": cmd_check, "train": cmd_train, "export": cmd_export,
            "import": cmd_import, "blocks": cmd_blocks, "doctor": cmd_doctor,
            "evaluate": cmd_evaluate, "predict": cmd_predict, "control": cmd_control,
            "datasets": cmd_datasets}


def main(argv: list[str]) -> int:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    args = _parser().parse_args(argv)
    if not args.command:
        _parser().print_help()
        return EXIT_INVALID
    try:
        return COMMANDS[args.command](args)
    except LayerboardError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except Exception as exc:  # never a traceback for the user; LAYERBOARD_DEBUG=1 shows it
        if os.environ.get("LAYERBOARD_DEBUG"):
            raise
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        print(f"error: unexpected {type(exc).__name__}: {first} (set LAYERBOARD_DEBUG=1 for details)", file=sys.stderr)
        return EXIT_ERROR
