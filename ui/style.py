"""Sizes, colours and fonts of the canvas and the panels, in one place so they agree with each other."""
from __future__ import annotations

import functools

from PySide6.QtGui import QColor, QFont, QFontDatabase

from builder import blocks

NODE_WIDTH = 220.0
NODE_HEIGHT = 60.0
HEADER_HEIGHT = 22.0
CORNER_RADIUS = 8.0
PORT_RADIUS = 5.5

CANVAS_BACKGROUND = QColor("#f3f4f7")
GRID_DOT = QColor("#d5d9e0")
NODE_BODY = QColor("#ffffff")
NODE_BORDER = QColor("#c3c9d4")
SELECTED = QColor("#2f7cf6")
TEXT = QColor("#1f2430")
MUTED_TEXT = QColor("#6b7280")
ERROR = QColor("#d93025")
ERROR_BODY = QColor("#fdecea")
BLOCKED = QColor("#e8910c")
BLOCKED_BODY = QColor("#fff6e6")
WIRE = QColor("#6b7385")
WIRE_DRAFT = QColor("#2f7cf6")

CATEGORY_COLOURS = {
    "Core": QColor("#4263eb"),
    "Convolution": QColor("#0c9f7a"),
    "Pooling": QColor("#1098ad"),
    "Normalization": QColor("#d9480f"),
    "Regularization": QColor("#c2255c"),
    "Reshaping": QColor("#7048e8"),
    "Merging": QColor("#e67700"),
    "Preprocessing": QColor("#5c677d"),
    "Recurrent": QColor("#2b8a3e"),
    "Attention": QColor("#9c36b5"),
    "Activations": QColor("#f08c00"),
    "Augmentation": QColor("#66758c"),
    "Applications": QColor("#364fc7"),
    "Blocks": QColor("#1864ab"),
    "My blocks": QColor("#0b7285"),
}
FALLBACK_COLOUR = QColor("#495057")


@functools.lru_cache(maxsize=None)
def _categories() -> dict[str, str]:
    return {block_type: category for category, block_types in blocks.palette().items() for block_type in block_types}


def category_of(block_type: str) -> str:
    return _categories().get(block_type, "")


def category_colour(block_type_or_category: str) -> QColor:
    category = _categories().get(block_type_or_category, block_type_or_category)
    return CATEGORY_COLOURS.get(category, FALLBACK_COLOUR)


@functools.lru_cache(maxsize=None)
def title_font() -> QFont:
    font = QFont()
    font.setPointSizeF(9.5)
    font.setBold(True)
    return font


@functools.lru_cache(maxsize=None)
def small_font() -> QFont:
    font = QFont()
    font.setPointSizeF(8.5)
    return font


@functools.lru_cache(maxsize=None)
def mono_font() -> QFont:
    font = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
    font.setPointSizeF(9.0)
    return font
