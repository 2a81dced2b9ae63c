"""The data panel: every kind of dataset chosen in the panel, undoable and saved settings, the summary, and Fix."""
from __future__ import annotations

import h5py
import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from builder.project import load_project
from ui.document.commands import SetParamCommand
from ui.document.project_commands import SetProjectSettingsCommand

LOAD_TIMEOUT_MS = 60_000
TRAIN_TIMEOUT_MS = 180_000


def loaded(window, qtbot):
    """Wait until the panel has loaded the project's current dataset settings and checked the model."""
    panel = window.data_panel
    qtbot.waitUntil(lambda: not panel.loading and (panel.summary is not None or panel.load_error is not None)
                    and window.document.shapes.report is not None, timeout=LOAD_TIMEOUT_MS)
    qtbot.wait(10)  # the checks follow the report
    return panel


def choose_in_list(panel, name: str) -> None:
    """Pick a dataset as the user does: the list's entry, activated."""
    index = panel.dataset_box.findData(name)
    assert index >= 0, name
    panel.dataset_box.setCurrentIndex(index)
    panel.dataset_box.activated.emit(index)


def saved_window(window, tmp_path):
    """Save the open project into tmp_path (a data file is stored relative to the project's folder)."""
    assert window.file_actions.save_as(tmp_path / "project.json")
    return tmp_path / "project.json"


def mismatch_nodes(panel) -> list:
    return [fix.mismatch.node_id for fix in panel.fixes]


def fix_and_train_one_epoch(window, qtbot) -> None:
    """Apply every Fix the panel proposes, then train one epoch from the window on the chosen data."""
    panel = window.data_panel
    for fix in list(panel.fixes):
        panel.apply_fix(fix)
    window.document.shapes.run_now()
    qtbot.waitUntil(lambda: panel.mismatches == {} and not panel.loading, timeout=LOAD_TIMEOUT_MS)
    with qtbot.waitSignal(window.training.finished, timeout=TRAIN_TIMEOUT_MS) as finished:
        window.training_actions.train(1)
    assert finished.args[0].epochs_run == 1


def close_cleanly(window, qtbot):
    qtbot.waitUntil(lambda: not window.data_panel.loading, timeout=LOAD_TIMEOUT_MS)


# ---- built-in sets, split, undo, save and reopen ----------------------------------------------------------------

def test_builtin_dataset_summary_split_undo_save_and_reopen(ready_window, qtbot, tmp_path):
    window = ready_window
    panel = loaded(window, qtbot)
    assert panel.summary.info.name == "digits" and panel.fixes == []
    assert "1,437</b> train" in panel.sizes_label.text() and "(8, 8, 1)" in panel.sizes_label.text()
    assert panel.class_chart.names == [str(d) for d in range(10)]
    assert sum(panel.class_chart.counts["train"]) == 1437 and sum(panel.class_chart.counts["validation"]) == 360
    assert panel.preview_grid.kind == "image" and len(panel.preview_grid.tiles()) == 12
    assert "fits the dataset" in panel.checks_label.text()

    choose_in_list(panel, "iris")
    assert window.document.project.dataset.name == "iris"
    assert isinstance(window.document.undo_stack.command(window.document.undo_stack.index() - 1),
                      SetProjectSettingsCommand)
    panel = loaded(window, qtbot)
    assert panel.summary.info.name == "iris" and panel.summary.info.train_size == 120
    assert panel.class_chart.counts["train"] == [40, 40, 40]
    assert panel.preview_grid.kind == "table" and panel.preview_grid.labels[0] in ("setosa", "versicolor", "virginica")
    # digits_cnn does not fit iris: the Input's shape and the output's units, each with its Fix
    assert mismatch_nodes(panel) == ["image", "digit"] and len(panel.fix_buttons()) == 2
    assert window.data_panel.fix_all_button.isVisibleTo(panel)

    panel.validation_box.setValue(0.3)  # the user types a split
    assert window.document.project.dataset.validation_split == pytest.approx(0.3)
    panel = loaded(window, qtbot)
    assert panel.summary.info.validation_size == 45
    window.document.undo_stack.undo()
    assert window.document.project.dataset.validation_split == pytest.approx(0.2)
    assert panel.validation_box.value() == pytest.approx(0.2)  # the panel follows undo
    panel.seed_box.setValue(7)
    panel.test_box.setValue(0.1)
    panel = loaded(window, qtbot)
    assert panel.summary.info.test_size == 15 and sum(panel.class_chart.counts["test"]) == 15

    path = saved_window(window, tmp_path)
    saved = load_project(path).dataset
    assert (saved.name, saved.seed, saved.test_split) == ("iris", 7, pytest.approx(0.1))
    window.document.undo_stack.setClean()
    assert window.file_actions.open_file(path)
    panel = loaded(window, qtbot)
    assert panel.dataset_box.currentData() == "iris" and panel.seed_box.value() == 7
    assert panel.test_box.value() == pytest.approx(0.1) and panel.summary.info.test_size == 15
    window.document.undo_stack.setClean()
    close_cleanly(window, qtbot)


def test_generated_signal_set_shows_small_plots_and_a_target_histogram(ready_window, qtbot):
    window = ready_window
    panel = loaded(window, qtbot)
    choose_in_list(panel, "sine")
    panel = loaded(window, qtbot)
    assert panel.summary.info.output == "regression" and panel.preview_grid.kind == "signal"
    assert len(panel.preview_grid.tiles()) == 12 and not panel.preview_grid.tiles()[0].pixmap().isNull()
    assert sum(panel.class_chart.counts["train"]) == panel.summary.info.train_size  # the histogram
    fixes = {(c.node_id, c.param) for f in panel.fixes for c in f.params}
    assert {("image", "shape"), ("digit", "units"), ("digit", "activation")} <= fixes  # the settings panel may
    # already have made the loss a regression loss (it follows the dataset's kind); else the loss has its Fix too
    assert all(f.training in ({}, {"loss": "mean_squared_error"}) for f in panel.fixes)
    window.document.undo_stack.setClean()
    close_cleanly(window, qtbot)


def test_an_online_set_says_what_it_downloads_and_the_engines_message_when_offline(ready_window, qtbot):
    from builder.data import cache_paths

    window = ready_window
    panel = loaded(window, qtbot)
    choose_in_list(panel, "mnist")
    cached = all(p.exists() for p in cache_paths("mnist"))
    assert ("Downloaded" if cached else "11 MB") in panel.description.text()
    panel = loaded(window, qtbot)
    if panel.summary is None:  # no internet here: the engine's message says where to put the file by hand
        assert "needs a one-time download" in panel.status_label.text()
        assert str(cache_paths("mnist")[0]) in panel.status_label.text()
        assert "did not load" in panel.checks_label.text()
    else:
        assert panel.summary.info.input_shape == (28, 28, 1)
    window.document.undo_stack.setClean()
    close_cleanly(window, qtbot)


# ---- user files ----------------------------------------------------------------------------------------------------

CSV = "size,colour,weight,label\n" + "".join(
    f"{i * 0.5},{['red', 'blue', 'green'][i % 3]},{10 + i},{['cat', 'dog'][i % 2]}\n" for i in range(24))


def test_csv_file_with_target_and_feature_columns_chosen_in_the_panel(ready_window, qtbot, tmp_path):
    window = ready_window
    saved_window(window, tmp_path)
    (tmp_path / "pets.csv").write_text(CSV)
    panel = loaded(window, qtbot)
    assert panel.open_file("csv", tmp_path / "pets.csv")
    ref = window.document.project.dataset
    assert (ref.name, ref.path, ref.options) == ("csv", "pets.csv", {})
    panel = loaded(window, qtbot)
    assert panel.summary.info.class_names == ["cat", "dog"] and panel.summary.info.input_shape == (5,)
    assert panel.preview_grid.kind == "table"
    form = panel.options_form
    columns = [form.target_box.itemText(i) for i in range(form.target_box.count())]
    assert columns == ["size", "colour", "weight", "label"]
    assert form.target_box.currentText() == "label"

    form.target_box.setCurrentIndex(form.target_box.findData("colour"))  # predict the colour instead
    assert window.document.project.dataset.options == {"target": "colour"}
    panel = loaded(window, qtbot)
    assert panel.summary.info.class_names == ["blue", "green", "red"]
    feature_items = [form.features_list.item(i) for i in range(form.features_list.count())]
    assert [i.text() for i in feature_items] == ["size", "weight", "label"]
    feature_items[2].setCheckState(Qt.CheckState.Unchecked)  # leave out 'label'
    assert window.document.project.dataset.options == {"target": "colour", "features": ["size", "weight"]}
    panel = loaded(window, qtbot)
    assert panel.summary.info.input_shape == (2,)
    window.document.undo_stack.undo()
    assert window.document.project.dataset.options == {"target": "colour"}
    window.document.undo_stack.setClean()
    close_cleanly(window, qtbot)


def test_image_folder(ready_window, qtbot, tmp_path):
    import keras

    window = ready_window
    saved_window(window, tmp_path)
    for c, name in enumerate(["cats", "dogs"]):
        (tmp_path / "pictures" / name).mkdir(parents=True)
        for i in range(5):
            keras.utils.save_img(tmp_path / "pictures" / name / f"{i}.png",
                                 np.full((10, 12, 3), 60 * c + 10 * i, "uint8"), scale=False)
    panel = loaded(window, qtbot)
    assert panel.open_file("image_folder", tmp_path / "pictures")
    panel = loaded(window, qtbot)
    assert panel.summary.info.input_shape == (64, 64, 3) and panel.summary.info.class_names == ["cats", "dogs"]
    assert panel.preview_grid.kind == "image"
    panel.options_form.height_box.setValue(8)
    panel.options_form.width_box.setValue(8)
    panel = loaded(window, qtbot)
    assert window.document.project.dataset.options == {"image_size": [8, 8]}
    assert panel.summary.info.input_shape == (8, 8, 3)
    # digits_cnn reads (8, 8, 1): the Input's shape is one Fix away
    assert ("image", "shape") in {(c.node_id, c.param) for f in panel.fixes for c in f.params}
    fix_and_train_one_epoch(window, qtbot)
    window.document.undo_stack.setClean()
    close_cleanly(window, qtbot)


def test_hdf5_file_with_its_arrays_picked_in_the_panel(ready_window, qtbot, tmp_path):
    window = ready_window
    saved_window(window, tmp_path)
    rng = np.random.default_rng(0)
    with h5py.File(tmp_path / "signals.h5", "w") as f:
        f["inputs"] = rng.normal(size=(30, 8, 8, 1)).astype("float32")
        f["other"] = rng.normal(size=(30, 4)).astype("float32")
        f["labels"] = np.arange(30) % 3
    panel = loaded(window, qtbot)
    assert panel.open_file("hdf5", tmp_path / "signals.h5")
    assert window.document.project.dataset.options == {"x": "inputs", "y": "labels"}  # guessed: no x and y here
    panel = loaded(window, qtbot)
    assert panel.load_error is None, panel.load_error
    assert panel.summary.info.input_shape == (8, 8, 1) and panel.summary.info.num_classes == 3
    fix_and_train_one_epoch(window, qtbot)  # 3 classes: the output's units are one Fix away
    form = panel.options_form
    assert [form.x_box.itemData(i) for i in range(form.x_box.count())] == ["inputs", "labels", "other"]
    form.x_box.setCurrentIndex(form.x_box.findData("other"))
    assert window.document.project.dataset.options == {"x": "other", "y": "labels"}
    panel = loaded(window, qtbot)
    assert panel.summary.info.input_shape == (4,) and panel.preview_grid.kind == "table"
    window.document.undo_stack.setClean()
    close_cleanly(window, qtbot)


def test_npz_file_fix_the_output_then_train_one_epoch(ready_window, qtbot, tmp_path):
    window = ready_window
    saved_window(window, tmp_path)
    rng = np.random.default_rng(1)
    y = np.arange(60) % 3
    x = (rng.random((60, 8, 8, 1)) * 4 + y[:, None, None, None] * 4).astype("float32")
    np.savez(tmp_path / "blobs.npz", images=x, labels=y)
    panel = loaded(window, qtbot)
    assert panel.open_file("npz", tmp_path / "blobs.npz")
    panel = loaded(window, qtbot)
    assert panel.summary.info.num_classes == 3 and panel.summary.info.train_size == 48
    (fix,) = panel.fixes
    assert fix.mismatch.node_id == "digit" and "set units to 3" in fix.mismatch.message
    assert window.document.graph.nodes["digit"].params["units"] == 10

    steps = window.document.undo_stack.count()
    QTest.mouseClick(panel.fix_buttons()[0], Qt.MouseButton.LeftButton)
    assert window.document.graph.nodes["digit"].params["units"] == 3
    assert window.document.undo_stack.count() == steps + 1
    qtbot.waitUntil(lambda: panel.fixes == [] and "fits the dataset" in panel.checks_label.text(),
                    timeout=LOAD_TIMEOUT_MS)
    window.document.undo_stack.undo()
    assert window.document.graph.nodes["digit"].params["units"] == 10
    window.document.undo_stack.redo()
    window.document.shapes.run_now()
    assert window.document.graph.nodes["digit"].params["units"] == 3

    with qtbot.waitSignal(window.training.finished, timeout=TRAIN_TIMEOUT_MS) as finished:
        window.training_actions.train(1)
    assert finished.args[0].epochs_run == 1 and not finished.args[0].stopped
    window.document.undo_stack.setClean()
    close_cleanly(window, qtbot)


# ---- Fix ------------------------------------------------------------------------------------------------------------

def test_fix_an_input_shape_and_fix_all_are_each_one_undo_step(ready_window, qtbot):
    window = ready_window
    document = window.document
    panel = loaded(window, qtbot)
    document.push(SetParamCommand(document.graph, "image", "shape", [16, 16, 1]))
    qtbot.waitUntil(lambda: mismatch_nodes(panel) == ["image"], timeout=LOAD_TIMEOUT_MS)
    assert "(16, 16, 1)" in panel.fixes[0].mismatch.message
    assert panel.mismatches == {"image": [panel.fixes[0].mismatch.message]}  # for the canvas to flag the block
    image = window.scene.node_items["image"]
    assert image.dataset_problems == panel.mismatches["image"]  # the block is marked, the reason in its tooltip
    assert "⚠ dataset: " + panel.mismatches["image"][0] in image.toolTip()
    assert "dataset mismatch" in window.model_summary.full_text()

    with qtbot.waitSignal(panel.mismatchesChanged, timeout=LOAD_TIMEOUT_MS) as problems:
        panel.fix_buttons()[0].click()
        document.shapes.run_now()
    assert problems.args[0] == {}
    assert document.graph.nodes["image"].params["shape"] == [8, 8, 1]
    assert image.dataset_problems == [] and "dataset" not in image.toolTip()
    qtbot.waitUntil(lambda: panel.fixes == [], timeout=LOAD_TIMEOUT_MS)
    document.undo_stack.undo()
    assert document.graph.nodes["image"].params["shape"] == [16, 16, 1]
    document.undo_stack.redo()

    # two block changes and the loss: Fix all is one undo step for all three
    document.push(SetParamCommand(document.graph, "digit", "units", 4))
    document.push(SetParamCommand(document.graph, "digit", "activation", "sigmoid"))
    document.set_settings("training", loss="binary_crossentropy")
    document.shapes.run_now()
    qtbot.waitUntil(lambda: len(panel.fixes) == 3, timeout=LOAD_TIMEOUT_MS)
    steps = document.undo_stack.count()
    panel.fix_all_button.click()
    node = document.graph.nodes["digit"]
    assert (node.params["units"], node.params["activation"]) == (10, "softmax")
    assert document.project.training.loss == "sparse_categorical_crossentropy"
    assert document.undo_stack.count() == steps + 1
    document.undo_stack.undo()
    assert (node.params["units"], node.params["activation"]) == (4, "sigmoid")
    assert document.project.training.loss == "binary_crossentropy"
    document.undo_stack.setClean()
    close_cleanly(window, qtbot)


# ---- files the project cannot read ------------------------------------------------------------------------------

def test_a_file_outside_the_project_folder_or_an_unsaved_project_is_refused_with_the_way_out(
        ready_window, qtbot, tmp_path):
    window = ready_window
    panel = loaded(window, qtbot)
    (tmp_path / "data.npz").write_bytes(b"")
    assert not panel.open_file("npz", tmp_path / "data.npz")
    assert "Save the project first" in panel.status_label.text()
    assert window.document.project.dataset.name == "digits"

    (tmp_path / "project").mkdir()
    assert window.file_actions.save_as(tmp_path / "project" / "p.json")
    assert not panel.open_file("npz", tmp_path / "data.npz")
    text = panel.status_label.text()
    assert "outside the project's folder" in text and "Copy the .npz file into" in text
    assert window.document.project.dataset.name == "digits" and panel.dataset_box.currentData() == "digits"
    close_cleanly(window, qtbot)


def test_closing_the_window_while_a_dataset_loads_ends_the_load_first(ready_window, qtbot, no_thread_left):
    window = ready_window
    panel = loaded(window, qtbot)
    choose_in_list(panel, "shapes")  # 5,000 generated images: a load that takes a moment
    qtbot.waitUntil(lambda: panel.load_running, timeout=LOAD_TIMEOUT_MS)
    window.document.undo_stack.setClean()
    window.close()  # the fixture's guard fails the test if the load's thread outlives this
    assert "dataset-load" in no_thread_left
