"""Automatic layout: layered drawings, subset layout, and placing a group clear of the other nodes."""
from builder.graph import NODE_HEIGHT, NODE_WIDTH, Graph, place_clear


def _overlaps(boxes: list[tuple[float, float]]) -> int:
    """How many pairs of node boxes (top-left corners) overlap."""
    return sum(1 for i, (x, y) in enumerate(boxes) for (u, v) in boxes[i + 1:]
               if abs(x - u) < NODE_WIDTH and abs(y - v) < NODE_HEIGHT)


def _chain(graph: Graph, n: int, x: float = 0.0) -> list[str]:
    ids = [graph.add_node("Input", {"shape": [4]}, (x, 0.0)).id]
    for i in range(1, n):
        ids.append(graph.add_node("Dense", {"units": 4}, (x, i * 110.0)).id)
        graph.connect(ids[-2], ids[-1])
    return ids


def test_place_clear_keeps_a_free_spot_and_shifts_a_covered_group_as_little_as_needed():
    graph = Graph()
    _chain(graph, 4)  # a column at x=0, y=0..330
    free = {"a": (600.0, 0.0), "b": (600.0, 110.0)}
    assert place_clear(graph, free) == free
    wanted = {"a": (10.0, 20.0), "b": (300.0, 20.0), "c": (10.0, 130.0)}  # on top of the column
    placed = place_clear(graph, wanted)
    dx, dy = placed["a"][0] - wanted["a"][0], placed["a"][1] - wanted["a"][1]
    assert (dx, dy) != (0.0, 0.0)
    assert all(placed[n] == (x + dx, y + dy) for n, (x, y) in wanted.items())  # one shift for the group
    assert abs(dx) <= 2 * (NODE_WIDTH + 20) and abs(dy) <= 4 * 110  # near where it was wanted
    others = [node.position for node in graph.nodes.values()]
    assert _overlaps(others + list(placed.values())) == _overlaps(list(placed.values())) == 0


def test_place_clear_treats_the_groups_own_nodes_as_movable():
    graph = Graph()
    ids = _chain(graph, 3)
    again = {n: graph.nodes[n].position for n in ids[1:]}  # nodes already in the graph, placed where they are
    assert place_clear(graph, again) == again
