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
            {"label": label, "target": _plain(t), "x": _plain(x)} for x, t, label in zip(*preview)]}))
        return EXIT_OK
    print(f"{info.name}: {info.description}")
    print(f"input shape {info.input_shape} {info.dtype}; "
          + (f"{info.num_classes} classes: {', '.join(info.class_names)}" if info.output == "classes" else "regression"))
    print(f"train {info.train_size}, validation {info.validation_size}, test {info.test_size}")
    for i, (x, label) in enumerate(zip(preview.x, preview.labels)):
        flat = _flat_preview(x)
        print(f"  [{i}] {label:<12} {flat}")
    return EXIT_OK


DATASETS = Command("datasets", "list the datasets, or describe one with a preview of its samples",
                   _datasets_arguments, _datasets)


def _plain(value):
    import numpy as np

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
