"""Sizes, colours and fonts of the canvas and the panels, in one place so they agree with each other.

The colours come in a light and a dark table. Each name (`style.WIRE`, `style.NODE_BODY`…) is one QColor object
for the life of the program: `set_dark` rewrites those objects in place, so whatever paints with `style.WIRE`
paints in the new theme's colour on its next paint. Whoever copied a colour (a QBrush, a stylesheet string) hears
of the change through `on_theme_changed`. `ui/theme.py` applies a theme to the running application.
"""
from __future__ import annotations

import functools
import weakref
from collections.abc import Callable

from PySide6.QtGui import QColor, QFont, QFontDatabase, QGuiApplication, QPixmap

from builder import blocks
from builder.graph import NODE_HEIGHT, NODE_WIDTH  # the canvas draws nodes the size the engine lays them out

HEADER_HEIGHT = 22.0
CORNER_RADIUS = 8.0
PORT_RADIUS = 5.5

# name: (light, dark). "#rrggbbaa" has an alpha. Texts on a body or on the canvas keep a contrast of 4.5:1 or more.
COLOURS: dict[str, tuple[str, str]] = {
    # the canvas
    "CANVAS_BACKGROUND": ("#f3f4f7", "#1c1e23"),
    "GRID_DOT": ("#d5d9e0", "#363b45"),
    "NODE_BODY": ("#ffffff", "#2a2e36"),
    "NODE_BORDER": ("#c3c9d4", "#4a505c"),
    "NODE_SHADOW": ("#0000001c", "#00000066"),
    "HEADER_TEXT": ("#ffffff", "#ffffff"),  # a node's title on its category colour
    "HEADER_MUTED_TEXT": ("#ffffffd7", "#ffffffd7"),  # the node's id beside its title
    "PORT_FILL": ("#ffffff", "#2a2e36"),
    "SELECTED": ("#2f7cf6", "#5b9bff"),
    "TEXT": ("#1f2430", "#e4e7ed"),
    "MUTED_TEXT": ("#6b7280", "#9aa3b2"),
    "ERROR": ("#d93025", "#ff6b61"),
    "ERROR_BODY": ("#fdecea", "#3d2224"),
    "BLOCKED": ("#e8910c", "#f0a43a"),
    "BLOCKED_BODY": ("#fff6e6", "#3a2f1c"),
    "BLOCKED_TEXT": ("#a2650a", "#f5b45a"),  # a blocked node's message (BLOCKED itself is too light to read)
    "WIRE": ("#6b7385", "#8e97a9"),
    "WIRE_DRAFT": ("#2f7cf6", "#5b9bff"),
    "SUCCESS": ("#2b8a3e", "#5fcf7a"),
    "WARNING": ("#c77700", "#f5ab45"),
    "BADGE_GOOD": ("#2b8a3e", "#5fcf7a"),  # TFLite badges
    "BADGE_WARN": ("#c77700", "#f0a43a"),
    "PASS_FILL": ("#1b7f3b", "#1b7f3b"),  # export check cells, white text on them in both themes
    "FAIL_FILL": ("#b3261e", "#b3261e"),
    # plots and drawn samples
    "PLOT_BACKGROUND": ("#ffffff", "#1f2126"),
    "PLOT_TEXT": ("#1f2430", "#e4e7ed"),  # titles, axis labels, legends
    "PLOT_TICK_TEXT": ("#4b5563", "#aab2c0"),
    "PLOT_AXIS": ("#9ca3af", "#5f6776"),
    "PLOT_FRAME": ("#d5d9e0", "#3a3f49"),  # the border of a drawn sample
    "PLOT_LEGEND_FILL": ("#ffffffbe", "#1f2126be"),
    "PLOT_CURSOR": ("#1f24305a", "#e4e7ed5a"),
    "PLOT_ZERO_LINE": ("#9ca3af", "#6b7385"),
    "HEAT_LOW": ("#ffffff", "#1f2126"),  # the confusion matrix's empty cell; its full cell is HEAT_HIGH
    "HEAT_HIGH": ("#1f5fc8", "#3d7eea"),
    "DROP_FRAME": ("#c3c9d4", "#4a505c"),  # the dashed frame of a drop target
}

# The widgets' palette (QPalette roles, for the Fusion style): active/inactive, then disabled where it differs.
WIDGET_COLOURS: dict[str, tuple[str, str]] = {
    "Window": ("#efefef", "#2b2d31"),
    "WindowText": ("#1f2430", "#e4e7ed"),
    "Base": ("#ffffff", "#1f2126"),
    "AlternateBase": ("#f5f6f8", "#272a30"),
    "ToolTipBase": ("#ffffdc", "#3a3e46"),
    "ToolTipText": ("#1f2430", "#e4e7ed"),
    "PlaceholderText": ("#8a919e", "#7d8595"),
    "Text": ("#1f2430", "#e4e7ed"),
    "Button": ("#efefef", "#33363c"),
    "ButtonText": ("#1f2430", "#e4e7ed"),
    "BrightText": ("#ffffff", "#ffffff"),
    "Light": ("#ffffff", "#464a52"),
    "Midlight": ("#cacaca", "#3b3e45"),
    "Mid": ("#b8b8b8", "#2a2c31"),
    "Dark": ("#9f9f9f", "#1c1d21"),
    "Shadow": ("#767676", "#101114"),
    "Highlight": ("#308cc6", "#2f6fd0"),
    "HighlightedText": ("#ffffff", "#ffffff"),
    "Link": ("#1a5fd0", "#79aaff"),
    "LinkVisited": ("#7048e8", "#b197fc"),
}
DISABLED_WIDGET_COLOURS: dict[str, tuple[str, str]] = {
    "WindowText": ("#a0a4ab", "#6c717b"),
    "Text": ("#a0a4ab", "#6c717b"),
    "ButtonText": ("#a0a4ab", "#6c717b"),
    "Base": ("#efefef", "#26282d"),
    "Highlight": ("#919191", "#4a4d54"),
}

def _colour(text: str) -> QColor:
    """'#rrggbb' or '#rrggbbaa' (CSS order; QColor reads 8 digits as #aarrggbb)."""
    colour = QColor(text[:7])
    if len(text) == 9:
        colour.setAlpha(int(text[7:], 16))
    return colour


CANVAS_BACKGROUND = _colour(COLOURS["CANVAS_BACKGROUND"][0])
GRID_DOT = _colour(COLOURS["GRID_DOT"][0])
NODE_BODY = _colour(COLOURS["NODE_BODY"][0])
NODE_BORDER = _colour(COLOURS["NODE_BORDER"][0])
NODE_SHADOW = _colour(COLOURS["NODE_SHADOW"][0])
HEADER_TEXT = _colour(COLOURS["HEADER_TEXT"][0])
HEADER_MUTED_TEXT = _colour(COLOURS["HEADER_MUTED_TEXT"][0])
PORT_FILL = _colour(COLOURS["PORT_FILL"][0])
SELECTED = _colour(COLOURS["SELECTED"][0])
TEXT = _colour(COLOURS["TEXT"][0])
MUTED_TEXT = _colour(COLOURS["MUTED_TEXT"][0])
ERROR = _colour(COLOURS["ERROR"][0])
ERROR_BODY = _colour(COLOURS["ERROR_BODY"][0])
BLOCKED = _colour(COLOURS["BLOCKED"][0])
BLOCKED_BODY = _colour(COLOURS["BLOCKED_BODY"][0])
BLOCKED_TEXT = _colour(COLOURS["BLOCKED_TEXT"][0])
WIRE = _colour(COLOURS["WIRE"][0])
WIRE_DRAFT = _colour(COLOURS["WIRE_DRAFT"][0])
SUCCESS = _colour(COLOURS["SUCCESS"][0])
WARNING = _colour(COLOURS["WARNING"][0])
BADGE_GOOD = _colour(COLOURS["BADGE_GOOD"][0])
BADGE_WARN = _colour(COLOURS["BADGE_WARN"][0])
PASS_FILL = _colour(COLOURS["PASS_FILL"][0])
FAIL_FILL = _colour(COLOURS["FAIL_FILL"][0])
PLOT_BACKGROUND = _colour(COLOURS["PLOT_BACKGROUND"][0])
PLOT_TEXT = _colour(COLOURS["PLOT_TEXT"][0])
PLOT_TICK_TEXT = _colour(COLOURS["PLOT_TICK_TEXT"][0])
PLOT_AXIS = _colour(COLOURS["PLOT_AXIS"][0])
PLOT_FRAME = _colour(COLOURS["PLOT_FRAME"][0])
PLOT_LEGEND_FILL = _colour(COLOURS["PLOT_LEGEND_FILL"][0])
PLOT_CURSOR = _colour(COLOURS["PLOT_CURSOR"][0])
PLOT_ZERO_LINE = _colour(COLOURS["PLOT_ZERO_LINE"][0])
HEAT_LOW = _colour(COLOURS["HEAT_LOW"][0])
HEAT_HIGH = _colour(COLOURS["HEAT_HIGH"][0])
DROP_FRAME = _colour(COLOURS["DROP_FRAME"][0])

# Line and bar colours of plots and drawn samples: saturated mid tones that read on white and on PLOT_BACKGROUND.
SERIES_COLOURS = ("#2f7cf6", "#e8590c", "#0c9f7a", "#c2255c", "#845ef7", "#e67700", "#1098ad", "#868e96",
                  "#2b8a3e", "#ae3ec9")
TRAIN_COLOUR, VALIDATION_COLOUR, TEST_COLOUR = "#2f7cf6", "#e8590c", "#868e96"

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
    "Project blocks": QColor("#5f3dc4"),
}
FALLBACK_COLOUR = QColor("#495057")

_dark = False
_listeners: list[weakref.ref] = []


def is_dark() -> bool:
    """Whether the dark table is in use."""
    return _dark


def colour_table(dark: bool) -> dict[str, QColor]:
    """Every named colour of one theme, as new QColors (the module's own objects are not handed out)."""
    return {name: _colour(pair[1 if dark else 0]) for name, pair in COLOURS.items()}


def set_dark(dark: bool) -> None:
    """Switch every named colour to the dark or the light table, in place, then tell the listeners."""
    global _dark
    _dark = bool(dark)
    namespace = globals()
    for name, colour in colour_table(_dark).items():
        namespace[name].setRgba(colour.rgba())
    for ref in list(_listeners):
        callback = ref()
        if callback is None:
            _listeners.remove(ref)
            continue
        try:
            callback()
        except RuntimeError:  # a Qt object whose C++ side is gone
            _listeners.remove(ref)


def on_theme_changed(callback: Callable[[], None]) -> None:
    """Call `callback()` after each `set_dark`. Bound methods are held weakly: a listener that goes away is
    dropped, and no listener is kept alive by this list."""
    ref = weakref.WeakMethod(callback) if hasattr(callback, "__self__") else weakref.ref(callback)
    _listeners.append(ref)


def css(colour: QColor) -> str:
    """A colour for a stylesheet or HTML: #rrggbb, or rgba() when it is translucent."""
    if colour.alpha() == 255:
        return colour.name()
    return f"rgba({colour.red()}, {colour.green()}, {colour.blue()}, {colour.alpha()})"


def text_style(colour: QColor) -> str:
    """A stylesheet that colours a label's text (read at the call, so it is in the theme of that moment)."""
    return f"color: {css(colour)};"


@functools.lru_cache(maxsize=None)
def _categories() -> dict[str, str]:
    return {block_type: category for category, block_types in blocks.palette().items() for block_type in block_types}


def category_of(block_type: str) -> str:
    return _categories().get(block_type, "")


def category_colour(block_type_or_category: str) -> QColor:
    category = _categories().get(block_type_or_category, block_type_or_category)
    return CATEGORY_COLOURS.get(category, FALLBACK_COLOUR)


def device_pixel_ratio() -> float:
    """The screen's device pixels per logical pixel (2 on most high-DPI screens; 1 without a screen)."""
    app = QGuiApplication.instance()
    return float(app.devicePixelRatio()) if app is not None else 1.0


def crisp_pixmap(width: int, height: int) -> QPixmap:
    """A pixmap of `width` x `height` logical pixels with one pixel per device pixel, so what is painted on it
    stays sharp on a high-DPI screen; paint on it in logical coordinates."""
    ratio = device_pixel_ratio()
    pixmap = QPixmap(round(width * ratio), round(height * ratio))
    pixmap.setDevicePixelRatio(ratio)
    return pixmap


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
