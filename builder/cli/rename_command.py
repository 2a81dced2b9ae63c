"""The rename command: give a node a new id, and every training setting that names it follows (as in the window)."""
from __future__ import annotations

import argparse

from builder.cli.command import EXIT_OK, Command
from builder.project import load_project, rename_node, save_project


def _rename_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("project")
    parser.add_argument("old", help="the node's id now")
    parser.add_argument("new", help="its new id: letters, digits and _, not starting with a digit, not a keyword")
    parser.add_argument("-o", "--output", help="project file to write (default: the project file itself)")


def _rename(args: argparse.Namespace) -> int:
    from builder.training import recipe_node_settings

    project = load_project(args.project)
    renaming = rename_node(project, args.old, args.new, recipe_node_settings(project.training.recipe))
    target = save_project(project, args.output or args.project)
    followed = ", ".join(f"training.{name}" for name in renaming.training)
    print(f"renamed {args.old} to {args.new} in {target}" + (f" ({followed} follow)" if followed else ""))
    return EXIT_OK


RENAME = Command("rename", "rename a node; its wires and the training settings that name it follow",
                 _rename_arguments, _rename)
