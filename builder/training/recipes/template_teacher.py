"""A teacher that ships as a template: a distillation's `teacher` may be "template:NAME" (a gallery template, such
as "template:digits_cnn"), so a distillation project trains out of the box without a model file beside it.

The template is trained once, its full epochs, by the Trainer before the distillation starts (the recipe asks for
it through `prerequisites`; the recipes never import the Trainer), and its model is kept in the user data folder
under a name that holds a hash of the template file, so an edited template trains a new teacher. Checking a
student against a template teacher needs no Keras: the template's graph gives the input shape and class count.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from builder.errors import LayerboardError
from builder.project import TEMPLATES_DIR, Project, load_template, template_path, user_data_dir

PREFIX = "template:"
TEACHERS_FOLDER = "teachers"


@dataclass(frozen=True)
class Prerequisite:
    """A model a recipe needs trained before it starts: train `project` (its full epochs), keep its model at
    `model_path`."""

    project: Project
    model_path: Path
    why: str  # in words, for the run's log


def template_name(teacher: str) -> str | None:
    """The template a `teacher` value names ("template:digits_cnn" → "digits_cnn"), else None."""
    return teacher[len(PREFIX):] if isinstance(teacher, str) and teacher.startswith(PREFIX) else None


def template_problem(name: str) -> str | None:
    """Why `name` is not a shipped template (None when it is). Cheap (file names only): the canvas asks on every
    edit."""
    names = sorted(path.stem for path in TEMPLATES_DIR.glob("*.json"))
    if name not in names:
        return f"no template named {name!r} (templates: {', '.join(names)})"
    return None


def cached_teacher(name: str) -> Path:
    """Where the template's trained model is kept (it may not exist yet)."""
    digest = hashlib.sha256(template_path(name).read_bytes()).hexdigest()[:12]
    return user_data_dir() / TEACHERS_FOLDER / f"{name}-{digest}.keras"


def teacher_project(name: str) -> Project:
    return load_template(name)


def teacher_prerequisite(name: str) -> Prerequisite | None:
    """The training a template teacher needs first, or None once its model is kept."""
    path = cached_teacher(name)
    if path.is_file():
        return None
    project = teacher_project(name)
    return Prerequisite(project, path, f"training the teacher template '{name}' first ({project.training.epochs} "
                                       f"epochs, once: its model is kept at {path})")


def require_template(name: str) -> None:
    problem = template_problem(name)
    if problem:
        raise LayerboardError(f"training.recipe.teacher: {problem}")
