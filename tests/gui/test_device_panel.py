"""The Device panel shows the engine's doctor report: what training runs on, and why not a GPU, with the fix."""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from builder.training import diagnose, report_from_facts

REPORT_TIMEOUT_MS = 60_000


def _facts(**changes) -> dict:
    facts = {"python": "3.11.7", "platform": "linux", "machine": "x86_64", "wsl": False, "nvidia_driver": True,
             "cuda_visible_devices": None, "tensorflow": "2.21.0", "tensorflow_cpu_package": False,
             "cuda_libraries": True, "metal_plugin": False, "keras": "3.15.1", "backend": "tensorflow",
             "built_with_cuda": True, "cuda_version": "12.5.1",
             "devices": [{"name": "/physical_device:CPU:0", "kind": "CPU"}], "error": None}
    facts.update(changes)
    return facts


def _wait_for_report(panel, qtbot):
    qtbot.waitUntil(lambda: panel.report is not None and not panel.checking, timeout=REPORT_TIMEOUT_MS)
    return panel.report


def test_the_panel_says_what_training_runs_on_and_why_not_the_gpu(ready_window, qtbot):
    panel = ready_window.device_panel
    report = _wait_for_report(panel, qtbot)
    expected = diagnose()  # the engine's own answer on this machine (python main.py doctor)
    assert report.will_train_on == expected.will_train_on
    if expected.gpu_available:  # a machine with a GPU: named by its model
        from ui.panels.device_panel import headline

        assert panel.device_label.text() == headline(expected) and "GPU" in headline(expected)
        return
    assert panel.device_label.text() == "CPU"
    assert expected.reasons, "the doctor explains why there is no GPU"
    assert expected.reasons[0].problem in panel.why_label.text()
    shown = panel.details.toPlainText()
    for reason in expected.reasons:  # every finding, each with its fix
        assert reason.problem in shown and f"Fix: {reason.fix}" in shown
    assert "TensorFlow" in shown and expected.tensorflow in shown and "CPU:0" in shown
    for widget in (panel.device_label, panel.why_label):
        assert widget.textInteractionFlags() & Qt.TextInteractionFlag.TextSelectableByMouse
    assert panel.details.isReadOnly()


def test_copy_report_puts_the_doctor_text_on_the_clipboard_and_refresh_checks_again(ready_window, qtbot):
    panel = ready_window.device_panel
    first = _wait_for_report(panel, qtbot)
    QApplication.clipboard().clear()
    with qtbot.waitSignal(panel.message, timeout=1000) as said:
        panel.copy_button.click()
    assert said.args[0] == "Device report copied."
    copied = QApplication.clipboard().text()
    assert copied.splitlines() == first.summary()
    assert f"will train on:   {first.will_train_on}" in copied

    with qtbot.waitSignal(panel.reportChanged, timeout=REPORT_TIMEOUT_MS) as again:
        panel.refresh_button.click()
        assert panel.checking and not panel.refresh_button.isEnabled()
    assert again.args[0] is not first and again.args[0].to_dict() == first.to_dict()
    assert panel.refresh_button.isEnabled()


def test_before_keras_loads_the_panel_waits(window):
    panel = window.device_panel
    assert panel.report is None and not panel.refresh_button.isEnabled() and not panel.copy_button.isEnabled()
    assert "once Keras has loaded" in panel.details.toPlainText()
    panel.refresh()  # nothing to run yet
    assert not panel.checking


def test_a_gpu_is_named_by_its_model_and_a_hidden_one_gets_its_fix():
    from ui.panels.device_panel import headline, report_html

    gpu = {"name": "/physical_device:GPU:0", "kind": "GPU", "model": "NVIDIA H200"}
    with_gpu = report_from_facts(_facts(devices=[{"name": "/physical_device:CPU:0", "kind": "CPU"}, gpu]))
    assert headline(with_gpu) == "GPU — NVIDIA H200 (GPU:0)"
    assert "sees the GPU" in report_html(with_gpu) and "NVIDIA H200" in report_html(with_gpu)
    assert "(NVIDIA H200)" in "\n".join(with_gpu.summary())  # python main.py doctor names the model too
    two = report_from_facts(_facts(devices=[gpu, {"name": "/physical_device:GPU:1", "kind": "GPU"}]))
    assert headline(two) == "2 GPUs — NVIDIA H200 (GPU:0), GPU:1"
    hidden = report_from_facts(_facts(cuda_visible_devices="-1"))
    assert headline(hidden) == "CPU"
    text = report_html(hidden)
    assert "Why training does not use a GPU" in text and "CUDA_VISIBLE_DEVICES" in text and "Unset" in text
