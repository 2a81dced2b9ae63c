"""run.json: what a finished run trained (project, dataset sizes, settings), how it ended, and on what."""
from __future__ import annotations

import json
import platform

from builder.data import Dataset
from builder.files import atomic_write_text
from builder.project import Project
from builder.training.distribution import replicas
from builder.training.doctor import device_summary
from builder.training.progress import TrainingResult

RUN_RECORD = "run.json"


def write_run_record(project: Project, result: TrainingResult, dataset: Dataset, strategy,
                     resumed_from: int, recipe_report: dict | None = None, performance: dict | None = None) -> None:
    import keras

    record = {
        "project": project.name,
        "dataset": {**project.dataset.to_dict(), **_dataset_sizes(dataset)},
        "training": project.training.to_dict(),
        "epochs_run": result.epochs_run,
        "resumed_from_epoch": resumed_from,
        "stopped": result.stopped,
        "final_metrics": result.final_metrics,
        "duration_s": round(result.duration_s, 3),
        "device": _device_summary(),
        "replicas": replicas(strategy),
        "keras_version": keras.__version__,
        "backend": keras.backend.backend(),
        "python": platform.python_version(),
    }
    if recipe_report:
        record["recipe_report"] = recipe_report
    if performance:  # the jit_compile and steps_per_execution the run used, and why (builder.training.performance)
        record["performance"] = performance
    atomic_write_text(result.run_dir / RUN_RECORD, json.dumps(record, indent=2) + "\n")


def _dataset_sizes(dataset: Dataset) -> dict:
    info = dataset.describe()
    return {"train_size": info.train_size, "validation_size": info.validation_size, "test_size": info.test_size,
            "skipped_files": [b.to_dict() for b in info.skipped_files]}


def _device_summary() -> str:
    """What the model trained on, e.g. "GPU:0 (NVIDIA H100)" or "CPU"."""
    try:
        return device_summary()
    except Exception:  # a report must never fail a finished run
        return "unknown"
