"""A wire: a bezier curve from an output port down to an input port, with an arrow head."""
from __future__ import annotations

import math

from PySide6.QtCore import QLineF, QPointF, Qt
from PySide6.QtGui import QBrush, QPainter, QPainterPath, QPainterPathStroker, QPen, QPolygonF
from PySide6.QtWidgets import QGraphicsItem, QGraphicsPathItem, QStyle

from builder.graph import Edge
from ui import style
from ui.canvas.node_item import CHAIN, UPSTREAM
from ui.canvas.port_item import INPUT, OUTPUT
from ui.canvas.wire_label import TextTag

ARROW = 9.0
END_GRAB = 15.0  # a press on the wire this near (past the port's circle) to its end picks that end up


LANE = 22.0  # how far an upward wire runs below its output and above its input
CORNER = 10.0


def wire_path(start: QPointF, end: QPointF) -> QPainterPath:
    """Every wire leaves its output downwards and enters its input from above.

    A wire going down is one smooth curve. A wire going up (an input above its output, e.g. from the
    bottom of one column to the top of the next) would cut across the nodes between; it runs instead
    below the output, up a lane just past the output node's side (in the gap to the next column; it
    needs a gap of at least LANE / 2), and over the input — which clears nodes when columns start at
    the same height — with rounded corners. Stacked nodes get a lane beside both.
    """
    if end.y() > start.y():
        bend = max(30.0, abs(end.y() - start.y()) * 0.5, abs(end.x() - start.x()) * 0.25)
        path = QPainterPath(start)
        path.cubicTo(QPointF(start.x(), start.y() + bend), QPointF(end.x(), end.y() - bend), end)
        return path
    dx = end.x() - start.x()
    if abs(dx) >= style.NODE_WIDTH + 2 * CORNER:  # the input is in another column: up the gap next to the output
        lane_x = start.x() + math.copysign(style.NODE_WIDTH / 2 + LANE / 2, dx)
    else:  # stacked: up beside both nodes
        lane_x = max(start.x(), end.x()) + style.NODE_WIDTH / 2 + LANE
    low, high = start.y() + LANE, end.y() - LANE
    return _rounded([start, QPointF(start.x(), low), QPointF(lane_x, low), QPointF(lane_x, high),
                     QPointF(end.x(), high), end])


def _rounded(points: list[QPointF]) -> QPainterPath:
    """A polyline whose inner corners are rounded (radius at most half of each adjoining segment)."""
    path = QPainterPath(points[0])
    for before, corner, after in zip(points, points[1:], points[2:]):
        into, out = corner - before, after - corner
        len_in, len_out = math.hypot(into.x(), into.y()), math.hypot(out.x(), out.y())
        if len_in < 1e-6 or len_out < 1e-6:
            continue
        r = min(CORNER, len_in / 2, len_out / 2)
        path.lineTo(corner - into * (r / len_in))
        path.quadTo(corner, corner + out * (r / len_out))
    path.lineTo(points[-1])
    return path


def arrow_head(path: QPainterPath, size: float = ARROW) -> QPolygonF:
    """A triangle at the path's end, pointing along its last tangent."""
    tip = path.pointAtPercent(1.0)
    angle = math.radians(path.angleAtPercent(0.999))
    # Qt measures angles counter-clockwise with y pointing up: walk back along the tangent.
    back = QPointF(-math.cos(angle) * size, math.sin(angle) * size)
    side = QPointF(math.sin(angle) * size * 0.5, math.cos(angle) * size * 0.5)
    return QPolygonF([tip, tip + back + side, tip + back - side])


LABEL_OFFSET = 24.0  # how far down its wire a shape label sits below the output port


class EdgeItem(QGraphicsPathItem):
    """Follows the two node items it joins; selectable so that Delete can remove it.

    It may carry a label (the shape it carries), be marked as the drop target of a block dragged onto it, or be
    traced (part of a highlighted node's upstream, or of the chain that carried an offending shape).
    """

    def __init__(self, edge: Edge, source_item, target_item) -> None:
        super().__init__()
        self.source_item = source_item
        self.target_item = target_item
        source_item.edges.add(self)
        target_item.edges.add(self)
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIsSelectable)
        self.setZValue(0)
        self.set_edge(edge)
        self._arrow = QPolygonF()
        self.label: TextTag | None = None
        self.drop_target = False
        self.trace: str | None = None
        self.adjust()

    def set_edge(self, edge: Edge) -> None:
        """The wire this item draws (a renamed node's wires are re-made with its new id)."""
        self.edge = edge
        self.setToolTip(f"{edge.source}[{edge.source_port}] → {edge.target}[{edge.target_port}]")

    def set_label(self, text: str | None) -> None:
        """Show `text` (the shape the wire carries) at the wire's middle; None removes the label."""
        if text is None:
            if self.label is not None:
                self.label.setParentItem(None)
                if self.label.scene() is not None:
                    self.label.scene().removeItem(self.label)
                self.label = None
            return
        if self.label is None:
            self.label = TextTag(self, mono=True)
            self._place_label()
        self.label.set_text(text)

    def set_drop_target(self, on: bool) -> None:
        """Mark the wire as the one a block dragged over it would be inserted into."""
        if on != self.drop_target:
            self.drop_target = on
            self.update()

    def set_trace(self, level: str | None) -> None:
        """UPSTREAM (feeds the highlighted node), CHAIN (carried its offending shape) or None."""
        if level != self.trace:
            self.trace = level
            self.update()

    def end_near(self, scene_pos: QPointF) -> str | None:
        """INPUT when `scene_pos` lies on the wire's last END_GRAB px before its input port, OUTPUT for its first
        ones after its output port (the nearer end on a short wire), else None."""
        if not self.shape().contains(self.mapFromScene(scene_pos)):
            return None
        reach = END_GRAB + style.PORT_RADIUS
        ends = [(QLineF(self.target_item.port_scene_pos(INPUT, self.edge.target_port), scene_pos).length(), INPUT),
                (QLineF(self.source_item.port_scene_pos(OUTPUT, self.edge.source_port), scene_pos).length(), OUTPUT)]
        distance, kind = min(ends)  # a short wire: the nearer end
        return kind if distance <= reach else None

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
        self._place_label()

    def _place_label(self) -> None:
        if self.label is not None:
            path = self.path()  # near the source, where the shape comes from: halfway down a short wire
            self.label.setPos(path.pointAtPercent(path.percentAtLength(min(LABEL_OFFSET, path.length() / 2))))

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
        if self.drop_target:
            colour, width = style.SELECTED, 3.4
        elif selected:
            colour, width = style.SELECTED, 2.6
        elif self.trace == CHAIN:
            colour, width = style.ERROR, 2.8
        elif self.trace == UPSTREAM:
            colour, width = style.BLOCKED, 2.4
        else:
            colour, width = style.WIRE, 1.8
        painter.setPen(QPen(colour, width, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap))
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawPath(self.path())
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QBrush(colour))
        painter.drawPolygon(self._arrow)
