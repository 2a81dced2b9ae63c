"""The recipes by name, and a project's recipe with its problems."""
from __future__ import annotations

from typing import Any

from builder.project import shown
from builder.training.recipes.autoencoder import AutoencoderRecipe
from builder.training.recipes.diffusion import DiffusionRecipe
from builder.training.recipes.distillation import DistillationRecipe
from builder.training.recipes.gan import GanRecipe
from builder.training.recipes.recipe import Recipe
from builder.training.recipes.vae import VaeRecipe

SUPERVISED = "supervised"
RECIPES: dict[str, type[Recipe]] = {SUPERVISED: Recipe, "autoencoder": AutoencoderRecipe, "vae": VaeRecipe,
                                    "gan": GanRecipe, "diffusion": DiffusionRecipe,
                                    "distillation": DistillationRecipe}


def recipe_node_settings(spec: Any) -> list[str]:
    """The keys of a `training.recipe` value that hold node ids (renaming a node renames them); [] for supervised or
    an unknown recipe."""
    recipe = RECIPES.get(recipe_name(spec))
    return [s.name for s in recipe.settings if s.node] if recipe else []


def generative_recipes() -> list[str]:
    """The names of the recipes that can generate new samples (`sample`, the training panel's sample grid)."""
    return [name for name, recipe in RECIPES.items() if recipe.can_generate]


def recipe_name(spec: Any) -> str:
    """The recipe a `training.recipe` value names (supervised for null)."""
    if isinstance(spec, dict):
        return str(spec.get("name", SUPERVISED))
    return SUPERVISED


def project_recipe(project) -> Recipe:
    """The recipe of a project whose settings are valid (see recipe_problems)."""
    spec = project.training.recipe
    recipe = RECIPES[recipe_name(spec)](spec if isinstance(spec, dict) else None)
    recipe.folder = project.folder()  # where a file the recipe names lies (a distillation's teacher)
    return recipe


def spec_problems(spec: Any, graph) -> list[str]:
    """Problems of a `training.recipe` value that need no shapes (no Keras): its form, name, keys and node ids."""
    if spec is None:
        return []
    if not isinstance(spec, dict):
        return [f'training.recipe: must be null (supervised) or {{"name": "vae", ...}}; got {shown(spec)}']
    name = spec.get("name")
    if name not in RECIPES:
        return [f"training.recipe.name: must be one of {', '.join(RECIPES)}; got {shown(name)}"]
    return RECIPES[name].spec_problems(spec, graph)


def recipe_problems(project) -> list[str]:
    """Every problem of the project's recipe: its spec, then (when the graph's shapes are known) each node that
    does not fit it, e.g. "training.recipe: node 'latent': ..."."""
    problems = spec_problems(project.training.recipe, project.graph)
    if problems or recipe_name(project.training.recipe) == SUPERVISED:
        return problems
    from builder.model import infer_shapes

    report = infer_shapes(project.graph, project.folder())
    if not report.valid:
        return []  # the graph's own problems are reported by the graph check
    return [f"training.recipe: {line}" for line in project_recipe(project).graph_problems(project.graph, report)]


def register_keras_objects() -> None:
    """Register the recipes' Keras classes (a VAE model) so saved models load; imports Keras."""
    from builder.training.recipes import diffusion_model, distillation_model, gan_model, vae_model  # noqa: F401

