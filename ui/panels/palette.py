"""The palette: every block type (the Keras catalogue, then composite blocks) by category; drag one onto the canvas.

Names are never cut: the column is as wide as the longest name and the tree scrolls sideways when the dock
is narrower; `content_width()` is the width at which nothing needs to scroll.
"""
from __future__ import annotations

from PySide6.QtCore import QMimeData, Qt, Signal, Slot
from PySide6.QtGui import QColor, QIcon, QPainter
from PySide6.QtWidgets import (
    QAbstractItemView, QHeaderView, QLineEdit, QStyle, QTreeWidget, QTreeWidgetItem, QVBoxLayout, QWidget,
)

from builder import blocks
from ui import style
from ui.canvas.block_type_mime import BLOCK_TYPE_MIME, make_block_type_mime

_TYPE_ROLE = Qt.ItemDataRole.UserRole
MAX_CONTENT_WIDTH = 320  # content_width's cap: a longer (user-named) block scrolls rather than widen the dock


def _swatch(colour: QColor, size: int = 12) -> QIcon:
    pixmap = style.crisp_pixmap(size, size)  # drawn at the screen's pixel ratio
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(colour)
    painter.drawRoundedRect(1, 1, size - 2, size - 2, 3, 3)
    painter.end()
    return QIcon(pixmap)


class BlockTypeTree(QTreeWidget):
    """Categories as top-level rows, block types under them; dragging one carries the block type."""

    def mimeTypes(self) -> list[str]:
        return [BLOCK_TYPE_MIME]

    def mimeData(self, items) -> QMimeData:
        types = [i.data(0, _TYPE_ROLE) for i in items if i.data(0, _TYPE_ROLE)]
        return make_block_type_mime(types[0]) if types else QMimeData()


class Palette(QWidget):
    """`blockTypeActivated` fires on double-click (the window adds a node of that type at the view's centre)."""

    blockTypeActivated = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.filter = QLineEdit(self)
        self.filter.setPlaceholderText("Filter blocks…")
        self.filter.setClearButtonEnabled(True)
        self.tree = BlockTypeTree(self)
        self.tree.setHeaderHidden(True)
        self.tree.setRootIsDecorated(False)
        self.tree.setIndentation(10)
        self.tree.setDragEnabled(True)
        self.tree.setDragDropMode(QAbstractItemView.DragDropMode.DragOnly)
        self.tree.setDefaultDropAction(Qt.DropAction.CopyAction)  # a move would take the row out of the palette
        self.tree.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.tree.setTextElideMode(Qt.TextElideMode.ElideNone)
        header = self.tree.header()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)  # wider than the view: it scrolls
        self.tree.setHorizontalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.items: dict[str, QTreeWidgetItem] = {}  # block type -> its row
        self.reload()
        style.on_theme_changed(self._recolour_headings)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.filter)
        layout.addWidget(self.tree)
        self.filter.textChanged.connect(self._apply_filter)
        self.tree.itemDoubleClicked.connect(self._on_double_click)

    def reload(self) -> None:
        """(Re)list the block types: the catalogue, then the composite blocks ("Blocks", "My blocks")."""
        from builder.blocks import composites

        self.tree.clear()
        self.items = {}
        for category, block_types in blocks.palette().items():
            head = QTreeWidgetItem(self.tree, [category])
            head.setFlags(Qt.ItemFlag.ItemIsEnabled)
            font = head.font(0)
            font.setBold(True)
            head.setFont(0, font)
            head.setForeground(0, style.MUTED_TEXT)  # a copy: _recolour_headings sets it again on a theme change
            for block_type in block_types:
                item = QTreeWidgetItem(head, [block_type])
                item.setData(0, _TYPE_ROLE, block_type)
                item.setIcon(0, _swatch(style.category_colour(category)))
                tip = f"{block_type} ({category}) — drag onto the canvas, or double-click to add"
                is_composite = category in (composites.SHIPPED_CATEGORY, composites.USER_CATEGORY)
                defn = composites.get(block_type) if is_composite else None
                if defn is not None and defn.description:
                    tip += f"\n\n{defn.description}"
                item.setToolTip(0, tip)
                item.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemIsDragEnabled)
                self.items[block_type] = item
            head.setExpanded(True)
        if self.filter.text():
            self._apply_filter(self.filter.text())

    def content_width(self) -> int:
        """The palette's width with every block name shown whole and no scroll bar sideways (at most
        MAX_CONTENT_WIDTH): what its dock should start at."""
        scroll_bar = self.style().pixelMetric(QStyle.PixelMetric.PM_ScrollBarExtent)
        frame = 2 * self.tree.frameWidth()
        margins = self.layout().contentsMargins() if self.layout() is not None else None
        sides = margins.left() + margins.right() if margins is not None else 0
        width = self.tree.sizeHintForColumn(0) + scroll_bar + frame + sides
        return min(max(width, self.filter.sizeHint().width() + sides), MAX_CONTENT_WIDTH)

    def _recolour_headings(self) -> None:
        for i in range(self.tree.topLevelItemCount()):
            self.tree.topLevelItem(i).setForeground(0, style.MUTED_TEXT)

    @Slot(str)
    def _apply_filter(self, text: str) -> None:
        needle = text.strip().lower()
        for i in range(self.tree.topLevelItemCount()):
            head = self.tree.topLevelItem(i)
            visible = 0
            for j in range(head.childCount()):
                child = head.child(j)
                hide = bool(needle) and needle not in child.text(0).lower() and needle not in head.text(0).lower()
                child.setHidden(hide)
                visible += not hide
            head.setHidden(visible == 0)

    @Slot(QTreeWidgetItem, int)
    def _on_double_click(self, item: QTreeWidgetItem, _column: int) -> None:
        block_type = item.data(0, _TYPE_ROLE)
        if block_type:
            self.blockTypeActivated.emit(block_type)
