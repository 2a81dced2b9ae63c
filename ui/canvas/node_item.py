"""A node on the canvas: a rounded box with the block type, id, output shape and parameter count."""
from __future__ import annotations


from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFontMetrics, QPainter, QPainterPath, QPen
from PySide6.QtWidgets import QGraphicsItem, QGraphicsScene, QStyle

from builder import blocks
from ui import style
from ui.canvas.port_item import INPUT, OUTPUT, PortItem
from ui.canvas.tflite_badge import Badge, badge_for, badge_width, paint_badge

PENDING = "…"
UPSTREAM = "upstream"  # trace levels (NodeItem.set_trace): feeds the highlighted node
CHAIN = "chain"  # carried the offending shape to it unchanged
ORIGIN = "origin"  # where the offending shape last changed


def sharing_colour(index: int) -> QColor:
    """The colour that marks every node of the `index`-th shared layer of a graph (the owner and its sharing
    nodes): neighbouring layers get different colours."""
    return QColor(style.SERIES_COLOURS[index % len(style.SERIES_COLOURS)])


def selected_node_ids(scene: QGraphicsScene) -> list[str]:
    """The ids of the nodes selected in a scene."""
    return [i.node_id for i in scene.selectedItems() if isinstance(i, NodeItem)]


class NodeItem(QGraphicsItem):
    """Draws one graph node; its ports are child items, its wires register themselves here."""

    def __init__(self, node_id: str, block_type: str, position: tuple[float, float]) -> None:
        super().__init__()
        self.node_id = node_id
        self.block_type = block_type
        self.colour = style.category_colour(block_type)
        self.edges: set = set()  # EdgeItems that end on this node; moved along with it
        self.input_ports: list[PortItem] = []
        self.output_ports: list[PortItem] = []
        self.set_output_port_count(1)
        names = blocks.input_ports(block_type)
        self.input_names = names or []
        self.is_merge = names is None
        self.set_input_port_count(1 if names is None else len(names))
        self.trainable = True
        self.is_output = False
        self._shape_text = PENDING
        self._params_text = ""
        self._error: str | None = None
        self._blocked = False
        self._result_tip = f"{block_type} '{node_id}'"
        self.compatibility = None  # a BlockCompatibility while TFLite badges are on
        self._badge: Badge | None = None
        self.badge_stale = False  # the node changed since its badge's answer: drawn faded until the next
        self.dataset_problems: list[str] = []  # how this block does not fit the project's dataset (data panel)
        self.notes: list[str] = []  # what to know that is no error: an ImageNet weights file not in the cache
        self.trace: str | None = None  # UPSTREAM, CHAIN, ORIGIN: part of a highlighted node's upstream
        self.shares: str | None = None  # the node whose layer this one calls again (shared weights)
        self.share_group: list[str] = []  # every node of its shared layer, owner first; empty when not shared
        self.share_colour = sharing_colour(0)  # the colour that marks its shared layer
        self._result = None
        self.setFlags(
            QGraphicsItem.GraphicsItemFlag.ItemIsMovable
            | QGraphicsItem.GraphicsItemFlag.ItemIsSelectable
            | QGraphicsItem.GraphicsItemFlag.ItemSendsGeometryChanges
        )
        self.setZValue(1)
        self.setPos(QPointF(*position))
        self.setToolTip(self._result_tip)

    # ---- ports -------------------------------------------------------------------------------
    def set_input_port_count(self, count: int) -> None:
        """Lay out `count` input ports evenly along the top edge (merge nodes grow and shrink)."""
        while len(self.input_ports) > count:
            port = self.input_ports.pop()
            port.setParentItem(None)
            if port.scene() is not None:
                port.scene().removeItem(port)
        while len(self.input_ports) < count:
            i = len(self.input_ports)
            name = self.input_names[i] if i < len(self.input_names) and len(self.input_names) > 1 else ""
            self.input_ports.append(PortItem(self.node_id, INPUT, i, self.colour, self, name))
        for i, port in enumerate(self.input_ports):
            port.setPos(style.NODE_WIDTH * (i + 1) / (count + 1), 0.0)
        for edge in self.edges:
            edge.adjust()

    def set_output_port_count(self, count: int) -> None:
        """One output port per output of the layer (an LSTM with return_state has three)."""
        count = max(count, 1)
        if count == len(self.output_ports):
            return
        for port in self.output_ports:
            port.setParentItem(None)
            if port.scene() is not None:
                port.scene().removeItem(port)
        names = blocks.output_ports(self.block_type, count) if blocks.is_known(self.block_type) else []
        self.output_ports = [PortItem(self.node_id, OUTPUT, i, self.colour, self, names[i] if count > 1 else "")
                             for i in range(count)]
        for i, port in enumerate(self.output_ports):
            port.setPos(style.NODE_WIDTH * (i + 1) / (count + 1), style.NODE_HEIGHT)
        for edge in getattr(self, "edges", ()):
            edge.adjust()

    def set_node_id(self, node_id: str) -> None:
        """Follow a rename: the title, the ports and the tooltip name the new id."""
        self.node_id = node_id
        for port in self.input_ports + self.output_ports:
            port.set_node_id(node_id)
        result, self._result = self._result, None  # shown again in full: its tooltip names the node
        self.set_result(result)

    def in_title(self, scene_pos: QPointF) -> bool:
        """Whether a scene point lies on the node's header (its title bar)."""
        point = self.mapFromScene(scene_pos)
        return self._box().contains(point) and point.y() <= style.HEADER_HEIGHT

    def set_trace(self, level: str | None) -> None:
        """Outline the node as part of a highlighted node's upstream (UPSTREAM), of the chain that carried its
        offending shape (CHAIN), or as where that shape last changed (ORIGIN); None: no outline."""
        if level != self.trace:
            self.trace = level
            self.update()

    @property
    def own_error(self) -> bool:
        """Red for its own reason (not only waiting for an upstream node)."""
        return bool(self._error) and not self._blocked

    def set_flags(self, trainable: bool, is_output: bool) -> None:
        """Show the node's switches: frozen (not trainable) and marked as a model output."""
        self.trainable, self.is_output = trainable, is_output
        self.update()

    def set_sharing(self, shares: str | None, group: list[str], colour: QColor | None = None) -> None:
        """Show that the node calls a shared layer: `shares` is the owner it calls again (None on the owner),
        `group` every node of that layer, owner first (empty: the layer is its own), `colour` the layer's mark."""
        group = list(group) if len(group) > 1 else []
        colour = colour or self.share_colour
        if (shares, group, colour) == (self.shares, self.share_group, self.share_colour):
            return
        self.shares, self.share_group, self.share_colour = shares, group, colour
        result, self._result = self._result, None  # the parameter line and the tooltip say it
        self.set_result(result)

    @property
    def sharing_text(self) -> str:
        """The caption of a node in a shared layer ("" when it shares nothing)."""
        if not self.share_group:
            return ""
        if self.shares is not None:
            return f"shares weights of {self.shares}"
        return f"shared by {len(self.share_group) - 1} more"

    def _sharing_tip(self) -> str:
        if not self.share_group:
            return ""
        others = ", ".join(f"'{n}'" for n in self.share_group if n != self.node_id)
        if self.shares is not None:
            return (f"\nShares weights with '{self.shares}': it calls the same layer again (one set of weights "
                    f"for {others} and itself; a parameter set on one is set on all).")
        return f"\nIts layer is shared: {others} call it again, with these same weights."

    def port(self, kind: str, index: int) -> PortItem | None:
        ports = self.input_ports if kind == INPUT else self.output_ports
        return ports[index] if 0 <= index < len(ports) else None

    def port_scene_pos(self, kind: str, index: int) -> QPointF:
        port = self.port(kind, index)
        if port is None:  # a wire to a port this node lacks: draw it to the edge's middle
            y = 0.0 if kind == INPUT else style.NODE_HEIGHT
            return self.mapToScene(QPointF(style.NODE_WIDTH / 2, y))
        return port.scenePos()

    # ---- what inference found ----------------------------------------------------------------
    def set_result(self, result) -> None:
        """Show a NodeResult from shape inference, or the pending state when `result` is None."""
        if result is not None and (result is self._result or result == self._result):
            return  # unchanged by the edit (most nodes, after one edit of a large graph): nothing to redo
        self._result = result
        if result is None:
            self._shape_text, self._params_text, self._error, self._blocked = PENDING, "", None, False
            tip = f"{self.block_type} '{self.node_id}'"
        elif result.ok:
            from builder.model import format_shape

            shapes = result.output_shapes
            self.set_output_port_count(len(shapes))
            self._shape_text = ", ".join(format_shape(s) for s in shapes) if len(shapes) > 1 else format_shape(result.shape)
            self._params_text = f"{result.params:,} params"
            if self.share_group:
                self._params_text = self.sharing_text if self.shares is not None else \
                    f"{result.params:,} params · {self.sharing_text}"
            self._error, self._blocked = None, False
            tip = f"{self.block_type} '{self.node_id}'\noutput {self._shape_text}\n{self._params_text}"
        else:
            self._error, self._blocked = result.error, result.blocked_by is not None
            self._shape_text = f"waits for {result.blocked_by}" if self._blocked else result.error
            self._params_text = ""
            tip = result.error
        self._result_tip = tip + self._sharing_tip()
        self._update_tooltip()
        self.update()

    def set_compatibility(self, result) -> None:
        """Show a BlockCompatibility as a badge (None: no badge, e.g. the badges are off)."""
        self.compatibility = result
        self._badge = badge_for(result)
        self._update_tooltip()
        self.update()

    def set_badge_stale(self, stale: bool) -> None:
        if stale != self.badge_stale:
            self.badge_stale = stale
            self.update()

    @property
    def badge_text(self) -> str | None:
        return self._badge.text if self._badge is not None else None

    def set_dataset_problems(self, messages: list[str]) -> None:
        """Mark the block as not fitting the dataset (red border, "⚠ dataset"; the reasons in the tooltip)."""
        if list(messages) != self.dataset_problems:
            self.dataset_problems = list(messages)
            self._update_tooltip()
            self.update()

    def set_notes(self, notes: list[str]) -> None:
        """What the user should know about the block that is no error (a backbone's ImageNet file is missing)."""
        if list(notes) != self.notes:
            self.notes = list(notes)
            self._update_tooltip()

    def _update_tooltip(self) -> None:
        data = "".join(f"\n⚠ dataset: {m}" for m in self.dataset_problems)
        notes = "".join(f"\nⓘ {n}" for n in self.notes)
        self.setToolTip(self._result_tip + (f"\n{self._badge.tooltip}" if self._badge is not None else "") + data
                        + notes)

    @property
    def shape_text(self) -> str:
        return self._shape_text

    @property
    def params_text(self) -> str:
        return self._params_text

    @property
    def error(self) -> str | None:
        return self._error

    @property
    def blocked(self) -> bool:
        return self._blocked

    # ---- QGraphicsItem -----------------------------------------------------------------------
    def boundingRect(self) -> QRectF:
        m = style.PORT_RADIUS + 2
        return QRectF(-m, -m, style.NODE_WIDTH + 2 * m, style.NODE_HEIGHT + 2 * m)

    def shape(self) -> QPainterPath:
        path = QPainterPath()
        path.addRoundedRect(self._box(), style.CORNER_RADIUS, style.CORNER_RADIUS)
        return path

    def itemChange(self, change, value):
        if change == QGraphicsItem.GraphicsItemChange.ItemPositionHasChanged:
            for edge in self.edges:
                edge.adjust()
        return super().itemChange(change, value)

    def paint(self, painter: QPainter, option, widget=None) -> None:
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        box = self._box()
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        if self._error and not self._blocked:
            body, border = style.ERROR_BODY, style.ERROR
        elif self._blocked:
            body, border = style.BLOCKED_BODY, style.BLOCKED
        else:
            body, border = style.NODE_BODY, style.NODE_BORDER
        if self.dataset_problems:
            border = style.ERROR
        radius = style.CORNER_RADIUS

        # Soft shadow, body, then the category-coloured header clipped to the rounded top.
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(style.NODE_SHADOW)
        painter.drawRoundedRect(box.translated(0, 2), radius, radius)
        outline = QPainterPath()
        outline.addRoundedRect(box, radius, radius)
        painter.fillPath(outline, body)
        header = QPainterPath()
        header.addRect(QRectF(box.left(), box.top(), box.width(), style.HEADER_HEIGHT))
        colour = self.colour if not (self._error and not self._blocked) else style.ERROR
        painter.fillPath(outline.intersected(header), colour)
        pen = QPen(style.SELECTED if selected else border,
                   2.2 if selected or self._error or self.dataset_problems else 1.0)
        if self._blocked and not selected:
            pen.setStyle(Qt.PenStyle.DashLine)
        painter.setPen(pen)
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawPath(outline)
        if self.share_group:  # a stripe in the shared layer's colour down the body's left side
            painter.save()
            painter.setClipPath(outline)
            painter.fillRect(QRectF(box.left(), box.top() + style.HEADER_HEIGHT, 5.0,
                                    box.height() - style.HEADER_HEIGHT), self.share_colour)
            painter.restore()
        if self.trace is not None:
            ring = QPen(style.BLOCKED if self.trace == UPSTREAM else style.ERROR, 2.6 if self.trace == ORIGIN else 2.0)
            if self.trace != ORIGIN:
                ring.setStyle(Qt.PenStyle.DashLine)
            painter.setPen(ring)
            painter.drawRoundedRect(box.adjusted(-4, -4, 4, 4), radius + 3, radius + 3)

        pad = 9.0
        head = QRectF(box.left() + pad, box.top(), box.width() - 2 * pad, style.HEADER_HEIGHT)
        painter.setFont(style.title_font())
        painter.setPen(style.HEADER_TEXT)
        title_width = QFontMetrics(style.title_font()).horizontalAdvance(self.block_type)
        painter.drawText(head, Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft, self.block_type)
        id_font = style.small_font()
        painter.setFont(id_font)
        painter.setPen(style.HEADER_MUTED_TEXT)
        id_room = int(head.width() - title_width - 10)
        id_text = QFontMetrics(id_font).elidedText(self.node_id, Qt.TextElideMode.ElideMiddle, max(id_room, 0))
        painter.drawText(head, Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignRight, id_text)

        body_rect = QRectF(box.left() + pad, box.top() + style.HEADER_HEIGHT + 2,
                           box.width() - 2 * pad, box.height() - style.HEADER_HEIGHT - 4)
        badges = ([] if self.trainable else ["frozen"]) + (["output"] if self.is_output else [])
        if badges:
            painter.setFont(style.small_font())
            painter.setPen(style.MUTED_TEXT)
            painter.drawText(body_rect, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignBottom, " · ".join(badges))
        if self.dataset_problems and not self._error:
            painter.setFont(style.small_font())
            painter.setPen(style.ERROR)
            painter.drawText(body_rect, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignTop, "⚠ dataset")
        line = body_rect.height() / 2
        text_width = body_rect.width()
        if self._badge is not None:
            painter.save()
            painter.setOpacity(0.35 if self.badge_stale else 1.0)
            paint_badge(painter, self._badge, body_rect.right(), body_rect.top() + line / 2)
            painter.restore()
            text_width -= badge_width(self._badge) + 6
        if self._error:
            painter.setFont(style.small_font())
            painter.setPen(style.BLOCKED_TEXT if self._blocked else style.ERROR)
            lines = _two_lines(self._shape_text, QFontMetrics(style.small_font()), int(text_width))
            for i, text in enumerate(lines):
                painter.drawText(QRectF(body_rect.left(), body_rect.top() + i * line, text_width, line),
                                 Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, text)
            return
        painter.setFont(style.mono_font())
        painter.setPen(style.TEXT)
        shape_text = QFontMetrics(style.mono_font()).elidedText(self._shape_text, Qt.TextElideMode.ElideRight,
                                                                int(text_width))
        painter.drawText(QRectF(body_rect.left(), body_rect.top(), text_width, line),
                         Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, shape_text)
        painter.setFont(style.small_font())
        painter.setPen(self.share_colour if self.share_group else style.MUTED_TEXT)
        painter.drawText(QRectF(body_rect.left(), body_rect.top() + line, body_rect.width(), line),
                         Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, self._params_text)

    def _box(self) -> QRectF:
        return QRectF(0.0, 0.0, style.NODE_WIDTH, style.NODE_HEIGHT)


def _two_lines(text: str, metrics: QFontMetrics, width: int) -> list[str]:
    """Word-wrap into at most two lines, the second elided (the full text is the tooltip)."""
    words = text.split()
    first = ""
    while words and metrics.horizontalAdvance(f"{first} {words[0]}".strip()) <= width:
        first = f"{first} {words.pop(0)}".strip()
    if not first:  # one very long word
        return [metrics.elidedText(text, Qt.TextElideMode.ElideRight, width)]
    rest = " ".join(words)
    return [first, metrics.elidedText(rest, Qt.TextElideMode.ElideRight, width)] if rest else [first]
