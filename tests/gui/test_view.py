"""Seeing the whole graph: auto-layout (Ctrl+L, one undo step), fit, zoom and pan limits, Space-drag, the minimap,
Ctrl+Y, and the canvas exported as PNG and SVG."""
from __future__ import annotations

import math
import xml.etree.ElementTree as ElementTree

from PySide6.QtCore import QEvent, QPoint, QPointF, Qt
from PySide6.QtGui import QImage, QKeySequence, QMouseEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QMessageBox

from builder.graph import Graph
from builder.project import Project
from ui import style
from ui.canvas.view import MAX_ZOOM, MIN_ZOOM
from ui.document import Document


def _positions(window) -> dict[str, tuple[float, float]]:
    return {n: node.position for n, node in window.document.graph.nodes.items()}


def _overlaps(positions) -> int:
    boxes = list(positions)
    return sum(1 for i, (x, y) in enumerate(boxes) for (u, v) in boxes[i + 1:]
               if abs(x - u) < style.NODE_WIDTH and abs(y - v) < style.NODE_HEIGHT)


def _big_document(window, nodes: int = 1000) -> None:
    """A chain of `nodes` Dense blocks in one tall column, opened in the window."""
    graph = Graph()
    previous = graph.add_node("Input", {"shape": [8]}, (0.0, 0.0)).id
    for i in range(1, nodes):
        node = graph.add_node("Dense", {"units": 8}, (0.0, 110.0 * i)).id
        graph.connect(previous, node)
        previous = node
    window.set_document(Document(Project(graph=graph, name="big")))


def _mouse(widget, kind: QEvent.Type, pos: QPoint, button: Qt.MouseButton, buttons: Qt.MouseButton) -> None:
    """A real mouse event (QTest cannot move the mouse with a button held)."""
    local = QPointF(pos)
    event = QMouseEvent(kind, local, QPointF(widget.mapToGlobal(pos)), button, buttons, Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(widget, event)


def test_ctrl_l_lays_the_graph_out_in_one_undo_step_and_redo_restores_it_exactly(window, qtbot):
    graph = window.document.graph
    for k, node_id in enumerate(graph.nodes):
        graph.move_node(node_id, (13.0 * k, 7.0 * k))  # all piled up
    before = _positions(window)
    window.view.setFocus()
    QTest.keyClick(window.view, Qt.Key.Key_L, Qt.KeyboardModifier.ControlModifier)
    after = _positions(window)
    assert after != before and _overlaps(after.values()) == 0
    assert window.document.undo_stack.count() == 1
    window.undo_action.trigger()
    assert _positions(window) == before
    QTest.keyClick(window.view, Qt.Key.Key_Y, Qt.KeyboardModifier.ControlModifier)  # Ctrl+Y redoes too
    assert _positions(window) == after
    assert QKeySequence("Ctrl+Y") in window.redo_action.shortcuts()


def test_ctrl_l_with_two_blocks_selected_lays_out_only_those(window, qtbot):
    graph = window.document.graph
    ids = list(graph.nodes)
    chosen = ids[1:3]
    graph.move_node(chosen[0], (1000.0, 1000.0))
    graph.move_node(chosen[1], (1500.0, 1000.0))  # wired one to the other, yet side by side
    before = _positions(window)
    for node_id in chosen:
        window.scene.node_items[node_id].setSelected(True)
    window.view.setFocus()
    QTest.keyClick(window.view, Qt.Key.Key_L, Qt.KeyboardModifier.ControlModifier)
    after = _positions(window)
    assert {n for n in ids if after[n] != before[n]} <= set(chosen)
    upper, lower = (after[n] for n in chosen)
    assert upper[0] == lower[0] and lower[1] > upper[1]  # now one under the other
    assert _overlaps(after.values()) == 0


def test_fit_shows_every_node_of_a_1000_node_graph(window, qtbot):
    _big_document(window)
    window.view_actions.fit_action.trigger()
    view = window.view
    assert MIN_ZOOM <= view.zoom < 0.7  # the old fit stopped at 0.7 and showed only the top
    visible = view.visible_scene_rect()
    assert visible.contains(window.scene.itemsBoundingRect())
    qtbot.waitUntil(view.minimap.isVisible, timeout=2000)  # too small to read: the minimap shows itself
    assert window.view_actions.minimap_action.isChecked()


def test_zoom_is_clamped_and_a_hostile_position_cannot_break_fit(window, qtbot):
    view = window.view
    view.set_zoom(1e-9)
    assert view.zoom == MIN_ZOOM
    view.set_zoom(1e9)
    assert view.zoom == MAX_ZOOM
    view.set_zoom(float("nan"))
    assert math.isfinite(view.zoom) and MIN_ZOOM <= view.zoom <= MAX_ZOOM
    graph = window.document.graph
    ids = list(graph.nodes)  # positions a hand-edited project file can hold (see the report on validation)
    graph.move_node(ids[0], (1e300, -1e300))
    graph.move_node(ids[1], (float("nan"), 0.0))
    graph.move_node(ids[2], (float("inf"), float("-inf")))
    window.view_actions.fit_action.trigger()
    rect = window.scene.sceneRect()
    assert all(math.isfinite(v) and abs(v) <= 2e7 for v in (rect.left(), rect.top(), rect.right(), rect.bottom()))
    assert MIN_ZOOM <= view.zoom <= 1.0
    for _ in range(3):
        QTest.keyClick(view, Qt.Key.Key_Minus, Qt.KeyboardModifier.ControlModifier)
    assert math.isfinite(view.zoom) and view.zoom >= MIN_ZOOM
    window.view_actions.auto_layout_action.trigger()  # and auto-layout brings every block back
    assert all(math.isfinite(v) and abs(v) < 1e5 for node in graph.nodes.values() for v in node.position)


def test_space_drag_pans_without_selecting_or_moving_blocks(window, qtbot):
    _big_document(window, 60)
    view = window.view
    view.resetTransform()
    view.centerOn(0, 2000)
    view.setFocus()
    viewport = view.viewport()
    centre_before = view.visible_scene_rect().center()
    positions = _positions(window)
    QTest.keyPress(view, Qt.Key.Key_Space)
    assert viewport.cursor().shape() == Qt.CursorShape.OpenHandCursor
    start = QPoint(200, 300)
    _mouse(viewport, QEvent.Type.MouseButtonPress, start, Qt.MouseButton.LeftButton, Qt.MouseButton.LeftButton)
    for step in range(1, 6):
        _mouse(viewport, QEvent.Type.MouseMove, start + QPoint(0, -30 * step), Qt.MouseButton.NoButton,
               Qt.MouseButton.LeftButton)
    _mouse(viewport, QEvent.Type.MouseButtonRelease, start + QPoint(0, -150), Qt.MouseButton.LeftButton,
           Qt.MouseButton.NoButton)
    QTest.keyRelease(view, Qt.Key.Key_Space)
    moved = view.visible_scene_rect().center() - centre_before
    assert abs(moved.y() - 150) < 2 and abs(moved.x()) < 2  # dragged up: the view went down the graph
    assert _positions(window) == positions and not window.scene.selectedItems()
    assert viewport.cursor().shape() != Qt.CursorShape.OpenHandCursor
    # without Space, the same drag is a rubber band again, not a pan
    _mouse(viewport, QEvent.Type.MouseButtonPress, start, Qt.MouseButton.LeftButton, Qt.MouseButton.LeftButton)
    _mouse(viewport, QEvent.Type.MouseMove, start + QPoint(0, -150), Qt.MouseButton.NoButton, Qt.MouseButton.LeftButton)
    _mouse(viewport, QEvent.Type.MouseButtonRelease, start + QPoint(0, -150), Qt.MouseButton.LeftButton,
           Qt.MouseButton.NoButton)
    assert view.visible_scene_rect().center() == centre_before + moved


def test_minimap_click_moves_the_view_and_the_action_toggles_it(window, qtbot):
    _big_document(window, 200)
    window.view_actions.minimap_action.setChecked(True)
    minimap = window.view.minimap
    assert minimap.isVisible()
    minimap.refresh()
    window.view.set_zoom(1.0)
    target = QPoint(minimap.width() // 2, minimap.height() - 5)  # near the bottom of the column
    QTest.mouseClick(minimap, Qt.MouseButton.LeftButton, pos=target)
    centre = window.view.visible_scene_rect().center()
    wanted = minimap.scene_point(QPointF(target))
    assert abs(centre.y() - wanted.y()) < 50 and centre.y() > 110.0 * 150
    window.view_actions.minimap_action.setChecked(False)
    assert not minimap.isVisible()
    window.view_actions.fit_action.trigger()  # a choice of the user outlasts the automatic showing
    assert not minimap.isVisible()


def test_canvas_exports_as_png_and_svg_without_the_selection(window, qtbot, tmp_path):
    actions = window.view_actions
    assert actions.export_image(tmp_path / "plain.png")
    first = next(iter(window.scene.node_items.values()))
    first.setSelected(True)
    assert actions.export_image(tmp_path / "selected.png")
    assert first.isSelected()  # given back after the export
    plain, selected = QImage(str(tmp_path / "plain.png")), QImage(str(tmp_path / "selected.png"))
    assert not plain.isNull() and plain == selected  # no selection highlight in the picture
    bounds = window.scene.itemsBoundingRect()
    assert plain.width() >= 2 * bounds.width() and plain.height() >= 2 * bounds.height()  # 2x: crisp
    assert actions.export_image(tmp_path / "graph.svg")
    svg = (tmp_path / "graph.svg").read_text(encoding="utf-8")
    ElementTree.fromstring(svg)  # well-formed XML
    assert all(node_id in svg for node_id in window.document.graph.nodes)
    assert not actions.export_image(tmp_path / "graph.bmp")
    boxes = [b for b in window.findChildren(QMessageBox) if b.isVisible()]
    assert boxes and ".png" in boxes[-1].text() and not (tmp_path / "graph.bmp").exists()


def test_a_zoomed_out_canvas_draws_the_sketch_and_follows_edits(window, qtbot):
    _big_document(window, 300)
    view = window.view
    view.fit_graph()
    assert view.sketching  # too small to read: boxes and lines instead of 300 blocks' text
    before = view.viewport().grab().toImage()
    graph = window.document.graph
    last = list(graph.nodes)[-1]
    graph.move_node(last, (3000.0, 0.0))  # far to the right, at the top
    qtbot.waitUntil(lambda: view.viewport().grab().toImage() != before, timeout=2000)
    view.set_zoom(1.0)
    assert not view.sketching
