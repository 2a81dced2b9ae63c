"""The training commands: train, control (a running training), evaluate, predict and doctor.

builder.training loads numpy (and its handlers Keras), so each handler imports it: the other commands, and
`--help`, start without it.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from builder.cli.arguments import learning_rate, patience, whole_number
from builder.cli.command import EXIT_OK, Command
from builder.cli.run_choice import chosen_model
from builder.errors import LayerboardError
from builder.project import MAX_LEARNING_RATE, load_project


def _train_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("project")
    parser.add_argument("--epochs", type=whole_number(1, 1_000_000), help="override the project's epoch count")
    parser.add_argument("--run-dir", help="where to write model.keras, history.csv and run.json "
                                          "(default: runs/<project>/<timestamp>/ beside the project)")
    parser.add_argument("--resume", metavar="RUN_DIR",
                        help="continue a run from its last checkpoint (epoch count, optimizer state, schedule); "
                             "--epochs is then the total")
    parser.add_argument("--force", action="store_true",
                        help="replace the run already in --run-dir (without it train refuses a folder that holds a "
                             "run; --resume continues one)")
    parser.add_argument("--strategy", choices=["auto", "none", "mirrored", "multiworker"],
                        help="override training.strategy; multiworker reads the cluster from TF_CONFIG")
    parser.add_argument("--cpu-devices", type=whole_number(1, 1024), metavar="N",
                        help="split the CPU into N logical devices (to try mirrored training without GPUs)")
    parser.add_argument("--json", action="store_true", help="end with one JSON line of the final metrics")


def _train(args: argparse.Namespace) -> int:
    from builder.training import Trainer, TrainingCallbacks, clear_run_dir, split_cpu, validate_settings

    project = load_project(args.project)
    if args.strategy:
        project.training.strategy = args.strategy
    validate_settings(project)  # every bad setting at once (exit 2), before TensorFlow's runtime starts

    class PrintEpochs(TrainingCallbacks):
        def on_train_begin(self, epochs: int, steps_per_epoch: int) -> None:
            self.epochs = epochs

        def on_epoch_end(self, epoch: int, logs: dict[str, float]) -> None:
            print(f"epoch {epoch + 1}/{self.epochs}  {_format_logs(logs)}", flush=True)

    if args.cpu_devices:
        split_cpu(args.cpu_devices)
    if args.resume and args.run_dir:
        raise LayerboardError("--resume continues in the run directory it names; leave out --run-dir.")
    if args.run_dir:
        clear_run_dir(args.run_dir, args.force)
    trainer = Trainer(project, run_dir=args.resume or args.run_dir, callbacks=PrintEpochs(), epochs=args.epochs,
                      resume=bool(args.resume))
    try:
        result = trainer.run()
    except KeyboardInterrupt:
        raise LayerboardError("interrupted") from None
    print(f"saved {result.model_path} ({result.epochs_run} epochs, {result.duration_s:.1f} s)")
    performance = trainer.performance.to_dict() if trainer.performance is not None else None
    if performance:
        from builder.training import performance_text

        print(f"performance: {performance_text(performance)}")
    for line in [*(f"note: {note}" for note in trainer.notes), *_recipe_report_lines(trainer.recipe_report)]:
        print(line)
    if args.json:
        print(json.dumps({
            "run_dir": str(result.run_dir),
            "model": str(result.model_path),
            "epochs_run": result.epochs_run,
            "stopped": result.stopped,
            "duration_s": round(result.duration_s, 3),
            "final_metrics": result.final_metrics,
            **({"recipe_report": trainer.recipe_report} if trainer.recipe_report else {}),
            **({"performance": performance} if performance else {}),
        }))
    return EXIT_OK


def _recipe_report_lines(report: dict) -> list[str]:
    """A distillation's student beside its teacher, one line each; nothing for other recipes."""
    if "student" not in report or "teacher" not in report:
        return []
    lines = [f"{who}: {report[who]['parameters']:,} parameters, validation accuracy {report[who]['val_accuracy']:.3f}"
             for who in ("teacher", "student")]
    if report.get("size_ratio") is not None:
        lines.append(f"the student is {report['size_ratio']:.2f} x the teacher's size")
    return lines


TRAIN = Command("train", "train a project headless", _train_arguments, _train)


def _format_logs(logs: dict[str, float]) -> str:
    return "  ".join(f"{k} {v:.4f}" for k, v in logs.items())


def _control_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("run_dir", help="the run directory of the training to change")
    parser.add_argument("--learning-rate", type=learning_rate,
                        help="the new learning rate (a schedule is rescaled to it): a finite number above 0 and at "
                             f"most {MAX_LEARNING_RATE:g}")
    parser.add_argument("--patience", type=patience,
                        help="the new early-stopping patience in epochs: a whole number >= 0")


def _control(args: argparse.Namespace) -> int:
    from builder.training import write_control_request

    if args.learning_rate is None and args.patience is None:
        raise LayerboardError("Say what to change: --learning-rate X and/or --patience N.")
    if not Path(args.run_dir).is_dir():
        raise LayerboardError(f"{args.run_dir} is not a run directory (train writes one per run).")
    path = write_control_request(args.run_dir, learning_rate=args.learning_rate, patience=args.patience)
    print(f"wrote {path}; the training picks it up within a second and logs it to control.csv")
    return EXIT_OK


CONTROL = Command("control", "change a running training: learning rate, early-stopping patience",
                  _control_arguments, _control)


def _evaluate_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("project")
    parser.add_argument("--run", help="the run directory whose model to evaluate (default: the project's latest run)")
    parser.add_argument("--split", choices=["train", "validation", "test"],
                        help="which split (default: test when the project holds one out, else validation)")
    parser.add_argument("--output", help="with several outputs, the output node whose confusion matrix or residuals "
                                         "to show (default: the first output trained against a target)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--cell", nargs=2, metavar=("TRUE", "PREDICTED"),
                        help="also list the samples of one confusion-matrix cell: their indices in the split "
                             "(classes by name or index; with --json under \"cell\")")
    parser.add_argument("--per-sample", action="store_true",
                        help="with --json, add \"per_sample\": each sample's true and predicted class, or target "
                             "and prediction (a residual plot's points)")


def _evaluate(args: argparse.Namespace) -> int:
    from builder.training import evaluate

    project = load_project(args.project)
    result = evaluate(project, chosen_model(project, args.run), split=args.split, output=args.output)
    cell = _cell(result, args.cell) if args.cell else None
    if args.json:
        data = result.to_dict(per_sample=args.per_sample)
        if cell is not None:
            data["cell"] = cell
        print(json.dumps(data))
        return EXIT_OK
    print("\n".join(result.summary()))
    if cell is not None:
        shown = " ".join(str(i) for i in cell["indices"]) or "(none)"
        print(f"\nsamples of true {cell['true']}, predicted {cell['predicted']} ({cell['count']} in the "
              f"{result.split} split): {shown}")
    return EXIT_OK


def _cell(result, cell: list[str]) -> dict:
    from builder.training import class_index, samples_in_cell

    indices = samples_in_cell(result, *cell)
    true, predicted = (result.class_names[class_index(result, c)] for c in cell)
    return {"true": true, "predicted": predicted, "count": len(indices), "indices": indices}


EVALUATE = Command("evaluate", "evaluate a trained model on the project's test split (validation when none)",
                   _evaluate_arguments, _evaluate)


def _predict_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("project")
    parser.add_argument("inputs", nargs="+", metavar="INPUT",
                        help=".npy (one sample or a batch), .csv (one sample per row) or an image (.png, .jpg)")
    parser.add_argument("--run", help="the run directory whose model to use (default: the project's latest run)")
    parser.add_argument("--json", action="store_true", help="print a JSON list, one object per sample")


def _predict(args: argparse.Namespace) -> int:
    from builder.training import format_predictions, predict_files

    project = load_project(args.project)
    chosen = chosen_model(project, args.run)
    print(f"weights: {chosen.weights}", file=sys.stderr)  # stdout holds only the predictions
    rows = predict_files(project, chosen, args.inputs)
    print(json.dumps(rows) if args.json else "\n".join(format_predictions(rows)))
    return EXIT_OK


PREDICT = Command("predict", "run a trained model on .npy, .csv or image files", _predict_arguments, _predict)


def _doctor_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print one JSON object")


def _doctor(args: argparse.Namespace) -> int:
    from builder.training import diagnose

    report = diagnose()
    print(json.dumps(report.to_dict()) if args.json else "\n".join(report.summary()))
    return EXIT_OK


DOCTOR = Command("doctor", "what training will run on (CPU or GPU), and why no GPU is used",
                 _doctor_arguments, _doctor)
