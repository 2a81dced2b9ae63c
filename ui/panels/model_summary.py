"""The status bar's model summary: blocks, parameters (trainable too), model memory, FLOPs and problems.

The numbers come from the document's shape report and the engine's cost estimate (builder.model.estimate),
re-estimated after each report by one CostEstimator per document (it keeps what it counted), so one edit costs
the blocks it changed. The
problem count is a button: clicking it asks the window to select the first block with a problem.
"""
from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QWidget

from ui import style


def readable(count: float, unit: str = "") -> str:
    """1234 -> '1.23 k', 5330571 -> '5.33 M' (SI prefixes, three significant digits)."""
    for factor, prefix in ((1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k")):
        if abs(count) >= factor:
            return f"{count / factor:.3g} {prefix}{unit}"
    return f"{count:.0f} {unit}".rstrip()


class ModelSummary(QWidget):
    """`update_summary(document, mismatches)` redraws; `problemsClicked` asks for the first problem."""

    problemsClicked = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.text = QLabel(self)
        self.problems = QPushButton(self)
        self.problems.setFlat(True)
        self.problems.setCursor(Qt.CursorShape.PointingHandCursor)
        self.problems.setToolTip("Select the first block with a problem")
        self.problems.clicked.connect(self.problemsClicked)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        layout.addWidget(self.text)
        layout.addWidget(self.problems)
        self._estimator = None  # the engine's CostEstimator for the document shown (it keeps what it counted)
        self._document_id: int | None = None

    def update_summary(self, document, mismatches: dict[str, list[str]], recipe_problems=None) -> None:
        """`recipe_problems` (builder's NodeProblems): where the graph does not fit its training recipe."""
        graph = document.graph
        report = document.shapes.report
        parts = [f"{len(graph.nodes)} blocks"]
        tip = ""
        if report is None:
            parts.append("loading Keras…")
        else:
            total, trainable = report.total_params, report.trainable_params(graph)
            parts.append(f"{total:,} parameters ({trainable:,} trainable)")
            cost = self._estimate(document, report)
            if cost is not None:
                parts.append(f"{readable(cost.size_bytes['float32'], 'B')} model")
                parts.append(f"{readable(cost.flops_per_sample, 'FLOPs')}/sample")
                tip = (f"Weights: {total * 4:,} bytes as float32 (file about {cost.size_bytes['float32']:,} bytes; "
                       f"int8 about {cost.size_bytes['int8']:,}).\nActivations kept for training: "
                       f"{cost.activation_bytes_per_sample:,} bytes per sample.\n"
                       f"FLOPs per sample (inference, a multiply-add is 2): {cost.flops_per_sample:,}.")
                if cost.unknown_layers:
                    tip += f"\nNo FLOP formula for: {', '.join(cost.unknown_layers[:8])}."
        self.text.setText(" · ".join(parts))
        self.text.setToolTip(tip)
        self._show_problems(report, sum(len(m) for m in mismatches.values()), recipe_problems)

    def _estimate(self, document, report):
        from builder.model import CostEstimator  # Keras is loaded once a report exists

        if self._estimator is None or self._document_id != id(document):  # another document: start afresh
            self._estimator, self._document_id = CostEstimator(), id(document)
        try:
            return self._estimator.estimate(document.project, report)
        except Exception:  # a graph the estimate cannot walk: the rest of the summary still shows
            return None

    def _show_problems(self, report, mismatches: int, recipe_problems=None) -> None:
        problems = report.problem_count() if report is not None else 0
        words = []
        if problems:
            words.append(f"{problems} problem{'s' if problems != 1 else ''}")
        if mismatches:
            words.append(f"{mismatches} dataset mismatch{'es' if mismatches != 1 else ''}")
        misfits = (sum(len(m) for m in recipe_problems.nodes.values()) + len(recipe_problems.general)
                   if recipe_problems else 0)
        if misfits:
            words.append(f"{misfits} recipe problem{'s' if misfits != 1 else ''}")
        lines = [*(m for ms in recipe_problems.nodes.values() for m in ms), *recipe_problems.general] \
            if recipe_problems else []
        self.problems.setToolTip("Select the first block with a problem" + "".join(f"\n• {line}" for line in lines))
        if report is None:
            self.problems.hide()
            return
        self.problems.show()
        if words:
            self.problems.setText("⚠ " + ", ".join(words))
            self.problems.setStyleSheet(f"color: {style.ERROR.name()}; text-decoration: underline; border: none;")
            self.problems.setEnabled(True)
        else:
            self.problems.setText("valid")
            self.problems.setStyleSheet("border: none;")
            self.problems.setEnabled(False)

    def full_text(self) -> str:
        """What the summary says, problems included (for the window's tests and its accessible name)."""
        problems = "" if self.problems.isHidden() else self.problems.text()
        return " · ".join(t for t in (self.text.text(), problems) if t)
