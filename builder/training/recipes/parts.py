"""A trained recipe model's parts: which one `export` writes (a VAE's decoder by default, `--part encoder` an
autoencoder's encoder) and the generating part `sample` draws from."""
from __future__ import annotations

from builder.errors import LayerboardError
from builder.training.recipes.registry import generative_recipes, project_recipe


def model_part(project, model, part: str | None = None):
    """(the keras.Model to export, the part's name or None for the whole model). `part` None: the recipe's default
    (a VAE's decoder; the whole model otherwise)."""
    recipe = project_recipe(project)
    name = part or recipe.default_part
    if name is None:
        return model, None
    parts = recipe.parts(model)
    if name not in parts:
        have = ", ".join(parts) if parts else "none"
        raise LayerboardError(f"{project.path or project.name}: its {recipe.name} recipe's model has no part "
                              f"'{name}' (its parts: {have}); leave out --part to export "
                              f"{'its ' + recipe.default_part if recipe.default_part else 'the whole model'}.")
    return parts[name], name


def generator(project, model):
    """The keras.Model that turns latent vectors into samples; LayerboardError for a recipe that cannot generate."""
    recipe = project_recipe(project)
    if not recipe.can_generate:
        raise LayerboardError(
            f"{project.path or project.name} trains with the {recipe.name} recipe, which cannot generate samples: "
            f"`sample` draws from a generative recipe ({', '.join(generative_recipes())}).")
    return recipe.generator(model)
