"""The numbers of one training run as the training panel keeps them: every batch, every epoch, every live change.

Plain Python and numpy (no Qt), so the panel's plots and its CSV files read the same record. Per-batch values
grow in numpy arrays whose capacity doubles (appending stays amortised O(1) for a run of 100 000 batches and
more); nothing is ever thrown away, the plots only draw fewer points than they hold.

Positions along a run are fractional epochs: batch `b` (0-based) of epoch `e` (0-based) of `steps` batches sits
at `e + (b + 1) / steps`, so the last batch of the first epoch is at 1.0, where the first epoch's point is.
"""
from __future__ import annotations

import csv
import io
import math
from typing import Any, Iterable

import numpy as np

EMA_WEIGHT = 0.9  # the smoothed per-batch curve: ema = 0.9 * ema + 0.1 * value (about the last 10 batches)
_INITIAL_CAPACITY = 1024


class Columns:
    """Equal-length numpy columns that grow by doubling; a column that appears late is NaN before it appeared."""

    def __init__(self) -> None:
        self._size = 0
        self._capacity = _INITIAL_CAPACITY
        self._columns: dict[str, np.ndarray] = {}

    def __len__(self) -> int:
        return self._size

    @property
    def names(self) -> list[str]:
        return list(self._columns)

    def column(self, name: str) -> np.ndarray:
        """A read-only view of the first len(self) values (no copy)."""
        view = self._columns[name][:self._size]
        view.flags.writeable = False
        return view

    def __contains__(self, name: str) -> bool:
        return name in self._columns

    def append(self, row: dict[str, float]) -> None:
        if self._size == self._capacity:
            self._capacity *= 2
            for name, values in self._columns.items():
                grown = np.full(self._capacity, np.nan)
                grown[:self._size] = values[:self._size]
                self._columns[name] = grown
        for name, value in row.items():
            values = self._columns.get(name)
            if values is None:
                values = self._columns[name] = np.full(self._capacity, np.nan)
            values[self._size] = value
        self._size += 1


class RunData:
    """One run's record: per-batch rows (raw and smoothed), per-epoch logs, and the live changes made during it."""

    def __init__(self, epochs: int = 0, steps: int = 0, batch_size: int = 0) -> None:
        self.epochs = epochs
        self.steps = steps  # batches per epoch; 0 when the data's length is unknown
        self.batch_size = batch_size
        self.batches = Columns()  # position, epoch, batch, then one column per log key and "<key>~ema"
        self.epoch_logs: dict[int, dict[str, float]] = {}  # epoch index (0-based) -> its logs
        self.changes: list[dict[str, Any]] = []  # settingChanged events, each with its "position"
        self._ema: dict[str, float] = {}
        self._steps_seen = 0  # when `steps` is unknown: the most batches an epoch had so far

    # ---- adding ----------------------------------------------------------------------------------
    def position(self, epoch: int, batch: int) -> float:
        """Where batch `batch` of epoch `epoch` sits (both 0-based); batch -1 is the epoch's start."""
        steps = self.steps or max(self._steps_seen, batch + 1, 1)
        return epoch + min(batch + 1, steps) / steps

    @property
    def last_position(self) -> float:
        """Where the run is now: its last batch, or the end of its last epoch."""
        batch_end = float(self.batches.column("position")[-1]) if len(self.batches) else 0.0
        epoch_end = max(self.epoch_logs) + 1.0 if self.epoch_logs else 0.0
        return max(batch_end, epoch_end)

    def add_batch(self, epoch: int, batch: int, logs: dict[str, Any]) -> None:
        self._steps_seen = max(self._steps_seen, batch + 1)
        row: dict[str, float] = {"position": self.position(epoch, batch), "epoch": epoch, "batch": batch}
        for key, value in logs.items():
            number = _number(value)
            if number is None:
                continue
            row[key] = number
            if math.isfinite(number):
                previous = self._ema.get(key)
                # An epoch's first batch restarts Keras's running mean: the smoothing restarts with it.
                ema = number if previous is None or batch == 0 else EMA_WEIGHT * previous + (1 - EMA_WEIGHT) * number
                self._ema[key] = ema
                row[f"{key}~ema"] = ema
        self.batches.append(row)

    def add_batches(self, rows: Iterable[tuple[int, int, dict[str, Any]]]) -> None:
        for epoch, batch, logs in rows:
            self.add_batch(epoch, batch, logs)

    def add_epoch(self, epoch: int, logs: dict[str, Any]) -> None:
        self.epoch_logs[epoch] = {k: n for k, n in ((k, _number(v)) for k, v in logs.items()) if n is not None}

    def set_history(self, history: dict[str, list[float]]) -> None:
        """The run's own history (the finished run's, authoritative): epoch i of every list is epoch index i."""
        self.epoch_logs = {}
        for key, values in history.items():
            for index, value in enumerate(values):
                number = _number(value)
                if number is not None:
                    self.epoch_logs.setdefault(index, {})[key] = number

    def add_change(self, event: dict[str, Any]) -> dict[str, Any]:
        """Record a live change (settingChanged's dict) and return it with its position along the run.

        As control.csv numbers them, `epoch` is 1-based and `batch` the 0-based batch after which the change
        applied (-1: at the epoch's end, as reduce-on-plateau does); without an epoch the change is placed where
        the run is now."""
        change = dict(event)
        epoch, batch = change.get("epoch"), change.get("batch")
        if _whole(epoch) and epoch >= 1:
            if _whole(batch) and batch >= 0:
                change["position"] = self.position(epoch - 1, batch)
            else:
                change["position"] = float(epoch)
        else:
            change["position"] = self.last_position
        self.changes.append(change)
        return change

    # ---- reading --------------------------------------------------------------------------------
    def batch_keys(self) -> list[str]:
        """The log keys seen per batch (loss, accuracy, …), in the order they first came."""
        return [n for n in self.batches.names if n not in ("position", "epoch", "batch") and not n.endswith("~ema")]

    def epoch_keys(self) -> list[str]:
        keys: dict[str, None] = {}
        for logs in self.epoch_logs.values():
            keys.update(dict.fromkeys(logs))
        return list(keys)

    def epoch_series(self, key: str) -> tuple[np.ndarray, np.ndarray]:
        """(epoch numbers 1, 2, …, values) of `key` over the epochs that logged it."""
        pairs = [(e + 1, logs[key]) for e, logs in sorted(self.epoch_logs.items()) if key in logs]
        if not pairs:
            return np.empty(0), np.empty(0)
        xs, ys = zip(*pairs)
        return np.asarray(xs, dtype=float), np.asarray(ys, dtype=float)

    def batch_series(self, key: str, smoothed: bool = False) -> tuple[np.ndarray, np.ndarray]:
        name = f"{key}~ema" if smoothed else key
        if name not in self.batches:
            return np.empty(0), np.empty(0)
        return self.batches.column("position"), self.batches.column(name)

    def learning_rate_series(self) -> tuple[np.ndarray, np.ndarray]:
        """The rate at each epoch's end, with every applied change of it where it happened, in run order."""
        points = [(e + 1.0, logs["learning_rate"]) for e, logs in self.epoch_logs.items() if "learning_rate" in logs]
        points += [(c["position"], float(c["value"])) for c in self.changes
                   if c.get("name") == "learning_rate" and applied(c) and _number(c.get("value")) is not None]
        points.sort(key=lambda p: p[0])
        if not points:
            return np.empty(0), np.empty(0)
        xs, ys = zip(*points)
        return np.asarray(xs, dtype=float), np.asarray(ys, dtype=float)

    @property
    def has_data(self) -> bool:
        return bool(len(self.batches) or self.epoch_logs)


def applied(change: dict[str, Any]) -> bool:
    """Whether a live change took effect (its reason is not 'refused: …' or 'ignored: …')."""
    reason = str(change.get("reason", ""))
    return not (reason.startswith("refused") or reason.startswith("ignored"))


def _whole(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


# ---- CSV ---------------------------------------------------------------------------------------------
def _csv_text(header: list[str], rows: Iterable[list[Any]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue()


def _cell(value: float) -> str:
    return "" if value is None or (isinstance(value, float) and math.isnan(value)) else repr(float(value))


def epochs_csv(data: RunData) -> str:
    """One row per epoch (1-based, as history.csv numbers them): every key its logs had."""
    keys = data.epoch_keys()
    rows = ([e + 1] + [_cell(logs.get(k)) for k in keys] for e, logs in sorted(data.epoch_logs.items()))
    return _csv_text(["epoch"] + keys, rows)


def batches_csv(data: RunData) -> str:
    """One row per batch: epoch (1-based), batch (0-based), position in epochs, the raw logs, then the smoothed."""
    keys = data.batch_keys()
    smoothed = [k for k in keys if f"{k}~ema" in data.batches]
    columns = data.batches
    header = ["epoch", "batch", "position"] + keys + [f"{k}_smoothed" for k in smoothed]
    if not len(columns):
        return _csv_text(header, [])
    epochs, batches, positions = columns.column("epoch"), columns.column("batch"), columns.column("position")
    values = [columns.column(k) for k in keys] + [columns.column(f"{k}~ema") for k in smoothed]
    rows = ([int(epochs[i]) + 1, int(batches[i]), repr(float(positions[i]))] + [_cell(v[i]) for v in values]
            for i in range(len(columns)))
    return _csv_text(header, rows)


def changes_csv(data: RunData) -> str:
    """One row per live change, as control.csv has them (epoch 1-based, batch), with its position in epochs."""
    rows = ([c.get("epoch", ""), c.get("batch", ""),
             repr(float(c["position"])), c.get("name", ""), c.get("value", ""), c.get("reason", "")]
            for c in data.changes)
    return _csv_text(["epoch", "batch", "position", "setting", "value", "reason"], rows)
