"""Nodes that share one Keras layer on the canvas: each is marked (a stripe in the layer's colour, "shares weights
of X" where the parameter count was, a tooltip naming the others); a parameter typed into the inspector changes
every node of the layer in one undo step; deleting the owner hands the layer on and undo puts the sharing back."""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from builder.graph import Graph
from builder.project import Project, save_project
from ui.canvas.node_item import sharing_colour


def _siamese_file(folder):
    g = Graph()
    g.add_node("Input", {"shape": [4]}, (0, 0), "left")
    g.add_node("Input", {"shape": [4]}, (260, 0), "right")
    g.add_node("Dense", {"units": 6}, (0, 130), "encoder")
    g.add_node("Dense", {}, (260, 130), "encoder_call2", shares="encoder")
    g.add_node("Subtract", {}, (130, 260), "diff")
    g.connect("left", "encoder")
    g.connect("right", "encoder_call2")
    g.connect("encoder", "diff", target_port=0)
    g.connect("encoder_call2", "diff", target_port=1)
    return save_project(Project(graph=g, name="siamese"), folder / "siamese.json")


def _open(window, qtbot, path):
    assert window.file_actions.open_file(path)
    qtbot.waitUntil(lambda: window.document.shapes.report is not None and not window.document.shapes.pending,
                    timeout=10_000)
    return window.scene.node_items


def test_the_canvas_marks_the_nodes_that_share_a_layer(ready_window, qtbot, tmp_path):
    items = _open(ready_window, qtbot, _siamese_file(tmp_path))
    owner, call = items["encoder"], items["encoder_call2"]
    assert call.params_text == "shares weights of encoder" and "Shares weights with 'encoder'" in call.toolTip()
    assert owner.params_text == "30 params · shared by 1 more" and "'encoder_call2' call it again" in owner.toolTip()
    assert items["diff"].share_group == [] and items["diff"].params_text == "0 params"
    # the stripe is drawn: the body's left edge has the layer's colour, on both nodes, and not on others
    for item, marked in ((owner, True), (call, True), (items["diff"], False)):
        image = ready_window.view.grab(ready_window.view.mapFromScene(item.sceneBoundingRect()).boundingRect())
        pixel = image.toImage().pixelColor(int(image.width() * 0.03) + 3, int(image.height() * 0.6))
        assert (pixel.rgb() == sharing_colour(0).rgb()) is marked, item.node_id


def test_a_parameter_typed_on_one_call_changes_the_shared_layer_in_one_undo_step(ready_window, qtbot, tmp_path):
    window = ready_window
    _open(window, qtbot, _siamese_file(tmp_path))
    graph, stack = window.document.graph, window.document.undo_stack
    window.scene.clearSelection()
    window.scene.node_items["encoder_call2"].setSelected(True)
    box = window.inspector.editors["units"].box
    steps = stack.count()
    with qtbot.waitSignal(window.document.shapes.reportChanged, timeout=5000):
        box.setFocus()
        box.selectAll()
        QTest.keyClicks(box, "9")
        QTest.keyClick(box, Qt.Key.Key_Return)
    assert graph.nodes["encoder"].params["units"] == graph.nodes["encoder_call2"].params["units"] == 9
    assert stack.count() == steps + 1
    assert window.scene.node_items["encoder"].params_text == "45 params · shared by 1 more"
    assert "Parameters: shares the weights of 'encoder'" in window.inspector.status.text()
    window.undo_action.trigger()
    assert graph.nodes["encoder"].params["units"] == graph.nodes["encoder_call2"].params["units"] == 6


def test_deleting_the_owner_hands_the_layer_on_and_undo_shares_it_again(ready_window, qtbot, tmp_path):
    window = ready_window
    items = _open(window, qtbot, _siamese_file(tmp_path))
    graph = window.document.graph
    window.scene.clearSelection()
    items["encoder"].setSelected(True)
    window.scene.delete_selection()
    assert "encoder" not in graph.nodes and graph.nodes["encoder_call2"].shares is None
    assert items["encoder_call2"].share_group == []  # a layer of its own now: no mark
    with qtbot.waitSignal(window.document.shapes.reportChanged, timeout=5000):
        window.undo_action.trigger()
    assert graph.nodes["encoder_call2"].shares == "encoder"
    assert items["encoder_call2"].params_text == "shares weights of encoder"
    assert items["encoder"].share_group == ["encoder", "encoder_call2"]


def test_call_again_from_a_block_menu_makes_a_siamese_branch_and_stop_sharing_gives_it_its_own_layer(
        ready_window, qtbot, tmp_path):
    from PySide6.QtCore import QPointF

    window = ready_window
    _open(window, qtbot, _siamese_file(tmp_path))
    graph, stack = window.document.graph, window.document.undo_stack

    def entry(node_id, text):
        menu = window.canvas_menus.menu_for("node", node_id, QPointF())
        return next(a for a in menu.actions() if a.text().startswith(text))

    entry("encoder", "Call Again (Shared Weights)").trigger()
    assert graph.nodes["encoder_call3"].shares == "encoder"
    assert graph.nodes["encoder_call3"].params == graph.nodes["encoder"].params
    assert graph.sharing_group("encoder") == ["encoder", "encoder_call2", "encoder_call3"]
    item = window.scene.node_items["encoder_call3"]
    assert item.shares == "encoder" and "encoder_call3" in window.scene.node_items["encoder"].share_group
    stack.undo()
    assert "encoder_call3" not in graph.nodes

    entry("encoder_call2", "Stop Sharing encoder's Weights").trigger()
    assert graph.nodes["encoder_call2"].shares is None
    assert graph.nodes["encoder_call2"].params == {"units": 6}  # its params stay; its weights are its own now
    qtbot.waitUntil(lambda: window.scene.node_items["encoder_call2"].params_text == "30 params", timeout=10_000)
    stack.undo()
    assert graph.nodes["encoder_call2"].shares == "encoder"
    assert all("Stop Sharing" not in a.text() for a in window.canvas_menus.menu_for("node", "encoder", QPointF()).actions())
