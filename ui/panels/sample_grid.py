"""The training panel's samples: the grid a generative recipe draws after each epoch with a fixed seed (so the same
latents show the model learning), and for an autoencoder or a VAE a walk through its latent space between two
validation samples (Interpolate), computed off the GUI thread from the run's model (builder.training.run_model_file:
its model.keras once finished, its best checkpoint while it runs)."""
from __future__ import annotations

from pathlib import Path

import numpy as np
from PySide6.QtCore import Qt, Slot
from PySide6.QtGui import QImage, QPixmap
from PySide6.QtWidgets import QLabel, QPushButton, QSizePolicy, QVBoxLayout, QWidget

from ui import style
from ui.workers.background_task import BackgroundTask
from ui.workers.training_controller import snapshot

GRID_WIDTH = 280  # the most pixels the grid is drawn across (its pixels scaled up by whole steps, nearest neighbour)
WALK_STEPS = 8  # decoded steps between the two samples


def image_pixmap(pixels: np.ndarray) -> QPixmap:
    """A uint8 image (height x width x 1 or 3) as a pixmap."""
    pixels = np.ascontiguousarray(pixels if pixels.shape[-1] == 3 else pixels[..., 0], dtype="uint8")
    height, width = pixels.shape[:2]
    grey = pixels.ndim == 2
    image = QImage(pixels.data, width, height, pixels.strides[0],
                   QImage.Format.Format_Grayscale8 if grey else QImage.Format.Format_RGB888)
    return QPixmap.fromImage(image.copy())  # copy: the array's memory is not the image's


def scaled(pixmap: QPixmap, width: int, height: int | None = None) -> QPixmap:
    """The pixmap enlarged by the largest whole factor that fits `width` (and `height`), each pixel a crisp
    square."""
    factor = width // max(pixmap.width(), 1)
    if height is not None:
        factor = min(factor, height // max(pixmap.height(), 1))
    factor = max(1, factor)
    return pixmap.scaled(pixmap.width() * factor, pixmap.height() * factor, Qt.AspectRatioMode.KeepAspectRatio,
                         Qt.TransformationMode.FastTransformation)


class PixelImage(QLabel):
    """A small image drawn as large as the label allows by a whole factor, its pixels crisp squares."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.source: QPixmap | None = None  # the image as written (one pixel per sample pixel)
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)

    def set_image(self, pixmap: QPixmap | None) -> None:
        self.source = pixmap
        self._draw()

    def _draw(self) -> None:
        if self.source is None:
            self.clear()
        else:
            self.setPixmap(scaled(self.source, self.width(), max(self.height(), 1)))

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt's name
        super().resizeEvent(event)
        self._draw()


def walk_row(project, run_dir: str | None, seed: int) -> np.ndarray:
    """On a worker thread: the latent walk of the run's model (its model.keras, else its best checkpoint, else its
    last: builder.training.run_model_file), or of the newest finished run's when run_dir is None."""
    from builder.data import load_project_dataset
    from builder.training import interpolation_grid, project_model

    model = project_model(project, run_dir).load()
    return interpolation_grid(project, model, load_project_dataset(project), WALK_STEPS, seed).row()


class SampleGrid(QWidget):
    """Shown for a project whose recipe draws samples (the grid) or has a latent space (Interpolate)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.project = None
        self.run_dir: str | None = None
        self.epoch = 0
        self.draws = False
        self.interpolates = False
        self._seed = 0
        self.caption = QLabel("", self)
        self.caption.setWordWrap(True)
        self.caption.setFont(style.small_font())
        self.image = PixelImage(self)
        self.image.setMinimumSize(GRID_WIDTH, 80)
        self.image.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Ignored)
        self.interpolate_button = QPushButton("Interpolate", self)
        self.interpolate_button.setToolTip(
            f"Encode two validation samples, walk between their codes in {WALK_STEPS} steps and decode each "
            "(the run's final model; during a run, its best checkpoint so far); each click picks another pair")
        self.interpolate_button.clicked.connect(self.interpolate)
        self.walk_caption = QLabel("", self)
        self.walk_caption.setWordWrap(True)
        self.walk_caption.setFont(style.small_font())
        self.walk = QLabel(self)
        self.walk.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.task = BackgroundTask(self)
        self.task.succeeded.connect(self._on_walk)
        self.task.failed.connect(self._on_walk_failed)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(3)
        layout.addWidget(self.caption)
        layout.addWidget(self.image, 1)
        layout.addWidget(self.interpolate_button)
        layout.addWidget(self.walk)
        layout.addWidget(self.walk_caption)
        self.setFixedWidth(GRID_WIDTH + 8)
        self.setVisible(False)

    def set_project(self, project) -> None:
        """Follow `project`'s recipe: the grid for one that generates, Interpolate for an autoencoder or a VAE,
        nothing (hidden) for a supervised project."""
        from builder.training import can_interpolate, draws_samples

        if project is not self.project:  # another document: its runs are not the previous one's
            self.new_run()
            self.walk.clear()
            self.walk_caption.setText("")
            self.walk_caption.setStyleSheet("")
        self.project = project
        self.draws, self.interpolates = draws_samples(project), can_interpolate(project)
        self.image.setVisible(self.draws)
        self.interpolate_button.setVisible(self.interpolates)
        self.walk_caption.setVisible(self.interpolates)
        self.walk.setVisible(self.interpolates)
        if self.draws and not self.epoch:
            self.caption.setText("Samples appear here after each epoch of training, drawn with a fixed seed.")
        elif not self.draws:
            self.caption.setText("Walk between two validation samples in the trained model's latent space.")
        self.setVisible(self.draws or self.interpolates)

    def new_run(self, run_dir: str | None = None) -> None:
        """A run begins: the previous run's grid goes."""
        self.run_dir, self.epoch = run_dir, 0
        self.image.set_image(None)
        self.image.setToolTip("")
        if self.draws:
            self.caption.setText("Samples appear here after the first epoch (fixed seed).")

    @Slot(int, str)
    def show_samples(self, epoch: int, path: str) -> None:
        """The grid written after `epoch` epochs."""
        pixmap = QPixmap(path)
        if pixmap.isNull():
            return  # a file that could not be read: keep the last grid
        self.epoch = epoch
        if self.run_dir is None:
            self.run_dir = str(Path(path).parent.parent)
        self.image.set_image(pixmap)
        self.image.setToolTip(path)
        self.caption.setText(f"Samples after epoch {epoch} (fixed seed)")

    @Slot()
    def interpolate(self) -> None:
        if self.project is None or self.task.running:
            return
        project, run_dir, seed = snapshot(self.project), self.run_dir, self._seed
        self._seed += 1
        self.interpolate_button.setEnabled(False)
        self.walk_caption.setText("Interpolating…")
        self.task.start(lambda: walk_row(project, run_dir, seed), name="interpolation")

    @Slot(object)
    def _on_walk(self, row: np.ndarray) -> None:
        self.interpolate_button.setEnabled(True)
        self.walk.setPixmap(scaled(image_pixmap(row), GRID_WIDTH))
        self.walk_caption.setStyleSheet("")
        self.walk_caption.setText("Two validation samples at the ends; between them, their codes mixed and decoded")

    @Slot(str)
    def _on_walk_failed(self, message: str) -> None:
        self.interpolate_button.setEnabled(True)
        self.walk.clear()
        self.walk_caption.setStyleSheet(style.text_style(style.ERROR))
        self.walk_caption.setText(message)

    def wait(self) -> None:
        """Block until an interpolation under way has ended (the window is closing)."""
        self.task.wait()
