"""New samples from a generative recipe's decoder: latent vectors drawn from N(0, 1) (seeded) decoded into one
image grid, its values scaled to 0..255 from the range the decoder learnt to reproduce (the reconstruction target
over validation samples: 0..1 after a Rescaling, 0..16 for raw digits)."""
from __future__ import annotations

import math

import numpy as np

from builder.errors import LayerboardError
from builder.training.recipes.registry import project_recipe
from builder.training.recipes.parts import generator

RANGE_SAMPLES = 256  # validation samples whose reconstruction target gives the value range


def decode_latents(project, model, count: int, seed: int) -> np.ndarray:
    """`count` samples from the generating part, for latent vectors from N(0, 1) drawn with `seed`."""
    decoder = generator(project, model)
    shape = tuple(decoder.inputs[0].shape[1:])
    latents = np.random.default_rng(seed).standard_normal((count, *shape)).astype("float32")
    return np.asarray(decoder.predict(latents, verbose=0), dtype="float32")


def value_range(project, model, dataset) -> tuple[float, float]:
    """The lowest and highest value of what the decoder reconstructs (the encoder's target output)."""
    recipe = project_recipe(project)
    x = dataset.x_val if dataset.x_val is not None and len(dataset.x_val) else dataset.x_train
    parts = recipe.parts(model)
    target = parts["encoder"].predict(np.asarray(x[:RANGE_SAMPLES], "float32"), verbose=0)[-1]
    low, high = float(np.min(target)), float(np.max(target))
    return (low, high) if high > low else (low, low + 1.0)


def image_grid(samples: np.ndarray, low: float, high: float, zoom: int = 1, gap: int = 1) -> np.ndarray:
    """The samples tiled in a near-square grid (uint8, height x width x 1 or 3), each value scaled from low..high,
    `gap` mid-grey pixels between tiles (before the zoom) so that neighbouring samples do not run into one another."""
    if samples.ndim == 3:
        samples = samples[..., None]
    if samples.ndim != 4 or samples.shape[-1] not in (1, 3):
        raise LayerboardError(f"sample writes images, but the decoder's output has shape {samples.shape[1:]} per "
                              "sample (an image is height x width, with 1 or 3 channels).")
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
