"""File > Export never replaces an existing file unless told to: the engine refuses it, and the window passes
overwrite only after asking (or when its caller says so)."""
from __future__ import annotations

TRAIN_TIMEOUT_MS = 120_000


def test_export_refuses_an_existing_file_unless_overwrite(ready_window, qtbot, tmp_path):
    window = ready_window
    window.training_panel.epochs_box.setValue(1)
    with qtbot.waitSignal(window.training.finished, timeout=TRAIN_TIMEOUT_MS):
        window.training_panel.train_button.click()

    target = tmp_path / "digits.keras"
    target.write_bytes(b"the user's")
    with qtbot.waitSignal(window.export_actions.failed, timeout=TRAIN_TIMEOUT_MS) as failed:
        assert window.export_actions.export("keras", target)
    assert "already exists" in failed.args[0] and target.read_bytes() == b"the user's"
    with qtbot.waitSignal(window.export_actions.finished, timeout=TRAIN_TIMEOUT_MS) as exported:
        assert window.export_actions.export("keras", target, overwrite=True)
    assert exported.args[0].verified and target.read_bytes()[:2] == b"PK"
