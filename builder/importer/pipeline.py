"""The whole import: a .keras/.h5 file -> a project file plus `<stem>.weights.h5` beside it, checked against the source.

The model is loaded without running code from the file (safe_loading), walked into a graph
(model_graph), written as a project with the layers' weights in HDF5 (builder.model's weights),
and with `verify` rebuilt from disk and compared with the source (verification).
"""
from __future__ import annotations

import glob
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from builder.errors import LayerboardError
from builder.files import check_replaceable, kill_point
from builder.graph import Graph
from builder.importer.model_graph import graph_from_model
from builder.importer.safe_loading import load_keras_file
from builder.importer.verification import verify_import
from builder.model import save_node_weights
from builder.project import Project, save_project


@dataclass
class ImportResult:
    """What import produced: the project, and for each node the source layer (for its weights)."""

    project: Project
    layers: dict[str, Any] = field(default_factory=dict)  # node id -> source Keras layer
    source_params: int = 0
    notes: list[str] = field(default_factory=list)  # things worth knowing that did not stop the import
    project_path: Path | None = None
    weights_path: Path | None = None
    verification: dict[str, Any] | None = None

    @property
    def graph(self) -> Graph:
        return self.project.graph


def project_from_model(model, name: str = "imported") -> ImportResult:
    """A Project (graph laid out, dataset/training left default) for an already loaded model."""
    graph, layers, notes = graph_from_model(model)
    project = Project(graph=graph, name=name)
    return ImportResult(project=project, layers=layers, source_params=int(model.count_params()), notes=notes)


def previous_weights(project_path: Path) -> Path | None:
    """The weights file the project now at `project_path` points at (inside its folder), or None."""
    try:
        weights = json.loads(project_path.read_text(encoding="utf-8")).get("weights")
    except (OSError, ValueError, UnicodeDecodeError, AttributeError):
        return None
    if not isinstance(weights, str) or Path(weights).is_absolute() or ".." in Path(weights).parts:
        return None
    return project_path.parent / weights


def unused_weights_name(weights_path: Path) -> Path:
    """`<stem>.<n>.weights.h5` beside `weights_path`, the first n no file has."""
    stem = weights_path.name.removesuffix(".weights.h5")
    n = 1
    while os.path.lexists(weights_path.with_name(f"{stem}.{n}.weights.h5")):
        n += 1
    return weights_path.with_name(f"{stem}.{n}.weights.h5")


def import_model(source: str | Path, project_path: str | Path, force: bool = False,
                 verify: bool = True) -> ImportResult:
    """Import a .keras/.h5 model as a project file plus `<stem>.weights.h5` beside it.

    With `verify`, the written project is built again, its weights loaded, and its parameter
    count and outputs compared with the source model (a mismatch is a LayerboardError).
    """
    source, project_path = Path(source), Path(project_path)
    weights_path = project_path.with_name(f"{project_path.stem}.weights.h5")
    if not force:
        for path in (project_path, weights_path):
            if path.exists():
                raise LayerboardError(f"{path} already exists; choose another name or pass --force to overwrite it.")
    check_replaceable(project_path)
    model = load_keras_file(source)
    result = project_from_model(model, name=project_path.stem)
    # All new or nothing new: the weights go under a name no file has, the project (one rename) then points at
    # them, and only after that are the files the old project used removed. A kill at any moment leaves the old
    # project with its own weights, or the new one with its own.
    previous = previous_weights(project_path)
    new_weights = weights_path if not os.path.lexists(weights_path) else unused_weights_name(weights_path)
    result.project.weights = new_weights.name
    save_node_weights(result.layers, new_weights)
    kill_point("import: weights written")
    try:
        save_project(result.project, project_path)
    except BaseException:
        new_weights.unlink(missing_ok=True)
        raise
    kill_point("import: project written")
    stem = weights_path.name.removesuffix(".weights.h5")
    orphans = set(project_path.parent.glob(f"{glob.escape(stem)}.[0-9]*.weights.h5"))  # a kill before the project
    for old in ({previous, weights_path} | orphans) - {new_weights, None}:
        if old.is_file() and not old.is_symlink():
            old.unlink()
    result.project_path, result.weights_path = project_path, new_weights
    if verify:
        result.verification = verify_import(result.project, model)
    return result
