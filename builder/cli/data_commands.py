"""The data command: datasets lists the datasets, or describes one with a preview of its samples."""
from __future__ import annotations

import argparse
import json
from pathlib import Path

from builder.cli.arguments import whole_number
from builder.cli.command import EXIT_OK, Command
from builder.project import DatasetRef, load_project


def _datasets_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("name", nargs="?", help="a dataset name, or a project file (describes its dataset)")
    parser.add_argument("--preview", type=whole_number(0, 100_000), default=5, metavar="N",
                        help="samples to show (default 5)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")


def _datasets(args: argparse.Namespace) -> int:
    # builder.data loads numpy: imported by this command only, so the others start quickly
    from builder.data import FILE_KINDS, SOURCES, all_dataset_names, load_dataset, load_project_dataset

    if not args.name:
        rows = [(name, source.description) for name, source in SOURCES.items()]
        rows += [(name, "user file or folder (dataset.path)" if name in FILE_KINDS else "online (keras.datasets)")
                 for name in all_dataset_names() if name not in SOURCES]
        if args.json:
            print(json.dumps([{"name": n, "description": d} for n, d in rows]))
        else:
            for name, description in rows:
                print(f"{name:<16} {description}")
        return EXIT_OK
    if args.name.endswith(".json") and Path(args.name).exists():
        data = load_project_dataset(load_project(args.name))
    else:
        data = load_dataset(DatasetRef(name=args.name))
    info, preview = data.describe(), data.preview(args.preview)
    if args.json:
        print(json.dumps({**info.to_dict(), "preview": [
            {"label": label, "target": _plain(_row(preview.y, i)), "x": _plain(_row(preview.x, i))}
            for i, label in enumerate(preview.labels)]}))
        return EXIT_OK
    print(f"{info.name}: {info.description}")
    if info.input_shapes or info.targets:  # multi-input / multi-output: arrays by Input and output name
        inputs = info.input_shapes or {"(one array)": info.input_shape}
        print("inputs " + "; ".join(f"'{k}' {shape} {info.input_dtypes.get(k, info.dtype)}"
                                    for k, shape in inputs.items()))
        targets = info.targets or {"(one target)": info.target("")}
        print("targets " + "; ".join(f"'{k}' {_kind_text(t.output, t.class_names)}" for k, t in targets.items()))
    else:
        print(f"input shape {info.input_shape} {info.dtype}; {_kind_text(info.output, info.class_names)}")
    print(f"train {info.train_size}, validation {info.validation_size}, test {info.test_size}")
    for i, label in enumerate(preview.labels):
        x = {k: v[i] for k, v in preview.x.items()} if isinstance(preview.x, dict) else preview.x[i]
        flat = "  ".join(f"{k} {_flat_preview(v)}" for k, v in x.items()) if isinstance(x, dict) else _flat_preview(x)
        print(f"  [{i}] {label:<12} {flat}")
    return EXIT_OK


def _kind_text(output: str, class_names) -> str:
    if output != "classes":
        return "regression"
    return f"{len(class_names)} classes: {', '.join(class_names)}"


DATASETS = Command("datasets", "list the datasets, or describe one with a preview of its samples",
                   _datasets_arguments, _datasets)


def _row(values, i: int):
    """Sample i of an array, or of each array of a dict (multi-input / multi-output sets)."""
    return {k: v[i] for k, v in values.items()} if isinstance(values, dict) else values[i]


def _plain(value):
    import numpy as np

    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    array = np.asarray(value)
    return array.tolist() if array.dtype.kind != "O" else [str(v) for v in array.reshape(-1)]


def _flat_preview(x) -> str:
    """A sample in one line: its first values and its shape, or the start of a text sample."""
    import numpy as np

    array = np.asarray(x)
    if array.dtype.kind in "OUS":
        return repr(str(array.reshape(-1)[0])[:60])
    values = array.reshape(-1)
    shown = ", ".join(f"{v:.3g}" for v in values[:8])
    return f"[{shown}{', ...' if values.size > 8 else ''}] shape {array.shape}"
