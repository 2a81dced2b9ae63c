"""Copy and paste of nodes: a selection as JSON (its nodes and the wires inside it), and a checked paste plan.

`copy_selection` writes the selected nodes (type, parameters, switches, positions relative to the
selection's top-left corner) and only the wires between them, under {"format": "layerboard-nodes",
"version": 1}. `paste_plan` reads such data from anywhere (another window, another program, a hand-edited
text) as hostile: it is checked as a project file's graph is (types, ids, wires, sizes, nesting), every
parameter against its block's spec, and every position for being finite; then each node gets a fresh id in
Keras's style and the group is placed with its top-left corner at the anchor, shifted clear of the
graph's nodes. `apply_paste` and `remove_paste` add the plan to a graph and take it away again.
"""
from __future__ import annotations

import copy
import json
import math
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from builder import blocks
from builder.errors import LayerboardError, ProjectFileError
from builder.graph import Edge, Graph, Node, place_clear
from builder.project.files import check_node_files
from builder.project.limits import MAX_EDGES, MAX_NODES, MAX_PROJECT_BYTES, check_limits, parse_json
from builder.project.validation import shown

FORMAT = "layerboard-nodes"
VERSION = 1
_SOURCE = "The clipboard"  # how messages name where the data came from


@dataclass(frozen=True)
class PastePlan:
    """The nodes to add (fresh ids, final positions) and the wires between them, in the copied order."""

    nodes: tuple[Node, ...]
    edges: tuple[Edge, ...]

    @property
    def new_ids(self) -> list[str]:
        return [node.id for node in self.nodes]


def copy_selection(graph: Graph, node_ids: Iterable[str]) -> dict[str, Any]:
    """The selected nodes (in graph order) and the wires between them, as JSON-serialisable clipboard data."""
    chosen = set(node_ids)
    for node_id in chosen:
        graph.node(node_id)  # an unknown id says so
    nodes = [node for node_id, node in graph.nodes.items() if node_id in chosen]
    left = min((node.position[0] for node in nodes), default=0.0)
    top = min((node.position[1] for node in nodes), default=0.0)
    items = []
    for node in nodes:
        item = node.to_dict()
        item["position"] = [node.position[0] - left, node.position[1] - top]
        items.append(item)
    edges = [edge.to_dict() for edge in graph.edges if edge.source in chosen and edge.target in chosen]
    return {"format": FORMAT, "version": VERSION, "nodes": items, "edges": edges}


def clipboard_text(data: dict[str, Any]) -> str:
    """The clipboard data as readable text (pretty-printed JSON), for the clipboard's text/plain."""
    return json.dumps(data, indent=2) + "\n"


def clipboard_data(text: str) -> dict[str, Any]:
    """Clipboard text parsed back into data; LayerboardError when it is not Layerboard blocks (paste_plan
    checks the contents)."""
    if len(text) > MAX_PROJECT_BYTES:
        raise LayerboardError(f"{_SOURCE} holds {len(text):,} characters; Layerboard pastes at most "
                              f"{MAX_PROJECT_BYTES:,}. Copy fewer blocks.")
    data = parse_json(_SOURCE, text)
    _check_header(data)
    return data


def paste_plan(graph: Graph, data: Any, anchor: tuple[float, float] = (0.0, 0.0),
               folder: str | Path | None = None) -> PastePlan:
    """Check clipboard data and plan its paste into `graph`: fresh ids, wires remapped, the group's top-left
    corner at `anchor` (then shifted clear of the graph's nodes). Raises LayerboardError, naming the place and
    the problem, for anything broken or hostile; changes nothing. `folder` is the project's folder: a file a
    pasted block names (a vocabulary) must lie inside it, as in a project file (default: the working folder)."""
    _check_header(data)
    nodes, edges = data.get("nodes", []), data.get("edges", [])
    for key, items, limit in (("nodes", nodes, MAX_NODES), ("edges", edges, MAX_EDGES)):
        if isinstance(items, list) and len(items) > limit:
            raise ProjectFileError(_SOURCE, key, f"{len(items):,} {key}; a paste holds at most {limit:,}. "
                                                 "Copy fewer blocks.")
    check_limits(_SOURCE, data)  # nesting and string lengths
    copied = blocks.read_graph(_SOURCE, {"nodes": nodes, "edges": edges}, blocks.is_known, blocks.block_types)
    check_node_files(_SOURCE, copied, Path(folder) if folder is not None else Path.cwd())
    for i, node in enumerate(copied.nodes.values()):
        for name, value in node.params.items():
            try:
                blocks.check_param(node.type, name, value, node.params)
            except LayerboardError as exc:
                raise ProjectFileError(_SOURCE, f"graph.nodes[{i}].params.{name}", str(exc)) from None
    ax, ay = (float(v) for v in anchor)
    if not (math.isfinite(ax) and math.isfinite(ay)):
        raise LayerboardError(f"Cannot paste at ({ax}, {ay}): the place must be finite.")
    fresh = graph.new_ids(node.type for node in copied.nodes.values())
    renamed = dict(zip(copied.nodes, fresh))
    left = min((node.position[0] for node in copied.nodes.values()), default=0.0)
    top = min((node.position[1] for node in copied.nodes.values()), default=0.0)
    wanted = {renamed[n]: (ax + node.position[0] - left, ay + node.position[1] - top)
              for n, node in copied.nodes.items()}
    placed = place_clear(graph, wanted)
    shares = _pasted_shares(graph, nodes, copied, renamed)
    plan_nodes = tuple(Node(renamed[n], node.type, node.params, placed[renamed[n]], node.trainable, node.output,
                            shares=shares.get(n)) for n, node in copied.nodes.items())
    plan_edges = tuple(Edge(renamed[e.source], renamed[e.target], e.source_port, e.target_port)
                       for e in copied.edges)
    return PastePlan(plan_nodes, plan_edges)


def _pasted_shares(graph: Graph, raw_nodes: list, copied: Graph, renamed: dict[str, str]) -> dict[str, str]:
    """Who each pasted node shares a layer with: a copied owner's fresh id (a copied siamese pair stays a pair), else
    the owner itself when the graph pasted into holds it with the same type (another call of that layer); a
    node whose owner is in neither gets a layer of its own."""
    found = {}
    for raw in raw_nodes:
        node_id, owner = raw.get("id"), raw.get("shares")
        if not isinstance(owner, str) or node_id not in copied.nodes:
            continue
        if owner in renamed and copied.nodes[owner].type == copied.nodes[node_id].type:
            found[node_id] = renamed[owner]
        elif owner in graph.nodes and graph.nodes[owner].type == copied.nodes[node_id].type and not graph.nodes[owner].shares:
            found[node_id] = owner
    return found


def apply_paste(graph: Graph, plan: PastePlan) -> None:
    """Add the plan's nodes and wires to the graph (one NodeAdded per node, one EdgeAdded per wire), then who
    shares whose layer."""
    for node in plan.nodes:
        graph.add_node(node.type, copy.deepcopy(node.params), node.position, node.id, node.trainable,
                       node.output)
    for node in plan.nodes:
        if node.shares is not None:
            graph.set_shares(node.id, node.shares)
    for edge in plan.edges:
        graph.connect(edge.source, edge.target, edge.source_port, edge.target_port)


def remove_paste(graph: Graph, plan: PastePlan) -> None:
    """Take an applied paste back out: its nodes and, with them, their wires."""
    for node in reversed(plan.nodes):
        graph.remove_node(node.id)


def _check_header(data: Any) -> None:
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise LayerboardError(f"{_SOURCE} holds no Layerboard blocks (expected JSON with \"format\": "
                              f"\"{FORMAT}\"). Copy blocks in a Layerboard window first.")
    version = data.get("version")
    if type(version) is not int or version != VERSION:
        raise ProjectFileError(_SOURCE, "version", f"unsupported version {shown(version)}; this Layerboard "
                                                   f"pastes version {VERSION}. Update Layerboard.")
