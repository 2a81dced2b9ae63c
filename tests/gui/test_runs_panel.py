"""The runs panel: runs trained in the window are listed again in a new window (as after a restart), their curves
overlay, Evaluate/Export/Resume hand over the run's folder, and an unsaved project's runs move when it is saved."""
from __future__ import annotations

import shutil

import pytest
from PySide6.QtCore import Qt

from tests.gui.conftest import ENGINE_TIMEOUT_MS, close_window

TRAIN_TIMEOUT_MS = 180_000
READ_TIMEOUT_MS = 30_000


def train_once(window, qtbot):
    """Train the window's project for one epoch with the window's own path; returns the TrainingResult."""
    with qtbot.waitSignal(window.training.finished, timeout=TRAIN_TIMEOUT_MS) as finished:
        window.training_actions.train(1)
    return finished.args[0]


def refreshed(panel, qtbot, refresh: bool = True):
    with qtbot.waitSignal(panel.refreshed, timeout=READ_TIMEOUT_MS):
        if refresh:
            panel.refresh()
    return panel.model.runs


def tick(panel, row: int, checked: bool = True) -> None:
    """Tick a row's box through the table's own model, as a click on it does."""
    index = panel.proxy.index(row, 0)
    state = Qt.CheckState.Checked if checked else Qt.CheckState.Unchecked
    assert panel.proxy.setData(index, state, Qt.ItemDataRole.CheckStateRole)


def legend_names(plot) -> list[str]:
    return [label.text for _, label in plot.getPlotItem().legend.items]


def opened_window(qtbot, path=None):
    """A main window (on the project file `path`, else the default template) shown, its engine started, once the
    runs panel has read the runs."""
    from ui.document import Document
    from ui.main_window import MainWindow

    window = MainWindow(Document.from_file(path) if path else None)
    window.show()
    qtbot.waitExposed(window)
    with qtbot.waitSignal(window.runs_panel.refreshed, timeout=ENGINE_TIMEOUT_MS):
        window.start_engine()
    return window


def closed(window) -> None:
    window.runs_panel.wait()  # the lead's MainWindow.shutdown() waits for it too
    close_window(window)


def test_runs_are_listed_after_a_restart_overlaid_and_handed_over(qtbot, tmp_path):
    path = tmp_path / "p.json"
    window = opened_window(qtbot)
    try:
        assert window.file_actions.save_as(path)
        first = train_once(window, qtbot)
        window.document.set_settings("training", learning_rate=0.01)
        second = train_once(window, qtbot)
        assert window.file_actions.save()
        assert first.run_dir.parent == second.run_dir.parent == tmp_path / "runs" / "p"
        assert len(refreshed(window.runs_panel, qtbot)) == 2
    finally:
        closed(window)

    again = opened_window(qtbot, path)
    try:
        panel = again.runs_panel
        runs = panel.model.runs
        assert [r.run_dir for r in runs] == [first.run_dir, second.run_dir]
        assert [r.state for r in runs] == ["finished", "finished"]
        assert runs[0].final_metrics["val_loss"] == pytest.approx(first.final_metrics["val_loss"])
        headers = panel.model.headers()
        assert {"Device", "Duration", "val_loss", "val_accuracy"} <= set(headers)

        # Newest first; the newest run is ticked at once, so its curves are there without a click.
        assert panel.proxy.index(0, 0).data() == second.run_dir.name
        device = panel.proxy.index(0, headers.index("Device")).data()
        assert device and device == runs[1].device
        differs = panel.proxy.index(1, headers.index(panel.model.DIFFERENCES)).data()
        assert differs == "learning_rate 0.003 (now 0.01)"  # the first run trained before the change
        assert list(panel.curves) == [str(second.run_dir)]

        tick(panel, 1)  # overlay the first run too
        assert set(panel.curves) == {str(first.run_dir), str(second.run_dir)}
        loss_curves = panel.loss_plot.getPlotItem().listDataItems()
        assert len(loss_curves) == 4  # loss and val_loss of each run
        assert sorted(legend_names(panel.loss_plot)) == sorted([first.run_dir.name, second.run_dir.name])
        colours = {curve.opts["pen"].color().name() for curve in loss_curves}
        assert len(colours) == 2  # one colour per run
        xs, ys = panel.curves[str(first.run_dir)][0].getData()
        assert list(xs) == [1] and ys[0] == pytest.approx(first.history["loss"][0], rel=1e-5)
        assert panel.metric_box.currentText() == "accuracy"
        assert len(panel.metric_plot.getPlotItem().listDataItems()) == 4

        panel.table.selectRow(1)
        assert panel.selected_run().run_dir == first.run_dir
        for button, signal in ((panel.evaluate_button, panel.evaluateRequested),
                               (panel.export_button, panel.exportRequested),
                               (panel.resume_button, panel.resumeRequested)):
            assert button.isEnabled()
            with qtbot.waitSignal(signal, timeout=1000) as asked:
                button.click()
            assert asked.args == [str(first.run_dir)]

        tick(panel, 0, checked=False)
        assert list(panel.curves) == [str(first.run_dir)]
        assert len(panel.loss_plot.getPlotItem().listDataItems()) == 2
    finally:
        closed(again)


def test_an_unsaved_projects_run_lands_in_the_user_data_folder_and_moves_when_saved(ready_window, qtbot, tmp_path,
                                                                                    user_data):
    window = ready_window
    window.training.run_dir_override = None  # the project's own runs folder
    assert window.document.path is None
    result = train_once(window, qtbot)
    assert result.run_dir.parent == user_data / "runs" / "digits_cnn"
    panel = window.runs_panel
    [run] = refreshed(panel, qtbot)
    assert run.run_dir == result.run_dir
    assert panel.folder_label.text() == (f"1 run in {user_data / 'runs' / 'digits_cnn'} (unsaved project: saving "
                                         "it takes its runs along)")

    with qtbot.waitSignal(panel.refreshed, timeout=READ_TIMEOUT_MS):  # the new path's folder is read again
        assert window.file_actions.save_as(tmp_path / "mine.json")
    moved = tmp_path / "runs" / "mine" / result.run_dir.name
    assert (moved / "model.keras").is_file() and (moved / "history.csv").is_file()
    assert not result.run_dir.exists()
    assert [r.run_dir for r in panel.model.runs] == [moved]
    assert panel.folder_label.text() == f"1 run in {tmp_path / 'runs' / 'mine'}"


def test_broken_and_cut_short_runs_show_what_they_are_and_sort(qtbot, tmp_path, trained_digits):
    from builder.project import load_template, save_project
    from ui.document import Document
    from ui.panels.runs_panel import RunsPanel

    project, result = trained_digits
    path = save_project(load_template("digits_cnn"), tmp_path / "d.json")
    runs = tmp_path / "runs" / "d"
    shutil.copytree(result.run_dir, runs / "20250101-100000")
    broken = runs / "20250102-100000"
    shutil.copytree(result.run_dir, broken)
    (broken / "run.json").write_text("{not json")
    (broken / "model.keras").unlink()
    failed = runs / "20250103-100000"
    failed.mkdir()
    (failed / "error.log").write_text("Traceback …")

    panel = RunsPanel()
    qtbot.addWidget(panel)
    document = Document.from_file(path)
    panel.set_document(document)
    with qtbot.waitSignal(panel.refreshed, timeout=READ_TIMEOUT_MS):
        panel.set_engine_ready()
    headers = panel.model.headers()
    names = [panel.proxy.index(r, 0).data() for r in range(panel.proxy.rowCount())]
    assert names == ["20250103-100000", "20250102-100000", "20250101-100000"]  # newest first
    states = [panel.proxy.index(r, headers.index("State")).data() for r in range(3)]
    assert states == ["failed", "interrupted (can continue) ⚠", "finished"]
    tooltip = panel.proxy.index(1, 0).data(Qt.ItemDataRole.ToolTipRole)
    assert "run.json is not valid JSON" in tooltip
    finished = panel.proxy.index(2, 0).data(Qt.ItemDataRole.ToolTipRole)  # the run's details say what it ran with
    assert "performance: jit_compile=auto, steps_per_execution=1 (Keras's defaults: measuring is off" in finished

    panel.table.selectRow(0)  # the failed run: no model, no checkpoint
    assert not panel.evaluate_button.isEnabled() and not panel.resume_button.isEnabled()
    assert panel.open_button.isEnabled()
    panel.table.selectRow(1)  # cut short: its best checkpoint can be evaluated, and it can continue
    assert panel.evaluate_button.isEnabled() and panel.resume_button.isEnabled()

    panel.table.sortByColumn(headers.index("Epochs"), Qt.SortOrder.AscendingOrder)
    epochs = [panel.proxy.index(r, headers.index("Epochs")).data() for r in range(3)]
    assert epochs == ["0", "3", "3"]
    panel.wait()
    document.close()


def test_a_save_during_training_takes_the_run_along_once_it_has_ended(ready_window, qtbot, tmp_path, user_data):
    window = ready_window
    window.training.run_dir_override = None
    with qtbot.waitSignal(window.training.epochEnded, timeout=TRAIN_TIMEOUT_MS):
        window.training_actions.train(3)
    assert window.training.running
    assert window.file_actions.save_as(tmp_path / "later.json")
    written = list((user_data / "runs" / "digits_cnn").iterdir())
    assert len(written) == 1  # the run being written stays where it is while it trains
    with qtbot.waitSignal(window.training.finished, timeout=TRAIN_TIMEOUT_MS) as finished:
        pass
    result = finished.args[0]
    assert result.run_dir == written[0]
    moved = tmp_path / "runs" / "later" / result.run_dir.name
    qtbot.waitUntil(lambda: (moved / "run.json").is_file(), timeout=5000)
    assert not result.run_dir.exists()
    assert [r.run_dir for r in refreshed(window.runs_panel, qtbot)] == [moved]
    assert [r.epochs_run for r in window.runs_panel.model.runs] == [3]
