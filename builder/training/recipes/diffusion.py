"""The diffusion recipe (being built): a denoiser graph with a time-step input, DDPM training, DDIM sampling."""
from __future__ import annotations

from builder.training.recipes.recipe import Recipe


class DiffusionRecipe(Recipe):
    name = "diffusion"
    can_generate = True
    default_part = "denoiser"
