"""The small TFLite pill a node shows when compatibility badges are on: what it says, its colour, its tooltip."""
from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QPainter

from ui import style

GOOD = style.BADGE_GOOD  # the same QColor objects: badges follow the theme
WARN = style.BADGE_WARN
BAD = style.ERROR


@dataclass(frozen=True)
class Badge:
    text: str
    colour: QColor
    tooltip: str  # one line for the node's tooltip


def badge_for(result) -> Badge | None:
    """A BlockCompatibility -> its badge; None (nothing drawn) for skipped blocks or no answer."""
    if result is None or result.status == "skipped":
        return None
    detail = f": {result.message}" if result.message else ""
    if result.status == "unsupported":
        return Badge("✕ TFLite", BAD, f"TFLite: cannot convert{detail}")
    if result.status == "select_tf_ops":
        return Badge("Flex", WARN, f"TFLite: needs the select-TF-ops (Flex) runtime{detail}")
    if result.quantized is None:
        return Badge("TFLite", GOOD, f"TFLite: built-in operators{detail}")
    if result.quantized:
        return Badge("int8", GOOD, f"TFLite int8: built-in, runs in int8{detail}")
    return Badge("no int8", WARN, f"TFLite int8: built-in, but does not run in int8{detail}")


def badge_font() -> QFont:
    font = QFont(style.small_font())
    font.setPointSizeF(7.5)
    font.setBold(True)
    return font


def badge_width(badge: Badge) -> float:
    return QFontMetricsF(badge_font()).horizontalAdvance(badge.text) + 10.0


def paint_badge(painter: QPainter, badge: Badge, right: float, centre_y: float) -> QRectF:
    """A rounded pill whose right edge is at `right`: tinted fill, coloured outline and text."""
    height = QFontMetricsF(badge_font()).height() + 2.0
    rect = QRectF(right - badge_width(badge), centre_y - height / 2, badge_width(badge), height)
    fill = QColor(badge.colour)
    fill.setAlpha(28)
    outline = QColor(badge.colour)
    outline.setAlpha(150)
    painter.setPen(outline)
    painter.setBrush(fill)
    painter.drawRoundedRect(rect, height / 2, height / 2)
    painter.setFont(badge_font())
    painter.setPen(badge.colour)
    painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, badge.text)
    return rect
