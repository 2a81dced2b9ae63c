"""Training: compile and fit a project's model, reporting progress through plain-Python callbacks.

Uses only the Keras 3 API (the tf.data pipeline is built in builder.tf_data when the backend is
TensorFlow), so the same code runs on any Keras backend. Knows nothing of Qt: the GUI's worker
turns these callbacks into signals.
"""
from __future__ import annotations

import json
import logging
import math
import os
import platform
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from builder.datasets import Dataset, load_project_dataset
from builder.errors import LayerboardError, TrainingError
from builder.project import Project
from builder.serialization import atomic_write_text

log = logging.getLogger(__name__)


class TrainingCallbacks:
    """Override what you need; every method is a no-op by default. Called on the training thread."""

    def on_train_begin(self, epochs: int, steps_per_epoch: int) -> None: ...

    def on_batch_end(self, epoch: int, batch: int, logs: dict[str, float]) -> None: ...

    def on_epoch_end(self, epoch: int, logs: dict[str, float]) -> None: ...

    def on_finished(self, result: "TrainingResult") -> None: ...

    def on_failed(self, message: str) -> None: ...


@dataclass
class TrainingResult:
    run_dir: Path
    model_path: Path
    history: dict[str, list[float]] = field(default_factory=dict)
    final_metrics: dict[str, float] = field(default_factory=dict)
    epochs_run: int = 0
    stopped: bool = False
    duration_s: float = 0.0


def new_run_dir(project: Project) -> Path:
    """runs/<project>/<YYYYmmdd-HHMMSS>/ beside the project file (a suffix keeps it unique)."""
    base = project.default_runs_dir() / datetime.now().strftime("%Y%m%d-%H%M%S")
    path, i = base, 1
    while path.exists():
        i += 1
        path = base.with_name(f"{base.name}-{i}")
    return path


def _floats(logs: dict[str, Any] | None) -> dict[str, float]:
    return {k: float(v) for k, v in (logs or {}).items()}


def _progress_bridge(trainer: "Trainer"):
    """A keras Callback that forwards progress, honours stop/pause and catches a NaN loss."""
    import keras

    class ProgressBridge(keras.callbacks.Callback):
        epoch = 0

        def on_train_begin(self, logs=None):
            trainer.callbacks.on_train_begin(self.params.get("epochs", 0), self.params.get("steps") or 0)

        def on_epoch_begin(self, epoch, logs=None):
            self.epoch = epoch

        def on_train_batch_end(self, batch, logs=None):
            values = _floats(logs)
            loss = values.get("loss")
            if loss is not None and not math.isfinite(loss):
                trainer.failure = (
                    f"The loss became {loss} at epoch {self.epoch + 1}, batch {batch + 1}. Likely causes: a learning "
                    "rate too high (try 10x lower), inputs that are not scaled (add a Rescaling block), or a loss that "
                    "does not match the last layer's activation.")
                self.model.stop_training = True
                return
            trainer.callbacks.on_batch_end(self.epoch, batch, values)
            while trainer._paused.is_set() and not trainer._stop.is_set():
                time.sleep(0.05)
            if trainer._stop.is_set():
                self.model.stop_training = True

        def on_epoch_end(self, epoch, logs=None):
            if trainer.failure is None:
                trainer.callbacks.on_epoch_end(epoch, _floats(logs))

    return ProgressBridge()


class Trainer:
    """Builds, compiles and fits a project's model; `run()` blocks, the other methods are thread-safe."""

    def __init__(
        self,
        project: Project,
        run_dir: str | Path | None = None,
        callbacks: TrainingCallbacks | None = None,
        epochs: int | None = None,
        dataset: Dataset | None = None,
    ) -> None:
        self.project = project
        self.run_dir = Path(run_dir) if run_dir else new_run_dir(project)
        self.callbacks = callbacks or TrainingCallbacks()
        self.epochs = epochs if epochs is not None else project.training.epochs
        self.dataset = dataset
        self.model = None
        self.failure: str | None = None
        self._stop = threading.Event()
        self._paused = threading.Event()

    def stop(self) -> None:
        """Ask training to stop after the current batch; the model trained so far is saved."""
        self._stop.set()

    def pause(self) -> None:
        self._paused.set()

    def resume(self) -> None:
        self._paused.clear()

    def run(self) -> TrainingResult:
        try:
            return self._run()
        except LayerboardError as exc:
            self.callbacks.on_failed(str(exc))
            raise TrainingError(str(exc)) from exc
        except Exception as exc:  # an unexpected fault still reaches the user as one clear line
            log.exception("training failed")
            message = _explain_failure(exc, self.project)
            self.callbacks.on_failed(message)
            raise TrainingError(message) from exc

    def _run(self) -> TrainingResult:
        import keras

        from builder.keras_build import build_model
        from builder.weights import apply_project_weights

        config = self.project.training
        if self.epochs < 1:
            raise TrainingError(f"epochs must be at least 1; got {self.epochs}.")
        start = time.perf_counter()
        keras.utils.set_random_seed(config.seed)
        dataset = self.dataset or load_project_dataset(self.project)
        self.model = model = build_model(self.project.graph, name=self.project.name)
        apply_project_weights(model, self.project)  # an imported project fine-tunes from its weights
        optimizer = keras.optimizers.get(config.optimizer)
        optimizer.learning_rate = config.learning_rate
        model.compile(optimizer=optimizer, loss=config.loss, metrics=list(config.metrics))
        self.run_dir.mkdir(parents=True, exist_ok=True)
        train, validation = _inputs(dataset, config.batch_size, config.seed)
        history = model.fit(
            *train,
            validation_data=validation,
            epochs=self.epochs,
            callbacks=[_progress_bridge(self), keras.callbacks.CSVLogger(str(self.run_dir / "history.csv"))],
            verbose=0,
            **({"shuffle": False} if len(train) == 1 else {"batch_size": config.batch_size, "shuffle": True}),
        )
        if self.failure:
            raise TrainingError(self.failure)
        model_path = self.run_dir / "model.keras"
        save_model_atomic(model, model_path)
        metrics = {k: v[-1] for k, v in history.history.items() if v}
        result = TrainingResult(
            run_dir=self.run_dir,
            model_path=model_path,
            history={k: [float(x) for x in v] for k, v in history.history.items()},
            final_metrics={k: float(v) for k, v in metrics.items()},
            epochs_run=len(history.epoch),
            stopped=self._stop.is_set(),
            duration_s=time.perf_counter() - start,
        )
        _write_run_record(self.project, result)
        self.callbacks.on_finished(result)
        return result


def _inputs(dataset: Dataset, batch_size: int, seed: int):
    """tf.data pipelines on the TensorFlow backend, plain arrays on the others."""
    import keras

    if keras.backend.backend() == "tensorflow":
        from builder.tf_data import train_and_validation

        train, validation = train_and_validation(dataset, batch_size, seed)
        return (train,), validation
    return (dataset.x_train, dataset.y_train), (dataset.x_val, dataset.y_val)


def save_model_atomic(model, path: Path) -> None:
    """Save a .keras file through a temporary name so a crash never leaves a broken model."""
    tmp = path.with_name(f".{path.stem}.partial.keras")
    model.save(tmp)
    os.replace(tmp, path)


def _write_run_record(project: Project, result: TrainingResult) -> None:
    import keras

    record = {
        "project": project.name,
        "dataset": project.dataset.to_dict(),
        "training": project.training.to_dict(),
        "epochs_run": result.epochs_run,
        "stopped": result.stopped,
        "final_metrics": result.final_metrics,
        "duration_s": round(result.duration_s, 3),
        "keras_version": keras.__version__,
        "backend": keras.backend.backend(),
        "python": platform.python_version(),
    }
    atomic_write_text(result.run_dir / "run.json", json.dumps(record, indent=2) + "\n")


def _explain_failure(exc: Exception, project: Project) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    if "ResourceExhausted" in type(exc).__name__ or "out of memory" in text.lower() or "OOM" in text:
        return (f"Out of memory with batch size {project.training.batch_size}. "
                f"Try batch size {max(1, project.training.batch_size // 2)}.")
    if "logits and labels" in text or "Shapes" in text and "incompatible" in text:
        return (f"The model's output does not match the dataset's targets ({text}). Check that the last Dense "
                "layer has one unit per class and that the loss suits the targets.")
    return f"Training failed: {type(exc).__name__}: {text}"
