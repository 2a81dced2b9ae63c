"""File menu: save/open round trip, templates, the title's unsaved marker, errors as message boxes."""
from __future__ import annotations

from PySide6.QtCore import QPointF
from PySide6.QtWidgets import QMessageBox

from builder.project import load_project


def test_the_app_opens_the_digits_template_as_an_unsaved_project(window):
    assert window.windowTitle() == "digits_cnn (unsaved)[*] — Layerboard"
    assert not window.isWindowModified()
    assert len(window.document.graph.nodes) == 8


def test_save_as_then_open_round_trips_the_edited_graph(window, tmp_path):
    window.scene.add_block("BatchNormalization", QPointF(400, 200))
    window.scene.connect_ports("conv2d_1", "batch_normalization_1")
    assert window.isWindowModified()
    path = tmp_path / "edited.json"

    assert window.file_actions.save_as(path)

    assert not window.isWindowModified()
    assert window.windowTitle().startswith("edited.json")
    saved = load_project(path)
    assert saved.graph.to_dict() == window.document.graph.to_dict()

    assert window.file_actions.new_from_template("digits_cnn")
    assert "batch_normalization_1" not in window.scene.node_items
    assert window.file_actions.open_file(path)
    assert set(window.scene.node_items) == set(saved.graph.nodes)
    assert window.document.path == path
    assert window.document.undo_stack.count() == 0


def test_an_unreadable_file_is_reported_and_the_open_document_kept(window, tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text('{"format": "layerboard-project", "version": 1, "graph": {"nodes": [42]}}')
    before = window.document

    assert not window.file_actions.open_file(bad)

    assert window.document is before
    boxes = [b for b in window.findChildren(QMessageBox) if b.isVisible()]
    assert boxes and "graph.nodes[0]" in boxes[0].text()


def test_a_new_document_is_drawn_and_edited_through_its_own_undo_stack(window):
    old_stack = window.document.undo_stack
    window.scene.add_block("Dense", QPointF(0, 0))
    window.document.undo_stack.setClean()  # no "save changes?" question in a test
    assert window.file_actions.new_from_template("digits_cnn")
    assert window.document.undo_stack is not old_stack
    assert window.undo_group.activeStack() is window.document.undo_stack
    assert not window.undo_action.isEnabled()
    window.scene.add_block("Dense", QPointF(0, 0))
    assert window.undo_action.isEnabled()
    window.undo_action.trigger()
    assert "dense_1" not in window.document.graph.nodes
