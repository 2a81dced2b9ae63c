"""Renaming a block in the window: wires and the settings that name it follow; bad names refused; exact undo."""
from __future__ import annotations

import pytest
from PySide6.QtWidgets import QMessageBox

from builder.graph import Edge


def _visible_boxes(window) -> list[QMessageBox]:
    return [b for b in window.findChildren(QMessageBox) if b.isVisible()]


def test_rename_moves_wires_and_loss_keys_and_undo_restores_exactly(window, qtbot):
    document, graph = window.document, window.document.graph
    document.project.training.loss = {"digit": "sparse_categorical_crossentropy"}
    document.project.training.monitor = "val_digit_accuracy"
    before = graph.to_dict()
    sections = []
    document.projectChanged.connect(sections.append)
    assert window.edit_actions.rename_node("digit", "label")
    assert list(graph.nodes)[-1] == "label" and graph.edges[-1] == Edge("dropout", "label")
    assert document.project.training.loss == {"label": "sparse_categorical_crossentropy"}
    assert document.project.training.monitor == "val_label_accuracy" and sections == ["training"]
    assert document.undo_stack.count() == 1 and document.dirty
    assert "label" in window.scene.node_items and "digit" not in window.scene.node_items  # the canvas follows
    assert Edge("dropout", "label") in window.scene.edge_items
    window.undo_action.trigger()
    assert graph.to_dict() == before and document.project.training.loss == {"digit": "sparse_categorical_crossentropy"}
    assert document.project.training.monitor == "val_digit_accuracy"
    assert set(window.scene.node_items) == set(graph.nodes) and set(window.scene.edge_items) == set(graph.edges)
    window.redo_action.trigger()
    assert "label" in graph.nodes and document.project.training.loss == {"label": "sparse_categorical_crossentropy"}


@pytest.mark.parametrize("bad, words", [("class", "Python keyword"), ("dropout", "already exists"),
                                        ("1abc", "not a valid name"), ("a b", "not a valid name")])
def test_bad_names_are_refused_with_a_message_and_change_nothing(window, bad, words):
    before = window.document.graph.to_dict()
    messages = []
    window.edit_actions.status.connect(messages.append)
    assert not window.edit_actions.rename_node("digit", bad)
    assert messages and words in messages[-1]
    boxes = _visible_boxes(window)
    assert boxes and words in boxes[-1].text()
    for box in boxes:
        box.close()
    assert window.document.graph.to_dict() == before and window.document.undo_stack.count() == 0


def test_rename_of_the_selected_block_needs_one_selected(window):
    messages = []
    window.edit_actions.status.connect(messages.append)
    window.scene.clearSelection()
    assert not window.edit_actions.rename_node(new_id="x")
    assert messages[-1] == "Select one block to rename it."
    window.scene.node_items["flatten"].setSelected(True)
    assert window.edit_actions.rename_node(new_id="to_vector")
    assert "to_vector" in window.document.graph.nodes and window.edit_actions.rename_action.shortcut().toString() == "F2"
