"""The window trains in a child process: a killed child is reported and the window lives on; Abort keeps the last
checkpoint; an imported model becomes trainable once a matching dataset is chosen in the Data panel."""
from __future__ import annotations

import os
import signal

import pytest
from PySide6.QtWidgets import QMessageBox

TRAIN_TIMEOUT_MS = 180_000


def start_long_run(window, qtbot):
    """Start a 500-epoch run of the open project and return once its first epoch (and checkpoint) is done."""
    with qtbot.waitSignal(window.training.epochEnded, timeout=TRAIN_TIMEOUT_MS):
        window.training_actions.train(500)
    assert window.training.running and window.training.process_id is not None
    # the epoch's signal comes before its checkpoint commits (last.keras is written after the epoch's logs)
    qtbot.waitUntil(lambda: (window.training.run_dir / "last.keras").is_file(), timeout=30_000)


def close_message_boxes(window) -> list[str]:
    texts = []
    for box in window.findChildren(QMessageBox):
        if box.isVisible():
            texts.append(box.text() + box.informativeText())
            box.close()
    return texts


@pytest.mark.processes  # kills or drives a real training process (make test-processes)
def test_a_training_process_killed_from_outside_is_reported_and_the_window_trains_again(ready_window, qtbot):
    window = ready_window
    start_long_run(window, qtbot)
    pid, run_dir = window.training.process_id, window.training.run_dir
    assert pid != os.getpid()  # the training steps run in another process
    with qtbot.waitSignal(window.training.failed, timeout=30_000) as failed:
        os.kill(pid, signal.SIGKILL)
    message = failed.args[0]
    assert "killed" in message and str(run_dir) in message and "Resume" in message
    assert not window.training.running
    assert (run_dir / "last.keras").is_file()  # the committed checkpoint survives the kill
    assert any("killed" in text for text in close_message_boxes(window))
    assert window.training_panel.train_button.text() == "Train"

    # The window lives: a new process trains the next run, and the killed run resumes from its checkpoint.
    with qtbot.waitSignal(window.training.finished, timeout=TRAIN_TIMEOUT_MS) as finished:
        window.training_actions.resume_run(str(run_dir), epochs=2)
    result = finished.args[0]
    assert result.run_dir == run_dir and result.epochs_run == 2 and not result.stopped
    assert window.training.process_id not in (None, pid)


def test_abort_ends_the_run_at_once_and_keeps_its_last_checkpoint(ready_window, qtbot):
    window = ready_window
    start_long_run(window, qtbot)
    with qtbot.waitSignal(window.training.finished, timeout=30_000) as finished:
        window.training.abort()
    result = finished.args[0]
    assert result.stopped and result.model_path.name == "last.keras" and result.epochs_run >= 1
    assert window.training.process_id is None  # the process was ended; the next Train starts a new one
    assert not window.training.running


def test_stop_ends_the_run_after_its_batch_and_the_same_process_trains_the_next(ready_window, qtbot):
    window = ready_window
    start_long_run(window, qtbot)
    pid = window.training.process_id
    with qtbot.waitSignal(window.training.finished, timeout=30_000) as finished:
        window.training.stop()
    assert finished.args[0].stopped and finished.args[0].model_path.name == "model.keras"
    assert window.training.process_id == pid  # kept for the next run: Keras is loaded once


def _iris_shaped_model(path):
    import keras

    x = keras.Input((4,), name="measurements")
    h = keras.layers.Dense(8, activation="relu", name="hidden")(x)
    y = keras.layers.Dense(3, activation="softmax", name="species")(h)
    keras.Model(x, y).save(path)


def test_an_imported_model_trains_once_a_matching_dataset_is_chosen(ready_window, qtbot, tmp_path):
    window = ready_window
    source = tmp_path / "flowers.keras"
    _iris_shaped_model(source)
    with qtbot.waitSignal(window.import_actions.task.succeeded, timeout=120_000):
        window.import_actions.import_model_file(source, tmp_path / "flowers.json")
    panel = window.data_panel
    qtbot.waitUntil(lambda: "measurements" in panel.mismatches, timeout=60_000)  # digits does not fit (4,)
    assert window.scene.node_items["measurements"].dataset_problems

    panel.choose_dataset("iris")
    assert window.document.project.dataset.name == "iris"
    qtbot.waitUntil(lambda: panel.summary is not None and panel.summary.info.name == "iris", timeout=60_000)
    qtbot.waitUntil(lambda: panel.mismatches == {}, timeout=60_000)
    assert not window.scene.node_items["measurements"].dataset_problems
    window.file_actions.on_save()

    with qtbot.waitSignal(window.training.finished, timeout=TRAIN_TIMEOUT_MS) as finished:
        window.training_actions.train(1)
    result = finished.args[0]
    assert result.epochs_run == 1 and result.run_dir.parent == tmp_path / "runs" / "flowers"


def test_the_learning_rate_changed_in_the_panel_reaches_the_run_and_is_marked(ready_window, qtbot):
    window = ready_window
    panel = window.training_panel
    start_long_run(window, qtbot)
    panel.lr_box.lineEdit().setText("2e-4")
    panel.lr_box.interpretText()
    with qtbot.waitSignal(window.training.settingChanged, timeout=30_000) as changed:
        panel.lr_apply.click()
    change = changed.args[0]
    assert (change["name"], change["value"], change["reason"]) == ("learning_rate", pytest.approx(2e-4), "user")
    assert change["epoch"] >= 2  # applied after the first epoch, in the running process
    assert all(len(markers) == 1 for markers in panel.plots.markers.values())
    with qtbot.waitSignal(window.training.epochEnded, timeout=TRAIN_TIMEOUT_MS) as epoch:
        pass
    assert epoch.args[1]["learning_rate"] == pytest.approx(2e-4)  # the optimizer trains with it
    with qtbot.waitSignal(window.training.finished, timeout=30_000):
        window.training.stop()


def test_a_stop_that_does_not_end_the_run_in_time_ends_its_process_and_keeps_the_checkpoint(
        ready_window, qtbot, monkeypatch):
    import builder.training

    window = ready_window
    start_long_run(window, qtbot)
    pid = window.training.process_id
    monkeypatch.setattr(builder.training, "STOP_GRACE_S", 0.0)  # as if the run did not stop within the grace time
    with qtbot.waitSignal(window.training.finished, timeout=30_000) as finished:
        window.training.stop()
    result = finished.args[0]
    assert result.stopped and result.model_path.name in ("last.keras", "best.keras")  # no model.keras: ended
    assert window.training.process_id is None and pid is not None  # the process was ended, not waited for
