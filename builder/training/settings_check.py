"""The whole project's settings as `train` will read them: the project's own validation, then the names only Keras
and the data sources know (optimizer, losses, metrics, augmentation layers, the dataset), resolved the way training
resolves them but without making anything, so `check` and every export refuse what `train` would refuse."""
from __future__ import annotations

from builder.data import FILE_KINDS, all_dataset_names, known_augmentations
from builder.errors import InvalidProjectError
from builder.project import project_problems, shown
from builder.training.losses import loss_name_problem, metric_name_problem, per_output_problems
from builder.training.optimizers import optimizer_name_problem
from builder.training.recipes import recipe_problems


def settings_problems(project, data: bool = True) -> list[str]:
    """Every problem of the project's settings, one line each naming the field (empty when `train` may start).

    `data=False` leaves out the dataset reference (a Python script export may name data it does not have: it
    writes a placeholder loader). Resolving optimizer, loss and metric names imports Keras.
    """
    problems = project_problems(project)
    if problems:  # names are resolved only in settings of the right types
        return problems
    config = project.training
    if data:
        problems += _dataset_problems(project)
    problem = optimizer_name_problem(config.optimizer)
    if problem:
        problems.append(f"training.optimizer: {problem}")
    # a per-output dict is keyed by output nodes; one may leave an output out (it is then not trained)
    problems += per_output_problems(config, project.graph.output_nodes())
    losses = config.loss.values() if isinstance(config.loss, dict) else [config.loss]
    for problem in dict.fromkeys(filter(None, (loss_name_problem(name) for name in losses))):
        problems.append(f"training.loss: {problem}")
    metrics = config.metrics.values() if isinstance(config.metrics, dict) else [config.metrics]
    names = [name for group in metrics for name in (group if isinstance(group, list) else [group])]
    for problem in dict.fromkeys(filter(None, (metric_name_problem(name) for name in names))):
        problems.append(f"training.metrics: {problem}")
    known = known_augmentations()
    for name in config.augmentation:
        if name not in known:
            problems.append(f"training.augmentation.{name}: must be one of {', '.join(known)}")
    problems += recipe_problems(project)  # its keys and node ids, then each node that does not fit it
    return problems


def _dataset_problems(project) -> list[str]:
    """The dataset must be one Layerboard knows, and a file or folder dataset must name one that exists."""
    ref = project.dataset
    if ref.name not in all_dataset_names():
        return [f"dataset.name: must be a dataset ({', '.join(all_dataset_names())}); got {shown(ref.name)}"]
    if ref.name in FILE_KINDS and not ref.path:
        return [f"dataset.path: a {ref.name} dataset needs the path of its file or folder, relative to the project"]
    if ref.name in FILE_KINDS and not project.resolve(ref.path).exists():
        return [f"dataset.path: {shown(ref.path)} does not exist in the project's folder {project.folder()}; put the "
                "data there or fix the path"]
    return []


def validate_settings(project, data: bool = True) -> None:
    """Raise InvalidProjectError listing every problem of the project's settings (see settings_problems)."""
    problems = settings_problems(project, data)
    if problems:
        source = str(project.path) if project.path else f"project {shown(project.name)}"
        raise InvalidProjectError(source, problems)
