"""Training from the panel on a worker thread, live curves, Stop, and Export of the trained model."""
from __future__ import annotations

import threading

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QMessageBox

TRAIN_TIMEOUT_MS = 120_000


def _points(curve) -> int:
    ys = curve.getData()[1]
    return 0 if ys is None else len(ys)


def visible_message_boxes(window) -> list[QMessageBox]:
    return [b for b in window.findChildren(QMessageBox) if b.isVisible()]


def test_training_draws_loss_curves_and_finishes(ready_window, qtbot, no_thread_left):
    window = ready_window
    panel, controller = window.training_panel, window.training
    panel.epochs_box.setValue(2)
    epochs_seen = []
    controller.epochEnded.connect(lambda epoch, logs: epochs_seen.append(threading.current_thread()))

    with qtbot.waitSignal(controller.epochEnded, timeout=TRAIN_TIMEOUT_MS):
        QTest.mouseClick(panel.train_button, Qt.MouseButton.LeftButton)
        assert panel.train_button.text() == "Stop"
    # The first epoch's point comes on both loss curves a tick or two later (the second epoch may be in by then:
    # a digits epoch takes a fraction of a second).
    qtbot.waitUntil(lambda: _points(panel.val_curve) >= 1 and _points(panel.train_curve) >= 1, timeout=5000)
    xs, ys = panel.train_curve.getData()
    assert list(xs)[0] == 1 and ys[0] > 0
    assert list(panel.val_curve.getData()[0])[0] == 1

    with qtbot.waitSignal(controller.finished, timeout=TRAIN_TIMEOUT_MS) as finished:
        pass
    result = finished.args[0]
    assert not result.stopped and result.epochs_run == 2
    assert result.model_path.exists()
    qtbot.waitUntil(lambda: _points(panel.plots.curve("accuracy", "val")) == 2, timeout=5000)
    assert list(panel.train_curve.getData()[0]) == [1, 2]
    # The per-batch curves got the run's batches (every one with batchLogs, else the throttled updates).
    batch_xs = panel.plots.curve("loss", "smoothed").getOriginalDataset()[0]
    assert len(batch_xs) >= 2 and batch_xs[-1] == 2.0 and list(batch_xs) == sorted(batch_xs)
    assert panel.train_button.text() == "Train" and panel.train_button.isEnabled()
    assert "Finished" in panel.progress.format()
    assert not controller.running
    assert controller.last_result is result
    assert all(t is threading.main_thread() for t in epochs_seen)  # signals reach the GUI thread


def train_one_epoch_of(window, qtbot, epochs: int):
    """Press Train for `epochs` epochs and return (panel, controller) once the first epoch has ended."""
    panel, controller = window.training_panel, window.training
    panel.epochs_box.setValue(epochs)
    with qtbot.waitSignal(controller.epochEnded, timeout=TRAIN_TIMEOUT_MS):
        panel.train_button.click()
    return panel, controller


def test_stop_ends_training_early_and_keeps_the_model(ready_window, qtbot):
    panel, controller = train_one_epoch_of(ready_window, qtbot, 200)

    with qtbot.waitSignal(controller.finished, timeout=TRAIN_TIMEOUT_MS) as finished:
        panel.train_button.click()  # Stop
        assert panel.train_button.text() == "Stopping…" and not panel.train_button.isEnabled()

    result = finished.args[0]
    assert result.stopped and 1 <= result.epochs_run < 200
    assert result.model_path.exists()
    assert "Stopped" in panel.progress.format()
    assert panel.train_button.text() == "Train"


def test_an_invalid_graph_is_not_sent_to_training(ready_window):
    window = ready_window
    window.scene.node_items["flatten"].setSelected(True)
    window.scene.delete_selection()
    window.document.shapes.run_now()
    window.training_panel.train_button.click()
    assert not window.training.running
    boxes = visible_message_boxes(window)
    assert boxes and "no input connected" in boxes[0].text()


def test_export_without_a_trained_model_asks_to_train_first(window):
    assert window.export_actions.export() is False
    boxes = visible_message_boxes(window)
    assert boxes and "Train the model first" in boxes[0].text()


def test_export_writes_the_last_trained_model_and_reports_its_verification(ready_window, qtbot, tmp_path):
    window = ready_window
    window.training_panel.epochs_box.setValue(1)
    with qtbot.waitSignal(window.training.finished, timeout=TRAIN_TIMEOUT_MS):
        window.training_panel.train_button.click()

    target = tmp_path / "digits.keras"
    with qtbot.waitSignal(window.export_actions.finished, timeout=TRAIN_TIMEOUT_MS) as exported:
        assert window.export_actions.export("keras", target)
    report = exported.args[0]
    assert target.exists() and report.verified
    results = window.export_actions.results  # the verification table replaces the message box (issue 15)
    assert results.isVisible() and results.cell(0, "Result") == "PASS" and "verified" in results.detail.text()


def test_export_dialog_offers_every_format_and_tflite_variants(window, tmp_path):
    from ui.panels.export_dialog import ExportDialog

    dialog = ExportDialog(tmp_path, "digits", window)
    formats = [dialog.format_box.itemData(i) for i in range(dialog.format_box.count())]
    assert formats == ["keras", "h5", "savedmodel", "tflite", "onnx", "python"]
    dialog.format_box.setCurrentIndex(formats.index("onnx"))
    assert not dialog.variant_box.isEnabled() and dialog.quantization == "float32"
    assert dialog.path == tmp_path / "digits.onnx"
    dialog.format_box.setCurrentIndex(formats.index("tflite"))
    dialog.variant_box.setCurrentIndex(dialog.variant_box.findData("int8"))
    assert dialog.variant_box.isEnabled() and dialog.quantization == "int8"


def test_epoch_axis_ticks_are_whole_epochs(window):
    panel = window.training_panel
    for epochs, step in ((4, 1), (15, 2), (40, 5), (300, 50)):
        panel.set_epochs(epochs)
        ticks = panel.loss_plot.getAxis("bottom").tickValues(1, epochs, 400)
        assert ticks[0][0] == step and all(float(t).is_integer() for t in ticks[0][1])


def test_export_dialog_full_int8_options(window, tmp_path):
    from ui.panels.export_dialog import ExportDialog

    dialog = ExportDialog(tmp_path, "digits", window)
    extra = (dialog.io_type_box, dialog.samples_spin)
    assert not any(w.isVisibleTo(dialog) for w in extra)  # keras is the first format
    dialog.format_box.setCurrentIndex(dialog.format_box.findData("tflite"))
    dialog.variant_box.setCurrentIndex(dialog.variant_box.findData("dynamic"))
    assert not any(w.isVisibleTo(dialog) or w.isEnabled() for w in extra)
    dialog.variant_box.setCurrentIndex(dialog.variant_box.findData("int8"))
    assert all(w.isVisibleTo(dialog) and w.isEnabled() for w in extra)
    assert dialog.samples_spin.value() == 200 and dialog.io_type_box.currentData() == "float32"
    dialog.io_type_box.setCurrentIndex(dialog.io_type_box.findData("uint8"))
    dialog.samples_spin.setValue(64)
    options = dialog.options
    assert (options.quantization, options.io_type, options.representative_samples) == ("int8", "uint8", 64)
    dialog.variant_box.setCurrentIndex(dialog.variant_box.findData("float16"))
    options = dialog.options  # the int8-only choices do not leak into another variant
    assert (options.quantization, options.io_type, options.representative_samples) == ("float16", "float32", 200)
    dialog.format_box.setCurrentIndex(dialog.format_box.findData("onnx"))
    assert dialog.options.quantization == "float32" and not dialog.io_type_box.isVisibleTo(dialog)


def test_pause_holds_training_and_resume_goes_on(ready_window, qtbot):
    assert not ready_window.training_panel.pause_button.isEnabled()  # nothing to pause yet
    panel, controller = train_one_epoch_of(ready_window, qtbot, 4)
    assert panel.pause_button.isEnabled() and panel.pause_button.text() == "Pause"

    panel.pause_button.click()
    assert controller.paused and panel.pause_button.text() == "Resume"
    qtbot.wait(500)  # the batch that was running ends, its queued signals arrive
    epochs_during_pause = []
    controller.epochEnded.connect(lambda epoch, logs: epochs_during_pause.append(epoch))
    value = panel.progress.value()
    qtbot.wait(2500)  # an unpaused digits epoch takes well under a second
    assert panel.progress.value() == value and epochs_during_pause == []
    assert "paused" in panel.progress.format() and "Paused" in panel.status.text()
    assert controller.running

    with qtbot.waitSignal(controller.finished, timeout=TRAIN_TIMEOUT_MS) as finished:
        panel.pause_button.click()  # Resume
        assert not controller.paused and panel.pause_button.text() == "Pause"
    result = finished.args[0]
    assert not result.stopped and result.epochs_run == 4
    assert not panel.pause_button.isEnabled()


def test_stop_while_paused_ends_the_run_and_keeps_the_model(ready_window, qtbot):
    panel, controller = train_one_epoch_of(ready_window, qtbot, 200)
    panel.pause_button.click()
    with qtbot.waitSignal(controller.finished, timeout=TRAIN_TIMEOUT_MS) as finished:
        panel.train_button.click()  # Stop
    result = finished.args[0]
    assert result.stopped and result.epochs_run < 200 and result.model_path.exists()
    assert not controller.paused and panel.pause_button.text() == "Pause"
    assert "Stopped" in panel.progress.format()
