"""The project's model: what `export`, `evaluate` and `predict` use, in the CLI and the window.

A project's model is its newest run's `model.keras` (or the run asked for); a project without any run whose
weights are its own (an imported Keras model: `weights` in the project file) is a model too, built from its
graph with those weights. Each answer says which weights it is, so reports can name them.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from builder.errors import LayerboardError
from builder.model import apply_project_weights, build_model
from builder.project import Project
from builder.training.trained_model import load_model, refuse_recipe
from builder.training.checkpoints import BEST, LAST
from builder.training.recipes import decode_latents, image_grid, model_part, register_keras_objects, value_range

MODEL_FILE = "model.keras"
RUN = "run"
PROJECT_WEIGHTS = "project weights"


@dataclass
class ProjectModel:
    """A model of a project and where its weights come from."""

    source: str  # RUN or PROJECT_WEIGHTS
    weights: str  # which weights, in words: "run runs/p/2025… (model.keras)", "the project's own weights (p.weights.h5)"
    path: Path | None = None  # the model file (a run's model.keras); None when built from the project
    model: Any = None  # the keras.Model once loaded or built

    def load(self):
        """The keras.Model (loaded from `path` in safe mode the first time)."""
        if self.model is None:
            register_keras_objects()  # a recipe's model class (a VAE)
            self.model = load_model(self.path)
        return self.model

    def judged(self, project: Project, what: str):
        """The keras.Model that `evaluate` / `predict` judge against labels: the model of a supervised project, a
        distillation's student; other recipes are refused (`refuse_recipe`), naming what to use instead."""
        refuse_recipe(project, what)
        if (project.training.recipe or {}).get("name", "supervised") == "supervised":
            return self.load()
        return self.part(project)[0]

    def part(self, project: Project, name: str | None = None):
        """(the keras.Model of the recipe's part `name`, its name): default a VAE's decoder (the part that
        generates); (the whole model, None) for a recipe without parts or a supervised project."""
        return model_part(project, self.load(), name)

    def sample_grid(self, project: Project, count: int, seed: int, zoom: int = 1, steps: int | None = None):
        """`count` new samples from the project's generative recipe (seeded; `steps`: a diffusion model's DDIM
        steps) as one uint8 image grid, scaled to 0..255 from the range the recipe says its samples take;
        LayerboardError when it cannot generate."""
        from builder.data import load_project_dataset

        model = self.load()
        samples = decode_latents(project, model, count, seed, steps)
        low, high = value_range(project, model, load_project_dataset(project))
        return image_grid(samples, low, high, zoom)

    def to_dict(self) -> dict[str, Any]:
        return {"source": self.source, "weights": self.weights, "path": str(self.path) if self.path else None}


def latest_run_model(project: Project) -> Path | None:
    """The model.keras of the project's newest run (by time written), or None when it has none."""
    runs = project.default_runs_dir()
    if not runs.is_dir():
        return None
    models = sorted(runs.glob(f"*/{MODEL_FILE}"), key=lambda p: p.stat().st_mtime)
    return models[-1] if models else None


def run_model_file(run_dir: str | Path) -> Path:
    """A run's model: model.keras when it finished; else its best or last checkpoint (a run that was stopped from
    outside, killed, or is still going); model.keras (which then does not exist: the caller says so) when none."""
    for name in (MODEL_FILE, BEST, LAST):
        path = Path(run_dir) / name
        if path.is_file():
            return path
    return Path(run_dir) / MODEL_FILE


def project_model(project: Project, run_dir: str | Path | None = None, own_weights: bool = False) -> ProjectModel:
    """The run's model when `run_dir` is given; else the newest run's; else, for a project whose weights are its
    own, its graph built with those weights; else an error that says to train first. `own_weights` asks for the
    project's own weights even when it has runs (an imported model exported as imported)."""
    if own_weights:
        if not project.weights:
            raise LayerboardError(f"{project.path or project.name} has no weights of its own (only an imported model "
                                  "has); choose one of its runs.")
        return _with_own_weights(project)
    if run_dir:
        path = run_model_file(run_dir)
        return ProjectModel(RUN, f"trained in the run {run_dir} ({path})", path=path)
    latest = latest_run_model(project)
    if latest is not None:
        return ProjectModel(RUN, f"trained in the run {latest.parent} (the project's newest run)", path=latest)
    if project.weights:
        return _with_own_weights(project)
    runs = project.default_runs_dir()
    raise LayerboardError(
        f"{project.path} has no trained model yet (nothing in {runs}) and no weights of its own. "
        f"Train it first: python main.py train {project.path}  (or pass --run DIR).")


def _with_own_weights(project: Project) -> ProjectModel:
    model = build_model(project.graph, name=project.name, folder=project.folder())
    report = apply_project_weights(model, project)
    if report is None or not report.loaded or report.skipped:
        raise LayerboardError(f"{project.path}: its weights file {project.weights} does not hold the weights of "
                              f"every layer ({report.summary() if report else 'no weights'}), so the model would be "
                              "partly untrained; train the project first (python main.py train PROJECT).")
    return ProjectModel(PROJECT_WEIGHTS, f"the project's own weights ({project.weights}; no training run)",
                        model=model)


def as_project_model(model_or_path) -> ProjectModel:
    """A ProjectModel for what callers pass: a ProjectModel, a model file's path, or a keras.Model."""
    if isinstance(model_or_path, ProjectModel):
        return model_or_path
    if isinstance(model_or_path, (str, Path)):
        return ProjectModel(RUN, f"the model file {model_or_path}", path=Path(model_or_path))
    return ProjectModel(RUN, "the model given", model=model_or_path)
