"""What every docs/make_*_screenshot.py script needs: the app with its preferences in a temporary folder (never the
user's remembered theme or dock layout), a theme, a window, and a PNG of the window (or of the whole screen, to
catch a popup menu). Run the scripts under `xvfb-run -a -s "-screen 0 1600x1000x24"`."""
from __future__ import annotations

import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from PySide6.QtCore import QEventLoop, QSettings, QTimer  # noqa: E402
from PySide6.QtWidgets import QApplication, QWidget  # noqa: E402

# Imported, this module already points the app's preferences at a temporary folder: a screenshot never shows (nor
# changes) the user's remembered theme or dock layout.
QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, tempfile.mkdtemp(prefix="layerboard-settings-"))


def wait_for(signal, timeout_ms: int = 60_000) -> None:
    """Run the event loop until `signal` is emitted (or `timeout_ms` passes)."""
    loop = QEventLoop()
    signal.connect(loop.quit)
    QTimer.singleShot(timeout_ms, loop.quit)
    loop.exec()


def application(theme_choice: str = "light") -> QApplication:
    """The QApplication (its settings in the temporary folder), the theme applied."""
    from ui import theme

    app = QApplication.instance() or QApplication(sys.argv[:1])
    theme.save_choice(theme_choice)
    theme.apply_theme(theme.choice_is_dark(theme_choice))
    return app


def save_png(widget: QWidget | None, target: str | Path) -> Path:
    """Grab `widget` (None: the whole screen, popups included) into `target`."""
    app = QApplication.instance()
    app.processEvents()
    pixmap = widget.grab() if widget is not None else app.primaryScreen().grabWindow(0)
    target = Path(target)
    if not pixmap.save(str(target)):
        raise SystemExit(f"could not write {target}")
    print(f"wrote {target}")
    return target
