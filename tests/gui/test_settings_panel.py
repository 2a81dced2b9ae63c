"""The training-settings panel: a field for every TrainingConfig setting, built from the engine's schema; typing
checks with the engine and pushes one undoable command per field; undo/redo/save/reopen show the project's
values; refused values are marked and never pushed; loss and metrics follow the dataset's output kind."""
from __future__ import annotations

import json
from dataclasses import fields

from PySide6.QtCore import Qt

from builder.cli import main
from builder.project import TrainingConfig
from ui.document import Document
from ui.document.commands import AddNodeCommand


def type_into(qtbot, edit, text: str) -> None:
    """Replace a line's text keystroke by keystroke, as a user does."""
    edit.setFocus()
    edit.selectAll()
    if text:
        qtbot.keyClicks(edit, text)
    else:
        qtbot.keyClick(edit, Qt.Key.Key_Delete)


def choose(combo, text: str) -> None:
    index = combo.findText(text)
    assert index >= 0, text
    combo.setCurrentIndex(index)
    combo.activated.emit(index)


def training(window):
    return window.document.project.training


def test_every_training_setting_has_a_field_showing_the_projects_value(window):
    """Fails when a field is added to TrainingConfig without a schema entry and so without a field."""
    panel = window.settings_panel
    assert sorted(panel.rows) == sorted(f.name for f in fields(TrainingConfig))
    config = training(window)
    for name, row in panel.rows.items():
        assert row.editor.read() == (getattr(config, name), None), name
        assert row.entry.help in row.help.text()


def test_the_form_shows_every_kind_of_value_as_the_project_holds_it(window):
    rich = dict(optimizer={"class_name": "SGD", "config": {"momentum": 0.9, "nesterov": True}},
                learning_rate=0.05, schedule={"name": "one_cycle", "pct_start": 0.25}, weight_decay=0.0001,
                clipnorm=1.0, clipvalue=None, loss="huber", label_smoothing=0.1, metrics=["mae", "mse"],
                epochs=3, batch_size=64, seed=7, class_weight={"0": 1.0, "1": 5.0}, monitor="val_mae",
                early_stopping={"patience": 3, "restore_best_weights": False, "min_delta": 0.01},
                augmentation={"RandomFlip": {"mode": "horizontal"}, "MixUp": {"alpha": 0.2}},
                mixed_precision=True, jit_compile=False, steps_per_execution=4, tensorboard=False,
                strategy="mirrored", loss_weights={"digit": 0.5})
    window.document.set_settings("training", **rich)
    for name, row in window.settings_panel.rows.items():
        assert row.editor.read() == (getattr(training(window), name), None), name
    choose(window.settings_panel.rows["schedule"].editor.combo, "one_cycle")  # the same again: its settings stay
    assert window.settings_panel.rows["schedule"].editor.read() == (rich["schedule"], None)
    assert window.document.undo_stack.count() == 1
    window.document.undo_stack.undo()
    for name, row in window.settings_panel.rows.items():
        assert row.editor.read() == (getattr(training(window), name), None), name
    assert window.document.undo_stack.count() == 1  # following undo pushed nothing


def test_change_undo_redo_save_and_reopen(window, qtbot, tmp_path):
    panel, stack = window.settings_panel, window.document.undo_stack
    type_into(qtbot, panel.rows["learning_rate"].editor.edit, "0.05")  # "0", "0.", "0.0" are refused on the way
    assert training(window).learning_rate == 0.05 and stack.count() == 1
    type_into(qtbot, panel.rows["epochs"].editor.edit, "25")
    assert training(window).epochs == 25 and stack.count() == 2  # "2" then "25": one undo step
    panel.sections["Distribution"].set_open(True)
    choose(panel.rows["strategy"].editor.combo, "mirrored")
    panel.sections["Callbacks"].set_open(True)
    panel.rows["early_stopping"].editor.on.click()
    assert training(window).strategy == "mirrored"
    assert training(window).early_stopping == {"patience": 5, "restore_best_weights": True}
    assert stack.count() == 4

    stack.undo()
    assert training(window).early_stopping is None and not panel.rows["early_stopping"].editor.on.isChecked()
    stack.undo()
    assert panel.rows["strategy"].editor.combo.currentText() == "auto"
    stack.undo()
    assert panel.rows["epochs"].editor.edit.text() == "15" and training(window).epochs == 15
    stack.undo()
    assert panel.rows["learning_rate"].editor.edit.text() == "0.003"
    for _ in range(4):
        stack.redo()
    assert stack.count() == 4  # following undo and redo pushed nothing
    assert panel.rows["learning_rate"].editor.edit.text() == "0.05"
    assert panel.rows["epochs"].editor.edit.text() == "25"
    assert panel.rows["early_stopping"].editor.on.isChecked()

    path = tmp_path / "p.json"
    window.document.save(path)
    saved = json.loads(path.read_text())["training"]
    assert saved["learning_rate"] == 0.05 and saved["epochs"] == 25 and saved["strategy"] == "mirrored"
    window.set_document(Document.from_template("shapes_cnn"))
    assert panel.rows["epochs"].editor.edit.text() == "20"
    window.set_document(Document.from_file(path))
    panel = window.settings_panel
    assert panel.rows["learning_rate"].editor.edit.text() == "0.05"
    assert panel.rows["epochs"].editor.edit.text() == "25"
    assert panel.rows["strategy"].editor.combo.currentText() == "mirrored"
    assert panel.rows["early_stopping"].editor.on.isChecked()
    assert panel.rows["early_stopping"].editor.read() == ({"patience": 5, "restore_best_weights": True}, None)
    assert not window.document.dirty


def test_an_invalid_value_is_marked_with_the_engines_words_and_not_pushed(window, qtbot):
    panel, stack = window.settings_panel, window.document.undo_stack
    batch = panel.rows["batch_size"]
    type_into(qtbot, batch.editor.edit, "0")
    assert batch.problem == "training.batch_size: must be a whole number from 1 to 16,777,216; got 0"
    assert batch.editor.edit.property("invalid") is True
    assert stack.count() == 0 and training(window).batch_size == 32
    type_into(qtbot, batch.editor.edit, "64")
    assert batch.problem is None and batch.editor.edit.property("invalid") is False
    assert training(window).batch_size == 64 and stack.count() == 1

    rate = panel.rows["learning_rate"]
    type_into(qtbot, rate.editor.edit, "fast")
    assert rate.problem == 'training.learning_rate: must be a finite number above 0; got "fast"'
    optimizer = panel.rows["optimizer"]
    type_into(qtbot, optimizer.editor.config, '{"momentum": ')
    assert "The optimizer's settings is not JSON" in optimizer.problem
    type_into(qtbot, optimizer.editor.config, '{"momentum": 0.9}')
    assert optimizer.problem is None
    assert training(window).optimizer == {"class_name": "adam", "config": {"momentum": 0.9}}
    schedule = panel.rows["schedule"]
    choose(schedule.editor.combo, "cosine")
    assert training(window).schedule == {"name": "cosine"}
    type_into(qtbot, schedule.editor.subs.fields["alpha"][1], "3")
    assert schedule.problem.startswith("training.schedule.alpha: must be a finite number at least 0 and at most 1")
    assert training(window).schedule == {"name": "cosine"}
    assert stack.count() == 3

    type_into(qtbot, batch.editor.edit, "-5")  # refused; then undo the last change of batch_size's neighbour...
    stack.undo()  # the schedule: the refused batch size stays as typed
    assert batch.problem is not None and schedule.problem is None and training(window).schedule is None
    stack.undo()  # the optimizer
    stack.undo()  # the batch size: its field shows the project's value again
    assert batch.problem is None and batch.editor.edit.text() == "32"
    assert rate.problem is not None  # still as typed: nothing of it was pushed


def test_names_are_checked_once_keras_is_loaded(ready_window, qtbot):
    panel, stack = ready_window.settings_panel, ready_window.document.undo_stack
    loss = panel.rows["loss"]
    line = loss.editor.single.combo.lineEdit()
    type_into(qtbot, line, "nope")
    assert loss.problem.startswith("training.loss: Unknown loss 'nope'.")
    type_into(qtbot, line, "huber")
    assert loss.problem is None and training(ready_window).loss == "huber"

    augmentation = panel.rows["augmentation"].editor
    assert augmentation.add.isEnabled() and augmentation.add.findText("RandomFlip") > 0
    choose(augmentation.add, "RandomFlip")
    assert training(ready_window).augmentation == {"RandomFlip": {}}
    type_into(qtbot, augmentation.rows[0][1], '{"mode": "horizontal"}')
    assert training(ready_window).augmentation == {"RandomFlip": {"mode": "horizontal"}}
    type_into(qtbot, augmentation.rows[0][1], '["horizontal"]')
    assert "must be a JSON object" in panel.rows["augmentation"].problem
    assert training(ready_window).augmentation == {"RandomFlip": {"mode": "horizontal"}}
    count = stack.count()
    stack.undo()  # adding the layer and typing its arguments were one change of the setting: one undo step
    assert training(ready_window).augmentation == {}
    assert augmentation.read() == ({}, None) and panel.rows["augmentation"].problem is None
    stack.redo()
    assert augmentation.read() == ({"RandomFlip": {"mode": "horizontal"}}, None)
    assert stack.count() == count


def test_per_output_loss_and_loss_weights(ready_window, qtbot):
    panel, document = ready_window.settings_panel, ready_window.document
    loss = panel.rows["loss"].editor
    assert loss.per_output.isHidden()  # one output
    with qtbot.waitSignal(document.shapes.reportChanged, timeout=30_000):
        document.push(AddNodeCommand(document.graph, "Dense", {"units": 1}, (400.0, 400.0), node_id="aux"))
    assert not loss.per_output.isHidden() and loss.outputs == ["digit", "aux"]
    loss.per_output.click()
    assert training(ready_window).loss == {"digit": "sparse_categorical_crossentropy",
                                           "aux": "sparse_categorical_crossentropy"}
    type_into(qtbot, loss.editors["aux"].combo.lineEdit(), "mse")
    assert training(ready_window).loss == {"digit": "sparse_categorical_crossentropy", "aux": "mse"}
    weights = panel.rows["loss_weights"].editor
    assert list(weights.edits) == ["digit", "aux"]
    type_into(qtbot, weights.edits["aux"], "0.3")
    assert training(ready_window).loss_weights == {"aux": 0.3}
    type_into(qtbot, weights.edits["aux"], "")
    assert training(ready_window).loss_weights is None


def test_loss_and_metrics_follow_the_datasets_output_kind(window, qtbot):
    panel, document, stack = window.settings_panel, window.document, window.document.undo_stack
    document.set_settings("dataset", name="sine")  # as the data panel does
    qtbot.waitUntil(lambda: training(window).loss == "mse", timeout=5000)
    assert training(window).metrics == ["mae"] and stack.count() == 2
    assert stack.text(1) == "Loss and metrics for a regression dataset"
    assert panel.rows["loss"].editor.read() == ("mse", None)
    assert panel.rows["metrics"].editor.read() == (["mae"], None)

    stack.undo()
    stack.undo()  # back to digits: nothing to change (its defaults are back), nothing pushed while undoing
    qtbot.wait(50)
    assert training(window).loss == "sparse_categorical_crossentropy" and stack.count() == 2
    stack.redo()  # sine again, with the loss change still to redo: offered, not applied
    qtbot.waitUntil(lambda: not panel.proposal.isHidden(), timeout=5000)
    assert "use loss mse and metrics mae?" in panel.proposal_text.text() and stack.count() == 2
    stack.redo()
    assert panel.proposal.isHidden() and training(window).loss == "mse"

    type_into(qtbot, panel.rows["loss"].editor.single.combo.lineEdit(), "huber")  # the user's own choice
    document.set_settings("dataset", name="iris")
    qtbot.wait(50)
    assert training(window).loss == "huber" and training(window).metrics == ["mae"]


def test_a_file_datasets_kind_is_read_off_the_gui_thread(ready_window, qtbot, tmp_path, no_thread_left):
    document = ready_window.document
    document.save(tmp_path / "p.json")
    (tmp_path / "prices.csv").write_text("a,b,price\n" + "".join(f"{i},{i % 7},{i * 0.5 + 0.25}\n" for i in range(40)))
    document.set_settings("dataset", name="csv", path="prices.csv")
    qtbot.waitUntil(lambda: training(ready_window).loss == "mse", timeout=30_000)
    assert training(ready_window).metrics == ["mae"]
    assert "settings-dataset-kind" in no_thread_left


def test_the_cli_lists_what_the_panel_shows(window, capsys):
    assert main(["settings", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    panel = window.settings_panel
    assert [r["name"] for r in rows] == list(panel.rows)
    assert list(dict.fromkeys(r["group"] for r in rows)) == list(panel.sections)
    for row in rows:
        assert panel.rows[row["name"]].entry.group == row["group"]
        assert row["help"] in panel.rows[row["name"]].help.text()


def test_closing_the_window_waits_for_a_dataset_being_read(ready_window, tmp_path, no_thread_left):
    """The window closes (at the fixture's end) while the file is read: the guard finds no thread left running."""
    document = ready_window.document
    document.save(tmp_path / "p.json")
    (tmp_path / "big.csv").write_text("a,b,price\n" + "".join(f"{i},{i % 7},{i * 0.5}\n" for i in range(20_000)))
    document.set_settings("dataset", name="csv", path="big.csv")
    assert "settings-dataset-kind" in no_thread_left
