"""The inspector with several nodes selected: shared parameters set on all of them in one undo step, mixed
values, mixed types, refusals that change nothing, switches; and each parameter's help written out."""
from __future__ import annotations

from PySide6.QtCore import QPointF, Qt
from PySide6.QtTest import QTest

from test_inspector import type_into  # tests/gui is on sys.path (no __init__.py)
from ui.panels.param_editors import MIXED_LABEL


def click_node(window, node_id: str, add: bool = False) -> None:
    """A real click on a node in the view; with `add`, a Ctrl+click that adds it to the selection."""
    item = window.scene.node_items[node_id]
    window.view.centerOn(item)
    rect = item.sceneBoundingRect()
    point = window.view.mapFromScene(QPointF(rect.left() + 40, rect.center().y()))  # clear of the ports
    modifier = Qt.KeyboardModifier.ControlModifier if add else Qt.KeyboardModifier.NoModifier
    QTest.mouseClick(window.view.viewport(), Qt.MouseButton.LeftButton, modifier, point)


def select_nodes(window, *node_ids: str):
    click_node(window, node_ids[0])
    for node_id in node_ids[1:]:
        click_node(window, node_id, add=True)
    assert sorted(window.scene.selected_node_ids()) == sorted(node_ids)
    assert sorted(window.inspector.node_ids) == sorted(node_ids)
    return window.inspector.editors


def add_node(window, block_type: str, x: float) -> str:
    node_id = window.scene.add_block(block_type, QPointF(x, 900))
    window.document.undo_stack.clear()  # the tests count the undo steps of the inspector's edits only
    return node_id


def test_two_dense_nodes_take_one_units_value_and_one_undo_restores_both(ready_window):
    window = ready_window
    graph, stack = window.document.graph, window.document.undo_stack
    dense = add_node(window, "Dense", 700)
    editors = select_nodes(window, "digit", dense)
    assert window.inspector.node_id is None and "2 Dense" in window.inspector.title.text()
    box = editors["units"].box
    assert graph.nodes["digit"].params["units"] != graph.nodes[dense].params.get("units")
    assert editors["units"].is_mixed and box.lineEdit().text() == ""
    assert box.lineEdit().placeholderText() == MIXED_LABEL
    before = graph.to_dict()
    box.setFocus()
    editors["activation"].box.setFocus()  # leaving the mixed field untouched sets nothing
    assert not box.hasFocus() and stack.count() == 0
    assert editors["units"].is_mixed and box.lineEdit().text() == ""

    type_into(box, "24")

    assert graph.nodes["digit"].params["units"] == 24 and graph.nodes[dense].params["units"] == 24
    assert stack.count() == 1
    assert not editors["units"].is_mixed and box.text() == "24"
    window.undo_action.trigger()
    assert graph.to_dict() == before
    assert editors["units"].is_mixed  # the editor follows the undo back to mixed


def test_spin_box_steps_on_two_convolutions_fold_into_one_undo_step(ready_window):
    window = ready_window
    graph, stack = window.document.graph, window.document.undo_stack
    editors = select_nodes(window, "conv2d_1", "conv2d_2")
    assert editors["filters"].is_mixed  # 16 and 32
    assert not editors["kernel_size"].is_mixed and editors["kernel_size"].line.text() == "3, 3"
    assert editors["activation"].box.currentText() == "relu"
    before = graph.to_dict()
    box = editors["filters"].box
    box.setFocus()

    QTest.keyClick(box, Qt.Key.Key_Up)
    QTest.keyClick(box, Qt.Key.Key_Up)

    values = {graph.nodes[i].params["filters"] for i in ("conv2d_1", "conv2d_2")}
    assert len(values) == 1  # both nodes hold the same number now
    assert stack.count() == 1
    window.undo_action.trigger()
    assert graph.to_dict() == before


def test_a_mixed_selection_edits_the_shared_parameters_or_one_type(ready_window):
    window = ready_window
    graph, stack = window.document.graph, window.document.undo_stack
    editors = select_nodes(window, "conv2d_1", "conv2d_2", "digit")
    inspector = window.inspector
    assert "2 Conv2D, 1 Dense" in inspector.title.text()
    assert inspector.group_box.isVisibleTo(inspector)
    assert {"activation", "use_bias", "kernel_initializer"} <= set(editors)
    assert "filters" not in editors and "units" not in editors
    assert editors["activation"].is_mixed  # relu, relu, softmax
    before = graph.to_dict()

    box = editors["use_bias"].box
    box.click()  # every node uses a bias: the click turns it off on all three

    assert all(graph.nodes[i].params["use_bias"] is False for i in ("conv2d_1", "conv2d_2", "digit"))
    assert stack.count() == 1
    window.undo_action.trigger()
    assert graph.to_dict() == before

    group = inspector.group_box
    group.setFocus()
    QTest.keyClick(group, Qt.Key.Key_Down)  # "The 2 Conv2D blocks"
    assert group.currentData() == "Conv2D"
    editors = inspector.editors
    assert "filters" in editors and editors["filters"].is_mixed
    type_into(editors["filters"].box, "8")
    assert graph.nodes["conv2d_1"].params["filters"] == 8 and graph.nodes["conv2d_2"].params["filters"] == 8
    assert graph.nodes["digit"].params["units"] == 10
    assert group.currentData() == "Conv2D"  # the chosen type stays while the selection does


def test_a_value_one_node_refuses_changes_none(ready_window):
    window = ready_window
    graph, stack = window.document.graph, window.document.undo_stack
    conv1d = add_node(window, "Conv1D", 700)
    editors = select_nodes(window, conv1d, "conv2d_1")
    box = editors["padding"].box
    assert box.findText("causal") >= 0  # Conv1D's padding may be causal; Conv2D's may not
    before = graph.to_dict()

    box.setFocus()
    QTest.keyClicks(box, "causal")  # the closed list jumps to the item typed and activates it

    assert graph.to_dict() == before
    assert stack.count() == 0
    message = window.inspector.message
    assert message.isVisibleTo(window.inspector)
    assert "'conv2d_1'" in message.text() and "Conv2D.padding must be one of" in message.text()
    assert box.currentText() == ""  # back to mixed (valid, same)


def test_switches_of_several_nodes_change_in_one_undo_step(ready_window):
    window = ready_window
    graph, stack = window.document.graph, window.document.undo_stack
    click_node(window, "conv2d_1")
    window.inspector.trainable.click()  # freeze one of them alone first
    stack.clear()
    select_nodes(window, "conv2d_1", "conv2d_2")
    trainable = window.inspector.trainable
    assert trainable.checkState() == Qt.CheckState.PartiallyChecked

    trainable.click()

    assert graph.nodes["conv2d_1"].trainable and graph.nodes["conv2d_2"].trainable
    assert trainable.checkState() == Qt.CheckState.Checked
    trainable.click()
    assert not graph.nodes["conv2d_1"].trainable and not graph.nodes["conv2d_2"].trainable
    assert stack.count() == 2
    window.undo_action.trigger()
    assert graph.nodes["conv2d_1"].trainable and graph.nodes["conv2d_2"].trainable

    select_nodes(window, "image", "flatten")  # an Input has no switches: they apply to the other node
    window.inspector.is_output.click()
    assert graph.nodes["flatten"].output and not graph.nodes["image"].output
    window.undo_action.trigger()
    assert not graph.nodes["flatten"].output


def test_each_parameters_help_is_written_under_its_editor(ready_window):
    window = ready_window
    click_node(window, "conv2d_1")
    inspector = window.inspector
    help_label = inspector.help_labels["filters"]
    assert help_label.isVisibleTo(inspector) and help_label.wordWrap()
    assert "number of filters in the convolution" in help_label.text()
    assert not help_label.text().startswith("int,")  # the type the editor already shows is left out
    editor = inspector.editors["filters"]
    assert help_label.geometry().top() >= editor.parentWidget().geometry().bottom()  # under its editor
