"""A Layerboard project: the graph, the dataset it trains on and the training settings."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from builder.graph import Graph


@dataclass
class DatasetRef:
    """Which dataset to train on and how to split it."""

    name: str = "digits"
    validation_split: float = 0.2
    seed: int = 42

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class TrainingConfig:
    """Compile and fit settings, named as Keras names them."""

    optimizer: str = "adam"
    learning_rate: float = 0.001
    loss: str = "sparse_categorical_crossentropy"
    metrics: list[str] = field(default_factory=lambda: ["accuracy"])
    epochs: int = 10
    batch_size: int = 32
    seed: int = 42

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

    def folder(self) -> Path:
        return self.path.parent if self.path else Path.cwd()

    def resolve(self, relative: str) -> Path:
        """A path the project file references, resolved inside the project's folder (never outside it)."""
        return resolve_inside(self.folder(), relative)

    def default_runs_dir(self) -> Path:
        """Where `train` puts runs when no --run-dir is given: runs/<project name>/ beside the file."""
        base = self.path.parent if self.path else Path.cwd()
        stem = self.path.stem if self.path else self.name
        return base / "runs" / stem
