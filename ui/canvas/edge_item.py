"""A wire: a bezier curve from an output port down to an input port, with an arrow head."""
from __future__ import annotations

import math

from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QBrush, QPainter, QPainterPath, QPainterPathStroker, QPen, QPolygonF
from PySide6.QtWidgets import QGraphicsItem, QGraphicsPathItem, QStyle

from builder.graph import Edge
from ui.canvas import style
from ui.canvas.port_item import INPUT, OUTPUT

ARROW = 9.0


def wire_path(start: QPointF, end: QPointF) -> QPainterPath:
    """The curve every wire uses: leaves its output downwards, enters its input from above."""
    bend = max(30.0, abs(end.y() - start.y()) * 0.5, abs(end.x() - start.x()) * 0.25)
    path = QPainterPath(start)
    path.cubicTo(QPointF(start.x(), start.y() + bend), QPointF(end.x(), end.y() - bend), end)
    return path


def arrow_head(path: QPainterPath, size: float = ARROW) -> QPolygonF:
    """A triangle at the path's end, pointing along its last tangent."""
    tip = path.pointAtPercent(1.0)
    angle = math.radians(path.angleAtPercent(0.999))
    # Qt measures angles counter-clockwise with y pointing up: walk back along the tangent.
    back = QPointF(-math.cos(angle) * size, math.sin(angle) * size)
    side = QPointF(math.sin(angle) * size * 0.5, math.cos(angle) * size * 0.5)
    return QPolygonF([tip, tip + back + side, tip + back - side])


class EdgeItem(QGraphicsPathItem):
    """Follows the two node items it joins; selectable so that Delete can remove it."""

    def __init__(self, edge: Edge, source_item, target_item) -> None:
        super().__init__()
        self.edge = edge
        self.source_item = source_item
        self.target_item = target_item
        source_item.edges.add(self)
        target_item.edges.add(self)
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIsSelectable)
        self.setZValue(0)
        self.setToolTip(f"{edge.source}[{edge.source_port}] → {edge.target}[{edge.target_port}]")
        self._arrow = QPolygonF()
        self.adjust()

    def detach(self) -> None:
        self.source_item.edges.discard(self)
        self.target_item.edges.discard(self)

    def adjust(self) -> None:
        start = self.source_item.port_scene_pos(OUTPUT, self.edge.source_port)
        end = self.target_item.port_scene_pos(INPUT, self.edge.target_port)
        # Stop short of the port circle so the arrow's tip touches it rather than hides under it.
        path = wire_path(start, end - QPointF(0.0, style.PORT_RADIUS + 1))
        self._arrow = arrow_head(path)
        self.prepareGeometryChange()
        self.setPath(path)

    def boundingRect(self):
        return super().boundingRect().united(self._arrow.boundingRect()).adjusted(-4, -4, 4, 4)

    def shape(self) -> QPainterPath:
        stroker = QPainterPathStroker()
        stroker.setWidth(12.0)
        outline = stroker.createStroke(self.path())
        outline.addPolygon(self._arrow)
        return outline

    def paint(self, painter: QPainter, option, widget=None) -> None:
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        colour = style.SELECTED if selected else style.WIRE
        painter.setPen(QPen(colour, 2.6 if selected else 1.8, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap))
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawPath(self.path())
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QBrush(colour))
        painter.drawPolygon(self._arrow)
