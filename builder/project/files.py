"""Project files: JSON load with precise error messages, atomic save, format version checks."""
from __future__ import annotations

import filecmp
import json
import shutil
from pathlib import Path
from typing import Any

from builder import blocks
from builder.blocks import expect_type, read_graph
from builder.file_checks import require_regular_file
from builder.files import atomic_path, atomic_write_text
from builder.errors import LayerboardError, ProjectFileError
from builder.graph import Graph
from builder.project.limits import check_limits, check_path, check_size, parse_json
from builder.project.record import DatasetRef, Project, TrainingConfig, field_names, resolve_inside
from builder.project.shared_layers import read_shares

FORMAT = "layerboard-project"
VERSION = 1


def project_to_dict(project: Project) -> dict[str, Any]:
    carried = blocks.composites.project_blocks(project.graph)  # composite blocks the project carries (imported)
    # a deleted node's entry goes: the file may name only its nodes
    groups = {k: v for k, v in project.weight_groups.items() if k in project.graph.nodes}
    return {
        "format": FORMAT,
        "version": VERSION,
        "name": project.name,
        "description": project.description,
        **({"gallery": dict(project.gallery)} if project.gallery else {}),
        **({"blocks": carried} if carried else {}),
        "graph": project.graph.to_dict(),
        "dataset": project.dataset.to_dict(),
        "training": project.training.to_dict(),
        **({"weights": project.weights} if project.weights else {}),
        **({"weight_groups": groups} if project.weights and groups else {}),
    }


def save_project(project: Project, path: str | Path) -> Path:
    """Write the project atomically; saved into another folder, it takes its weights file along (written first,
    so the project never appears without them)."""
    path = Path(path)
    carried = _carry_weights(project, path)
    try:
        atomic_write_text(path, json.dumps(project_to_dict(project), indent=2) + "\n")
    except BaseException:
        if carried is not None:
            carried.unlink(missing_ok=True)
        raise
    project.path = path
    return path


def _carry_weights(project: Project, path: Path) -> Path | None:
    """Copy the project's weights file beside `path` when the project moves to another folder (Save As); a file of
    that name already there with other contents is kept, and the copy takes the next free name. Returns the copy."""
    if not project.weights or project.path is None or project.path.parent.resolve() == path.parent.resolve():
        return None
    source = project.resolve(project.weights)
    if not source.is_file():
        return None
    target = resolve_inside(path.parent, project.weights)
    if target.is_file() and filecmp.cmp(source, target, shallow=False):
        return None
    stem, n = target.name.removesuffix(".weights.h5"), 1
    while target.exists():
        target, n = target.with_name(f"{stem}.{n}.weights.h5"), n + 1
    with atomic_path(target) as tmp:
        shutil.copyfile(source, tmp)
    project.weights = target.relative_to(path.parent.resolve()).as_posix()
    return target


def _section(path, data: dict, key: str, cls):
    raw = data.get(key, {})
    expect_type(path, key, raw, dict, "an object")
    unknown = set(raw) - field_names(cls)
    if unknown:
        raise ProjectFileError(path, f"{key}.{sorted(unknown)[0]}", f"unknown setting; known settings: {', '.join(sorted(field_names(cls)))}.")
    try:
        return cls(**raw)
    except TypeError as exc:
        raise ProjectFileError(path, key, str(exc)) from None


def project_from_dict(data: Any, path: str | Path = "<project>") -> Project:
    expect_type(path, "", data, dict, "a JSON object")
    if data.get("format") != FORMAT:
        raise ProjectFileError(path, "format", f"not a Layerboard project (expected \"format\": \"{FORMAT}\", found {json.dumps(data.get('format'))}).")
    version = data.get("version")
    if version != VERSION or type(version) is not int:  # `true` equals 1 in Python, yet is no version number
        raise ProjectFileError(path, "version", f"unsupported version {json.dumps(version)}; this Layerboard reads version {VERSION}. Update Layerboard to open newer files.")
    blocks.composites.read_project_blocks(path, data.get("blocks"))  # before the graph, whose nodes may use them
    graph = read_graph(path, data.get("graph"), blocks.is_known, blocks.block_types)
    read_shares(path, data.get("graph"), graph)
    project = Project(
        graph=graph,
        dataset=_section(path, data, "dataset", DatasetRef),
        training=_section(path, data, "training", TrainingConfig),
        name=str(data.get("name") or Path(str(path)).stem),
        description=str(data.get("description", "")),
    )
    gallery = data.get("gallery")
    if gallery is not None:  # a template's card text: kept as written, so `layout` or `rename` of a template keeps it
        expect_type(path, "gallery", gallery, dict, 'an object such as {"title": "...", "teaches": "...", "task": "image"}')
        project.gallery = {str(k): v for k, v in gallery.items() if isinstance(v, (str, int, float, bool))}
    weights = data.get("weights")
    if weights is not None:
        expect_type(path, "weights", weights, str, "a relative path to a .weights.h5 file")
        try:
            resolve_inside(Path(str(path)).parent, weights)
        except LayerboardError as exc:
            raise ProjectFileError(path, "weights", str(exc)) from None
        project.weights = weights
    groups = data.get("weight_groups")
    if groups is not None:
        wanted = '{"node id": "its group in the weights file"} (written when a node with imported weights is renamed)'
        if not isinstance(groups, dict) or not all(isinstance(k, str) and isinstance(v, str) and len(v) <= 1000
                                                   for k, v in groups.items()):
            raise ProjectFileError(path, "weight_groups", f"must be {wanted}")
        unknown = sorted(set(groups) - set(project.graph.nodes))
        if unknown:
            raise ProjectFileError(path, "weight_groups", f"names '{unknown[0]}', which is not a node of the graph; "
                                                          "remove that entry")
        project.weight_groups = dict(groups)
    check_node_files(path, project.graph, Path(str(path)).parent)
    return project


def check_node_files(source, graph: Graph, folder: Path) -> None:
    """Refuse node parameters that name a file (a lookup's vocabulary) outside `folder`, the project's folder;
    `source` is what the message names (the project file, or "The clipboard")."""
    for i, node in enumerate(graph.nodes.values()):
        for name in blocks.file_params(node.type):
            value = node.params.get(name)
            if isinstance(value, str):
                try:
                    resolve_inside(folder, value)
                except LayerboardError as exc:
                    raise ProjectFileError(source, f"graph.nodes[{i}].params.{name} (node '{node.id}')",
                                           str(exc)) from None


def load_project(path: str | Path) -> Project:
    check_path(path)
    path = Path(path)
    if path.exists():  # a FIFO or a device would block or never end: refused before it is opened
        try:
            require_regular_file(path, "project file")
        except LayerboardError as exc:
            raise ProjectFileError(path, "", str(exc)) from None
    try:
        check_size(path, path.stat().st_size)
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ProjectFileError(path, "", "file not found. Check the path, or create one with `new TEMPLATE -o FILE`.") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ProjectFileError(path, "", f"cannot be read ({exc}).") from None
    data = parse_json(path, text)
    check_limits(path, data)  # bytes, nodes, nesting and string lengths, each limit named
    project = project_from_dict(data, path)
    project.path = path
    return project


__all__ = ["load_project", "save_project", "project_from_dict", "project_to_dict", "LayerboardError"]
