"""Composite blocks in the app: saving a selection puts it in the palette, blocks drop onto the
canvas and show their shape, their parameters are edited in the inspector, and Expand is undoable."""
from __future__ import annotations

from PySide6.QtCore import QEvent, QPoint, QPointF, Qt, QTimer
from PySide6.QtGui import QDragEnterEvent, QDragMoveEvent, QDropEvent
from PySide6.QtWidgets import QApplication, QInputDialog

from ui.panels.param_editors import IntEditor


def select_nodes(window, *node_ids: str) -> None:
    window.scene.clearSelection()
    for node_id in node_ids:
        window.scene.node_items[node_id].setSelected(True)


def drop_block(window, block_type: str, view_pos: QPoint) -> None:
    """A palette entry dragged onto the canvas: the palette's own mime data, as real drag events."""
    mime = window.palette.tree.mimeData([window.palette.items[block_type]])
    viewport = window.view.viewport()
    actions, buttons, mods = Qt.DropAction.CopyAction, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier
    QApplication.sendEvent(viewport, QDragEnterEvent(view_pos, actions, mime, buttons, mods))
    QApplication.sendEvent(viewport, QDragMoveEvent(view_pos, actions, mime, buttons, mods))
    drop = QDropEvent(QPointF(view_pos), actions, mime, buttons, mods, QEvent.Type.Drop)
    QApplication.sendEvent(viewport, drop)
    assert drop.isAccepted()


def scene_matches_graph(window) -> bool:
    graph, scene = window.document.graph, window.scene
    return set(scene.node_items) == set(graph.nodes) and set(scene.edge_items) == set(graph.edges)


def test_the_palette_shows_the_shipped_blocks(window):
    heads = {window.palette.tree.topLevelItem(i).text(0) for i in range(window.palette.tree.topLevelItemCount())}
    assert "Blocks" in heads and "My blocks" not in heads
    item = window.palette.items["TransformerEncoderBlock"]
    assert item.parent().text(0) == "Blocks"
    assert "self-attention" in item.toolTip(0)


def test_saving_a_selection_adds_it_to_the_palette(ready_window, qtbot, user_blocks):
    window = ready_window
    select_nodes(window, "conv2d_1", "max_pooling2d", "conv2d_2")
    action = window.save_block_action
    assert action in window.menuBar().actions()[1].menu().actions()  # Edit menu

    def answer_the_name_dialog():
        dialog = QApplication.activeModalWidget()
        assert isinstance(dialog, QInputDialog)
        dialog.setTextValue("ConvStack")
        dialog.accept()

    QTimer.singleShot(0, answer_the_name_dialog)
    action.trigger()

    assert (user_blocks / "ConvStack.json").exists()
    item = window.palette.items["ConvStack"]
    assert item.parent().text(0) == "My blocks"
    assert window.document.undo_stack.count() == 0  # saving a block does not edit the project
    assert "ConvStack" in window.statusBar().currentMessage()

    # The new block drops onto the canvas and shows the shape of its three layers.
    with qtbot.waitSignal(window.document.shapes.reportChanged, timeout=10_000):
        drop_block(window, "ConvStack", window.view.viewport().rect().center() + QPoint(300, 0))
    assert "conv_stack_1" in window.document.graph.nodes
    with qtbot.waitSignal(window.document.shapes.reportChanged, timeout=10_000):
        assert window.scene.connect_ports("rescaling", "conv_stack_1")
    assert window.scene.node_items["conv_stack_1"].shape_text == "(None, 4, 4, 32)"


def test_a_bad_block_name_is_refused_with_a_message(ready_window, user_blocks):
    select_nodes(ready_window, "conv2d_1")
    assert ready_window.edit_actions.save_selection_as_composite_block("Dense") is None
    assert not user_blocks.exists()
    assert "ConvStack" not in ready_window.palette.items


def test_expand_block_is_undoable(ready_window, qtbot):
    window = ready_window
    graph, stack = window.document.graph, window.document.undo_stack
    with qtbot.waitSignal(window.document.shapes.reportChanged, timeout=10_000):
        drop_block(window, "ResidualBlock", window.view.viewport().rect().center() + QPoint(300, 0))
    block = "residual_block_1"
    with qtbot.waitSignal(window.document.shapes.reportChanged, timeout=10_000):
        window.scene.connect_ports("conv2d_2", block)

    # Its exposed parameter is edited in the inspector like any other.
    select_nodes(window, block)
    editor = window.inspector.editors["filters"]
    assert isinstance(editor, IntEditor) and editor.box.value() == 32
    assert window.scene.node_items[block].shape_text == "(None, 4, 4, 32)"
    before = graph.to_dict()
    steps = stack.count()

    window.expand_block_action.trigger()

    assert block not in graph.nodes
    inner = [n for n in graph.nodes if n.startswith(f"{block}_")]
    assert len(inner) == 7 and f"{block}_conv_1" in inner
    assert sorted(e.source for e in graph.incoming(f"{block}_add")) == ["conv2d_2", f"{block}_bn_2"]
    assert stack.count() == steps + 1 and stack.undoText().startswith("Expand ResidualBlock")
    assert scene_matches_graph(window)
    assert set(window.scene.selected_node_ids()) == set(inner)

    window.undo_action.trigger()
    assert graph.to_dict()["edges"] and block in graph.nodes and not any(n.startswith(f"{block}_") for n in graph.nodes)
    assert sorted(map(str, graph.to_dict()["nodes"])) == sorted(map(str, before["nodes"]))
    assert sorted(map(str, graph.to_dict()["edges"])) == sorted(map(str, before["edges"]))
    assert scene_matches_graph(window)

    window.redo_action.trigger()
    assert block not in graph.nodes and set(inner) <= set(graph.nodes)
    assert scene_matches_graph(window)


def test_expand_needs_a_selected_block(ready_window):
    select_nodes(ready_window, "conv2d_1")
    assert ready_window.edit_actions.expand_composite_block() == []
    assert "Select one composite block" in ready_window.statusBar().currentMessage()
