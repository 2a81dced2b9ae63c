"""The evaluation panel: a run trained in the window evaluated off the GUI thread, its confusion matrix as the engine
computes it, a click on a cell opening exactly that cell's samples, Try it on a sample and on a file, a regression
run's residual plot, and errors shown in the panel."""
from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QDropEvent
from PySide6.QtTest import QTest

EVAL_TIMEOUT_MS = 120_000


def train_in_window(window, qtbot, epochs: int = 1):
    with qtbot.waitSignal(window.training.finished, timeout=EVAL_TIMEOUT_MS) as finished:
        window.training_actions.train(epochs)
    return finished.args[0]


def show_and_wait(panel, qtbot, run_dir: str):
    with qtbot.waitSignal(panel.evaluated, timeout=EVAL_TIMEOUT_MS) as evaluated:
        panel.show_run(run_dir)
        assert panel.busy.isVisible() and not panel.evaluate_button.isEnabled()  # busy, off the GUI thread
    return evaluated.args[0]


def click_cell(view, true_class: int, predicted_class: int) -> None:
    """A real left click on the heat map at the cell's centre, through the view's scene."""
    point = view.cell_centre(true_class, predicted_class)
    QTest.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier,
                     QPoint(round(point.x()), round(point.y())))


@pytest.fixture
def evaluated_digits(ready_window, qtbot):
    """The digits template trained one epoch in the window and evaluated in the panel: (window, result, ev)."""
    window = ready_window
    result = train_in_window(window, qtbot)
    panel = window.evaluation_panel
    ev = show_and_wait(panel, qtbot, str(result.run_dir))
    return window, result, ev


def test_confusion_matrix_cells_open_exactly_their_samples(evaluated_digits, qtbot):
    from builder.training import evaluate, samples_in_cell

    window, result, ev = evaluated_digits
    panel = window.evaluation_panel
    engine = evaluate(window.document.project, result.model_path, split="validation")
    assert ev.split == "validation" and ev.confusion_matrix == engine.confusion_matrix
    shown = panel.confusion.matrix
    assert shown.tolist() == engine.confusion_matrix
    assert panel.stack.currentWidget() is panel.classification_page
    assert panel.run_box.currentData() == str(result.run_dir)
    assert f"accuracy <b>{engine.accuracy:.4f}</b>" in panel.metrics.text()
    # Every non-zero count is written in its cell.
    assert sorted(int(label.toPlainText()) for label in panel.confusion.labels) == sorted(
        v for row in engine.confusion_matrix for v in row if v)
    # Per-class table and worst samples as the engine gives them.
    assert panel.per_class.rowCount() == 10
    assert panel.per_class.item(3, 0).text() == "3"
    assert float(panel.per_class.item(3, 2).text()) == pytest.approx(engine.per_class[3]["recall"], abs=1e-3)
    assert [int(panel.worst.item(r, 0).text()) for r in range(panel.worst.rowCount())] == \
        [w["index"] for w in engine.worst]

    matrix = np.array(engine.confusion_matrix)
    off = np.argwhere((matrix > 0) & ~np.eye(10, dtype=bool))
    cells = [tuple(int(v) for v in off[0])] if len(off) else []
    cells.append((int(np.argmax(np.diag(matrix))),) * 2)
    qtbot.waitUntil(lambda: panel.confusion.isVisible())  # show_run raised the panel's dock
    for t, p in cells:
        click_cell(panel.confusion, t, p)
        assert panel.gallery.isVisible()
        assert panel.gallery.list.count() == matrix[t, p]
        assert panel.gallery.indices == samples_in_cell(engine, t, p)
        assert f"True {t}, predicted {p}" in panel.gallery.title.text()
        first = panel.gallery.list.item(0)
        assert not first.icon().isNull()  # digits are drawn as pictures
    panel.open_cell(0, 0)  # the slot a click calls gives the same samples
    assert panel.gallery.list.count() == matrix[0, 0]


def test_try_it_on_a_sample_and_a_file(evaluated_digits, qtbot, tmp_path):
    window, result, ev = evaluated_digits
    panel = window.evaluation_panel
    with qtbot.waitSignal(panel.predicted, timeout=EVAL_TIMEOUT_MS) as predicted:
        panel.sample_box.setValue(7)
        panel.sample_button.click()
    row = predicted.args[0]
    assert len(row["probabilities"]) == 10 and row["index"] == 7
    assert panel.chart.values == pytest.approx(row["probabilities"])
    assert panel.chart.values == pytest.approx(ev.probabilities[7].tolist(), abs=1e-5)
    assert sum(panel.chart.values) == pytest.approx(1.0, abs=1e-4)
    assert f"predicted: <b>{row['prediction']}</b>" in panel.try_result.text()
    assert panel.try_input.pixmap() is not None and not panel.try_input.pixmap().isNull()

    # A .npy file dropped on the panel is predicted the same way.
    from builder.data import load_project_dataset

    data = load_project_dataset(window.document.project)
    path = tmp_path / "sample.npy"
    np.save(path, data.x_val[7])
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path))])
    drop = QDropEvent(QPointF(20, 20), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                      Qt.KeyboardModifier.NoModifier)
    with qtbot.waitSignal(panel.predicted, timeout=EVAL_TIMEOUT_MS) as dropped:
        panel.dropEvent(drop)
    assert dropped.args[0]["input"] == str(path)
    assert dropped.args[0]["probabilities"] == pytest.approx(row["probabilities"], abs=1e-5)
    assert "sample.npy" in panel.try_result.text()

    # A file the model cannot take: the reason in the panel, the panel usable again.
    bad = tmp_path / "bad.npy"
    np.save(bad, np.zeros((3, 3)))
    with qtbot.waitSignal(panel.failed, timeout=EVAL_TIMEOUT_MS) as failed:
        panel.try_file(str(bad))
    assert "expects one sample of shape (8, 8, 1)" in failed.args[0]
    assert "expects one sample" in panel.status.text() and panel.evaluate_button.isEnabled()


def test_regression_run_shows_residuals_and_largest_errors(ready_window, qtbot, tmp_path, sine_project):
    from builder.training import Trainer, residual_points
    from ui.document import Document

    project = sine_project()
    window = ready_window
    window.set_document(Document(project, window))
    result = Trainer(project, run_dir=tmp_path / "sine_run").run()
    panel = window.evaluation_panel
    ev = show_and_wait(panel, qtbot, str(result.run_dir))
    assert ev.task == "regression"
    assert panel.stack.currentWidget() is panel.regression_page
    xs, ys = panel.residuals.points.getData()
    _, target, residual = residual_points(ev)
    assert len(xs) == ev.samples and np.allclose(ys, residual) and np.allclose(xs, target + residual)
    assert panel.largest.rowCount() == len(ev.worst)
    assert float(panel.largest.item(0, 3).text()) == pytest.approx(ev.worst[0]["abs_error"], abs=1e-4)
    assert "MAE" in panel.metrics.text()
    panel.open_sample(ev.worst[0]["index"])
    assert panel.gallery.list.count() == 1 and panel.gallery.indices == [ev.worst[0]["index"]]
    with qtbot.waitSignal(panel.predicted, timeout=EVAL_TIMEOUT_MS) as predicted:
        panel.try_sample(0)
    assert predicted.args[0]["confidence"] is None and panel.chart.isHidden()
    assert "prediction: <b>" in panel.try_result.text()
    # A split the dataset does not have: the engine's reason, shown in the panel.
    panel.split_box.setCurrentIndex(panel.split_box.findData("test"))
    with qtbot.waitSignal(panel.failed, timeout=EVAL_TIMEOUT_MS):
        panel.evaluate_button.click()
    assert "The test split of 'sine' is empty" in panel.status.text()
    assert panel.evaluate_button.isEnabled() and panel.evaluation is ev  # the last results stay


def test_a_project_without_runs_says_to_train_first(ready_window, tmp_path):
    from builder.project import load_template
    from ui.document import Document

    project = load_template("digits_cnn")
    project.path = tmp_path / "fresh.json"  # its runs folder, beside it, is empty
    window = ready_window
    window.set_document(Document(project, window))
    panel = window.evaluation_panel
    assert panel.run_box.count() == 0 and not panel.evaluate_button.isEnabled()
    panel.evaluate()
    assert "no trained run yet" in panel.status.text() and not panel.task.running


def test_samples_are_drawn_by_their_kind(qtbot):
    from ui.panels.evaluation_gallery import IMAGE, SIGNAL, TEXT, SampleGallery, sample_kind, sample_pixmap

    rgb = np.random.default_rng(0).integers(0, 256, (32, 32, 3)).astype("uint8")
    cases = {IMAGE: [np.zeros((8, 8, 1), "float32"), rgb, np.ones((28, 28), "float32")],
             SIGNAL: [np.zeros((40, 1), "float32"), np.sin(np.arange(64, dtype="float32"))],
             TEXT: [np.array([5.1, 3.5, 1.4, 0.2], "float32"), np.arange(20)]}  # a table row, token ids
    for kind, samples in cases.items():
        for sample in samples:
            assert sample_kind(sample) == kind, sample.shape
            pixmap = sample_pixmap(sample)
            assert (pixmap is None) == (kind == TEXT)
    assert sample_pixmap(np.zeros((8, 8, 1), "float32")).deviceIndependentSize().height() == 72  # small images grow by whole pixels
    gallery = SampleGallery()
    qtbot.addWidget(gallery)
    gallery.show_samples("Iris rows", [4, 9], np.array(cases[TEXT][:1] * 2), ["setosa", "setosa"])
    assert gallery.list.count() == 2 and "5.1, 3.5, 1.4, 0.2" in gallery.list.item(0).text()
    assert gallery.list.item(1).icon().isNull()
