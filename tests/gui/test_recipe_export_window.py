"""File > Export of a diffusion project writes what the CLI writes: its denoiser (not the training wrapper),
verified on N(0, 1) inputs, with the noise schedule beside it, named in the results table."""
from __future__ import annotations

import json

from builder.project import save_project
from builder.training import Trainer
from diffusion_projects import diffusion_project
from recipe_projects import small
from ui.document import Document

TIMEOUT_MS = 180_000


def test_exporting_a_diffusion_run_writes_its_denoiser_and_schedule(ready_window, qtbot, tmp_path):
    from ai_edge_litert.interpreter import Interpreter

    project = diffusion_project(epochs=1)
    path = tmp_path / "diffusion.json"
    save_project(project, path)
    result = Trainer(project, epochs=1, dataset=small(project)).run()  # into runs/diffusion beside the file
    window = ready_window
    window.set_document(Document.from_file(path, window))
    actions = window.export_actions

    assert actions.export_run(str(result.run_dir))
    dialog = actions.dialog
    dialog.format_box.setCurrentIndex(dialog.format_box.findData("tflite"))
    output = tmp_path / "denoiser.tflite"
    dialog.path_edit.setText(str(output))
    ended = []  # the report, or the failure's message (a failure ends the wait at once)
    actions.finished.connect(ended.append)
    actions.failed.connect(ended.append)
    dialog.export_button.click()
    qtbot.waitUntil(lambda: bool(ended), timeout=TIMEOUT_MS)
    report = ended[0]
    assert not isinstance(report, str), report
    assert report.verified and report.samples_source == "random" and report.weights.endswith("its denoiser")

    interpreter = Interpreter(model_path=str(output))
    inputs = sorted(tuple(d["shape"][1:]) for d in interpreter.get_input_details())
    assert inputs == [(1,), (8, 8, 1)]  # the denoiser's noisy sample and time step, not the wrapper's one input
    assert [tuple(d["shape"][1:]) for d in interpreter.get_output_details()] == [(8, 8, 1)]  # the predicted noise
    schedule = tmp_path / "denoiser.schedule.json"
    assert json.loads(schedule.read_text())["timesteps"] == 50
    row = actions.results.rows[-1]
    assert row.passed and str(schedule) in row.detail

    # Exporting there again asks once, naming the file and the schedule beside it; No leaves both as they are.
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication, QMessageBox

    asked = []

    def answer() -> None:
        box = QApplication.activeModalWidget()
        asked.append(box.text())
        box.button(QMessageBox.StandardButton.No).click()

    before = output.read_bytes(), schedule.read_text()
    assert actions.export_run(str(result.run_dir))
    dialog = actions.dialog
    dialog.format_box.setCurrentIndex(dialog.format_box.findData("tflite"))
    dialog.path_edit.setText(str(output))
    QTimer.singleShot(0, answer)
    dialog.export_button.click()
    qtbot.waitUntil(lambda: bool(asked), timeout=10_000)
    assert str(output) in asked[0] and str(schedule) in asked[0]
    assert (output.read_bytes(), schedule.read_text()) == before and len(ended) == 1  # nothing exported again
