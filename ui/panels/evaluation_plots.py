"""The evaluation panel's plots: the confusion-matrix heat map (a click names a cell), the residual scatter plot
(a click names a sample) and the class-probability bar chart of Try it."""
from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, Signal
from PySide6.QtGui import QColor

from ui import style, theme

MAX_LABELLED = 30  # classes up to which each cell's count is written in it
BAR = style.TRAIN_COLOUR
BAR_CHOSEN = style.VALIDATION_COLOUR
RESIDUAL = QColor(style.TRAIN_COLOUR)
RESIDUAL.setAlpha(150)


def heat_map() -> pg.ColorMap:
    """The confusion matrix's colours: an empty cell is the plot's background, the fullest cell a strong blue."""
    return pg.ColorMap([0.0, 1.0], [QColor(style.HEAT_LOW), QColor(style.HEAT_HIGH)])


def _plot(title: str = "") -> pg.PlotWidget:
    plot = pg.PlotWidget(background=QColor(style.PLOT_BACKGROUND))
    if title:
        plot.setTitle(title, size="10pt")
    plot.hideButtons()
    plot.setMenuEnabled(False)
    theme.style_plot(plot)
    return plot


def _name_ticks(names: list[str], limit: int = 40) -> list[tuple[float, str]]:
    """Ticks at each cell's middle; with many classes, every n-th is named."""
    step = max(1, math.ceil(len(names) / limit))
    return [(i + 0.5, name if len(name) <= 14 else name[:13] + "…") for i, name in enumerate(names) if i % step == 0]


class ConfusionImage(pg.ImageItem):
    """The heat map's image; a left click on a cell emits (true class, predicted class)."""

    cellClicked = Signal(int, int)

    def __init__(self) -> None:
        super().__init__(axisOrder="row-major")
        self.matrix = np.zeros((0, 0), dtype="int64")
        self.names: list[str] = []
        self.setAcceptHoverEvents(True)

    def cell_at(self, pos: QPointF) -> tuple[int, int] | None:
        """(row = true class, column = predicted class) under a point in the image's coordinates."""
        row, col = math.floor(pos.y()), math.floor(pos.x())
        k = len(self.matrix)
        return (row, col) if 0 <= row < k and 0 <= col < k else None

    def mouseClickEvent(self, event) -> None:
        cell = self.cell_at(event.pos())
        if event.button() == pg.QtCore.Qt.MouseButton.LeftButton and cell is not None:
            event.accept()
            self.cellClicked.emit(*cell)
        else:
            event.ignore()

    def hoverEvent(self, event) -> None:
        if event.isExit():
            self.setToolTip("")
            return
        cell = self.cell_at(event.pos())
        if cell is None:
            self.setToolTip("")
            return
        row, col = cell
        count = int(self.matrix[row, col])
        self.setToolTip(f"true {self.names[row]}, predicted {self.names[col]}: {count} sample"
                        f"{'s' if count != 1 else ''}" + (" — click to see them" if count else ""))


class ConfusionMatrixView(pg.PlotWidget):
    """Rows are the true classes (top to bottom), columns the predicted ones; each cell shows its count."""

    cellClicked = Signal(int, int)  # true class, predicted class

    def __init__(self, parent=None) -> None:
        super().__init__(parent, background=QColor(style.PLOT_BACKGROUND))
        self.hideButtons()
        self.setMenuEnabled(False)
        self.setMouseEnabled(x=False, y=False)
        self.getPlotItem().invertY(True)
        self.getPlotItem().setAspectLocked(True)
        for axis, label in (("left", "true class"), ("bottom", "predicted class")):
            self.setLabel(axis, label)
        theme.style_plot(self)
        self.image = ConfusionImage()
        self.image.setColorMap(heat_map())
        self.image.cellClicked.connect(self.cellClicked)
        self.addItem(self.image)
        self.labels: list[pg.TextItem] = []
        style.on_theme_changed(self._on_theme_changed)

    @property
    def matrix(self) -> np.ndarray:
        return self.image.matrix

    def set_matrix(self, matrix, names: list[str]) -> None:
        matrix = np.asarray(matrix, dtype="int64")
        k = len(matrix)
        self.image.matrix, self.image.names = matrix, list(names)
        top = max(1, int(matrix.max()) if matrix.size else 1)
        self.image.setImage(matrix.astype("float64"), levels=(0, top))
        self.image.setRect(0, 0, k, k)
        for label in self.labels:
            self.removeItem(label)
        self.labels = []
        if k <= MAX_LABELLED:
            for row in range(k):
                for col in range(k):
                    count = int(matrix[row, col])
                    if not count:
                        continue
                    colour = style.HEADER_TEXT if count > top * 0.55 else style.PLOT_TEXT
                    label = pg.TextItem(str(count), color=QColor(colour), anchor=(0.5, 0.5))
                    label.setPos(col + 0.5, row + 0.5)
                    self.addItem(label)
                    self.labels.append(label)
        ticks = _name_ticks(list(names))
        self.getAxis("left").setTicks([ticks])
        self.getAxis("bottom").setTicks([ticks])
        self.setXRange(0, k, padding=0.02)
        self.setYRange(0, k, padding=0.02)

    def _on_theme_changed(self) -> None:
        self.image.setColorMap(heat_map())
        if self.matrix.size:  # the counts' colours depend on the cells' colours
            self.set_matrix(self.matrix, self.image.names)

    def cell_centre(self, true_class: int, predicted_class: int) -> QPointF:
        """Where a cell's centre is in the view's widget coordinates (to click it)."""
        scene = self.image.mapToScene(QPointF(predicted_class + 0.5, true_class + 0.5))
        return QPointF(self.mapFromScene(scene))


class ResidualPlot(pg.PlotWidget):
    """Prediction − target against the prediction, one point per sample and output; a click names the sample."""

    sampleClicked = Signal(int)

    def __init__(self, parent=None) -> None:
        super().__init__(parent, background=QColor(style.PLOT_BACKGROUND))
        self.hideButtons()
        self.setMenuEnabled(False)
        self.showGrid(x=True, y=True, alpha=0.15)
        for axis, label in (("left", "residual (prediction − target)"), ("bottom", "prediction")):
            self.getAxis(axis).enableAutoSIPrefix(False)  # "(x0.001)" beside a label that has no unit reads oddly
            self.setLabel(axis, label)
        theme.style_plot(self)
        self.zero_line = pg.InfiniteLine(pos=0, angle=0, pen=pg.mkPen(QColor(style.PLOT_ZERO_LINE), width=1))
        self.addItem(self.zero_line)
        self.points = pg.ScatterPlotItem(size=6, pen=None, brush=pg.mkBrush(RESIDUAL), hoverable=True,
                                         tip=self._tip)
        style.on_theme_changed(self._on_theme_changed)
        self.points.sigClicked.connect(self._on_clicked)
        self.addItem(self.points)

    def _on_theme_changed(self) -> None:
        self.zero_line.setPen(pg.mkPen(QColor(style.PLOT_ZERO_LINE), width=1))

    @staticmethod
    def _tip(x: float, y: float, data) -> str:
        return f"sample {data}: prediction {x:.4g}, residual {y:+.4g}"

    def set_points(self, index: np.ndarray, prediction: np.ndarray, residual: np.ndarray) -> None:
        self.points.setData(x=np.asarray(prediction, dtype="float64"), y=np.asarray(residual, dtype="float64"),
                            data=np.asarray(index, dtype="int64"))
        self.autoRange()

    def _on_clicked(self, _item, points, _event) -> None:
        if len(points):
            self.sampleClicked.emit(int(points[0].data()))


class ProbabilityChart(pg.PlotWidget):
    """One bar per class: the model's probability for it; the predicted class stands out."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent, background=QColor(style.PLOT_BACKGROUND))
        self.hideButtons()
        self.setMenuEnabled(False)
        self.setMouseEnabled(x=False, y=False)
        self.setLabel("left", "probability")
        theme.style_plot(self)
        self.setYRange(0, 1.05, padding=0)
        self.bars: pg.BarGraphItem | None = None
        self.values: list[float] = []

    def set_probabilities(self, probabilities: list[float], names: list[str]) -> None:
        if self.bars is not None:
            self.removeItem(self.bars)
        self.values = [float(p) for p in probabilities]
        best = int(np.argmax(self.values)) if self.values else -1
        brushes = [pg.mkBrush(BAR_CHOSEN if i == best else BAR) for i in range(len(self.values))]
        self.bars = pg.BarGraphItem(x=np.arange(len(self.values)) + 0.5, height=self.values, width=0.8,
                                    brushes=brushes, pen=None)
        self.addItem(self.bars)
        names = list(names) + [str(i) for i in range(len(names), len(self.values))]
        self.getAxis("bottom").setTicks([_name_ticks(names[:len(self.values)])])
        self.setXRange(0, max(1, len(self.values)), padding=0.02)
        self.setYRange(0, 1.05, padding=0)

    def clear_bars(self) -> None:
        if self.bars is not None:
            self.removeItem(self.bars)
            self.bars = None
        self.values = []
