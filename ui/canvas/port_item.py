"""A port: a small circle on a node's edge where a wire starts (output) or ends (input)."""
from __future__ import annotations

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QPainter, QPen
from PySide6.QtWidgets import QGraphicsEllipseItem, QGraphicsItem

from ui import style

INPUT = "in"
OUTPUT = "out"


class PortItem(QGraphicsEllipseItem):
    """Knows which node and port number it stands for; the scene starts and ends wires on it."""

    def __init__(self, node_id: str, kind: str, index: int, colour: QColor, parent: QGraphicsItem,
                 name: str = "") -> None:
        r = style.PORT_RADIUS
        super().__init__(QRectF(-r, -r, 2 * r, 2 * r), parent)
        self.node_id = node_id
        self.kind = kind
        self.index = index
        self._colour = colour
        self.setAcceptHoverEvents(True)
        self.setCursor(Qt.CursorShape.CrossCursor)
        self.setZValue(2)
        self.name = name
        what = "input" if kind == INPUT else "output"
        label = f"'{name}' ({what} {index})" if name else f"{what} {index}"
        self._label = label
        self.highlighted = False  # under the mouse (or the end a dragged wire would snap to)
        self.candidate = False  # a wire being dragged could end here
        self.refused = False  # a wire being dragged is over this port and cannot end here
        self.set_node_id(node_id)
        self._restyle()

    def set_node_id(self, node_id: str) -> None:
        """Follow a rename of the node."""
        self.node_id = node_id
        towards = "an output" if self.kind == INPUT else "an input"
        self.setToolTip(f"{self._label} of {node_id} — drag to {towards} to connect")

    def set_highlighted(self, on: bool) -> None:
        self.highlighted = on
        self._restyle()

    def set_candidate(self, on: bool) -> None:
        """Mark the port as one the wire being dragged may end on."""
        if on != self.candidate:
            self.candidate = on
            self._restyle()

    def set_refused(self, on: bool) -> None:
        if on != self.refused:
            self.refused = on
            self._restyle()

    def _look(self) -> tuple[QColor, float, QColor]:
        """Outline colour, outline width and fill for the port's state (read from style, so a theme applies)."""
        if self.refused:
            return style.ERROR, 2.2, style.ERROR_BODY
        if self.highlighted:
            return style.SELECTED, 2.2, style.SELECTED.lighter(170)
        if self.candidate:
            return style.SELECTED, 2.2, style.NODE_BODY
        return self._colour, 1.6, style.NODE_BODY

    def _restyle(self) -> None:
        colour, width, _ = self._look()
        self.setPen(QPen(colour, width))  # the item's bounds follow the pen's width
        r = style.PORT_RADIUS + (1.5 if self.candidate or self.refused else 0.0)
        self.setRect(QRectF(-r, -r, 2 * r, 2 * r))
        self.update()

    def paint(self, painter: QPainter, option, widget=None) -> None:
        colour, width, fill = self._look()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(QPen(colour, width))
        painter.setBrush(QBrush(fill))
        painter.drawEllipse(self.rect())

    def hoverEnterEvent(self, event) -> None:
        self.set_highlighted(True)
        super().hoverEnterEvent(event)

    def hoverLeaveEvent(self, event) -> None:
        self.set_highlighted(False)
        super().hoverLeaveEvent(event)
