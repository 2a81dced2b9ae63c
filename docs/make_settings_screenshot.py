"""Screenshot of the training-settings panel's form (shapes_cnn template, Keras loaded): the optimizer group with
the template's cosine schedule (unset settings show the engine's defaults), early stopping on, augmentation open, the other groups folded.

Usage: xvfb-run -a -s "-screen 0 1600x1000x24" python docs/make_settings_screenshot.py docs/screenshot-settings.png
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
w.resize(1400, 1000)
w.show()
w.start_engine()
panel = w.settings_panel


def shoot(_report=None):
    w.document.shapes.reportChanged.disconnect(shoot)
    dock = panel.parentWidget()
    dock.raise_()
    dock.show()
    panel.rows["early_stopping"].editor.on.click()  # switched on: patience 5
    panel.sections["Callbacks"].set_open(True)
    rate = panel.rows["learning_rate"].editor.edit
    rate.setText("0")  # refused: marked with the engine's words, not pushed
    rate.textEdited.emit("0")
    panel.sections["Basics"].set_open(False)
    panel.sections["Augmentation"].set_open(True)
    form = panel.scroll.widget()  # the whole form, not only what the dock's height shows
    QTimer.singleShot(400, lambda: (form.grab().save(sys.argv[1]), app.quit()))


w.document.shapes.reportChanged.connect(shoot)
QTimer.singleShot(120000, app.quit)
app.exec()
w.document.undo_stack.setClean()
w.shutdown()
