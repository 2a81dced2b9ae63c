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
        self.setToolTip(f"{label} of {node_id} — drag to {'an output' if kind == INPUT else 'an input'} to connect")
        self.set_highlighted(False)

    def set_highlighted(self, on: bool) -> None:
        self.setPen(QPen(style.SELECTED if on else self._colour, 2.0 if on else 1.6))
        self.setBrush(QBrush(style.SELECTED.lighter(170) if on else QColor("#ffffff")))

    def hoverEnterEvent(self, event) -> None:
        self.set_highlighted(True)
        super().hoverEnterEvent(event)

    def hoverLeaveEvent(self, event) -> None:
        self.set_highlighted(False)
        super().hoverLeaveEvent(event)
