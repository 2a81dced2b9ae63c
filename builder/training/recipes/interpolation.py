"""A walk through an autoencoder's or a VAE's latent space: two validation samples are encoded (a VAE's latent
mean, an autoencoder's bottleneck), the codes are mixed linearly in `steps` steps, and each mix is decoded. The
row shows the first original, the decoded walk (its ends are the two reconstructions), then the second original.

A VAE's decoder is its own part; an autoencoder's decoder is the trained model from its bottleneck on, which
exists only when the layers after the bottleneck read nothing of the encoder's but the bottleneck.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from builder.errors import LayerboardError
from builder.training.recipes.recipe import held_out, reaching
from builder.training.recipes.registry import project_recipe, recipe_name
from builder.training.recipes.sampling import image_grid

INTERPOLATING_RECIPES = ("autoencoder", "vae")
ORIGINAL_GAP = 3  # pixels between an original and the walk (1 between the walk's own steps)


@dataclass
class Interpolation:
    """Two samples, the walk between their codes, and the range the images' values take."""

    indices: tuple[int, int]  # the two samples' rows in the split they come from
    originals: np.ndarray  # the two samples as the model reconstructs them (a VAE's target: after its Rescaling)
    images: np.ndarray  # `steps` decoded codes; the first and last reconstruct the two samples
    low: float
    high: float

    def row(self, zoom: int = 1) -> np.ndarray:
        """original · walk · original as one uint8 image (height x width x channels)."""
        first, last = (image_grid(self.originals[i:i + 1], self.low, self.high) for i in (0, 1))
        walk = image_grid_row(self.images, self.low, self.high)
        gap = np.full((first.shape[0], ORIGINAL_GAP, first.shape[2]), 128, "uint8")
        row = np.concatenate([first, gap, walk, gap, last], axis=1)
        return row.repeat(zoom, axis=0).repeat(zoom, axis=1)


def image_grid_row(images: np.ndarray, low: float, high: float) -> np.ndarray:
    """The images side by side in one row, 1 grey pixel between them."""
    tiles = [image_grid(images[i:i + 1], low, high) for i in range(len(images))]
    gap = np.full((tiles[0].shape[0], 1, tiles[0].shape[2]), 128, "uint8")
    parts = [part for tile in tiles for part in (tile, gap)][:-1]
    return np.concatenate(parts, axis=1)


def can_interpolate(project) -> bool:
    """Whether the project's recipe has a latent space to walk (an autoencoder, a VAE)."""
    return recipe_name(project.training.recipe) in INTERPOLATING_RECIPES


def refuse_interpolation(project) -> None:
    """A LayerboardError, saying which recipes interpolate, for a project whose recipe has no latent space."""
    if not can_interpolate(project):
        recipe = project_recipe(project)
        raise LayerboardError(f"{project.path or project.name} trains with the {recipe.name} recipe, which has no "
                              f"latent space to walk: interpolation needs the {' or '.join(INTERPOLATING_RECIPES)} "
                              "recipe.")


def interpolation_grid(project, model, dataset, steps: int, seed: int = 0,
                       indices: tuple[int, int] | None = None) -> Interpolation:
    """Walk between two validation samples (picked with `seed`, or the rows `indices`) in `steps` steps; a
    LayerboardError for a recipe without a latent space, or an autoencoder whose decoder reads across its
    bottleneck."""
    refuse_interpolation(project)
    recipe = project_recipe(project)
    if isinstance(steps, bool) or not isinstance(steps, int) or steps < 2:
        raise LayerboardError(f"An interpolation needs at least 2 steps; got {steps!r}.")
    x = held_out(dataset)[0]
    if len(x) < 2:
        raise LayerboardError("An interpolation needs two samples; the dataset has fewer.")
    if indices is None:
        indices = tuple(int(i) for i in np.random.default_rng(seed).choice(len(x), 2, replace=False))
    elif any(not 0 <= i < len(x) for i in indices):
        raise LayerboardError(f"Samples {indices} are not rows of the split (it has {len(x)}).")
    pair = np.asarray(x[list(indices)], "float32")
    if recipe.name == "vae":
        parts = recipe.parts(model)
        mean, _, originals = parts["encoder"].predict(pair, verbose=0)
        decode = parts["decoder"]
    else:
        decode = autoencoder_decoder(project, recipe, model)
        mean, originals = recipe.parts(model)["encoder"].predict(pair, verbose=0), pair
    mixes = np.linspace(0.0, 1.0, steps, dtype="float32").reshape((steps,) + (1,) * (mean.ndim - 1))
    codes = (1.0 - mixes) * mean[0:1] + mixes * mean[1:2]
    images = np.asarray(decode.predict(codes, verbose=0), "float32")
    low, high = recipe.sample_range(model, dataset)
    return Interpolation(indices, np.asarray(originals, "float32"), images, low, high)


def autoencoder_decoder(project, recipe, model):
    """The trained autoencoder from its bottleneck to its reconstruction, as a keras.Model that takes a code; a
    LayerboardError naming the node after the bottleneck that also reads the encoder (a skip connection)."""
    import keras

    graph, bottleneck = project.graph, recipe["bottleneck"]
    encoder = set(reaching(graph, [bottleneck]))
    for node in graph.nodes:
        if node in encoder:
            continue
        for edge in graph.incoming(node):
            if edge.source in encoder and edge.source != bottleneck:
                raise LayerboardError(
                    f"node '{node}': it reads '{edge.source}' of the encoder besides the bottleneck "
                    f"'{bottleneck}', so the decoder cannot run from a code alone and there is nothing to "
                    "interpolate; remove that connection to walk the latent space.")
    code = model.get_layer(bottleneck).output
    try:
        return keras.Model(code, model.outputs[0], name="decoder")
    except ValueError as exc:  # the graph reaches the output another way (a layer Keras sees but the graph does not)
        raise LayerboardError(f"node '{bottleneck}': the reconstruction is not computed from the bottleneck alone "
                              f"({exc}); there is nothing to interpolate.") from None
