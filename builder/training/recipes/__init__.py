"""Training recipes: how a project's graph is trained. `training.recipe` is null (supervised: the graph's outputs
against the dataset's targets, as compiled from training.loss) or {"name": "autoencoder" | "vae" | "gan" | "diffusion" |
"distillation", its settings}.

A recipe checks the graph against its settings (per-node messages), builds the trainable model, and names its
parts (an autoencoder's encoder, a VAE's decoder, the part that generates; a distillation's student). Importing
this package does not import Keras; building does.
"""
from __future__ import annotations

from builder.training.recipes.interpolation import (
    Interpolation, can_interpolate, interpolation_grid, refuse_interpolation,
)
from builder.training.recipes.node_problems import NodeProblems, node_problems, recipe_node_problems
from builder.training.recipes.parts import generator, model_part
from builder.training.recipes.recipe import Recipe, RecipeSetting
from builder.training.recipes.registry import (
    RECIPES, SUPERVISED, generative_recipes, project_recipe, recipe_name, recipe_node_settings, recipe_problems,
    register_keras_objects, spec_problems,
)
from builder.training.recipes.sample_callback import draws_samples, samples_path, write_png
from builder.training.recipes.sampling import decode_latents, image_grid, value_range

__all__ = [
    "RECIPES", "SUPERVISED", "Recipe", "RecipeSetting", "generative_recipes", "project_recipe", "recipe_name",
    "recipe_node_settings", "register_keras_objects",
    # checking a project against its recipe (per node, for the canvas)
    "NodeProblems", "node_problems", "recipe_node_problems", "recipe_problems", "spec_problems",
    # a recipe's parts, new samples, their picture, the grid drawn each epoch, and latent walks
    "decode_latents", "draws_samples", "generator", "image_grid", "model_part", "samples_path", "value_range",
    "write_png", "Interpolation", "can_interpolate", "interpolation_grid", "refuse_interpolation",
]
