"""Samples drawn small (images as pictures, 1-D signals as little plots, table rows as text) and the gallery
dialog that shows a set of them, e.g. one confusion-matrix cell's."""
from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QIcon, QImage, QPainter, QPen, QPixmap, QPolygonF
from PySide6.QtWidgets import QDialog, QLabel, QListView, QListWidget, QListWidgetItem, QVBoxLayout, QWidget

from ui import style

THUMBNAIL = 72  # pixels: the height of a drawn sample
GALLERY_LIMIT = 500  # samples drawn in one gallery; a bigger cell says how many more it has
SIGNAL_COLOURS = style.SERIES_COLOURS[:4]
IMAGE, SIGNAL, TEXT = "image", "signal", "text"


def sample_kind(sample: np.ndarray) -> str:
    """How one sample is best shown: an image (H, W[, 1|3|4]), a 1-D signal (length[, few channels]) or text."""
    shape = sample.shape
    if len(shape) == 3 and shape[2] in (1, 3, 4) and min(shape[:2]) >= 4:
        return IMAGE
    if len(shape) == 2 and min(shape) >= 4 and shape[1] > 4:
        return IMAGE  # a grey image without its channel axis
    if len(shape) == 2 and shape[0] >= 8 and shape[1] <= 4:
        return SIGNAL
    if len(shape) == 1 and shape[0] >= 16 and np.issubdtype(sample.dtype, np.floating):
        return SIGNAL
    return TEXT


def sample_text(sample: np.ndarray, limit: int = 8) -> str:
    """A table row or token sequence as a short line of numbers."""
    flat = np.asarray(sample).reshape(-1)
    shown = ", ".join(f"{v:.3g}" if isinstance(v, float) else str(v) for v in flat[:limit].tolist())
    return shown + (f", … ({flat.size} values)" if flat.size > limit else "")


def _image(sample: np.ndarray) -> QImage:
    pixels = np.asarray(sample, dtype="float64")
    if pixels.ndim == 2:
        pixels = pixels[..., np.newaxis]
    if np.issubdtype(sample.dtype, np.integer) and pixels.min() >= 0 and pixels.max() <= 255 and pixels.max() > 1:
        scaled = pixels
    else:  # floats of any range (0..16 digits, 0..1, standardised): stretched to the sample's own range
        low, high = float(pixels.min()), float(pixels.max())
        scaled = (pixels - low) * (255.0 / (high - low)) if high > low else np.zeros_like(pixels)
    data = np.ascontiguousarray(np.clip(scaled, 0, 255).astype("uint8"))
    height, width, channels = data.shape
    formats = {1: QImage.Format.Format_Grayscale8, 3: QImage.Format.Format_RGB888, 4: QImage.Format.Format_RGBA8888}
    image = QImage(data.data, width, height, width * channels, formats[channels])
    return image.copy()  # own the pixels: `data` goes away with this function


def _signal(sample: np.ndarray, size: QSize) -> QPixmap:
    values = np.asarray(sample, dtype="float64")
    values = values.reshape(len(values), -1)
    pixmap = style.crisp_pixmap(size.width(), size.height())
    pixmap.fill(style.PLOT_BACKGROUND)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setPen(QPen(style.PLOT_FRAME, 1))
    painter.drawRect(QRectF(0.5, 0.5, size.width() - 1, size.height() - 1))
    low, high = float(np.nanmin(values)), float(np.nanmax(values))
    span = high - low or 1.0
    margin = 4
    width, height = size.width() - 2 * margin, size.height() - 2 * margin
    steps = max(1, len(values) - 1)
    for channel in range(min(values.shape[1], len(SIGNAL_COLOURS))):
        painter.setPen(QPen(QColor(SIGNAL_COLOURS[channel]), 1.4))
        points = [QPointF(margin + width * i / steps, margin + height * (1 - (v - low) / span))
                  for i, v in enumerate(values[:, channel])]
        painter.drawPolyline(QPolygonF(points))
    painter.end()
    return pixmap


def sample_pixmap(sample: np.ndarray, height: int = THUMBNAIL) -> QPixmap | None:
    """A picture of one sample, or None when it is best shown as text (a table row, a token sequence)."""
    sample = np.asarray(sample)
    kind = sample_kind(sample)
    if kind == IMAGE:
        image = _image(sample)
        scale = max(1, height // max(1, image.height()))  # small images (8x8 digits) grow by whole pixels
        target = QSize(image.width() * scale, image.height() * scale)
        if image.height() > height:
            target = image.size().scaled(QSize(height * 4, height), Qt.AspectRatioMode.KeepAspectRatio)
        ratio = style.device_pixel_ratio()  # the screen's own pixels: sharp on a high-DPI screen
        pixmap = QPixmap.fromImage(image.scaled(target * ratio, Qt.AspectRatioMode.KeepAspectRatio,
                                                Qt.TransformationMode.FastTransformation))
        pixmap.setDevicePixelRatio(ratio)
        return pixmap
    if kind == SIGNAL:
        return _signal(sample, QSize(int(height * 1.6), height))
    return None


class SampleGallery(QDialog):
    """A grid of samples with their true and predicted labels; `show_samples` fills it and brings it up."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Samples")
        self.setModal(False)
        self.resize(720, 480)
        self.indices: list[int] = []
        self.title = QLabel(self)
        self.title.setWordWrap(True)
        self.list = QListWidget(self)
        self.list.setViewMode(QListView.ViewMode.IconMode)
        self.list.setResizeMode(QListView.ResizeMode.Adjust)
        self.list.setMovement(QListView.Movement.Static)
        self.list.setUniformItemSizes(True)
        self.list.setSpacing(6)
        self.list.setWordWrap(True)
        self.list.setSelectionMode(QListWidget.SelectionMode.NoSelection)
        self.list.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        layout = QVBoxLayout(self)
        layout.addWidget(self.title)
        layout.addWidget(self.list)

    def show_samples(self, title: str, indices: list[int], x: np.ndarray, captions: list[str], total: int | None = None
                     ) -> None:
        """Show samples x[i] (split indices `indices`) captioned; `total` is how many the set has when only
        the first of them are drawn."""
        total = len(indices) if total is None else total
        self.setWindowTitle(title)
        more = f" — the first {len(indices)} are shown" if total > len(indices) else ""
        self.title.setText(f"<b>{title}</b>: {total} sample{'s' if total != 1 else ''}{more}"
                           if total else f"<b>{title}</b>: no samples")
        self.indices = list(indices)
        self.list.clear()
        pixmaps = [sample_pixmap(sample) for sample in x]
        widest = max([round(p.deviceIndependentSize().width()) for p in pixmaps if p is not None], default=0)
        self.list.setIconSize(QSize(widest, THUMBNAIL) if widest else QSize(0, 0))
        self.list.setGridSize(QSize(max(widest, 120) + 16, (THUMBNAIL if widest else 0) + 52))
        for index, sample, pixmap, caption in zip(indices, x, pixmaps, captions):
            text = f"#{index}  {caption}" if pixmap is not None else f"#{index}  {caption}\n{sample_text(sample)}"
            item = QListWidgetItem(text)
            if pixmap is not None:
                item.setIcon(QIcon(pixmap))
            item.setToolTip(f"sample {index} of the split: {caption}\n{sample_text(sample, 24)}")
            item.setData(Qt.ItemDataRole.UserRole, index)
            self.list.addItem(item)
        self.show()
        self.activateWindow()  # in front when it was open behind the window
