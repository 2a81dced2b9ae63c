"""Training: compile and fit a project's model, reporting progress through plain-Python callbacks.

Uses only the Keras 3 API (the tf.data pipeline is built in builder.tf_data when the backend is
TensorFlow), so the same code runs on any Keras backend. Knows nothing of Qt: the GUI's worker
turns these callbacks into signals.
"""
from __future__ import annotations

import json
import logging
import math
import platform
import threading
import time
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any


from builder.data.datasets import Dataset, load_project_dataset
from builder.training.distribution import scope as distribution_scope
from builder.training.callbacks import early_stopping, epoch_tensorboard
from builder.training.fit_data import adapt_normalization, class_weights, fit_inputs, targets_per_output
from builder.errors import LayerboardError, TrainingError
from builder.model import UnreadableModelError, load_model_safely
from builder.project import Project
from builder.files import atomic_write_text

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


class Trainer:
    """Builds, compiles and fits a project's model; `run()` blocks, the other methods are thread-safe.

    With `resume=True`, run_dir must hold a checkpoint (last.keras + checkpoint.json): training continues from
    its epoch with its optimizer state, schedule step and learning-rate scale, up to `epochs` in total.
    """

    def __init__(
        self,
        project: Project,
        run_dir: str | Path | None = None,
        callbacks: TrainingCallbacks | None = None,
        epochs: int | None = None,
        dataset: Dataset | None = None,
        resume: bool = False,
    ) -> None:
        from builder.training.live_control import LiveSettings

        self.project = project
        if resume and not run_dir:
            raise TrainingError("Resuming needs the run directory to resume (--resume RUN_DIR).")
        self.run_dir = Path(run_dir) if run_dir else new_run_dir(project)
        self.callbacks = callbacks or TrainingCallbacks()
        self.epochs = epochs if epochs is not None else project.training.epochs
        self.dataset = dataset
        self.resumed_from: int = 0  # the epoch a resumed run continues after
        self.resuming = resume
        self.model = None
        self.failure: str | None = None
        self.scale = 1.0  # live learning-rate multiplier (1 until the user or reduce-on-plateau changes it)
        self.monitor = project.training.monitor
        self.is_chief = True
        self.live = LiveSettings()
        self.started_ns = time.time_ns()
        self._stop = threading.Event()
        self._paused = threading.Event()

    def stop(self) -> None:
        """Ask training to stop after the current batch; the model trained so far is saved."""
        self._stop.set()

    def pause(self) -> None:
        self._paused.set()

    def resume(self) -> None:
        """Continue after pause()."""
        self._paused.clear()

    @property
    def paused(self) -> bool:
        return self._paused.is_set()

    def set_learning_rate(self, value: float) -> None:
        """Change the learning rate from the next batch on (a schedule keeps its shape, rescaled to this value)."""
        if not (isinstance(value, (int, float)) and math.isfinite(value) and value > 0):
            raise TrainingError(f"The learning rate must be a positive number; got {value!r}.")
        self.live.request("learning_rate", float(value))

    def set_patience(self, value: int) -> None:
        """Change early stopping's patience from the next epoch end on."""
        if not isinstance(value, int) or value < 0:
            raise TrainingError(f"Patience must be a whole number of epochs >= 0; got {value!r}.")
        self.live.request("patience", value)

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

        from builder.training import checkpoints
        from builder.training import losses
        from builder.training.optimizers import make_schedule
        from builder.training.live_control import run_control

        config = self.project.training
        validate_config(config)
        if self.epochs < 1:
            raise TrainingError(f"epochs must be at least 1; got {self.epochs}.")
        start = time.perf_counter()
        strategy = _strategy(config)  # before anything starts TensorFlow: multi-worker collectives need that
        keras.utils.set_random_seed(config.seed)
        dataset = self.dataset or load_project_dataset(self.project)
        if losses.is_reconstruction(config):
            dataset = replace(dataset, y_train=dataset.x_train, y_val=dataset.x_val, y_test=dataset.x_test)
        _check_dataset(self.project, dataset)
        state = checkpoints.read_state(self.run_dir) if self.resuming else {}
        self.resumed_from = int(state.get("epoch", 0))
        if self.resuming and self.resumed_from >= self.epochs:
            raise TrainingError(f"{self.run_dir} has already trained {self.resumed_from} epochs; ask for more "
                                f"epochs in total to resume (e.g. --epochs {self.resumed_from + 5}).")
        self.scale = float(state.get("learning_rate_scale", 1.0))
        self.is_chief = _is_chief(config)
        one_hot = _needs_one_hot(config)
        with _precision(config.mixed_precision), distribution_scope(strategy):
            if self.resuming:
                model = _load_checkpoint(self.run_dir / checkpoints.LAST)
            else:
                from builder.model import build_model
                from builder.model import apply_project_weights

                model = build_model(self.project.graph, name=self.project.name)
                apply_project_weights(model, self.project)  # an imported project fine-tunes from its weights
                adapt_normalization(self.project.graph, model, dataset)
                from builder.training.optimizers import make_optimizer

                model.compile(optimizer=make_optimizer(config), jit_compile=config.jit_compile,
                              steps_per_execution=config.steps_per_execution,
                              **losses.compile_arguments(self.project.graph, list(model.output_names), config, one_hot))
        self.model = model
        dataset = targets_per_output(dataset, list(model.output_names))
        self.run_dir.mkdir(parents=True, exist_ok=True)
        train, validation, steps = fit_inputs(dataset, config, one_hot, self.resumed_from)
        if strategy is not None and len(train) == 1:
            from builder.training.distribution import prepare_multiworker_fit

            prepare_multiworker_fit(model, strategy, train[0])
        schedule = make_schedule(config.schedule, config.learning_rate, steps, self.epochs)
        early = early_stopping(config)
        fit_callbacks = [run_control(self, schedule, early, self.scale)]
        if early is not None:
            fit_callbacks.append(early)
        fit_callbacks.append(checkpoints.checkpoint_callback(self, config.monitor, state.get("best")))
        if self.is_chief:
            fit_callbacks.append(keras.callbacks.CSVLogger(str(self.run_dir / "history.csv"), append=self.resuming))
            if config.tensorboard:
                fit_callbacks.append(epoch_tensorboard(self.run_dir))
        history = model.fit(
            *train,
            validation_data=validation,
            epochs=self.epochs,
            initial_epoch=self.resumed_from,
            callbacks=fit_callbacks,
            verbose=0,
            class_weight=class_weights(config, dataset),
            **({"shuffle": False, "steps_per_epoch": steps} if len(train) == 1
               else {"batch_size": config.batch_size, "shuffle": True}),
        )
        if self.failure:
            raise TrainingError(self.failure)
        model_path = self.run_dir / "model.keras"
        if self.is_chief:
            checkpoints.save_model_atomic(model, model_path)
        metrics = {k: v[-1] for k, v in history.history.items() if v}
        result = TrainingResult(
            run_dir=self.run_dir,
            model_path=model_path,
            history={k: [float(x) for x in v] for k, v in history.history.items()},
            final_metrics={k: float(v) for k, v in metrics.items()},
            epochs_run=self.resumed_from + len(history.epoch),
            stopped=self._stop.is_set(),
            duration_s=time.perf_counter() - start,
        )
        if self.is_chief:
            _write_run_record(self.project, result, dataset, strategy, self.resumed_from)
        self.callbacks.on_finished(result)
        return result


def _check_dataset(project: Project, dataset: Dataset) -> None:
    """Refuse to start when the Inputs or the output do not fit the dataset, saying what to change."""
    from builder.data.checks import check_against_dataset, dataset_problems_text

    problems = dataset_problems_text(check_against_dataset(project, dataset.describe()))
    if problems:
        raise TrainingError(f"The model does not fit dataset '{dataset.name}':\n  " + "\n  ".join(problems))


def validate_config(config) -> None:
    """Type checks a project file cannot express, with the setting's name in the message."""
    from builder.training.distribution import STRATEGIES

    if not isinstance(config.batch_size, int) or config.batch_size < 1:
        raise TrainingError(f"training.batch_size must be a whole number >= 1; got {config.batch_size!r}.")
    if not isinstance(config.learning_rate, (int, float)) or not config.learning_rate > 0:
        raise TrainingError(f"training.learning_rate must be a positive number; got {config.learning_rate!r}.")
    if not isinstance(config.steps_per_execution, int) or config.steps_per_execution < 1:
        raise TrainingError("training.steps_per_execution must be a whole number >= 1; "
                            f"got {config.steps_per_execution!r}.")
    if not 0.0 <= float(config.label_smoothing or 0.0) < 1.0:
        raise TrainingError(f"training.label_smoothing must be in [0, 1); got {config.label_smoothing!r}.")
    if config.strategy not in STRATEGIES:
        raise TrainingError(f"training.strategy must be one of {', '.join(STRATEGIES)}; got {config.strategy!r}.")
    if config.jit_compile not in (True, False, "auto"):
        raise TrainingError(f'training.jit_compile must be true, false or "auto"; got {config.jit_compile!r}.')


def _strategy(config):
    import keras

    if keras.backend.backend() != "tensorflow":
        return None
    from builder.training.distribution import make_strategy

    return make_strategy(config.strategy)


def _is_chief(config) -> bool:
    from builder.training.distribution import is_chief

    return config.strategy != "multiworker" or is_chief()


class _precision:
    """Build and compile under the mixed_float16 policy when asked; the global policy is restored after."""

    def __init__(self, mixed: bool) -> None:
        self.mixed = mixed

    def __enter__(self):
        import keras

        self.saved = keras.config.dtype_policy()
        if self.mixed:
            keras.config.set_dtype_policy("mixed_float16")

    def __exit__(self, *exc):
        import keras

        keras.config.set_dtype_policy(self.saved)


def _load_checkpoint(path: Path):
    from builder.training import keras_objects  # noqa: F401  (registers Layerboard's losses and metrics)

    try:
        return load_model_safely(path, compile=True)
    except UnreadableModelError as exc:
        raise TrainingError(f"Cannot resume from {path}: {exc.reason}") from None


def _needs_one_hot(config) -> bool:
    if not config.augmentation:
        return False
    from builder.data.augmentation import needs_one_hot

    return needs_one_hot(config.augmentation)


def _write_run_record(project: Project, result: TrainingResult, dataset: Dataset, strategy,
                      resumed_from: int) -> None:
    import keras

    from builder.training.distribution import replicas

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
    atomic_write_text(result.run_dir / "run.json", json.dumps(record, indent=2) + "\n")


def _dataset_sizes(dataset: Dataset) -> dict[str, int]:
    info = dataset.describe()
    return {"train_size": info.train_size, "validation_size": info.validation_size, "test_size": info.test_size}


def _device_summary() -> str:
    """What the model trained on, e.g. "GPU:0 (NVIDIA H100)" or "CPU"."""
    try:
        from builder.training.doctor import device_summary

        return device_summary()
    except Exception:  # a report must never fail a finished run
        return "unknown"


def _explain_failure(exc: Exception, project: Project) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    if "ResourceExhausted" in type(exc).__name__ or "out of memory" in text.lower() or "OOM" in text:
        return (f"Out of memory with batch size {project.training.batch_size}. "
                f"Try batch size {max(1, project.training.batch_size // 2)}.")
    if "logits and labels" in text or "Shapes" in text and "incompatible" in text:
        return (f"The model's output does not match the dataset's targets ({text}). Check that the last Dense "
                "layer has one unit per class and that the loss suits the targets.")
    return f"Training failed: {type(exc).__name__}: {text}"
