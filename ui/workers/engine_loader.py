"""Imports Keras on a worker thread after the window is up, then tells the GUI the engine is ready."""
from __future__ import annotations

import time

from PySide6.QtCore import QObject, Signal, Slot

from builder import blocks
from ui.workers.background_task import BackgroundTask


def load_engine() -> float:
    """The slow part of start-up: TensorFlow/Keras, and every block type's spec (they read Keras's docstrings)."""
    start = time.monotonic()
    import keras  # noqa: F401  (the import is the work)

    for block_type in blocks.block_types():
        blocks.block_spec(block_type)
    return time.monotonic() - start


class EngineLoader(QObject):
    """`start()` once, after the window is shown; `ready` or `failed(message)` follows on the GUI thread."""

    ready = Signal()
    failed = Signal(str)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.is_ready = False
        self.seconds = 0.0
        self._task = BackgroundTask(self)
        self._task.succeeded.connect(self._on_loaded)
        self._task.failed.connect(self._on_failed)

    @property
    def running(self) -> bool:
        return self._task.running

    def start(self) -> None:
        if not self.is_ready and not self._task.running:
            self._task.start(load_engine, "engine-loader")

    def wait(self) -> None:
        self._task.wait()

    @Slot(object)
    def _on_loaded(self, seconds: float) -> None:
        self.seconds = seconds
        self.is_ready = True
        self.ready.emit()

    @Slot(str)
    def _on_failed(self, message: str) -> None:
        self.failed.emit(f"Keras could not be loaded: {message}")
