"""The check every writing command makes of where it will write, before any work: `-o`/`--output` and
`--run-dir` name a place the user may write to, or the command stops with one line naming the path and the fix.

A NUL byte in the path, a part of the path that is a file, or a folder that cannot take a new file (no
permission, a read-only disk, a pseudo file system such as /proc) are found here, before a training or an
export runs for minutes and then fails to write. What the target itself may be (a file, never a device; a
folder only for a SavedModel) is checked by the write (builder.files).
"""
from __future__ import annotations

import argparse
import os
import tempfile
from pathlib import Path

from builder.errors import LayerboardError

OUTPUT_ARGUMENTS = ("output", "run_dir")  # argparse names of the arguments that name a place to write


def check_outputs(args: argparse.Namespace) -> None:
    """Check every output argument a command was given."""
    for name in OUTPUT_ARGUMENTS:
        value = getattr(args, name, None)
        if isinstance(value, str):
            check_output_path(value, "--" + name.replace("_", "-"))


def check_output_path(value: str, option: str = "-o") -> None:
    """Refuse a path that cannot be written: a NUL byte, an empty name, a file where a folder must be, or a folder
    that does not take new files."""
    if "\0" in value:
        raise LayerboardError(f"{option} {value!r}: the path holds a NUL byte (\\0), which no file name may hold; "
                              "remove it.")
    if not value.strip():
        raise LayerboardError(f"{option} is empty; give the path of the file to write.")
    path = Path(value).absolute()
    folder = path.parent
    while not os.path.lexists(folder) and folder != folder.parent:
        folder = folder.parent  # the folders that do not exist yet are made by the write
    if not folder.is_dir():
        raise LayerboardError(f"{option} {value}: {folder} is a file, not a folder; choose another path.")
    try:
        with tempfile.TemporaryFile(prefix=".layerboard-probe.", dir=folder):
            pass
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise LayerboardError(f"{option} {value}: cannot write in the folder {folder} ({reason}); choose a folder "
                              "you can write to.") from None
