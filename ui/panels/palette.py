"""The block palette: the catalogue grouped by category; drag a block onto the canvas to add it."""
from __future__ import annotations

from PySide6.QtCore import QMimeData, Qt, Signal, Slot
from PySide6.QtGui import QColor, QIcon, QPainter, QPixmap
from PySide6.QtWidgets import QAbstractItemView, QLineEdit, QTreeWidget, QTreeWidgetItem, QVBoxLayout, QWidget

from builder import blocks
from ui import style
from ui.canvas.block_type_mime import BLOCK_TYPE_MIME, make_block_type_mime

_TYPE_ROLE = Qt.ItemDataRole.UserRole


def _swatch(colour: QColor, size: int = 12) -> QIcon:
    pixmap = QPixmap(size, size)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(colour)
    painter.drawRoundedRect(1, 1, size - 2, size - 2, 3, 3)
    painter.end()
    return QIcon(pixmap)


class BlockTree(QTreeWidget):
    """Categories as top-level rows, blocks under them; dragging a block carries its type."""

    def mimeTypes(self) -> list[str]:
        return [BLOCK_TYPE_MIME]

    def mimeData(self, items) -> QMimeData:
        types = [i.data(0, _TYPE_ROLE) for i in items if i.data(0, _TYPE_ROLE)]
        return make_block_type_mime(types[0]) if types else QMimeData()


class Palette(QWidget):
    """`blockActivated` fires on double-click (the window adds the block at the view's centre)."""

    blockActivated = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.filter = QLineEdit(self)
        self.filter.setPlaceholderText("Filter blocks…")
        self.filter.setClearButtonEnabled(True)
        self.tree = BlockTree(self)
        self.tree.setHeaderHidden(True)
        self.tree.setRootIsDecorated(False)
        self.tree.setIndentation(10)
        self.tree.setDragEnabled(True)
        self.tree.setDragDropMode(QAbstractItemView.DragDropMode.DragOnly)
        self.tree.setDefaultDropAction(Qt.DropAction.CopyAction)  # a move would take the row out of the palette
        self.tree.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.items: dict[str, QTreeWidgetItem] = {}
        self.reload()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.filter)
        layout.addWidget(self.tree)
        self.filter.textChanged.connect(self._apply_filter)
        self.tree.itemDoubleClicked.connect(self._on_double_click)

    def reload(self) -> None:
        """(Re)list the blocks: the catalogue, then the composite blocks ("Blocks", "My blocks")."""
        from builder.blocks import composites

        self.tree.clear()
        self.items = {}
        for category, block_types in blocks.palette().items():
            head = QTreeWidgetItem(self.tree, [category])
            head.setFlags(Qt.ItemFlag.ItemIsEnabled)
            font = head.font(0)
            font.setBold(True)
            head.setFont(0, font)
            head.setForeground(0, style.MUTED_TEXT)
            for block in block_types:
                item = QTreeWidgetItem(head, [block])
                item.setData(0, _TYPE_ROLE, block)
                item.setIcon(0, _swatch(style.category_colour(category)))
                tip = f"{block} ({category}) — drag onto the canvas, or double-click to add"
                defn = composites.get(block) if category in (composites.SHIPPED_CATEGORY, composites.USER_CATEGORY) else None
                if defn is not None and defn.description:
                    tip += f"\n\n{defn.description}"
                item.setToolTip(0, tip)
                item.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemIsDragEnabled)
                self.items[block] = item
            head.setExpanded(True)
        if self.filter.text():
            self._apply_filter(self.filter.text())

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
            self.blockActivated.emit(block_type)
