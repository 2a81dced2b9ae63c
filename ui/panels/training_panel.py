"""The training panel: Train/Stop, Pause/Resume, epoch progress with an ETA, and live loss and accuracy curves."""
from __future__ import annotations

import time

import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QPushButton, QSpinBox, QVBoxLayout, QWidget

from ui import style
from ui.workers.training_controller import TrainingController

TRAIN_COLOUR = "#2f7cf6"
VALIDATION_COLOUR = "#e8590c"


def format_duration(seconds: float) -> str:
    seconds = int(round(max(seconds, 0)))
    minutes, seconds = divmod(seconds, 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{seconds:02d}" if hours else f"{minutes}:{seconds:02d}"


def _metrics_plot(title: str, legend_offset: tuple[int, int]) -> pg.PlotWidget:
    """A small plot of one metric by epoch; the legend goes in the corner its curves leave free."""
    plot = pg.PlotWidget(background="w")
    plot.setTitle(title, color="#1f2430", size="10pt")
    plot.showGrid(x=True, y=True, alpha=0.15)
    plot.setLabel("bottom", "epoch")
    plot.setMouseEnabled(x=False, y=False)
    plot.hideButtons()
    plot.setMenuEnabled(False)
    plot.addLegend(offset=legend_offset, labelTextColor="#1f2430")
    for axis in ("left", "bottom"):
        plot.getAxis(axis).setTextPen("#4b5563")
        plot.getAxis(axis).setPen("#9ca3af")
    plot.setMinimumHeight(130)
    return plot


def _curve(plot: pg.PlotWidget, colour: str, name: str) -> pg.PlotDataItem:
    return plot.plot([], [], pen=pg.mkPen(colour, width=2), symbol="o", symbolSize=5,
                     symbolBrush=colour, symbolPen=colour, name=name)


class TrainingPanel(QWidget):
    """Shows one training run at a time; the curves keep the last run until the next starts."""

    trainRequested = Signal(int)  # epochs

    def __init__(self, controller: TrainingController, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.controller = controller
        self._engine_ready = False
        self._stopping = False
        self._epochs = 0
        self._steps = 0
        self._started_at = 0.0
        self._paused_at: float | None = None
        self._last_progress: tuple[int, int, dict] = (0, -1, {})
        self.history: dict[str, list[float]] = {}

        self.train_button = QPushButton("Train", self)
        self.train_button.setMinimumWidth(96)
        self.train_button.clicked.connect(self._on_train_clicked)
        self.pause_button = QPushButton("Pause", self)
        self.pause_button.setMinimumWidth(80)
        self.pause_button.setToolTip("Hold training after the current batch; Resume goes on where it stopped")
        self.pause_button.clicked.connect(self._on_pause_clicked)
        self.epochs_box = QSpinBox(self)
        self.epochs_box.setRange(1, 10_000)
        self.epochs_box.setSuffix(" epochs")
        self.epochs_box.setToolTip("Epochs for the next run (the project's setting is the starting value)")
        self.progress = QProgressBar(self)
        self.progress.setRange(0, 1000)
        self.progress.setValue(0)
        self.progress.setFormat("")
        self.progress.setTextVisible(True)
        self.status = QLabel("", self)
        self.status.setMinimumWidth(320)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        self.loss_plot = _metrics_plot("Loss", (-8, 8))  # losses fall: top right is free
        self.train_curve = _curve(self.loss_plot, TRAIN_COLOUR, "train")
        self.val_curve = _curve(self.loss_plot, VALIDATION_COLOUR, "validation")
        self.accuracy_plot = _metrics_plot("Accuracy", (-8, -8))  # accuracies rise: bottom right is free
        self.accuracy_plot.setYRange(0.0, 1.0, padding=0.03)
        self.train_accuracy_curve = _curve(self.accuracy_plot, TRAIN_COLOUR, "train")
        self.val_accuracy_curve = _curve(self.accuracy_plot, VALIDATION_COLOUR, "validation")

        controls = QHBoxLayout()
        controls.addWidget(self.train_button)
        controls.addWidget(self.pause_button)
        controls.addWidget(self.epochs_box)
        controls.addWidget(self.progress, 1)
        controls.addWidget(self.status, 1)
        plots = QHBoxLayout()
        plots.addWidget(self.loss_plot, 1)
        plots.addWidget(self.accuracy_plot, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 6, 8, 6)
        layout.addLayout(controls)
        layout.addLayout(plots, 1)

        controller.runningChanged.connect(self._on_running_changed)
        controller.pausedChanged.connect(self._on_paused_changed)
        controller.trainBegan.connect(self._on_train_began)
        controller.batchEnded.connect(self._on_batch_ended)
        controller.epochEnded.connect(self._on_epoch_ended)
        controller.finished.connect(self._on_finished)
        controller.failed.connect(self._on_failed)
        self._update_button()

    # ---- state --------------------------------------------------------------------------------
    def set_epochs(self, epochs: int) -> None:
        """The starting value of the epochs box (the project's training.epochs)."""
        self.epochs_box.setValue(epochs)
        self._set_epoch_axis(epochs)

    def _set_epoch_axis(self, epochs: int) -> None:
        """Whole epochs on the axis: a tick per epoch, or per 2, 5, 10… epochs for long runs."""
        step = next(s for s in (1, 2, 5, 10, 20, 50, 100, 200, 500, 10**9) if epochs / s <= 10)
        for plot in (self.loss_plot, self.accuracy_plot):
            plot.setXRange(1, max(epochs, 2), padding=0.03)
            plot.getAxis("bottom").setTickSpacing(major=step, minor=step)

    def set_engine_ready(self) -> None:
        self._engine_ready = True
        self._update_button()
        if not self.status.text():
            self._set_status("Ready to train.")

    def _update_button(self) -> None:
        running = self.controller.running
        self.train_button.setText("Stopping…" if self._stopping else "Stop" if running else "Train")
        self.train_button.setEnabled(self._engine_ready and not self._stopping)
        self.train_button.setToolTip("" if self._engine_ready else "Training is available once Keras has loaded.")
        self.epochs_box.setEnabled(not running)
        self.pause_button.setEnabled(running and not self._stopping)
        self.pause_button.setText("Resume" if self.controller.paused else "Pause")

    def _set_status(self, text: str, error: bool = False) -> None:
        self.status.setText(text)
        self.status.setStyleSheet(f"color: {style.ERROR.name()};" if error else "")

    # ---- user -----------------------------------------------------------------------------------
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

    # ---- controller signals (GUI thread) ---------------------------------------------------------
    @Slot(bool)
    def _on_running_changed(self, running: bool) -> None:
        if running:
            self.history = {}
            for curve in (self.train_curve, self.val_curve, self.train_accuracy_curve, self.val_accuracy_curve):
                curve.setData([], [])
            self.progress.setValue(0)
            self._epochs, self._last_progress = 0, (0, -1, {})
            self.progress.setFormat("preparing…")
            self._set_status("Building the model and loading the data…")
        else:
            self._stopping = False
        self._update_button()

    @Slot(bool)
    def _on_paused_changed(self, paused: bool) -> None:
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
        self._set_epoch_axis(self._epochs)
        self._show_progress(0, -1, {})

    @Slot(int, int, object)
    def _on_batch_ended(self, epoch: int, batch: int, logs: dict) -> None:
        self._show_progress(epoch, batch, logs)

    @Slot(int, object)
    def _on_epoch_ended(self, epoch: int, logs: dict) -> None:
        for key, value in logs.items():
            self.history.setdefault(key, []).append(value)
        self._update_curves()
        self._show_progress(epoch + 1, -1, logs)

    @Slot(object)
    def _on_finished(self, result) -> None:
        # The result's history is authoritative (an epoch signal could have been cut by a stop).
        self.history = {k: list(v) for k, v in result.history.items()}
        self._update_curves()
        what = "Stopped" if result.stopped else "Finished"
        metrics = _metrics_text(result.final_metrics)
        self.progress.setValue(self.progress.maximum() if not result.stopped else self.progress.value())
        self.progress.setFormat(f"{what} after {result.epochs_run} epochs")
        self._set_status(f"{what} in {format_duration(result.duration_s)} · {metrics}\nModel saved to {result.model_path}")

    @Slot(str)
    def _on_failed(self, message: str) -> None:
        self.progress.setFormat("failed")
        self._set_status(message, error=True)

    # ---- drawing ------------------------------------------------------------------------------
    def _update_curves(self) -> None:
        pairs = ((self.train_curve, "loss"), (self.val_curve, "val_loss"),
                 (self.train_accuracy_curve, "accuracy"), (self.val_accuracy_curve, "val_accuracy"))
        for curve, key in pairs:
            values = self.history.get(key, [])
            curve.setData(list(range(1, len(values) + 1)), values)

    def _show_progress(self, epoch: int, batch: int, logs: dict) -> None:
        """`epoch` epochs are complete plus `batch + 1` batches of the next (batch -1: none yet)."""
        self._last_progress = (epoch, batch, logs)
        steps = self._steps or 1
        done = min(1.0, (epoch + (batch + 1) / steps) / self._epochs)
        self.progress.setValue(int(done * self.progress.maximum()))
        current = min(epoch + (1 if batch >= 0 else 0), self._epochs) or 1
        batch_text = f" · batch {batch + 1}/{self._steps}" if batch >= 0 and self._steps else ""
        paused = self.controller.paused
        self.progress.setFormat(f"epoch {current}/{self._epochs}{batch_text}" + (" · paused" if paused else ""))
        if paused:
            self._set_status("Paused: Resume goes on, Stop ends the run and keeps the model.")
            return
        elapsed = time.monotonic() - self._started_at
        eta = f"ETA {format_duration(elapsed * (1 - done) / done)}" if done > 0 else "ETA …"
        metrics = _metrics_text(logs)
        self._set_status(f"{eta} · {metrics}" if metrics else eta)


def _metrics_text(logs: dict) -> str:
    parts = []
    for key in ("loss", "val_loss", "accuracy", "val_accuracy"):
        if key in logs:
            value = logs[key]
            parts.append(f"{key} {value:.1%}" if "accuracy" in key else f"{key} {value:.4f}")
    return " · ".join(parts)
