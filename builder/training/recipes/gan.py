"""The GAN recipe (being built): a generator (from a noise Input) and a discriminator drawn in one project graph,
trained by alternating their updates (see gan_model)."""
from __future__ import annotations

from builder.training.recipes.recipe import Recipe


class GanRecipe(Recipe):
    name = "gan"
    can_generate = True
    default_part = "generator"
