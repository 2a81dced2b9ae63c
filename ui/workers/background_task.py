"""Run one slow engine call (importing Keras, exporting a model) on a QThread; report on the GUI thread."""
from __future__ import annotations

import logging
from typing import Any, Callable

from PySide6.QtCore import QObject, QThread, Signal, Slot

from builder.errors import LayerboardError
from builder.faults import debugging, fault_message

log = logging.getLogger(__name__)


class _Call(QObject):
    """Lives on the worker thread; calls the function once and emits its outcome."""

    done = Signal(bool, object)  # ok, the return value or the error message

    def __init__(self, fn: Callable[[], Any]) -> None:
        super().__init__()
        self._fn = fn

    @Slot()
    def run(self) -> None:
        try:
            value = self._fn()
        except LayerboardError as exc:  # the engine's own words are meant for the user
            self.done.emit(False, str(exc))
            return
        except Exception as exc:  # a plain line; a bug's traceback goes to a log file (LAYERBOARD_DEBUG=1: also here)
            if debugging():
                log.exception("background task failed")
            self.done.emit(False, fault_message(exc))
            return
        self.done.emit(True, value)


class BackgroundTask(QObject):
    """One call at a time: `start(fn)`; then `succeeded(value)` or `failed(message)`, thread already ended."""

    succeeded = Signal(object)
    failed = Signal(str)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._thread: QThread | None = None
        self._call: _Call | None = None

    @property
    def running(self) -> bool:
        return self._thread is not None

    def start(self, fn: Callable[[], Any], name: str = "background-task") -> None:
        if self._thread is not None:
            raise RuntimeError("A background task is already running.")
        self._thread = QThread(self)
        self._thread.setObjectName(name)
        self._call = _Call(fn)
        self._call.moveToThread(self._thread)
        self._thread.started.connect(self._call.run)
        self._call.done.connect(self._on_done)
        self._thread.start()

    def wait(self) -> None:
        """Block until the call has returned and its thread has ended (the window is closing)."""
        if self._thread is not None:
            self._thread.quit()
            self._thread.wait()

    @Slot(bool, object)
    def _on_done(self, ok: bool, value: Any) -> None:
        self._thread.quit()
        self._thread.wait()
        self._thread.deleteLater()
        self._call.deleteLater()
        self._thread, self._call = None, None
        if ok:
            self.succeeded.emit(value)
        else:
            self.failed.emit(value)
