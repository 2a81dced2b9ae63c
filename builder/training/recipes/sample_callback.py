"""A generative recipe's samples during training: after each epoch, a grid of samples drawn with one fixed seed is
written to the run folder (samples/epoch_003.png) and reported (TrainingCallbacks.on_samples), so the window (and
anyone reading the run folder) sees the model learn. Cheap: a few samples, the range computed once."""
from __future__ import annotations

import logging
from pathlib import Path

import numpy as np

from builder.errors import LayerboardError
from builder.files import atomic_path
from builder.training.recipes.registry import generative_recipes, recipe_name
from builder.training.recipes.sampling import image_grid

log = logging.getLogger(__name__)

SAMPLES_FOLDER = "samples"  # in the run folder
SAMPLE_COUNT = 16  # samples per grid (a 4 x 4 grid)


def draws_samples(project) -> bool:
    """Whether training the project draws a grid of samples after each epoch (its recipe generates)."""
    return recipe_name(project.training.recipe) in generative_recipes()


def samples_path(run_dir: str | Path, epoch: int) -> Path:
    """Where the grid after `epoch` (counted from 1) lies: run_dir/samples/epoch_003.png."""
    return Path(run_dir) / SAMPLES_FOLDER / f"epoch_{epoch:03d}.png"


def write_png(grid: np.ndarray, path: str | Path) -> None:
    """A uint8 image grid (height x width x 1 or 3) as a PNG file, written atomically."""
    from PIL import Image

    with atomic_path(path, ".png") as tmp:
        Image.fromarray(grid[..., 0] if grid.shape[-1] == 1 else grid).save(tmp, format="PNG")


def sample_grids(trainer, recipe, dataset) -> list:
    """The Keras callback that draws the epoch's grid (in a list), or [] where no grid is drawn: a recipe that
    cannot generate, a worker that is not the chief, a multi-worker run (drawing runs the model, a collective step
    every worker would have to join)."""
    if not recipe.can_generate or not trainer.is_chief or trainer.project.training.strategy == "multiworker":
        return []
    import keras

    class SampleGrids(keras.callbacks.Callback):
        """Draws SAMPLE_COUNT samples with the run's seed after each epoch, scaled from the range the recipe gives
        at train begin; a recipe whose samples are not images draws none (said once in the log)."""

        def __init__(self) -> None:
            super().__init__()
            self.seed = int(trainer.project.training.seed)
            self.range: tuple[float, float] | None = None
            self.drawing = True

        def on_train_begin(self, logs=None):
            try:
                self.range = recipe.sample_range(self.model, dataset)
            except Exception as exc:  # noqa: BLE001 - a picture must never stop training
                log.warning("no sample grids this run: the samples' range is unknown (%s)", exc)
                self.drawing = False

        def on_epoch_end(self, epoch, logs=None):
            if not self.drawing or trainer.failure:
                return
            try:
                samples = recipe.generate(self.model, SAMPLE_COUNT, self.seed)
                grid = image_grid(np.asarray(samples, "float32"), *self.range)
            except LayerboardError as exc:  # not image-shaped: nothing to draw, this epoch or the next
                log.info("no sample grids this run: %s", exc)
                self.drawing = False
                return
            except Exception as exc:  # noqa: BLE001
                log.warning("no sample grids this run: drawing them failed (%s)", exc)
                self.drawing = False
                return
            path = samples_path(trainer.run_dir, epoch + 1)
            try:
                write_png(grid, path)
            except (LayerboardError, OSError) as exc:
                log.warning("the sample grid %s was not written: %s", path, exc)
                return
            trainer.callbacks.on_samples(epoch + 1, str(path))

    return [SampleGrids()]
