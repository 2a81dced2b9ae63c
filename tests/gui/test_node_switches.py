"""Per-node switches in the inspector (trainable, model output) and ports that follow the layer."""
from __future__ import annotations

from PySide6.QtCore import QPointF

from test_inspector import select  # tests/gui is on sys.path (no __init__.py), with `pytest` or `python -m pytest`


def graph_dict(window):
    return window.document.graph.to_dict()


def test_freezing_a_block_is_undoable_and_shown_on_the_block(ready_window, qtbot):
    window = ready_window
    select(window, "conv2d_1")
    inspector = window.inspector
    assert inspector.trainable.isVisible() and inspector.trainable.isChecked()

    inspector.trainable.click()

    node = window.document.graph.nodes["conv2d_1"]
    assert node.trainable is False
    assert window.scene.node_items["conv2d_1"].trainable is False
    saved = {n["id"]: n for n in graph_dict(window)["nodes"]}
    assert saved["conv2d_1"]["trainable"] is False  # what a save writes
    window.undo_action.trigger()
    assert node.trainable is True
    assert inspector.trainable.isChecked()  # the checkbox follows the undo


def test_marking_an_inner_block_as_output_adds_a_model_output(ready_window):
    window = ready_window
    graph = window.document.graph
    before = graph.output_nodes()
    select(window, "flatten")
    window.inspector.is_output.click()
    assert graph.nodes["flatten"].output is True
    assert graph.output_nodes() == [n for n in graph.nodes if n in set(before) | {"flatten"}]
    assert window.scene.node_items["flatten"].is_output
    window.undo_action.trigger()
    assert graph.output_nodes() == before


def test_undo_of_delete_restores_switches(ready_window):
    window = ready_window
    select(window, "conv2d_1")
    window.inspector.trainable.click()
    window.scene.clearSelection()
    window.scene.node_items["conv2d_1"].setSelected(True)
    window.delete_action.trigger()
    assert "conv2d_1" not in window.document.graph.nodes
    window.undo_action.trigger()
    assert window.document.graph.nodes["conv2d_1"].trainable is False


def test_input_ports_are_named_after_call_arguments(ready_window, qtbot):
    window = ready_window
    with qtbot.waitSignal(window.document.shapes.reportChanged, timeout=5000):
        node_id = window.scene.add_block("MultiHeadAttention", QPointF(600, 100))
    item = window.scene.node_items[node_id]
    assert [p.name for p in item.input_ports] == ["query", "value", "key"]
    assert "'query'" in item.input_ports[0].toolTip()
