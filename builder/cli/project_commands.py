"""The project commands: templates, new, import (a Keras model as a project) and blocks (composite blocks)."""
from __future__ import annotations

import argparse
import json
from pathlib import Path

from builder.blocks import composites
from builder.cli.command import EXIT_OK, Command
from builder.errors import LayerboardError
from builder.importer import import_model
from builder.model import save_selection
from builder.project import (NOT_MEASURED, list_templates, load_project, load_template, metric_text,
                             parameters_text, save_project, training_text)


def _templates_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true",
                        help="print every field as JSON: name, title, teaches, task, architecture, dataset, "
                             "description, path and the measured numbers of bench/templates.py")


def _templates(args: argparse.Namespace) -> int:
    templates = list_templates()
    if args.json:
        print(json.dumps({"templates": [t.to_dict() for t in templates]}, indent=2))
        return EXIT_OK
    for t in templates:
        measured = " · ".join(p for p in (metric_text(t.numbers), training_text(t.numbers).removeprefix("trains "),
                                          parameters_text(t.numbers.get("parameters"))) if p) or NOT_MEASURED
        print(f"{t.name:<28} {t.task:<15} {t.dataset:<14} {t.title[:34]:<35} {measured}")
    return EXIT_OK


TEMPLATES = Command("templates", "list the project templates (--json: every field and the measured numbers)",
                    _templates_arguments, _templates)


def _new_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("template", help="template name (see `templates`) or path")
    parser.add_argument("-o", "--output", required=True, help="project file to write")
    parser.add_argument("--force", action="store_true", help="overwrite an existing file")


def _new(args: argparse.Namespace) -> int:
    out = Path(args.output)
    if out.exists() and not args.force:
        raise LayerboardError(f"{out} already exists; choose another name or pass --force to overwrite it.")
    project = load_template(args.template)
    project.name = out.stem
    save_project(project, out)
    print(f"created {out} from template '{args.template}'")
    return EXIT_OK


NEW = Command("new", "create a project file from a template", _new_arguments, _new)


def _import_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("source", help="a Keras model file (.keras or .h5); no code from it is ever run")
    parser.add_argument("-o", "--output", required=True,
                        help="project file to write; weights go to <stem>.weights.h5 beside it")
    parser.add_argument("--force", action="store_true", help="overwrite an existing project or weights file")
    parser.add_argument("--json", action="store_true", help="print one JSON object")


def _import(args: argparse.Namespace) -> int:
    result = import_model(args.source, args.output, force=args.force)
    graph = result.graph
    inputs = len(graph.input_nodes())
    verified = result.verification or {}
    if args.json:
        print(json.dumps({
            "project": str(result.project_path),
            "weights": str(result.weights_path),
            "nodes": len(graph.nodes),
            "inputs": inputs,
            "outputs": graph.output_nodes(),
            "params": result.source_params,
            "max_abs_diff": verified.get("max_abs_diff"),
            "unsupported": [],
            "notes": result.notes,
        }))
        return EXIT_OK
    print(f"imported {args.source} -> {result.project_path}")
    print(f"  nodes:       {len(graph.nodes)} ({len(graph.nodes) - inputs} layers, {inputs} input(s))")
    print(f"  parameters:  {result.source_params:,} (the rebuilt model has the same)")
    print(f"  weights:     {result.weights_path} ({verified.get('weights_loaded', 0)} layers with weights)")
    print("  unsupported: none")
    if "max_abs_diff" in verified:
        print(f"  verified:    outputs match the source model (max abs diff {verified['max_abs_diff']:.2g})")
    for note in result.notes:
        print(f"  note: {note}")
    return EXIT_OK


IMPORT = Command("import", "turn a .keras or .h5 model into a project, with its weights beside it",
                 _import_arguments, _import)


def _blocks_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("action", nargs="?", choices=["list", "save"], default="list",
                        help="list (default) or save: `blocks save PROJECT --nodes a,b,c --name MyBlock`")
    parser.add_argument("project", nargs="?", help="for save: the project whose nodes to save")
    parser.add_argument("--nodes", help="for save: comma-separated node ids (the selection)")
    parser.add_argument("--name", help="for save: the block's CamelCase name, e.g. MyResidualBlock")
    parser.add_argument("--description", default="", help="for save: one line shown in the palette")
    parser.add_argument("--dir", help="for save: folder to write to "
                                      "(default: $LAYERBOARD_BLOCKS_DIR or ~/.config/layerboard/blocks)")
    parser.add_argument("--force", action="store_true", help="for save: overwrite your block of the same name")
    parser.add_argument("--json", action="store_true", help="print JSON")


def _blocks(args: argparse.Namespace) -> int:
    if args.action == "save":
        return _save_block(args)
    rows = [{"name": d.name, "category": d.category, "inputs": d.inputs, "outputs": [o.name for o in d.outputs],
             "params": list(d.params), "description": d.description, "path": str(d.path)}
            for d in composites.definitions().values()]
    if args.json:
        print(json.dumps({"blocks": rows, "problems": composites.load_problems()}))
        return EXIT_OK
    for r in rows:
        print(f"{r['name']:<26} {r['category']:<10} in: {', '.join(r['inputs'])}  out: {', '.join(r['outputs'])}")
        print(f"    {r['description']}")
    for problem in composites.load_problems():
        print(f"! skipped {problem}")
    return EXIT_OK


def _save_block(args: argparse.Namespace) -> int:
    if not (args.project and args.nodes and args.name):
        raise LayerboardError("blocks save needs a project, --nodes a,b,c and --name MyBlock.")
    project = load_project(args.project)
    nodes = [n.strip() for n in args.nodes.split(",") if n.strip()]
    data = save_selection(project.graph, nodes, args.name, args.description)
    path = composites.save_block(data, args.dir, overwrite=args.force)
    if args.json:
        print(json.dumps({"name": data["name"], "path": str(path), "inputs": data["inputs"],
                          "outputs": [o["name"] for o in data["outputs"]]}))
    else:
        print(f"saved block {data['name']} to {path} (inputs: {', '.join(data['inputs'])}; "
              f"outputs: {', '.join(o['name'] for o in data['outputs'])})")
    return EXIT_OK


BLOCKS = Command("blocks", "list composite blocks, or save part of a project as a block", _blocks_arguments, _blocks)
