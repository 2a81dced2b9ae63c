"""A generative recipe's run draws a grid of samples after every epoch (run_dir/samples/epoch_NNN.png), with one
fixed seed, and reports each through TrainingCallbacks.on_samples; a recipe that cannot generate draws none."""
from __future__ import annotations

import numpy as np
from PIL import Image

from builder.training import Trainer, TrainingCallbacks
from builder.training.recipes import image_grid, project_recipe, register_keras_objects
from builder.training.recipes.sample_callback import SAMPLE_COUNT, samples_path
from builder.training.trained_model import load_model
from recipe_projects import autoencoder_project, small, vae_project


class Grids(TrainingCallbacks):
    def __init__(self) -> None:
        self.grids: list[tuple[int, str]] = []

    def on_samples(self, epoch: int, path: str) -> None:
        self.grids.append((epoch, path))


def test_a_vae_run_writes_one_grid_per_epoch_from_a_fixed_seed_and_reports_it(tmp_path):
    project = vae_project()
    grids = Grids()
    result = Trainer(project, run_dir=tmp_path / "run", callbacks=grids, epochs=2, dataset=small(project)).run()

    first, second = samples_path(result.run_dir, 1), samples_path(result.run_dir, 2)
    assert first == result.run_dir / "samples" / "epoch_001.png"
    assert grids.grids == [(1, str(first)), (2, str(second))]
    images = [Image.open(path) for path in (first, second)]
    side = 4 * 8 + 3  # SAMPLE_COUNT tiles of 8 x 8 in a 4 x 4 grid, one grey pixel between them
    assert SAMPLE_COUNT == 16 and all(image.size == (side, side) and image.mode == "L" for image in images)
    pixels = [np.asarray(image, "int16") for image in images]
    assert all(p.max() > p.min() for p in pixels)  # decoded digits, not a blank tile
    assert np.abs(pixels[1] - pixels[0]).mean() > 0.5  # the model learnt between the two epochs
    assert sorted(p.name for p in (result.run_dir / "samples").iterdir()) == ["epoch_001.png", "epoch_002.png"]

    # the seed is fixed: the trained model draws grid 2 again from the run's seed
    recipe = project_recipe(project)
    register_keras_objects()
    model = load_model(result.model_path)
    again = image_grid(recipe.generate(model, SAMPLE_COUNT, project.training.seed),
                       *recipe.sample_range(model, small(project)))
    assert np.abs(again[..., 0].astype("int16") - pixels[1]).max() <= 1


def test_a_recipe_that_cannot_generate_draws_no_grid(tmp_path):
    project = autoencoder_project()
    grids = Grids()
    result = Trainer(project, run_dir=tmp_path / "run", callbacks=grids, epochs=1, dataset=small(project)).run()
    assert grids.grids == [] and not (result.run_dir / "samples").exists()
