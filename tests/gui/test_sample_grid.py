"""The training panel beside its loss curves: the grid of samples a VAE run draws after each epoch (fixed seed),
relayed from the training process by the controller's samplesReady; Interpolate walks the trained VAE's latent
space off the GUI thread; a supervised project shows none of it."""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from builder.project import save_project
from recipe_projects import vae_project
from ui.document.document import Document
from ui.panels.training_panel import TrainingPanel
from ui.workers.training_controller import TrainingController

TRAIN_TIMEOUT_MS = 120_000


def test_a_vae_run_shows_its_samples_each_epoch_and_interpolates_and_a_supervised_project_hides_them(qtbot, tmp_path,
                                                                                                    monkeypatch):
    monkeypatch.setenv("LAYERBOARD_TRAINING_NICE", "0")  # the child loads Keras at the test's own priority
    save_project(vae_project(), tmp_path / "vae.json")
    document = Document.from_file(tmp_path / "vae.json")
    controller = TrainingController()
    panel = TrainingPanel(controller)
    qtbot.addWidget(panel)
    panel.resize(1400, 320)
    panel.show()
    qtbot.waitExposed(panel)
    panel.set_engine_ready()
    panel.set_document(document)
    grid = panel.sample_grid
    assert grid.isVisible() and grid.image.pixmap().isNull() and grid.interpolate_button.isVisible()
    assert grid.geometry().left() >= panel.plots.geometry().right()  # beside the loss curves
    grids = []
    controller.samplesReady.connect(lambda epoch, path: grids.append((epoch, path)))
    try:
        with qtbot.waitSignal(controller.finished, timeout=TRAIN_TIMEOUT_MS) as finished:
            controller.start(document.project, epochs=2)
        run_dir = finished.args[0].run_dir
        assert grids == [(1, str(run_dir / "samples" / "epoch_001.png")), (2, str(run_dir / "samples" / "epoch_002.png"))]
        shown = grid.image.pixmap()
        assert not shown.isNull() and shown.width() >= 4 * 35 and shown.width() % 35 == 0  # whole-pixel zoom of 35 px
        assert grid.caption.text() == "Samples after epoch 2 (fixed seed)"

        QTest.mouseClick(grid.interpolate_button, Qt.MouseButton.LeftButton)
        assert not grid.interpolate_button.isEnabled()
        qtbot.waitUntil(lambda: grid.interpolate_button.isEnabled(), timeout=60_000)
        assert not grid.walk.pixmap().isNull(), grid.walk_caption.text()
        assert grid.walk.pixmap().width() % (8 * 10 + 7 + 6) == 0  # two originals, 8 steps, gaps

        supervised = Document.from_template("digits_cnn")
        panel.set_document(supervised)
        assert not grid.isVisible()
        supervised.close()
    finally:
        controller.shutdown()
        document.close()


def test_another_document_clears_the_previous_grid_and_interpolate_names_the_model_it_uses(qtbot, tmp_path):
    from PySide6.QtGui import QImage

    from ui.panels.sample_grid import SampleGrid

    grid = SampleGrid()
    qtbot.addWidget(grid)
    first = vae_project()
    grid.set_project(first)
    picture = QImage(17, 17, QImage.Format.Format_Grayscale8)
    picture.fill(200)
    path = tmp_path / "runs" / "r" / "samples" / "epoch_003.png"
    path.parent.mkdir(parents=True)
    assert picture.save(str(path))
    grid.show_samples(3, str(path))
    assert not grid.image.pixmap().isNull() and grid.caption.text() == "Samples after epoch 3 (fixed seed)"
    grid.walk_caption.setText("Two validation samples at the ends")
    grid.set_project(first)  # a setting of the same document changed: its grid stays
    assert not grid.image.pixmap().isNull() and grid.run_dir == str(tmp_path / "runs" / "r")

    grid.set_project(vae_project())  # another document
    assert grid.image.pixmap().isNull() and grid.image.toolTip() == "" and grid.run_dir is None
    assert "epoch 3" not in grid.caption.text() and grid.walk_caption.text() == ""
    tip = grid.interpolate_button.toolTip()  # builder.training.run_model_file: a running run's best checkpoint
    assert "latest checkpoint" not in tip and "best checkpoint" in tip
