"""Live control of a running fit: progress, pause/stop, NaN guard, the learning-rate schedule and live changes.

`RunControl` is the one Keras callback that talks to the Trainer. Between batches it
- forwards progress to the TrainingCallbacks, waits while paused, stops when asked;
- stops on a NaN or infinite loss with a message naming the likely causes;
- sets the optimizer's learning rate to schedule(step) x scale, where scale is 1 until the user changes the rate
  while the run goes on (`Trainer.set_learning_rate`, or `python main.py control RUN --learning-rate X`, which
  writes RUN/control.json); reduce-on-plateau also lowers the scale;
- applies a new early-stopping patience.
Every change is written to the run's `control.csv` (epoch, batch, step, setting, value, reason) and the learning
rate of each epoch goes into the epoch logs, so history.csv records it.

No request stops a run: control.json is read with checks (`read_control_request`): a file that is not a JSON
object of known settings with values in range (builder.project's learning_rate_problem / patience_problem) is
ignored as a whole, and each reason is a `refused: ...` row of control.csv.
"""
from __future__ import annotations

import csv
import json
import logging
import math
import stat
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from builder.errors import TrainingError
from builder.files import atomic_write_text
from builder.project import learning_rate_problem, patience_problem, shown
from builder.training.checkpoints import maximised
from builder.training.failure_messages import nan_message

log = logging.getLogger(__name__)

CONTROL_FILE = "control.json"
CONTROL_LOG = "control.csv"
CONTROL_MAX_BYTES = 64 * 1024  # a request is a few settings; anything bigger is not one
LIVE_SETTINGS = ("learning_rate", "patience")
CONTROL_POLL_SECONDS = 0.5  # how often a run reads its control.json (a Trainer's control_poll_s)
_CLOCK_SLACK_NS = 1_000_000_000  # file times are coarser than time.time_ns(): a file this much older is stale
_EXAMPLE = '{"learning_rate": 0.0003, "patience": 10}'


def live_setting_problem(name: str, value: Any) -> str | None:
    """None when `value` is a valid new value of live setting `name`, else why not (a sentence)."""
    if name == "learning_rate":
        problem = learning_rate_problem(value)
    elif name == "patience":
        problem = patience_problem(value)
    else:
        return f"unknown setting; live settings: {', '.join(LIVE_SETTINGS)}"
    return f"must be {problem}; got {shown(value)}" if problem else None


@dataclass
class ControlRequest:
    """What control.json asks for: the settings to apply, or why it is refused (then nothing applies)."""

    settings: dict[str, Any] = field(default_factory=dict)
    refusals: list[tuple[str, str, str]] = field(default_factory=list)  # (setting, value as written, reason)
    request_id: int | None = None
    stale: bool = False  # written before this run started (left from an earlier run): ignored without a word

    def refuse(self, setting: str, value: Any, reason: str) -> "ControlRequest":
        """Refuse the request for a value it holds (recorded as JSON writes it)."""
        self.refusals.append((setting, shown(value), f"refused: {reason}"))
        self.settings = {}
        return self

    def refuse_file(self, reason: str) -> "ControlRequest":
        """Refuse the request for what the file is (no value to show)."""
        self.refusals.append(("request", "", f"refused: {CONTROL_FILE} {reason}"))
        self.settings = {}
        return self


def read_control_request(path: str | Path, started_ns: int = 0) -> ControlRequest:
    """Read a control.json with every check; never raises. A request is all good or refused as a whole."""
    path = Path(path)
    request = ControlRequest()
    try:
        info = path.stat()
        if not stat.S_ISREG(info.st_mode):
            kind = "a folder" if stat.S_ISDIR(info.st_mode) else "not a regular file"
            return request.refuse_file(f"is {kind}; remove it and write requests with "
                                       "`python main.py control RUN_DIR --learning-rate X`")
        if info.st_mtime_ns < started_ns - _CLOCK_SLACK_NS:
            request.stale = True
            return request
        if info.st_size > CONTROL_MAX_BYTES:
            return request.refuse_file(f"is {info.st_size:,} bytes; a request is at most {CONTROL_MAX_BYTES:,} "
                                       f"bytes, e.g. {_EXAMPLE}")
        with open(path, "rb") as handle:
            raw = handle.read(CONTROL_MAX_BYTES + 1)
        data = json.loads(raw.decode("utf-8"))
    except FileNotFoundError:
        return request
    except OSError as exc:
        return request.refuse_file(f"cannot be read ({exc.strerror or exc})")
    except UnicodeDecodeError:
        return request.refuse_file(f"is not UTF-8 text; write JSON such as {_EXAMPLE}")
    except (ValueError, RecursionError) as exc:
        reason = exc.msg if isinstance(exc, json.JSONDecodeError) else type(exc).__name__
        return request.refuse_file(f"is not valid JSON ({reason}); write e.g. {_EXAMPLE}")
    if not isinstance(data, dict):
        return request.refuse("request", data, f"a request is a JSON object such as {_EXAMPLE}")
    request_id = data.get("request_id")
    if request_id is not None:
        if isinstance(request_id, bool) or not isinstance(request_id, int) or request_id < 0:
            request.refuse("request_id", request_id, "request_id must be a whole number (the time in "
                                                     "nanoseconds `python main.py control` writes) or left out")
        else:
            request.request_id = request_id
            if request_id < started_ns:
                request.stale = True
                return request
    settings = {}
    for key, value in data.items():
        if key == "request_id":
            continue
        problem = live_setting_problem(key, value) if isinstance(key, str) else "unknown setting"
        if problem:
            request.refuse(key if key in LIVE_SETTINGS else shown(key), value, problem)
        else:
            settings[key] = value
    if request.refusals:
        request.settings = {}
    elif not settings:
        request.refuse("request", data, f"names no setting to change; live settings: {', '.join(LIVE_SETTINGS)}")
    else:
        request.settings = settings
    return request


class LiveSettings:
    """Changes asked for while a run goes on; thread-safe, applied by RunControl at the next batch."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pending: dict[str, float] = {}

    def request(self, name: str, value: float) -> None:
        if name not in LIVE_SETTINGS:
            raise ValueError(f"Unknown live setting {name!r}; settings: {', '.join(LIVE_SETTINGS)}.")
        with self._lock:
            self._pending[name] = value

    def take(self) -> dict[str, float]:
        with self._lock:
            pending, self._pending = self._pending, {}
        return pending


def write_control_request(run_dir: str | Path, **settings: float) -> Path:
    """What `python main.py control` does: ask a running training in run_dir to change settings. Values out of
    range are refused (TrainingError, with the rule); the valid settings of an earlier request are kept."""
    settings = {k: v for k, v in settings.items() if v is not None}
    for name, value in settings.items():
        problem = live_setting_problem(name, value)
        if problem:
            raise TrainingError(f"--{name.replace('_', '-')} {problem}.")
    path = Path(run_dir) / CONTROL_FILE
    if path.exists() and not path.is_file():
        raise TrainingError(f"{path} is not a regular file; remove it, then ask again.")
    current = read_control_request(path).settings  # an earlier valid request; garbage is dropped
    current.update(settings)
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
            self.control_seen: tuple | None = None  # the control.json last read (inode, time, size)
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

        def _record(self, batch: int, name: str, value: Any, reason: str) -> None:
            trainer.callbacks.on_setting_changed({"epoch": self.epoch + 1, "batch": batch, "step": self._step(),
                                                  "name": name, "value": value, "reason": reason})
            try:
                new = not self.log_path.exists()
                with open(self.log_path, "a", newline="", encoding="utf-8") as handle:
                    writer = csv.writer(handle)
                    if new:
                        writer.writerow(["epoch", "batch", "step", "setting", "value", "reason"])
                    writer.writerow([self.epoch + 1, batch, self._step(), name, value, reason])
            except OSError as exc:  # a log that cannot be written does not stop the run
                log.warning("cannot write %s: %s", self.log_path, exc)

        def _apply_live(self, batch: int) -> None:
            changes = trainer.live.take()
            now = time.monotonic()
            if now - self.last_poll >= trainer.control_poll_s:
                self.last_poll = now
                changes.update(self._control_file(batch))
            for name, value in changes.items():
                problem = live_setting_problem(name, value)
                if problem:  # the engine's own callers are checked too: a bad value never reaches the optimizer
                    self._record(batch, name, shown(value), f"refused: {problem}")
                elif name == "learning_rate":
                    base = schedule.rate(self._step())
                    self.scale = float(value) / base if base else 1.0
                    self._apply_lr(self._step())
                    trainer.scale = self.scale
                    self._record(batch, name, float(value), "user")
                elif early_stopping is None:
                    self._record(batch, name, value, "ignored: this run has no early stopping "
                                                     "(training.early_stopping is off)")
                else:
                    early_stopping.patience = int(value)
                    self._record(batch, name, int(value), "user")

        def _control_file(self, batch: int) -> dict[str, Any]:
            """A new request in control.json, checked; a bad one is recorded as refused and changes nothing."""
            path = trainer.run_dir / CONTROL_FILE
            try:
                info = path.stat()
                seen = (info.st_ino, info.st_mtime_ns, info.st_size, info.st_mode)
            except FileNotFoundError:
                return {}
            except OSError as exc:
                seen = ("error", str(exc))
            if seen == self.control_seen:
                return {}
            self.control_seen = seen
            request = read_control_request(path, trainer.started_ns)
            for setting, value, reason in request.refusals:
                self._record(batch, setting, value, reason)
            return {} if request.stale else request.settings

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

