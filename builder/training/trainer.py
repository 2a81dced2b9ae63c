"""The Trainer: compile and fit a project's model, reporting progress through plain-Python callbacks.

Uses only the Keras 3 API (the tf.data pipeline is built in builder.data when the backend is
TensorFlow), so the same code runs on any Keras backend. Knows nothing of Qt: the GUI's worker
turns these callbacks into signals.
"""
from __future__ import annotations

import logging
import threading
import time
from datetime import datetime
from pathlib import Path

from builder.data import (Dataset, check_against_dataset, dataset_problems_text, length, load_project_dataset,
                          needs_one_hot)
from builder.errors import LayerboardError, TrainingError
from builder.faults import debugging, write_traceback
from builder.files import clean_leftovers
from builder.model import (
    UnreadableModelError, apply_project_weights, build_model, input_names, load_model_safely,
)
from builder.project import Project, learning_rate_problem, patience_problem, shown
from builder.training import checkpoints, distribution, losses
from builder.training.failure_messages import explain_failure
from builder.training.fit_data import adapt_normalization, class_weights, fit_inputs, targets_per_output
from builder.training.keras_callbacks import early_stopping, epoch_tensorboard
from builder.training.live_control import CONTROL_POLL_SECONDS, LiveSettings, run_control
from builder.training.optimizers import make_optimizer, make_schedule
from builder.training.doctor import device_summary
from builder.training.performance import choose_performance
from builder.training.progress import TrainingCallbacks, TrainingResult
from builder.training.recipes import SUPERVISED, project_recipe
from builder.training.recipes.sample_callback import sample_grids
from builder.training.settings_check import validate_settings
from builder.training.run_record import write_run_record

log = logging.getLogger(__name__)
SCRATCH_PREFIX = ".training-"  # a model a recipe needs first is trained in such a folder beside where it is kept
STALE_SCRATCH_S = 3600.0  # one older than this was left by a killed process
ERROR_LOG = "error.log"  # in the run directory: the traceback of a fault that stopped the run


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
        self.project = project
        if resume and not run_dir:
            raise TrainingError("Resuming needs the run directory to resume (--resume RUN_DIR).")
        self.run_dir = Path(run_dir) if run_dir else new_run_dir(project)
        self.callbacks = callbacks or TrainingCallbacks()
        self.epochs = epochs if epochs is not None else project.training.epochs
        self.dataset = dataset
        self.resumed_from: int = 0  # the epoch a resumed run continues after
        self.resuming = resume
        self.notes: list[str] = []  # what resuming found and worked around (also logged)
        self.model = None
        self.performance = None  # the jit_compile and steps_per_execution the run uses, and why
        self.checkpoint_writer = None  # writes each epoch's checkpoint (off the training step where it can)
        self.recipe_report: dict = {}  # what the recipe reports after training (a distillation's student vs teacher)
        self.failure: str | None = None
        self.scale = 1.0  # live learning-rate multiplier (1 until the user or reduce-on-plateau changes it)
        self.monitor = project.training.monitor
        self.is_chief = True
        self.live = LiveSettings()
        self.control_poll_s = CONTROL_POLL_SECONDS  # how often control.json is read (at most)
        self.started_ns = time.time_ns()
        self._stop = threading.Event()
        self._paused = threading.Event()

    def stop(self) -> None:
        """Ask training to stop after the current batch; the model trained so far is saved."""
        self._stop.set()

    @property
    def stop_requested(self) -> bool:
        """Whether stop() was called: the run ends after its current batch."""
        return self._stop.is_set()

    def pause(self) -> None:
        """Hold the run after its current batch until resume() or stop()."""
        self._paused.set()

    def resume(self) -> None:
        """Continue after pause()."""
        self._paused.clear()

    @property
    def paused(self) -> bool:
        """Whether pause() holds the run (until resume() or stop())."""
        return self._paused.is_set()

    def set_learning_rate(self, value: float) -> None:
        """Change the learning rate from the next batch on (a schedule keeps its shape, rescaled to this value)."""
        problem = learning_rate_problem(value)
        if problem:
            raise TrainingError(f"The learning rate must be {problem}; got {shown(value)}.")
        self.live.request("learning_rate", float(value))

    def set_patience(self, value: int) -> None:
        """Change early stopping's patience from the next epoch end on."""
        problem = patience_problem(value)
        if problem:
            raise TrainingError(f"Patience must be {problem} (epochs); got {shown(value)}.")
        self.live.request("patience", value)

    def run(self) -> TrainingResult:
        try:
            try:
                return self._run()
            finally:
                self._checkpoint_written()
        except LayerboardError as exc:
            self.callbacks.on_failed(str(exc))
            raise TrainingError(str(exc)) from exc
        except Exception as exc:  # an unexpected fault still reaches the user as one clear line
            if debugging():
                log.exception("training failed")
            message = explain_failure(exc, self.project)
            written = write_traceback(exc, self.run_dir / ERROR_LOG)  # the details go to the run, not the terminal
            if written:
                message += f" (details: {written})"
            self.callbacks.on_failed(message)
            raise TrainingError(message) from exc

    def _checkpoint_written(self) -> None:
        """A failed run's last checkpoint still goes to disk before the failure is reported (its own failure is
        logged: the run's failure is the one to report)."""
        if self.checkpoint_writer is not None:
            self.checkpoint_writer.finish(failing=True)

    def _run(self) -> TrainingResult:
        import keras

        config = self.project.training
        validate_settings(self.project)  # every setting, all problems at once, before anything loads
        if isinstance(self.epochs, bool) or not isinstance(self.epochs, int) or self.epochs < 1:
            raise TrainingError(f"epochs must be a whole number of at least 1; got {shown(self.epochs)}.")
        start = time.perf_counter()
        strategy = _strategy(config)  # before anything starts TensorFlow: multi-worker collectives need that
        recipe = project_recipe(self.project)
        for needed in recipe.prerequisites():  # a distillation's template teacher, trained once
            self._train_prerequisite(needed)
        keras.utils.set_random_seed(config.seed)
        dataset = self.dataset or load_project_dataset(self.project)
        # settings left on "auto", measured (or read from the cache) for a run of this length; the probe draws from
        # the random state, so the run seeds it again after it (the same model whether it ran or not)
        self.performance = choose_performance(self.project, _device(), self.epochs * length(dataset.x_train))
        if self.performance.source in ("probe", "cache"):
            log.info("performance: %s (%s)", self.performance.reason, self.performance.source)
        keras.utils.set_random_seed(config.seed)
        supervised = recipe.name == SUPERVISED
        if supervised:
            _check_dataset(self.project, dataset)
        else:
            _check_recipe_input(self.project, recipe, dataset)
        state = checkpoints.read_state(self.run_dir, self.notes) if self.resuming else {}
        if self.resuming:  # a killed run's half-written files, whatever their age (a live writer's are kept)
            clean_leftovers(self.run_dir, older_than_s=0)
        self.resumed_from = int(state.get("epoch", 0))
        if self.resuming and self.resumed_from >= self.epochs:
            raise TrainingError(f"{self.run_dir} has already trained {self.resumed_from} epochs; ask for more "
                                f"epochs in total to resume (e.g. --epochs {self.resumed_from + 5}).")
        self.scale = float(state.get("learning_rate_scale", 1.0))
        self.is_chief = _is_chief(config)
        one_hot = _needs_one_hot(config)
        with _precision(self.performance.mixed_precision), distribution.scope(strategy):
            if self.resuming:
                model = _load_checkpoint(self.run_dir / checkpoints.LAST)
                checkpoints.check_loaded(state, model, self.run_dir / checkpoints.LAST)
                checkpoints.restore_random_states(model, state.get("random_states"))
            elif not supervised:  # the recipe builds the model and says its loss
                model = recipe.build_model(self.project)
                adapt_normalization(self.project.graph, recipe.layers_model(model), dataset)
                model.compile(optimizer=make_optimizer(config), jit_compile=self.performance.jit_compile,
                              steps_per_execution=self.performance.steps_per_execution,
                              **recipe.compile_arguments(self.project))
            else:
                model = build_model(self.project.graph, name=self.project.name, folder=self.project.folder())
                apply_project_weights(model, self.project)  # an imported project fine-tunes from its weights
                adapt_normalization(self.project.graph, model, dataset)
                model.compile(optimizer=make_optimizer(config), jit_compile=self.performance.jit_compile,
                              steps_per_execution=self.performance.steps_per_execution,
                              **losses.compile_arguments(self.project.graph, list(model.output_names), config, one_hot))
        self.model = model
        # per output its target (the inputs for "reconstruction", a placeholder for an output without a loss)
        if supervised:
            dataset = targets_per_output(dataset, list(model.output_names), config, input_names(model))
        else:
            dataset = recipe.fit_dataset(dataset)
        self.run_dir.mkdir(parents=True, exist_ok=True)
        if self.resuming:
            checkpoints.keep_history_until(self.run_dir, self.resumed_from)
        # prefetching into the GPU must be the pipeline's last step: not under a strategy or with class weights
        # (Keras maps the batches after it); run.json records what was applied
        self.performance.prefetch_to_device = bool(self.performance.prefetch_to_device and strategy is None
                                                   and config.class_weight is None)
        train, validation, steps = fit_inputs(dataset, config, one_hot, self.resumed_from,
                                              to_device=self.performance.prefetch_to_device)
        if strategy is not None and len(train) == 1:
            distribution.prepare_multiworker_fit(model, strategy, train[0])
        schedule = make_schedule(config.schedule, config.learning_rate, steps, self.epochs)
        early = early_stopping(config)
        control = run_control(self, schedule, early, self.scale)
        fit_callbacks = [*recipe.callbacks(model), control]
        fit_callbacks += sample_grids(self, recipe, dataset)  # a generative recipe's grid of samples per epoch
        if early is not None:
            fit_callbacks.append(early)
        if self.is_chief:
            fit_callbacks.append(keras.callbacks.CSVLogger(str(self.run_dir / "history.csv"), append=self.resuming))
            if config.tensorboard:
                fit_callbacks.append(epoch_tensorboard(self.run_dir))
        # last: the epoch is logged before its checkpoint commits it (resume drops rows it does not hold)
        fit_callbacks.append(checkpoints.checkpoint_callback(self, config.monitor, state.get("best"), early, control,
                                                             state, background=strategy is None))
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
            self.recipe_report = recipe.report(model, dataset)
            write_run_record(self.project, result, dataset, strategy, self.resumed_from, self.recipe_report,
                             {**self.performance.to_dict(), **_checkpoint_cost(self.checkpoint_writer)})
        self.callbacks.on_finished(result)
        return result


    def _train_prerequisite(self, needed) -> None:
        """Train a model the recipe needs first (its full epochs, in a scratch run next to where its model is kept)
        and keep its model there; noted in the run's log."""
        import shutil
        import tempfile

        from builder.files import atomic_path

        self.notes.append(needed.why)
        log.info(needed.why)
        folder = needed.model_path.parent
        folder.mkdir(parents=True, exist_ok=True)
        for stale in folder.glob(f"{SCRATCH_PREFIX}*"):  # left by a process killed while training a teacher
            if time.time() - stale.stat().st_mtime > STALE_SCRATCH_S:
                shutil.rmtree(stale, ignore_errors=True)
        with tempfile.TemporaryDirectory(dir=folder, prefix=SCRATCH_PREFIX) as scratch:
            first = Trainer(needed.project, run_dir=Path(scratch) / "run")
            first._stop = self._stop  # Stop ends this run's first part too
            result = first.run()
            if result.stopped:
                raise TrainingError(f"Stopped while {needed.why.split(' (')[0]}; nothing was kept: the next run "
                                    "trains it again.")
            with atomic_path(needed.model_path, ".keras") as tmp:
                shutil.copyfile(result.model_path, tmp)


def _check_dataset(project: Project, dataset: Dataset) -> None:
    """Refuse to start when the Inputs or the output do not fit the dataset, saying what to change."""
    problems = dataset_problems_text(check_against_dataset(project, dataset.describe()))
    if problems:
        raise TrainingError(f"The model does not fit dataset '{dataset.name}':\n  " + "\n  ".join(problems))


def _check_recipe_input(project: Project, recipe, dataset: Dataset) -> None:
    """A recipe's model reads one array: its (encoder's) Input must take the dataset's samples."""
    node = project.graph.nodes[recipe.input_node(project.graph)]
    want = tuple(dataset.describe().input_shape)
    shape = tuple(node.params.get("shape") or ())
    if len(shape) != len(want) or any(s is not None and s != w for s, w in zip(shape, want)):
        raise TrainingError(f"The model does not fit dataset '{dataset.name}': Input '{node.id}' has shape "
                            f"{list(shape)} but the dataset's samples are {list(want)}; give the Input that shape.")


def _strategy(config):
    import keras

    if keras.backend.backend() != "tensorflow":
        return None
    return distribution.make_strategy(config.strategy)


def _checkpoint_cost(writer) -> dict:
    """What the epochs' checkpoints cost the training step (seconds per epoch: mean, most; in all), what writing
    them took, and whether they were written off the step."""
    if writer is None or not writer.step_seconds:
        return {}
    held, took = writer.step_seconds, writer.write_seconds or [0.0]
    return {"checkpoint_s_per_epoch": round(sum(held) / len(held), 4), "checkpoint_s_max": round(max(held), 4),
            "checkpoint_s_total": round(sum(held), 3), "checkpoint_write_s_per_epoch": round(sum(took) / len(took), 4),
            "checkpoint_written_off_step": bool(writer.background and writer.mirror is not None)}


def _device() -> str:
    """The devices a run trains on, in one line (part of the performance cache's key)."""
    try:
        return device_summary()
    except Exception:  # a machine whose devices cannot be listed still trains
        return "unknown"


def _is_chief(config) -> bool:
    return config.strategy != "multiworker" or distribution.is_chief()


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
    from builder.training.recipes import register_keras_objects

    register_keras_objects()  # a recipe's model class (a VAE)

    try:
        return load_model_safely(path, compile=True)
    except UnreadableModelError as exc:
        raise TrainingError(f"Cannot resume from {path}: {exc.reason}") from None


def _needs_one_hot(config) -> bool:
    if not config.augmentation:
        return False
    return needs_one_hot(config.augmentation)
