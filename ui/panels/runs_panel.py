"""The runs panel: every run of the project read from disk (builder.training.list_runs); overlay, resume, evaluate,
export.

A sortable table (one row per run: when it started, how it ended, epochs, duration, device, final metrics, the
settings that differ from the project's now) beside two plots that overlay the curves of the ticked runs, one colour
per run: loss (solid: training, dashed: validation) and a metric chosen above them. The files are read on a worker
thread (ui/workers/background_task.py), after Keras has loaded, whenever the document changes, its settings change,
it is saved under another path, `refresh()` is called (a training finished) or Refresh is pressed.
Resume, Evaluate and Export emit the run's folder; the window sends it to training, the evaluation panel or the
export dialog.
"""
from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pyqtgraph as pg
from PySide6.QtCore import (QAbstractTableModel, QModelIndex, QPoint, QSortFilterProxyModel, Qt, QTimer, QUrl,
                            Signal, Slot)
from PySide6.QtGui import QColor, QDesktopServices
from PySide6.QtWidgets import (QAbstractItemView, QComboBox, QHBoxLayout, QHeaderView, QLabel, QMenu, QPushButton,
                               QSplitter, QTableView, QVBoxLayout, QWidget)

from ui import style, theme
from ui.workers.background_task import BackgroundTask

RUN_COLOURS = style.SERIES_COLOURS  # read on the light and the dark plot background alike
SORT_ROLE = Qt.ItemDataRole.UserRole + 1
MAX_METRIC_COLUMNS = 5
MAX_COLUMN_WIDTH = 320
HIDDEN_METRICS = ("learning_rate",)
STATE_WORDS = {"finished": "finished", "stopped": "stopped", "interrupted": "interrupted", "failed": "failed"}


def format_duration(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    seconds = int(round(max(seconds, 0)))
    minutes, seconds = divmod(seconds, 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{seconds:02d}" if hours else f"{minutes}:{seconds:02d}"


def format_value(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}" if math.isfinite(value) else str(value)
    if value is None:
        return "none"
    if isinstance(value, str):
        return value
    import json

    text = json.dumps(value)
    return text if len(text) <= 40 else text[:39] + "…"


def metric_columns(runs) -> list[str]:
    """The final metrics shown as columns: val_loss, the other validation metrics, loss, the rest (at most 5)."""
    names = {name for run in runs for name in run.final_metrics if name not in HIDDEN_METRICS}
    ordered = (["val_loss"] if "val_loss" in names else []) + sorted(n for n in names if n.startswith("val_")
                                                                      and n != "val_loss")
    ordered += (["loss"] if "loss" in names else []) + sorted(n for n in names if not n.startswith("val_")
                                                              and n != "loss")
    return ordered[:MAX_METRIC_COLUMNS]


class RunsTableModel(QAbstractTableModel):
    """The runs as rows; column 0 is ticked to overlay the run's curves. SORT_ROLE gives sortable values."""

    checkedChanged = Signal()
    BASE = ("Run", "Started", "State", "Epochs", "Duration", "Device")
    DIFFERENCES = "Differs from the project"

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.runs: list = []
        self.metrics: list[str] = []
        self.checked: set[str] = set()  # run folders, kept across refreshes

    def set_runs(self, runs) -> None:
        self.beginResetModel()
        self.runs = list(runs)
        self.metrics = metric_columns(self.runs)
        known = {str(run.run_dir) for run in self.runs}
        self.checked &= known
        self.endResetModel()
        self.checkedChanged.emit()

    def headers(self) -> list[str]:
        return [*self.BASE, *self.metrics, self.DIFFERENCES]

    def rowCount(self, parent=QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.runs)

    def columnCount(self, parent=QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.headers())

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return self.headers()[section]
        return None

    def flags(self, index):
        flags = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
        if index.column() == 0:
            flags |= Qt.ItemFlag.ItemIsUserCheckable
        return flags

    def run_at(self, row: int):
        return self.runs[row]

    def colour_of(self, run) -> str:
        return RUN_COLOURS[self.runs.index(run) % len(RUN_COLOURS)]

    def checked_runs(self) -> list:
        return [run for run in self.runs if str(run.run_dir) in self.checked]

    def set_checked(self, run_dir: str | Path, checked: bool) -> None:
        for row, run in enumerate(self.runs):
            if str(run.run_dir) == str(run_dir):
                self.setData(self.index(row, 0), Qt.CheckState.Checked if checked else Qt.CheckState.Unchecked,
                             Qt.ItemDataRole.CheckStateRole)

    def setData(self, index, value, role=Qt.ItemDataRole.EditRole) -> bool:
        if role != Qt.ItemDataRole.CheckStateRole or index.column() != 0:
            return False
        key = str(self.runs[index.row()].run_dir)
        checked = Qt.CheckState(value) == Qt.CheckState.Checked
        if checked == (key in self.checked):
            return True
        (self.checked.add if checked else self.checked.discard)(key)
        self.dataChanged.emit(index, index, [role])
        self.checkedChanged.emit()
        return True

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        run, column = self.runs[index.row()], self.headers()[index.column()]
        if role == Qt.ItemDataRole.CheckStateRole and index.column() == 0:
            return Qt.CheckState.Checked if str(run.run_dir) in self.checked else Qt.CheckState.Unchecked
        if role == Qt.ItemDataRole.DecorationRole and index.column() == 0:
            return QColor(self.colour_of(run))
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._tooltip(run)
        if role == Qt.ItemDataRole.ForegroundRole and column == "State" and (run.problems or run.state == "failed"):
            return QColor(style.ERROR)
        if role == Qt.ItemDataRole.DisplayRole:
            return self._text(run, column)
        if role == SORT_ROLE:
            return self._sort_value(run, column)
        if role == Qt.ItemDataRole.TextAlignmentRole and (column in ("Epochs", "Duration") or column in self.metrics):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def _text(self, run, column: str) -> str:
        if column == "Run":
            return run.name
        if column == "Started":
            return run.started.strftime("%d %b %Y %H:%M") if run.started else "?"
        if column == "State":
            text = STATE_WORDS.get(run.state, run.state)
            if run.resumable and run.state != "finished":
                text += " (can continue)"
            return text + (" ⚠" if run.problems else "")
        if column == "Epochs":
            return str(run.epochs_run)
        if column == "Duration":
            return format_duration(run.duration_s)
        if column == "Device":
            return run.device or "?"
        if column == self.DIFFERENCES:
            return "; ".join(f"{name.split('.', 1)[-1]} {format_value(was)} (now {format_value(now)})"
                             for name, (was, now) in run.differences.items()) or "—"
        value = run.final_metrics.get(column)
        return format_value(value) if value is not None else ""

    def _sort_value(self, run, column: str):
        if column == "Started":
            return run.started.timestamp() if run.started else 0.0
        if column == "Epochs":
            return run.epochs_run
        if column == "Duration":
            return run.duration_s if run.duration_s is not None else -1.0
        if column in self.metrics:
            value = run.final_metrics.get(column)
            return value if value is not None and math.isfinite(value) else math.inf
        if column == self.DIFFERENCES:
            return len(run.differences)
        return self._text(run, column)

    @staticmethod
    def _tooltip(run) -> str:
        lines = [str(run.run_dir)]
        if run.model_path:
            lines.append(f"model: {run.model_path.name}")
        if run.performance:
            from builder.training import performance_text

            lines.append(f"performance: {performance_text(run.performance)}")
        lines += [f"{name}: {format_value(was)} in this run, {format_value(now)} in the project now"
                  for name, (was, now) in run.differences.items()]
        lines += [f"⚠ {problem}" for problem in run.problems]
        return "\n".join(lines)


def _plot(title: str, legend: bool) -> pg.PlotWidget:
    plot = pg.PlotWidget(background=QColor(style.PLOT_BACKGROUND))
    plot.setTitle(title, color=style.PLOT_TEXT.name(), size="9pt")
    plot.showGrid(x=True, y=True, alpha=0.15)
    plot.setLabel("bottom", "epoch")
    plot.setMenuEnabled(False)
    plot.hideButtons()
    if legend:  # one legend (the runs' colours) for both plots, where the loss curves leave room
        plot.addLegend(offset=(-8, 8), labelTextColor=QColor(style.PLOT_TEXT), brush=QColor(style.PLOT_LEGEND_FILL))
    theme.style_plot(plot)
    plot.setMinimumSize(220, 150)
    return plot


class RunsPanel(QWidget):
    """The project's runs, read from its runs folder; tick runs to overlay their curves."""

    message = Signal(str)  # a line for the status bar
    resumeRequested = Signal(str)  # a run folder: continue it from its last checkpoint
    evaluateRequested = Signal(str)  # a run folder: evaluate its model
    exportRequested = Signal(str)  # a run folder: export its model
    refreshed = Signal()  # the list was read again (tests, and whoever shows a count)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.document = None
        self._engine_ready = False
        self._again = False  # a refresh was asked for while one was reading
        self._known: set[str] | None = None  # the run folders of the last reading (None: not read yet)
        self._generation = 0  # counts the documents shown: a reading for an earlier one is dropped
        self.histories: dict[str, dict[str, list[float]]] = {}
        self.curves: dict[str, list[pg.PlotDataItem]] = {}  # run folder -> its drawn curves, both plots
        self._refresh_timer = QTimer(self)
        self._refresh_timer.setSingleShot(True)
        self._refresh_timer.setInterval(0)
        self._refresh_timer.timeout.connect(self._read)
        self._task = BackgroundTask(self)
        self._task.succeeded.connect(self._on_read)
        self._task.failed.connect(self._on_read_failed)

        self.model = RunsTableModel(self)
        self.model.checkedChanged.connect(self._redraw)
        self.proxy = QSortFilterProxyModel(self)
        self.proxy.setSourceModel(self.model)
        self.proxy.setSortRole(SORT_ROLE)
        self.table = QTableView(self)
        self.table.setModel(self.proxy)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(1, Qt.SortOrder.DescendingOrder)  # newest first
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.table.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.table.customContextMenuRequested.connect(self._on_context_menu)
        self.table.selectionModel().selectionChanged.connect(self._update_buttons)

        self.refresh_button = QPushButton("Refresh", self)
        self.refresh_button.setToolTip("Read the runs folder again")
        self.refresh_button.clicked.connect(self.refresh)
        self.resume_button = QPushButton("Resume", self)
        self.resume_button.setToolTip("Continue the selected run from its last checkpoint")
        self.resume_button.clicked.connect(lambda: self._request(self.resumeRequested))
        self.evaluate_button = QPushButton("Evaluate", self)
        self.evaluate_button.setToolTip("Evaluate the selected run's model")
        self.evaluate_button.clicked.connect(lambda: self._request(self.evaluateRequested))
        self.export_button = QPushButton("Export…", self)
        self.export_button.setToolTip("Export the selected run's model")
        self.export_button.clicked.connect(lambda: self._request(self.exportRequested))
        self.open_button = QPushButton("Open folder", self)
        self.open_button.setToolTip("Show the selected run's folder in the file manager")
        self.open_button.clicked.connect(self._open_folder)
        self.metric_box = QComboBox(self)
        self.metric_box.setToolTip("The metric the right-hand plot overlays")
        self.metric_box.currentTextChanged.connect(self._redraw)
        self.folder_label = QLabel("", self)
        self.folder_label.setStyleSheet(style.text_style(style.MUTED_TEXT))
        self.folder_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        buttons = QHBoxLayout()
        for button in (self.refresh_button, self.resume_button, self.evaluate_button, self.export_button,
                       self.open_button):
            buttons.addWidget(button)
        buttons.addSpacing(12)
        buttons.addWidget(self.folder_label, 1)
        buttons.addWidget(QLabel("Metric:", self))
        buttons.addWidget(self.metric_box)

        self.loss_plot = _plot("loss (solid: training, dashed: validation)", legend=True)
        self.metric_plot = _plot("metric", legend=False)
        plots = QWidget(self)
        plots_layout = QHBoxLayout(plots)
        plots_layout.setContentsMargins(0, 0, 0, 0)
        plots_layout.addWidget(self.loss_plot)
        plots_layout.addWidget(self.metric_plot)
        splitter = QSplitter(Qt.Orientation.Horizontal, self)
        splitter.addWidget(self.table)
        splitter.addWidget(plots)
        splitter.setStretchFactor(0, 1)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([700, 500])

        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addLayout(buttons)
        layout.addWidget(splitter, 1)
        self._update_buttons()

    # ---- the window's calls --------------------------------------------------------------------------------
    def set_document(self, document) -> None:
        if self.document is not None:
            for signal, slot in ((self.document.projectChanged, self._on_project_changed),
                                 (self.document.titleChanged, self._on_title_changed)):
                try:
                    signal.disconnect(slot)
                except (RuntimeError, TypeError):
                    pass
        self.document = document
        document.projectChanged.connect(self._on_project_changed)
        document.titleChanged.connect(self._on_title_changed)
        self.model.checked.clear()
        self._known = None
        self._generation += 1
        self.histories = {}
        self.model.set_runs([])
        self._show_folder()
        self.refresh()

    def set_engine_ready(self) -> None:
        self._engine_ready = True
        self.refresh()

    @Slot()
    def refresh(self) -> None:
        """Read the runs folder again, off the GUI thread, once the GUI thread is next idle (so a burst of calls
        reads once, and a save that moves the runs has moved them); `refreshed` follows."""
        self._refresh_timer.start()

    def _read(self) -> None:
        if self.document is None or not self._engine_ready:
            return  # the engine's modules are imported after Keras has loaded, never at start-up
        if self._task.running:
            self._again = True
            return
        project = _settings_copy(self.document.project)  # the worker never reads what the GUI thread edits
        self._show_folder()
        generation = self._generation
        self._task.start(lambda: (generation, *_read_runs(project)), name="runs-list")

    def wait(self) -> None:
        """Block until a reading in progress has ended (the window is closing)."""
        self._refresh_timer.stop()
        self._again = False
        self._task.wait()

    # ---- reading ------------------------------------------------------------------------------------------
    @Slot(object)
    def _on_read(self, found) -> None:
        generation, runs, histories = found
        if generation != self._generation:  # read for the document shown before: read again for this one
            self._again = False
            self._read()
            return
        self.histories = histories
        folders = [str(run.run_dir) for run in runs]
        if self._known is None:  # the first reading of this project: the newest run is ticked, to see at once
            newest = max(runs, key=lambda r: (r.started.timestamp() if r.started else 0.0, r.name), default=None)
            if newest is not None:
                self.model.checked.add(str(newest.run_dir))
        else:  # a run that appeared since (a training just finished) is ticked beside those already ticked
            self.model.checked.update(f for f in folders if f not in self._known)
        self._known = set(folders)
        self.model.set_runs(runs)
        self.table.resizeColumnsToContents()
        for column in range(self.model.columnCount()):  # a long list of changed settings stays readable in its tooltip
            self.table.setColumnWidth(column, min(self.table.columnWidth(column), MAX_COLUMN_WIDTH))
        self._update_buttons()
        self._show_folder(len(runs))
        self.refreshed.emit()
        if self._again:
            self._again = False
            self._read()

    @Slot(str)
    def _on_read_failed(self, message: str) -> None:
        self.message.emit(f"The runs could not be read: {message}")
        self.folder_label.setText(message)
        if self._again:
            self._again = False
            self._read()

    @Slot(str)
    def _on_project_changed(self, _section: str) -> None:
        self.refresh()  # the settings that differ from the project's are compared again

    @Slot(str)
    def _on_title_changed(self, _title: str) -> None:
        self.refresh()  # saved under another path: another runs folder

    def _show_folder(self, count: int | None = None) -> None:
        if self.document is None:
            return
        project = self.document.project
        folder = project.default_runs_dir()
        where = f"{folder}" if project.path else f"{folder} (unsaved project: saving it takes its runs along)"
        if count == 0:
            self.folder_label.setText(f"No runs yet: train the model and its runs appear here. Runs folder: {where}")
        else:
            self.folder_label.setText(f"{count} run{'s' if count != 1 else ''} in {where}" if count is not None
                                      else where)
        self.folder_label.setToolTip(str(folder))

    # ---- the plots ------------------------------------------------------------------------------------------
    def _metric_names(self, runs) -> list[str]:
        names = []
        for run in runs:
            for key in self.histories.get(str(run.run_dir), {}):
                base = key.removeprefix("val_")
                if key != "epoch" and base not in ("loss", *HIDDEN_METRICS) and base not in names:
                    names.append(base)
        return names

    @Slot()
    def _redraw(self, *_args) -> None:
        checked = self.model.checked_runs()
        names = self._metric_names(checked)
        current = self.metric_box.currentText()
        if [self.metric_box.itemText(i) for i in range(self.metric_box.count())] != names:
            self.metric_box.blockSignals(True)
            self.metric_box.clear()
            self.metric_box.addItems(names)
            if current in names:
                self.metric_box.setCurrentText(current)
            self.metric_box.blockSignals(False)
        metric = self.metric_box.currentText()
        self.metric_plot.setTitle(f"{metric or 'metric'} (solid: training, dashed: validation)",
                                  color=style.PLOT_TEXT.name(), size="9pt")
        for plot in (self.loss_plot, self.metric_plot):
            plot.clear()
            if plot.getPlotItem().legend is not None:
                plot.getPlotItem().legend.clear()
        self.curves = {}
        for run in checked:
            curves = self.histories.get(str(run.run_dir), {})
            epochs = curves.get("epoch", [])
            colour = self.model.colour_of(run)
            drawn = []
            for plot, name in ((self.loss_plot, "loss"), (self.metric_plot, metric)):
                if not name:
                    continue
                for key, dash, label in ((name, Qt.PenStyle.SolidLine, run.name if plot is self.loss_plot else None),
                                         (f"val_{name}", Qt.PenStyle.DashLine, None)):
                    values = curves.get(key)
                    if not values:
                        continue
                    points = [(x, y) for x, y in zip(epochs, values) if math.isfinite(y)]
                    drawn.append(plot.plot([p[0] for p in points], [p[1] for p in points],
                                           pen=pg.mkPen(colour, width=2, style=dash), symbol="o", symbolSize=4,
                                           symbolBrush=colour, symbolPen=colour, name=label))
            self.curves[str(run.run_dir)] = drawn

    # ---- the selected run's actions --------------------------------------------------------------------------
    def selected_run(self):
        rows = self.table.selectionModel().selectedRows()
        if not rows:
            return None
        return self.model.run_at(self.proxy.mapToSource(rows[0]).row())

    def select_run(self, run_dir: str | Path) -> None:
        for row, run in enumerate(self.model.runs):
            if str(run.run_dir) == str(run_dir):
                self.table.selectRow(self.proxy.mapFromSource(self.model.index(row, 0)).row())
                return

    @Slot()
    def _update_buttons(self, *_args) -> None:
        run = self.selected_run()
        self.resume_button.setEnabled(bool(run and run.resumable))
        has_model = bool(run and run.model_path)
        self.evaluate_button.setEnabled(has_model)
        self.export_button.setEnabled(has_model)
        self.open_button.setEnabled(run is not None)
        if run is not None and not has_model:
            tip = "This run saved no model (it failed before its first epoch)."
        else:
            tip = ""
        for button in (self.evaluate_button, self.export_button):
            button.setStatusTip(tip)

    def _request(self, signal) -> None:
        run = self.selected_run()
        if run is None:
            self.message.emit("Select a run in the list first.")
            return
        signal.emit(str(run.run_dir))

    @Slot()
    def _open_folder(self) -> None:
        run = self.selected_run()
        if run is not None:
            QDesktopServices.openUrl(QUrl.fromLocalFile(str(run.run_dir)))

    @Slot(QPoint)
    def _on_context_menu(self, position: QPoint) -> None:
        index = self.table.indexAt(position)
        if not index.isValid():
            return
        self.table.selectRow(index.row())
        menu = QMenu(self)
        for button in (self.resume_button, self.evaluate_button, self.export_button, self.open_button):
            action = menu.addAction(button.text(), button.click)
            action.setEnabled(button.isEnabled())
        menu.exec(self.table.viewport().mapToGlobal(position))


def _settings_copy(project):
    """What reading the runs needs of the project (its name, path and settings), copied."""
    import copy

    from builder.project import Project

    return Project(dataset=copy.deepcopy(project.dataset), training=copy.deepcopy(project.training),
                   name=project.name, path=project.path)


def _read_runs(project) -> tuple[list, dict[str, dict[str, list[float]]]]:
    """On the worker thread: the runs and each run's curves."""
    from builder.training import history, list_runs

    runs = list_runs(project)
    return runs, {str(run.run_dir): history(run) for run in runs}
