"""The evaluation panel: a run's metrics, confusion matrix with its samples, worst predictions; Try it.

Choose a run and a split and press Evaluate (or the runs panel's Evaluate calls `show_run`): the engine's
`evaluate` runs off the GUI thread and the panel shows its metrics; for classification the confusion-matrix heat
map (a click on a cell opens a gallery of exactly its samples), per-class precision/recall/F1 and the worst
predicted samples; for regression the residual plot (at most RESIDUAL_PLOT_POINTS of its points: a per-pixel
mask set has a million) and the largest errors. A model with several trained outputs gets an Output box: the details
and Try it are that output's, and the choice is kept per project while the panel lives. Try it runs the same model
on a dropped or chosen file, or on one sample of the split, and shows the class probabilities. A multi-input set's
samples are drawn by their first input.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import (
    QAbstractItemView, QApplication, QComboBox, QDockWidget, QFileDialog, QHBoxLayout, QHeaderView, QLabel,
    QProgressBar, QPushButton, QSpinBox, QSplitter, QStackedWidget, QTableWidget, QTableWidgetItem, QTabWidget, QVBoxLayout,
    QWidget,
)

from builder.project import project_from_dict, project_to_dict
from ui import style
from ui.panels.evaluation_gallery import GALLERY_LIMIT, SampleGallery, sample_pixmap, sample_text
from ui.panels.evaluation_plots import ConfusionMatrixView, ProbabilityChart, ResidualPlot
from ui.workers.background_task import BackgroundTask

SPLITS = ("validation", "test", "train")
MODEL_FILES = ("model.keras", "best.keras", "last.keras")  # a finished run's model, else its checkpoints
OWN_WEIGHTS = ""  # the run box's data for "the project's own weights" (an imported model without runs)
RESIDUAL_PLOT_POINTS = 20_000  # more points freeze the window (measured: 1,024,000 mask pixels took 2.7 s to draw)
DROP_HINT = "Drop an image, .npy or .csv file here, choose one, or predict a sample of the split."


def _snapshot(project):
    """An independent copy: edits made while the evaluation runs never reach it."""
    copy = project_from_dict(project_to_dict(project), project.path or "<project>")
    copy.path = project.path
    return copy


def _model_file(run_dir: Path) -> Path:
    for name in MODEL_FILES:
        if (run_dir / name).is_file():
            return run_dir / name
    return run_dir / MODEL_FILES[0]  # the engine's error then names what is missing


def _runs_of(project) -> list[tuple[str, str]]:
    """(label, run folder) of each of the project's runs that has a model, newest first."""
    from builder import training

    found: list[tuple[str, str]] = []
    if hasattr(training, "list_runs"):
        for run in reversed(training.list_runs(project)):
            if run.model_path is not None:
                found.append((_run_label(run), str(run.run_dir)))
        return found
    runs = project.default_runs_dir()
    folders = sorted((p.parent for p in runs.glob("*/model.keras")), key=lambda p: p.stat().st_mtime) \
        if runs.is_dir() else []
    return [(p.name, str(p)) for p in reversed(folders)]


def _run_label(run) -> str:
    metrics = run.final_metrics or {}
    shown = next((f"{k} {v:.3f}" for k in ("val_accuracy", "accuracy", "val_loss", "loss")
                  if isinstance(v := metrics.get(k), (int, float))), "")
    return " · ".join(part for part in (run.name, run.state, shown) if part)


def _first_input(x):
    """A split's samples as the panel draws them: the array, or a multi-input set's first input."""
    from builder.data import first_array

    return first_array(x)


def _table(headers: list[str]) -> QTableWidget:
    table = QTableWidget(0, len(headers))
    table.setHorizontalHeaderLabels(headers)
    table.verticalHeader().setVisible(False)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    table.horizontalHeader().setStretchLastSection(True)
    return table


def _cell(value: Any, digits: int = 3) -> QTableWidgetItem:
    if isinstance(value, float):
        item = QTableWidgetItem(f"{value:.{digits}f}")
        item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
    elif isinstance(value, int):
        item = QTableWidgetItem(str(value))
        item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
    else:
        item = QTableWidgetItem(str(value))
    return item


@dataclass
class Loaded:
    """What an evaluation loaded, kept for the gallery and Try it: the model, the dataset and their keys."""

    model_key: str
    dataset_key: str
    model: Any  # a builder.training.ProjectModel, its keras.Model loaded
    dataset: Any  # a builder.data.Dataset


@dataclass
class Evaluated:
    loaded: Loaded
    evaluation: Any  # builder.training.Evaluation
    run: str


@dataclass
class Predicted:
    loaded: Loaded
    row: dict
    sample: np.ndarray | None  # the input, to draw
    truth: str | None  # the true label of a split's sample
    note: str
    class_names: list[str]  # the classes of the output shown


class EvaluationPanel(QWidget):
    """Evaluates one run of the open project at a time; Try it predicts with the same run's model."""

    message = Signal(str)  # a line for the status bar
    evaluated = Signal(object)  # the Evaluation shown
    predicted = Signal(object)  # Try it's row: input, index, prediction, confidence, probabilities
    failed = Signal(str)  # an evaluation or prediction failed; the panel shows why

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.document = None
        self.engine_ready = False
        self.evaluation = None  # the Evaluation shown
        self.run_line = ""  # what the status line says when idle: whose weights were evaluated
        self.loaded: Loaded | None = None
        self.split = SPLITS[0]  # the split of the evaluation shown
        self._extra_runs: dict[str, str] = {}  # run folders shown outside the project's runs folder
        self._outputs: dict[str, str] = {}  # the output chosen in the Output box, by project
        self.task = BackgroundTask(self)
        self.task.succeeded.connect(self._on_done)
        self.task.failed.connect(self._on_failed)
        self.gallery = SampleGallery(self)
        self.setAcceptDrops(True)
        app = QApplication.instance()
        if app is not None:
            app.aboutToQuit.connect(self.shutdown)

        self.run_box = QComboBox(self)
        self.run_box.setMinimumContentsLength(24)
        self.run_box.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.run_box.setToolTip("The run whose model to evaluate (the project's runs, newest first)")
        self.refresh_button = QPushButton("↻", self)
        self.refresh_button.setToolTip("Read the project's runs again")
        self.refresh_button.setFixedWidth(30)
        self.refresh_button.clicked.connect(self.refresh_runs)
        self.split_box = QComboBox(self)
        for name in SPLITS:
            self.split_box.addItem(name, name)
        self.split_box.setToolTip("Which split to evaluate on (test exists when the dataset holds one out)")
        self.output_label = QLabel("Output", self)
        self.output_box = QComboBox(self)
        self.output_box.setToolTip("The output whose confusion matrix or residuals, worst samples and Try it are "
                                   "shown (the outputs trained with a loss)")
        self.output_box.currentIndexChanged.connect(self._on_output_chosen)
        self.output_label.hide()
        self.output_box.hide()
        self.evaluate_button = QPushButton("Evaluate", self)
        self.evaluate_button.clicked.connect(self.evaluate)
        self.busy = QProgressBar(self)
        self.busy.setRange(0, 0)
        self.busy.setMaximumWidth(120)
        self.busy.hide()
        self.status = QLabel("Keras is loading…", self)
        self.status.setWordWrap(True)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        top = QHBoxLayout()
        top.addWidget(QLabel("Run", self))
        top.addWidget(self.run_box, 1)
        top.addWidget(self.refresh_button)
        top.addWidget(QLabel("Split", self))
        top.addWidget(self.split_box)
        top.addWidget(self.output_label)
        top.addWidget(self.output_box)
        top.addWidget(self.evaluate_button)
        top.addWidget(self.busy)

        self.tabs = QTabWidget(self)
        self.tabs.addTab(self._results_page(), "Results")
        self.tabs.addTab(self._try_page(), "Try it")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addLayout(top)
        layout.addWidget(self.status)
        layout.addWidget(self.tabs, 1)
        self._set_busy(None)

    # ---- building ---------------------------------------------------------------------------------------------
    def _results_page(self) -> QWidget:
        page = QWidget(self)
        self.metrics = QLabel("", page)
        self.metrics.setWordWrap(True)
        self.metrics.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.stack = QStackedWidget(page)
        self.empty = QLabel("Choose a run and press Evaluate.", page)
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.stack.addWidget(self.empty)

        self.confusion = ConfusionMatrixView()
        self.confusion.setToolTip("Rows: true class; columns: predicted. Click a cell to see its samples.")
        self.confusion.cellClicked.connect(self.open_cell)
        self.per_class = _table(["class", "precision", "recall", "F1", "support"])
        self.worst = _table(["sample", "true", "p(true)", "predicted", "confidence"])
        self.worst.setToolTip("The samples whose true class got the lowest probability; double-click one to try it.")
        self.worst.cellDoubleClicked.connect(self._on_worst_double_clicked)
        side = QTabWidget(page)
        side.addTab(self.per_class, "Per class")
        side.addTab(self.worst, "Worst predicted")
        self.classification_side = side
        classification = QSplitter(Qt.Orientation.Horizontal, page)
        classification.addWidget(self.confusion)
        classification.addWidget(side)
        classification.setSizes([420, 480])
        self.stack.addWidget(classification)
        self.classification_page = classification

        self.residuals = ResidualPlot()
        self.residuals.sampleClicked.connect(self.open_sample)
        self.residual_note = QLabel("", page)
        self.residual_note.setStyleSheet(style.text_style(style.MUTED_TEXT))
        plot = QWidget(page)
        column = QVBoxLayout(plot)
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(self.residual_note)
        column.addWidget(self.residuals, 1)
        self.largest = _table(["sample", "target", "prediction", "abs error"])
        self.largest.setToolTip("The samples with the largest error; double-click one to try it.")
        self.largest.cellDoubleClicked.connect(self._on_worst_double_clicked)
        regression = QSplitter(Qt.Orientation.Horizontal, page)
        regression.addWidget(plot)
        regression.addWidget(self.largest)
        regression.setSizes([480, 420])
        self.stack.addWidget(regression)
        self.regression_page = regression

        layout = QVBoxLayout(page)
        layout.setContentsMargins(0, 4, 0, 0)
        layout.addWidget(self.metrics)
        layout.addWidget(self.stack, 1)
        return page

    def _try_page(self) -> QWidget:
        page = QWidget(self)
        self.sample_box = QSpinBox(page)
        self.sample_box.setRange(0, 0)
        self.sample_box.setToolTip("A sample of the chosen split, by its index")
        self.sample_button = QPushButton("Predict sample", page)
        self.sample_button.clicked.connect(self._on_sample_clicked)
        self.file_button = QPushButton("Open file…", page)
        self.file_button.clicked.connect(self._choose_file)
        controls = QHBoxLayout()
        controls.addWidget(QLabel("Sample", page))
        controls.addWidget(self.sample_box)
        controls.addWidget(self.sample_button)
        controls.addSpacing(12)
        controls.addWidget(self.file_button)
        controls.addStretch(1)
        self.drop_hint = QLabel(DROP_HINT, page)
        self.drop_hint.setStyleSheet(style.text_style(style.MUTED_TEXT))
        self.try_input = QLabel(page)
        self.try_input.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.try_input.setMinimumSize(120, 96)
        self.try_input.setMaximumWidth(260)
        self.try_input.setStyleSheet(f"border: 1px dashed {style.DROP_FRAME.name()}; background: {style.PLOT_BACKGROUND.name()};")
        self.try_input.setWordWrap(True)
        self.try_result = QLabel("", page)
        self.try_result.setWordWrap(True)
        self.try_result.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.chart = ProbabilityChart()
        left = QVBoxLayout()
        left.addWidget(self.try_input)
        left.addWidget(self.try_result)
        left.addStretch(1)
        body = QHBoxLayout()
        body.addLayout(left)
        body.addWidget(self.chart, 1)
        body.addStretch(0)
        layout = QVBoxLayout(page)
        layout.setContentsMargins(0, 4, 0, 0)
        layout.addLayout(controls)
        layout.addWidget(self.drop_hint)
        layout.addLayout(body, 1)
        return page

    # ---- the window's interface -------------------------------------------------------------------------------
    def set_document(self, document) -> None:
        self.document = document
        self._extra_runs.clear()
        self.loaded = None
        self._clear_results("Choose a run and press Evaluate.")
        self._show_outputs([], "")
        self.split_box.setCurrentIndex(SPLITS.index("test" if document.project.dataset.test_split > 0
                                                    else "validation"))
        if self.engine_ready:
            self.refresh_runs()

    def set_engine_ready(self) -> None:
        self.engine_ready = True
        self.status.setText("")
        self.refresh_runs()
        self._set_busy(None)

    def showEvent(self, event) -> None:
        """Coming into view (its dock tab chosen): read the runs again, so a run just trained is there."""
        super().showEvent(event)
        if not self.task.running:
            self.refresh_runs()

    def shutdown(self) -> None:
        """Wait for an evaluation or prediction in progress (the window is closing)."""
        self.task.wait()

    @Slot(str)
    def show_run(self, run_dir: str) -> None:
        """Evaluate the run in `run_dir` (the runs panel's Evaluate): choose it in the run box and start."""
        path = str(Path(run_dir))
        if self.run_box.findData(path) < 0:
            self._extra_runs[path] = Path(path).name
            self.refresh_runs()
        self.run_box.setCurrentIndex(self.run_box.findData(path))
        self.tabs.setCurrentIndex(0)
        self.bring_forward()
        self.evaluate()

    def bring_forward(self) -> None:
        """Show the panel: raise its dock above the docks tabbed with it."""
        dock = self.parentWidget()
        while dock is not None and not isinstance(dock, QDockWidget):
            dock = dock.parentWidget()
        if dock is not None:
            dock.show()
            dock.raise_()

    @Slot()
    def refresh_runs(self) -> None:
        """Read the project's runs again (newest first) and keep the chosen one chosen."""
        if self.document is None or not self.engine_ready:
            return
        chosen = self.run_box.currentData()
        try:
            runs = _runs_of(self.document.project)
        except Exception as exc:  # an unreadable runs folder: say so, keep the panel usable
            runs = []
            self._show_error(f"The project's runs could not be listed: {exc}")
        listed = {folder for _, folder in runs}
        runs += [(f"{label} (elsewhere)", folder) for folder, label in self._extra_runs.items() if folder not in listed]
        self.run_box.blockSignals(True)
        self.run_box.clear()
        for label, folder in runs:
            self.run_box.addItem(label, folder)
            self.run_box.setItemData(self.run_box.count() - 1, folder, Qt.ItemDataRole.ToolTipRole)
        if not runs and self.document.project.weights:
            self.run_box.addItem("the project's own weights (no training run)", OWN_WEIGHTS)
        self.run_box.blockSignals(False)
        index = self.run_box.findData(chosen) if chosen is not None else -1
        self.run_box.setCurrentIndex(index if index >= 0 else 0)
        self._set_busy(None)

    # ---- evaluation -------------------------------------------------------------------------------------------
    @Slot()
    def evaluate(self) -> None:
        """Evaluate the chosen run on the chosen split, off the GUI thread."""
        if not self._can_start():
            return
        run, split = self.run_box.currentData(), self.split_box.currentData()
        project, loaded = _snapshot(self.document.project), self.loaded
        model_key, dataset_key = self._keys(project, run)
        what = "the project's own weights" if run == OWN_WEIGHTS else Path(run).name
        output = self._outputs.get(self._project_key())
        self._set_busy(f"Evaluating {what} on the {split} split…")
        self.task.start(lambda: _evaluate_job(project, run, split, model_key, dataset_key, loaded, output),
                        name="evaluation")

    def _project_key(self) -> str:
        project = self.document.project if self.document is not None else None
        return str(project.path) if project is not None and project.path else f"unsaved:{id(project)}"

    def chosen_output(self) -> str:
        """The output whose details are shown ("" for a model with one trained output)."""
        return self.output_box.currentData() or "" if self.output_box.isVisibleTo(self) else ""

    @Slot(int)
    def _on_output_chosen(self, index: int) -> None:
        """The user chose another output: remember it for this project and evaluate again for it."""
        output = self.output_box.itemData(index)
        if output is None or self.document is None:
            return
        self._outputs[self._project_key()] = output
        if self.evaluation is not None and output != self.evaluation.output:
            self.evaluate()

    def _show_outputs(self, outputs: list[str], chosen: str) -> None:
        """The Output box lists the trained outputs when there are several; hidden otherwise."""
        self.output_box.blockSignals(True)
        self.output_box.clear()
        for name in outputs:
            self.output_box.addItem(name, name)
        self.output_box.setCurrentIndex(max(0, self.output_box.findData(chosen)))
        self.output_box.blockSignals(False)
        several = len(outputs) > 1
        self.output_label.setVisible(several)
        self.output_box.setVisible(several)

    def _keys(self, project, run: str) -> tuple[str, str]:
        dataset = json.dumps(project.dataset.to_dict(), sort_keys=True) + str(project.folder())
        return (run if run != OWN_WEIGHTS else f"own:{project.path}:{project.weights}"), dataset

    def _can_start(self) -> bool:
        if self.document is None or not self.engine_ready:
            self._show_error("Keras is still loading; evaluate once it has loaded.")
            return False
        if self.task.running:
            self.message.emit("The evaluation panel is busy; wait for it to finish.")
            return False
        if self.run_box.count() == 0:
            self._show_error("This project has no trained run yet: train it first (the Training panel's Train), "
                             "then evaluate the run here.")
            return False
        return True

    @Slot(object)
    def _on_done(self, outcome) -> None:
        self.loaded = outcome.loaded
        if isinstance(outcome, Evaluated):
            self._show_evaluation(outcome)
        else:
            self._show_prediction(outcome)

    @Slot(str)
    def _on_failed(self, message: str) -> None:
        self._set_busy(None)
        self._show_error(message)
        self.message.emit(message)
        self.failed.emit(message)

    def _show_evaluation(self, outcome: Evaluated) -> None:
        ev = outcome.evaluation
        self.evaluation, self.split = ev, ev.split
        self._set_busy(None)
        self.status.setStyleSheet("")
        self.run_line = f"Model: {ev.weights}"
        self.status.setText(self.run_line)
        self._show_outputs(list(ev.outputs) if ev.output else [], ev.output)
        shown = [f"<b>{ev.split}</b> split of {ev.dataset}: {ev.samples} samples"]
        if ev.output:
            shown.append(f"output <b>{ev.output}</b>")
        if ev.task == "classification":
            shown.append(f"accuracy <b>{ev.accuracy:.4f}</b>")
        else:
            shown.append(f"MAE <b>{ev.mae:.4g}</b>")
            shown.append(f"RMSE <b>{ev.rmse:.4g}</b>")
        shown += [f"{name} {value:.4g}" if value is not None else f"{name} n/a"
                  for name, value in ev.metrics.items() if name not in ("accuracy",)]
        self.metrics.setText(" · ".join(shown))
        if ev.task == "classification":
            self._show_classification(ev)
        else:
            self._show_regression(ev)
        self.sample_box.setRange(0, max(0, ev.samples - 1))
        self.message.emit(f"Evaluated on the {ev.split} split: " + (
            f"accuracy {ev.accuracy:.4f}" if ev.task == "classification" else f"MAE {ev.mae:.4g}"))
        self.evaluated.emit(ev)

    def _show_classification(self, ev) -> None:
        self.confusion.set_matrix(ev.confusion_matrix, ev.class_names)
        self.per_class.setRowCount(len(ev.per_class))
        for r, row in enumerate(ev.per_class):
            for c, key in enumerate(("class", "precision", "recall", "f1", "support")):
                self.per_class.setItem(r, c, _cell(row[key]))
        thumbs = self._thumbnails([w["index"] for w in ev.worst])
        self.worst.setRowCount(len(ev.worst))
        for r, row in enumerate(ev.worst):
            values = (row["index"], row["true"], row["true_probability"], row["predicted"], row["confidence"])
            for c, value in enumerate(values):
                self.worst.setItem(r, c, _cell(value))
            self._decorate(self.worst, r, thumbs[r])
        self.stack.setCurrentWidget(self.classification_page)

    def _show_regression(self, ev) -> None:
        from builder.training import residual_points

        index, target, residual = residual_points(ev, RESIDUAL_PLOT_POINTS)
        self.residuals.set_points(index, target + residual, residual)
        total = ev.targets.size
        self.residual_note.setText(f"{len(index):,} of {total:,} points shown (a random sample)" if len(index) < total
                                   else f"{total:,} points")
        per_value = ev.targets.shape[1] > 1  # a vector or mask per sample: the table shows means
        self.largest.setHorizontalHeaderLabels(
            ["sample", "target (mean)", "prediction (mean)", "mean abs error"] if per_value
            else ["sample", "target", "prediction", "abs error"])
        thumbs = self._thumbnails([w["index"] for w in ev.worst])
        self.largest.setRowCount(len(ev.worst))
        for r, row in enumerate(ev.worst):
            for c, value in enumerate((row["index"], row["target"], row["prediction"], row["abs_error"])):
                self.largest.setItem(r, c, _cell(value, 4))
            self._decorate(self.largest, r, thumbs[r])
        self.stack.setCurrentWidget(self.regression_page)

    def _thumbnails(self, indices: list[int]) -> list[Any]:
        from builder.training import split_samples

        x, _ = split_samples(self.loaded.dataset, self.split, indices)
        return list(_first_input(x))

    def _decorate(self, table: QTableWidget, row: int, sample: np.ndarray) -> None:
        item = table.item(row, 0)
        pixmap = sample_pixmap(sample, 28)
        if pixmap is not None:
            item.setData(Qt.ItemDataRole.DecorationRole, pixmap)
        item.setToolTip(sample_text(sample, 24))
        table.resizeRowToContents(row)

    def _clear_results(self, hint: str) -> None:
        self.evaluation = None
        self.metrics.setText("")
        self.empty.setText(hint)
        self.stack.setCurrentWidget(self.empty)
        self.try_result.setText("")
        self.try_input.clear()
        self.chart.clear_bars()
        self.gallery.hide()

    # ---- the samples of a cell -------------------------------------------------------------------------------
    @Slot(int, int)
    def open_cell(self, true_class: int, predicted_class: int) -> list[int]:
        """Show exactly the samples of one confusion-matrix cell (a click on the heat map calls this)."""
        from builder.training import samples_in_cell, split_samples

        ev = self.evaluation
        if ev is None or ev.task != "classification":
            return []
        indices = samples_in_cell(ev, true_class, predicted_class)
        shown = indices[:GALLERY_LIMIT]
        x, _ = split_samples(self.loaded.dataset, self.split, shown)
        x = _first_input(x)
        names = ev.class_names
        captions = [f"p={ev.probabilities[i, predicted_class]:.2f}" for i in shown]
        title = f"True {names[true_class]}, predicted {names[predicted_class]}"
        self.gallery.show_samples(title, shown, x, captions, total=len(indices))
        plural = "s" if len(indices) != 1 else ""
        self.message.emit(f"{title}: {len(indices)} sample{plural} of the {self.split} split.")
        return indices

    @Slot(int)
    def open_sample(self, index: int) -> None:
        """Show one sample of the split (a click on a residual point) with its target and prediction."""
        from builder.training import split_samples

        ev = self.evaluation
        if ev is None:
            return
        x, _ = split_samples(self.loaded.dataset, self.split, [index])
        x = _first_input(x)
        if ev.task == "regression":
            target, prediction = ev.targets[index], ev.predictions[index]
            if target.size > 4:  # a mask or long vector: its means and its error
                caption = (f"target mean {target.mean():.3g}, prediction mean {prediction.mean():.3g}, "
                           f"mean abs error {np.abs(prediction - target).mean():.3g}")
            else:
                caption = (f"target {', '.join(f'{v:.4g}' for v in target)}, "
                           f"prediction {', '.join(f'{v:.4g}' for v in prediction)}")
        else:
            names = ev.class_names
            caption = f"true {names[ev.true_labels[index]]}, predicted {names[ev.predicted_labels[index]]}"
        self.gallery.show_samples(f"Sample {index} of the {self.split} split", [index], x, [caption])

    @Slot(int, int)
    def _on_worst_double_clicked(self, row: int, _column: int) -> None:
        table = self.sender()
        item = table.item(row, 0) if isinstance(table, QTableWidget) else None
        if item is not None:
            self.tabs.setCurrentIndex(1)
            self.try_sample(int(item.text()))

    # ---- Try it ---------------------------------------------------------------------------------------------------
    @Slot()
    def _on_sample_clicked(self) -> None:
        self.try_sample(self.sample_box.value())

    def try_sample(self, index: int) -> None:
        """Predict sample `index` of the chosen split with the chosen run's model, off the GUI thread."""
        if not self._can_start():
            return
        self.sample_box.setValue(index)
        run, split = self.run_box.currentData(), self.split_box.currentData()
        project, loaded = _snapshot(self.document.project), self.loaded
        model_key, dataset_key = self._keys(project, run)
        output = self.chosen_output()
        self._set_busy(f"Predicting sample {index} of the {split} split…")
        self.task.start(lambda: _sample_job(project, run, split, index, model_key, dataset_key, loaded, output),
                        name="try-it")

    def try_file(self, path: str) -> None:
        """Predict the samples of one file (an image, .npy or .csv) with the chosen run's model."""
        if not self._can_start():
            return
        run = self.run_box.currentData()
        project, loaded = _snapshot(self.document.project), self.loaded
        model_key, dataset_key = self._keys(project, run)
        self.tabs.setCurrentIndex(1)
        self._set_busy(f"Predicting {Path(path).name}…")
        output = self.chosen_output()
        self.task.start(lambda: _file_job(project, run, path, model_key, dataset_key, loaded, output), name="try-it")

    @Slot()
    def _choose_file(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Try a file", str(Path.home()),
                                              "Samples (*.png *.jpg *.jpeg *.bmp *.gif *.npy *.csv);;All files (*)")
        if path:
            self.try_file(path)

    def dragEnterEvent(self, event) -> None:
        urls = event.mimeData().urls() if event.mimeData().hasUrls() else []
        if urls and urls[0].isLocalFile():
            event.acceptProposedAction()
        else:
            event.ignore()

    def dropEvent(self, event) -> None:
        urls = event.mimeData().urls()
        if urls and urls[0].isLocalFile():
            event.acceptProposedAction()
            self.try_file(urls[0].toLocalFile())

    def _show_prediction(self, outcome: Predicted) -> None:
        self._set_busy(None)
        self.status.setStyleSheet("")
        self.status.setText(f"Model: {outcome.loaded.model.weights}")
        row = outcome.row
        pixmap = sample_pixmap(outcome.sample, 96) if outcome.sample is not None else None
        if pixmap is not None:
            self.try_input.setPixmap(pixmap)
        else:
            self.try_input.setText(sample_text(outcome.sample, 12) if outcome.sample is not None else "")
        truth = f"<br>true: <b>{outcome.truth}</b>" if outcome.truth is not None else ""
        if row["confidence"] is None:
            value = row["prediction"]
            if isinstance(value, float):
                shown = f"{value:.4g}"
            elif len(value) > 8:  # a mask or a long vector: what it holds, not a thousand numbers
                shown = f"{len(value):,} values, mean {np.mean(value):.3g}, from {min(value):.3g} to {max(value):.3g}"
            else:
                shown = ", ".join(f"{v:.4g}" for v in value)
            self.try_result.setText(f"{outcome.note}<br>prediction: <b>{shown}</b>{truth}")
            self.chart.clear_bars()
            self.chart.hide()
        else:
            self.try_result.setText(f"{outcome.note}<br>predicted: <b>{row['prediction']}</b> "
                                    f"({row['confidence']:.1%}){truth}")
            self.chart.show()
            self.chart.set_probabilities(row["probabilities"], outcome.class_names)
        self.message.emit(f"Try it: {row['prediction'] if row['confidence'] is not None else 'predicted'}.")
        self.predicted.emit(row)

    # ---- state ----------------------------------------------------------------------------------------------------
    def _set_busy(self, text: str | None) -> None:
        busy = text is not None
        self.busy.setVisible(busy)
        if busy:
            self.status.setStyleSheet("")
            self.status.setText(text)
        idle = not busy and self.engine_ready
        has_run = self.run_box.count() > 0
        for widget in (self.evaluate_button, self.sample_button, self.file_button):
            widget.setEnabled(idle and has_run)
        self.run_box.setEnabled(not busy)
        self.split_box.setEnabled(not busy)
        self.output_box.setEnabled(not busy)

    def _show_error(self, message: str) -> None:
        self.status.setStyleSheet(style.text_style(style.ERROR))
        self.status.setText(message)


# ---- the jobs (on the worker thread) ---------------------------------------------------------------------------

def _load(project, run: str, model_key: str, dataset_key: str, loaded: Loaded | None) -> Loaded:
    """The run's model and the project's dataset, reusing what the last job loaded when it is the same."""
    from builder.data import load_project_dataset
    from builder.training import project_model

    if loaded is not None and loaded.model_key == model_key:
        model = loaded.model
    else:
        model = project_model(project, run or None)  # no run: the project's own weights
        if run and not model.path.is_file():  # a run that did not finish: its best or last checkpoint
            model.path = _model_file(Path(run))
            model.weights = f"the checkpoint {model.path.name} of the unfinished run {run}"
    model.load()
    if loaded is not None and loaded.dataset_key == dataset_key and loaded.dataset is not None:
        dataset = loaded.dataset
    else:
        dataset = load_project_dataset(project)
    return Loaded(model_key, dataset_key, model, dataset)


def _evaluate_job(project, run, split, model_key, dataset_key, loaded, output: str | None) -> Evaluated:
    from builder.training import evaluate

    loaded = _load(project, run, model_key, dataset_key, loaded)
    outputs = list(loaded.model.load().output_names)
    # An output chosen for another run of this project that this run's model does not have: its default.
    evaluation = evaluate(project, loaded.model, dataset=loaded.dataset, split=split,
                          output=output if output in outputs else None)
    return Evaluated(loaded, evaluation, run)


def _row_of(rows: list[dict], output: str) -> dict:
    """The chosen output's row of one sample's rows (one per output of a multi-output model)."""
    return next((r for r in rows if r.get("output") == output), rows[0]) if output else rows[0]


def _class_names(dataset, row: dict) -> list[str]:
    """The class names of the output a prediction row is about."""
    if row.get("output"):
        target = dataset.describe().target(row["output"])
        return list(target.class_names) if target is not None else []
    return list(dataset.class_names)


def _sample_job(project, run, split, index, model_key, dataset_key, loaded, output: str = "") -> Predicted:
    from builder.training import predict_samples, split_samples

    loaded = _load(project, run, model_key, dataset_key, loaded)
    x, y = split_samples(loaded.dataset, split, [index])
    row = _row_of(predict_samples(loaded.model, x, loaded.dataset, name=split, indices=[index]), output)
    if isinstance(y, dict):  # a multi-output set: the truth of the output shown
        shown = row.get("output")
        y = {shown: y[shown][0]} if shown in y else {k: v[0] for k, v in y.items()}
    else:
        y = y[0]
    return Predicted(loaded, row, _first_input(x)[0], loaded.dataset.label(y), f"sample {index} of the {split} split",
                     _class_names(loaded.dataset, row))


def _file_job(project, run, path, model_key, dataset_key, loaded, output: str = "") -> Predicted:
    from builder.training import load_input, predict_files

    loaded = _load(project, run, model_key, dataset_key, loaded)
    rows = predict_files(project, loaded.model, [path], dataset=loaded.dataset)
    row = _row_of(rows, output)
    batch = load_input(path, tuple(loaded.model.load().inputs[0].shape[1:]))
    count = len({r["index"] for r in rows})
    more = f" (the first of its {count} samples)" if count > 1 else ""
    return Predicted(loaded, row, np.asarray(batch[0]), None, f"{Path(path).name}{more}",
                     _class_names(loaded.dataset, row))
