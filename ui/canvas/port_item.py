"""A port: a small circle on a node's edge where a wire starts (output) or ends (input)."""
from __future__ import annotations

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QPen
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

    def _restyle(self) -> None:
        if self.refused:
            pen, width, fill = style.ERROR, 2.2, style.ERROR_BODY
        elif self.highlighted:
            pen, width, fill = style.SELECTED, 2.2, style.SELECTED.lighter(170)
        elif self.candidate:
            pen, width, fill = style.SELECTED, 2.2, style.NODE_BODY
        else:
            pen, width, fill = self._colour, 1.6, style.NODE_BODY
        self.setPen(QPen(pen, width))
        self.setBrush(QBrush(fill))
        r = style.PORT_RADIUS + (1.5 if self.candidate or self.refused else 0.0)
        self.setRect(QRectF(-r, -r, 2 * r, 2 * r))

    def hoverEnterEvent(self, event) -> None:
        self.set_highlighted(True)
        super().hoverEnterEvent(event)

    def hoverLeaveEvent(self, event) -> None:
        self.set_highlighted(False)
        super().hoverLeaveEvent(event)
