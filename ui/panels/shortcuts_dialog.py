"""Help → Keyboard Shortcuts: every menu action that has a shortcut, by menu, and the canvas's mouse gestures."""
from __future__ import annotations

from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QMenuBar, QTreeWidget, QTreeWidgetItem, QVBoxLayout, QWidget

# Keys some keyboards have for one action (Qt lists them among the standard shortcuts); not worth a row here.
DEDICATED_KEYS = {"Undo", "Redo", "Copy", "Cut", "Paste", "Open", "Save", "Find", "Help", "New", "Close", "Print"}

# What the canvas does with the mouse and keys that no menu action stands for.
CANVAS_GESTURES = (
    ("Drag a block from the palette", "add it; drop it on a wire to insert it there"),
    ("Drag from a port to a port", "wire them; fitting ports light up, a refusing one says why"),
    ("Drag a wire's end off its port", "re-attach it elsewhere, or drop it on the canvas to disconnect"),
    ("Double-click a block's title", "rename it"),
    ("Right-click", "the actions for that block, wire or the canvas"),
    ("Drag on the empty canvas", "select with a rectangle (Ctrl adds)"),
    ("Space + drag, or middle-button drag", "pan"),
    ("Mouse wheel", "zoom around the pointer"),
)


def shortcut_rows(menu_bar: QMenuBar) -> list[tuple[str, str, str]]:
    """(menu, action text, shortcuts) for every action with a shortcut in the menus, in menu order."""
    rows: list[tuple[str, str, str]] = []

    def walk(menu, path: str) -> None:
        for action in menu.actions():
            if action.menu() is not None:
                walk(action.menu(), f"{path} › {action.menu().title().replace('&', '')}")
            elif not action.isSeparator() and action.shortcuts():
                keys = [s.toString(QKeySequence.SequenceFormat.NativeText) for s in action.shortcuts()]
                text = action.text().replace("&", "").rstrip("…").strip()
                if text.startswith(("Undo ", "Redo ")):  # "Undo Set conv2d_1.filters": the step is not the action
                    text = text[:4]
                rows.append((path, text, ", ".join(k for k in keys if k not in DEDICATED_KEYS)))

    for top in menu_bar.actions():
        if top.menu() is not None:
            walk(top.menu(), top.menu().title().replace("&", ""))
    return rows


class ShortcutsDialog(QDialog):
    """A two-column list: what to press, and what it does."""

    def __init__(self, menu_bar: QMenuBar, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Keyboard Shortcuts")
        self.tree = QTreeWidget(self)
        self.tree.setHeaderLabels(["Keys", "Action"])
        self.tree.setRootIsDecorated(True)
        groups: dict[str, QTreeWidgetItem] = {}
        for menu, text, keys in shortcut_rows(menu_bar):
            group = groups.get(menu)
            if group is None:
                group = groups[menu] = QTreeWidgetItem(self.tree, [menu])
            QTreeWidgetItem(group, [keys, text])
        canvas = QTreeWidgetItem(self.tree, ["Canvas (mouse)"])
        for gesture, effect in CANVAS_GESTURES:
            QTreeWidgetItem(canvas, [gesture, effect])
        self.tree.expandAll()
        self.tree.resizeColumnToContents(0)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.tree)
        layout.addWidget(buttons)
        self.resize(820, 580)


