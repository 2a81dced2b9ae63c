"""The runs command: every run of a project read back from its runs folder (what the window's runs list shows)."""
from __future__ import annotations

import argparse
import json
import math

from builder.cli.command import EXIT_OK, Command
from builder.project import load_project

SHOWN_METRICS = ("loss", "val_loss")  # first in a row; then the other validation metrics


def _runs_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("project")
    parser.add_argument("--json", action="store_true",
                        help="print one JSON object: the runs folder and each run (state, epochs, final metrics, "
                             "duration, device, settings that differ from the project's, model, problems)")


def _runs(args: argparse.Namespace) -> int:
    from builder.training import list_runs, performance_text  # loads numpy's neighbours: only for this command

    project = load_project(args.project)
    folder = project.default_runs_dir()
    runs = list_runs(project)
    if args.json:
        print(json.dumps({"runs_dir": str(folder), "runs": [run.to_dict() for run in runs]}))
        return EXIT_OK
    if not runs:
        print(f"no runs yet in {folder}; train one: python main.py train {args.project}")
        return EXIT_OK
    print(f"{len(runs)} run{'s' if len(runs) != 1 else ''} in {folder}:")
    for run in runs:
        print("  " + "  ".join(_row(run)))
        if run.differences:
            print("      differs: " + "; ".join(f"{name} {_value(was)} (project: {_value(now)})"
                                              for name, (was, now) in run.differences.items()))
        if run.performance:
            print(f"      performance: {performance_text(run.performance)}")
        for problem in run.problems:
            print(f"      problem: {problem}")
    print(f"export one: python main.py export {args.project} --run RUN_DIR --format tflite -o model.tflite; "
          f"evaluate: python main.py evaluate {args.project} --run RUN_DIR; "
          f"continue one: python main.py train {args.project} --resume RUN_DIR --epochs N")
    return EXIT_OK


def _row(run) -> list[str]:
    started = run.started.strftime("%Y-%m-%d %H:%M") if run.started else "?"
    parts = [run.name, started, run.state, f"{run.epochs_run} epoch{'s' if run.epochs_run != 1 else ''}",
             _duration(run.duration_s), run.device or "device ?"]
    names = [n for n in SHOWN_METRICS if n in run.final_metrics]
    names += sorted(n for n in run.final_metrics if n.startswith("val_") and n not in names)
    parts += [f"{name} {_value(run.final_metrics[name])}" for name in names]
    if run.resumable and run.state != "finished":
        parts.append("(can be continued)")
    return parts


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "time ?"
    minutes, secs = divmod(int(round(seconds)), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def _value(value) -> str:
    if isinstance(value, float):
        return f"{value:.4g}" if math.isfinite(value) else str(value)
    return json.dumps(value)


RUNS = Command("runs", "list a project's runs: date, state, final metrics, duration, device, changed settings",
               _runs_arguments, _runs)
