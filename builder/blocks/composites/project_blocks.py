"""Blocks a project carries: its file's "blocks" section, {NAME: a block definition}, read and written.

An imported nested model (a Sequential stem, a functional head) becomes a composite block whose definition
lives in the project file itself, so the project is self-contained. Reading the project registers those
definitions with the library (`library.register`), so a node of type NAME works everywhere a library block
does: shape inference, building, expanding, code export, and the training process, which reads the
project again. Writing the project writes the definitions its graph uses, inner blocks first.
"""
from __future__ import annotations

import json
from typing import Any

from builder.blocks.composites.definition import PROJECT_CATEGORY, BlockDef, BlockError
from builder.blocks.composites.library import definition_from_dict, register, registered
from builder.errors import ProjectFileError
from builder.graph import Graph

SECTION = "blocks"
WANTED = '{"BlockName": a block definition ("format": "layerboard-block", "name": "BlockName", ...)}'


def register_definition(data: dict[str, Any], source: Any = "<project>") -> BlockDef:
    """Check a block definition and register it as a block a project carries; returns it."""
    return register(definition_from_dict(data, source, PROJECT_CATEGORY))


def _inner_types(data: Any) -> set[str]:
    graph = data.get("graph") if isinstance(data, dict) else None
    nodes = graph.get("nodes") if isinstance(graph, dict) else None
    return {n["type"] for n in nodes or [] if isinstance(n, dict) and isinstance(n.get("type"), str)}


def read_project_blocks(path: Any, raw: Any) -> list[str]:
    """Check and register the blocks of a project file's "blocks" section (absent: none); returns their names.

    A block may use another block of the section, whichever comes first; every problem is a ProjectFileError
    naming its place, `blocks.NAME.<field>`."""
    if raw is None:
        return []
    if not isinstance(raw, dict):
        raise ProjectFileError(path, SECTION, f"expected an object {WANTED}.")
    for name, data in raw.items():
        if not isinstance(data, dict):
            raise ProjectFileError(path, f"{SECTION}.{name}", f"expected a block definition, found {json.dumps(data)[:60]}.")
        if data.get("name") != name:
            raise ProjectFileError(path, f"{SECTION}.{name}.name", f"must be the block's key, \"{name}\".")
    done: list[str] = []
    waiting = dict(raw)
    while waiting:
        ready = [n for n, d in waiting.items() if not (_inner_types(d) & set(waiting)) - {n}]
        if not ready:
            raise ProjectFileError(path, SECTION, f"the blocks {sorted(waiting)} contain each other in a loop.")
        for name in ready:
            try:
                register_definition(waiting.pop(name), path)
            except ProjectFileError as exc:
                raise ProjectFileError(path, f"{SECTION}.{name}" + (f".{exc.place}" if exc.place else ""),
                                       exc.problem) from None
            except BlockError as exc:
                raise ProjectFileError(path, f"{SECTION}.{name}", str(exc)) from None
            done.append(name)
    return done


def project_blocks(graph: Graph) -> dict[str, dict[str, Any]]:
    """The definitions of the carried blocks the graph uses (inside other blocks too), inner blocks first."""
    carried = registered()
    found: dict[str, dict[str, Any]] = {}

    def visit(block_type: str, seen: frozenset) -> None:
        if block_type in found or block_type in seen or block_type not in carried:
            return
        data = carried[block_type].to_dict()
        for inner in sorted(_inner_types(data)):
            visit(inner, seen | {block_type})
        found[block_type] = data

    for node in graph.nodes.values():
        visit(node.type, frozenset())
    return found
