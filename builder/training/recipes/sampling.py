"""New samples from a generative recipe (each recipe says how it generates: a VAE decodes latent vectors drawn from
N(0, 1)), tiled into one image grid whose values are scaled to 0..255 from the range the recipe says its samples
take (a VAE's reconstruction target over validation samples: 0..1 after a Rescaling, 0..16 for raw digits)."""
from __future__ import annotations

import math

import numpy as np

from builder.errors import LayerboardError
from builder.training.recipes.registry import project_recipe
from builder.training.recipes.parts import generator

def decode_latents(project, model, count: int, seed: int, steps: int | None = None) -> np.ndarray:
    """`count` new samples from the project's generative recipe, drawn with `seed` (the same seed, the same
    samples); `steps` sets a diffusion model's sampling steps. LayerboardError for a recipe that cannot generate,
    or `steps` for a recipe that takes none."""
    recipe = project_recipe(project)
    if steps is not None and not recipe.takes_steps:
        raise LayerboardError(f"--steps sets a diffusion model's sampling steps; the {recipe.name} recipe draws "
                              "its samples in one pass: leave it out.")
    generator(project, model)  # refuses a recipe that cannot generate, saying which can
    if steps is None:
        return recipe.generate(model, count, seed)
    return recipe.generate(model, count, seed, steps=steps)


def value_range(project, model, dataset) -> tuple[float, float]:
    """The lowest and highest value a generated sample should take (e.g. what a VAE's decoder reconstructs)."""
    return project_recipe(project).sample_range(model, dataset)


def image_grid(samples: np.ndarray, low: float, high: float, zoom: int = 1, gap: int = 1) -> np.ndarray:
    """The samples tiled in a near-square grid (uint8, height x width x 1 or 3), each value scaled from low..high,
    `gap` mid-grey pixels between tiles (before the zoom) so that neighbouring samples do not run into one another."""
    if samples.ndim == 3:
        samples = samples[..., None]
    if samples.ndim != 4 or samples.shape[-1] not in (1, 3):
        raise LayerboardError(f"sample writes images, but the generated samples have shape {samples.shape[1:]} "
                              "each (an image is height x width, with 1 or 3 channels).")
    count, height, width, channels = samples.shape
    columns = math.ceil(math.sqrt(count))
    rows = math.ceil(count / columns)
    pixels = np.clip((samples - low) / (high - low), 0.0, 1.0) * 255.0
    grid = np.full((rows * height + (rows - 1) * gap, columns * width + (columns - 1) * gap, channels), 128, "uint8")
    for i, image in enumerate(pixels.round().astype("uint8")):
        r, c = divmod(i, columns)
        top, left = r * (height + gap), c * (width + gap)
        grid[top:top + height, left:left + width] = image
    return grid.repeat(zoom, axis=0).repeat(zoom, axis=1)
