"""Automatic top-to-bottom layout: longest-path layering, then barycentre ordering within layers.

Inputs sit on the top row; every node sits one row below its lowest predecessor, so data flows
down. Within a row, nodes are ordered by the mean position of their predecessors (a few sweeps
down and up) so that a plain chain stays in one straight column and branches fan out beside it.
"""
from __future__ import annotations

import math

from builder.graph.algorithms import topological_order
from builder.graph.graph import Graph

ROW_HEIGHT = 110.0  # the canvas's node is 60 high; 50 for the wire and its arrow
COLUMN_WIDTH = 260.0  # the canvas's node is 220 wide; 40 between columns


def layered_positions(graph: Graph, row_height: float = ROW_HEIGHT,
                      column_width: float = COLUMN_WIDTH) -> dict[str, tuple[float, float]]:
    """Node id -> (x, y) for a layered drawing of the graph (cycles, if any, go to the bottom)."""
    order, stuck = topological_order(graph)
    preds: dict = {n: [] for n in graph.nodes}  # node id (or a placeholder tuple) -> neighbours
    succs: dict = {n: [] for n in graph.nodes}
    for e in graph.edges:
        preds[e.target].append(e.source)
        succs[e.source].append(e.target)
    row: dict[str, int] = {}
    for n in order:
        row[n] = max((row[p] + 1 for p in preds[n] if p in row), default=0)
    bottom = max(row.values(), default=-1) + 1
    for n in graph.nodes:
        if n in stuck:
            row[n] = bottom
    rows: list[list] = [[] for _ in range(max(row.values(), default=-1) + 1)]
    for n in graph.nodes:  # node order: inputs in model order, then data-flow order
        rows[row[n]].append(n)
    # a wire that skips rows (a residual connection) gets a placeholder in each row it crosses,
    # so the ordering keeps a lane free for it instead of drawing it through the nodes between
    for k, e in enumerate(graph.edges):
        if e.source not in row or e.target not in row or row[e.target] - row[e.source] < 2:
            continue
        previous = e.source
        for r in range(row[e.source] + 1, row[e.target]):
            dummy = (k, r)
            rows[r].append(dummy)
            preds[dummy], succs[dummy] = [previous], []
            succs[previous].append(dummy)
            previous = dummy
        succs[previous].append(e.target)
        preds[e.target].append(previous)
        preds[e.target].remove(e.source)
        succs[e.source].remove(e.target)

    x: dict = {}

    def place(members: list, neighbours: dict) -> None:
        """Sort a row by its neighbours' mean x, then space it out keeping nodes near that mean."""
        wanted = {}
        for i, n in enumerate(members):
            known = [x[m] for m in neighbours[n] if m in x]
            wanted[n] = sum(known) / len(known) if known else x.get(n, i * column_width)
        members.sort(key=lambda n: wanted[n])
        placed: list[float] = []
        for n in members:
            pos = wanted[n] if not placed else max(wanted[n], placed[-1] + column_width)
            placed.append(pos)
        # pushing right drifts the row; shift it back so it is centred on what it wanted
        if placed:
            drift = (sum(placed) - sum(wanted[n] for n in members)) / len(members)
            placed = [p - drift for p in placed]
        for n, pos in zip(members, placed):
            x[n] = pos

    for i, n in enumerate(rows[0] if rows else []):
        x[n] = i * column_width
    for _ in range(2):
        for members in rows[1:]:
            place(members, preds)
        for members in reversed(rows[:-1]):
            place(members, succs)
    for members in rows[1:]:
        place(members, preds)
    left = min((x[n] for n in graph.nodes), default=0.0)
    return {n: (round(x[n] - left, 1), row[n] * row_height) for n in graph.nodes}


def apply_layout(graph: Graph, **kwargs) -> None:
    """Move every node to its layered position (emits one NodeMoved per node)."""
    for node_id, position in layered_positions(graph, **kwargs).items():
        graph.move_node(node_id, position)


NODE_WIDTH = 220.0  # the canvas's node size (ui/style.py); the engine cannot import it
NODE_HEIGHT = 60.0
CLEARANCE = 20.0  # the least free space between two nodes' edges
_STEP = 20.0  # group shifts are multiples of this, so grid-snapped positions stay snapped
_SEARCH_RINGS = 40  # shifts tried up to this many steps away before the group goes below everything


def place_clear(graph: Graph, positions: dict[str, tuple[float, float]]) -> dict[str, tuple[float, float]]:
    """Shift a group of positions, all by one offset, as little as possible so that none overlaps another node.

    `positions` maps node ids to wanted top-left corners; ids may be new (pasted nodes not yet in the
    graph) or already in the graph (nodes being placed): either way the group's own nodes are not
    obstacles, every other node of the graph is. The group keeps its own arrangement; the nearest free
    offset (in steps of 20 px) wins, and when none is near the group goes below the whole graph.
    """
    if not positions:
        return {}
    cell_w, cell_h = NODE_WIDTH + CLEARANCE, NODE_HEIGHT + CLEARANCE
    buckets: dict[tuple[int, int], list[tuple[float, float]]] = {}
    for node_id, node in graph.nodes.items():
        if node_id in positions:
            continue
        x, y = node.position
        if not (math.isfinite(x) and math.isfinite(y)):
            continue
        buckets.setdefault((math.floor(x / cell_w), math.floor(y / cell_h)), []).append((x, y))

    def clear(dx: float, dy: float) -> bool:
        for x, y in positions.values():
            x, y = x + dx, y + dy
            cx, cy = math.floor(x / cell_w), math.floor(y / cell_h)
            for i in (cx - 1, cx, cx + 1):
                for j in (cy - 1, cy, cy + 1):
                    for ox, oy in buckets.get((i, j), ()):
                        if abs(ox - x) < cell_w and abs(oy - y) < cell_h:
                            return False
        return True

    def shifted(dx: float, dy: float) -> dict[str, tuple[float, float]]:
        return {n: (x + dx, y + dy) for n, (x, y) in positions.items()}

    if not buckets or clear(0.0, 0.0):
        return dict(positions)
    for ring in range(1, _SEARCH_RINGS + 1):
        offsets = {(i, j) for i in range(-ring, ring + 1) for j in (-ring, ring)}
        offsets |= {(i, j) for i in (-ring, ring) for j in range(-ring, ring + 1)}
        # nearest first; on a tie, below before above and right before left (data flows down)
        for i, j in sorted(offsets, key=lambda o: (math.hypot(*o), -o[1], -o[0])):
            if clear(i * _STEP, j * _STEP):
                return shifted(i * _STEP, j * _STEP)
    bottom = max(y for cell in buckets.values() for _, y in cell)
    top = min(y for _, y in positions.values())
    return shifted(0.0, bottom + cell_h + CLEARANCE - top)
