"""A Layerboard project: the graph, the dataset it trains on and the training settings."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from builder.graph import Graph
from builder.project.user_data import unsaved_runs_dir

RECONSTRUCTION = "reconstruction"  # the loss of a model that learns to reproduce its input (mean squared error)


@dataclass
class DatasetRef:
    """Which dataset to train on and how to split it."""

    name: str = "digits"  # a built-in or online dataset, or a file kind: csv, npz, hdf5, image_folder, text_folder
    validation_split: float = 0.2
    test_split: float = 0.0  # fraction held out for `evaluate`; ignored when the dataset has its own test split
    seed: int = 42
    path: str | None = None  # the user's file or folder, relative to the project's folder
    options: dict[str, Any] = field(default_factory=dict)  # source-specific settings (columns, keys, image size)
    use_named_split: bool = True  # use the test split a dataset already has (MNIST's 10,000, mnist1d's 1,000)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class TrainingConfig:
    """Compile and fit settings, named as Keras names them."""

    optimizer: str | dict[str, Any] = "adam"  # a Keras name, or {"class_name": "SGD", "config": {"momentum": 0.9}}
    learning_rate: float = 0.001
    schedule: dict[str, Any] | None = None  # {"name": "cosine", "warmup_epochs": 1, ...}; see builder.optimizers
    weight_decay: float | None = None
    clipnorm: float | None = None
    clipvalue: float | None = None
    loss: str | dict[str, str] = "sparse_categorical_crossentropy"  # or one per output node
    loss_weights: dict[str, float] | None = None
    label_smoothing: float = 0.0
    metrics: list[str] | dict[str, list[str]] = field(default_factory=lambda: ["accuracy"])
    epochs: int = 10
    batch_size: int = 32
    seed: int = 42
    class_weight: str | dict[str, float] | None = None  # "balanced" computes them from the training split
    monitor: str = "val_loss"  # what the best checkpoint, early stopping and reduce-on-plateau watch
    early_stopping: dict[str, Any] | None = None  # {"patience": 5, "restore_best_weights": true, "min_delta": 0}
    augmentation: dict[str, dict[str, Any]] = field(default_factory=dict)  # {"MixUp": {"alpha": 0.2}, ...}
    mixed_precision: bool | str = "auto"  # "auto": measured on a GPU, off on a CPU (builder.training.performance)
    jit_compile: bool | str = "auto"
    prefetch_to_device: bool | str = "auto"  # "auto": measured on a GPU, off on a CPU (builder.training.performance)
    steps_per_execution: int | str = "auto"  # "auto": measured at the start of a run (builder.training.performance)
    tensorboard: bool = True
    strategy: str = "auto"  # auto (every GPU), none, mirrored, multiworker (TF_CONFIG)
    # how the graph is trained: {"name": "supervised"} (null too), "autoencoder" or "vae" with its settings
    # (builder.training.recipes)
    recipe: dict[str, Any] | None = field(default_factory=lambda: {"name": "supervised"})

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def field_names(cls) -> set[str]:
    return {f.name for f in fields(cls)}


def resolve_inside(folder: Path, relative: str) -> Path:
    """`folder / relative`, refusing absolute paths and `..` that leave the folder."""
    from builder.errors import LayerboardError

    if Path(relative).is_absolute():
        raise LayerboardError(f"The project refers to the absolute path '{relative}'; project files may only "
                              "reference files inside their own folder (use a path relative to the project).")
    base = Path(folder).resolve()
    target = (base / relative).resolve()
    if target != base and base not in target.parents:
        raise LayerboardError(f"The project refers to '{relative}', which is outside the project's folder {base}; "
                              "move the file beside the project and reference it by a relative path.")
    return target


@dataclass
class Project:
    graph: Graph = field(default_factory=Graph)
    dataset: DatasetRef = field(default_factory=DatasetRef)
    training: TrainingConfig = field(default_factory=TrainingConfig)
    name: str = "untitled"
    description: str = ""
    path: Path | None = None  # where it was loaded from / last saved to
    weights: str | None = None  # HDF5 .weights.h5 file with per-node weights, relative to the project's folder
    weight_groups: dict[str, str] = field(default_factory=dict)  # renamed node id -> its group in `weights`
    gallery: dict[str, Any] = field(default_factory=dict)  # a shipped template's card text (builder.project.templates)

    def folder(self) -> Path:
        return self.path.parent if self.path else Path.cwd()

    def resolve(self, relative: str) -> Path:
        """A path the project file references, resolved inside the project's folder (never outside it)."""
        return resolve_inside(self.folder(), relative)

    def default_runs_dir(self) -> Path:
        """Where `train` puts runs when no --run-dir is given: runs/<project file's stem>/ beside the file; for a
        project never saved, runs/<project name>/ in the per-user data folder (builder.project.user_data)."""
        if self.path is None:
            return unsaved_runs_dir(self.name)
        return self.path.parent / "runs" / self.path.stem
