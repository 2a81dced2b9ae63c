"""The export command: a trained model (or, as a Keras script, a project) to a file, verified once written."""
from __future__ import annotations

import argparse
import json
from pathlib import Path

from builder.cli.arguments import finite_number, whole_number
from builder.cli.command import EXIT_OK, Command
from builder.cli.run_choice import chosen_model
from builder.errors import LayerboardError
from builder.files import atomic_write_text, check_replaceable
from builder.project import load_project


SCHEDULE_SUFFIX = ".schedule.json"


def _export_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("source", help="a project file (uses its latest run) or a .keras model")
    parser.add_argument("--format", required=True, choices=["keras", "h5", "savedmodel", "tflite", "onnx", "python"],
                        help="python writes a standalone Keras script of the project (no training needed)")
    parser.add_argument("-o", "--output", required=True, help="file (or folder for savedmodel) to write")
    parser.add_argument("--run", help="the run directory whose model to export (default: the project's latest run)")
    parser.add_argument("--part", choices=["encoder", "decoder", "student", "denoiser"],
                        help="a recipe's part: encoder, decoder, student or denoiser (default: a VAE's decoder, the "
                             "part that generates; a distillation's student; a diffusion's denoiser, written with its "
                             "noise schedule beside it as NAME.schedule.json; the whole model otherwise)")
    parser.add_argument("--own-weights", action="store_true",
                        help="export an imported project with its own weights file, even when it has runs")
    parser.add_argument("--quantization", default="float32", choices=["float32", "float16", "dynamic", "int8"],
                        help="TFLite: float16, dynamic-range int8 weights, or full-integer int8 (calibrated on "
                             "training samples)")
    parser.add_argument("--io-type", default="float32", choices=["float32", "int8", "uint8"],
                        help="TFLite int8: the type of the file's inputs and outputs "
                             "(int8/uint8 for micro-controllers)")
    parser.add_argument("--representative-samples", type=whole_number(1, 1_000_000), default=200, metavar="N",
                        help="TFLite int8: training samples that calibrate the quantisation (default 200)")
    parser.add_argument("--max-accuracy-drop", type=finite_number(-100, 100), metavar="P",
                        help="refuse a quantised file whose validation accuracy drops more than P percentage points "
                             "(default 1.0 for int8)")
    parser.add_argument("--samples", type=whole_number(1, 1_000_000), metavar="N",
                        help="validation samples to verify on (default: the validation split, up to 1000)")
    parser.add_argument("--force", action="store_true",
                        help="replace an existing output file (or SavedModel folder); without it export refuses")
    parser.add_argument("--json", action="store_true", help="print the verification report as JSON")


def _export(args: argparse.Namespace) -> int:
    # builder.export loads numpy: imported by this command only, so the others start quickly
    from builder.export import ExportOptions, export_model, write_python
    from builder.training import validate_settings

    source = Path(args.source)
    project = None
    if args.format == "python":
        if source.suffix == ".keras":
            raise LayerboardError("--format python exports a project file, not a .keras model; "
                                  "import the model first: python main.py import MODEL.keras -o project.json")
        project = load_project(source)
        validate_settings(project, data=False)  # every bad setting at once (exit 2); python_source checks again
        # for the window; the script may name data it does not have (it writes a placeholder loader)
        path = write_python(project, args.output, overwrite=args.force)
        print(json.dumps({"format": "python", "path": str(path)}) if args.json else f"wrote {path}")
        return EXIT_OK
    verified_on = None
    schedule = None  # a diffusion's denoiser: the noise schedule written beside it
    if source.suffix == ".keras":
        if args.part:
            raise LayerboardError("--part exports a part of a project's recipe model; give the project file.")
        model_path, weights = source, f"the model file {source}"
    else:
        project = load_project(source)
        validate_settings(project)  # before looking for its run: a bad setting is named first (exit 2)
        chosen = chosen_model(project, args.run, own_weights=args.own_weights)  # a run, or its own weights
        model_path, weights = chosen.path or chosen.model, chosen.weights
        verified_on = project
        if args.part or _recipe(project) != "supervised":
            model_path, part = chosen.part(project, args.part)  # a VAE: its decoder by default
            # a recipe's model (or part) is verified on N(0, 1) samples: the dataset's targets are not its outputs;
            # a distillation's student is a classifier of the dataset, verified (and int8-calibrated) on it
            if part != "student":
                verified_on = None
            weights += f", its {part}" if part else ""
            if part == "denoiser":
                schedule = _schedule_target(Path(args.output), args.force)
    options = ExportOptions(quantization=args.quantization, io_type=args.io_type,
                            representative_samples=args.representative_samples,
                            max_accuracy_drop=args.max_accuracy_drop, samples=args.samples)
    report = export_model(model_path, args.format, args.output, project=verified_on, options=options,
                          overwrite=args.force, weights=weights)
    facts = report.to_dict()
    if schedule is not None:
        atomic_write_text(schedule, json.dumps(chosen.load().schedule_facts(), indent=2) + "\n")
        facts["schedule_file"] = str(schedule)
    if args.json:
        print(json.dumps(facts))
    else:
        print(report.summary())
        print(f"report: {Path(report.path).parent / 'export_report.json'}"
              + (f"; labels: {report.labels_file}" if report.labels_file else "")
              + (f"; noise schedule: {schedule}" if schedule is not None else ""))
    return EXIT_OK


def _schedule_target(output: Path, force: bool) -> Path:
    """Where a diffusion's noise schedule goes beside its exported denoiser (d.tflite → d.schedule.json), checked
    before anything is written: only a file is replaced, and only with --force."""
    path = output.with_name((output.stem if output.suffix else output.name) + SCHEDULE_SUFFIX)
    check_replaceable(path)
    if path.exists() and not force:
        raise LayerboardError(f"{path} already exists (the noise schedule written beside the denoiser); choose "
                              "another name, or pass --force to replace it.")
    return path


def _recipe(project) -> str:
    """The name of the project's training recipe (its settings are valid)."""
    return (project.training.recipe or {}).get("name", "supervised")


EXPORT = Command("export", "export a trained model and verify the written file", _export_arguments, _export)
