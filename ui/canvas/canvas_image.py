"""The whole canvas as a picture for papers and slides: PNG (twice the screen's scale) or SVG, by the file's suffix.

What is drawn is the graph with a margin, without the selection highlight; the file is written atomically
(builder.files.atomic_path), so a failed export leaves any previous file as it was.
"""
from __future__ import annotations

import os
from pathlib import Path

from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QImage, QPainter
from PySide6.QtSvg import QSvgGenerator
from PySide6.QtWidgets import QGraphicsScene

from builder.errors import LayerboardError
from builder.files import atomic_path
from ui import style
from ui.canvas.view import graph_bounds

IMAGE_SUFFIXES = (".png", ".svg")
PNG_SCALE = 2.0  # pixels per scene unit: crisp when a slide or a page is zoomed
MARGIN = 40.0
MAX_PNG_PIXELS = 400_000_000  # a 1000-node model is about 30 million at PNG_SCALE; beyond this, scale down


def export_canvas_image(scene: QGraphicsScene, path: str | Path) -> Path:
    """Write the scene's graph to `path` (.png or .svg); returns the path. LayerboardError for another suffix
    or an empty canvas; OSError when the file cannot be written."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in IMAGE_SUFFIXES:
        raise LayerboardError(f"Cannot export the canvas as '{path.name}': name the file .png (a picture) or "
                              ".svg (a drawing that scales).")
    bounds = graph_bounds(scene)
    if bounds.isEmpty():
        raise LayerboardError("The canvas is empty: add blocks before exporting it as an image.")
    bounds = bounds.adjusted(-MARGIN, -MARGIN, MARGIN, MARGIN)
    selected = scene.selectedItems()
    scene.clearSelection()  # the highlight is for editing, not for the paper
    try:
        with atomic_path(path, suffix) as tmp:
            if suffix == ".png":
                _write_png(scene, bounds, tmp)
            else:
                _write_svg(scene, bounds, tmp, path.stem)
    finally:
        for item in selected:
            item.setSelected(True)
    return path


def _write_png(scene: QGraphicsScene, bounds: QRectF, target: Path) -> None:
    scale = min(PNG_SCALE, (MAX_PNG_PIXELS / (bounds.width() * bounds.height())) ** 0.5)
    size = QSize(max(1, round(bounds.width() * scale)), max(1, round(bounds.height() * scale)))
    image = QImage(size, QImage.Format.Format_ARGB32_Premultiplied)
    if image.isNull():
        raise LayerboardError(f"The canvas is too large for a PNG ({size.width()} x {size.height()} pixels): "
                              "export it as .svg instead.")
    image.fill(style.CANVAS_BACKGROUND)
    painter = QPainter(image)
    painter.setRenderHints(QPainter.RenderHint.Antialiasing | QPainter.RenderHint.TextAntialiasing
                           | QPainter.RenderHint.SmoothPixmapTransform)
    scene.render(painter, QRectF(0, 0, size.width(), size.height()), bounds, Qt.AspectRatioMode.KeepAspectRatio)
    painter.end()
    if not image.save(os.fspath(target), "PNG"):
        raise OSError(f"could not write the PNG image {target}")


def _write_svg(scene: QGraphicsScene, bounds: QRectF, target: Path, title: str) -> None:
    generator = QSvgGenerator()
    generator.setFileName(os.fspath(target))
    generator.setSize(QSize(round(bounds.width()), round(bounds.height())))
    generator.setViewBox(QRectF(0, 0, bounds.width(), bounds.height()))
    generator.setTitle(title)
    generator.setDescription("A Layerboard model graph")
    painter = QPainter(generator)
    painter.fillRect(QRectF(0, 0, bounds.width(), bounds.height()), style.CANVAS_BACKGROUND)
    painter.setRenderHints(QPainter.RenderHint.Antialiasing | QPainter.RenderHint.TextAntialiasing)
    scene.render(painter, QRectF(0, 0, bounds.width(), bounds.height()), bounds, Qt.AspectRatioMode.KeepAspectRatio)
    painter.end()
