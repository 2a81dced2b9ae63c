"""The dashed wire that follows the mouse while the user drags from one port towards another (a new wire, or the
loose end of a wire picked up), with the ports it may end on marked and why not where it may not."""
from __future__ import annotations

from typing import Callable

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QPen
from PySide6.QtWidgets import QGraphicsItem, QGraphicsPathItem, QGraphicsScene

from builder.graph import Edge
from ui import style
from ui.canvas.edge_item import wire_path
from ui.canvas.port_item import INPUT, OUTPUT, PortItem
from ui.canvas.wire_label import TextTag

HIT_RADIUS = 9.0  # how near a port the mouse must be released: ports are small


def port_near(scene: QGraphicsScene, pos: QPointF, kind: str | None = None) -> PortItem | None:
    """The port at (or within a few pixels of) `pos`, optionally only of one kind."""
    area = QRectF(pos.x() - HIT_RADIUS, pos.y() - HIT_RADIUS, 2 * HIT_RADIUS, 2 * HIT_RADIUS)
    for item in scene.items(area):
        if isinstance(item, PortItem) and (kind is None or item.kind == kind):
            return item
    return None


class WireDraft:
    """A wire drawn from `start` to the mouse; `hovered` is the port it would connect to.

    `problem_of(port)` says why the wire cannot end on a port of the wanted kind (None: it can). Every port it
    can end on is marked as a candidate while the draft lives; a port under the mouse that it cannot end on is
    marked refused and the reason shows beside the mouse. `moving` is the wire whose end is being dragged (hidden
    meanwhile), None for a new wire.
    """

    def __init__(self, scene: QGraphicsScene, start: PortItem,
                 problem_of: Callable[[PortItem], str | None] = lambda port: None, moving: Edge | None = None) -> None:
        self.scene = scene
        self.start = start
        self.moving = moving
        self.problem_of = problem_of
        self.hovered: PortItem | None = None
        self.refused: PortItem | None = None
        self.item = QGraphicsPathItem()
        pen = QPen(style.WIRE_DRAFT, 2.0, Qt.PenStyle.DashLine)
        self.item.setPen(pen)
        self.item.setZValue(3)
        scene.addItem(self.item)
        self.reason = TextTag(warning=True, offset=QPointF(14.0, 12.0))
        self.reason.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIgnoresTransformations)  # readable at any zoom
        self.reason.setVisible(False)
        scene.addItem(self.reason)
        self.candidates = [port for port in scene.items() if isinstance(port, PortItem)
                           and port.kind == self.wanted_kind and problem_of(port) is None]
        for port in self.candidates:
            port.set_candidate(True)
        self.move_to(start.scenePos())

    @property
    def wanted_kind(self) -> str:
        return INPUT if self.start.kind == OUTPUT else OUTPUT

    @property
    def reason_text(self) -> str | None:
        """Why the port under the mouse cannot take the wire (None: no such port)."""
        return self.reason.text if self.reason.isVisible() else None

    def move_to(self, pos: QPointF) -> None:
        port = port_near(self.scene, pos, self.wanted_kind) or port_near(self.scene, pos)
        problem = None
        if port is self.start:
            port = None
        elif port is not None and port.kind != self.wanted_kind:
            problem = "an input connects to an output" if port.kind == INPUT else "an output connects to an input"
        elif port is not None:
            problem = self.problem_of(port)
        hovered, refused = (None, port) if problem else (port, None)
        if hovered is not self.hovered:
            if self.hovered is not None:
                self.hovered.set_highlighted(False)
            if hovered is not None:
                hovered.set_highlighted(True)
            self.hovered = hovered
        if refused is not self.refused:
            if self.refused is not None:
                self.refused.set_refused(False)
            if refused is not None:
                refused.set_refused(True)
            self.refused = refused
        self.reason.setVisible(problem is not None)
        if problem:
            self.reason.set_text(problem)
            self.reason.setPos(pos)
        end = hovered.scenePos() if hovered is not None else pos
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
        if self.refused is not None:
            self.refused.set_refused(False)
        for port in self.candidates:
            port.set_candidate(False)
        self.scene.removeItem(self.item)
        self.scene.removeItem(self.reason)
