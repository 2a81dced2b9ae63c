"""A project's trained model as the file that ships, for the CLI and the window alike: its recipe's part (a VAE's
decoder, a GAN's generator, a diffusion's denoiser, a distillation's student; the whole model when supervised),
verified on what that part takes, and the recipe's companion files beside it (a diffusion's noise schedule)."""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from builder.errors import ExportError
from builder.export.pipeline import ExportOptions, export_model
from builder.export.report import ExportReport
from builder.files import atomic_write_text, check_replaceable
from builder.project import Project


@dataclass
class ProjectExport:
    """What an export of a project's model wrote: the verified file's report, the recipe part it holds (None: the
    whole model) and the companion files written beside it, by suffix (".schedule.json" → its path)."""

    report: ExportReport
    part: str | None = None
    companions: dict[str, Path] = field(default_factory=dict)


def export_project_model(project: Project, chosen, fmt: str, output: str | Path,
                         options: ExportOptions | None = None, part: str | None = None,
                         overwrite: bool = False) -> ProjectExport:
    """Export `chosen` (a builder.training.ProjectModel of `project`) as `fmt` to `output` and verify it.

    A supervised project's model is verified on its dataset. A recipe's model exports its part `part` (default the
    recipe's default part): the dataset's targets are not a part's outputs, so it is verified on N(0, 1) inputs,
    except a distillation's student, a classifier of the dataset (verified and int8-calibrated on it). The recipe's
    companion files are checked before anything is written (an existing one is replaced only with `overwrite`)
    and written once the export has verified."""
    from builder.training import recipes, validate_settings

    output = Path(output)
    model, weights, verified_on = chosen.path or chosen.model, chosen.weights, project
    name, texts, targets = None, {}, {}
    if part or recipes.recipe_name(project.training.recipe) != recipes.SUPERVISED:
        validate_settings(project)  # the recipe is read from valid settings; a part's export_model gets no project
        model, name = chosen.part(project, part)  # a VAE: its decoder by default
        if name != "student":
            verified_on = None
        weights += f", its {name}" if name else ""
        texts = recipes.project_recipe(project).companion_files(chosen.load())
        targets = {suffix: companion_path(output, suffix, overwrite, name) for suffix in texts}
    report = export_model(model, fmt, output, project=verified_on, options=options, overwrite=overwrite,
                          weights=weights)
    for suffix, target in targets.items():
        atomic_write_text(target, texts[suffix])
    return ProjectExport(report, name, targets)


def companion_name(output: str | Path, suffix: str) -> Path:
    """The companion file with `suffix` beside the exported `output` (d.tflite → d.schedule.json)."""
    output = Path(output)
    return output.with_name((output.stem if output.suffix else output.name) + suffix)


def existing_targets(project: Project | None, output: str | Path) -> list[Path]:
    """What exporting `project`'s model to `output` would replace: the file itself and its recipe's companion files
    that exist now (the window asks once for all of them)."""
    from builder.training import recipes

    recipe = recipes.RECIPES.get(recipes.recipe_name(project.training.recipe)) if project is not None else None
    suffixes = recipe.companion_suffixes if recipe is not None else ()
    paths = [Path(output), *(companion_name(output, suffix) for suffix in suffixes)]
    return [path for path in paths if os.path.lexists(path)]


def companion_path(output: Path, suffix: str, overwrite: bool, part: str | None = None) -> Path:
    """Where a companion file goes beside the exported `output` (d.tflite → d.schedule.json), checked before
    anything is written: only a file is replaced, and only with `overwrite`."""
    path = companion_name(output, suffix)
    check_replaceable(path)
    if os.path.lexists(path) and not overwrite:
        raise ExportError(f"{path} already exists (written beside the exported {part or 'model'}); choose another "
                          "name, or pass --force to replace it.")
    return path
