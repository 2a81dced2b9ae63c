"""Start-up: the window first (no Keras on this path), then Keras loads on a background thread."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from PySide6.QtCore import QEvent, QObject, QTimer, Slot
from PySide6.QtWidgets import QApplication, QMessageBox, QWidget

from builder.errors import LayerboardError
from builder.project import add_recent_file
from ui import theme
from ui.app_settings import gallery_at_start
from ui.document import Document
from ui.main_window import MainWindow
from ui.message_box import show_message


def _parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="layerboard", description="Draw, train and export a Keras model.")
    parser.add_argument("project", nargs="?", help="a project file to open (default: the digits_cnn template)")
    # For docs/screenshot.png: save the window once Keras is loaded and the shapes shown, then quit.
    parser.add_argument("--screenshot", metavar="PNG", help=argparse.SUPPRESS)
    return parser.parse_args(argv)


class _Screenshot(QObject):
    """Grabs the window once the engine is ready and the first shape report has been drawn."""

    def __init__(self, window: MainWindow, path: Path) -> None:
        super().__init__(window)
        self._window = window
        self._path = path
        window.engine.ready.connect(self._on_ready)
        window.engine.failed.connect(self._grab)

    @Slot()
    def _on_ready(self) -> None:
        # Show the inspector at work: the first convolution (or the first node) selected.
        items = self._window.scene.node_items.values()
        chosen = next((i for i in items if i.block_type == "Conv2D"), next(iter(items), None))
        if chosen is not None:
            chosen.setSelected(True)
        # Let the zero-timer shape run and the repaint it triggers happen first.
        QTimer.singleShot(500, self._grab)

    @Slot()
    def _grab(self) -> None:
        self._path.parent.mkdir(parents=True, exist_ok=True)
        self._window.grab().save(str(self._path))
        self._window.close()


def offer_at_start(window: MainWindow) -> QWidget | None:
    """What the app offers once its window is up without a project named on the command line: the restore of what a
    crash left if there is any, else the template gallery (unless its "Show at start" is off), over the default
    project. Returns the dialog shown, if any. MainWindow itself never shows either: tests and scripts make windows
    without them."""
    box = window.recovery_actions.offer_restore()
    if box is not None or not gallery_at_start():
        return box
    return window.file_actions.show_gallery()


def dispose(window: QWidget) -> None:
    """Delete the window (and its plots) now, while QApplication still exists: left to the interpreter's exit,
    pyqtgraph's items were sometimes torn down after Qt and the process ended with a segmentation fault."""
    window.deleteLater()
    QApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)


def main(argv: list[str] | None = None) -> int:
    args = _parse(sys.argv[1:] if argv is None else argv)
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("Layerboard")
    app.setOrganizationName("Layerboard")
    theme.apply_theme(theme.choice_is_dark(theme.saved_choice()))  # Fusion, light or dark, before any widget

    document, problem = None, None
    if args.project:
        try:
            document = Document.from_file(args.project)
        except LayerboardError as exc:
            problem = str(exc)
        else:
            try:
                add_recent_file(args.project)  # opened from the command line: in File ▸ Open Recent too
            except (LayerboardError, OSError):
                pass  # a list that cannot be written costs only this entry
    window = MainWindow(document)
    window.show()
    if problem:
        show_message(window, QMessageBox.Icon.Warning, "Cannot open project",
                     f"{problem}\n\nThe digits_cnn template is open instead.")
    if args.screenshot:
        _Screenshot(window, Path(args.screenshot))
    elif args.project:  # after a crash, the offer to restore unsaved work (window-modal, not blocking)
        QTimer.singleShot(0, window.recovery_actions.offer_restore)
    else:  # that offer, else the template gallery (never in a screenshot run)
        QTimer.singleShot(0, lambda: offer_at_start(window))
    # Start the slow import only once the event loop runs, so the window paints first.
    QTimer.singleShot(0, window.start_engine)
    code = app.exec()
    dispose(window)
    return code


if __name__ == "__main__":
    sys.exit(main())
