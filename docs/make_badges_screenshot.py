"""Screenshot of the shapes_cnn template with View > TFLite compatibility > TFLite int8 on: a badge per block.

Usage: xvfb-run -a python docs/make_badges_screenshot.py docs/screenshot-tflite-badges.png
(the first run converts every block once, ~10 s; answers are cached in ~/.cache/layerboard/)
"""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
import screenshot_window  # noqa: E402,F401 - the app's preferences in a temporary folder, not the user's
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

app = QApplication([])
app.setStyle("Fusion")
from ui.document import Document  # noqa: E402
from ui.main_window import MainWindow  # noqa: E402

w = MainWindow(Document.from_file(Path(__file__).resolve().parent.parent / "templates" / "shapes_cnn.json"))
w.resize(1400, 900)
w.show()
w.badge_actions.set_target("tflite-int8")
w.start_engine()


def done(results):
    if results:
        w.view.fit_graph()
        QTimer.singleShot(500, lambda: (w.grab().save(sys.argv[1]), app.quit()))


w.document.compatibility.resultsChanged.connect(done)
QTimer.singleShot(180000, app.quit)
app.exec()
w.document.undo_stack.setClean()
w.shutdown()
