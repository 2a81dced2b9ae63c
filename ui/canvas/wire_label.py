"""A small rounded text tag on the canvas: the shape a wire carries, or why a dragged wire cannot end on a port."""
from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QFont, QFontMetricsF, QPainter, QPen
from PySide6.QtWidgets import QGraphicsItem

from ui import style

PAD = 4.0


class TextTag(QGraphicsItem):
    """One line of text on a rounded box, centred on its position (a wire's middle) or, with `offset`, beside it
    (next to the mouse). A `warning` tag is drawn in the error colours. Colours are read from `style` when painted."""

    def __init__(self, parent: QGraphicsItem | None = None, *, warning: bool = False, mono: bool = False,
                 offset: QPointF | None = None) -> None:
        super().__init__(parent)
        self.warning = warning
        self._font: QFont = style.mono_font() if mono else style.small_font()
        self._offset = offset
        self._text = ""
        self._rect = QRectF()
        self.setAcceptedMouseButtons(Qt.MouseButton.NoButton)
        self.setZValue(4)

    @property
    def text(self) -> str:
        return self._text

    def set_text(self, text: str) -> None:
        if text == self._text:
            return
        self.prepareGeometryChange()
        self._text = text
        metrics = QFontMetricsF(self._font)
        w, h = metrics.horizontalAdvance(text) + 2 * PAD, metrics.height() + PAD
        if self._offset is None:
            self._rect = QRectF(-w / 2, -h / 2, w, h)
        else:
            self._rect = QRectF(self._offset.x(), self._offset.y(), w, h)
        self.update()

    def boundingRect(self) -> QRectF:
        return self._rect.adjusted(-1, -1, 1, 1)

    def paint(self, painter: QPainter, option, widget=None) -> None:
        if not self._text:
            return
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(QPen(style.ERROR if self.warning else style.NODE_BORDER, 1.0))
        painter.setBrush(style.ERROR_BODY if self.warning else style.NODE_BODY)
        painter.drawRoundedRect(self._rect, 4.0, 4.0)
        painter.setFont(self._font)
        painter.setPen(style.ERROR if self.warning else style.TEXT)
        painter.drawText(self._rect, Qt.AlignmentFlag.AlignCenter, self._text)
