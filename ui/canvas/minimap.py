"""The minimap: a small overlay in the canvas's bottom-right corner with the whole graph and the visible part;
and GraphSketch, the cheap drawing of a graph it shares with the zoomed-out canvas.

It draws the sketch (a box per block in its category colour, a line per wire) into a cached pixmap, rebuilt a
moment after the graph last changed (the scene's `changed`, folded by a timer), so a 1000-node graph costs a
few milliseconds now and then, not on every frame. A click or a drag on it centres the canvas there.
It shows itself when the fitted graph would be too small to read, unless the user chose (`set_wanted`).
"""
from __future__ import annotations

from PySide6.QtCore import QEvent, QPointF, QRectF, QSize, Qt, QTimer, Signal, Slot
from PySide6.QtGui import QColor, QPainter, QPainterPath, QPen, QPixmap
from PySide6.QtWidgets import QWidget

from ui import style

SIZE = QSize(220, 160)  # the largest the minimap gets; it takes the graph's proportions within this
MARGIN = 12  # from the canvas's corner
REFRESH_MS = 250  # how long after the last change of the graph the picture is redrawn


class GraphSketch:
    """The graph drawn cheaply: one rectangle per block in its category colour (red when it has its own error),
    one hairline path for all wires; the selection outlined. Built from the scene's items when first drawn
    after `invalidate`, then reused: the zoomed-out canvas and the minimap both draw it."""

    def __init__(self) -> None:
        self._scene = None
        self._wires = QPainterPath()
        self._boxes: dict[int, tuple[QColor, list[QRectF]]] = {}  # rgba -> (colour, rectangles)
        self._selected: list[QRectF] = []

    def invalidate(self, *args) -> None:
        self._scene = None

    def _build(self, scene) -> None:
        self._wires = QPainterPath()
        for item in scene.edge_items.values():
            offset = item.pos()  # a wire item sits at (0, 0): its path is in scene coordinates already
            self._wires.addPath(item.path() if offset.isNull() else item.path().translated(offset))
        self._boxes, self._selected = {}, []
        for item in scene.node_items.values():
            colour = style.ERROR if item.own_error else item.colour
            self._boxes.setdefault(colour.rgba(), (QColor(colour), []))[1].append(item.sceneBoundingRect())
            if item.isSelected():
                self._selected.append(item.sceneBoundingRect())
        self._scene = scene

    def draw(self, painter: QPainter, scene) -> None:
        """Draw in scene coordinates (the painter's transform maps them where they go)."""
        if self._scene is not scene:
            self._build(scene)
        painter.setPen(QPen(style.WIRE, 0))  # cosmetic: one pixel at any scale
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawPath(self._wires)
        painter.setPen(Qt.PenStyle.NoPen)
        for colour, rects in self._boxes.values():
            painter.setBrush(colour)
            painter.drawRects(rects)
        if self._selected:
            painter.setPen(QPen(style.SELECTED, 2.0 / max(painter.worldTransform().m11(), 1e-6)))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawRects(self._selected)


class Minimap(QWidget):
    """Child of a CanvasView (not of its viewport, which scrolls its children); hidden until wanted.

    `shownChanged(bool)` follows whether it is shown, for a checkable menu entry."""

    shownChanged = Signal(bool)

    def __init__(self, view) -> None:
        super().__init__(view)
        self._view = view
        self._scene = None
        self._bounds = QRectF()  # the scene area the pixmap shows
        self._pixmap = QPixmap()
        self.wanted: bool | None = None  # the user's choice; None: shown when the graph does not fit legibly
        self._fits_legibly = True
        self._refresh = QTimer(self, singleShot=True, interval=REFRESH_MS, timeout=self.refresh)
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setToolTip("Minimap: click or drag to move the canvas (View ▸ Minimap)")
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)
        self.hide()
        view.viewChanged.connect(self.update)

    def set_scene(self, scene) -> None:
        if self._scene is not None:
            try:
                self._scene.changed.disconnect(self._schedule)
            except (RuntimeError, TypeError):  # the old scene is already gone
                pass
        self._scene = scene
        if scene is not None:
            scene.changed.connect(self._schedule)
        self._schedule()

    def set_wanted(self, wanted: bool | None) -> None:
        """Show (True) or hide (False) it whatever the graph's size; None: show it only for a large graph."""
        self.wanted = wanted
        self._apply_visibility()

    def fit_changed(self, fits_legibly: bool) -> None:
        """The view fitted the graph: at a legible zoom or not."""
        self._fits_legibly = fits_legibly
        self._apply_visibility()

    def _apply_visibility(self) -> None:
        show = self.wanted if self.wanted is not None else not self._fits_legibly
        if show and self._pixmap.isNull():
            self.refresh()
        if bool(show) != self.isVisibleTo(self.parentWidget()):
            self.setVisible(bool(show))
            self.shownChanged.emit(bool(show))
        if show:
            self.place()
            self.raise_()

    @Slot()
    def _schedule(self, *args) -> None:
        self._refresh.start()

    @Slot()
    def refresh(self) -> None:
        """Redraw the cached picture of the graph (and let the view's scroll area follow the graph)."""
        self._refresh.stop()
        scene = self._scene
        if scene is None or not hasattr(scene, "node_items"):
            return
        self._bounds = self._view.graph_bounds()
        self._view.grow_scene_rect(self._bounds)
        if not self.isVisibleTo(self.parentWidget()):
            self._pixmap = QPixmap()  # hidden: drawn when it is next shown (_apply_visibility), not on every change
            return
        size = self._size_for(self._bounds)
        ratio = self.devicePixelRatioF()
        pixmap = QPixmap(size * ratio)
        pixmap.setDevicePixelRatio(ratio)
        pixmap.fill(style.CANVAS_BACKGROUND)
        if not self._bounds.isEmpty():
            painter = QPainter(pixmap)
            painter.setRenderHint(QPainter.RenderHint.Antialiasing)
            scale = min(size.width() / self._bounds.width(), size.height() / self._bounds.height())
            painter.translate((size.width() - self._bounds.width() * scale) / 2,
                              (size.height() - self._bounds.height() * scale) / 2)
            painter.scale(scale, scale)
            painter.translate(-self._bounds.topLeft())
            self._view.sketch.draw(painter, scene)
            painter.end()
        self._pixmap = pixmap
        if self.size() != size:
            self.setFixedSize(size)
            self.place()
        self.update()

    def _size_for(self, bounds: QRectF) -> QSize:
        if bounds.isEmpty():
            return SIZE
        scale = min(SIZE.width() / bounds.width(), SIZE.height() / bounds.height())
        return QSize(max(40, round(bounds.width() * scale)), max(40, round(bounds.height() * scale)))

    def place(self) -> None:
        """Sit in the bottom-right corner of the view's viewport."""
        area = self._view.viewport().geometry()
        self.move(area.right() - self.width() - MARGIN + 1, area.bottom() - self.height() - MARGIN + 1)

    def _to_minimap(self) -> tuple[float, QPointF]:
        """(scale, offset): minimap point = scene point * scale + offset."""
        if self._bounds.isEmpty():
            return 1.0, QPointF()
        scale = min(self.width() / self._bounds.width(), self.height() / self._bounds.height())
        centring = QPointF(self.width() - self._bounds.width() * scale, self.height() - self._bounds.height() * scale) / 2
        return scale, centring - self._bounds.topLeft() * scale

    def paintEvent(self, event) -> None:
        painter = QPainter(self)
        painter.drawPixmap(0, 0, self._pixmap)
        scale, offset = self._to_minimap()
        seen = self._view.visible_scene_rect()
        box = QRectF(seen.topLeft() * scale + offset, seen.size() * scale) & QRectF(self.rect()).adjusted(0, 0, -1, -1)
        accent = QColor(style.SELECTED)
        fill = QColor(accent)
        fill.setAlpha(40)
        painter.setPen(QPen(accent, 1.5))
        painter.setBrush(fill)
        painter.drawRect(box)
        painter.setPen(QPen(style.NODE_BORDER, 1))
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawRect(QRectF(self.rect()).adjusted(0.5, 0.5, -0.5, -0.5))

    def scene_point(self, point: QPointF) -> QPointF:
        """The scene point under a point of the minimap."""
        scale, offset = self._to_minimap()
        return (point - offset) / scale

    def mousePressEvent(self, event) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            self._view.centerOn(self.scene_point(event.position()))
            event.accept()

    def mouseMoveEvent(self, event) -> None:
        if event.buttons() & Qt.MouseButton.LeftButton:
            self._view.centerOn(self.scene_point(event.position()))
            event.accept()

    def changeEvent(self, event) -> None:
        if event.type() == QEvent.Type.PaletteChange:  # a theme change: redraw in its colours
            self._schedule()
        super().changeEvent(event)
