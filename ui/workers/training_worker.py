"""The training worker: a QObject moved to a QThread that runs the engine's Trainer.

The Trainer calls plain-Python callbacks on the worker thread; the worker turns them into Qt
signals (queued to the GUI thread), sending at most ~20 batch updates a second.
"""
from __future__ import annotations

import logging
import time
from pathlib import Path

from PySide6.QtCore import QObject, Signal, Slot

from builder.errors import LayerboardError
from builder.faults import debugging, fault_message
from builder.project import Project

log = logging.getLogger(__name__)

BATCH_INTERVAL_S = 0.05  # at most 20 batch-end signals per second reach the GUI


class TrainingWorker(QObject):
    """Runs one training; `stop()`, `pause()` and `resume()` may be called from the GUI thread at any time."""

    trainBegan = Signal(int, int)  # epochs, steps per epoch
    batchEnded = Signal(int, int, object)  # epoch, batch, logs
    epochEnded = Signal(int, object)  # epoch, logs
    finished = Signal(object)  # TrainingResult (result.stopped says whether the user stopped it)
    failed = Signal(str)

    def __init__(self, project: Project, run_dir: Path | None = None, epochs: int | None = None) -> None:
        super().__init__()
        self._project = project
        self._run_dir = run_dir
        self._epochs = epochs
        self._trainer = None
        self._stop_requested = False
        self._pause_requested = False
        self._last_batch_signal = 0.0

    def stop(self) -> None:
        """Cooperative stop: the trainer ends after its current batch and still saves the model."""
        self._stop_requested = True
        if self._trainer is not None:
            self._trainer.stop()

    def pause(self) -> None:
        """The trainer waits after its current batch until resume() or stop()."""
        self._pause_requested = True
        if self._trainer is not None:
            self._trainer.pause()

    def resume(self) -> None:
        self._pause_requested = False
        if self._trainer is not None:
            self._trainer.resume()

    @Slot()
    def run(self) -> None:
        from builder.training import Trainer  # imports Keras: only ever on this thread

        try:
            self._trainer = Trainer(self._project, run_dir=self._run_dir,
                                    callbacks=_signal_callbacks(self), epochs=self._epochs)
            if self._stop_requested:  # stop() came before the trainer existed
                self._trainer.stop()
            if self._pause_requested:  # so did pause()
                self._trainer.pause()
            result = self._trainer.run()
        except LayerboardError as exc:  # TrainingError, GraphError, DatasetError: already worded for the user
            self.failed.emit(str(exc))
        except Exception as exc:  # a plain line; a bug's traceback goes to a log file (LAYERBOARD_DEBUG=1: also here)
            if debugging():
                log.exception("training failed")
            self.failed.emit(f"Training failed: {fault_message(exc)}")
        else:
            self.finished.emit(result)

    def relay_batch_end(self, epoch: int, batch: int, logs: dict) -> None:
        """The trainer's batch end (on the worker thread) as a `batchEnded` signal, at most ~20 a second."""
        now = time.monotonic()
        # A paused run holds after this batch: always show it, so "paused" names the batch it held at.
        if self._pause_requested or now - self._last_batch_signal >= BATCH_INTERVAL_S:
            self._last_batch_signal = now
            self.batchEnded.emit(epoch, batch, dict(logs))


def _signal_callbacks(worker: TrainingWorker):
    """The engine's TrainingCallbacks forwarding to the worker's signals.

    Built on the worker thread: builder.training belongs to the engine's Keras side, which
    the GUI's start-up path must not import.
    """
    from builder.training import TrainingCallbacks

    class SignalCallbacks(TrainingCallbacks):
        def on_train_begin(self, epochs: int, steps_per_epoch: int) -> None:
            worker.trainBegan.emit(int(epochs), int(steps_per_epoch or 0))

        def on_batch_end(self, epoch: int, batch: int, logs: dict) -> None:
            worker.relay_batch_end(epoch, batch, logs)

        def on_epoch_end(self, epoch: int, logs: dict) -> None:
            worker.epochEnded.emit(epoch, dict(logs))

    return SignalCallbacks()
