"""Which trained model a command uses: the one in the run directory given with --run, or the project's newest."""
from __future__ import annotations

from pathlib import Path

from builder.errors import LayerboardError
from builder.project import Project

MODEL_FILE = "model.keras"


def chosen_model(project: Project, run_dir: str | None) -> Path:
    """RUN_DIR/model.keras when --run names a run directory, else the project's newest trained model."""
    return Path(run_dir) / MODEL_FILE if run_dir else latest_model(project)


def latest_model(project: Project) -> Path:
    """The model.keras of the project's newest run, or an error that says to train first."""
    runs = project.default_runs_dir()
    models = sorted(runs.glob(f"*/{MODEL_FILE}"), key=lambda p: p.stat().st_mtime) if runs.exists() else []
    if not models:
        raise LayerboardError(
            f"{project.path} has no trained model yet (nothing in {runs}). "
            f"Train it first: python main.py train {project.path}  (or pass --run DIR).")
    return models[-1]
