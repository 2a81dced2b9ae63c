"""The `layerboard` command line: its parser, built from every command group, and the one place where a
command's error becomes a one-line message (never a traceback)."""
from __future__ import annotations

import argparse
import logging
import os
import sys

from builder.cli import check_command, data_commands, export_commands, project_commands, training_commands
from builder.cli.command import EXIT_ERROR, EXIT_INVALID, Command
from builder.errors import LayerboardError

# Every command, in the order `layerboard --help` lists them.
COMMANDS: tuple[Command, ...] = (
    project_commands.TEMPLATES,
    project_commands.NEW,
    check_command.CHECK,
    training_commands.TRAIN,
    training_commands.CONTROL,
    data_commands.DATASETS,
    export_commands.EXPORT,
    project_commands.IMPORT,
    project_commands.BLOCKS,
    training_commands.EVALUATE,
    training_commands.PREDICT,
    training_commands.DOCTOR,
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
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    parser = build_parser()
    args = parser.parse_args(argv)
    if not args.command:
        parser.print_help()
        return EXIT_INVALID
    handlers = {command.name: command.run for command in COMMANDS}
    try:
        return handlers[args.command](args)
    except LayerboardError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except Exception as exc:  # never a traceback for the user; LAYERBOARD_DEBUG=1 shows it
        if os.environ.get("LAYERBOARD_DEBUG"):
            raise
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        print(f"error: unexpected {type(exc).__name__}: {first} (set LAYERBOARD_DEBUG=1 for details)", file=sys.stderr)
        return EXIT_ERROR
