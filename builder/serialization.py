"""Project files: JSON load with precise error messages, atomic save, format version checks."""
from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

from builder import registry
from builder.errors import GraphError, LayerboardError, ProjectFileError
from builder.graph import Graph
from builder.project import DatasetRef, Project, TrainingConfig, field_names, resolve_inside

FORMAT = "layerboard-project"
LAMBDA_REFUSED = ("Lambda layers are refused: they run arbitrary Python code stored in the file, so opening "
                  "them would execute code from whoever wrote it. Replace the Lambda with catalogue blocks "
                  "(e.g. Activation, Rescaling, Reshape, a merge block).")
VERSION = 1


def project_to_dict(project: Project) -> dict[str, Any]:
    return {
        "format": FORMAT,
        "version": VERSION,
        "name": project.name,
        "description": project.description,
        "graph": project.graph.to_dict(),
        "dataset": project.dataset.to_dict(),
        "training": project.training.to_dict(),
        **({"weights": project.weights} if project.weights else {}),
    }


def atomic_write_text(path: Path, text: str) -> None:
    """Write to a temporary file in the same folder, then rename: a crash never leaves half a file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def save_project(project: Project, path: str | Path) -> Path:
    path = Path(path)
    atomic_write_text(path, json.dumps(project_to_dict(project), indent=2) + "\n")
    project.path = path
    return path


def _expect(path, place: str, value: Any, kind: type | tuple, what: str) -> Any:
    if not isinstance(value, kind) or isinstance(value, bool) and kind is not bool:
        raise ProjectFileError(path, place, f"expected {what}, found {json.dumps(value)}.")
    return value


def _section(path, data: dict, key: str, cls):
    raw = data.get(key, {})
    _expect(path, key, raw, dict, "an object")
    unknown = set(raw) - field_names(cls)
    if unknown:
        raise ProjectFileError(path, f"{key}.{sorted(unknown)[0]}", f"unknown setting; known settings: {', '.join(sorted(field_names(cls)))}.")
    try:
        return cls(**raw)
    except TypeError as exc:
        raise ProjectFileError(path, key, str(exc)) from None


def _graph(path, raw: Any) -> Graph:
    _expect(path, "graph", raw, dict, "an object with 'nodes' and 'edges'")
    nodes = _expect(path, "graph.nodes", raw.get("nodes", []), list, "a list")
    edges = _expect(path, "graph.edges", raw.get("edges", []), list, "a list")
    graph = Graph()
    for i, n in enumerate(nodes):
        place = f"graph.nodes[{i}]"
        _expect(path, place, n, dict, "an object")
        node_id = _expect(path, f"{place}.id", n.get("id"), str, "a node id string")
        block_type = _expect(path, f"{place}.type", n.get("type"), str, "a block type string")
        if block_type == "Lambda":
            raise ProjectFileError(path, f"{place}.type", LAMBDA_REFUSED)
        if not registry.is_known(block_type):
            raise ProjectFileError(path, f"{place}.type", f"unknown block type '{block_type}'. Known: {', '.join(registry.block_types())}.")
        params = _expect(path, f"{place}.params", n.get("params", {}), dict, "an object of parameters")
        position = n.get("position", [0, 0])
        if not (isinstance(position, list) and len(position) == 2 and all(isinstance(v, (int, float)) for v in position)):
            raise ProjectFileError(path, f"{place}.position", f"expected [x, y], found {json.dumps(position)}.")
        flags = {key: _expect(path, f"{place}.{key}", n.get(key, default), bool, "true or false")
                 for key, default in (("trainable", True), ("output", False))}
        try:
            graph.add_node(block_type, params, position, node_id, **flags)
        except GraphError as exc:
            raise ProjectFileError(path, f"{place}.id", str(exc)) from None
    for i, e in enumerate(edges):
        place = f"graph.edges[{i}]"
        _expect(path, place, e, dict, "an object")
        for key in ("source", "target"):
            node_id = _expect(path, f"{place}.{key}", e.get(key), str, "a node id")
            if node_id not in graph.nodes:
                raise ProjectFileError(path, f"{place}.{key}", f"no node has the id '{node_id}'.")
        for key in ("source_port", "target_port"):
            port = _expect(path, f"{place}.{key}", e.get(key, 0), int, "a port number")
            if port < 0:
                raise ProjectFileError(path, f"{place}.{key}", "port numbers start at 0.")
        try:
            graph.connect(e["source"], e["target"], e.get("source_port", 0), e.get("target_port", 0))
        except GraphError as exc:
            raise ProjectFileError(path, place, str(exc)) from None
    return graph


def project_from_dict(data: Any, path: str | Path = "<project>") -> Project:
    _expect(path, "", data, dict, "a JSON object")
    if data.get("format") != FORMAT:
        raise ProjectFileError(path, "format", f"not a Layerboard project (expected \"format\": \"{FORMAT}\", found {json.dumps(data.get('format'))}).")
    version = data.get("version")
    if version != VERSION:
        raise ProjectFileError(path, "version", f"unsupported version {json.dumps(version)}; this Layerboard reads version {VERSION}. Update Layerboard to open newer files.")
    project = Project(
        graph=_graph(path, data.get("graph")),
        dataset=_section(path, data, "dataset", DatasetRef),
        training=_section(path, data, "training", TrainingConfig),
        name=str(data.get("name") or Path(str(path)).stem),
        description=str(data.get("description", "")),
    )
    weights = data.get("weights")
    if weights is not None:
        _expect(path, "weights", weights, str, "a relative path to a .weights.h5 file")
        try:
            resolve_inside(Path(str(path)).parent, weights)
        except LayerboardError as exc:
            raise ProjectFileError(path, "weights", str(exc)) from None
        project.weights = weights
    return project


def load_project(path: str | Path) -> Project:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ProjectFileError(path, "", "file not found. Check the path, or create one with `new TEMPLATE -o FILE`.") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ProjectFileError(path, "", f"cannot be read ({exc}).") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ProjectFileError(path, f"line {exc.lineno}, column {exc.colno}", f"malformed JSON: {exc.msg}.") from None
    project = project_from_dict(data, path)
    project.path = path
    return project


__all__ = ["load_project", "save_project", "project_from_dict", "project_to_dict", "atomic_write_text", "LayerboardError"]
