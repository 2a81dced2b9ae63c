"""The dashed wire that follows the mouse while the user drags from one port towards another."""
from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QPen
from PySide6.QtWidgets import QGraphicsPathItem, QGraphicsScene

from ui import style
from ui.canvas.edge_item import wire_path
from ui.canvas.port_item import INPUT, OUTPUT, PortItem

HIT_RADIUS = 9.0  # how near a port the mouse must be released: ports are small


def port_near(scene: QGraphicsScene, pos: QPointF, kind: str | None = None) -> PortItem | None:
    """The port at (or within a few pixels of) `pos`, optionally only of one kind."""
    area = QRectF(pos.x() - HIT_RADIUS, pos.y() - HIT_RADIUS, 2 * HIT_RADIUS, 2 * HIT_RADIUS)
    for item in scene.items(area):
        if isinstance(item, PortItem) and (kind is None or item.kind == kind):
            return item
    return None


class WireDraft:
    """A wire drawn from `start` to the mouse; `end_port` says which port it would connect to."""

    def __init__(self, scene: QGraphicsScene, start: PortItem) -> None:
        self.scene = scene
        self.start = start
        self.hovered: PortItem | None = None
        self.item = QGraphicsPathItem()
        pen = QPen(style.WIRE_DRAFT, 2.0, Qt.PenStyle.DashLine)
        self.item.setPen(pen)
        self.item.setZValue(3)
        scene.addItem(self.item)
        self.move_to(start.scenePos())

    @property
    def wanted_kind(self) -> str:
        return INPUT if self.start.kind == OUTPUT else OUTPUT

    def move_to(self, pos: QPointF) -> None:
        port = port_near(self.scene, pos, self.wanted_kind)
        if port is not None and port.node_id == self.start.node_id:
            port = None
        if port is not self.hovered:
            if self.hovered is not None:
                self.hovered.set_highlighted(False)
            if port is not None:
                port.set_highlighted(True)
            self.hovered = port
        end = port.scenePos() if port is not None else pos
        origin = self.start.scenePos()
        if self.start.kind == OUTPUT:
            self.item.setPath(wire_path(origin, end))
        else:
            self.item.setPath(wire_path(end, origin))

    def connection(self) -> tuple[str, str, int, int] | None:
        """(source, target, source_port, target_port) if released over a fitting port, else None."""
        if self.hovered is None:
            return None
        out, into = (self.start, self.hovered) if self.start.kind == OUTPUT else (self.hovered, self.start)
        return out.node_id, into.node_id, out.index, into.index

    def discard(self) -> None:
        if self.hovered is not None:
            self.hovered.set_highlighted(False)
        self.scene.removeItem(self.item)
