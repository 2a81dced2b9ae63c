"""A project's graph as a small picture (the template gallery's cards), drawn offscreen by the canvas's own items.

The picture is the canvas itself: a throw-away `CanvasScene` of the project, rendered into a pixmap the size of the
card's picture, keeping the graph's proportions; a graph too tall to read at that size shows its beginning at a
readable size, fading out at the bottom. No shape inference runs (the scene's document never hears that the
engine is ready), so nothing here imports Keras and a picture costs ~10-40 ms.
"""
from __future__ import annotations

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QLinearGradient, QPainter, QPixmap

from builder.project import Project
from ui import style
from ui.canvas.scene import CanvasScene
from ui.canvas.view import graph_bounds
from ui.document import Document

MAX_SCALE = 0.6  # a graph of two blocks is not blown up into two giant boxes
MIN_SCALE = 0.2  # below this, block titles cannot be read: a taller graph shows its beginning, fading out below
FADE = 28  # logical pixels of the fade at the bottom of a graph shown in part


def graph_picture(project: Project, width: int, height: int) -> QPixmap:
    """`project`'s graph drawn into a `width` x `height` (logical pixels) pixmap on the canvas's background, sharp
    on a high-DPI screen; an empty graph gives just the background."""
    pixmap = style.crisp_pixmap(width, height)
    pixmap.fill(style.CANVAS_BACKGROUND)
    document = Document(project)
    scene = CanvasScene(document)
    try:
        bounds = graph_bounds(scene)
        if bounds.isEmpty():
            return pixmap
        scale = min(width / bounds.width(), height / bounds.height(), MAX_SCALE)
        cut = scale < MIN_SCALE
        if cut:  # the top of the graph (its Inputs) at a readable size, centred across
            scale = MIN_SCALE
            shown = QRectF(0, 0, min(bounds.width(), width / scale), min(bounds.height(), height / scale))
            shown.moveCenter(bounds.center())
            shown.moveTop(bounds.top())
            bounds = shown
        target = QRectF(0, 0, bounds.width() * scale, bounds.height() * scale)
        target.moveCenter(QRectF(0, 0, width, height).center())
        painter = QPainter(pixmap)
        painter.setRenderHints(QPainter.RenderHint.Antialiasing | QPainter.RenderHint.TextAntialiasing
                               | QPainter.RenderHint.SmoothPixmapTransform)
        scene.render(painter, target, bounds, Qt.AspectRatioMode.KeepAspectRatio)
        if cut and target.bottom() >= height - 1:  # more below: fade into the background
            fade = QLinearGradient(0, height - FADE, 0, height)
            clear = QColor(style.CANVAS_BACKGROUND)
            clear.setAlpha(0)
            fade.setColorAt(0.0, clear)
            fade.setColorAt(1.0, QColor(style.CANVAS_BACKGROUND))
            painter.fillRect(QRectF(0, height - FADE, width, FADE), fade)
        painter.end()
    finally:
        # Deleted now on the GUI thread, as the window does with a replaced document: left to Python's cycle collector
        # (the document's updaters hold it), they were destroyed on whichever thread ran it (Keras loading) and the
        # app crashed.
        scene.close()
        document.close()
        scene.deleteLater()
        document.deleteLater()
    return pixmap
