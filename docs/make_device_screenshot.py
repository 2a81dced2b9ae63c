"""Screenshots of the Device panel (the engine's doctor report) and of File > Export: the dialog on the earlier of two
runs of the digits project, read back in a new window, above the results table of a TFLite and a Python export.

Usage: xvfb-run -a -s "-screen 0 1600x1000x24" python docs/make_device_screenshot.py \\
           docs/screenshot-device.png docs/screenshot-export.png
(trains twice in a temporary folder, then exports twice: ~40 s)
"""
import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
import screenshot_window  # noqa: E402,F401 - the app's preferences in a temporary folder, not the user's
folder = Path(tempfile.mkdtemp(prefix="layerboard-export-"))
os.environ["LAYERBOARD_DATA_DIR"] = str(folder / "user_data")
DEVICE_PNG = sys.argv[1] if len(sys.argv) > 1 else "screenshot-device.png"
EXPORT_PNG = sys.argv[2] if len(sys.argv) > 2 else "screenshot-export.png"

from builder.project import load_template, save_project  # noqa: E402
from builder.training import Trainer  # noqa: E402

project = load_template("digits_cnn")
path = save_project(project, folder / "digits.json")
for epochs in (2, 3):
    Trainer(project, epochs=epochs).run()

from PySide6.QtCore import QPoint, Qt, QTimer  # noqa: E402
from PySide6.QtGui import QColor, QPainter, QPixmap  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

app = QApplication([])
app.setStyle("Fusion")
from ui.document import Document  # noqa: E402
from ui.main_window import MainWindow  # noqa: E402

window = MainWindow(Document.from_file(path))
window.resize(1500, 950)
window.show()
device = window.device_panel
device.parentWidget().raise_()
window.resizeDocks([device.parentWidget()], [330], Qt.Orientation.Vertical)
actions = window.export_actions
shots: dict[str, QPixmap] = {}


def shoot_device(_report) -> None:
    QTimer.singleShot(300, lambda: (device.grab().save(DEVICE_PNG), open_dialog()))


def open_dialog() -> None:
    earlier = actions.model_choices()[-1].run_dir
    actions.export_run(earlier)
    dialog = actions.dialog
    dialog.format_box.setCurrentIndex(dialog.format_box.findData("tflite"))
    QTimer.singleShot(300, lambda: (shots.__setitem__("dialog", dialog.grab()), dialog.export_button.click()))


def after_export(report) -> None:
    if report.format != "python":
        actions.export("python", folder / "digits_model.py")
        return
    results = actions.results
    results.resize(1450, 260)
    results.table.setCurrentCell(0, 0)
    QTimer.singleShot(300, lambda: (shots.__setitem__("results", results.grab()), compose()))


def compose() -> None:
    dialog, results = shots["dialog"], shots["results"]
    gap = 16
    picture = QPixmap(max(dialog.width(), results.width()), dialog.height() + gap + results.height())
    picture.fill(QColor("#d8d8d8"))
    painter = QPainter(picture)
    painter.drawPixmap(QPoint(0, 0), dialog)
    painter.drawPixmap(QPoint(0, dialog.height() + gap), results)
    painter.end()
    picture.save(EXPORT_PNG)
    app.quit()


device.reportChanged.connect(shoot_device)
actions.finished.connect(after_export)
actions.failed.connect(lambda message: (print(message), app.quit()))
window.start_engine()
QTimer.singleShot(180_000, app.quit)
app.exec()
window.document.undo_stack.setClean()
window.shutdown()
