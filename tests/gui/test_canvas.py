"""The canvas: dropping blocks, wiring ports with the mouse, moving, deleting, and undo keeping it in sync."""
from __future__ import annotations

from PySide6.QtCore import QEvent, QPoint, QPointF, Qt
from PySide6.QtGui import QDragEnterEvent, QDragMoveEvent, QDropEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from builder.graph import Edge
from ui.canvas.port_item import INPUT, OUTPUT


def assert_scene_matches_graph(window) -> None:
    """Every node and wire in the graph is drawn once, where the graph says, and nothing else is."""
    graph, scene = window.document.graph, window.scene
    assert set(scene.node_items) == set(graph.nodes)
    assert set(scene.edge_items) == set(graph.edges)
    for node_id, node in graph.nodes.items():
        item = scene.node_items[node_id]
        assert item.scene() is scene
        assert (item.pos().x(), item.pos().y()) == node.position, node_id
    for edge, item in scene.edge_items.items():
        assert item.scene() is scene
        assert item.source_item is scene.node_items[edge.source]
        assert item.target_item is scene.node_items[edge.target]
    drawn_nodes = [i for i in scene.items() if type(i).__name__ == "NodeItem"]
    drawn_edges = [i for i in scene.items() if type(i).__name__ == "EdgeItem"]
    assert len(drawn_nodes) == len(graph.nodes) and len(drawn_edges) == len(graph.edges)


def canonical(graph) -> tuple:
    """The graph's content regardless of order (an undone delete puts its node back at the end)."""
    nodes = sorted((n.id, n.type, repr(sorted(n.params.items())), n.position) for n in graph.nodes.values())
    return nodes, frozenset(graph.edges)


def drop_block(window, block_type: str, view_pos: QPoint) -> None:
    """Drag a palette entry onto the canvas: the palette's own mime data, delivered as real drag events."""
    palette = window.palette
    mime = palette.tree.mimeData([palette.items[block_type]])
    viewport = window.view.viewport()
    actions = Qt.DropAction.CopyAction
    buttons, mods = Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier
    enter = QDragEnterEvent(view_pos, actions, mime, buttons, mods)
    QApplication.sendEvent(viewport, enter)
    assert enter.isAccepted()
    move = QDragMoveEvent(view_pos, actions, mime, buttons, mods)
    QApplication.sendEvent(viewport, move)
    drop = QDropEvent(QPointF(view_pos), actions, mime, buttons, mods, QEvent.Type.Drop)
    QApplication.sendEvent(viewport, drop)
    assert drop.isAccepted()


def view_pos_of(window, scene_point: QPointF) -> QPoint:
    return window.view.mapFromScene(scene_point)


def drag_with_mouse(window, start: QPointF, end: QPointF) -> None:
    """Press at one scene point, move in steps, release at another (real mouse events on the viewport)."""
    viewport = window.view.viewport()
    a, b = view_pos_of(window, start), view_pos_of(window, end)
    QTest.mousePress(viewport, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, a)
    for i in range(1, 6):
        p = a + (b - a) * (i / 5)
        QTest.mouseMove(viewport, p)
    QTest.mouseRelease(viewport, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, b)


def test_dropping_a_palette_block_adds_a_node_where_it_was_dropped(window):
    graph = window.document.graph
    before = set(graph.nodes)
    target = window.view.viewport().rect().center() + QPoint(150, 0)

    drop_block(window, "Dense", target)

    added = set(graph.nodes) - before
    assert added == {"dense_1"}
    node = graph.nodes["dense_1"]
    assert node.params == {"units": 32, "activation": "relu"}
    item = window.scene.node_items["dense_1"]
    centre = window.view.mapFromScene(item.sceneBoundingRect().center())
    assert abs(centre.x() - target.x()) < 20 and abs(centre.y() - target.y()) < 20
    assert item.isSelected()
    assert window.document.dirty
    assert_scene_matches_graph(window)


def test_a_drop_that_is_not_a_block_is_refused(window):
    from PySide6.QtCore import QMimeData

    mime = QMimeData()
    mime.setText("Dense")
    enter = QDragEnterEvent(QPoint(50, 50), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                            Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(window.view.viewport(), enter)
    assert not enter.isAccepted()


def test_dragging_from_an_output_port_to_an_input_port_connects(window):
    scene, graph = window.scene, window.document.graph
    scene.add_block("Dense", QPointF(500, 700))
    source = scene.node_items["digit"].port(OUTPUT, 0)
    target = scene.node_items["dense_1"].port(INPUT, 0)
    window.view.centerOn(QPointF(300, 700))

    drag_with_mouse(window, source.scenePos(), target.scenePos())

    assert Edge("digit", "dense_1", 0, 0) in graph.edges
    assert Edge("digit", "dense_1", 0, 0) in scene.edge_items
    assert graph.nodes["dense_1"].position == (390.0, 670.0)  # the wire drag did not move the node
    assert_scene_matches_graph(window)
    window.document.undo_stack.undo()
    assert Edge("digit", "dense_1", 0, 0) not in graph.edges
    assert_scene_matches_graph(window)


def test_dropping_a_wire_on_a_taken_input_replaces_the_old_wire(window):
    scene, graph = window.scene, window.document.graph
    stack = window.document.undo_stack
    scene.connect_ports("rescaling", "max_pooling2d")  # max_pooling2d's input came from conv2d_1
    assert Edge("rescaling", "max_pooling2d") in graph.edges
    assert Edge("conv2d_1", "max_pooling2d") not in graph.edges
    assert stack.count() == 1  # one undo step
    stack.undo()
    assert Edge("conv2d_1", "max_pooling2d") in graph.edges
    assert_scene_matches_graph(window)


def test_merge_blocks_show_one_free_input_port(window):
    scene = window.scene
    scene.add_block("Add", QPointF(600, 300))
    add = scene.node_items["add_1"]
    assert len(add.input_ports) == 1
    scene.connect_ports("conv2d_1", "add_1", 0, 0)
    assert len(add.input_ports) == 2
    scene.connect_ports("rescaling", "add_1", 0, 1)
    assert [p.index for p in add.input_ports] == [0, 1, 2]
    assert len(scene.node_items["flatten"].input_ports) == 1
    assert scene.node_items["image"].input_ports == []
    window.document.undo_stack.undo()
    assert len(add.input_ports) == 2
    assert_scene_matches_graph(window)


def test_moving_a_node_with_the_mouse_is_one_undoable_command(window):
    scene, graph = window.scene, window.document.graph
    item = scene.node_items["dropout"]
    start_pos = graph.nodes["dropout"].position
    grab = item.mapToScene(QPointF(110, 45))  # the body, away from ports and edges
    window.view.centerOn(grab)

    drag_with_mouse(window, grab, grab + QPointF(200, 30))

    moved = graph.nodes["dropout"].position
    assert moved != start_pos
    assert abs(moved[0] - start_pos[0] - 200) < 3 and abs(moved[1] - start_pos[1] - 30) < 3
    assert window.document.undo_stack.count() == 1
    assert_scene_matches_graph(window)
    # The wires follow the node.
    wire = scene.edge_items[Edge("dropout", "digit")]
    assert wire.path().pointAtPercent(0).x() > item.scenePos().x() + 100
    window.document.undo_stack.undo()
    assert graph.nodes["dropout"].position == start_pos
    assert_scene_matches_graph(window)


def test_delete_removes_selected_nodes_and_wires_and_undo_restores_them(window, qtbot):
    scene, graph = window.scene, window.document.graph
    scene.node_items["dropout"].setSelected(True)
    scene.edge_items[Edge("image", "rescaling")].setSelected(True)
    window.view.setFocus()

    before = graph.to_dict()
    QTest.keyClick(window.view, Qt.Key.Key_Delete)

    assert "dropout" not in graph.nodes
    assert Edge("image", "rescaling") not in graph.edges
    assert Edge("flatten", "dropout") not in graph.edges
    assert_scene_matches_graph(window)
    window.undo_action.trigger()
    assert "dropout" in graph.nodes and Edge("flatten", "dropout") in graph.edges
    assert Edge("image", "rescaling") in graph.edges
    assert graph.to_dict() == before  # every node and wire back at its place (an Input keeps its input order)
    assert_scene_matches_graph(window)
    window.redo_action.trigger()
    assert "dropout" not in graph.nodes
    assert_scene_matches_graph(window)


def test_undo_and_redo_of_every_kind_of_edit_keep_the_drawing_equal_to_the_graph(window):
    scene, graph, stack = window.scene, window.document.graph, window.document.undo_stack
    from ui.document.commands import MoveNodesCommand, SetParamCommand

    snapshots = [canonical(graph)]
    scene.add_block("Concatenate", QPointF(600, 400))
    snapshots.append(canonical(graph))
    scene.connect_ports("flatten", "concatenate_1", 0, 0)
    snapshots.append(canonical(graph))
    scene.connect_ports("dropout", "concatenate_1", 0, 1)
    snapshots.append(canonical(graph))
    window.document.push(MoveNodesCommand(graph, {"concatenate_1": ((490.0, 370.0), (520.0, 380.0))}))
    snapshots.append(canonical(graph))
    window.document.push(SetParamCommand(graph, "concatenate_1", "axis", 1))
    snapshots.append(canonical(graph))
    scene.clearSelection()
    scene.node_items["flatten"].setSelected(True)
    scene.delete_selection()
    snapshots.append(canonical(graph))
    assert stack.count() == len(snapshots) - 1

    for expected in reversed(snapshots[:-1]):
        stack.undo()
        assert canonical(graph) == expected
        assert_scene_matches_graph(window)
    for expected in snapshots[1:]:
        stack.redo()
        assert canonical(graph) == expected
        assert_scene_matches_graph(window)
    # flatten's wire (port 0) went with it: port 0 is the free one, dropout's wire stays on port 1.
    assert [p.index for p in scene.node_items["concatenate_1"].input_ports] == [0, 1]


def test_an_invalid_node_turns_red_and_the_nodes_after_it_wait(ready_window, qtbot):
    window = ready_window
    scene = window.scene
    scene.node_items["flatten"].setSelected(True)
    scene.delete_selection()  # dropout now has no input
    window.document.shapes.run_now()

    dropout, digit = scene.node_items["dropout"], scene.node_items["digit"]
    assert dropout.error and "no input connected" in dropout.error and not dropout.blocked
    assert "no input connected" in dropout.toolTip()
    assert digit.blocked and "dropout" in digit.shape_text
    assert "problem" in window.model_summary.full_text()

    window.document.undo_stack.undo()
    window.document.shapes.run_now()
    assert dropout.error is None and dropout.shape_text == "(None, 512)"
    assert not digit.blocked


def test_wheel_zooms_the_view(window):
    from PySide6.QtGui import QWheelEvent

    view = window.view
    before = view.zoom
    centre = QPointF(view.viewport().rect().center())
    event = QWheelEvent(centre, view.mapToGlobal(centre.toPoint()).toPointF(), QPoint(0, 0), QPoint(0, 240),
                        Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier, Qt.ScrollPhase.NoScrollPhase, False)
    QApplication.sendEvent(view.viewport(), event)
    assert view.zoom > before * 1.2


def _points(path, n: int = 400) -> list[QPointF]:
    return [path.pointAtPercent(i / n) for i in range(1, n)]


def test_a_wire_up_to_the_next_column_goes_around_the_blocks_not_through_them():
    from PySide6.QtCore import QRectF

    from ui.canvas.edge_item import wire_path
    from ui.style import NODE_HEIGHT, NODE_WIDTH

    # shapes_cnn's layout: columns 240 apart, rows 90 apart; the last block of one column feeds the first of the next
    blocks = [QRectF(240 * c, 90 * r, NODE_WIDTH, NODE_HEIGHT) for c, rows in ((0, 6), (1, 4)) for r in range(rows)]
    start = QPointF(NODE_WIDTH / 2, 90 * 5 + NODE_HEIGHT)
    end = QPointF(240 + NODE_WIDTH / 2, 0)
    inside = [p for p in _points(wire_path(start, end)) if any(b.adjusted(1, 1, -1, -1).contains(p) for b in blocks)]
    assert inside == []
    # skipping a column: up the gap next to the output's column, over the middle column's first block
    blocks3 = [QRectF(240 * c, 90 * r, NODE_WIDTH, NODE_HEIGHT) for c in range(3) for r in range(4)]
    far = wire_path(QPointF(NODE_WIDTH / 2, 90 * 3 + NODE_HEIGHT), QPointF(480 + NODE_WIDTH / 2, 0))
    assert [p for p in _points(far) if any(b.adjusted(1, 1, -1, -1).contains(p) for b in blocks3)] == []
    # and leftwards, to a column on the left
    back = wire_path(QPointF(240 + NODE_WIDTH / 2, 90 * 3 + NODE_HEIGHT), QPointF(NODE_WIDTH / 2, 0))
    assert [p for p in _points(back) if any(b.adjusted(1, 1, -1, -1).contains(p) for b in blocks3)] == []
    # a stacked block wired back up to the one above: beside the column, not through it
    inside = [p for p in _points(wire_path(QPointF(NODE_WIDTH / 2, 90 + NODE_HEIGHT), QPointF(NODE_WIDTH / 2, 0)))
              if any(b.adjusted(1, 1, -1, -1).contains(p) for b in blocks[:2])]
    assert inside == []


def test_a_wire_going_down_is_one_smooth_curve():
    from ui.canvas.edge_item import wire_path

    path = wire_path(QPointF(0, 60), QPointF(40, 90))
    assert path.elementCount() == 4  # move + one cubic (3 elements)
    assert path.pointAtPercent(1.0) == QPointF(40, 90)
