"""The window around the canvas: closable, remembered docks; the status bar's model summary; right-click menus;
the keyboard-shortcuts list."""
from __future__ import annotations

from PySide6.QtCore import QPoint, QPointF, Qt, QTimer
from PySide6.QtGui import QContextMenuEvent
from PySide6.QtWidgets import QApplication, QDockWidget, QMenu

from tests.gui.conftest import close_window


def _dock(window, title: str) -> QDockWidget:
    return next(d for d in window.findChildren(QDockWidget) if d.windowTitle() == title)


def _panels_menu_action(window, text: str):
    view = next(a.menu() for a in window.menuBar().actions() if a.text().replace("&", "") == "View")
    panels = next(a.menu() for a in view.actions() if a.text().replace("&", "") == "Panels")
    return next(a for a in panels.actions() if a.text().replace("&", "") == text)


def test_every_dock_closes_and_comes_back_from_the_view_menu(window, qtbot):
    for dock in window.findChildren(QDockWidget):
        assert dock.features() & QDockWidget.DockWidgetFeature.DockWidgetClosable, dock.windowTitle()
    data = _dock(window, "Data")
    data.close()
    assert data.isHidden()
    toggle = _panels_menu_action(window, "Data")
    assert not toggle.isChecked()
    toggle.trigger()
    assert not data.isHidden()


def test_the_dock_layout_and_window_size_are_remembered(qtbot):
    from ui.main_window import MainWindow

    first = MainWindow()
    first.show()
    qtbot.waitExposed(first)
    first.resize(1234, 777)
    _dock(first, "Runs").close()
    _dock(first, "Blocks").setFloating(True)
    geometry = first.saveGeometry()
    close_window(first)  # closing saves the layout
    from ui.app_settings import app_settings

    assert app_settings().value("window/geometry") == geometry  # (the offscreen screen, 800x800, clamps a restore)

    second = MainWindow()
    second.show()
    qtbot.waitExposed(second)
    try:
        assert _dock(second, "Runs").isHidden()
        assert _dock(second, "Blocks").isFloating()
        assert second.window_layout.restore()
        second.window_layout.reset()
        assert not _dock(second, "Runs").isHidden()
        assert not _dock(second, "Blocks").isFloating()
    finally:
        close_window(second)


def test_status_bar_counts_trainable_parameters_memory_and_flops(ready_window, qtbot):
    window = ready_window
    text = window.model_summary.text.text()
    report = window.document.shapes.report
    assert f"{report.total_params:,} parameters ({report.trainable_params(window.document.graph):,} trainable)" in text
    assert "FLOPs/sample" in text and "B model" in text
    assert window.model_summary.problems.text() == "valid"
    first_dense = next(n for n, node in window.document.graph.nodes.items() if node.type == "Dense")
    # freezing a block moves its parameters out of the trainable count, in the same summary
    from ui.document.commands import SetFlagCommand

    trainable = report.trainable_params(window.document.graph)
    with qtbot.waitSignal(window.document.shapes.reportChanged, timeout=10_000):
        window.document.push(SetFlagCommand(window.document.graph, first_dense, "trainable", False))
    frozen = window.document.shapes.report.nodes[first_dense].params
    assert frozen > 0
    assert f"({trainable - frozen:,} trainable)" in window.model_summary.text.text()


def test_clicking_the_problem_count_selects_the_first_broken_block(ready_window, qtbot):
    window = ready_window
    graph = window.document.graph
    conv = next(n for n, node in graph.nodes.items() if node.type == "Conv2D")
    from ui.document.commands import SetParamCommand

    with qtbot.waitSignal(window.document.shapes.reportChanged, timeout=10_000):
        window.document.push(SetParamCommand(graph, conv, "padding", "valid"))
        window.document.push(SetParamCommand(graph, conv, "kernel_size", [40, 40]))  # larger than the 8x8 image
    button = window.model_summary.problems
    assert button.isEnabled() and "problem" in button.text()
    window.scene.clearSelection()
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    assert window.scene.selected_node_ids() == [conv]


def _choose_from_popup(qtbot, path: list[str]) -> None:
    """When the next popup menu opens, walk `path` through it and its submenus by their entries' text."""

    def walk() -> None:
        menu = QApplication.activePopupWidget()
        if not isinstance(menu, QMenu):
            QTimer.singleShot(20, walk)
            return
        entry = next(a for a in menu.actions() if a.text().replace("&", "") == path[0])
        if len(path) == 1:
            menu.setActiveAction(entry)
            qtbot.keyClick(menu, Qt.Key.Key_Return)
        else:
            menu.setActiveAction(entry)
            qtbot.keyClick(menu, Qt.Key.Key_Right)
            path.pop(0)
            QTimer.singleShot(20, walk)

    QTimer.singleShot(20, walk)


def test_right_click_on_the_empty_canvas_adds_a_block_where_it_was_clicked(window, qtbot):
    view = window.view
    empty = view.viewport().rect().bottomLeft() + QPoint(40, -40)
    scene_pos = view.mapToScene(empty)
    before = set(window.document.graph.nodes)
    _choose_from_popup(qtbot, ["Add Block Here", "Core", "Dense"])
    event = QContextMenuEvent(QContextMenuEvent.Reason.Mouse, empty, view.viewport().mapToGlobal(empty),
                              Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(view.viewport(), event)  # a real right-click: the canvas asks, the window's menu opens
    qtbot.waitUntil(lambda: len(window.document.graph.nodes) == len(before) + 1, timeout=5000)
    (new,) = set(window.document.graph.nodes) - before
    x, y = window.document.graph.node(new).position
    assert abs(x + 110 - scene_pos.x()) <= 10 and abs(y + 30 - scene_pos.y()) <= 10


def test_freeze_from_a_block_menu_is_one_undo_step_for_the_whole_selection(window, qtbot):
    graph = window.document.graph
    dense = [n for n, node in graph.nodes.items() if node.type in ("Dense", "Conv2D")][:2]
    for node_id in dense:
        window.scene.node_items[node_id].setSelected(True)
    menu = window.canvas_menus.menu_for("node", dense[0], QPointF())
    entries = [a.text() for a in menu.actions() if not a.isSeparator()]
    for wanted in ("Rename…", "Copy", "Cut", "Duplicate", "Delete"):
        assert any(e.replace("&", "").startswith(wanted) for e in entries), (wanted, entries)
    next(a for a in menu.actions() if a.text().startswith("Freeze")).trigger()
    assert [graph.node(n).trainable for n in dense] == [False, False]
    window.document.undo_stack.undo()
    assert [graph.node(n).trainable for n in dense] == [True, True]


def test_the_shortcuts_dialog_lists_the_menus_shortcuts(window, qtbot):
    from ui.panels.shortcuts_dialog import DEDICATED_KEYS, ShortcutsDialog, shortcut_rows

    rows = shortcut_rows(window.menuBar())
    texts = {text: keys for _menu, text, keys in rows}
    assert texts["Copy"] == "Ctrl+C" and texts["Paste"] == "Ctrl+V" and texts["Rename"] == "F2"
    assert "Ctrl+Y" in texts["Redo"] and "Ctrl+Z" in texts["Undo"] and texts["Auto-Layout"] == "Ctrl+L"
    assert all(key not in DEDICATED_KEYS for _menu, _text, keys in rows for key in keys.split(", "))
    dialog = ShortcutsDialog(window.menuBar(), window)
    assert dialog.tree.topLevelItemCount() >= 4  # File, Edit, View … and the canvas's mouse gestures
    dialog.close()
