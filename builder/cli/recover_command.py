"""The recover command: the autosaves a crash left behind (what the window offers to restore at start), listed
or written out as a project file."""
from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from builder.cli.command import EXIT_OK, Command
from builder.errors import LayerboardError
from builder.project import list_recoveries, recovery_dir, restore_project, save_project


def _recover_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", nargs="?",
                        help="a recovery file (its name in the recovery folder, or a path) to write out with -o; "
                             "without it, the recovery files are listed")
    parser.add_argument("-o", "--output", help="the project file to write the recovered project to")
    parser.add_argument("--force", action="store_true", help="overwrite an existing project file")
    parser.add_argument("--all", action="store_true",
                        help="also list the autosaves of windows that are open now (not offered at their start)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")


def _recover(args: argparse.Namespace) -> int:
    if args.file is None:
        if args.output:
            raise LayerboardError("-o needs the recovery file to write out: recover FILE -o PROJECT.json "
                                  "(`recover` lists them).")
        return _list(args)
    if not args.output:
        raise LayerboardError(f"give the project file to write: recover {args.file} -o PROJECT.json")
    return _write_out(args)


def _list(args: argparse.Namespace) -> int:
    scan = list_recoveries(include_live=args.all)
    if args.json:
        print(json.dumps({"folder": str(recovery_dir()), "skipped": scan.skipped, "recoveries": [
            {"file": str(r.path), "project": r.project_name,
             "original_path": str(r.original_path) if r.original_path else None,
             "saved_at": r.saved_at, "nodes": r.node_count, "pid": r.pid, "open": r.writer_alive}
            for r in scan.found]}))
        return EXIT_OK
    if not scan.found:
        print(f"no recovery files in {recovery_dir()}: no work was left unsaved by a crash.")
    else:
        count = len(scan.found)
        print(f"{count} recovery file{'s' if count != 1 else ''} in {recovery_dir()}, newest first:")
        for r in scan.found:
            when = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(r.saved_at))
            where = str(r.original_path) if r.original_path else "(never saved)"
            open_now = f"  (open in process {r.pid})" if r.writer_alive else ""
            print(f"  {r.path.name}  {r.project_name}  {where}  {when}  {r.node_count} blocks{open_now}")
        print("write one out: python main.py recover FILE -o PROJECT.json")
    for note in scan.skipped:
        print(f"  {note}")
    return EXIT_OK


def _write_out(args: argparse.Namespace) -> int:
    source = Path(args.file)
    if not source.exists() and (recovery_dir() / args.file).exists() and Path(args.file).name == args.file:
        source = recovery_dir() / args.file
    output = Path(args.output)
    if output.exists() and not args.force:
        raise LayerboardError(f"{output} already exists; choose another name or pass --force to overwrite it.")
    restored = restore_project(source)
    save_project(restored.project, output)
    nodes = len(restored.project.graph.nodes)
    print(f"wrote {output}: project '{restored.project.name}', {nodes} blocks, from the recovery file {source}")
    print(f"the recovery file stays until the window restores it or you remove it: rm '{source}'")
    return EXIT_OK


RECOVER = Command("recover", "list the autosaves a crash left behind, or write one out as a project",
                  _recover_arguments, _recover)
