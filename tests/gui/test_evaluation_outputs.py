"""The evaluation panel on the new templates' shapes: a two-input, two-output model (digits_two_heads) gets an Output
box whose choice re-evaluates off the GUI thread, keeps per project and drives the confusion matrix, the worst
samples, a cell's gallery (drawn from the first input) and Try it; a per-pixel mask model (shapes_unet) plots a
sample of its million residuals and lists its worst masks by mean absolute error."""
from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from PySide6.QtCore import Qt

EVAL_TIMEOUT_MS = 120_000


def trained_on_a_subset(name: str, tmp_path, samples: int = 256, validation: int = 64):
    """The template trained one epoch on the first samples of its dataset (the panel evaluates on the full split)."""
    from builder.data import load_project_dataset, take
    from builder.project import load_template
    from builder.training import Trainer

    project = load_template(name)
    project.training.tensorboard = False
    project.path = tmp_path / f"{name}.json"
    data = load_project_dataset(project)
    subset = replace(data, x_train=take(data.x_train, range(samples)), y_train=take(data.y_train, range(samples)),
                     x_val=take(data.x_val, range(validation)), y_val=take(data.y_val, range(validation)))
    result = Trainer(project, tmp_path / "run", epochs=1, dataset=subset).run()
    return project, result


def show_and_wait(panel, qtbot, run_dir: str):
    with qtbot.waitSignal(panel.evaluated, timeout=EVAL_TIMEOUT_MS) as evaluated:
        panel.show_run(run_dir)
    return evaluated.args[0]


def test_output_box_follows_the_chosen_output_of_a_two_headed_model(ready_window, qtbot, tmp_path, sine_project):
    from builder.training import evaluate, samples_in_cell
    from ui.document import Document

    project, result = trained_on_a_subset("digits_two_heads", tmp_path)
    window = ready_window
    window.set_document(Document(project, window))
    panel = window.evaluation_panel
    ev = show_and_wait(panel, qtbot, str(result.run_dir))
    assert ev.output == "digit" and len(ev.class_names) == 10
    assert panel.output_box.isVisibleTo(panel)
    assert [panel.output_box.itemText(i) for i in range(panel.output_box.count())] == ["digit", "even"]
    assert "output <b>digit</b>" in panel.metrics.text()
    assert panel.worst.item(0, 0).data(Qt.ItemDataRole.DecorationRole) is not None  # the left half, drawn

    # A key press in the box chooses "even": evaluated again off the GUI thread, for that output.
    qtbot.waitUntil(panel.output_box.isVisible)
    with qtbot.waitSignal(panel.evaluated, timeout=EVAL_TIMEOUT_MS) as evaluated:
        qtbot.keyClick(panel.output_box, Qt.Key.Key_Down)
        assert panel.busy.isVisible() and not panel.output_box.isEnabled()
    even = evaluated.args[0]
    engine = evaluate(project, result.model_path, split=even.split, output="even")
    assert even.output == "even" and even.confusion_matrix == engine.confusion_matrix
    assert panel.confusion.matrix.shape == (2, 2) and panel.per_class.rowCount() == 2
    assert [int(panel.worst.item(r, 0).text()) for r in range(panel.worst.rowCount())] == \
        [w["index"] for w in engine.worst]
    assert panel.output_box.currentText() == "even"
    # A cell's gallery draws the samples' first input (the set has two: left and right halves).
    true, predicted = np.unravel_index(np.argmax(engine.confusion_matrix), (2, 2))
    panel.open_cell(int(true), int(predicted))
    assert panel.gallery.indices == samples_in_cell(engine, int(true), int(predicted))
    assert not panel.gallery.list.item(0).icon().isNull()
    # Try it predicts the chosen output: two classes, the truth of that output.
    with qtbot.waitSignal(panel.predicted, timeout=EVAL_TIMEOUT_MS) as predicted:
        panel.try_sample(3)
    row = predicted.args[0]
    assert row["output"] == "even" and len(panel.chart.values) == 2
    assert panel.chart.values == pytest.approx(engine.probabilities[3].tolist(), abs=1e-5)
    assert "true: <b>even:" in panel.try_result.text()

    # The choice is the project's: the same project opened again evaluates "even"; another project has no box.
    window.set_document(Document(sine_project(), window))
    assert not panel.output_box.isVisibleTo(panel)
    window.set_document(Document(project, window))
    again = show_and_wait(panel, qtbot, str(result.run_dir))
    assert again.output == "even" and panel.output_box.currentText() == "even"


def test_mask_residuals_are_sampled_and_worst_masks_read_as_mean_errors(ready_window, qtbot, tmp_path):
    from ui.document import Document
    from ui.panels.evaluation_panel import RESIDUAL_PLOT_POINTS

    project, result = trained_on_a_subset("shapes_unet", tmp_path)
    window = ready_window
    window.set_document(Document(project, window))
    panel = window.evaluation_panel
    ev = show_and_wait(panel, qtbot, str(result.run_dir))
    assert ev.task == "regression" and ev.targets.shape[1] == 32 * 32 and not panel.output_box.isVisibleTo(panel)
    xs, ys = panel.residuals.points.getData()
    total = ev.targets.size
    assert total > RESIDUAL_PLOT_POINTS and len(xs) == RESIDUAL_PLOT_POINTS
    assert panel.residual_note.text() == f"{RESIDUAL_PLOT_POINTS:,} of {total:,} points shown (a random sample)"
    # Every plotted point is one of the evaluation's pixels: its residual at its sample.
    samples = panel.residuals.points.data["data"].astype("int64")
    residual = ev.predictions - ev.targets
    assert np.all(ys >= residual[samples].min(axis=1) - 1e-9) and np.all(ys <= residual[samples].max(axis=1) + 1e-9)
    assert panel.largest.horizontalHeaderItem(3).text() == "mean abs error"
    per_mask = np.abs(residual).mean(axis=1)
    shown = [float(panel.largest.item(r, 3).text()) for r in range(panel.largest.rowCount())]
    assert shown == pytest.approx(sorted(per_mask, reverse=True)[:len(shown)], abs=1e-4)
    panel.open_sample(ev.worst[0]["index"])
    assert "mean abs error" in panel.gallery.list.item(0).text() and len(panel.gallery.list.item(0).text()) < 200
    # Try it on a mask says what the predicted mask holds, not its 1,024 numbers.
    with qtbot.waitSignal(panel.predicted, timeout=EVAL_TIMEOUT_MS):
        panel.try_sample(ev.worst[0]["index"])
    assert "1,024 values, mean" in panel.try_result.text() and len(panel.try_result.text()) < 300
