"""Automatic layout: layered drawings, subset layout, and placing a group clear of the other nodes."""
from builder.graph import NODE_HEIGHT, NODE_WIDTH, Graph, apply_layout, layered_positions, place_clear

ROW_HEIGHT = 110.0


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


def _residual(graph: Graph, blocks: int) -> None:
    """Residual blocks (Dense, Dense, Add with the block's input) and a three-way split joined by Concatenate."""
    x = graph.add_node("Input", {"shape": [16]}).id
    for b in range(blocks):
        first = graph.add_node("Dense", {"units": 16}).id
        second = graph.add_node("Dense", {"units": 16}).id
        add = graph.add_node("Add").id
        graph.connect(x, first)
        graph.connect(first, second)
        graph.connect(x, add, target_port=0)
        graph.connect(second, add, target_port=1)
        x = add
    branches = [graph.add_node("Dense", {"units": 4}).id for _ in range(3)]
    join = graph.add_node("Concatenate").id
    for port, branch in enumerate(branches):
        graph.connect(x, branch)
        graph.connect(branch, join, target_port=port)


def test_a_chain_is_one_straight_column_top_to_bottom():
    graph = Graph()
    ids = _chain(graph, 6, x=500.0)
    positions = layered_positions(graph)
    assert {x for x, _ in positions.values()} == {0.0}
    assert [positions[n][1] for n in ids] == [i * ROW_HEIGHT for i in range(6)]


def test_a_residual_graph_flows_down_without_overlaps():
    graph = Graph()
    _residual(graph, 5)
    apply_layout(graph)
    positions = {n: node.position for n, node in graph.nodes.items()}
    assert _overlaps(list(positions.values())) == 0
    assert all(positions[e.source][1] < positions[e.target][1] for e in graph.edges)  # every wire points down
    xs = [positions[e.source][0] for e in graph.edges if graph.nodes[e.target].type == "Add"]
    assert len(set(xs)) > 1  # a residual block's two paths sit side by side, not on one line through the nodes


def test_subset_layout_moves_only_the_subset_and_keeps_it_clear_of_the_rest():
    graph = Graph()
    ids = _chain(graph, 3)
    others = {n: graph.nodes[n].position for n in ids}
    scattered = [graph.add_node("Dense", {"units": 2}, position).id
                 for position in ((900.0, 700.0), (40.0, 30.0), (600.0, 200.0))]  # the second covers the chain
    graph.connect(scattered[0], scattered[1])
    graph.connect(scattered[1], scattered[2])
    positions = layered_positions(graph, scattered)
    assert set(positions) == set(scattered)
    assert len({x for x, _ in positions.values()}) == 1  # the little chain became a column
    assert abs(min(y for _, y in positions.values()) - 30.0) <= 3 * ROW_HEIGHT  # near where it was
    apply_layout(graph, scattered)
    assert {n: graph.nodes[n].position for n in ids} == others
    assert _overlaps([node.position for node in graph.nodes.values()]) == 0


def test_cycles_and_disconnected_parts_are_laid_out_without_overlaps():
    graph = Graph()
    a, b = _chain(graph, 2)
    graph.connect(b, a, target_port=1)  # a cycle (invalid as a model, still drawable)
    _chain(graph, 3, x=0.0)  # a second part, on top of the first
    lonely = graph.add_node("Dense").id
    positions = layered_positions(graph)
    assert set(positions) == set(graph.nodes) and lonely in positions
    assert _overlaps(list(positions.values())) == 0


def test_an_expanded_composite_does_not_land_on_other_nodes():
    from builder.blocks.composites import expand
    graph = Graph()
    ids = _chain(graph, 2)
    block = graph.add_node("ResidualBlock", {}, (0.0, 220.0)).id
    below = graph.add_node("Dense", {"units": 3}, (0.0, 330.0)).id
    graph.connect(ids[-1], block)
    graph.connect(block, below)
    expand(graph, block)
    assert _overlaps([node.position for node in graph.nodes.values()]) == 0


def test_layout_command_lays_out_a_project_file_or_some_of_its_nodes(tmp_path, capsys):
    import argparse
    import json

    import pytest

    from builder.cli.layout_command import LAYOUT
    from builder.errors import LayerboardError
    from builder.project import load_template, save_project

    project = load_template("digits_cnn")
    for k, node_id in enumerate(project.graph.nodes):
        project.graph.move_node(node_id, (37.0 * k, 5.0))  # every node on one row, overlapping
    path = save_project(project, tmp_path / "p.json")

    def layout(*argv: str) -> int:
        parser = argparse.ArgumentParser()
        LAYOUT.add_arguments(parser)
        return LAYOUT.run(parser.parse_args(list(argv)))

    ids = list(project.graph.nodes)
    assert layout(str(path), "--nodes", ids[0], ids[1], "-o", str(tmp_path / "some.json")) == 0
    some = {n["id"]: n["position"] for n in json.loads((tmp_path / "some.json").read_text())["graph"]["nodes"]}
    assert all(some[n] == [37.0 * k, 5.0] for k, n in enumerate(ids) if k > 1)  # the others stayed
    assert _overlaps([tuple(some[n]) for n in ids[2:]]) > 0  # still piled up
    assert all(abs(some[n][0] - u) >= NODE_WIDTH or abs(some[n][1] - v) >= NODE_HEIGHT
               for n in ids[:2] for m, (u, v) in some.items() if m not in ids[:2])  # but not the laid-out two
    assert layout(str(path)) == 0 and "laid out" in capsys.readouterr().out
    whole = [tuple(n["position"]) for n in json.loads(path.read_text())["graph"]["nodes"]]
    assert _overlaps(whole) == 0 and len({y for _, y in whole}) > 1
    with pytest.raises(LayerboardError, match="no node 'nope'"):
        layout(str(path), "--nodes", "nope")


def test_make_room_puts_an_inserted_block_below_its_source_and_pushes_what_follows_down():
    from builder.graph import Graph, make_room

    graph = Graph()
    for i, name in enumerate(("a", "b", "c")):
        graph.add_node("Dense", {"units": 2}, (0, i * 80), name)
    graph.add_node("Dense", {"units": 2}, (600, 80), "aside")  # not fed by the new block: stays
    graph.add_node("Dropout", {}, (0, 40), "new")  # dropped on the wire a -> b
    graph.connect("a", "new")
    graph.connect("new", "b")
    graph.connect("b", "c")
    moves = make_room(graph, "new")
    assert moves["new"] == ((0, 40), (0, 80))
    assert moves["b"][1][1] >= 80 + 60 + 20 and moves["c"][1][1] - moves["b"][1][1] == 80  # pushed by one amount
    assert "a" not in moves and "aside" not in moves
    graph.move_node("b", moves["b"][1])
    graph.move_node("c", moves["c"][1])
    graph.move_node("new", moves["new"][1])
    assert make_room(graph, "new") == {}
