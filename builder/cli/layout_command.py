"""The layout command: lay a project's graph (or some of its nodes) out top to bottom and save it."""
from __future__ import annotations

import argparse

from builder.cli.command import EXIT_OK, Command
from builder.errors import LayerboardError
from builder.graph import apply_layout
from builder.project import load_project, save_project


def _layout_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("project")
    parser.add_argument("--nodes", nargs="+", metavar="ID",
                        help="lay out only these nodes, near where they are and clear of the others")
    parser.add_argument("-o", "--output", help="project file to write (default: the project itself)")


def _layout(args: argparse.Namespace) -> int:
    project = load_project(args.project)
    graph = project.graph
    if args.nodes:
        unknown = [n for n in args.nodes if n not in graph.nodes]
        if unknown:
            raise LayerboardError(f"{args.project} has no node {', '.join(repr(n) for n in unknown)}; "
                                  f"see the ids with: python main.py check {args.project}")
    apply_layout(graph, args.nodes)
    out = save_project(project, args.output or args.project)
    count = len(args.nodes) if args.nodes else len(graph.nodes)
    print(f"laid out {count} node{'s' if count != 1 else ''}; wrote {out}")
    return EXIT_OK


LAYOUT = Command("layout", "lay a project's graph out top to bottom (or only --nodes), then save it",
                 _layout_arguments, _layout)
