"""Best and last checkpoints of a run, one atomic commit per epoch, and what resuming needs from them.

A run directory holds `last.keras` (the model and its optimizer state after the latest epoch), `best.keras` (the
epoch with the best monitored value) and `checkpoint.json`. The state a resume needs (epoch count, optimizer
step, live learning-rate scale, best value, the random generators' states, early stopping's and
reduce-on-plateau's counters) travels *inside* `last.keras` (`layerboard_checkpoint.json`, an extra entry of the
archive that Keras ignores), so model and state are committed together by one rename: a kill at any moment
leaves either the previous epoch's checkpoint or the new one, never half of each. `checkpoint.json` is a readable
copy written after that commit; resume reads the archive's and says so when the copy disagrees (a kill came
between the two). Every epoch writes best.keras (when better), then history.csv's row, then last.keras (the
commit), then checkpoint.json; resume drops history rows of epochs the checkpoint does not hold.

The writing runs off the training step where the model can be mirrored (builder.training.checkpoint_writer): an
epoch's files and their order are the same, written while the next epoch trains (whose history row may then reach
the disk first: resume drops it); a kill while they are written leaves the previous epoch's checkpoint, a kill
after leaves this one.

`LAYERBOARD_KILL_AT` (tests only) kills the process with SIGKILL at a named point: `batch E:B` (after batch B,
0-based, of epoch E, 1-based, once the previous epoch's checkpoint is written), `before-best E`, `before-last E`
(best.keras written, last.keras not) and `before-state E` (last.keras committed, checkpoint.json not).
"""
from __future__ import annotations

import csv
import json
import logging
import math
import os
import shutil
import zipfile
from pathlib import Path
from typing import Any

from builder.errors import LayerboardError, TrainingError
from builder.files import KILL_AT, atomic_path, atomic_write_text, kill_point
from builder.model import UnreadableModelError, load_model_safely
from builder.training.checkpoint_writer import CheckpointWriter

log = logging.getLogger(__name__)

LAST, BEST, STATE = "last.keras", "best.keras", "checkpoint.json"
EMBEDDED = "layerboard_checkpoint.json"  # the state inside a checkpoint archive
RUN_FILES = (LAST, BEST, STATE, "model.keras", "history.csv", "run.json")  # a folder holding one of these is a run


def save_model_atomic(model, path: Path, state: dict[str, Any] | None = None, also: Path | None = None,
                      between=None) -> None:
    """Save a .keras file through a temporary name so a crash never leaves a broken model; `state` goes inside.

    With `also` (an epoch's best.keras beside its last.keras), the model is serialised once and that file copied
    to `also` first (through its own temporary name), then `between()` is called, then `path` is put in place:
    the order of two separate saves, at the cost of one."""
    with atomic_path(path, ".keras") as tmp:  # Keras picks the format from the suffix
        model.save(tmp)
        if state is not None:
            with zipfile.ZipFile(tmp, "a") as archive:
                archive.writestr(EMBEDDED, json.dumps(state, indent=2) + "\n")
        if also is not None:
            with atomic_path(also, ".keras") as copy:
                shutil.copyfile(tmp, copy)
        if between is not None:
            between()


def embedded_state(path: Path) -> dict[str, Any] | None:
    """The checkpoint state inside a .keras archive, or None (no archive, none inside, unreadable)."""
    try:
        with zipfile.ZipFile(path) as archive:
            if EMBEDDED not in archive.namelist():
                return None
            state = json.loads(archive.read(EMBEDDED))
    except (OSError, zipfile.BadZipFile, ValueError, KeyError):
        return None
    return state if isinstance(state, dict) else None


def holds_run(run_dir: str | Path) -> bool:
    """Whether `run_dir` holds (part of) a training run: a checkpoint, a model, history or run record."""
    return any(os.path.lexists(Path(run_dir) / name) for name in RUN_FILES)


def clear_run_dir(run_dir: str | Path, force: bool = False) -> None:
    """Make `run_dir` ready for a new run: a folder holding a run is refused unless `force`, which removes that
    run's files (Layerboard's only: the user's other files in the folder stay)."""
    path = Path(run_dir)
    if os.path.lexists(path) and not path.is_dir():
        raise TrainingError(f"{path} is not a folder; --run-dir names the folder a run is written to. "
                            "Give a folder path.")
    found = [name for name in RUN_FILES if os.path.lexists(path / name)]
    if not found:
        return
    if not force:
        raise TrainingError(f"{path} already holds a run ({', '.join(found)}); continue it with --resume {path}, "
                            "replace it with --force, or choose another --run-dir.")
    for name in (*RUN_FILES, "control.csv", "control.json"):
        if os.path.lexists(path / name):
            (path / name).unlink()
    shutil.rmtree(path / "logs", ignore_errors=True)


def maximised(monitor: str) -> bool:
    """Whether a larger value of the monitored metric is better (accuracy, AUC, precision, recall, IoU)."""
    name = monitor.removeprefix("val_")
    return any(word in name for word in ("acc", "auc", "precision", "recall", "iou"))


def is_better(monitor: str, value: float, best: float | None) -> bool:
    if best is None or not math.isfinite(best):
        return math.isfinite(value)
    return value > best if maximised(monitor) else value < best


def read_state(run_dir: Path, notes: list[str] | None = None) -> dict[str, Any]:
    """The state of the run's last committed checkpoint (from inside last.keras; checkpoint.json for runs written
    before the state travelled inside). A disagreement between the two is added to `notes` and logged."""
    run_dir = Path(run_dir)
    last, copy_path = run_dir / LAST, run_dir / STATE
    if not last.exists():
        raise TrainingError(f"{run_dir} has no checkpoint to resume from (looked for {LAST} and {STATE}); "
                            "resume a run that finished at least one epoch.")
    copy = None
    if copy_path.exists():
        try:
            copy = json.loads(copy_path.read_text())
        except (OSError, ValueError, UnicodeDecodeError) as exc:
            copy = exc
    state = embedded_state(last)
    if state is None:  # a run of an earlier Layerboard: the copy is all there is, checked against the model later
        if copy is None:
            raise TrainingError(f"{run_dir} has no checkpoint to resume from (looked for {LAST} and {STATE}); "
                                "resume a run that finished at least one epoch.")
        if not isinstance(copy, dict):
            raise TrainingError(f"{copy_path} is not valid JSON ({copy}); resume from another run.")
        return copy
    if not isinstance(copy, dict) or (copy.get("epoch"), copy.get("step")) != (state.get("epoch"), state.get("step")):
        said = (f"epoch {copy.get('epoch')}, step {copy.get('step')}" if isinstance(copy, dict)
                else "nothing readable")
        note = (f"{copy_path} said {said} but {last} holds epoch {state.get('epoch')}, step {state.get('step')} "
                f"(a stop between the two writes); resuming from {LAST}, which is complete.")
        log.warning(note)
        if notes is not None:
            notes.append(note)
    return state


def read_checkpoint_epoch(run_dir: str | Path) -> int:
    """How many epochs the run's last committed checkpoint holds (0 when it has none or it cannot be read)."""
    try:
        return max(0, int(read_state(Path(run_dir)).get("epoch", 0) or 0))
    except (LayerboardError, OSError, ValueError, TypeError):
        return 0


def check_loaded(state: dict[str, Any], model, path: Path) -> None:
    """Refuse to resume when the loaded model's optimizer step is not the step its state records."""
    step = int(model.optimizer.iterations.numpy())
    if state.get("step") is not None and int(state["step"]) != step:
        raise TrainingError(
            f"{path} is at optimizer step {step} but its checkpoint state says epoch {state.get('epoch')}, step "
            f"{state['step']}: they are not from the same epoch (a run of an earlier Layerboard stopped between "
            f"writing them). Resuming would train a wrong number of epochs; start a new run instead.")


def random_states(model) -> list[list[int]]:
    """The states of the model's random generators (dropout, noise layers), in the model's variable order."""
    return [[int(v) for v in variable.numpy().tolist()] for variable in _seed_variables(model)]


def restore_random_states(model, states: list | None) -> None:
    """Put back the random generators' states a checkpoint recorded (a resumed run then draws what an
    uninterrupted one would)."""
    variables = _seed_variables(model)
    if not states or len(states) != len(variables):
        return
    for variable, value in zip(variables, states):
        variable.assign(value)


def _seed_variables(model) -> list:
    return [v for v in model.non_trainable_variables if v.name == "seed_generator_state"]


def keep_history_until(run_dir: Path, epochs: int) -> None:
    """Drop history.csv rows of epochs >= `epochs` (written before a kill took their checkpoint)."""
    path = Path(run_dir) / "history.csv"
    try:
        with open(path, newline="") as handle:
            rows = list(csv.reader(handle))
    except (OSError, UnicodeDecodeError):
        return
    if not rows or "epoch" not in rows[0]:
        return
    column = rows[0].index("epoch")
    kept = [rows[0]] + [row for row in rows[1:] if len(row) > column and _int(row[column]) < epochs]
    if len(kept) != len(rows):
        with atomic_path(path) as tmp, open(tmp, "w", newline="") as handle:
            csv.writer(handle).writerows(kept)


def _int(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        return 1 << 62


def checkpoint_callback(trainer, monitor: str, best: float | None = None, early=None, control=None,
                        resumed: dict[str, Any] | None = None, background: bool = True):
    """Keras callback: each epoch best.keras (when the monitored value improves), then last.keras with the whole
    state inside (the commit), then its readable copy checkpoint.json, written off the training step when
    `background` and the model can be mirrored (builder.training.checkpoint_writer; `trainer.checkpoint_writer`
    says what each cost). Put it after the callbacks that log the epoch. On a resume it gives early stopping and
    reduce-on-plateau the counters the checkpoint recorded."""
    import keras

    kill_at = os.environ.get(KILL_AT)

    class Checkpoints(keras.callbacks.Callback):
        def __init__(self) -> None:
            super().__init__()
            self.best = best
            self.epoch = 0
            self.writer: CheckpointWriter | None = None

        def on_train_begin(self, logs=None):  # after early stopping's own on_train_begin, which resets it
            if not resumed:
                return
            if early is not None and resumed.get("early_stopping"):
                saved = resumed["early_stopping"]
                early.wait = int(saved.get("wait", 0))
                early.best = float(saved["best"]) if saved.get("best") is not None else early.best
                early.best_epoch = int(saved.get("best_epoch", 0))
                if early.restore_best_weights and saved.get("best") is not None:
                    early.best_weights = self._best_weights(early.best_epoch)
            if control is not None and resumed.get("plateau"):
                control.plateau_best = float(resumed["plateau"].get("best", math.inf))
                control.plateau_wait = int(resumed["plateau"].get("wait", 0))

        def _best_weights(self, best_epoch: int):
            """Early stopping's best weights from before the resume: best.keras when it holds that epoch."""
            path = trainer.run_dir / BEST
            if (embedded_state(path) or {}).get("epoch") == best_epoch + 1:
                try:
                    return load_model_safely(path, compile=False).get_weights()
                except UnreadableModelError:
                    pass
            note = (f"early stopping's best epoch ({best_epoch + 1}) is not the one in {path}; restore_best_weights "
                    "restores the best of the epochs trained after this resume.")
            log.warning(note)
            trainer.notes.append(note)
            return None

        def on_epoch_begin(self, epoch, logs=None):
            self.epoch = epoch

        def on_train_batch_end(self, batch, logs=None):
            if kill_at:  # tests: a kill between batches comes after the last epoch's checkpoint is written (a kill
                if self.writer is not None:  # while it is written lands on one of the points inside the write)
                    self.writer.wait()
                kill_point(f"batch {self.epoch + 1}:{batch}")

        def on_epoch_end(self, epoch, logs=None):
            if trainer.failure is not None or not trainer.is_chief:
                return
            if kill_at:
                kill_point(f"before-best {epoch + 1}")
            value = (logs or {}).get(monitor)
            improved = value is not None and is_better(monitor, float(value), self.best)
            if improved:
                self.best = float(value)
            state = {"epoch": epoch + 1, "step": int(self.model.optimizer.iterations.numpy()),
                     "learning_rate_scale": trainer.scale, "monitor": monitor, "best": self.best,
                     "random_states": random_states(self.model), **self._counters()}

            def save(model) -> None:  # the model, or its mirror in the writer's thread
                save_model_atomic(model, trainer.run_dir / LAST, state, also=trainer.run_dir / BEST if improved else None,
                                  between=(lambda: kill_point(f"before-last {epoch + 1}")) if kill_at else None)
                if kill_at:
                    kill_point(f"before-state {epoch + 1}")
                copy = {k: v for k, v in state.items() if k != "random_states"}
                atomic_write_text(trainer.run_dir / STATE, json.dumps(copy, indent=2) + "\n")

            if self.writer is None:
                self.writer = trainer.checkpoint_writer = CheckpointWriter(self.model, background)
            self.writer.write(save, final=epoch + 1 >= int(self.params.get("epochs") or 0))

        def on_train_end(self, logs=None):
            if self.writer is not None:  # the last epoch's checkpoint is on disk before the run goes on
                self.writer.finish(failing=trainer.failure is not None)

        def _counters(self) -> dict[str, Any]:
            counters: dict[str, Any] = {}
            if early is not None:
                early_best = getattr(early, "best", None)
                counters["early_stopping"] = {
                    "wait": int(getattr(early, "wait", 0)), "best_epoch": int(getattr(early, "best_epoch", 0) or 0),
                    "best": float(early_best) if early_best is not None and math.isfinite(early_best) else None}
            if control is not None:
                counters["plateau"] = {"best": float(control.plateau_best), "wait": int(control.plateau_wait)}
            return counters

    return Checkpoints()
