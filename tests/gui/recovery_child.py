"""The app as a child process for tests/gui/test_recovery_gui.py's kill test (not a test module itself).

`python tests/gui/recovery_child.py edit PROJECT N`: starts the app as `python main.py PROJECT` does (ui.app.main),
adds N Dense blocks through the window's edit actions without saving, and prints `edited <ids as JSON>` once the
autosave has written them; then it idles until it is killed.

`python tests/gui/recovery_child.py restore`: starts the app as `python main.py` does, presses Restore in the
start-up offer, prints `restored <JSON: nodes, path, dirty, modified mark>` and exits at once.
"""
from __future__ import annotations

import json
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from PySide6.QtCore import Qt, QTimer  # noqa: E402
from PySide6.QtTest import QTest  # noqa: E402
from PySide6.QtWidgets import QApplication, QMessageBox  # noqa: E402

from ui.app import main  # noqa: E402
from ui.main_window import MainWindow  # noqa: E402


def the_window() -> MainWindow | None:
    return next((w for w in QApplication.topLevelWidgets() if isinstance(w, MainWindow)), None)


def say(line: str) -> None:
    print(line, flush=True)


def edit(count: int) -> None:
    window = the_window()
    added = []

    def on_autosaved(_path) -> None:
        if added and all(i in window.document.graph.nodes for i in added):
            say("edited " + json.dumps(added))

    window.recovery_actions.autosaved.connect(on_autosaved)
    for _ in range(count):
        window.edit_actions.add_node_at_view_centre("Dense")  # what a double-click in the palette does
        added.append(window.scene.selected_node_ids()[0])


def restore(tries: int = 400) -> None:
    window = the_window()
    boxes = [b for b in window.findChildren(QMessageBox) if b.isVisible()] if window else []
    buttons = [b for box in boxes for b in box.buttons() if b.text() == "Restore"]
    if not buttons:
        if not tries:
            say("no offer to restore")
            os._exit(1)
        QTimer.singleShot(50, lambda: restore(tries - 1))  # the offer comes once the event loop runs
        return
    QTest.mouseClick(buttons[0], Qt.MouseButton.LeftButton)
    document = window.document
    say("restored " + json.dumps({"nodes": sorted(document.graph.nodes), "path": str(document.path),
                                  "dirty": document.dirty, "modified": window.isWindowModified(),
                                  "title": window.windowTitle()}))
    os._exit(0)  # the test needs nothing more; Keras may still be loading on its thread


if __name__ == "__main__":
    mode = sys.argv[1]
    app = QApplication(sys.argv[:1])
    if mode == "edit":
        QTimer.singleShot(0, lambda: edit(int(sys.argv[3])))
        main([sys.argv[2]])
    else:
        QTimer.singleShot(0, restore)
        main([])
