"""View ▸ Theme: System (follow the system's light or dark scheme, live), Light or Dark, remembered across runs."""
from __future__ import annotations

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtGui import QAction, QActionGroup, QGuiApplication
from PySide6.QtWidgets import QWidget

from ui import theme
from ui.controllers.window_controller import WindowController


class ThemeActions(WindowController):
    """Applies the saved choice when made; `group` holds the menu's three checkable actions."""

    themeChanged = Signal(str)  # the choice: "system", "light" or "dark"

    def __init__(self, window: QWidget) -> None:
        super().__init__(window)
        self.choice = theme.saved_choice()
        self.group = QActionGroup(self)
        self.actions: dict[str, QAction] = {}
        for choice, text in theme.CHOICES.items():
            action = QAction(text, self, checkable=True)
            action.setData(choice)
            self.group.addAction(action)
            self.actions[choice] = action
        self.actions[theme.SYSTEM].setToolTip("Light or dark as the system is, following it when it changes")
        self.actions[self.choice].setChecked(True)
        self.group.triggered.connect(self._on_triggered)
        QGuiApplication.styleHints().colorSchemeChanged.connect(self._on_system_scheme_changed)
        if theme.applied_dark() != self.dark:  # the app applies the saved theme before the first window
            self._apply()

    @property
    def dark(self) -> bool:
        """Whether the window is dark now."""
        return theme.choice_is_dark(self.choice)

    def set_choice(self, choice: str) -> None:
        """Use and remember "system", "light" or "dark"."""
        theme.save_choice(choice)
        self.choice = choice
        self.actions[choice].setChecked(True)
        self._apply()
        self.themeChanged.emit(choice)
        self.status.emit(f"Theme: {theme.CHOICES[choice].replace('&', '')}"
                         + (f" ({'dark' if self.dark else 'light'} now)." if choice == theme.SYSTEM else "."))

    def _apply(self) -> None:
        theme.apply_theme(self.dark)

    @Slot(QAction)
    def _on_triggered(self, action: QAction) -> None:
        self.set_choice(action.data())

    @Slot(Qt.ColorScheme)
    def _on_system_scheme_changed(self, scheme: Qt.ColorScheme) -> None:
        if self.choice == theme.SYSTEM:
            theme.apply_theme(theme.scheme_is_dark(scheme))

