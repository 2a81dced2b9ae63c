"""View ▸ Theme: dark and light reach the widgets' palette, the canvas (view and painted nodes), the plots and the
coloured stylesheets; the choice is remembered; "System" follows Qt's colour scheme and its changes."""
from __future__ import annotations

import pytest
from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QGuiApplication, QImage, QPainter, QPalette
from PySide6.QtWidgets import QApplication, QLabel

from ui import style, theme
from ui.app_settings import app_settings
from ui.controllers.theme_actions import ThemeActions


@pytest.fixture(autouse=True)
def light_afterwards():
    """Whatever a test switches to, the next test starts light (the colours and the palette are app-wide)."""
    yield
    theme.apply_theme(False)


def choose(window, label: str) -> None:
    """Pick View ▸ Theme ▸ `label` the way the menu does: trigger its action."""
    view_menu = next(a.menu() for a in window.menuBar().actions() if a.text() == "&View")
    theme_menu = next(a.menu() for a in view_menu.actions() if a.text() == "&Theme")
    next(a for a in theme_menu.actions() if a.text().replace("&", "") == label).trigger()


def node_body_pixel(window) -> QColor:
    """The scene rendered around its first node; the colour at a point inside that node's body."""
    item = next(iter(window.scene.node_items.values()))
    box = item.mapRectToScene(QRectF(0, 0, style.NODE_WIDTH, style.NODE_HEIGHT))
    image = QImage(int(box.width()), int(box.height()), QImage.Format.Format_ARGB32)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    window.scene.render(painter, QRectF(image.rect()), box)
    painter.end()
    return image.pixelColor(4, int(style.NODE_HEIGHT) - 12)  # left of the text, below the header


def plot_colours(window) -> tuple[QColor, QColor]:
    """The background of the training plots and the tick-text colour of the runs panel's loss plot."""
    background = window.training_panel.plots.canvas.backgroundBrush()
    return background.color(), window.runs_panel.loss_plot.getAxis("left").textPen().color()


def test_dark_and_back_to_light_reach_widgets_canvas_and_plots(window, qtbot):
    assert window.theme_actions.choice == theme.SYSTEM and not window.theme_actions.dark  # offscreen: no scheme
    light_body = node_body_pixel(window)
    assert light_body.lightness() > 230
    error_label = QLabel("broken", window)
    error_label.setStyleSheet(style.text_style(style.ERROR))
    light_error = style.ERROR.name()

    choose(window, "Dark")

    assert window.theme_actions.choice == theme.DARK and style.is_dark()
    assert QApplication.palette().color(QPalette.ColorRole.Window).lightness() < 70
    assert QApplication.palette().color(QPalette.ColorRole.WindowText).lightness() > 200
    assert window.view.backgroundBrush().color() == style.CANVAS_BACKGROUND
    assert window.view.backgroundBrush().color().lightness() < 50
    assert node_body_pixel(window).lightness() < 80
    plot_background, tick_text = plot_colours(window)
    assert plot_background.lightness() < 50 and tick_text.lightness() > 150
    assert window.runs_panel.loss_plot.backgroundBrush().color().lightness() < 50
    assert style.ERROR.name() != light_error and style.ERROR.name() in error_label.styleSheet()

    choose(window, "Light")

    assert window.theme_actions.choice == theme.LIGHT and not style.is_dark()
    assert QApplication.palette().color(QPalette.ColorRole.Window).lightness() > 200
    assert window.view.backgroundBrush().color().name() == "#f3f4f7"
    assert node_body_pixel(window) == light_body
    plot_background, tick_text = plot_colours(window)
    assert plot_background.name() == "#ffffff" and tick_text.lightness() < 120
    assert light_error in error_label.styleSheet()


def test_the_choice_is_remembered(window):
    window.theme_actions.set_choice(theme.DARK)
    assert app_settings().value(theme.SETTINGS_KEY) == theme.DARK

    again = ThemeActions(window)  # as the next start of the app makes it

    assert again.choice == theme.DARK and again.dark and again.actions[theme.DARK].isChecked()
    assert not again.actions[theme.SYSTEM].isChecked()
    again.set_choice(theme.SYSTEM)
    assert ThemeActions(window).choice == theme.SYSTEM


def test_system_follows_the_colour_scheme_and_its_changes(window):
    assert theme.scheme_is_dark(Qt.ColorScheme.Dark)
    assert not theme.scheme_is_dark(Qt.ColorScheme.Light) and not theme.scheme_is_dark(Qt.ColorScheme.Unknown)
    assert theme.choice_is_dark(theme.SYSTEM, system_dark=True) and not theme.choice_is_dark(theme.SYSTEM, False)
    assert not theme.choice_is_dark(theme.LIGHT, system_dark=True) and theme.choice_is_dark(theme.DARK, False)
    hints = QGuiApplication.styleHints()

    hints.colorSchemeChanged.emit(Qt.ColorScheme.Dark)  # what Qt says when the user turns the system dark
    assert style.is_dark() and window.view.backgroundBrush().color().lightness() < 50

    hints.colorSchemeChanged.emit(Qt.ColorScheme.Light)
    assert not style.is_dark()

    window.theme_actions.set_choice(theme.LIGHT)  # an explicit choice outranks the system
    hints.colorSchemeChanged.emit(Qt.ColorScheme.Dark)
    assert not style.is_dark()


def test_recoloured_swaps_only_theme_colours():
    swaps = {"#d93025": "#ff6b61"}
    assert theme.recoloured("color: #D93025; border: 1px solid #123456;", swaps) == \
        "color: #ff6b61; border: 1px solid #123456;"


def test_each_stylesheet_colour_is_one_name_in_each_theme():
    """A stylesheet's '#rrggbb' is swapped by value, so no two such names may share a value in either table."""
    for column in (0, 1):
        values = [style.COLOURS[name][column].lower() for name in theme.STYLESHEET_COLOURS]
        assert len(set(values)) == len(values), values
