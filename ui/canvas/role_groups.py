"""The training recipe's roles on the canvas: a softly tinted, rounded rectangle behind the nodes of each role
(a VAE's "encoder" and "decoder", a GAN's "generator" and "discriminator", ...) with the role's name on it.

`RoleGroups` keeps one `RoleGroupItem` per role of the project's recipe (`Recipe.roles(graph)`, no Keras). The
scene tells it when the graph's structure or the recipe changed (`refresh`, folded into one run per burst of
events) and when nodes moved (`follow_nodes`, at once: a drag is followed as it happens); it recolours itself
when the theme changes.
"""
from __future__ import annotations

from PySide6.QtCore import QObject, QRectF, Qt, QTimer, Slot
from PySide6.QtGui import QColor, QFontMetrics, QPainter, QPen
from PySide6.QtWidgets import QGraphicsItem

from builder.training import recipes
from ui import style

MARGIN = 14.0  # between a role's nodes and its rectangle, above and below (the ports stick out there)
SIDE_MARGIN = 12.0  # left and right: templates lay columns ~40 apart, and neighbouring groups must not touch
LABEL_HEIGHT = 20.0  # the band above the nodes that holds the role's name
RADIUS = 14.0
Z_VALUE = -2  # behind wires (0) and nodes (1)

# One hue per role the recipes name; another role takes the next series colour.
ROLE_HUES = {"encoder": "#2f7cf6", "decoder": "#e8590c", "generator": "#0c9f7a", "discriminator": "#c2255c",
             "denoiser": "#845ef7", "student": "#1098ad", "teacher": "#868e96"}


def recipe_roles(project) -> dict[str, list[str]]:
    """The project's recipe roles that have nodes ({role: [node id, ...]}); none for supervised training or a
    recipe whose node settings are not yet good enough to say which nodes play which role."""
    spec = project.training.recipe
    name = recipes.recipe_name(spec)
    if name == recipes.SUPERVISED or name not in recipes.RECIPES or not isinstance(spec, dict):
        return {}
    settings = recipes.RECIPES[name].settings
    harmless = tuple(f"training.recipe.{s.name}: " for s in settings if not s.node)  # a bad number draws fine
    if any(not line.startswith(harmless) for line in recipes.spec_problems(spec, None)):
        return {}
    graph = project.graph
    roles = recipes.project_recipe(project).roles(graph)
    return {role: [n for n in ids if n in graph.nodes] for role, ids in roles.items() if ids}


def role_colour(role: str, index: int) -> QColor:
    return QColor(ROLE_HUES.get(role) or style.SERIES_COLOURS[index % len(style.SERIES_COLOURS)])


class RoleGroupItem(QGraphicsItem):
    """A role's rounded rectangle and name, drawn behind its nodes; it takes no clicks (the canvas under it
    stays the canvas: rubber-band selection, its menu)."""

    def __init__(self, role: str, colour: QColor) -> None:
        super().__init__()
        self.role = role
        self.colour = QColor(colour)
        self.node_ids: list[str] = []
        self._rect = QRectF()
        self.setZValue(Z_VALUE)
        self.setAcceptedMouseButtons(Qt.MouseButton.NoButton)
        self.setAcceptHoverEvents(False)

    def set_nodes(self, node_ids: list[str], rects: list[QRectF]) -> None:
        """The role's nodes and their scene rectangles: the group surrounds them."""
        self.node_ids = list(node_ids)
        bounds = QRectF()
        for rect in rects:
            bounds = bounds.united(rect) if not bounds.isNull() else QRectF(rect)
        rect = bounds.adjusted(-SIDE_MARGIN, -MARGIN - LABEL_HEIGHT, SIDE_MARGIN, MARGIN) if not bounds.isNull() \
            else QRectF()
        if rect != self._rect:
            self.prepareGeometryChange()
            self._rect = rect
        names = ", ".join(self.node_ids)
        self.setToolTip(f"{self.role}: {names}")

    @property
    def rect(self) -> QRectF:
        """The rectangle in scene coordinates (the item sits at the origin)."""
        return QRectF(self._rect)

    def boundingRect(self) -> QRectF:
        return self._rect.adjusted(-1, -1, 1, 1)

    def paint(self, painter: QPainter, option, widget=None) -> None:
        if self._rect.isNull():
            return
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        dark = style.is_dark()
        fill = QColor(self.colour)
        fill.setAlpha(38 if dark else 26)
        edge = QColor(self.colour)
        edge.setAlpha(150 if dark else 120)
        pen = QPen(edge, 1.3)
        pen.setStyle(Qt.PenStyle.DashLine)
        painter.setPen(pen)
        painter.setBrush(fill)
        painter.drawRoundedRect(self._rect, RADIUS, RADIUS)
        label = QColor(self.colour).lighter(140) if dark else QColor(self.colour).darker(125)
        font = style.title_font()
        painter.setFont(font)
        painter.setPen(label)
        band = QRectF(self._rect.left() + RADIUS * 0.8, self._rect.top() + 2, self._rect.width() - RADIUS * 1.6,
                      LABEL_HEIGHT)
        text = QFontMetrics(font).elidedText(self.role, Qt.TextElideMode.ElideRight, int(band.width()))
        painter.drawText(band, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, text)


class RoleGroups(QObject):
    """The role groups of one scene: `items` ({role: RoleGroupItem}) follow the recipe, the graph and the nodes."""

    def __init__(self, scene, project, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._scene = scene  # the CanvasScene: its node_items give each node's rectangle
        self._project = project  # () -> the document's Project
        self.items: dict[str, RoleGroupItem] = {}
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(0)
        self._timer.timeout.connect(self.refresh)
        style.on_theme_changed(self._on_theme_changed)

    @property
    def pending(self) -> bool:
        return self._timer.isActive()

    def schedule(self) -> None:
        """Work out the roles again once the current burst of graph events is over."""
        self._timer.start()

    @Slot()
    def refresh(self) -> None:
        """Work out the roles now: groups come and go with the recipe's roles, and surround their nodes."""
        self._timer.stop()
        roles = recipe_roles(self._project())
        for role in [r for r in self.items if r not in roles]:
            self._scene.removeItem(self.items.pop(role))
        for index, role in enumerate(roles):
            if role not in self.items:
                self.items[role] = RoleGroupItem(role, role_colour(role, index))
                self._scene.addItem(self.items[role])
            self.items[role].node_ids = roles[role]
        self.follow_nodes()

    def follow_nodes(self) -> None:
        """Fit each group around where its nodes are drawn now (during a drag too)."""
        node_items = self._scene.node_items
        box = QRectF(0.0, 0.0, style.NODE_WIDTH, style.NODE_HEIGHT)  # the node's box, without its ports
        for item in self.items.values():
            ids = [n for n in item.node_ids if n in node_items]
            item.set_nodes(ids, [node_items[n].mapRectToScene(box) for n in ids])

    def clear(self) -> None:
        self._timer.stop()
        for item in self.items.values():
            self._scene.removeItem(item)
        self.items = {}

    def _on_theme_changed(self) -> None:
        for item in self.items.values():
            item.update()
