"""The check command: every node's output shape and parameters, size and FLOPs estimates, and optionally the
project against its dataset and each block's TFLite conversion."""
from __future__ import annotations

import argparse
import json

from builder.cli.command import EXIT_INVALID, EXIT_OK, Command
from builder.model import estimate, format_shape, infer_shapes, weights_files
from builder.project import load_project


def _check_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("project")
    parser.add_argument("--dataset", action="store_true",
                        help="also load the project's dataset and check the Inputs and outputs against it")
    parser.add_argument("--target", choices=["tflite", "tflite-int8"],
                        help="also convert every block on its own to TFLite (int8: full-integer quantised) and say "
                             "whether it uses built-in ops, needs select TF ops, or cannot convert (answers are cached)")
    parser.add_argument("--fix-suggestions", action="store_true",
                        help="with the dataset check (implies --dataset): the change that removes each dataset "
                             "problem (an Input's shape or dtype, the output's units or activation, the loss)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")


def _check(args: argparse.Namespace) -> int:
    from builder.training import settings_problems  # loads numpy: imported by this command only

    project = load_project(args.project)
    report = infer_shapes(project.graph, project.folder())
    problems = settings_problems(project)  # every setting, and an empty graph, as train reads them
    suggest = getattr(args, "fix_suggestions", False)
    dataset_fixes = []
    if suggest and not problems:
        dataset_problems, dataset_fixes = _dataset_fixes(project, report)
    else:
        dataset_problems = _dataset_problems(project, report) if args.dataset and not problems else []
    valid = report.valid and not dataset_problems and not problems
    target = getattr(args, "target", None)
    blocks = {}
    if target:
        from builder.export import check_project  # loads numpy: only with --target

        blocks = {b.node_id: b for b in check_project(project, target)}
    cost = estimate(project, report)  # the same shapes: not inferred twice
    # a backbone's ImageNet weights: the file in Keras's cache folder it starts from, or what is missing
    weights_notes = [w.notice() for w in weights_files(project.graph)]
    unconvertible = [b for b in blocks.values() if b.status == "unsupported"]
    if args.json:
        data = {
            "valid": valid,
            "problems": problems,
            "dataset_problems": dataset_problems,
            "nodes": [{"id": n, "type": project.graph.nodes[n].type,
                       "output_shape": list(r.shape) if r.shape is not None else None,
                       "params": r.params, "shares": r.shares, "error": r.error} for n, r in report.nodes.items()],
            "total_params": report.total_params,
            "errors": report.graph_errors,
            "estimates": _estimates_json(cost),
            "notes": weights_notes,
        }
        if target:
            data["target"] = target
            data["blocks"] = [b.to_dict() for b in blocks.values()]
        if suggest:
            data["dataset_fixes"] = [fix.to_dict() for fix in dataset_fixes]
        print(json.dumps(data))
    else:
        column = f" {target + ' (' + ('int8' if target == 'tflite-int8' else 'float') + ')':<26}" if target else ""
        print(f"{'node':<20} {'type':<20} {'output shape':<22} {'params':>10}{column}")
        for node_id, r in report.nodes.items():
            shape = format_shape(r.shape) if r.ok else "ERROR"
            status = f" {_status_text(blocks[node_id]):<26}" if node_id in blocks else ""
            params = f"{r.params:>10,}" if not r.shares else f"{'shared':>10}"  # the owner counts the weights
            print(f"{node_id:<20} {project.graph.nodes[node_id].type:<20} {shape:<22} {params}{status}".rstrip())
            if r.shares:
                print(f"  = calls the layer of '{r.shares}' (its weights)")
            if r.error:
                print(f"  ! {r.error}")
            b = blocks.get(node_id)
            if b is not None and b.status in ("unsupported", "select_tf_ops") and b.message:
                print(f"  {'!' if b.status == 'unsupported' else '-'} {b.message}")
        for error in report.graph_errors:
            print(f"! {error}")
        for problem in problems:
            print(f"! {problem}")
        for i, problem in enumerate(dataset_problems):
            print(f"! dataset: {problem}")
            if i < len(dataset_fixes):
                print(f"  fix: {dataset_fixes[i].describe()}")
        for note in weights_notes:
            print(f"note: {note}")
        print(f"total parameters: {report.total_params:,}")
        _print_estimates(cost)
        if target:
            _print_target_summary(target, list(blocks.values()))
        print("valid" if valid else "INVALID")
    return EXIT_OK if valid and not unconvertible else EXIT_INVALID


CHECK = Command("check", "validate a project: every node's output shape and parameter count", _check_arguments, _check)


def _status_text(block) -> str:
    text = {"builtin": "builtin", "select_tf_ops": "select TF ops", "unsupported": "cannot convert",
            "skipped": "-"}[block.status]
    if block.quantized is not None and block.status != "unsupported":
        text += f", int8: {'yes' if block.quantized else 'no'}"
    return text


def _estimates_json(cost) -> dict:
    return {"params": cost.params, "size_bytes": cost.size_bytes, "flops_per_sample": cost.flops_per_sample,
            "activation_bytes_per_sample": cost.activation_bytes_per_sample, "unknown_layers": cost.unknown_layers}


def _print_estimates(cost) -> None:
    sizes = ", ".join(f"{fmt} {n / 1024:,.1f} KiB" for fmt, n in cost.size_bytes.items())
    print(f"estimated file size: {sizes}")
    unknown = f" (no formula, counted as 0: {', '.join(cost.unknown_layers)})" if cost.unknown_layers else ""
    print(f"per sample: {cost.flops_per_sample / 1e6:,.3f} MFLOPs (multiply-add = 2), "
          f"activations {cost.activation_bytes_per_sample / 1024:,.1f} KiB (float32, all outputs summed){unknown}")


def _print_target_summary(target: str, blocks: list) -> None:
    checked = [b for b in blocks if b.status != "skipped"]
    bad = [b.node_id for b in checked if b.status == "unsupported"]
    select = [b.node_id for b in checked if b.status == "select_tf_ops"]
    if bad:
        print(f"{target}: {len(bad)} block(s) cannot convert: {', '.join(bad)}")
    elif select:
        print(f"{target}: converts, but {', '.join(select)} need(s) the select-TF-ops runtime (a larger TFLite build)")
    else:
        print(f"{target}: every block converts to TFLite built-in operators")
    if target == "tflite-int8":
        floats = [b.node_id for b in checked if b.status != "unsupported" and not b.quantized]
        print(f"int8: {'every block quantises' if not floats else 'stays float: ' + ', '.join(floats)}")


def _dataset_problems(project, report) -> list[str]:
    from builder.data import check_against_dataset, dataset_problems_text, load_project_dataset  # only with --dataset

    info = load_project_dataset(project).describe()
    return dataset_problems_text(check_against_dataset(project, info, report))


def _dataset_fixes(project, report) -> tuple[list[str], list]:
    """The dataset problems (as _dataset_problems words them) and the DatasetFix proposed for each, in order."""
    # only with --fix-suggestions
    from builder.data import dataset_problems_text, load_project_dataset, suggest_fixes, summarize

    summary = summarize(load_project_dataset(project), preview=0)
    fixes = suggest_fixes(project, summary.info, report, summary.target_shape)
    return dataset_problems_text([fix.mismatch for fix in fixes]), fixes
