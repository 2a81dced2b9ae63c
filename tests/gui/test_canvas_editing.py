"""Canvas editing with real mouse and drag events: a block dropped (or a node dragged) onto a wire is inserted there,
a wire's end is picked up and moved or dropped, ports say whether a dragged wire may end on them, wires show their
shapes, a red block's upstream is highlighted, a rename re-keys the items, double-click and right-click requests."""
from __future__ import annotations

import warnings

from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QContextMenuEvent, QDragEnterEvent, QDragMoveEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from builder.graph import Edge
from test_canvas import assert_scene_matches_graph, drop_block, view_pos_of  # tests/gui is on sys.path
from ui.canvas.node_item import CHAIN, ORIGIN, UPSTREAM
from ui.canvas.port_item import INPUT, OUTPUT

LEFT, NO_MOD = Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier


def press_move(window, start: QPointF, end: QPointF, steps: int = 5) -> QPoint:
    """Press at one scene point and move (button held) to another; returns the end's viewport position."""
    viewport = window.view.viewport()
    a, b = view_pos_of(window, start), view_pos_of(window, end)
    QTest.mousePress(viewport, LEFT, NO_MOD, a)
    for i in range(1, steps + 1):
        QTest.mouseMove(viewport, a + (b - a) * (i / steps))
    return b


def release(window, at: QPoint) -> None:
    QTest.mouseRelease(window.view.viewport(), LEFT, NO_MOD, at)


def spread_out(window) -> None:
    """Move digits_cnn's last two blocks 200 px down (one undo step, then forgotten) so flatten → dropout is long."""
    from ui.document.commands import MoveNodesCommand

    graph = window.document.graph
    moves = {n: (graph.node(n).position, (0.0, graph.node(n).position[1] + 200)) for n in ("dropout", "digit")}
    window.document.push(MoveNodesCommand(graph, moves))
    window.document.undo_stack.clear()


def wire_middle(window, edge: Edge) -> QPointF:
    return window.scene.edge_items[edge].path().pointAtPercent(0.5)


def test_a_block_dropped_on_a_wire_is_inserted_there_and_undo_redo_restore_the_exact_graph(window):
    spread_out(window)
    graph, scene, stack = window.document.graph, window.scene, window.document.undo_stack
    wire = Edge("flatten", "dropout")
    middle = wire_middle(window, wire)
    window.view.centerOn(middle)
    before = graph.to_dict()
    at = view_pos_of(window, middle)
    mime = window.palette.tree.mimeData([window.palette.items["Dense"]])
    for kind in (QDragEnterEvent, QDragMoveEvent):
        QApplication.sendEvent(window.view.viewport(), kind(at, Qt.DropAction.CopyAction, mime, LEFT, NO_MOD))
    assert scene.edge_items[wire].drop_target  # the wire under the dragged block is highlighted
    assert not scene.edge_items[Edge("dropout", "digit")].drop_target

    drop_block(window, "Dense", at)

    assert not any(item.drop_target for item in scene.edge_items.values())
    assert wire not in graph.edges
    assert Edge("flatten", "dense_1") in graph.edges and Edge("dense_1", "dropout") in graph.edges
    assert scene.node_items["dense_1"].isSelected() and stack.count() == 1
    after = graph.to_dict()
    assert_scene_matches_graph(window)
    stack.undo()
    assert graph.to_dict() == before  # the wire back at its place among the edges, not appended
    assert_scene_matches_graph(window)
    stack.redo()
    assert graph.to_dict() == after
    assert_scene_matches_graph(window)


def test_a_block_inserted_into_a_tight_column_pushes_what_follows_down_in_the_same_step(window):
    graph, scene, stack = window.document.graph, window.scene, window.document.undo_stack
    before = graph.to_dict()
    wire = Edge("flatten", "dropout")
    new = scene.interactions.insert_on_wire(wire, "Dense", wire_middle(window, wire))
    boxes = {n: item.sceneBoundingRect() for n, item in scene.node_items.items()}
    overlapping = [(a, b) for a in boxes for b in boxes if a < b and boxes[a].intersects(boxes[b])]
    assert overlapping == [] and new in boxes
    assert graph.nodes["digit"].position[1] > graph.nodes[new].position[1]  # pushed down, still below
    assert stack.count() == 1
    stack.undo()
    assert graph.to_dict() == before
    assert_scene_matches_graph(window)


def test_an_unwired_node_dragged_onto_a_wire_is_inserted_in_one_undo_step(window):
    spread_out(window)
    graph, scene, stack = window.document.graph, window.scene, window.document.undo_stack
    scene.add_block("Dropout", QPointF(600, 300))
    before = graph.to_dict()
    wire = Edge("flatten", "dropout")
    middle = wire_middle(window, wire)
    window.view.centerOn(QPointF(300, 400))
    grab = scene.node_items["dropout_1"].mapToScene(QPointF(110, 45))

    end = press_move(window, grab, middle)
    assert scene.edge_items[wire].drop_target
    release(window, end)

    assert Edge("flatten", "dropout_1") in graph.edges and Edge("dropout_1", "dropout") in graph.edges
    assert wire not in graph.edges and stack.count() == 2  # the add, then the move + insertion
    assert_scene_matches_graph(window)
    stack.undo()
    assert graph.to_dict() == before
    assert_scene_matches_graph(window)


def test_a_wire_end_picked_up_from_its_input_moves_to_another_input_in_one_undo_step(window, qtbot):
    graph, scene, stack = window.document.graph, window.scene, window.document.undo_stack
    scene.add_block("Dense", QPointF(600, 700))
    before = graph.to_dict()
    digit_in = scene.node_items["digit"].port(INPUT, 0).scenePos()
    window.view.centerOn(QPointF(300, 650))

    # Press on the wire just above digit's input (its last 15 px), drag to dense_1's input.
    end = press_move(window, digit_in - QPointF(0, 12), scene.node_items["dense_1"].port(INPUT, 0).scenePos())
    assert not scene.edge_items[Edge("dropout", "digit")].isVisible()  # picked up
    release(window, end)

    assert Edge("dropout", "dense_1") in graph.edges and Edge("dropout", "digit") not in graph.edges
    assert stack.count() == 2
    assert_scene_matches_graph(window)
    stack.undo()
    assert graph.to_dict() == before
    assert scene.edge_items[Edge("dropout", "digit")].isVisible()
    assert_scene_matches_graph(window)


def test_a_wire_end_picked_up_from_a_wired_input_port_and_dropped_on_empty_canvas_disconnects(window):
    graph, scene, stack = window.document.graph, window.scene, window.document.undo_stack
    before = graph.to_dict()
    port = scene.node_items["conv2d_1"].port(INPUT, 0).scenePos()
    window.view.centerOn(port)

    release(window, press_move(window, port, port + QPointF(-300, 40)))

    assert Edge("rescaling", "conv2d_1") not in graph.edges and stack.count() == 1
    assert_scene_matches_graph(window)
    stack.undo()
    assert graph.to_dict() == before
    # A click on a wired port (no drag) changes nothing.
    QTest.mouseClick(window.view.viewport(), LEFT, NO_MOD, view_pos_of(window, port))
    assert graph.to_dict() == before and stack.count() == 1 and stack.index() == 0


def test_the_source_end_of_a_wire_moves_to_another_output(window):
    graph, scene, stack = window.document.graph, window.scene, window.document.undo_stack
    before = graph.to_dict()
    start = scene.node_items["conv2d_1"].port(OUTPUT, 0).scenePos()
    window.view.centerOn(start)
    end = press_move(window, start + QPointF(0, 7), scene.node_items["rescaling"].port(OUTPUT, 0).scenePos())
    release(window, end)
    assert Edge("rescaling", "max_pooling2d") in graph.edges and Edge("conv2d_1", "max_pooling2d") not in graph.edges
    stack.undo()
    assert graph.to_dict() == before


def test_while_a_wire_is_dragged_compatible_ports_are_marked_and_a_refused_one_says_why(window):
    graph, scene = window.document.graph, window.scene
    scene.add_block("Dense", QPointF(600, 500))
    before = graph.to_dict()
    notes = []
    scene.interactions.message.connect(notes.append)
    items = scene.node_items
    out = items["conv2d_2"].port(OUTPUT, 0).scenePos()
    window.view.centerOn(QPointF(300, 300))

    press_move(window, out, out + QPointF(200, 40))
    draft = scene.interactions.draft
    assert draft is not None
    assert items["dense_1"].port(INPUT, 0).candidate and items["digit"].port(INPUT, 0).candidate
    assert not items["rescaling"].port(INPUT, 0).candidate  # rescaling feeds conv2d_2: a cycle
    assert not items["conv2d_2"].port(INPUT, 0).candidate  # its own input
    assert not any(p.candidate for item in items.values() for p in item.output_ports)

    viewport = window.view.viewport()
    for port, reason in ((items["rescaling"].port(INPUT, 0), "would make a cycle"),
                         (items["conv2d_2"].port(INPUT, 0), "same block"),
                         (items["conv2d_1"].port(OUTPUT, 0), "an output connects to an input")):
        QTest.mouseMove(viewport, view_pos_of(window, port.scenePos()))
        assert draft.reason_text is not None and draft.reason_text.startswith(reason), draft.reason_text
        assert draft.reason.isVisible() and draft.reason.scene() is scene
    assert items["conv2d_1"].port(OUTPUT, 0).refused
    QTest.mouseMove(viewport, view_pos_of(window, items["dense_1"].port(INPUT, 0).scenePos()))
    assert draft.reason_text is None and items["dense_1"].port(INPUT, 0).highlighted
    QTest.mouseMove(viewport, view_pos_of(window, items["rescaling"].port(INPUT, 0).scenePos()))
    release(window, view_pos_of(window, items["rescaling"].port(INPUT, 0).scenePos()))

    assert graph.to_dict() == before  # refused: nothing changed
    assert notes and "would make a cycle" in notes[-1]
    assert scene.interactions.draft is None and draft.reason.scene() is None
    assert not any(p.candidate or p.refused for item in items.values() for p in item.input_ports + item.output_ports)


def test_wire_labels_show_shapes_and_a_red_blocks_upstream_chain_is_highlighted(ready_window):
    window = ready_window
    scene, document = window.scene, window.document
    scene.set_wire_labels(True)
    assert scene.edge_items[Edge("flatten", "dropout")].label.text == "(None, 512)"
    assert scene.edge_items[Edge("image", "rescaling")].label.text == "(None, 8, 8, 1)"
    extra = scene.add_block("Dense", QPointF(900, 700))
    scene.connect_ports("flatten", extra)
    assert scene.edge_items[Edge("flatten", extra)].label is None  # one label per output, on its first wire
    window.document.undo_stack.undo()
    window.document.undo_stack.undo()
    conv = scene.interactions.insert_on_wire(Edge("flatten", "dropout"), "Conv2D", QPointF(400, 520))
    document.shapes.run_now()
    assert scene.edge_items[Edge("flatten", conv)].label.text == "(None, 512)"  # a new wire is labelled too
    assert scene.node_items[conv].own_error and scene.highlighted == conv  # selected and red: traced at once

    scene.clearSelection()
    assert scene.highlighted is None and all(i.trace is None for i in scene.node_items.values())
    window.view.centerOn(scene.node_items[conv].sceneBoundingRect().center())
    body = scene.node_items[conv].mapToScene(QPointF(110, 45))
    QTest.mouseClick(window.view.viewport(), LEFT, NO_MOD, view_pos_of(window, body))

    traces = {n: item.trace for n, item in scene.node_items.items()}
    # Conv2D needs 3-D input: Flatten is where the rank last changed; everything before it only fed it.
    assert traces["flatten"] == ORIGIN
    assert all(traces[n] == UPSTREAM for n in ("image", "rescaling", "conv2d_1", "max_pooling2d", "conv2d_2"))
    assert traces["dropout"] is None and traces["digit"] is None and traces[conv] is None
    assert scene.edge_items[Edge("flatten", conv)].trace == CHAIN
    assert scene.edge_items[Edge("conv2d_2", "flatten")].trace == UPSTREAM
    assert scene.edge_items[Edge(conv, "dropout")].trace is None

    scene.set_wire_labels(False)
    assert all(item.label is None for item in scene.edge_items.values())
    scene.highlight_upstream(None)
    assert all(i.trace is None for i in list(scene.node_items.values()) + list(scene.edge_items.values()))


def test_a_rename_re_keys_the_node_and_its_wires(window):
    graph, scene = window.document.graph, window.scene
    dropout = scene.node_items["dropout"]
    wire = scene.edge_items[Edge("flatten", "dropout")]
    dropout.setSelected(True)

    graph.rename_node("dropout", "drop")

    assert scene.node_items["drop"] is dropout and "dropout" not in scene.node_items
    assert dropout.node_id == "drop" and dropout.isSelected()
    assert all(p.node_id == "drop" and "drop " in p.toolTip() for p in dropout.input_ports + dropout.output_ports)
    assert "'drop'" in dropout.toolTip()
    assert scene.edge_items[Edge("flatten", "drop")] is wire and wire.edge == Edge("flatten", "drop")
    assert scene.interactions.node_items is scene.node_items
    assert_scene_matches_graph(window)
    scene.connect_ports("drop", "conv2d_1")  # the renamed node wires as before
    assert Edge("drop", "conv2d_1") in scene.edge_items


def test_double_clicking_a_title_renames_the_block_through_the_name_dialog(window, qtbot):
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QInputDialog

    scene = window.scene
    item = scene.node_items["conv2d_1"]
    window.view.centerOn(item.sceneBoundingRect().center())
    asked = []
    scene.interactions.renameRequested.connect(asked.append)
    viewport = window.view.viewport()
    QTest.mouseDClick(viewport, LEFT, NO_MOD, view_pos_of(window, item.mapToScene(QPointF(150, 40))))  # the body
    assert asked == []

    def answer() -> None:  # the window's rename dialog: type the new name, press Enter
        dialog = QApplication.activeModalWidget()
        if not isinstance(dialog, QInputDialog):
            QTimer.singleShot(20, answer)
            return
        dialog.setTextValue("features")
        qtbot.keyClick(dialog, Qt.Key.Key_Return)

    QTimer.singleShot(20, answer)
    QTest.mouseDClick(viewport, LEFT, NO_MOD, view_pos_of(window, item.mapToScene(QPointF(60, 10))))  # the title
    assert asked == ["conv2d_1"]
    assert "features" in window.document.graph.nodes and "conv2d_1" not in window.document.graph.nodes
    assert scene.node_items["features"] is item


def test_a_right_click_says_what_it_was_on_and_selects_a_node_first(window):
    scene, view = window.scene, window.view
    with warnings.catch_warnings():  # the window opens its menu on this signal; here only the signal is checked
        warnings.simplefilter("ignore")
        try:
            scene.interactions.contextMenuRequested.disconnect()
        except (RuntimeError, TypeError):
            pass
    got = []
    scene.interactions.contextMenuRequested.connect(lambda *args: got.append(args))
    scene.node_items["image"].setSelected(True)
    conv = scene.node_items["conv2d_1"]
    view.centerOn(conv.sceneBoundingRect().center())

    def right_click(scene_point: QPointF) -> tuple:
        at = view_pos_of(window, scene_point)
        event = QContextMenuEvent(QContextMenuEvent.Reason.Mouse, at, view.viewport().mapToGlobal(at), NO_MOD)
        QApplication.sendEvent(view.viewport(), event)
        return got[-1]

    kind, target, scene_pos, screen_pos = right_click(conv.mapToScene(QPointF(110, 40)))
    assert (kind, target) == ("node", "conv2d_1")
    assert scene.selected_node_ids() == ["conv2d_1"]  # selected alone
    assert abs(scene_pos.x() - conv.mapToScene(QPointF(110, 40)).x()) < 2 and isinstance(screen_pos, QPoint)
    kind, target, _, _ = right_click(wire_middle(window, Edge("conv2d_1", "max_pooling2d")))
    assert (kind, target) == ("wire", Edge("conv2d_1", "max_pooling2d"))
    kind, target, _, _ = right_click(conv.mapToScene(QPointF(400, 40)))
    assert (kind, target) == ("canvas", None)
    assert len(got) == 3
