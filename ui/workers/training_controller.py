"""GUI-thread side of training: starts the worker's thread, relays its signals, ends the thread."""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, QThread, Signal, Slot

from builder.project import Project
from builder.project import project_from_dict, project_to_dict
from ui.workers.training_worker import TrainingWorker


def snapshot(project: Project) -> Project:
    """An independent copy, so that edits on the canvas never reach a model being trained."""
    copy = project_from_dict(project_to_dict(project), project.path or "<project>")
    copy.path = project.path
    return copy


class TrainingController(QObject):
    """One training at a time. Widgets connect to these signals; they always arrive on the GUI thread."""

    runningChanged = Signal(bool)
    pausedChanged = Signal(bool)
    trainBegan = Signal(int, int)  # epochs, steps per epoch
    batchEnded = Signal(int, int, object)  # epoch, batch, logs (throttled by the worker)
    epochEnded = Signal(int, object)  # epoch, logs
    finished = Signal(object)  # TrainingResult; the thread has ended
    failed = Signal(str)  # the thread has ended

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.last_result = None  # the latest TrainingResult of this session (Export uses its model)
        self.run_dir_override: Path | None = None  # tests put runs in a temporary folder
        self._thread: QThread | None = None
        self._worker: TrainingWorker | None = None
        self._paused = False

    @property
    def running(self) -> bool:
        return self._thread is not None

    @property
    def paused(self) -> bool:
        return self._paused

    def start(self, project: Project, epochs: int | None = None) -> None:
        if self._thread is not None:
            return
        self._thread = QThread(self)
        self._thread.setObjectName("training")
        self._worker = TrainingWorker(snapshot(project), self.run_dir_override, epochs)
        self._worker.moveToThread(self._thread)
        self._thread.started.connect(self._worker.run)
        self._worker.trainBegan.connect(self._on_train_began)
        self._worker.batchEnded.connect(self._on_batch_ended)
        self._worker.epochEnded.connect(self._on_epoch_ended)
        self._worker.finished.connect(self._on_finished)
        self._worker.failed.connect(self._on_failed)
        self._thread.start()
        self.runningChanged.emit(True)

    def stop(self) -> None:
        """Ask the trainer to stop after its current batch; `finished` follows with result.stopped."""
        if self._worker is not None:
            self._worker.stop()

    def pause(self) -> None:
        """Hold training after its current batch (the model and optimizer stay as they are) until resume()."""
        if self._worker is not None and not self._paused:
            self._worker.pause()
            self._set_paused(True)

    def resume(self) -> None:
        if self._worker is not None and self._paused:
            self._worker.resume()
            self._set_paused(False)

    def _set_paused(self, paused: bool) -> None:
        self._paused = paused
        self.pausedChanged.emit(paused)

    def shutdown(self) -> None:
        """Stop and wait for the thread (the window is closing)."""
        if self._thread is not None:
            self._worker.stop()
            self._thread.quit()
            self._thread.wait()
            self._end_thread()

    # ---- relays from the worker thread (queued connections: these run on the GUI thread) ----------
    @Slot(int, int)
    def _on_train_began(self, epochs: int, steps: int) -> None:
        self.trainBegan.emit(epochs, steps)

    @Slot(int, int, object)
    def _on_batch_ended(self, epoch: int, batch: int, logs: dict) -> None:
        self.batchEnded.emit(epoch, batch, logs)

    @Slot(int, object)
    def _on_epoch_ended(self, epoch: int, logs: dict) -> None:
        self.epochEnded.emit(epoch, logs)

    @Slot(object)
    def _on_finished(self, result) -> None:
        self._end_thread()
        self.last_result = result
        self.finished.emit(result)

    @Slot(str)
    def _on_failed(self, message: str) -> None:
        self._end_thread()
        self.failed.emit(message)

    def _end_thread(self) -> None:
        if self._thread is None:
            return
        self._thread.quit()
        self._thread.wait()
        self._thread.deleteLater()
        self._worker.deleteLater()
        self._thread, self._worker = None, None
        if self._paused:
            self._set_paused(False)
        self.runningChanged.emit(False)
