"""File > Export after a restart: the dialog lists the project's runs from disk (newest first), exports the one
chosen — here the earlier of two — and the Python script, and shows each verification as a PASS/FAIL table."""
from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QMessageBox

from tests.gui.conftest import ENGINE_TIMEOUT_MS, close_window

TIMEOUT_MS = 180_000


def _train_once(window, qtbot) -> Path:
    ended = []
    window.training.finished.connect(ended.append)
    window.training.failed.connect(ended.append)
    try:
        window.training_actions.train(1)
        qtbot.waitUntil(lambda: bool(ended), timeout=TIMEOUT_MS)
    finally:
        window.training.finished.disconnect(ended.append)
        window.training.failed.disconnect(ended.append)
    result = ended[0]
    assert not isinstance(result, str), f"the training failed: {result}"
    assert result.model_path.is_file()
    return Path(result.run_dir)


def _export_in_dialog(window, qtbot, run_dir: Path, fmt: str, path: Path | None = None):
    """Open the dialog on `run_dir` (the runs list's Export), choose `fmt` (and `path`), press Export."""
    actions = window.export_actions
    assert actions.export_run(str(run_dir))
    dialog = actions.dialog
    assert dialog is not None and dialog.isVisible()
    dialog.format_box.setCurrentIndex(dialog.format_box.findData(fmt))
    if path is not None:
        dialog.path_edit.setText(str(path))
    seen = {"formats": [dialog.format_box.itemData(i) for i in range(dialog.format_box.count())],
            "run_dir": dialog.model_choice.run_dir, "index": dialog.model_box.currentIndex(),
            "chooser enabled": dialog.model_box.isEnabled()}
    with qtbot.waitSignal(actions.finished, timeout=TIMEOUT_MS) as exported:
        dialog.export_button.click()
    assert actions.dialog is None  # closed once the export started
    return seen, exported.args[0]


def _open_window(qtbot, document=None):
    from ui.main_window import MainWindow

    window = MainWindow(document)
    window.show()
    qtbot.waitExposed(window)
    with qtbot.waitSignal(window.document.shapes.reportChanged, timeout=ENGINE_TIMEOUT_MS):
        window.start_engine()
    return window


def test_export_from_an_earlier_run_after_a_restart(qtbot, tmp_path, monkeypatch):
    from ui.document import Document

    monkeypatch.setenv("LAYERBOARD_DATA_DIR", str(tmp_path / "user data"))  # no runs of the user's are touched
    window = _open_window(qtbot)
    try:
        project_file = tmp_path / "digits.json"
        assert window.file_actions.save_as(project_file)
        earlier = _train_once(window, qtbot)  # into the project's own runs folder, as for a user
        later = _train_once(window, qtbot)
    finally:
        close_window(window)
    runs_folder = tmp_path / "runs" / "digits"
    assert earlier.parent == runs_folder and later.parent == runs_folder and earlier != later

    window = _open_window(qtbot, Document.from_file(project_file))  # the app restarted on the saved project
    try:
        assert window.training.last_result is None  # nothing trained in this window: the runs are on disk
        name = window.document.project.name

        choices = window.export_actions.model_choices()
        assert [c.run_dir for c in choices] == [later, earlier]  # newest first
        assert "finished · 1 epoch" in choices[0].label

        # TFLite from the earlier run, chosen by the runs list's Export
        seen, report = _export_in_dialog(window, qtbot, earlier, "tflite")
        assert "python" in seen["formats"]
        assert seen["run_dir"] == earlier and seen["index"] == 1 and seen["chooser enabled"]
        assert report.path == earlier / f"{name}.tflite" and report.path.is_file() and report.verified
        assert str(earlier) in report.weights and str(later) not in report.weights
        tflite = report.path
        results = window.export_actions.results
        assert results.isVisible() and results.table.rowCount() == 1
        assert results.cell(0, "Result") == "PASS" and results.cell(0, "Format") == "tflite"
        assert results.cell(0, "File") == str(report.path)
        assert results.cell(0, "Size").endswith("KiB")
        assert results.cell(0, "Max difference").endswith("(≤ 0.0001)")
        accuracy = results.cell(0, "Accuracy before → after")
        assert accuracy == f"{report.accuracy_keras:.1%} → {report.accuracy_export:.1%}"
        assert results.cell(0, "Latency").endswith("ms/sample")
        assert "PASS" in results.verdict.text()

        # The Python script: the chooser does not apply; the script compiles and builds the project's model
        script = tmp_path / "digits_model.py"
        seen, report = _export_in_dialog(window, qtbot, earlier, "python", script)
        assert not seen["chooser enabled"]
        assert report.path == script and "def build_model():" in script.read_text()
        import importlib.util

        from builder.model import load_model_safely

        spec = importlib.util.spec_from_file_location("exported_digits_model", script)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)  # main() runs only as a program
        built = module.build_model()
        trained = load_model_safely(earlier / "model.keras", compile=False)
        assert [layer.name for layer in built.layers] == [layer.name for layer in trained.layers]
        assert built.count_params() == trained.count_params()
        assert results.table.rowCount() == 2
        assert [results.cell(1, c) for c in ("Result", "Format", "File")] == ["PASS", "python", str(script)]

        # A refused export is a FAIL row that says why
        with qtbot.waitSignal(window.export_actions.failed, timeout=TIMEOUT_MS) as failed:
            assert window.export_actions.export("tflite", tflite, run_dir=earlier)
        assert "already exists" in failed.args[0]
        assert results.table.rowCount() == 3 and results.cell(2, "Result") == "FAIL"
        assert "already exists" in results.detail.text() and "FAIL" in results.verdict.text()
    finally:
        close_window(window)


def test_the_dialog_without_any_run_offers_only_the_script(window, tmp_path):
    from ui.panels.export_dialog import ExportDialog

    dialog = ExportDialog(tmp_path, "digits", window)
    assert dialog.model_choice is None and not dialog.export_button.isEnabled()
    assert "train the model first" in dialog.note.text()
    dialog.format_box.setCurrentIndex(dialog.format_box.findData("python"))
    assert dialog.export_button.isEnabled() and dialog.path == tmp_path / "digits.py"
    assert "no trained weights" in dialog.note.text()


def test_export_without_any_run_says_train_first(window, monkeypatch, tmp_path):
    monkeypatch.setenv("LAYERBOARD_DATA_DIR", str(tmp_path))  # an unsaved project's runs: none
    assert window.export_actions.export() is False
    boxes = [b for b in window.findChildren(QMessageBox) if b.isVisible()]
    assert boxes and "Train the model first" in boxes[0].text()
