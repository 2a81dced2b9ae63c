"""Small widgets of the training panel: the learning-rate box (scientific notation) and the samples-per-second meter."""
from __future__ import annotations

import re
import time
from collections import deque

from PySide6.QtGui import QValidator
from PySide6.QtWidgets import QDoubleSpinBox, QWidget

from builder.project import MAX_LEARNING_RATE

MIN_LEARNING_RATE = 1e-12
_PARTIAL_NUMBER = re.compile(r"^[0-9]*\.?[0-9]*([eE][+-]?[0-9]*)?$")


def scientific(value: float) -> str:
    """1e-03, 2.5e-04: a learning rate as practitioners write it."""
    mantissa, exponent = f"{value:.3e}".split("e")
    mantissa = mantissa.rstrip("0").rstrip(".")
    return f"{mantissa}e{exponent}"


class LearningRateBox(QDoubleSpinBox):
    """A positive rate typed as 3e-4 or 0.0003; the arrows halve or double it."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setDecimals(15)  # the value is kept as typed; textFromValue decides what is shown
        self.setRange(MIN_LEARNING_RATE, MAX_LEARNING_RATE)
        self.setValue(1e-3)
        self.setKeyboardTracking(False)
        self.setToolTip(f"The learning rate from the next batch on (above 0, at most {MAX_LEARNING_RATE:g}); "
                        "the arrows halve or double it")

    def textFromValue(self, value: float) -> str:  # noqa: N802 (Qt's name)
        return scientific(value)

    def valueFromText(self, text: str) -> float:  # noqa: N802
        try:
            return float(text)
        except ValueError:
            return self.value()

    def validate(self, text: str, position: int):
        try:
            value = float(text)
        except ValueError:
            return QValidator.State.Intermediate if _PARTIAL_NUMBER.match(text) else QValidator.State.Invalid
        if MIN_LEARNING_RATE <= value <= MAX_LEARNING_RATE:
            return QValidator.State.Acceptable
        return QValidator.State.Intermediate

    def stepBy(self, steps: int) -> None:  # noqa: N802
        self.setValue(self.value() * 2.0 ** steps)


class SpeedMeter:
    """Samples per second from the batches seen over the last few seconds (pauses leave no trace)."""

    WINDOW_S = 3.0

    def __init__(self, clock=time.monotonic) -> None:
        self._clock = clock
        self._points: deque[tuple[float, int]] = deque()

    def reset(self) -> None:
        self._points.clear()

    def add(self, batches_done: int) -> None:
        """`batches_done`: batches of the run completed so far."""
        now = self._clock()
        if self._points and batches_done < self._points[-1][1]:
            self._points.clear()  # a new run, or a count from another epoch numbering
        self._points.append((now, batches_done))
        while len(self._points) > 2 and now - self._points[0][0] > self.WINDOW_S:
            self._points.popleft()

    def batches_per_second(self) -> float | None:
        if len(self._points) < 2:
            return None
        (t0, b0), (t1, b1) = self._points[0], self._points[-1]
        return (b1 - b0) / (t1 - t0) if t1 > t0 and b1 > b0 else None
