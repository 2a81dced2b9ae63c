"""The whole import: a .keras/.h5 file -> a project file plus `<stem>.weights.h5` beside it, checked against the source.

The model is loaded without running code from the file (safe_loading), walked into a graph
(model_graph), written as a project with the layers' weights in HDF5 (builder.model's weights),
and with `verify` rebuilt from disk and compared with the source (verification).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from builder.errors import LayerboardError
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
    model = load_keras_file(source)
    result = project_from_model(model, name=project_path.stem)
    result.project.weights = weights_path.name
    save_node_weights(result.layers, weights_path)
    save_project(result.project, project_path)
    result.project_path, result.weights_path = project_path, weights_path
    if verify:
        result.verification = verify_import(result.project, model)
    return result
