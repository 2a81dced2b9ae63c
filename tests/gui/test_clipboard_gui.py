"""Copy, cut, paste and duplicate on the canvas: real key presses, the real clipboard, one undo step each."""
from __future__ import annotations

import json

from PySide6.QtCore import QByteArray, QMimeData, QPoint, QPointF, Qt
from PySide6.QtGui import QCursor
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QLineEdit, QMessageBox

from builder.graph import Edge
from tests.gui.conftest import close_window
from ui.controllers.edit_actions import MIME_TYPE

CTRL = Qt.KeyboardModifier.ControlModifier


def _select(window, *ids: str) -> None:
    window.scene.clearSelection()
    for node_id in ids:
        window.scene.node_items[node_id].setSelected(True)
    window.view.setFocus()


def _drawn_as_graph(window) -> None:
    graph, scene = window.document.graph, window.scene
    assert set(scene.node_items) == set(graph.nodes) and set(scene.edge_items) == set(graph.edges)
    for node_id, node in graph.nodes.items():
        assert (scene.node_items[node_id].pos().x(), scene.node_items[node_id].pos().y()) == node.position


def test_ctrl_c_ctrl_v_pastes_fresh_ids_with_inner_wires_at_the_place_and_undo_redo_are_exact(window):
    graph, stack = window.document.graph, window.document.undo_stack
    _select(window, "flatten", "dropout")
    QTest.keyClick(window.view, Qt.Key.Key_C, CTRL)
    mime = QApplication.clipboard().mimeData()
    assert mime.hasFormat(MIME_TYPE) and json.loads(mime.text())["format"] == "layerboard-nodes"
    before = graph.to_dict()
    viewport = window.view.viewport()
    pointer = QPoint(viewport.width() - 30, 20)  # the paste goes where the mouse pointer is on the canvas
    QCursor.setPos(viewport.mapToGlobal(pointer))
    wanted = window.view.mapToScene(pointer)
    QTest.keyClick(window.view, Qt.Key.Key_V, CTRL)
    assert graph.to_dict() != before and stack.count() == 1
    new = [n for n in graph.nodes if n not in {node["id"] for node in before["nodes"]}]
    assert new == ["flatten_1", "dropout_1"]
    assert graph.edges[-1] == Edge("flatten_1", "dropout_1")  # the inner wire, and no wire from outside
    assert graph.incoming("flatten_1") == [] and graph.outgoing("dropout_1") == []
    offset = (graph.nodes["dropout"].position[0] - graph.nodes["flatten"].position[0],
              graph.nodes["dropout"].position[1] - graph.nodes["flatten"].position[1])
    x, y = graph.nodes["flatten_1"].position
    assert graph.nodes["dropout_1"].position == (x + offset[0], y + offset[1])
    # at the pointer, or shifted (in 20 px steps, all together) just far enough to clear the other blocks
    assert (x - wanted.x()) % 20 == 0 and (y - wanted.y()) % 20 == 0 and abs(x - wanted.x()) + abs(y - wanted.y()) < 700
    assert sorted(window.scene.selected_node_ids()) == ["dropout_1", "flatten_1"]
    _drawn_as_graph(window)
    after = graph.to_dict()
    window.undo_action.trigger()
    assert graph.to_dict() == before
    _drawn_as_graph(window)
    window.redo_action.trigger()
    assert graph.to_dict() == after


def test_ctrl_x_cuts_as_one_step_and_undo_restores_the_exact_graph(window):
    graph = window.document.graph
    before = graph.to_dict()
    _select(window, "conv2d_1", "conv2d_2")
    QTest.keyClick(window.view, Qt.Key.Key_X, CTRL)
    assert "conv2d_1" not in graph.nodes and "conv2d_2" not in graph.nodes
    assert window.document.undo_stack.count() == 1
    assert [n["id"] for n in json.loads(QApplication.clipboard().mimeData().text())["nodes"]] == ["conv2d_1",
                                                                                                   "conv2d_2"]
    window.undo_action.trigger()
    assert graph.to_dict() == before  # node and wire order too (the model's inputs and outputs keep theirs)
    _drawn_as_graph(window)
    pasted = window.edit_actions.paste(QPointF(2000, 0))  # what was cut pastes back, under new names
    assert pasted == ["conv2d_3", "conv2d_4"] and graph.incoming("conv2d_4") == []


def test_ctrl_d_duplicates_beside_the_original_and_leaves_the_clipboard_alone(window):
    graph = window.document.graph
    QApplication.clipboard().setText("my notes")
    _select(window, "dropout")
    QTest.keyClick(window.view, Qt.Key.Key_D, CTRL)
    assert "dropout_1" in graph.nodes and graph.nodes["dropout_1"].params == graph.nodes["dropout"].params
    assert window.scene.selected_node_ids() == ["dropout_1"]
    assert graph.nodes["dropout_1"].position != graph.nodes["dropout"].position
    assert QApplication.clipboard().text() == "my notes"
    window.undo_action.trigger()
    assert "dropout_1" not in graph.nodes


def test_ctrl_c_in_a_text_field_copies_its_text_not_the_blocks(window, qtbot):
    _select(window, "dropout")
    QApplication.clipboard().setText("before")
    field = QLineEdit("some text", window)
    field.show()
    field.setFocus()
    qtbot.waitUntil(field.hasFocus, timeout=2000)
    field.selectAll()
    QTest.keyClick(field, Qt.Key.Key_C, CTRL)
    assert QApplication.clipboard().text() == "some text"
    assert not QApplication.clipboard().mimeData().hasFormat(MIME_TYPE)
    count = len(window.document.graph.nodes)
    QTest.keyClick(field, Qt.Key.Key_V, CTRL)
    assert len(window.document.graph.nodes) == count and field.text() == "some text"


def test_paste_into_a_second_window_through_the_system_clipboard(window, qtbot):
    from ui.main_window import MainWindow

    _select(window, "conv2d_1", "max_pooling2d", "conv2d_2")
    window.edit_actions.copy_action.trigger()
    second = MainWindow()
    try:
        second.show()
        qtbot.waitExposed(second)
        second.activateWindow()
        qtbot.waitUntil(second.isActiveWindow, timeout=2000)
        second.view.setFocus()
        QTest.keyClick(second.view, Qt.Key.Key_V, CTRL)
        graph = second.document.graph
        assert ["conv2d_3", "max_pooling2d_1", "conv2d_4"] == list(graph.nodes)[-3:]
        assert graph.edges[-2:] == (Edge("conv2d_3", "max_pooling2d_1"), Edge("max_pooling2d_1", "conv2d_4"))
        assert graph.nodes["conv2d_3"].params == window.document.graph.nodes["conv2d_1"].params
        assert window.document.undo_stack.count() == 0  # the first window did not change
    finally:
        qtbot.wait(20)  # the view's deferred notes about its own changes, before it is deleted
        close_window(second)


def _hostile_clipboard(text: str) -> None:
    mime = QMimeData()
    mime.setData(MIME_TYPE, QByteArray(text.encode("utf-8")))
    mime.setText(text)
    QApplication.clipboard().setMimeData(mime)


def test_hostile_clipboard_is_refused_with_a_message_and_changes_nothing(window):
    graph = window.document.graph
    before = graph.to_dict()
    good = {"format": "layerboard-nodes", "version": 1,
            "nodes": [{"id": "a", "type": "Dense", "params": {"units": 2}, "position": [0, 0]}], "edges": []}
    cases = {
        "unknown block type 'Warp'": {**good, "nodes": [{**good["nodes"][0], "type": "Warp"}]},
        "1,000,000 nodes": {**good, "nodes": [{}] * 1_000_000},
        "expected finite numbers": {**good, "nodes": [{**good["nodes"][0], "position": [float("nan"), 0]}]},
        "expected an object of parameters": {**good, "nodes": [{**good["nodes"][0], "params": [1]}]},
        "holds no Layerboard blocks": [1, 2, 3],
    }
    for words, data in cases.items():
        _hostile_clipboard(json.dumps(data))
        messages = []
        window.edit_actions.status.connect(messages.append)
        assert window.edit_actions.paste(QPointF(0, 0)) == []
        window.edit_actions.status.disconnect(messages.append)
        assert messages and words in messages[-1], (words, messages)
        boxes = [b for b in window.findChildren(QMessageBox) if b.isVisible()]
        assert boxes and words in boxes[-1].text()
        for box in boxes:
            box.close()
        assert graph.to_dict() == before and window.document.undo_stack.count() == 0
    QApplication.clipboard().setText("just some words")
    assert window.edit_actions.paste(QPointF(0, 0)) == [] and graph.to_dict() == before
