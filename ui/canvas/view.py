"""The canvas view: wheel zoom, middle-button pan, fitting the graph, a dotted background.

Drags from the palette pass through to the scene, where the canvas interactions take the drop.
"""
from __future__ import annotations

import math

from PySide6.QtCore import QPointF, QRectF, Qt, QTimer, Slot
from PySide6.QtGui import QPainter, QPen, QWheelEvent
from PySide6.QtWidgets import QGraphicsView, QWidget

from ui import style

MIN_ZOOM = 0.25
MAX_ZOOM = 3.0
GRID = 20.0


class CanvasView(QGraphicsView):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setRenderHints(QPainter.RenderHint.Antialiasing | QPainter.RenderHint.TextAntialiasing)
        self.setDragMode(QGraphicsView.DragMode.RubberBandDrag)
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.AnchorUnderMouse)
        self.setResizeAnchor(QGraphicsView.ViewportAnchor.AnchorViewCenter)
        self.setViewportUpdateMode(QGraphicsView.ViewportUpdateMode.SmartViewportUpdate)
        self.setAcceptDrops(True)  # palette drags reach the scene (QGraphicsView forwards them)
        self.setBackgroundBrush(style.CANVAS_BACKGROUND)
        self._panning: QPointF | None = None
        self._fit_pending = False

    @property
    def zoom(self) -> float:
        return self.transform().m11()

    def set_zoom(self, factor: float) -> None:
        factor = min(MAX_ZOOM, max(MIN_ZOOM, factor))
        self.scale(factor / self.zoom, factor / self.zoom)

    def fit_graph_when_shown(self) -> None:
        """Fit now if the view has its real size, else as soon as it is shown."""
        if self.isVisible():
            self.fit_graph()
        else:
            self._fit_pending = True

    def showEvent(self, event) -> None:
        super().showEvent(event)
        if self._fit_pending:
            # After this event the docks settle the view's size; fit once they have.
            QTimer.singleShot(0, self._fit_if_pending)

    @Slot()
    def _fit_if_pending(self) -> None:
        if self._fit_pending:
            self._fit_pending = False
            self.fit_graph()

    @Slot()
    def fit_graph(self, max_zoom: float = 1.0, min_zoom: float = 0.7) -> None:
        """Show the whole graph, without magnifying it, and never so small that text blurs."""
        scene = self.scene()
        if scene is None or not scene.items():
            return
        bounds = scene.itemsBoundingRect().adjusted(-24, -24, 24, 24)
        # Leave room around the graph so it can be dragged and dropped beyond its current edge.
        scene.setSceneRect(bounds.adjusted(-2000, -2000, 2000, 2000))
        viewport = self.viewport().rect()
        fit = min(viewport.width() / bounds.width(), viewport.height() / bounds.height())
        self.resetTransform()
        self.set_zoom(min(max_zoom, max(min_zoom, fit)))
        if fit >= min_zoom:
            self.centerOn(bounds.center())
        else:  # too tall to fit legibly: show its top (where the inputs are), centred across
            self.centerOn(QPointF(bounds.center().x(), bounds.top() + viewport.height() / (2 * self.zoom)))

    # ---- zoom and pan ----------------------------------------------------------------------------
    def wheelEvent(self, event: QWheelEvent) -> None:
        steps = event.angleDelta().y() / 120.0
        if steps:
            self.set_zoom(self.zoom * math.pow(1.15, steps))
        event.accept()

    def mousePressEvent(self, event) -> None:
        if event.button() == Qt.MouseButton.MiddleButton:
            self._panning = event.position()
            self.viewport().setCursor(Qt.CursorShape.ClosedHandCursor)
            event.accept()
            return
        super().mousePressEvent(event)

    def mouseMoveEvent(self, event) -> None:
        if self._panning is not None:
            delta = event.position() - self._panning
            self._panning = event.position()
            self.horizontalScrollBar().setValue(self.horizontalScrollBar().value() - int(delta.x()))
            self.verticalScrollBar().setValue(self.verticalScrollBar().value() - int(delta.y()))
            event.accept()
            return
        super().mouseMoveEvent(event)

    def mouseReleaseEvent(self, event) -> None:
        if self._panning is not None and event.button() == Qt.MouseButton.MiddleButton:
            self._panning = None
            self.viewport().unsetCursor()
            event.accept()
            return
        super().mouseReleaseEvent(event)

    # ---- background ----------------------------------------------------------------------------
    def drawBackground(self, painter: QPainter, rect: QRectF) -> None:
        super().drawBackground(painter, rect)
        if self.zoom < 0.5:
            return
        painter.setPen(QPen(style.GRID_DOT, 1.6 / self.zoom))
        left = math.floor(rect.left() / GRID) * GRID
        top = math.floor(rect.top() / GRID) * GRID
        points = []
        y = top
        while y < rect.bottom():
            x = left
            while x < rect.right():
                points.append(QPointF(x, y))
                x += GRID
            y += GRID
        painter.drawPoints(points)
