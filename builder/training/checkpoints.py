"""Best and last checkpoints of a run, written atomically each epoch, and what resuming needs from them.

A run directory holds `last.keras` (the model and its optimizer state after the latest epoch), `best.keras` (the
epoch with the best monitored value) and `checkpoint.json` (the epoch count, the optimizer step, the live
learning-rate scale, the best value). Every file is written under a temporary name and renamed, so a run that
fails or is killed never leaves a broken checkpoint behind: the previous one stays.
"""
from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from builder.errors import TrainingError
from builder.files import atomic_path, atomic_write_text

LAST, BEST, STATE = "last.keras", "best.keras", "checkpoint.json"


def save_model_atomic(model, path: Path) -> None:
    """Save a .keras file through a temporary name so a crash never leaves a broken model."""
    with atomic_path(path, ".keras") as tmp:  # Keras picks the format from the suffix
        model.save(tmp)


def maximised(monitor: str) -> bool:
    """Whether a larger value of the monitored metric is better (accuracy, AUC, precision, recall)."""
    name = monitor.removeprefix("val_")
    return any(word in name for word in ("acc", "auc", "precision", "recall"))


def is_better(monitor: str, value: float, best: float | None) -> bool:
    if best is None or not math.isfinite(best):
        return math.isfinite(value)
    return value > best if maximised(monitor) else value < best


def read_state(run_dir: Path) -> dict[str, Any]:
    path = Path(run_dir) / STATE
    if not (Path(run_dir) / LAST).exists() or not path.exists():
        raise TrainingError(f"{run_dir} has no checkpoint to resume from (looked for {LAST} and {STATE}); "
                            "resume a run that finished at least one epoch.")
    try:
        return json.loads(path.read_text())
    except ValueError as exc:
        raise TrainingError(f"{path} is not valid JSON ({exc}); resume from another run.") from None


def checkpoint_callback(trainer, monitor: str, best: float | None = None):
    """Keras callback: last.keras + checkpoint.json every epoch, best.keras when the monitored value improves."""
    import keras


    class Checkpoints(keras.callbacks.Callback):
        def __init__(self) -> None:
            super().__init__()
            self.best = best

        def on_epoch_end(self, epoch, logs=None):
            if trainer.failure is not None or not trainer.is_chief:
                return
            value = (logs or {}).get(monitor)
            if value is not None and is_better(monitor, float(value), self.best):
                self.best = float(value)
                save_model_atomic(self.model, trainer.run_dir / BEST)
            save_model_atomic(self.model, trainer.run_dir / LAST)
            state = {"epoch": epoch + 1, "step": int(self.model.optimizer.iterations.numpy()),
                     "learning_rate_scale": trainer.scale, "monitor": monitor, "best": self.best}
            atomic_write_text(trainer.run_dir / STATE, json.dumps(state, indent=2) + "\n")

    return Checkpoints()
