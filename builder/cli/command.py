"""What a command of the command line is (name, help line, arguments, handler), and the exit codes."""
from __future__ import annotations

import argparse
from dataclasses import dataclass
from typing import Callable

EXIT_OK = 0
EXIT_ERROR = 1  # the command failed; stderr says why in one line
EXIT_INVALID = 2  # a bad argument, or a project that is not valid


@dataclass(frozen=True)
class Command:
    """One `layerboard NAME ...` command: the line `--help` shows, the arguments it takes and its handler,
    which returns the exit code."""

    name: str
    help: str
    add_arguments: Callable[[argparse.ArgumentParser], None]
    run: Callable[[argparse.Namespace], int]


def no_arguments(parser: argparse.ArgumentParser) -> None:
    """The arguments of a command that takes none."""
