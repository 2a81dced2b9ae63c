"""Which model a command uses: the run directory given with --run, else the project's newest run, else the
project itself when its weights are its own (an imported model); builder.training.project_model decides."""
from __future__ import annotations

from builder.project import Project


def chosen_model(project: Project, run_dir: str | None, own_weights: bool = False):
    """The project's model (a builder.training.ProjectModel: its path or built model, and which weights)."""
    from builder.training import project_model  # loads numpy: only for the commands that use a model

    return project_model(project, run_dir, own_weights=own_weights)
