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


@dataclass
class Project:
    graph: Graph = field(default_factory=Graph)
    dataset: DatasetRef = field(default_factory=DatasetRef)
    training: TrainingConfig = field(default_factory=TrainingConfig)
    name: str = "untitled"
    description: str = ""
    path: Path | None = None  # where it was loaded from / last saved to

    def default_runs_dir(self) -> Path:
        """Where `train` puts runs when no --run-dir is given: runs/<project name>/ beside the file."""
        base = self.path.parent if self.path else Path.cwd()
        stem = self.path.stem if self.path else self.name
        return base / "runs" / stem
