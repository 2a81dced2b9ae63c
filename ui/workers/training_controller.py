"""GUI side of training: the engine's Trainer runs in a child process (builder.training.TrainingProcess); this
controller starts runs there, relays the child's events as Qt signals and ends the child when asked or stuck.

The GUI thread only reads the event pipe from a timer (a few microseconds a tick), so a training step can never
stall the window, and a crash or out-of-memory kill of the child is reported instead of taking the window down.
One child serves run after run (Keras is imported once); `shutdown()` ends it.
"""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, QTimer, Signal, Slot

from builder.project import Project
from builder.project import project_from_dict, project_to_dict

POLL_MS = 15  # how often the GUI reads the child's events


def snapshot(project: Project) -> Project:
    """An independent copy, so that edits on the canvas never reach a model being exported or trained."""
    copy = project_from_dict(project_to_dict(project), project.path or "<project>")
    copy.path = project.path
    return copy


class TrainingController(QObject):
    """One training at a time. Widgets connect to these signals; they always arrive on the GUI thread."""

    runningChanged = Signal(bool)
    pausedChanged = Signal(bool)
    runStarted = Signal(str)  # the run's folder
    deviceKnown = Signal(str)  # what the child trains on: "CPU", "1 x GPU (GPU:0)"
    trainBegan = Signal(int, int)  # epochs, steps per epoch
    batchEnded = Signal(int, int, object)  # epoch, batch, logs of the latest batch (≤ 20 a second)
    batchLogs = Signal(object)  # [(epoch, batch, logs), ...]: every batch since the last delivery
    epochEnded = Signal(int, object)  # epoch, logs
    samplesReady = Signal(int, str)  # epochs done, the PNG of the samples a generative recipe drew (fixed seed)
    settingChanged = Signal(object)  # {"epoch", "batch", "step", "name", "value", "reason"}: a live change
    settingRefused = Signal(str)  # a live change the engine refused, in words
    finished = Signal(object)  # TrainingResult (model is not loaded: read it from result.model_path)
    failed = Signal(str)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.last_result = None  # the latest TrainingResult of this session
        self.device: str | None = None
        self.run_dir: Path | None = None  # the folder of the run going on (None before the child says)
        self._process = None  # builder.training.TrainingProcess, kept between runs
        self._running = False
        self._paused = False
        self._ending = ""  # "stop" or "abort" while the run is being ended
        self._timer = QTimer(self)
        self._timer.setInterval(POLL_MS)
        self._timer.timeout.connect(self._poll)
        self._deadline = QTimer(self)  # a stop that takes too long ends the child
        self._deadline.setSingleShot(True)
        self._deadline.timeout.connect(self._on_stop_overdue)

    @property
    def running(self) -> bool:
        return self._running

    @property
    def paused(self) -> bool:
        return self._paused

    @property
    def process_id(self) -> int | None:
        """The training child's process id (None when there is none)."""
        return self._process.process.pid if self._process is not None and self._process.alive else None

    def start(self, project: Project, epochs: int | None = None, resume_run_dir: str | Path | None = None) -> None:
        """Train a snapshot of `project` (canvas edits made meanwhile never reach it); resume_run_dir resumes that
        run up to `epochs` in total."""
        from builder.training import TrainingProcess, training_job

        if self._running:
            return
        if self._process is None or not self._process.alive:
            if self._process is not None:
                self._process.kill()
            self._process = TrainingProcess()
        job = training_job(project, resume_run_dir, epochs, resume=resume_run_dir is not None)
        self._running, self._ending, self.run_dir = True, "", None
        if not self._process.send("train", job):
            self._finish_failed("The training process could not be started; see the terminal for why.")
            return
        self._timer.start()
        self.runningChanged.emit(True)

    def stop(self) -> None:
        """End the run after its current batch, saving the model (best.keras keeps the best epoch); a run that
        has not ended STOP_GRACE_S later is ended by ending its process (its last checkpoint stays)."""
        from builder.training import STOP_GRACE_S

        if self._running and not self._ending:
            self._ending = "stop"
            self._process.send("stop")
            self._deadline.start(int(STOP_GRACE_S * 1000))

    def abort(self) -> None:
        """End the run now by ending its process: only its last committed checkpoint stays."""
        if self._running and self._ending != "abort":
            self._ending = "abort"
            self._deadline.stop()
            self._end_process()

    def pause(self) -> None:
        """Hold training after its current batch (the model and optimizer stay as they are) until resume()."""
        if self._running and not self._paused and self._process.send("pause"):
            self._set_paused(True)

    def resume(self) -> None:
        if self._running and self._paused and self._process.send("resume"):
            self._set_paused(False)

    def set_learning_rate(self, value: float) -> None:
        """From the next batch on; `settingChanged` says when it was applied, `settingRefused` why it was not."""
        if self._running:
            self._process.send("learning_rate", float(value))

    def set_patience(self, value: int) -> None:
        """Early stopping's patience from the next epoch end on."""
        if self._running:
            self._process.send("patience", int(value))

    def _set_paused(self, paused: bool) -> None:
        self._paused = paused
        self.pausedChanged.emit(paused)

    def shutdown(self) -> None:
        """End the run (if any) and the child (the window is closing)."""
        self._timer.stop()
        self._deadline.stop()
        if self._process is not None:
            if self._running:
                self._process.send("stop")
            self._process.end()
            self._process = None
        if self._running:
            self._running = False
            self.runningChanged.emit(False)

    # ---- the child's events (on the GUI thread, from the timer) ------------------------------------------
    @Slot()
    def _poll(self) -> None:
        if self._process is None:
            return
        for message in self._process.messages():
            self._handle(message)
            if not self._running:
                break

    def _handle(self, message: tuple) -> None:
        kind = message[0]
        if kind == "ready":
            self.device = message[1]
            self.deviceKnown.emit(message[1])
        elif kind == "run_dir":
            self.run_dir = Path(message[1])
            self.runStarted.emit(message[1])
        elif kind == "began":
            self.trainBegan.emit(message[1], message[2])
        elif kind == "batches":
            batches = message[1]
            self.batchLogs.emit(batches)
            self.batchEnded.emit(*batches[-1])
        elif kind == "epoch":
            self.epochEnded.emit(message[1], message[2])
        elif kind == "samples":
            self.samplesReady.emit(message[1], message[2])
        elif kind == "setting":
            self.settingChanged.emit(message[1])
        elif kind == "refused":
            self.settingRefused.emit(message[1])
        elif kind == "finished":
            from builder.training import training_result_from_dict

            self._finish(training_result_from_dict(message[1]))
        elif kind == "failed":
            self._finish_failed(message[1])
        elif kind == "gone":
            self._on_process_gone(message[1])

    def _on_process_gone(self, exitcode: int | None) -> None:
        self._process = None
        if not self._running:
            return
        if self._ending:
            self._finish_from_disk(self._ending)
            return
        how = f"was killed (signal {-exitcode})" if exitcode is not None and exitcode < 0 else \
              f"ended with exit code {exitcode}"
        where = f" The last checkpoint is in {self.run_dir}; Resume continues from it." if self.run_dir else ""
        self._finish_failed(f"The training process {how} — out of memory, or killed from outside.{where}")

    @Slot()
    def _on_stop_overdue(self) -> None:
        if self._running and self._ending == "stop":
            self._end_process()

    def _end_process(self) -> None:
        process, self._process = self._process, None
        if process is not None:
            process.kill()
        self._finish_from_disk(self._ending or "abort")

    def _finish_from_disk(self, how: str) -> None:
        from builder.training import training_result_from_disk

        result = training_result_from_disk(self.run_dir) if self.run_dir is not None else None
        if result is None:
            self._finish_failed("Training was aborted before its first checkpoint; nothing was kept."
                                if how == "abort" else
                                "Training did not stop in time and was ended before its first checkpoint.")
        else:
            self._finish(result)

    def _finish(self, result) -> None:
        self._end_run()
        self.last_result = result
        self.finished.emit(result)

    def _finish_failed(self, message: str) -> None:
        self._end_run()
        self.failed.emit(message)

    def _end_run(self) -> None:
        self._timer.stop()  # the idle child sends nothing; the next start() reads on
        self._deadline.stop()
        self._running, self._ending = False, ""
        if self._paused:
            self._set_paused(False)
        self.runningChanged.emit(False)
