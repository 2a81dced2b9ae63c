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
