"""The `layerboard` command line: its parser, built from every command group, and the one place where a
command's error becomes a one-line message (never a traceback)."""
from __future__ import annotations

import argparse
import logging
import sys
import traceback

from builder.cli import check_command, data_commands, export_commands, project_commands, training_commands
from builder.cli import layers_command, layout_command, recover_command, rename_command, runs_command
from builder.cli import sample_command, settings_command
from builder.cli.command import EXIT_ERROR, EXIT_INVALID, Command
from builder.cli.output_paths import check_outputs
from builder.errors import InvalidProjectError, LayerboardError
from builder.faults import debugging, fault_message

EXIT_INTERRUPTED = 130  # Ctrl-C, as a shell reports it

# Every command, in the order `layerboard --help` lists them.
COMMANDS: tuple[Command, ...] = (
    project_commands.TEMPLATES,
    project_commands.NEW,
    check_command.CHECK,
    training_commands.TRAIN,
    training_commands.CONTROL,
    runs_command.RUNS,
    data_commands.DATASETS,
    export_commands.EXPORT,
    project_commands.IMPORT,
    project_commands.BLOCKS,
    layers_command.LAYERS,
    rename_command.RENAME,
    layout_command.LAYOUT,
    recover_command.RECOVER,
    training_commands.EVALUATE,
    training_commands.PREDICT,
    sample_command.SAMPLE,
    training_commands.DOCTOR,
    settings_command.SETTINGS,
)


class _Parser(argparse.ArgumentParser):
    """argparse, but a bad argument is one line on stderr, not a usage dump."""

    def error(self, message: str):  # type: ignore[override]
        self.exit(EXIT_INVALID, f"error: {message} (see `{self.prog} --help`)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="layerboard", description="Draw, train and export Keras models. No command opens the app.")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for command in COMMANDS:
        command.add_arguments(subparsers.add_parser(command.name, help=command.help))
    return parser


def main(argv: list[str]) -> int:
    """Run `layerboard ARGV...`; returns the exit code."""
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    parser = build_parser()
    args = parser.parse_args(argv)
    if not args.command:
        parser.print_help()
        return EXIT_INVALID
    handlers = {command.name: command.run for command in COMMANDS}
    try:
        check_outputs(args)  # where it will write, before any work
        return handlers[args.command](args)
    except InvalidProjectError as exc:  # a project whose settings are not valid: every problem, exit code 2
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_INVALID
    except LayerboardError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except Exception as exc:  # never a traceback for the user; LAYERBOARD_DEBUG=1 shows it
        return _report_fault(exc)


def _report_fault(exc: Exception) -> int:
    """A fault that is not a LayerboardError: one plain line when the system caused it (a path, a NUL byte, a
    nesting too deep); else a bug: its traceback in a log file, and one line that says so and where."""
    if debugging():
        traceback.print_exception(type(exc), exc, exc.__traceback__, file=sys.stderr)
    print(f"error: {fault_message(exc)}", file=sys.stderr)
    return EXIT_ERROR
