"""The training panel watching a run: per-batch and per-epoch curves, the learning rate, live-change markers,
hover, 100 000 batches, the previous run's ghost, live controls, Abort, progress, saving PNG and CSV, and the
epochs box saved into the project.

Most tests drive the panel with `ScriptedController`, a QObject with exactly the TrainingController's interface
(its signals and methods, recording what the panel asks for): the panel is tested against the interface, without
Keras, in milliseconds. test_training_panel.py trains for real through the window's own controller.
"""
from __future__ import annotations

import csv
import sys
import time

import numpy as np
import pytest
from PySide6.QtCore import QObject, QPointF, Signal
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QMessageBox

from builder.project import load_project
from ui.document import Document
from ui.panels.training_data import EMA_WEIGHT
from ui.panels.training_panel import TrainingPanel


class ControllerWithoutBatchLogs(QObject):
    """The TrainingController's interface but for batchLogs (only the throttled batchEnded, as before the
    child-process controller); the test emits its signals, the panel's calls are recorded."""

    runningChanged = Signal(bool)
    pausedChanged = Signal(bool)
    trainBegan = Signal(int, int)
    batchEnded = Signal(int, int, object)
    epochEnded = Signal(int, object)
    finished = Signal(object)
    failed = Signal(str)
    runStarted = Signal(str)
    deviceKnown = Signal(str)
    settingChanged = Signal(object)

    def __init__(self) -> None:
        super().__init__()
        self.calls: list[tuple] = []
        self.running = False
        self.paused = False
        self.last_result = None

    def begin(self, epochs: int, steps: int) -> None:
        self.running = True
        self.runningChanged.emit(True)
        self.trainBegan.emit(epochs, steps)

    def end(self) -> None:
        self.running = False
        self.runningChanged.emit(False)

    def start(self, project, epochs=None):
        self.calls.append(("start", epochs))

    def pause(self):
        self.calls.append(("pause",))

    def resume(self):
        self.calls.append(("resume",))

    def stop(self):
        self.calls.append(("stop",))

    def abort(self):
        self.calls.append(("abort",))

    def set_learning_rate(self, value):
        self.calls.append(("set_learning_rate", value))

    def set_patience(self, value):
        self.calls.append(("set_patience", value))


class ScriptedController(ControllerWithoutBatchLogs):
    """The TrainingController's whole interface."""

    batchLogs = Signal(object)  # every batch since the last delivery


def make_panel(qtbot, controller) -> TrainingPanel:
    panel = TrainingPanel(controller)
    qtbot.addWidget(panel)
    panel.resize(1400, 280)
    panel.show()
    qtbot.waitExposed(panel)
    panel.set_engine_ready()
    return panel


@pytest.fixture
def controller():
    return ScriptedController()


@pytest.fixture
def panel(qtbot, controller):
    return make_panel(qtbot, controller)


@pytest.fixture
def document(qtbot):
    doc = Document.from_template("digits_cnn")
    yield doc
    doc.close()
    doc.deleteLater()


def xy(item):
    """The values a curve was given (not the drawn ones: those are downsampled, log-mapped on a log axis)."""
    xs, ys = item.getOriginalDataset()
    return ([] if xs is None else list(xs)), ([] if ys is None else list(ys))


def test_every_batch_is_drawn_raw_and_smoothed(panel, controller, qtbot):
    controller.begin(2, 10)
    losses = [2.0 - 0.05 * i for i in range(20)]
    controller.batchLogs.emit([(i // 10, i % 10, {"loss": losses[i], "accuracy": 0.1 * (i % 10)}) for i in range(20)])
    raw, smoothed = panel.plots.curve("loss", "batch"), panel.plots.curve("loss", "smoothed")
    qtbot.waitUntil(lambda: len(xy(raw)[0]) == 20, timeout=2000)  # drawn by the redraw timer, not per signal
    xs, ys = xy(raw)
    assert xs[0] == pytest.approx(0.1) and xs[9] == pytest.approx(1.0) and xs[-1] == pytest.approx(2.0)
    assert ys == pytest.approx(losses)
    s = xy(smoothed)[1]
    assert s[0] == losses[0] and s[1] == pytest.approx(EMA_WEIGHT * losses[0] + (1 - EMA_WEIGHT) * losses[1])
    assert s[10] == losses[10]  # an epoch's first batch restarts Keras's running mean, and the smoothing
    assert "accuracy" in panel.plots.plots and len(xy(panel.plots.curve("accuracy", "batch"))[0]) == 20


def test_without_batch_logs_the_throttled_batch_updates_feed_the_curves(qtbot):
    controller = ControllerWithoutBatchLogs()
    panel = make_panel(qtbot, controller)
    controller.begin(1, 100)
    for batch in (9, 19, 29):
        controller.batchEnded.emit(0, batch, {"loss": 1.0 / (batch + 1)})
    qtbot.waitUntil(lambda: len(xy(panel.plots.curve("loss", "batch"))[0]) == 3, timeout=2000)
    assert xy(panel.plots.curve("loss", "batch"))[0] == pytest.approx([0.1, 0.2, 0.3])
    qtbot.waitUntil(lambda: panel.epoch_progress.value() == 30, timeout=1000)  # labels follow ≤ 5 times a second
    assert panel.epoch_progress.value() == 30 and panel.epoch_progress.format() == "batch 30/100"


def test_epoch_curves_per_metric_and_the_learning_rate(panel, controller, qtbot):
    controller.begin(3, 10)
    for epoch, rate in ((0, 1e-3), (1, 5e-4)):
        controller.epochEnded.emit(epoch, {"loss": 1.0 - 0.3 * epoch, "val_loss": 1.2 - 0.3 * epoch,
                                           "accuracy": 0.5 + 0.2 * epoch, "val_accuracy": 0.4 + 0.2 * epoch,
                                           "learning_rate": rate})
    # Epoch ends are drawn one plot per redraw tick, like batches: every plot within a few tenths of a second.
    qtbot.waitUntil(lambda: len(xy(panel.plots.curve("learning_rate", "rate"))[0]) == 2, timeout=2000)
    qtbot.waitUntil(lambda: len(xy(panel.plots.curve("accuracy", "val"))[0]) == 2, timeout=2000)
    qtbot.waitUntil(lambda: len(xy(panel.train_curve)[0]) == 2, timeout=2000)
    assert xy(panel.train_curve) == ([1, 2], pytest.approx([1.0, 0.7]))
    assert xy(panel.val_curve) == ([1, 2], pytest.approx([1.2, 0.9]))
    assert xy(panel.plots.curve("accuracy", "val")) == ([1, 2], pytest.approx([0.4, 0.6]))
    assert xy(panel.plots.curve("learning_rate", "rate")) == ([1, 2], pytest.approx([1e-3, 5e-4]))
    assert list(panel.plots.plots) == ["loss", "learning_rate", "accuracy"]  # no plot for val_* or the rate twice
    assert panel.progress.format() == "run: epoch 2/3" and panel.epoch_progress.format() == "epoch 2 done"


def test_a_live_change_is_marked_where_it_happened(panel, controller, qtbot):
    controller.begin(2, 10)
    controller.epochEnded.emit(0, {"loss": 1.0, "learning_rate": 1e-3})
    # As control.csv: epoch 2 (1-based), applied after its batch 4 (0-based): 1 + 5/10 epochs into the run.
    controller.settingChanged.emit({"epoch": 2, "batch": 4, "step": 14, "name": "learning_rate", "value": 1e-4,
                                    "reason": "user"})
    for key, markers in panel.plots.markers.items():  # one dashed line in every plot
        assert [m.value() for m in markers] == [pytest.approx(1.5)], key
        assert markers[0].label.toPlainText() == "lr 1e-04"
    qtbot.waitUntil(lambda: len(xy(panel.plots.curve("learning_rate", "rate"))[0]) == 2, timeout=2000)
    assert xy(panel.plots.curve("learning_rate", "rate")) == ([1.0, 1.5], pytest.approx([1e-3, 1e-4]))
    assert "Learning rate set to 1e-04 at epoch 2, batch 5" in panel.status.text()

    controller.settingChanged.emit({"epoch": 2, "batch": -1, "step": 20, "name": "learning_rate", "value": 5e-5,
                                    "reason": "reduce_on_plateau (val_loss)"})
    assert panel.plots.markers["loss"][-1].value() == pytest.approx(2.0)  # batch -1: at the epoch's end
    assert panel.plots.markers["loss"][-1].label.toPlainText() == "lr 5e-05 (plateau)"

    controller.settingChanged.emit({"epoch": 2, "batch": 6, "step": 16, "name": "patience", "value": 3,
                                    "reason": "ignored: this run has no early stopping"})
    assert len(panel.plots.markers["loss"]) == 2  # what did not happen is not marked …
    assert "not applied" in panel.status.text() and "no early stopping" in panel.status.text()  # … but said

    controller.end()
    controller.begin(2, 10)  # a new run: its own markers only
    assert all(markers == [] for markers in panel.plots.markers.values())


def test_hover_shows_the_nearest_values(panel, controller, qtbot):
    controller.begin(2, 4)
    controller.batchLogs.emit([(0, b, {"loss": 1.0 - 0.1 * b}) for b in range(4)])
    controller.epochEnded.emit(0, {"loss": 0.7, "val_loss": 0.8})
    text = panel.plots.readout_at("loss", 0.52)
    assert "epoch 1 batch 2: loss 0.9" in text and "epoch 1: loss 0.7, val_loss 0.8" in text

    plot = panel.plots.plots["loss"]
    scene_point = plot.vb.mapViewToScene(QPointF(0.75, 0.8))
    panel.plots.canvas.scene().sigMouseMoved.emit(scene_point)
    qtbot.waitUntil(lambda: "batch 3: loss 0.8" in panel.plots.readout.text(), timeout=2000)
    cursor = panel.plots.cursors["loss"]
    assert cursor.isVisible() and cursor.value() == pytest.approx(0.75, abs=0.05)


def test_100000_batches_are_kept_and_drawn_fast(panel, controller):
    """Every batch is kept, but each curve draws about two points per pixel column of its plot.

    The point-count check is what fails if downsampling or clipping is off (the curve would hold all 100 000
    points); the time bound is generous for a busy 2-core CI machine: with downsampling the redraw and one
    paint of all the plots take ~0.05 s here, without it ~0.15 s offscreen and far more on a real screen."""
    controller.begin(10, 10_000)
    rng = np.random.default_rng(0)
    losses = np.exp(-np.arange(100_000) / 20_000) + 0.1 * rng.random(100_000)
    controller.batchLogs.emit([(i // 10_000, i % 10_000, {"loss": float(v), "accuracy": 0.5})
                               for i, v in enumerate(losses)])
    start = time.perf_counter()
    panel.plots.redraw()
    panel.plots.canvas.grab()  # the paint
    elapsed = time.perf_counter() - start
    raw = panel.plots.curve("loss", "batch")
    assert len(raw.getOriginalDataset()[0]) == 100_000  # all of it kept (and saved as CSV)
    drawn = len(raw.getData()[0])  # what the curve paints
    width = panel.plots.plots["loss"].vb.width()
    assert 0 < drawn <= 4 * width + 10, f"{drawn} points drawn for a {width:.0f}-pixel-wide plot"
    assert elapsed < 0.2, f"redrawing 100 000 batches took {elapsed:.3f} s"

    panel.plots.plots["loss"].setXRange(2, 3, padding=0)  # zoomed in: only the visible part is drawn
    xs = raw.getData()[0]
    assert len(xs) <= 4 * width + 10
    assert xs.min() >= 1.9 and xs.max() <= 3.1


def test_the_previous_run_stays_faded_until_unticked(panel, controller, qtbot):
    controller.begin(1, 2)
    controller.batchLogs.emit([(0, 0, {"loss": 1.0}), (0, 1, {"loss": 0.5})])
    controller.epochEnded.emit(0, {"loss": 0.75, "val_loss": 0.9})
    controller.end()
    controller.begin(1, 2)  # the next run: nothing of it yet
    assert xy(panel.train_curve) == ([], [])
    assert xy(panel.plots.curve("loss", "ghost_train")) == ([1], [0.75])
    assert xy(panel.plots.curve("loss", "ghost_val")) == ([1], [0.9])
    assert len(xy(panel.plots.curve("loss", "ghost_smoothed"))[0]) == 2
    assert panel.plots.curve("loss", "ghost_train").isVisible()
    panel.plots.previous_box.setChecked(False)
    assert not panel.plots.curve("loss", "ghost_train").isVisible()
    panel.plots.previous_box.setChecked(True)
    controller.epochEnded.emit(0, {"loss": 0.6})
    qtbot.waitUntil(lambda: len(xy(panel.train_curve)[0]) == 1, timeout=2000)
    assert xy(panel.train_curve) == ([1], [0.6]) and xy(panel.plots.curve("loss", "ghost_train"))[1] == [0.75]


def test_live_changes_are_sent_to_the_controller(panel, controller, document):
    document.set_settings("training", early_stopping={"patience": 5}, learning_rate=0.002)
    panel.set_document(document)
    assert not panel.lr_apply.isEnabled() and not panel.patience_apply.isEnabled()  # no run: nothing to change
    controller.begin(5, 10)
    assert panel.lr_box.text() == "2e-03" and panel.patience_box.value() == 5
    assert panel.lr_apply.isEnabled() and panel.patience_apply.isEnabled()
    panel.lr_box.lineEdit().setText("3e-4")
    panel.lr_box.interpretText()
    panel.lr_apply.click()
    panel.patience_box.setValue(2)
    panel.patience_apply.click()
    assert controller.calls == [("set_learning_rate", pytest.approx(3e-4)), ("set_patience", 2)]
    assert "from the next batch" in panel.status.text()
    controller.settingChanged.emit({"epoch": 1, "batch": 3, "step": 3, "name": "learning_rate", "value": 3e-4,
                                    "reason": "user"})
    controller.epochEnded.emit(0, {"loss": 1.0, "learning_rate": 2.9e-4})  # a schedule moves the rate on
    assert panel.lr_box.text() == "2.9e-04"
    panel.lr_box.stepBy(1)
    assert panel.lr_box.value() == pytest.approx(5.8e-4) and panel.lr_box.text() == "5.8e-04"
    controller.epochEnded.emit(1, {"loss": 0.9, "learning_rate": 2.8e-4})
    assert panel.lr_box.text() == "5.8e-04"  # what the user has typed and not applied yet stays
    controller.end()
    assert not panel.lr_apply.isEnabled()


def test_patience_cannot_be_changed_in_a_run_without_early_stopping(panel, controller, document):
    panel.set_document(document)  # the template has no early stopping
    controller.begin(5, 10)
    assert panel.lr_apply.isEnabled() and not panel.patience_apply.isEnabled()
    assert "no early stopping" in panel.patience_box.toolTip()


def test_abort_asks_first_and_stop_keeps_the_best(panel, controller, qtbot):
    assert not panel.abort_button.isEnabled()
    controller.begin(5, 10)
    assert panel.abort_button.isEnabled() and "keep the best" in panel.train_button.toolTip()
    panel.abort_button.click()
    box = next(b for b in panel.findChildren(QMessageBox) if b.isVisible())
    assert "last checkpoint" in box.text()
    box.button(QMessageBox.StandardButton.Cancel).click()
    assert controller.calls == []
    panel.abort_button.click()
    box = next(b for b in panel.findChildren(QMessageBox) if b.isVisible())
    next(b for b in box.buttons() if b.text() == "Abort run").click()
    assert controller.calls == [("abort",)]
    assert panel.train_button.text() == "Aborting…" and not panel.abort_button.isEnabled()
    controller.end()
    controller.begin(5, 10)
    panel.train_button.click()
    assert controller.calls[-1] == ("stop",) and panel.train_button.text() == "Stopping…"


def test_progress_speed_eta_and_device(panel, controller, document, qtbot):
    panel.set_document(document)  # batch_size 32 here: samples/s = 32 x batches/s
    controller.begin(2, 100)
    controller.runStarted.emit("/tmp/somewhere/run-1")
    controller.deviceKnown.emit("GPU:0 (NVIDIA H200)")
    assert panel.device_label.text() == "Device: GPU:0 (NVIDIA H200)" and str(panel.run_dir) == "/tmp/somewhere/run-1"
    controller.batchEnded.emit(0, 9, {"loss": 1.0})
    qtbot.wait(200)
    controller.batchEnded.emit(0, 19, {"loss": 0.9})
    # the labels follow at most 5 times a second, the latest batch always (a moment later when it came sooner)
    qtbot.waitUntil(lambda: panel.epoch_progress.format() == "batch 20/100", timeout=1000)
    # 10 batches of 32 in ~0.2 s: ~1600 samples/s (a loaded machine waits longer, so only an upper bound is tight)
    rate = float(panel.speed_label.text().split()[0].replace(",", ""))
    assert 100 < rate <= 1700 and panel.speed_label.text().endswith("samples/s")
    assert panel.epoch_progress.format() == "batch 20/100"
    assert panel.progress.value() == 100  # 20 of 200 batches: 10 % of 1000
    assert panel.eta_label.text().startswith("ETA ") and panel.eta_label.text() != "ETA …"
    controller.end()
    assert panel.speed_label.text().endswith("samples/s") and panel.speed_label.text()[0].isdigit()  # the last pace
    controller.begin(2, 100)  # the training process said its device once: the next run keeps showing it
    assert panel.device_label.text() == "Device: GPU:0 (NVIDIA H200)" and panel.speed_label.text() == "— samples/s"


def test_save_data_writes_every_epoch_batch_and_change(panel, controller, tmp_path):
    controller.begin(2, 3)
    controller.batchLogs.emit([(e, b, {"loss": 1.0 / (1 + 3 * e + b)}) for e in range(2) for b in range(3)])
    controller.settingChanged.emit({"epoch": 2, "batch": 0, "step": 3, "name": "learning_rate", "value": 1e-4,
                                    "reason": "user"})
    for epoch in range(2):
        controller.epochEnded.emit(epoch, {"loss": 0.5 - 0.1 * epoch, "val_loss": 0.6, "learning_rate": 1e-3})

    written = panel.save_data(tmp_path / "run")  # .csv is added
    assert [p.name for p in written] == ["run.csv", "run-batches.csv", "run-changes.csv"]
    epochs = list(csv.DictReader(open(tmp_path / "run.csv")))
    assert [r["epoch"] for r in epochs] == ["1", "2"] and float(epochs[1]["loss"]) == pytest.approx(0.4)
    assert set(epochs[0]) == {"epoch", "loss", "val_loss", "learning_rate"}
    batches = list(csv.DictReader(open(tmp_path / "run-batches.csv")))
    assert len(batches) == 6 and [r["batch"] for r in batches] == ["0", "1", "2"] * 2
    assert float(batches[4]["loss"]) == pytest.approx(1 / 5) and "loss_smoothed" in batches[0]
    changes = list(csv.DictReader(open(tmp_path / "run-changes.csv")))
    assert [(c["epoch"], c["batch"], c["setting"], c["reason"]) for c in changes] == [
        ("2", "0", "learning_rate", "user")]
    assert "Data saved" in panel.status.text()

    target = tmp_path / "plots.png"
    assert panel.save_plots(target)
    image = QImage(str(target))
    assert not image.isNull() and image.width() > 500


def test_save_data_refuses_what_cannot_be_written(panel, controller, tmp_path):
    assert panel.save_data(tmp_path / "nothing.csv") == []
    assert "Nothing to save yet" in panel.status.text()
    controller.begin(1, 1)
    controller.epochEnded.emit(0, {"loss": 1.0})
    (tmp_path / "folder.csv").mkdir()
    assert panel.save_data(tmp_path / "folder.csv") == []
    assert "Could not save the data" in panel.status.text()


def test_the_epochs_box_is_saved_in_the_project_and_undoable(window, tmp_path):
    panel, document = window.training_panel, window.document
    panel.set_document(document)  # what the window does for every document (a second call changes nothing)
    before = document.project.training.epochs
    panel.epochs_box.setValue(before + 2)
    panel.epochs_box.setValue(before + 3)  # one undo step for the whole edit
    assert document.project.training.epochs == before + 3 and document.dirty
    document.undo_stack.undo()
    assert document.project.training.epochs == before and panel.epochs_box.value() == before
    document.undo_stack.redo()
    assert panel.epochs_box.value() == before + 3
    document.save(tmp_path / "p.json")
    assert load_project(tmp_path / "p.json").training.epochs == before + 3
    document.set_settings("training", epochs=4)  # another panel's change shows here too
    assert panel.epochs_box.value() == 4


def test_the_window_controller_marks_live_changes(window):
    """Through the window's own controller, once it has settingChanged (the child-process controller)."""
    controller = window.training
    if not hasattr(controller, "settingChanged"):
        pytest.skip("the window's TrainingController has no settingChanged signal yet")
    panel = window.training_panel
    panel.plots.new_run(2, 10)
    controller.settingChanged.emit({"epoch": 1, "batch": 1, "step": 1, "name": "learning_rate", "value": 2e-4,
                                    "reason": "user"})
    assert [m.value() for m in panel.plots.markers["loss"]] == [pytest.approx(0.2)]


def test_painting_keeps_every_reference_to_none(panel, controller, qtbot):
    """PySide6 6.12.0 dropped a reference to None on void calls such as QPainterPath.moveTo/lineTo (every paint of
    a curve): before Python 3.12 None is not immortal, and a few minutes of live curves aborted the process with
    "none_dealloc". pyproject.toml excludes that version; this fails on any Qt binding that leaks again."""
    from PySide6.QtGui import QPainterPath

    path = QPainterPath()
    before = sys.getrefcount(None), sys.getrefcount(True)
    for _ in range(2_000):
        path.moveTo(0, 0)
        path.lineTo(1, 1)
        panel.isVisible()
    for _ in range(5):
        panel.grab()
    assert sys.getrefcount(None) >= before[0] - 50 and sys.getrefcount(True) >= before[1] - 50
