"""The settings panel's recipe editor: supervised or a recipe of the engine, that recipe's settings as fields (node
settings chosen from the graph's nodes), one undo step per change, the engine's problems beside the field."""
from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QLineEdit

from builder.project import TrainingConfig
from builder.training.recipes import RECIPES
from recipe_projects import VAE, vae_project
from ui.document import Document
from ui.document.commands import AddNodeCommand
from ui.panels.settings_panel import SettingsPanel

NODES = ["image", "rescaling", "flatten", "dense_1", "z_mean", "z_log_var", "latent", "dense_2", "pixels",
         "reconstruction"]


@pytest.fixture
def panel(qtbot):
    """The settings panel on a VAE project whose recipe is supervised for now; yields (panel, document)."""
    project = vae_project()
    project.training.recipe = None
    document = Document(project)
    widget = SettingsPanel()
    qtbot.addWidget(widget)
    widget.set_document(document)
    widget.show()
    yield widget, document
    document.close()


def choose(combo: QComboBox, text: str) -> None:
    """Pick an entry as the user does: the combo's activated signal follows the choice."""
    index = combo.findText(text)
    assert index >= 0, (text, [combo.itemText(i) for i in range(combo.count())])
    combo.setCurrentIndex(index)
    combo.activated.emit(index)


def type_into(qtbot, edit: QLineEdit, text: str) -> None:
    edit.setFocus()
    edit.selectAll()
    qtbot.keyClicks(edit, text)


def items(combo: QComboBox) -> list[str]:
    return [combo.itemText(i) for i in range(combo.count())]


def test_choosing_vae_shows_its_settings_with_the_graphs_nodes(panel):
    widget, document = panel
    editor = widget.rows["recipe"].editor
    assert items(editor.combo) == list(RECIPES) and items(editor.combo)[0] == "supervised"
    assert editor.combo.currentText() == "supervised" and not editor.fields
    assert editor.read() == (None, None)  # the project's null stays null

    choose(editor.combo, "vae")

    assert document.project.training.recipe == {"name": "vae"}
    assert document.undo_stack.count() == 1
    assert list(editor.fields) == [s.name for s in RECIPES["vae"].settings]
    mean = editor.fields["mean"]
    assert items(mean.widget) == NODES and mean.widget.currentIndex() == -1  # required: nothing chosen yet
    assert items(editor.fields["target"].widget) == ["(none)"] + NODES  # may be empty (its default is "")
    assert items(editor.fields["reconstruction_loss"].widget) == ["squared_error", "binary_crossentropy"]
    kl = editor.fields["kl_weight"].widget
    assert isinstance(kl, QLineEdit) and kl.placeholderText() == "1.0"
    assert kl.toolTip() == "how much the KL term counts"
    assert "needs it" in mean.error.text() and not mean.error.isHidden()  # beside the field, until chosen
    assert editor.fields["kl_weight"].error.isHidden()


def test_each_choice_is_one_undo_step_and_undo_restores_the_recipe(panel, qtbot):
    widget, document = panel
    editor = widget.rows["recipe"].editor
    choose(editor.combo, "vae")
    for key in ("mean", "log_var", "decoder_input", "output", "target"):
        choose(editor.fields[key].widget, VAE[key])
    choose(editor.fields["reconstruction_loss"].widget, "binary_crossentropy")
    type_into(qtbot, editor.fields["kl_warmup_epochs"].widget, "12")  # two keystrokes, one step
    expected = {**VAE, "kl_warmup_epochs": 12}
    assert document.project.training.recipe == expected
    assert document.undo_stack.count() == 1 + 5 + 1 + 1
    assert all(f.error.isHidden() for f in editor.fields.values())

    document.undo_stack.undo()
    assert document.project.training.recipe == {k: v for k, v in expected.items() if k != "kl_warmup_epochs"}
    assert editor.fields["kl_warmup_epochs"].widget.text() == ""
    document.undo_stack.undo()
    assert editor.fields["reconstruction_loss"].widget.currentText() == "squared_error"

    choose(editor.combo, "supervised")
    assert document.project.training.recipe == TrainingConfig().recipe == {"name": "supervised"}  # a new project's
    assert not editor.fields
    document.undo_stack.undo()
    assert document.project.training.recipe["output"] == "reconstruction"
    assert editor.combo.currentText() == "vae" and editor.fields["output"].widget.currentText() == "reconstruction"


def test_a_refused_number_is_marked_beside_its_field_and_not_written(panel, qtbot):
    widget, document = panel
    editor = widget.rows["recipe"].editor
    choose(editor.combo, "vae")
    type_into(qtbot, editor.fields["kl_weight"].widget, "-2")
    assert "kl_weight" not in document.project.training.recipe
    field = editor.fields["kl_weight"]
    assert not field.error.isHidden() and "at least 0" in field.error.text()
    assert field.widget.property("invalid") is True
    qtbot.keyClick(field.widget, Qt.Key.Key_Home)
    qtbot.keyClick(field.widget, Qt.Key.Key_Delete)  # "2"
    assert document.project.training.recipe["kl_weight"] == 2 and field.error.isHidden()


def test_node_fields_follow_the_graph(panel, qtbot):
    widget, document = panel
    editor = widget.rows["recipe"].editor
    choose(editor.combo, "autoencoder")
    choose(editor.fields["bottleneck"].widget, "dense_1")
    document.push(AddNodeCommand(document.graph, "Dense", {"units": 4}, (0.0, 900.0), node_id="code"))
    qtbot.waitUntil(lambda: "code" in items(editor.fields["bottleneck"].widget), timeout=2000)
    assert editor.fields["bottleneck"].widget.currentText() == "dense_1"  # the choice stays
    assert document.project.training.recipe == {"name": "autoencoder", "bottleneck": "dense_1"}
