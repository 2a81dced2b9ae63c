"""Screenshot of the template gallery (File ▸ New from Template, and the start of the app) over the window.

Usage: xvfb-run -a -s "-screen 0 1600x1000x24" python docs/make_gallery_screenshot.py docs/gallery.png [--theme dark]
"""
from __future__ import annotations

import argparse
import time

from screenshot_window import application, save_png  # docs/ is the script's folder

from PySide6.QtCore import QEventLoop, QTimer  # noqa: E402


def wait_until(done, timeout_s: float = 90.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not done() and time.monotonic() < deadline:
        loop = QEventLoop()
        QTimer.singleShot(50, loop.quit)
        loop.exec()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("target")
    parser.add_argument("--theme", default="light", choices=("light", "dark"))
    args = parser.parse_args()
    application(args.theme)
    from ui.main_window import MainWindow

    window = MainWindow()
    window.resize(1600, 1000)
    window.show()
    window.start_engine()  # once Keras is loaded, cards the bench has not measured show the counted parameters
    wait_until(lambda: window.engine.is_ready)
    gallery = window.file_actions.show_gallery()
    wait_until(lambda: not gallery.cards.busy)
    save_png(gallery, args.target)
    gallery.reject()
    window.close()


if __name__ == "__main__":
    main()
