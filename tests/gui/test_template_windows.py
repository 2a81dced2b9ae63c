"""The templates whose data is not one array with one label open in the window and work there: the data panel
shows them with no mismatch and a preview, and the window trains them (several inputs and outputs, per-pixel masks,
an output without a loss)."""
from __future__ import annotations

import pytest
from PySide6.QtWidgets import QTableWidget

from tests.gui.test_data_panel import LOAD_TIMEOUT_MS, TRAIN_TIMEOUT_MS, loaded


def open_template(window, qtbot, name: str):
    assert window.file_actions.new_from_template(name)
    return loaded(window, qtbot)


# (template, train it from the window too): the small sets train; every template trains in `make test-templates`
CASES = [("digits_two_heads", True), ("digits_dense_autoencoder", True), ("digits_vae", True), ("shapes_unet", False),
         ("text_transformer", False)]


@pytest.mark.parametrize("name, train", CASES, ids=[name for name, _ in CASES])
def test_template_shows_its_data_without_mismatch_and_trains_from_the_window(ready_window, qtbot, name, train):
    window = ready_window
    panel = open_template(window, qtbot, name)
    qtbot.waitUntil(lambda: window.document.project.name == name and not panel.loading, timeout=LOAD_TIMEOUT_MS)
    panel = loaded(window, qtbot)
    assert panel.load_error is None, panel.load_error
    assert panel.summary.info.name == window.document.project.dataset.name
    assert panel.mismatches == {}, panel.mismatches
    grid = panel.preview_grid
    if grid.kind in ("image", "signal"):
        assert grid.tiles() and not grid.tiles()[0].pixmap().isNull()
    else:
        table = grid.findChild(QTableWidget)
        assert grid.kind == "table" and table.rowCount() == len(grid.labels) > 0
        assert table.item(0, 0).text() == grid.labels[0]
    if isinstance(panel.summary.preview.x, dict):  # named inputs: the first one's samples, said so
        assert grid.shown_input == next(iter(panel.summary.preview.x))
    if not train:
        return
    with qtbot.waitSignal(window.training.finished, timeout=TRAIN_TIMEOUT_MS) as finished:
        window.training_actions.train(1)
    assert finished.args[0].epochs_run == 1


def test_a_backbone_whose_imagenet_file_is_missing_says_so_on_its_block(ready_window, qtbot, tmp_path, monkeypatch):
    from builder.model import weights_files

    (tmp_path / "keras").mkdir()  # Keras takes $KERAS_HOME only when it exists and is writable (else /tmp/.keras)
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))  # Keras's cache folder, empty
    window = ready_window
    assert window.file_actions.new_from_template("shapes_transfer_mobilenetv2")
    loaded(window, qtbot)
    (wanted,) = weights_files(window.document.graph)
    assert wanted.folder == tmp_path / "keras" / "models"
    item = window.scene.node_items[wanted.node_id]
    qtbot.waitUntil(lambda: item.notes != [], timeout=LOAD_TIMEOUT_MS)
    assert wanted.file_name in item.toolTip() and "ⓘ" in item.toolTip() and str(wanted.folder) in item.toolTip()
    wanted.path.parent.mkdir(parents=True)
    wanted.path.write_bytes(b"")  # the file is there now (what it holds is checked when training loads it)
    window.document.shapes.run_now()
    qtbot.waitUntil(lambda: item.notes == [], timeout=LOAD_TIMEOUT_MS)
    assert "ⓘ" not in item.toolTip()
