"""The inspector: editing parameters through real widgets, refusing bad values, following undo."""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from ui.panels.param_editors import ChoiceEditor, FloatEditor, IntEditor, ShapeEditor, TupleEditor


def select(window, node_id: str):
    window.scene.clearSelection()
    window.scene.node_items[node_id].setSelected(True)
    assert window.inspector.node_id == node_id
    return window.inspector.editors


def type_into(widget, text: str) -> None:
    """Replace a field's text the way a user does: focus, select all, type, press Enter."""
    widget.setFocus()
    widget.selectAll()
    QTest.keyClicks(widget, text)
    QTest.keyClick(widget, Qt.Key.Key_Return)


def test_editing_filters_changes_the_shapes_drawn_downstream(ready_window, qtbot):
    window = ready_window
    flatten = window.scene.node_items["flatten"]
    assert flatten.shape_text == "(None, 512)"
    editors = select(window, "conv2d_2")
    assert isinstance(editors["filters"], IntEditor)

    with qtbot.waitSignal(window.document.shapes.reportChanged, timeout=5000):
        type_into(editors["filters"].box, "8")

    assert window.document.graph.nodes["conv2d_2"].params["filters"] == 8
    assert flatten.shape_text == "(None, 128)"
    assert window.scene.node_items["conv2d_2"].params_text == "1,160 params"
    assert "(None, 4, 4, 8)" in window.inspector.status.text()

    with qtbot.waitSignal(window.document.shapes.reportChanged, timeout=5000):
        window.undo_action.trigger()
    assert flatten.shape_text == "(None, 512)"
    assert editors["filters"].box.value() == 32  # the editor follows the undo


def test_every_parameter_kind_gets_its_editor(ready_window):
    editors = select(ready_window, "conv2d_1")
    assert isinstance(editors["kernel_size"], TupleEditor)
    assert editors["kernel_size"].line.text() == "3, 3"
    assert isinstance(editors["padding"], ChoiceEditor)
    assert editors["padding"].box.currentText() == "same"
    assert isinstance(editors["activation"], ChoiceEditor)
    assert editors["activation"].box.itemText(0) == "(default)"  # nullable: can be unset
    assert editors["use_bias"].box.isChecked()
    editors = select(ready_window, "image")
    assert isinstance(editors["shape"], ShapeEditor)
    assert editors["shape"].line.text() == "8, 8, 1"
    editors = select(ready_window, "dropout")
    assert isinstance(editors["rate"], FloatEditor)
    assert editors["rate"].line.text() == "0.3"


def test_a_tuple_typed_as_text_becomes_a_list_of_ints(ready_window, qtbot):
    window = ready_window
    editors = select(window, "max_pooling2d")
    with qtbot.waitSignal(window.document.shapes.reportChanged, timeout=5000):
        type_into(editors["pool_size"].line, "4, 4")
    assert window.document.graph.nodes["max_pooling2d"].params["pool_size"] == [4, 4]
    assert window.scene.node_items["max_pooling2d"].shape_text == "(None, 2, 2, 16)"


def test_an_out_of_range_value_is_refused_with_the_engines_message(ready_window):
    window = ready_window
    stack = window.document.undo_stack
    editors = select(window, "dropout")

    type_into(editors["rate"].line, "1.5")

    assert window.document.graph.nodes["dropout"].params["rate"] == 0.3
    assert stack.count() == 0
    assert window.inspector.message.isVisibleTo(window.inspector)
    assert "Dropout.rate must be at most 1.0" in window.inspector.message.text()
    assert editors["rate"].line.text() == "0.3"  # the field shows the value the graph kept


def test_text_that_does_not_parse_is_refused(ready_window):
    window = ready_window
    editors = select(window, "conv2d_1")
    type_into(editors["kernel_size"].line, "3, x")
    assert window.document.graph.nodes["conv2d_1"].params["kernel_size"] == [3, 3]
    assert "'x' is not a whole number" in window.inspector.message.text()
    assert editors["kernel_size"].line.text() == "3, 3"


def test_choosing_default_unsets_a_nullable_parameter(ready_window, qtbot):
    window = ready_window
    editors = select(window, "digit")
    box = editors["activation"].box
    assert box.currentText() == "softmax"
    with qtbot.waitSignal(window.document.shapes.reportChanged, timeout=5000):
        box.activated.emit(0)  # what a click on "(default)" in the list emits
    assert "activation" not in window.document.graph.nodes["digit"].params
    window.undo_action.trigger()
    assert window.document.graph.nodes["digit"].params["activation"] == "softmax"
    assert box.currentText() == "softmax"


def test_reset_button_restores_the_keras_default(ready_window):
    window = ready_window
    editors = select(window, "conv2d_1")
    reset = window.inspector.reset_buttons["padding"]
    assert reset.isVisibleTo(window.inspector)
    reset.click()
    assert "padding" not in window.document.graph.nodes["conv2d_1"].params
    assert editors["padding"].box.currentText() == "valid"  # Keras's default is shown
    assert not reset.isVisibleTo(window.inspector)


def test_with_nothing_selected_the_inspector_summarises_the_project(ready_window):
    window = ready_window
    window.scene.clearSelection()
    assert window.inspector.node_id is None
    assert "Total parameters: 9,930" in window.inspector.status.text()
    assert "The graph is valid." in window.inspector.status.text()


def test_project_summary_names_the_test_split_and_an_optimizer_config(ready_window):
    window = ready_window
    project = window.document.project
    project.dataset.test_split = 0.1
    project.training.optimizer = {"class_name": "SGD", "config": {"momentum": 0.9}}
    window.scene.clearSelection()
    window.inspector.show_project()
    text = window.inspector.status.text()
    assert "digits (20% for validation, 10% for test)" in text and "SGD (learning rate" in text


def test_renaming_from_the_name_field_renames_the_node_and_undo_brings_the_old_name_back(ready_window):
    window = ready_window
    graph = window.document.graph
    select(window, "conv2d_1")
    inspector = window.inspector
    assert inspector.name_edit.text() == "conv2d_1"

    type_into(inspector.name_edit, "features")

    assert "features" in graph.nodes and "conv2d_1" not in graph.nodes
    assert inspector.node_id == "features" and inspector.name_edit.text() == "features"
    assert inspector.editors["filters"].box.value() == 16  # still the node's form
    window.undo_action.trigger()
    assert "conv2d_1" in graph.nodes and "features" not in graph.nodes
    assert inspector.node_id == "conv2d_1" and inspector.name_edit.text() == "conv2d_1"


def test_a_name_that_is_taken_or_not_a_python_name_is_refused_and_the_field_restored(ready_window):
    window = ready_window
    select(window, "conv2d_1")
    inspector = window.inspector
    for bad, words in (("conv2d_2", "already exists"), ("2nd conv", "conv2d_1")):
        type_into(inspector.name_edit, bad)
        assert inspector.message.isVisibleTo(inspector) and words in inspector.message.text()
        assert inspector.name_edit.text() == "conv2d_1"
    assert "conv2d_1" in window.document.graph.nodes
    assert window.document.undo_stack.count() == 0


def test_a_value_keras_takes_beyond_the_kind_shows_as_json_and_a_dtype_policy_is_a_choice(ready_window, qtbot):
    """Keras is the judge: RandomRotation's factor is usually a number, but Keras takes a [low, high] range; the
    inspector then shows it as JSON, swaps back to the number editor for a number, and refuses what Keras refuses
    with Keras's reason."""
    from PySide6.QtCore import QPointF

    from ui.panels.param_editors import JsonEditor

    window = ready_window
    node_id = window.scene.add_block("RandomRotation", QPointF(0, 600))
    editors = select(window, node_id)
    assert isinstance(editors["factor"], FloatEditor)
    type_into(editors["factor"].line, "[-0.1, 0.2]")
    assert window.document.graph.nodes[node_id].params["factor"] == [-0.1, 0.2]
    editors = window.inspector.editors
    assert isinstance(editors["factor"], JsonEditor)
    assert editors["factor"].line.text() == "[-0.1, 0.2]"
    type_into(editors["factor"].line, "[0.3, 0.1, 5]")  # Keras: a factor range has two numbers
    assert window.document.graph.nodes[node_id].params["factor"] == [-0.1, 0.2]
    assert "Keras says:" in window.inspector.message.text()
    type_into(editors["factor"].line, "0.25")
    assert window.document.graph.nodes[node_id].params["factor"] == 0.25
    assert isinstance(window.inspector.editors["factor"], FloatEditor)
    window.undo_action.trigger()  # successive edits of one field are one undo step (SetParamCommand merges)
    assert window.document.graph.nodes[node_id].params["factor"] == 0.1

    editors = select(window, "conv2d_1")
    dtype = editors["dtype"]
    assert isinstance(dtype, ChoiceEditor) and dtype.box.currentText() == "(default)"
    dtype.box.setCurrentIndex(dtype.box.findText("mixed_float16"))
    dtype.box.activated.emit(dtype.box.currentIndex())
    assert window.document.graph.nodes["conv2d_1"].params["dtype"] == "mixed_float16"
