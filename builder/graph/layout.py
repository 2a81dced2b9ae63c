"""Automatic top-to-bottom layout with grandalf's Sugiyama layout, and placing a group clear of other nodes.

grandalf (pure Python, imported when a layout is first asked for) layers the graph so that data flows
down, orders each row to cut wire crossings (wires that skip rows get dummy nodes, so they keep a lane)
and places nodes near their neighbours: a chain is one straight column, branches fan out beside it.
bench/layout_candidates.py compares it with igraph and graphviz's dot on Layerboard's graphs.
"""
from __future__ import annotations

import math
import sys
from collections.abc import Iterable

from builder.graph.graph import Graph

ROW_HEIGHT = 110.0  # the canvas's node is 60 high; 50 for the wire and its arrow
COLUMN_WIDTH = 260.0  # the canvas's node is 220 wide; 40 between columns
_ORDERING_ROUNDS = 3  # grandalf's up-and-down crossing-reduction sweeps; more gain little on model graphs
_GRID = 10.0  # the canvas snaps dragged nodes to 10 px; laid-out nodes land on the same grid


def layered_positions(graph: Graph, node_ids: Iterable[str] | None = None, row_height: float = ROW_HEIGHT,
                      column_width: float = COLUMN_WIDTH) -> dict[str, tuple[float, float]]:
    """Node id -> top-left (x, y) of a layered drawing of the graph, or of only the nodes `node_ids`.

    The whole graph is drawn from (0, 0). A subset is drawn from the wires among its own nodes, starting at
    the top-left of where it was, then shifted (by place_clear) off any node outside it. Cycles, if any,
    are drawn with their closing wires pointing up. Disconnected parts sit side by side, left to right.
    """
    wanted = set(graph.nodes) if node_ids is None else set(node_ids) & set(graph.nodes)
    ids = [n for n in graph.nodes if n in wanted]
    if not ids:
        return {}
    # wires in the order of their inputs' ports, so a merge's first input tends to sit left of its second
    wires = sorted(dict.fromkeys((e.source, e.target, e.target_port) for e in graph.edges
                                 if e.source in wanted and e.target in wanted and e.source != e.target),
                   key=lambda w: w[2])
    drawn = _sugiyama(ids, list(dict.fromkeys((s, t) for s, t, _ in wires)), row_height, column_width)
    if node_ids is None:
        return drawn
    x0 = min(graph.nodes[n].position[0] for n in ids if math.isfinite(graph.nodes[n].position[0])) \
        if any(math.isfinite(graph.nodes[n].position[0]) for n in ids) else 0.0
    y0 = min(graph.nodes[n].position[1] for n in ids if math.isfinite(graph.nodes[n].position[1])) \
        if any(math.isfinite(graph.nodes[n].position[1]) for n in ids) else 0.0
    x0, y0 = _snap(x0), _snap(y0)
    return place_clear(graph, {n: (x + x0, y + y0) for n, (x, y) in drawn.items()})


def apply_layout(graph: Graph, node_ids: Iterable[str] | None = None, **kwargs) -> None:
    """Move every node (or only `node_ids`) to its layered position (one NodeMoved per node that moves)."""
    for node_id, position in layered_positions(graph, node_ids, **kwargs).items():
        if graph.nodes[node_id].position != position:
            graph.move_node(node_id, position)


def _snap(value: float) -> float:
    return float(round(value / _GRID) * _GRID)


def _sugiyama(ids: list[str], wires: list[tuple[str, str]], row_height: float,
              column_width: float) -> dict[str, tuple[float, float]]:
    """grandalf's layered drawing of the nodes `ids` (top-left corners from (0, 0)), one part beside the next."""
    from grandalf.graphs import Edge as DrawingEdge, Graph as Drawing, Vertex
    from grandalf.layouts import SugiyamaLayout

    class Box:  # grandalf reads a vertex's size from its `view` and writes its centre there
        w, h, xy = NODE_WIDTH, NODE_HEIGHT, (0.0, 0.0)

    vertices = {n: Vertex(n) for n in ids}
    for vertex in vertices.values():
        vertex.view = Box()
    drawing = Drawing(list(vertices.values()), [DrawingEdge(vertices[s], vertices[t]) for s, t in wires])
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(limit, 4 * len(ids) + 1000))  # grandalf walks the graph recursively
    try:
        parts = []
        for part in drawing.C:
            layout = SugiyamaLayout(part)
            layout.xspace, layout.yspace = column_width - NODE_WIDTH, row_height - NODE_HEIGHT
            layout.init_all()
            layout.draw(_ORDERING_ROUNDS)
            parts.append({v.data: v.view.xy for v in part.sV})
    finally:
        sys.setrecursionlimit(limit)
    order = {n: i for i, n in enumerate(ids)}
    parts.sort(key=lambda centres: min(order[n] for n in centres))
    out: dict[str, tuple[float, float]] = {}
    left = 0.0
    for centres in parts:
        xs = [x for x, _ in centres.values()]
        top = min(y for _, y in centres.values())
        rows: dict[int, list[tuple[float, str]]] = {}
        for n, (x, y) in centres.items():
            rows.setdefault(round((y - top) / row_height), []).append((x - min(xs), n))
        right = 0.0
        for row, members in rows.items():
            previous = -math.inf
            for x, n in sorted(members):  # grandalf can leave two boxes of a row a little too close
                x = max(_snap(x), previous + column_width)
                out[n] = (left + x, row * row_height)
                previous = x
            right = max(right, previous)
        left += right + column_width
    return out


NODE_WIDTH = 220.0  # a node's size on the canvas (ui/style.py takes it from here)
NODE_HEIGHT = 60.0
CLEARANCE = 20.0  # the least free space between two nodes' edges
_STEP = 20.0  # group shifts are multiples of this, so grid-snapped positions stay snapped
_SEARCH_STEPS = 40  # shifts tried up to this many steps each way before the group goes below everything
# nearest first, a step down costing twice a step sideways (a group shifted below the node it feeds would
# wire upwards); on a tie, down before up and right before left
_SHIFTS = sorted(((i, j) for i in range(-_SEARCH_STEPS, _SEARCH_STEPS + 1)
                  for j in range(-_SEARCH_STEPS, _SEARCH_STEPS + 1) if (i, j) != (0, 0)),
                 key=lambda s: (math.hypot(s[0], 2 * s[1]), -s[1], -s[0]))


def place_clear(graph: Graph, positions: dict[str, tuple[float, float]]) -> dict[str, tuple[float, float]]:
    """Shift a group of positions, all by one offset, as little as possible so that none overlaps another node.

    `positions` maps node ids to wanted top-left corners; ids may be new (pasted nodes not yet in the
    graph) or already in the graph (nodes being placed): either way the group's own nodes are not
    obstacles, every other node of the graph is. The group keeps its own arrangement; the nearest free
    offset (in steps of 20 px, a vertical step weighing double) wins, and when none is near the group goes below the whole graph.
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
    for i, j in _SHIFTS:
        if clear(i * _STEP, j * _STEP):
            return shifted(i * _STEP, j * _STEP)
    bottom = max(y for cell in buckets.values() for _, y in cell)
    top = min(y for _, y in positions.values())
    return shifted(0.0, bottom + cell_h + CLEARANCE - top)


def make_room(graph: Graph, node_id: str) -> dict[str, tuple[tuple[float, float], tuple[float, float]]]:
    """Moves that make room for `node_id`, a block just inserted into a wire: it goes below any block above it that
    it covers (the wire's source), and every block it feeds at or below it goes down by one amount until none is
    covered (what follows an inserted block is pushed down). Returns {node id: (old position, new position)};
    empty when nothing overlaps."""
    from builder.graph.insertion import downstream_nodes

    def covers(other: str, x: float, y: float) -> bool:
        ox, oy = graph.nodes[other].position
        return abs(ox - x) < NODE_WIDTH + CLEARANCE and abs(oy - y) < NODE_HEIGHT + CLEARANCE

    moves: dict[str, tuple[tuple[float, float], tuple[float, float]]] = {}
    start = x, y = graph.node(node_id).position
    down = downstream_nodes(graph, node_id) - {node_id}
    above = [n for n in graph.nodes if n != node_id and n not in down and graph.nodes[n].position[1] <= y
             and covers(n, x, y)]
    if above:
        y = math.ceil((max(graph.nodes[n].position[1] for n in above) + NODE_HEIGHT + CLEARANCE) / _STEP) * _STEP
        moves[node_id] = (start, (x, y))
    below = [n for n in down if graph.nodes[n].position[1] >= start[1]]
    covered = [n for n in below if covers(n, x, y)]
    if covered:
        shift = y + NODE_HEIGHT + CLEARANCE - min(graph.nodes[n].position[1] for n in covered)
        shift = math.ceil(shift / _STEP) * _STEP
        for n in below:
            old = graph.nodes[n].position
            moves[n] = (old, (old[0], old[1] + shift))
    return moves
