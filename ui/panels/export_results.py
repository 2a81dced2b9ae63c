"""The export results: one row per export of this session — what was written, how it was verified, PASS or FAIL."""
from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QFont
from PySide6.QtWidgets import (
    QAbstractItemView, QApplication, QDialog, QDialogButtonBox, QHeaderView, QLabel, QTableWidget, QTableWidgetItem,
    QVBoxLayout, QWidget,
)

from ui import style

COLUMNS = ("Result", "Format", "File", "Size", "Max difference", "Accuracy before → after", "Latency", "Checked in")
PASS, FAIL = "PASS", "FAIL"
NONE = "—"


@dataclass
class ScriptReport:
    """What the Python format gives back: a script, compiled before it was written (no model to compare)."""

    path: Path
    size_bytes: int
    format: str = "python"
    verified: bool = True
    weights: str = "none (the script builds and trains the model itself)"

    def summary(self) -> str:
        return (f"python: {self.path} ({self.size_bytes / 1024:.1f} KiB) — a standalone Keras script of the "
                "project (build_model() and its training); compiled before it was written; no trained weights.")


@dataclass
class ResultRow:
    """One row of the table, as text."""

    passed: bool
    format: str
    file: str
    size: str = NONE
    difference: str = NONE
    accuracy: str = NONE
    latency: str = NONE
    checked_in: str = NONE
    detail: str = ""  # the whole summary (or the failure's message), under the table and as the row's tooltip

    @property
    def result(self) -> str:
        return PASS if self.passed else FAIL

    def cells(self) -> tuple[str, ...]:
        return (self.result, self.format, self.file, self.size, self.difference, self.accuracy, self.latency,
                self.checked_in)


def _size(size_bytes: int) -> str:
    return f"{size_bytes / 1024:.1f} KiB" if size_bytes < 1024 * 1024 else f"{size_bytes / 1024 ** 2:.2f} MiB"


def _percent(value: float) -> str:
    return f"{value:.1%}"


def row_for_report(report, companions=()) -> ResultRow:
    """An ExportReport (builder.export) or a ScriptReport as a row of the table; `companions`: the files written
    beside it (a diffusion denoiser's noise schedule), named in the row's detail."""
    row = _row_for_report(report)
    names = [str(path) for path in companions]
    if names:
        row.detail += f"; written beside it: {', '.join(names)}"
    return row


def _row_for_report(report) -> ResultRow:
    if isinstance(report, ScriptReport):
        return ResultRow(True, "python", str(report.path), _size(report.size_bytes), NONE, NONE, NONE,
                         "Python compiler (syntax)", report.summary())
    fmt = report.format if report.quantization == "float32" else f"{report.format} {report.quantization}"
    difference = NONE
    if report.max_abs_diff is not None and not math.isnan(report.max_abs_diff):
        difference = f"{report.max_abs_diff:.2e}"
        if report.tolerance is not None:
            difference += f" (≤ {report.tolerance:g})"
    if report.accuracy_keras is not None and report.accuracy_export is not None:
        accuracy = f"{_percent(report.accuracy_keras)} → {_percent(report.accuracy_export)}"
        if report.accuracy_drop is not None and report.quantization != "float32":
            accuracy += f" ({-report.accuracy_drop:+.2f} pt)"
    elif report.rmse_vs_keras is not None:
        accuracy = f"RMSE vs Keras {report.rmse_vs_keras:.3g}"
    elif report.class_agreement is not None:
        accuracy = f"same class {_percent(report.class_agreement)}"
    else:
        accuracy = NONE
    latency = NONE if report.latency_ms_per_sample is None else f"{report.latency_ms_per_sample:.3f} ms/sample"
    checked = f"{report.runtime}, {report.samples} {report.samples_source} samples".replace("  ", " ")
    return ResultRow(bool(report.verified), fmt, str(report.path), _size(report.size_bytes), difference, accuracy,
                     latency, checked, report.summary())


def row_for_failure(fmt: str, path, message: str) -> ResultRow:
    return ResultRow(False, fmt, str(path), detail=message)


class ExportResultsDialog(QDialog):
    """The table of this session's exports, newest at the bottom; the latest row's whole report under it."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Export results")
        self.rows: list[ResultRow] = []
        self.table = QTableWidget(0, len(COLUMNS), self)
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)  # PASS/FAIL keep their colour;
        # clicking a row still shows its whole report below
        self.table.verticalHeader().setVisible(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(COLUMNS.index("File"), QHeaderView.ResizeMode.Stretch)
        self.table.currentCellChanged.connect(self._on_row_chosen)
        self.verdict = QLabel(self)
        font = self.verdict.font()
        font.setPointSizeF(font.pointSizeF() * 1.4)
        font.setBold(True)
        self.verdict.setFont(font)
        self.detail = QLabel(self)
        self.detail.setWordWrap(True)
        self.detail.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        self.copy_button = buttons.addButton("Copy table", QDialogButtonBox.ButtonRole.ActionRole)
        self.copy_button.clicked.connect(self.copy_table)
        buttons.rejected.connect(self.close)
        layout = QVBoxLayout(self)
        layout.addWidget(self.verdict)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.detail)
        layout.addWidget(buttons)
        self.resize(1100, 320)

    def add_row(self, row: ResultRow) -> None:
        self.rows.append(row)
        index = self.table.rowCount()
        self.table.insertRow(index)
        colour = style.PASS_FILL if row.passed else style.FAIL_FILL
        for column, text in enumerate(row.cells()):
            item = QTableWidgetItem(text)
            item.setToolTip(row.detail)
            if column == 0:
                bold = QFont(item.font())
                bold.setBold(True)
                item.setFont(bold)
                item.setForeground(QBrush(style.HEADER_TEXT))  # white on the fill in both themes
                item.setBackground(QBrush(colour))
                item.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
            self.table.setItem(index, column, item)
        self.table.setCurrentCell(index, 0)
        self._show(row)

    def cell(self, row: int, column: str) -> str:
        """The text of a cell, by the column's name (tests and Copy table read it)."""
        return self.table.item(row, COLUMNS.index(column)).text()

    def copy_table(self) -> None:
        lines = ["\t".join(COLUMNS)] + ["\t".join(row.cells()) for row in self.rows]
        QApplication.clipboard().setText("\n".join(lines) + "\n")

    def _on_row_chosen(self, row: int, *_args) -> None:
        if 0 <= row < len(self.rows):
            self._show(self.rows[row])

    def _show(self, row: ResultRow) -> None:
        colour = style.PASS_FILL if row.passed else style.FAIL_FILL
        what = "verified: the written file computes what the Keras model computes" if row.passed and \
            row.format != "python" else ("written" if row.passed else "not written")
        self.verdict.setText(f"<span style='color:{colour.name()}'>{row.result}</span> — {row.format}: {what}")
        self.detail.setText(row.detail)
