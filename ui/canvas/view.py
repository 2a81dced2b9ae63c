"""The canvas view: wheel zoom, panning (middle button, or Space + left drag), fitting the graph, a dotted
background and the minimap in its bottom-right corner.

Zoom stays within [MIN_ZOOM, MAX_ZOOM] and the scroll area within the items' bounds plus a margin, clipped to
±SCENE_LIMIT: a node at an absurd or non-finite position (a hostile file) cannot push the view to NaN or
infinity. Drags from the palette pass through to the scene, where the canvas interactions take the drop.
"""
from __future__ import annotations

import math

from PySide6.QtCore import QEvent, QPointF, QRectF, Qt, QTimer, Signal, Slot
from PySide6.QtGui import QColor, QKeyEvent, QPainter, QPen, QPolygonF, QWheelEvent
from PySide6.QtWidgets import QGraphicsView, QWidget

from ui import style
from ui.canvas.minimap import GraphSketch, Minimap

MIN_ZOOM = 0.004  # a 1000-block chain (110 000 px tall) fits a 440 px high canvas
MAX_ZOOM = 3.0
GRID = 20.0
GRID_MIN_ZOOM = 0.5  # below this the dots would be a grey haze: skipped
SKETCH_ZOOM = 0.3  # below this no text is legible: the canvas draws the graph's sketch instead of its items
LEGIBLE_ZOOM = 0.5  # fitting below this, the minimap shows itself (unless the user turned it off)
SCENE_MARGIN = 2000.0  # room around the graph, so it can be dragged and dropped beyond its current edge
SCENE_LIMIT = 1e7  # no scene coordinate beyond this reaches the view (as for a pasted node's position)
_LIMIT = QRectF(-SCENE_LIMIT, -SCENE_LIMIT, 2 * SCENE_LIMIT, 2 * SCENE_LIMIT)


def clamped_zoom(factor: float) -> float:
    """`factor` within [MIN_ZOOM, MAX_ZOOM]; a non-finite factor gives 1."""
    if not math.isfinite(factor) or factor <= 0:
        return 1.0
    return min(MAX_ZOOM, max(MIN_ZOOM, factor))


def graph_bounds(scene) -> QRectF:
    """The items' bounding rectangle plus a small border; items beyond ±SCENE_LIMIT (or not finite) are left out."""
    bounds = scene.itemsBoundingRect()
    if not _finite(bounds) or not _LIMIT.contains(bounds):  # a hostile position: measure the sane items only
        bounds = QRectF()
        for item in scene.items():
            rect = item.sceneBoundingRect()
            if item.parentItem() is None and _finite(rect) and _LIMIT.contains(rect):
                bounds = bounds.united(rect) if not bounds.isNull() else rect
    return bounds.adjusted(-24, -24, 24, 24) if not bounds.isNull() else QRectF()


def _finite(rect: QRectF) -> bool:
    return all(math.isfinite(v) for v in (rect.x(), rect.y(), rect.width(), rect.height()))


class CanvasView(QGraphicsView):
    """`viewChanged` is emitted (at most once per event-loop turn) when the zoom or the visible area changes."""

    viewChanged = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setRenderHints(QPainter.RenderHint.Antialiasing | QPainter.RenderHint.TextAntialiasing)
        self.setDragMode(QGraphicsView.DragMode.RubberBandDrag)
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.AnchorUnderMouse)
        self.setResizeAnchor(QGraphicsView.ViewportAnchor.AnchorViewCenter)
        self.setViewportUpdateMode(QGraphicsView.ViewportUpdateMode.SmartViewportUpdate)
        self.setAcceptDrops(True)  # palette drags reach the scene (QGraphicsView forwards them)
        # Panning is by drag and by the minimap; scroll bars that come and go would resize the viewport
        # under a fit (and take room). They still hold the scroll position.
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self._panning: QPointF | None = None
        self._pan_button = Qt.MouseButton.NoButton
        self._space_held = False
        self._fit_pending = False
        self._change_queued = False
        self._grid_dots: tuple[tuple[int, int], QPolygonF] = ((0, 0), QPolygonF())  # (columns, rows), dots
        self.sketch = GraphSketch()
        self.minimap = Minimap(self)

    @property
    def zoom(self) -> float:
        return self.transform().m11()

    def set_zoom(self, factor: float) -> None:
        current = self.zoom
        factor = clamped_zoom(factor)
        if not math.isfinite(current) or current <= 0:
            self.resetTransform()
            current = 1.0
        self.scale(factor / current, factor / current)
        self._changed()

    def visible_scene_rect(self) -> QRectF:
        """The part of the scene the viewport shows now."""
        return self.mapToScene(self.viewport().rect()).boundingRect()

    def setScene(self, scene) -> None:
        old = self.scene()
        if old is not None:
            try:
                old.changed.disconnect(self._on_scene_changed)
            except (RuntimeError, TypeError):  # already gone
                pass
        super().setScene(scene)
        self.sketch.invalidate()
        if scene is not None:
            scene.changed.connect(self._on_scene_changed)
        self.minimap.set_scene(scene)

    @Slot()
    def _on_scene_changed(self, *args) -> None:
        self.sketch.invalidate()
        if self.zoom < SKETCH_ZOOM:
            self.viewport().update()

    @property
    def sketching(self) -> bool:
        """Whether the canvas draws the graph's sketch (zoomed out below SKETCH_ZOOM) rather than its items."""
        return self.zoom < SKETCH_ZOOM and self.scene() is not None and hasattr(self.scene(), "node_items")

    def paintEvent(self, event) -> None:
        if not self.sketching:
            super().paintEvent(event)
            return
        # Thousands of items each painting their text at a size nobody can read cost 50-200 ms a frame; the
        # sketch costs a few. Selection shows as an outline; a rubber band is drawn over it as Qt would.
        painter = QPainter(self.viewport())
        painter.setClipRect(event.rect())
        painter.setTransform(self.viewportTransform())
        exposed = self.mapToScene(event.rect()).boundingRect()
        self.drawBackground(painter, exposed)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, False)
        self.sketch.draw(painter, self.scene())
        band = self.rubberBandRect()
        if not band.isNull():
            painter.resetTransform()
            accent = QColor(style.SELECTED)
            painter.setPen(QPen(accent, 1))
            accent.setAlpha(40)
            painter.setBrush(accent)
            painter.drawRect(band)
        painter.end()

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
            QTimer.singleShot(0, self, self._fit_if_pending)

    @Slot()
    def _fit_if_pending(self) -> None:
        if self._fit_pending:
            self._fit_pending = False
            self.fit_graph()

    def graph_bounds(self) -> QRectF:
        """The bounds of what the scene draws (clipped to ±SCENE_LIMIT); empty without a scene or items."""
        return graph_bounds(self.scene()) if self.scene() is not None else QRectF()

    def grow_scene_rect(self, bounds: QRectF) -> None:
        """Let the scroll area reach `bounds` plus a margin (it never shrinks under the user: only fit resets it)."""
        scene = self.scene()
        if scene is None or bounds.isEmpty():
            return
        wanted = bounds.adjusted(-SCENE_MARGIN, -SCENE_MARGIN, SCENE_MARGIN, SCENE_MARGIN) & _LIMIT
        if not scene.sceneRect().contains(wanted):
            scene.setSceneRect(scene.sceneRect().united(wanted) & _LIMIT)

    def update_scene_rect(self) -> QRectF:
        """Bound the scroll area to the graph plus a margin (within ±SCENE_LIMIT); returns the graph's bounds."""
        scene = self.scene()
        bounds = self.graph_bounds()
        if bounds.isEmpty():
            bounds = QRectF(-200, -200, 400, 400)
        scene.setSceneRect(bounds.adjusted(-SCENE_MARGIN, -SCENE_MARGIN, SCENE_MARGIN, SCENE_MARGIN) & _LIMIT)
        return bounds

    @Slot()
    def fit_graph(self, max_zoom: float = 1.0) -> None:
        """Show the whole graph, without magnifying it, however large it is (down to MIN_ZOOM)."""
        scene = self.scene()
        if scene is None or not scene.items():
            return
        bounds = self.update_scene_rect()
        viewport = self.viewport().rect()
        # a few pixels of slack: the scroll bars move in whole pixels, 1/zoom scene units each
        fit = min((viewport.width() - 8) / bounds.width(), (viewport.height() - 8) / bounds.height())
        self.resetTransform()
        self.set_zoom(min(max_zoom, fit))
        self.centerOn(bounds.center())
        self.minimap.fit_changed(fits_legibly=fit >= LEGIBLE_ZOOM)
        self._changed()

    # ---- zoom and pan ----------------------------------------------------------------------------
    def wheelEvent(self, event: QWheelEvent) -> None:
        steps = event.angleDelta().y() / 120.0
        if steps:
            self.set_zoom(self.zoom * math.pow(1.15, steps))
        event.accept()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        # Space pans only while no item of the scene takes typing (a title being renamed keeps its spaces)
        scene = self.scene()
        if event.key() == Qt.Key.Key_Space and (scene is None or scene.focusItem() is None):
            if not event.isAutoRepeat():
                self._space_held = True
                if self._panning is None:
                    self.viewport().setCursor(Qt.CursorShape.OpenHandCursor)
            event.accept()
            return
        super().keyPressEvent(event)

    def keyReleaseEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_Space and self._space_held:
            if not event.isAutoRepeat():
                self._space_held = False
                if self._pan_button == Qt.MouseButton.LeftButton:
                    self._end_pan()
                elif self._panning is None:
                    self.viewport().unsetCursor()
            event.accept()
            return
        super().keyReleaseEvent(event)

    def focusOutEvent(self, event) -> None:
        if self._space_held:  # the release of Space goes elsewhere: do not stay in pan mode
            self._space_held = False
            if self._pan_button == Qt.MouseButton.LeftButton:
                self._end_pan()
            elif self._panning is None:
                self.viewport().unsetCursor()
        super().focusOutEvent(event)

    def mousePressEvent(self, event) -> None:
        button = event.button()
        if button == Qt.MouseButton.MiddleButton or (button == Qt.MouseButton.LeftButton and self._space_held):
            self._panning = event.position()
            self._pan_button = button
            self.viewport().setCursor(Qt.CursorShape.ClosedHandCursor)
            event.accept()
            return
        super().mousePressEvent(event)

    def mouseMoveEvent(self, event) -> None:
        if self._panning is not None:
            delta = event.position() - self._panning
            self._panning = event.position()
            self.pan_by(delta.x(), delta.y())
            event.accept()
            return
        super().mouseMoveEvent(event)

    def mouseReleaseEvent(self, event) -> None:
        if self._panning is not None and event.button() == self._pan_button:
            self._end_pan()
            event.accept()
            return
        super().mouseReleaseEvent(event)

    def pan_by(self, dx: float, dy: float) -> None:
        """Move the picture by (dx, dy) viewport pixels, as a hand dragging it (the scroll bars clamp it)."""
        self.horizontalScrollBar().setValue(self.horizontalScrollBar().value() - int(dx))
        self.verticalScrollBar().setValue(self.verticalScrollBar().value() - int(dy))

    def _end_pan(self) -> None:
        self._panning = None
        self._pan_button = Qt.MouseButton.NoButton
        if self._space_held:
            self.viewport().setCursor(Qt.CursorShape.OpenHandCursor)
        else:
            self.viewport().unsetCursor()

    # ---- what the minimap follows ------------------------------------------------------------------
    def scrollContentsBy(self, dx: int, dy: int) -> None:
        super().scrollContentsBy(dx, dy)
        self._changed()

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self.minimap.place()
        self._changed()

    def _changed(self) -> None:
        if not self._change_queued:
            self._change_queued = True
            QTimer.singleShot(0, self, self._emit_changed)

    @Slot()
    def _emit_changed(self) -> None:
        self._change_queued = False
        self.viewChanged.emit()

    def event(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.ShortcutOverride and isinstance(event, QKeyEvent) \
                and event.key() == Qt.Key.Key_Space and (self.scene() is None or self.scene().focusItem() is None):
            event.accept()  # Space is the pan key here, not a shortcut of some button
            return True
        return super().event(event)

    # ---- background ----------------------------------------------------------------------------
    def drawBackground(self, painter: QPainter, rect: QRectF) -> None:
        painter.fillRect(rect, style.CANVAS_BACKGROUND)  # read at each paint: it follows the theme
        if self.zoom < GRID_MIN_ZOOM:
            return
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, False)  # square 2 px dots: a third of the cost
        painter.setPen(QPen(style.GRID_DOT, 2.0 / self.zoom))
        left = math.floor(rect.left() / GRID) * GRID
        top = math.floor(rect.top() / GRID) * GRID
        columns, rows = int(rect.width() / GRID) + 2, int(rect.height() / GRID) + 2  # the same while panning
        if self._grid_dots[0] != (columns, rows):  # built once per size; panning moves them
            self._grid_dots = ((columns, rows), QPolygonF([QPointF(i * GRID, j * GRID)
                                                           for j in range(rows) for i in range(columns)]))
        painter.translate(left, top)
        painter.drawPoints(self._grid_dots[1])
        painter.restore()
