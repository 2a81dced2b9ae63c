"""The export command: a trained model (or, as a Keras script, a project) to a file, verified once written."""
from __future__ import annotations

import argparse
import json
from pathlib import Path

from builder.cli.arguments import finite_number, whole_number
from builder.cli.command import EXIT_OK, Command
from builder.cli.run_choice import chosen_model
from builder.errors import LayerboardError
from builder.project import load_project

SCHEDULE_SUFFIX = ".schedule.json"  # the diffusion recipe's companion file, reported as `schedule_file`


class PartChoices:
    """The names `--part` takes: every recipe's part_names (builder.training.recipes), looked up when argparse
    first checks or lists them, so that the other commands start without loading the recipes (numpy)."""

    def __init__(self) -> None:
        self._names: list[str] | None = None

    def names(self) -> list[str]:
        if self._names is None:
            from builder.training import recipes

            self._names = sorted({name for recipe in recipes.RECIPES.values() for name in recipe.part_names})
        return self._names

    def __contains__(self, name: object) -> bool:
        return name in self.names()

    def __iter__(self):
        return iter(self.names())

    def __len__(self) -> int:
        return len(self.names())


def _export_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("source", help="a project file (uses its latest run) or a .keras model")
    parser.add_argument("--format", required=True, choices=["keras", "h5", "savedmodel", "tflite", "onnx", "python"],
                        help="python writes a standalone Keras script of the project (no training needed)")
    parser.add_argument("-o", "--output", required=True, help="file (or folder for savedmodel) to write")
    parser.add_argument("--run", help="the run directory whose model to export (default: the project's latest run)")
    parser.add_argument("--part", choices=PartChoices(), metavar="PART",
                        help="a recipe's part: %(choices)s (default: a VAE's decoder, the "
                             "part that generates; a GAN's generator; a distillation's student; a diffusion's "
                             "denoiser, written with its noise schedule beside it as NAME.schedule.json; the whole "
                             "model otherwise)")
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
    from builder.export import ExportOptions, export_model, export_project_model, write_python
    from builder.training import validate_settings

    source = Path(args.source)
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
    options = ExportOptions(quantization=args.quantization, io_type=args.io_type,
                            representative_samples=args.representative_samples,
                            max_accuracy_drop=args.max_accuracy_drop, samples=args.samples)
    schedule = None  # a diffusion's denoiser: the noise schedule written beside it
    if source.suffix == ".keras":
        if args.part:
            raise LayerboardError("--part exports a part of a project's recipe model; give the project file.")
        report = export_model(source, args.format, args.output, options=options, overwrite=args.force,
                              weights=f"the model file {source}")
    else:
        project = load_project(source)
        validate_settings(project)  # before looking for its run: a bad setting is named first (exit 2)
        chosen = chosen_model(project, args.run, own_weights=args.own_weights)  # a run, or its own weights
        written = export_project_model(project, chosen, args.format, args.output, options, part=args.part,
                                       overwrite=args.force)  # a recipe's part, with its companion files
        report, schedule = written.report, written.companions.get(SCHEDULE_SUFFIX)
    facts = report.to_dict()
    if schedule is not None:
        facts["schedule_file"] = str(schedule)
    if args.json:
        print(json.dumps(facts))
    else:
        print(report.summary())
        print(f"report: {Path(report.path).parent / 'export_report.json'}"
              + (f"; labels: {report.labels_file}" if report.labels_file else "")
              + (f"; noise schedule: {schedule}" if schedule is not None else ""))
    return EXIT_OK


EXPORT = Command("export", "export a trained model and verify the written file", _export_arguments, _export)
