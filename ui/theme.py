"""The light or dark look applied to the running application: the Fusion style with a palette from
`style.WIDGET_COLOURS`, the named colours of `style` switched in place, pyqtgraph's defaults, and every open
view, plot and coloured stylesheet brought up to date. Also where the user's choice (system, light, dark) is kept.
"""
from __future__ import annotations

import re

import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication, QGraphicsView, QLabel

from ui import style
from ui.app_settings import app_settings

SYSTEM, LIGHT, DARK = "system", "light", "dark"
CHOICES = {SYSTEM: "&System", LIGHT: "&Light", DARK: "&Dark"}  # View ▸ Theme, in menu order
SETTINGS_KEY = "view/theme"
# The named colours that stylesheets and rich-text labels carry as text ("color: #d93025;"): a theme switch
# rewrites them in every open widget, as those copies do not follow the QColor objects.
STYLESHEET_COLOURS = ("ERROR", "MUTED_TEXT", "TEXT", "SUCCESS", "WARNING", "BLOCKED", "BLOCKED_TEXT", "SELECTED",
                      "PLOT_TICK_TEXT", "DROP_FRAME", "PLOT_BACKGROUND")
_HEX = re.compile(r"#[0-9a-fA-F]{6}\b")


def saved_choice() -> str:
    """The theme the user chose last: "system" (the default), "light" or "dark"."""
    value = app_settings().value(SETTINGS_KEY, SYSTEM)
    return value if value in CHOICES else SYSTEM


def save_choice(choice: str) -> None:
    if choice not in CHOICES:
        raise ValueError(f"unknown theme {choice!r}; choose one of {', '.join(CHOICES)}")
    app_settings().setValue(SETTINGS_KEY, choice)


def scheme_is_dark(scheme: Qt.ColorScheme) -> bool:
    """Qt's colour scheme -> dark or not (an unknown scheme, as on a bare X server, reads as light)."""
    return scheme == Qt.ColorScheme.Dark


def system_is_dark() -> bool:
    return scheme_is_dark(QGuiApplication.styleHints().colorScheme())


def choice_is_dark(choice: str, system_dark: bool | None = None) -> bool:
    """Whether `choice` means the dark theme now; "system" follows `system_dark` (default: the system's scheme)."""
    if choice == SYSTEM:
        return system_is_dark() if system_dark is None else system_dark
    return choice == DARK


def widget_palette(dark: bool) -> QPalette:
    """The widgets' palette of one theme, for the Fusion style (which draws the same on every platform)."""
    palette = QPalette()
    column = 1 if dark else 0
    for role, pair in style.WIDGET_COLOURS.items():
        palette.setColor(QPalette.ColorRole[role], QColor(pair[column]))
    for role, pair in style.DISABLED_WIDGET_COLOURS.items():
        palette.setColor(QPalette.ColorGroup.Disabled, QPalette.ColorRole[role], QColor(pair[column]))
    return palette


_applied: list[bool] = []  # the theme applied last (empty: none yet)


def applied_dark() -> bool | None:
    """Whether the theme applied last is dark; None before any."""
    return _applied[-1] if _applied else None


def apply_theme(dark: bool) -> None:
    """Light or dark, now, everywhere: widgets, the canvas, plots, and stylesheets that name a theme colour."""
    _applied[:] = [bool(dark)]
    app = QApplication.instance()
    if app.style().name().lower() != "fusion":
        app.setStyle("Fusion")
    before = {name: style.css(colour) for name, colour in style.colour_table(style.is_dark()).items()}
    app.setPalette(widget_palette(dark))
    style.set_dark(dark)  # the named colours change in place; then `style.on_theme_changed` listeners run
    pg.setConfigOptions(background=QColor(style.PLOT_BACKGROUND), foreground=QColor(style.PLOT_TEXT))
    swaps = {before[name].lower(): style.css(getattr(style, name)) for name in STYLESHEET_COLOURS
             if before[name].lower() != style.css(getattr(style, name)).lower()}
    for widget in app.allWidgets():
        if isinstance(widget, pg.GraphicsView):
            widget.setBackground(QColor(style.PLOT_BACKGROUND))
            for item in widget.scene().items():
                if isinstance(item, pg.PlotItem):
                    style_plot(item)
        elif isinstance(widget, QGraphicsView):  # the canvas (and any view of it): its brush holds a copy
            widget.setBackgroundBrush(style.CANVAS_BACKGROUND)
            if widget.scene() is not None:
                widget.scene().update()
            widget.viewport().update()
        if swaps:
            _recolour_text(widget, swaps)


def _recolour_text(widget, swaps: dict[str, str]) -> None:
    sheet = widget.styleSheet()
    if sheet and (new := recoloured(sheet, swaps)) != sheet:
        widget.setStyleSheet(new)
    if isinstance(widget, QLabel) and "<" in (text := widget.text()) and (new := recoloured(text, swaps)) != text:
        widget.setText(new)


def recoloured(text: str, swaps: dict[str, str]) -> str:
    """`text` with each '#rrggbb' that is a key of `swaps` replaced by its value (any letter case)."""
    return _HEX.sub(lambda match: swaps.get(match.group(0).lower(), match.group(0)), text)


def style_plot(plot: pg.PlotItem | pg.PlotWidget) -> None:
    """A plot in the theme's colours: background (of a widget), axes, tick text, axis labels, title, legend.
    Line colours are the plot's own (`style.SERIES_COLOURS` read on both themes)."""
    if isinstance(plot, pg.GraphicsView):
        plot.setBackground(QColor(style.PLOT_BACKGROUND))
    item = plot.getPlotItem() if isinstance(plot, pg.PlotWidget) else plot
    text = style.PLOT_TEXT.name()
    for name in ("left", "bottom", "right", "top"):
        axis = item.getAxis(name)
        axis.setPen(QColor(style.PLOT_AXIS))
        axis.setTextPen(QColor(style.PLOT_TICK_TEXT))
        axis.labelStyle = {**axis.labelStyle, "color": text}
        axis.label.setHtml(axis.labelString())
    title = item.titleLabel
    if title.text:
        title.setText(title.text, color=text)
    else:
        title.setAttr("color", text)
    legend = item.legend
    if legend is not None:
        legend.setBrush(QColor(style.PLOT_LEGEND_FILL))
        legend.setLabelTextColor(QColor(style.PLOT_TEXT))
        for _sample, label in legend.items:
            label.setText(label.text)
