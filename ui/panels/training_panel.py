"""The training panel: start, pause/resume, stop or abort a run and watch it.

Left, the controls: Train / Stop ("stop and keep the best": the run ends after its current batch and keeps its best
and last model), Pause/Resume, Abort (ends the run now, keeping only the last checkpoint; asks first), the epochs
of the next run (saved into the project as an undoable change), a progress bar for the epoch and one for the run,
samples per second, ETA and the device; while a run goes on, its learning rate and early-stopping patience can be
changed (the engine's live control). Right, the live plots (`run_plots.RunPlots`), which can be saved as a PNG
image and their numbers as CSV files; beside them, for a generative recipe, the grid of samples it drew after the
latest epoch, and for an autoencoder or a VAE a walk through its latent space (`sample_grid.SampleGrid`).

The panel follows the TrainingController's signals. Those the controller may not have yet (runStarted, batchLogs,
deviceKnown, settingChanged, samplesReady) are connected when present; without batchLogs the per-batch curves take the
throttled batchEnded updates instead of every batch.
"""
from __future__ import annotations

import time
from pathlib import Path

from PySide6.QtCore import QSignalBlocker, Qt, QTimer, Signal, Slot
from PySide6.QtWidgets import (QFileDialog, QGridLayout, QHBoxLayout, QLabel, QMessageBox, QProgressBar, QPushButton,
                               QSpinBox, QVBoxLayout, QWidget)

from builder.errors import LayerboardError
from builder.files import atomic_write_text
from builder.project import learning_rate_problem, patience_problem
from ui import style
from ui.panels.run_plots import RunPlots, reason_word, short_number
from ui.panels.sample_grid import SampleGrid
from ui.panels.training_controls import LearningRateBox, SpeedMeter, scientific
from ui.panels.training_data import applied, batches_csv, changes_csv, epochs_csv
from ui.workers.training_controller import TrainingController

CONTROLS_WIDTH = 350


def format_duration(seconds: float) -> str:
    seconds = int(round(max(seconds, 0)))
    minutes, seconds = divmod(seconds, 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{seconds:02d}" if hours else f"{minutes}:{seconds:02d}"


def format_rate(samples_per_second: float) -> str:
    if samples_per_second >= 10_000:
        return f"{samples_per_second / 1000:.0f}k samples/s"
    return f"{samples_per_second:,.0f} samples/s" if samples_per_second >= 10 else f"{samples_per_second:.1f} samples/s"


def csv_paths(path: str | Path) -> tuple[Path, Path, Path]:
    """Where Save data writes: the epochs to `path`, the batches and the live changes beside it."""
    path = Path(path)
    if path.suffix.lower() != ".csv":
        path = path.with_name(path.name + ".csv")
    return path, path.with_name(f"{path.stem}-batches.csv"), path.with_name(f"{path.stem}-changes.csv")


class TrainingPanel(QWidget):
    """Shows one training run at a time; the previous run's curves stay, faded, under the next one's."""

    trainRequested = Signal(int)  # epochs

    def __init__(self, controller: TrainingController, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.controller = controller
        self.document = None
        self.run_dir: Path | None = None
        self._engine_ready = False
        self._stopping = False
        self._aborting = False
        self._epochs = 0
        self._steps = 0
        self._batch_size = 0
        self._has_early_stopping = False
        self._started_at = 0.0
        self._paused_at: float | None = None
        self._last_progress: tuple[int, int, dict] = (0, -1, {})
        self._speed = SpeedMeter()
        self._status_is_error = False
        self._progress_shown_at = 0.0  # batch updates redraw the labels and bars at most PROGRESS_HZ a second
        self._progress_timer = QTimer(self)  # … and the latest one is always shown, a moment later
        self._progress_timer.setSingleShot(True)
        self._progress_timer.timeout.connect(self._show_latest_progress)
        self._abort_box: QMessageBox | None = None
        self._device_known = False
        self._shown_rate = 0.0

        # ---- controls ----
        self.train_button = QPushButton("Train", self)
        self.train_button.setMinimumWidth(88)
        self.train_button.clicked.connect(self._on_train_clicked)
        self.pause_button = QPushButton("Pause", self)
        self.pause_button.setToolTip("Hold training after the current batch; Resume goes on where it stopped")
        self.pause_button.clicked.connect(self._on_pause_clicked)
        self.abort_button = QPushButton("Abort…", self)
        self.abort_button.setToolTip("End the run now, without waiting for its batch or epoch to end: only the "
                                     "last checkpoint is kept (Stop keeps the best model)")
        self.abort_button.clicked.connect(self.confirm_abort)
        self.epochs_box = QSpinBox(self)
        self.epochs_box.setRange(1, 10_000)
        self.epochs_box.setSuffix(" epochs")
        self.epochs_box.setToolTip("Epochs of the next run (saved in the project: training.epochs)")
        self.epochs_box.valueChanged.connect(self._on_epochs_changed)

        self.epoch_progress = QProgressBar(self)
        self.epoch_progress.setRange(0, 1)
        self.epoch_progress.setValue(0)
        self.epoch_progress.setFormat("epoch")
        self.epoch_progress.setToolTip("The batches of the current epoch")
        self.progress = QProgressBar(self)  # the whole run
        self.progress.setRange(0, 1000)
        self.progress.setValue(0)
        self.progress.setFormat("")
        self.progress.setToolTip("The whole run")
        self.speed_label = QLabel("— samples/s", self)
        self.speed_label.setToolTip("Training samples per second over the last few seconds (batch size × batches/s)")
        self.eta_label = QLabel("ETA —", self)
        self.eta_label.setToolTip("Time left, from the run's pace so far (pauses not counted)")
        self.device_label = QLabel("Device: known once a run starts", self)
        self.device_label.setToolTip("What this run trains on")

        self.lr_box = LearningRateBox(self)
        self.lr_apply = QPushButton("Apply", self)
        self.lr_apply.setToolTip("Change the running training's learning rate from its next batch on")
        self.lr_apply.clicked.connect(self.apply_learning_rate)
        self.patience_box = QSpinBox(self)
        self.patience_box.setRange(0, 1_000_000)
        self.patience_box.setSuffix(" epochs")
        self.patience_apply = QPushButton("Apply", self)
        self.patience_apply.setToolTip("Change the running training's early-stopping patience")
        self.patience_apply.clicked.connect(self.apply_patience)

        self.status = QLabel("", self)
        self.status.setWordWrap(True)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.status.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)

        # ---- plots ----
        self.plots = RunPlots(self)
        self.save_plots_button = QPushButton("Save plots…", self.plots)
        self.save_plots_button.setToolTip("Save the plots as a PNG image")
        self.save_plots_button.clicked.connect(self._on_save_plots_clicked)
        self.save_data_button = QPushButton("Save data…", self.plots)
        self.save_data_button.setToolTip("Save the run's numbers as CSV: one row per epoch, and beside it one row "
                                         "per batch (-batches.csv) and per live change (-changes.csv)")
        self.save_data_button.clicked.connect(self._on_save_data_clicked)
        self.plots.header.addWidget(self.save_plots_button)
        self.plots.header.addWidget(self.save_data_button)
        self.sample_grid = SampleGrid(self)  # hidden unless the project's recipe generates or interpolates

        buttons = QHBoxLayout()
        buttons.setSpacing(4)
        for widget in (self.train_button, self.pause_button, self.abort_button):
            buttons.addWidget(widget)
        buttons.addWidget(self.epochs_box, 1)
        rates = QHBoxLayout()
        rates.addWidget(self.speed_label, 1)
        rates.addWidget(self.eta_label)
        live = QGridLayout()
        live.setHorizontalSpacing(4)
        live.setVerticalSpacing(2)
        live.addWidget(QLabel("Learning rate", self), 0, 0)
        live.addWidget(self.lr_box, 0, 1)
        live.addWidget(self.lr_apply, 0, 2)
        live.addWidget(QLabel("Patience", self), 1, 0)
        live.addWidget(self.patience_box, 1, 1)
        live.addWidget(self.patience_apply, 1, 2)
        live.setColumnStretch(1, 1)
        controls = QVBoxLayout()
        controls.setSpacing(3)
        controls.addLayout(buttons)
        controls.addWidget(self.epoch_progress)
        controls.addWidget(self.progress)
        controls.addLayout(rates)
        controls.addWidget(self.device_label)
        controls.addLayout(live)
        controls.addWidget(self.status, 1)
        left = QWidget(self)
        left.setLayout(controls)
        left.setFixedWidth(CONTROLS_WIDTH)
        controls.setContentsMargins(0, 0, 0, 0)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 6, 8, 6)
        layout.addWidget(left)
        layout.addWidget(self.plots, 1)
        layout.addWidget(self.sample_grid)

        # ---- the controller ----
        controller.runningChanged.connect(self._on_running_changed)
        controller.pausedChanged.connect(self._on_paused_changed)
        controller.trainBegan.connect(self._on_train_began)
        controller.batchEnded.connect(self._on_batch_ended)
        controller.epochEnded.connect(self._on_epoch_ended)
        controller.finished.connect(self._on_finished)
        controller.failed.connect(self._on_failed)
        self._batch_logs_connected = self._connect_optional("batchLogs", self._on_batch_logs)
        self._connect_optional("runStarted", self._on_run_started)
        self._connect_optional("deviceKnown", self._on_device_known)
        self._connect_optional("settingChanged", self._on_setting_changed)
        self._connect_optional("settingRefused", self._on_setting_refused)
        self._connect_optional("samplesReady", self.sample_grid.show_samples)
        self._update_button()

    def _connect_optional(self, name: str, slot) -> bool:
        signal = getattr(self.controller, name, None)
        if signal is None:
            return False
        signal.connect(slot)
        return True

    # ---- what the window calls --------------------------------------------------------------------
    @property
    def loss_plot(self):
        return self.plots.plot("loss")

    @property
    def train_curve(self):
        """The training loss per epoch."""
        return self.plots.curve("loss", "train")

    @property
    def val_curve(self):
        """The validation loss per epoch."""
        return self.plots.curve("loss", "val")

    def set_document(self, document) -> None:
        """Follow `document`: the epochs box shows and edits its training.epochs (undoable)."""
        if self.document is not None:
            try:
                self.document.projectChanged.disconnect(self._on_project_changed)
            except (RuntimeError, TypeError):  # the old document is already gone
                pass
        self.document = document
        document.projectChanged.connect(self._on_project_changed)
        self._on_project_changed("training")

    def set_epochs(self, epochs: int) -> None:
        """Show `epochs` in the box (the project's training.epochs) without changing the project."""
        with QSignalBlocker(self.epochs_box):
            self.epochs_box.setValue(epochs)
        if not self.controller.running:
            self.plots.set_epochs(epochs)

    def wait(self) -> None:
        """Block until the sample grid's interpolation (if one is under way) has ended: the window is closing."""
        self.sample_grid.wait()

    def set_engine_ready(self) -> None:
        self._engine_ready = True
        self._update_button()
        if not self.status.text():
            self._set_status("Ready to train.")

    # ---- state --------------------------------------------------------------------------------------
    @Slot(str)
    def _on_project_changed(self, section: str) -> None:
        if section != "training" or self.document is None:
            return
        training = self.document.project.training
        self.set_epochs(training.epochs)
        if not self.controller.running:
            self._show_project_live_settings()
            self.sample_grid.set_project(self.document.project)

    def _show_project_live_settings(self) -> None:
        if self.document is None:
            return
        training = self.document.project.training
        self._show_rate(float(training.learning_rate), force=True)
        stopping = training.early_stopping or {}
        self._has_early_stopping = bool(training.early_stopping)
        self.patience_box.setValue(int(stopping.get("patience", 5)) if isinstance(stopping, dict) else 5)

    def _show_rate(self, rate: float, force: bool = False) -> None:
        """Show the run's current learning rate in the box, unless the user has typed another one there."""
        typed = abs(self.lr_box.value() - self._shown_rate) > 1e-12 * max(self._shown_rate, 1e-12)
        if force or not typed:
            self.lr_box.setValue(rate)
            self._shown_rate = self.lr_box.value()

    def _update_button(self) -> None:
        running = self.controller.running
        busy = self._stopping or self._aborting
        self.train_button.setText(("Aborting…" if self._aborting else "Stopping…") if busy
                                  else "Stop" if running else "Train")
        self.train_button.setEnabled(self._engine_ready and not busy)
        self.train_button.setToolTip(
            "Stop after the current batch and keep the best model" if running
            else "" if self._engine_ready else "Training is available once Keras has loaded.")
        self.epochs_box.setEnabled(not running)
        self.pause_button.setEnabled(running and not busy)
        self.pause_button.setText("Resume" if self.controller.paused else "Pause")
        self.abort_button.setEnabled(running and not self._aborting and hasattr(self.controller, "abort"))
        live = running and not busy
        for widget in (self.lr_box, self.lr_apply):
            widget.setEnabled(live and hasattr(self.controller, "set_learning_rate"))
        for widget in (self.patience_box, self.patience_apply):
            widget.setEnabled(live and self._has_early_stopping and hasattr(self.controller, "set_patience"))
        self.patience_box.setToolTip(
            "Epochs without improvement before early stopping ends the run" if self._has_early_stopping
            else "This run has no early stopping (training.early_stopping is off), so it has no patience to change")

    def _set_status(self, text: str, error: bool = False) -> None:
        if text != self.status.text():
            self.status.setText(text)
        if error != self._status_is_error:  # a style sheet is costly to apply: only when it changes
            self._status_is_error = error
            self.status.setStyleSheet(style.text_style(style.ERROR) if error else "")

    # ---- user ---------------------------------------------------------------------------------------
    @Slot(int)
    def _on_epochs_changed(self, epochs: int) -> None:
        if not self.controller.running:
            self.plots.set_epochs(epochs)
        if self.document is not None and self.document.project.training.epochs != epochs:
            self.document.set_settings("training", epochs=epochs)

    @Slot()
    def _on_train_clicked(self) -> None:
        if self.controller.running:
            self._stopping = True
            self.controller.stop()
            self._update_button()
        else:
            self.trainRequested.emit(self.epochs_box.value())

    @Slot()
    def _on_pause_clicked(self) -> None:
        if self.controller.paused:
            self.controller.resume()
        else:
            self.controller.pause()

    @Slot()
    def confirm_abort(self) -> QMessageBox:
        """Ask before aborting (a window-modal box that does not block); Abort run ends the run now."""
        box = QMessageBox(QMessageBox.Icon.Warning, "Abort the run?",
                          "Abort ends the run now. Only its last checkpoint is kept; the best model of this run "
                          "is not saved.\n\nStop instead ends after the current batch and keeps the best model.",
                          QMessageBox.StandardButton.NoButton, self)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        abort = box.addButton("Abort run", QMessageBox.ButtonRole.DestructiveRole)
        box.addButton(QMessageBox.StandardButton.Cancel)
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)
        abort.clicked.connect(self.abort)
        self._abort_box = box
        box.open()
        return box

    @Slot()
    def abort(self) -> None:
        if not self.controller.running or not hasattr(self.controller, "abort"):
            return
        self._aborting = True
        self.controller.abort()
        self._update_button()

    @Slot()
    def apply_learning_rate(self) -> None:
        value = self.lr_box.value()
        problem = learning_rate_problem(value)
        if problem:
            self._set_status(f"The learning rate must be {problem}; {scientific(value)} is not.", error=True)
            return
        if not self.controller.running:
            return
        self.controller.set_learning_rate(value)
        self._set_status(f"Learning rate {scientific(value)} asked for: it applies from the next batch.")

    @Slot()
    def apply_patience(self) -> None:
        value = self.patience_box.value()
        problem = patience_problem(value)
        if problem:
            self._set_status(f"The patience must be {problem}; {value} is not.", error=True)
            return
        if not self.controller.running:
            return
        self.controller.set_patience(value)
        self._set_status(f"Early-stopping patience {value} asked for: it applies from the next batch.")

    def _default_folder(self) -> str:
        if self.run_dir is not None:
            return str(self.run_dir)
        if self.document is not None:
            return str(self.document.project.folder())
        return ""

    @Slot()
    def _on_save_plots_clicked(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Save plots", str(Path(self._default_folder()) / "training.png"),
                                              "PNG image (*.png)")
        if path:
            self.save_plots(path)

    @Slot()
    def _on_save_data_clicked(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Save training data",
                                              str(Path(self._default_folder()) / "training.csv"), "CSV (*.csv)")
        if path:
            self.save_data(path)

    def save_plots(self, path: str | Path) -> bool:
        path = Path(path)
        if path.suffix.lower() != ".png":
            path = path.with_name(path.name + ".png")
        if self.plots.save_png(path):
            self._set_status(f"Plots saved to {path}")
            return True
        self._set_status(f"Could not write {path}: choose a folder you can write to.", error=True)
        return False

    def save_data(self, path: str | Path) -> list[Path]:
        """Write the epochs to `path` (CSV), the batches and live changes beside it; returns the files written."""
        data = self.plots.data
        if not data.has_data:
            self._set_status("Nothing to save yet: train first, then Save data.", error=True)
            return []
        epochs_path, batches_path, changes_path = csv_paths(path)
        written = []
        try:
            for target, text in ((epochs_path, epochs_csv(data)), (batches_path, batches_csv(data)),
                                 (changes_path, changes_csv(data) if data.changes else None)):
                if text is not None:
                    atomic_write_text(target, text)
                    written.append(target)
        except (LayerboardError, OSError) as exc:
            self._set_status(f"Could not save the data: {exc}", error=True)
            return written
        self._set_status("Data saved: " + ", ".join(p.name for p in written) + f" in {epochs_path.parent}")
        return written

    # ---- controller signals (GUI thread) -------------------------------------------------------------
    @Slot(bool)
    def _on_running_changed(self, running: bool) -> None:
        if running:
            training = self.document.project.training if self.document is not None else None
            self._batch_size = int(training.batch_size) if training is not None else 0
            self._show_project_live_settings()
            self.plots.new_run(self.epochs_box.value(), 0, self._batch_size)
            self.sample_grid.new_run()
            self.run_dir = None
            self.progress.setValue(0)
            self.epoch_progress.setRange(0, 1)
            self.epoch_progress.setValue(0)
            self.epoch_progress.setFormat("epoch")
            self._epochs, self._steps, self._last_progress = 0, 0, (0, -1, {})
            self._speed.reset()
            self.speed_label.setText("— samples/s")
            self.eta_label.setText("ETA …")
            self.progress.setFormat("preparing…")
            if hasattr(self.controller, "deviceKnown") and not self._device_known:
                self.device_label.setText("Device: …")  # said once the training process has loaded Keras
            self._set_status("Building the model and loading the data…")
        else:
            self._stopping = self._aborting = False
            self.plots.redraw()
        self._update_button()

    @Slot(str)
    def _on_run_started(self, run_dir: str) -> None:
        self.run_dir = Path(run_dir)
        self.sample_grid.run_dir = run_dir

    @Slot(str)
    def _on_device_known(self, device: str) -> None:
        self._device_known = True  # one training process serves run after run: it says its device once
        self.device_label.setText(f"Device: {device}")

    @Slot(bool)
    def _on_paused_changed(self, paused: bool) -> None:
        self._speed.reset()
        if paused:
            self._paused_at = time.monotonic()
            if self._epochs:
                self._show_progress(*self._last_progress)
            else:  # still building the model or loading the data
                self._set_status("Will pause after the first batch.")
        elif self._paused_at is not None:
            self._started_at += time.monotonic() - self._paused_at  # the ETA leaves the pause out
            self._paused_at = None
            if self.controller.running and self._epochs:
                self._show_progress(*self._last_progress)
        self._update_button()

    @Slot(int, int)
    def _on_train_began(self, epochs: int, steps: int) -> None:
        self._epochs, self._steps = max(epochs, 1), steps
        self._started_at = time.monotonic()
        if self._paused_at is not None:  # paused while the model was built: the pause counts from here
            self._paused_at = self._started_at
        self.plots.set_shape(self._epochs, steps)
        self.epoch_progress.setRange(0, max(steps, 1))
        self._show_progress(0, -1, {})

    @Slot(int, int, object)
    def _on_batch_ended(self, epoch: int, batch: int, logs: dict) -> None:
        if not self._batch_logs_connected:
            self.plots.add_batches([(epoch, batch, logs)])
        if self._steps:
            self._speed.add(epoch * self._steps + batch + 1)
        self._last_progress = (epoch, batch, logs)
        wait_s = self._progress_shown_at + 1 / PROGRESS_HZ - time.monotonic()
        if self.controller.paused or wait_s <= 0:
            self._show_latest_progress()
        elif not self._progress_timer.isActive():
            self._progress_timer.start(int(wait_s * 1000) + 1)

    @Slot()
    def _show_latest_progress(self) -> None:
        self._progress_timer.stop()
        self._progress_shown_at = time.monotonic()
        if self.controller.running:
            self._show_progress(*self._last_progress)

    @Slot(object)
    def _on_batch_logs(self, rows) -> None:
        self.plots.add_batches(rows)

    @Slot(int, object)
    def _on_epoch_ended(self, epoch: int, logs: dict) -> None:
        self.plots.add_epoch(epoch, logs)
        if isinstance(logs.get("learning_rate"), (int, float)) and logs["learning_rate"] > 0:
            self._show_rate(float(logs["learning_rate"]))  # a schedule's rate follows in the box
        self._show_progress(epoch + 1, -1, logs)

    @Slot(object)
    def _on_setting_changed(self, event: dict) -> None:
        change = self.plots.add_change(event)
        if change.get("name") == "learning_rate" and applied(change) and isinstance(change.get("value"), float):
            self._show_rate(change["value"], force=reason_word(change) == "user")
        what = "Learning rate" if change.get("name") == "learning_rate" else "Patience"
        value = change.get("value")
        shown = short_number(value) if isinstance(value, float) else str(value)
        epoch, batch = change.get("epoch"), change.get("batch")
        where = (f"epoch {epoch}, batch {batch + 1}" if isinstance(batch, int) and batch >= 0
                 else f"the end of epoch {epoch}") if isinstance(epoch, int) else "this point"
        if applied(change):
            reason = reason_word(change)
            by = "" if reason == "user" else f" ({reason})"
            self._set_status(f"{what} set to {shown}{by} at {where}; marked on the plots.")
        else:
            self._set_status(f"{what} {shown} was not applied: {change.get('reason', '')}", error=True)

    @Slot(str)
    def _on_setting_refused(self, message: str) -> None:
        self._set_status(message, error=True)

    @Slot(object)
    def _on_finished(self, result) -> None:
        # The result's history is authoritative (an epoch signal could have been cut by a stop).
        self.plots.set_history(result.history)
        what = "Aborted" if self._aborting else "Stopped" if result.stopped else "Finished"
        metrics = _metrics_text(result.final_metrics)
        self.progress.setValue(self.progress.maximum() if not result.stopped else self.progress.value())
        self.progress.setFormat(f"{what} after {result.epochs_run} epochs")
        self.eta_label.setText("ETA —")
        kept = "Last checkpoint" if self._aborting else "Model"
        self._set_status(f"{what} in {format_duration(result.duration_s)} · {metrics}\n"
                         f"{kept} saved to {result.model_path}")

    @Slot(str)
    def _on_failed(self, message: str) -> None:
        self.progress.setFormat("failed")
        self.eta_label.setText("ETA —")
        self._set_status(message, error=True)

    # ---- progress -----------------------------------------------------------------------------------
    def _show_progress(self, epoch: int, batch: int, logs: dict) -> None:
        """`epoch` epochs are complete plus `batch + 1` batches of the next (batch -1: none yet)."""
        self._last_progress = (epoch, batch, logs)
        epochs = self._epochs or 1
        steps = self._steps or 1
        done = min(1.0, (epoch + (batch + 1) / steps) / epochs)
        self.progress.setValue(int(done * self.progress.maximum()))
        current = min(epoch + (1 if batch >= 0 else 0), epochs) or 1
        paused = self.controller.paused
        self.progress.setFormat(f"run: epoch {current}/{epochs}" + (" · paused" if paused else ""))
        if batch >= 0:
            self.epoch_progress.setValue(min(batch + 1, self.epoch_progress.maximum()))
            self.epoch_progress.setFormat(f"batch {batch + 1}/{self._steps}" if self._steps else f"batch {batch + 1}")
        elif epoch > 0:  # an epoch has just ended
            self.epoch_progress.setValue(self.epoch_progress.maximum())
            self.epoch_progress.setFormat(f"epoch {epoch} done")
        rate = self._speed.batches_per_second()
        if rate is not None and not paused:
            self.speed_label.setText(format_rate(rate * self._batch_size) if self._batch_size
                                     else f"{rate:.1f} batches/s")
        if paused:
            self._set_status("Paused: Resume goes on, Stop ends the run and keeps the best model.")
            return
        elapsed = time.monotonic() - self._started_at
        self.eta_label.setText(f"ETA {format_duration(elapsed * (1 - done) / done)}" if done > 0 else "ETA …")
        metrics = _metrics_text(logs)
        self._set_status(metrics or "Training…")


PROGRESS_HZ = 5  # labels and bars follow the batches this often: each update lays the panel out again


def _metrics_text(logs: dict) -> str:
    parts = []
    for key in ("loss", "val_loss", "accuracy", "val_accuracy"):
        if key in logs:
            value = logs[key]
            parts.append(f"{key} {value:.1%}" if "accuracy" in key else f"{key} {value:.4f}")
    return " · ".join(parts)
