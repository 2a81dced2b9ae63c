"""The data panel's pictures of a DatasetSummary: the class-count bar chart and the grid of sample previews."""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QImage, QPainter, QPen, QPixmap, QPolygonF
from PySide6.QtWidgets import (
    QAbstractItemView, QGridLayout, QHeaderView, QLabel, QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget,
)

from ui import style, theme

SPLIT_COLOURS = {"train": style.TRAIN_COLOUR, "validation": style.VALIDATION_COLOUR, "test": style.TEST_COLOUR}
TILE = 88  # a preview sample's picture, in pixels (three fit across the ~330 px dock)
COLUMNS = 3
TABLE_COLUMNS = 6  # features shown per table row


class ClassChart(pg.PlotWidget):
    """Samples per class as bars, one colour per split stacked (train, validation, test); for regression a
    histogram of the training targets. `counts` and `names` keep what is drawn."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent, background=QColor(style.PLOT_BACKGROUND))
        self.setMouseEnabled(x=False, y=False)
        self.hideButtons()
        self.setMenuEnabled(False)
        self.showGrid(y=True, alpha=0.15)
        theme.style_plot(self)
        self.setMinimumHeight(150)
        self.setMaximumHeight(190)
        self.counts: dict[str, list[int]] = {}
        self.names: list[str] = []

    def show_classes(self, names: list[str], counts: dict[str, list[int]]) -> None:
        self._reset()
        self.names, self.counts = list(names), {k: list(v) for k, v in counts.items()}
        x = np.arange(len(names))
        base = np.zeros(len(names))
        for split in ("train", "validation", "test"):
            if split not in counts:
                continue
            heights = np.asarray(counts[split], float)
            self.addItem(pg.BarGraphItem(x=x, height=heights, y0=base, width=0.75, brush=SPLIT_COLOURS[split],
                                         pen=pg.mkPen(None)))
            base = base + heights
        step = max(1, int(np.ceil(len(names) / 10)))  # at most ~10 class names under the bars
        self.getAxis("bottom").setTicks([[(i, _short(n)) for i, n in enumerate(names) if i % step == 0]])
        key = " ".join(f"<span style='color:{SPLIT_COLOURS[split]}'>■</span> {split}" for split in counts)
        self.setTitle(key, color=style.PLOT_TEXT.name(), size="8pt")  # samples per class, stacked by split
        self.setToolTip("\n".join(
            f"{name}: " + ", ".join(f"{split} {counts[split][i]}" for split in counts) for i, name in enumerate(names)))
        self.enableAutoRange()

    def show_histogram(self, edges: list[float], counts: list[int]) -> None:
        self._reset()
        self.counts = {"train": list(counts)}
        edges_array = np.asarray(edges)
        centres, widths = (edges_array[:-1] + edges_array[1:]) / 2, np.diff(edges_array)
        self.addItem(pg.BarGraphItem(x=centres, height=counts, width=widths * 0.95, brush=style.TRAIN_COLOUR,
                                     pen=pg.mkPen(None)))
        self.getAxis("bottom").setTicks(None)
        self.setTitle("Training targets (regression)", color=style.PLOT_TEXT.name(), size="8pt")
        self.setToolTip(f"{sum(counts)} training targets from {edges[0]:.4g} to {edges[-1]:.4g}")
        self.enableAutoRange()

    def clear_chart(self) -> None:
        self._reset()
        self.setTitle("")
        self.setToolTip("")

    def _reset(self) -> None:
        self.clear()
        self.counts, self.names = {}, []


def _short(name: str, limit: int = 8) -> str:
    return name if len(name) <= limit else name[:limit - 1] + "…"


# ---- samples -----------------------------------------------------------------------------------------------------

def image_pixmap(sample: np.ndarray, size: int = TILE) -> QPixmap:
    """One image sample (h, w[, 1|3|4]) as a pixmap: uint8 as stored, other values stretched to 0..255."""
    array = np.asarray(sample)
    if array.ndim == 3 and array.shape[2] == 1:
        array = array[:, :, 0]
    if array.dtype != np.uint8:
        array = array.astype("float64")
        low, high = float(np.nanmin(array)), float(np.nanmax(array))
        array = np.zeros_like(array) if high <= low else (array - low) / (high - low) * 255.0
        array = np.nan_to_num(array).clip(0, 255).astype(np.uint8)
    array = np.ascontiguousarray(array)
    height, width = array.shape[:2]
    if array.ndim == 2:
        image = QImage(array.data, width, height, width, QImage.Format.Format_Grayscale8)
    elif array.shape[2] == 3:
        image = QImage(array.data, width, height, 3 * width, QImage.Format.Format_RGB888)
    else:
        image = QImage(array.data, width, height, 4 * width, QImage.Format.Format_RGBA8888)
    image = image.copy()  # own the pixels: `array` goes away
    ratio = style.device_pixel_ratio()  # scaled to the screen's own pixels: sharp on a high-DPI screen
    smooth = Qt.TransformationMode.SmoothTransformation if min(height, width) > size * ratio else \
        Qt.TransformationMode.FastTransformation  # small images stay sharp pixels
    pixmap = QPixmap.fromImage(image.scaled(round(size * ratio), round(size * ratio),
                                            Qt.AspectRatioMode.KeepAspectRatio, smooth))
    pixmap.setDevicePixelRatio(ratio)
    return pixmap


def signal_pixmap(sample: np.ndarray, size: int = TILE) -> QPixmap:
    """A 1-D signal (steps,) or (steps, channels) as a small line plot, one colour per channel (up to 3)."""
    array = np.asarray(sample, dtype="float64")
    array = array.reshape(len(array), -1)[:, :3]
    pixmap = style.crisp_pixmap(size, size * 2 // 3)
    pixmap.fill(style.PLOT_BACKGROUND)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setPen(QPen(style.PLOT_FRAME, 1))
    painter.drawRect(QRectF(0.5, 0.5, size - 1, size * 2 // 3 - 1))
    finite = array[np.isfinite(array)]
    low, high = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
    span = high - low or 1.0
    margin = 4.0
    width, height = size - 2 * margin, size * 2 // 3 - 2 * margin
    steps = max(len(array) - 1, 1)
    for channel, colour in zip(array.T, style.SERIES_COLOURS):
        points = QPolygonF([QPointF(margin + i / steps * width, margin + (1 - (v - low) / span) * height)
                            for i, v in enumerate(np.nan_to_num(channel, nan=low))])
        painter.setPen(QPen(QColor(colour), 1.4))
        painter.drawPolyline(points)
    painter.end()
    return pixmap


class PreviewGrid(QWidget):
    """The first samples with their labels: images and signals as tiles in a grid, table rows as a table, text
    as quoted lines. `kind` and `labels` keep what is shown."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.kind = ""
        self.labels: list[str] = []
        self.shown_input = ""  # with named inputs, the one whose samples are shown
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self._content: QWidget | None = None

    def show_preview(self, preview, kind: str) -> None:
        self.clear_preview()
        self.kind, self.labels = kind, list(preview.labels)
        if isinstance(preview.x, dict):  # named inputs (digits_halves): the first input's samples, named
            name, first = next(iter(preview.x.items()))
            preview = preview._replace(x=first)
            self.shown_input = name
        else:
            self.shown_input = ""
        if kind in ("image", "signal"):
            self._content = self._tiles(preview, kind)
        elif kind == "table":
            self._content = self._table(preview)
        else:
            self._content = self._texts(preview)
        self._layout.addWidget(self._content)

    def clear_preview(self) -> None:
        if self._content is not None:
            self._content.setParent(None)
            self._content.deleteLater()
            self._content = None
        self.kind, self.labels = "", []

    def tiles(self) -> list[QLabel]:
        """The picture of each sample (images and signals)."""
        return self._content.findChildren(QLabel, "sampleTile") if self._content is not None else []

    def _tiles(self, preview, kind: str) -> QWidget:
        box = QWidget(self)
        grid = QGridLayout(box)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setSpacing(6)
        for i, (x, label) in enumerate(zip(preview.x, preview.labels)):
            tile = QLabel(box)
            tile.setObjectName("sampleTile")
            tile.setPixmap(image_pixmap(x) if kind == "image" else signal_pixmap(x))
            tile.setAlignment(Qt.AlignmentFlag.AlignCenter)
            tile.setToolTip(f"sample {i}: {label}, shape {tuple(np.asarray(x).shape)}")
            caption = QLabel(label, box)
            caption.setAlignment(Qt.AlignmentFlag.AlignCenter)
            caption.setFont(style.small_font())
            row, column = divmod(i, COLUMNS)
            grid.addWidget(tile, 2 * row, column)
            grid.addWidget(caption, 2 * row + 1, column)
        return box

    def _table(self, preview) -> QWidget:
        rows = [np.asarray(x).reshape(-1) for x in preview.x]
        width = max((len(r) for r in rows), default=0)
        shown = min(width, TABLE_COLUMNS)
        table = QTableWidget(len(rows), shown + 1 + (1 if width > shown else 0), self)
        more = ["…"] if width > shown else []
        table.setHorizontalHeaderLabels(["label"] + [f"x{i}" for i in range(shown)] + more)
        for r, (values, label) in enumerate(zip(rows, preview.labels)):
            table.setItem(r, 0, QTableWidgetItem(label))
            for c in range(shown):
                value = values[c]
                text = f"{value:.4g}" if isinstance(value, (float, np.floating)) else str(value)
                table.setItem(r, c + 1, QTableWidgetItem(text))
            if width > shown:
                table.setItem(r, shown + 1, QTableWidgetItem(f"+{width - shown}"))
        table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        table.verticalHeader().setDefaultSectionSize(20)
        table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        table.setFont(style.small_font())
        table.setFixedHeight(min(24 + 20 * len(rows), 260))
        return table

    def _texts(self, preview) -> QWidget:
        box = QWidget(self)
        layout = QVBoxLayout(box)
        layout.setContentsMargins(0, 0, 0, 0)
        for x, label in zip(preview.x, preview.labels):
            text = str(np.asarray(x).reshape(-1)[0]) if np.asarray(x).size else ""
            line = QLabel(f"<b>{_escape(label)}</b>: {_escape(text[:160])}", box)
            line.setWordWrap(True)
            line.setFont(style.small_font())
            layout.addWidget(line)
        return box


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
