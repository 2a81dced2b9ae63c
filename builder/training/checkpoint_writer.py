"""Each epoch's checkpoint written off the training step, so a small model's epochs do not wait for the disk.

At an epoch's end the training thread copies the model's and its optimizer's variables into a mirror of the model
(a clone with the same layers, compile settings and optimizer slots, made once), then a background thread saves
the mirror exactly as the training thread would have saved the model (`checkpoints.save_model_atomic`, the same
order of files and the same kill points), while the next epoch trains. The next checkpoint, and the end of the
run, first wait for the one in flight, and a write that failed fails the run there, with its own message.

Copying the variables takes milliseconds; the save it replaces took 25-40 ms an epoch for the small templates
(serialising the config, the weights' HDF5 file, the zip archive, fsync), as much as a sixth of their epoch. A model
that cannot be mirrored exactly (a recipe's own model class, a distribution strategy, variables that do not pair up
— as under mixed precision, whose fitted LossScaleOptimizer's variables a fresh one does not match — a mirror that
would take more than MIRROR_LIMIT of memory) is saved on the training thread as before.
"""
from __future__ import annotations

import logging
import threading
import time
from typing import Any, Callable

log = logging.getLogger(__name__)
MIRROR_LIMIT = 1 << 30  # bytes of variables a mirror may take (model and optimizer together)


def _mirror(model) -> tuple[Any, list[tuple[Any, Any]]]:
    """(a clone of `model` compiled and built like it, [(clone variable, model variable)]), or (None, []) when the
    model cannot be mirrored exactly."""
    import keras
    import numpy as np

    if type(model).__name__ not in ("Functional", "Sequential") or getattr(model, "optimizer", None) is None:
        return None, []
    try:
        size = sum(int(np.prod(v.shape)) * np.dtype(v.dtype).itemsize for v in [*model.variables,
                                                                                 *model.optimizer.variables])
    except TypeError as exc:  # a dtype NumPy does not know
        log.info("checkpoints are written on the training thread: %s", exc)
        return None, []
    if size > MIRROR_LIMIT:
        log.info("checkpoints are written on the training thread: a mirror would take %d bytes", size)
        return None, []
    try:  # clone_model compiles the clone from the model's compile config
        clone = keras.models.clone_model(model)
        clone.optimizer.build(clone.trainable_variables)
    except Exception as exc:  # noqa: BLE001 - a model Keras cannot clone is saved on the training thread
        log.info("checkpoints are written on the training thread: %s", exc)
        return None, []
    pairs = [*zip(clone.variables, model.variables), *zip(clone.optimizer.variables, model.optimizer.variables)]
    counts = (len(clone.variables), len(clone.optimizer.variables))
    if counts == (len(model.variables), len(model.optimizer.variables)) and all(
            a.name == b.name and tuple(a.shape) == tuple(b.shape) and a.dtype == b.dtype for a, b in pairs):
        return clone, pairs
    # e.g. mixed precision: a fitted LossScaleOptimizer's variables do not pair up with a fresh one's
    log.info("checkpoints are written on the training thread: the mirror's variables differ from the model's")
    return None, []


class CheckpointWriter:
    """Runs `save(model)` once per epoch: on a mirror in a background thread when the model can be mirrored
    (`background`), else right away. `step_seconds` is what each write held the training thread, `write_seconds`
    what each save took."""

    def __init__(self, model, background: bool = True) -> None:
        self.model = model
        self.background = background
        self.mirror = None
        self.pairs: list[tuple[Any, Any]] = []
        self.thread: threading.Thread | None = None
        self.failure: BaseException | None = None
        self.step_seconds: list[float] = []
        self.write_seconds: list[float] = []

    def write(self, save: Callable[[Any], None], final: bool = False) -> None:
        """`save(model)` for this epoch. `final`: the run's last epoch, which the run waits for anyway: saved right
        away, without making a mirror for it (a one-epoch run never makes one)."""
        started = time.perf_counter()
        self.wait()
        if final and self.mirror is None:
            save(self.model)
            self.write_seconds.append(time.perf_counter() - started)
            self.step_seconds.append(time.perf_counter() - started)
            return
        if self.background and self.mirror is None:
            self.mirror, self.pairs = _mirror(self.model)  # after the first epoch: the optimizer is built
            self.background = self.mirror is not None
        if not self.background:
            save(self.model)
            self.write_seconds.append(time.perf_counter() - started)
        else:
            for target, source in self.pairs:
                target.assign(source)
            self.thread = threading.Thread(target=self._save, args=(save,), name="layerboard-checkpoint",
                                           daemon=True)
            self.thread.start()
        self.step_seconds.append(time.perf_counter() - started)

    def _save(self, save: Callable[[Any], None]) -> None:
        started = time.perf_counter()
        try:
            save(self.mirror)
        except BaseException as exc:  # noqa: BLE001 - raised on the training thread by wait()
            self.failure = exc
        finally:
            self.write_seconds.append(time.perf_counter() - started)

    def finish(self, failing: bool = False) -> None:
        """The last write is on disk before the run ends. When the run is failing anyway (`failing`), a failed
        write is logged, not raised: the run's own failure is the one to report."""
        try:
            self.wait()
        except Exception as exc:
            if not failing:
                raise
            log.warning("the last checkpoint could not be written: %s", exc)

    def wait(self) -> None:
        """Until the write in flight is done; raises what it failed with."""
        if self.thread is not None:
            self.thread.join()
            self.thread = None
        if self.failure is not None:
            failure, self.failure = self.failure, None
            raise failure
