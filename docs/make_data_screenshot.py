"""Save a screenshot of the data panel: the digits template with its last layer set to 4 units, so the panel shows
the dataset's summary, class chart, samples and one mismatch with its Fix button.

Usage (needs a display, e.g. under xvfb-run -a -s "-screen 0 1600x1000x24"):
    python docs/make_data_screenshot.py docs/screenshot-data.png
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
import screenshot_window  # noqa: E402,F401 - the app's preferences in a temporary folder, not the user's

PANEL_WIDTH = 330


def _wait(app, done, seconds: float = 120.0) -> None:
    end = time.monotonic() + seconds
    while not done() and time.monotonic() < end:
        app.processEvents()
        time.sleep(0.02)
    if not done():
        raise SystemExit("the data panel did not finish loading")


def main(target: str) -> int:
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QApplication

    from ui.main_window import MainWindow

    app = QApplication(sys.argv[:1])
    window = MainWindow()
    window.show()
    window.start_engine()
    panel = window.data_panel
    _wait(app, lambda: window.document.shapes.report is not None and panel.summary is not None)
    window.document.graph.set_param("digit", "units", 4)  # a mismatch to show
    _wait(app, lambda: bool(panel.fix_buttons()))
    dock = panel.parentWidget()
    dock.raise_()
    window.resizeDocks([dock], [PANEL_WIDTH], Qt.Orientation.Horizontal)
    for _ in range(20):
        app.processEvents()
    panel.scroll_area.widget().grab().save(target)  # the whole scrolled content, at the dock's width
    window.document.undo_stack.setClean()
    window.close()
    print(f"saved {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else str(Path(__file__).with_name("screenshot-data.png"))))
