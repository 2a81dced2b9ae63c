"""Live control of a running fit: progress, pause/stop, NaN guard, the learning-rate schedule and live changes.

`RunControl` is the one Keras callback that talks to the Trainer. Between batches it
- forwards progress to the TrainingCallbacks, waits while paused, stops when asked;
- stops on a NaN or infinite loss with a message naming the likely causes;
- sets the optimizer's learning rate to schedule(step) x scale, where scale is 1 until the user changes the rate
  while the run goes on (`Trainer.set_learning_rate`, or `python main.py control RUN --learning-rate X`, which
  writes RUN/control.json); reduce-on-plateau also lowers the scale;
- applies a new early-stopping patience.
Every change is written to the run's `control.csv` (epoch, batch, step, setting, value) and the learning rate of
each epoch goes into the epoch logs, so history.csv records it.
"""
from __future__ import annotations

import csv
import json
import math
import threading
import time
from pathlib import Path
from typing import Any

from builder.files import atomic_write_text
from builder.training.checkpoints import maximised
from builder.training.failure_messages import nan_message

CONTROL_FILE = "control.json"
CONTROL_LOG = "control.csv"
_POLL_SECONDS = 0.5


class LiveSettings:
    """Changes asked for while a run goes on; thread-safe, applied by RunControl at the next batch."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pending: dict[str, float] = {}

    def request(self, name: str, value: float) -> None:
        if name not in ("learning_rate", "patience"):
            raise ValueError(f"Unknown live setting {name!r}; settings: learning_rate, patience.")
        with self._lock:
            self._pending[name] = value

    def take(self) -> dict[str, float]:
        with self._lock:
            pending, self._pending = self._pending, {}
        return pending


def write_control_request(run_dir: str | Path, **settings: float) -> Path:
    """What `python main.py control` does: ask a running training in run_dir to change settings."""
    path = Path(run_dir) / CONTROL_FILE
    current = json.loads(path.read_text()) if path.exists() else {}
    current.update({k: v for k, v in settings.items() if v is not None})
    current["request_id"] = time.time_ns()
    atomic_write_text(path, json.dumps(current) + "\n")
    return path


def run_control(trainer, schedule, early_stopping=None, scale: float = 1.0):
    """The Keras callback for one fit (built here so that Keras is imported lazily)."""
    import keras

    class RunControl(keras.callbacks.Callback):
        def __init__(self) -> None:
            super().__init__()
            self.epoch = 0
            self.scale = scale
            self.current_lr: float | None = None
            self.plateau_best = math.inf
            self.plateau_wait = 0
            self.control_seen: int | None = None
            self.last_poll = 0.0
            self.log_path = trainer.run_dir / CONTROL_LOG

        # --- learning rate -----------------------------------------------------------------------------------
        def _step(self) -> int:
            return int(self.model.optimizer.iterations.numpy())

        def _apply_lr(self, step: int) -> None:
            lr = schedule.rate(step) * self.scale
            if lr != self.current_lr:
                self.model.optimizer.learning_rate.assign(lr)
                self.current_lr = lr

        def _record(self, batch: int, name: str, value: float, reason: str) -> None:
            new = not self.log_path.exists()
            with open(self.log_path, "a", newline="") as handle:
                writer = csv.writer(handle)
                if new:
                    writer.writerow(["epoch", "batch", "step", "setting", "value", "reason"])
                writer.writerow([self.epoch + 1, batch, self._step(), name, value, reason])

        def _apply_live(self, batch: int) -> None:
            changes = trainer.live.take()
            now = time.monotonic()
            if now - self.last_poll >= _POLL_SECONDS:
                self.last_poll = now
                changes.update(self._control_file())
            for name, value in changes.items():
                if name == "learning_rate":
                    base = schedule.rate(self._step())
                    self.scale = float(value) / base if base else 1.0
                    self._apply_lr(self._step())
                    trainer.scale = self.scale
                elif name == "patience" and early_stopping is not None:
                    early_stopping.patience = int(value)
                self._record(batch, name, float(value), "user")

        def _control_file(self) -> dict[str, float]:
            path = trainer.run_dir / CONTROL_FILE
            try:
                request = json.loads(path.read_text())
            except (FileNotFoundError, ValueError):
                return {}
            if request.get("request_id") == self.control_seen:
                return {}
            self.control_seen = request.get("request_id")
            if int(request.get("request_id") or 0) < trainer.started_ns:
                return {}  # a request left from an earlier run in this folder (one resumed, say)
            return {k: float(v) for k, v in request.items() if k in ("learning_rate", "patience")}

        # --- Keras hooks ---------------------------------------------------------------------------------------
        def on_train_begin(self, logs=None):
            self.first_step = self._step()
            self.first_epoch = None
            self._apply_lr(self.first_step)
            trainer.callbacks.on_train_begin(self.params.get("epochs", 0), self.params.get("steps") or 0)

        def on_epoch_begin(self, epoch, logs=None):
            self.epoch = epoch
            if self.first_epoch is None:
                self.first_epoch = epoch

        def on_train_batch_begin(self, batch, logs=None):
            if schedule.name not in ("constant", "reduce_on_plateau"):
                # The step counted in Python: reading optimizer.iterations costs ~60 us a batch.
                steps = self.params.get("steps") or 0
                self._apply_lr(self.first_step + (self.epoch - self.first_epoch) * steps + batch)

        def on_train_batch_end(self, batch, logs=None):
            values = _floats(logs)
            loss = values.get("loss")
            if loss is not None and not math.isfinite(loss):
                trainer.failure = nan_message(loss, self.epoch, batch)
                self.model.stop_training = True
                return
            trainer.callbacks.on_batch_end(self.epoch, batch, values)
            self._apply_live(batch)
            while trainer.paused and not trainer.stop_requested:
                time.sleep(0.05)
                self._apply_live(batch)
            if trainer.stop_requested:
                self.model.stop_training = True

        def on_epoch_end(self, epoch, logs=None):
            if logs is not None:
                logs["learning_rate"] = float(self.current_lr if self.current_lr is not None else schedule.rate(0))
            if schedule.on_plateau and logs is not None:
                self._plateau(epoch, logs)
            if trainer.failure is None:
                trainer.callbacks.on_epoch_end(epoch, _floats(logs))

        def _plateau(self, epoch: int, logs: dict[str, Any]) -> None:
            params = schedule.params
            value = logs.get(trainer.monitor)
            if value is None:
                return
            value = -float(value) if maximised(trainer.monitor) else float(value)
            if value < self.plateau_best - params["min_delta"]:
                self.plateau_best, self.plateau_wait = value, 0
                return
            self.plateau_wait += 1
            if self.plateau_wait >= params["patience"]:
                lr = max(float(params["min_lr"]), self.current_lr * params["factor"])
                if lr < self.current_lr:
                    base = schedule.rate(self._step())
                    self.scale = lr / base if base else self.scale
                    trainer.scale = self.scale
                    self._apply_lr(self._step())
                    self._record(-1, "learning_rate", lr, f"reduce_on_plateau ({trainer.monitor})")
                self.plateau_wait = 0

    return RunControl()


def _floats(logs: dict[str, Any] | None) -> dict[str, float]:
    return {k: float(v) for k, v in (logs or {}).items()}

