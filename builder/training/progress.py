"""What a run reports to whoever started it: progress callbacks (plain Python, no Qt) and the final result."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


class TrainingCallbacks:
    """Override what you need; every method is a no-op by default. Called on the training thread."""

    def on_train_begin(self, epochs: int, steps_per_epoch: int) -> None: ...

    def on_batch_end(self, epoch: int, batch: int, logs: dict[str, float]) -> None: ...

    def on_epoch_end(self, epoch: int, logs: dict[str, float]) -> None: ...

    def on_setting_changed(self, change: dict) -> None:
        """A live change was applied, refused or ignored: {"epoch", "batch", "step", "name", "value", "reason"}
        (the row control.csv gets; reason "user", "reduce_on_plateau (…)", "refused: …" or "ignored: …")."""

    def on_samples(self, epoch: int, path: str) -> None:
        """A generative recipe's grid of samples (drawn with a fixed seed) after `epoch` epochs (counted from 1) was
        written to `path` (run_dir/samples/epoch_003.png)."""

    def on_finished(self, result: "TrainingResult") -> None: ...

    def on_failed(self, message: str) -> None: ...


@dataclass
class TrainingResult:
    """What a run that finished (or was stopped) produced: where its model is, its history and final metrics."""

    run_dir: Path
    model_path: Path
    history: dict[str, list[float]] = field(default_factory=dict)
    final_metrics: dict[str, float] = field(default_factory=dict)
    epochs_run: int = 0
    stopped: bool = False
    duration_s: float = 0.0
