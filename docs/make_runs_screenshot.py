"""Screenshot of the runs panel: the digits project trained three times (two learning rates, one run stopped early),
read back in a new window, every run ticked so their curves overlay.

Usage: xvfb-run -a -s "-screen 0 2000x1100x24" python docs/make_runs_screenshot.py docs/screenshot-runs.png
(trains in a temporary folder, ~20 s)
"""
import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
import screenshot_window  # noqa: E402,F401 - the app's preferences in a temporary folder, not the user's
folder = Path(tempfile.mkdtemp(prefix="layerboard-runs-"))
os.environ["LAYERBOARD_DATA_DIR"] = str(folder / "user_data")

from builder.project import load_template, save_project  # noqa: E402
from builder.training import Trainer, TrainingCallbacks  # noqa: E402


class StopInEpoch(TrainingCallbacks):
    def __init__(self, epoch: int) -> None:
        self.epoch, self.trainer = epoch, None

    def on_epoch_end(self, epoch, logs):
        if epoch + 1 >= self.epoch:
            self.trainer.stop()


project = load_template("digits_cnn")
path = save_project(project, folder / "digits.json")
for learning_rate, epochs, stop in ((0.003, 8, None), (0.0005, 8, None), (0.01, 8, 4)):
    project.training.learning_rate = learning_rate
    callbacks = StopInEpoch(stop) if stop else None
    trainer = Trainer(project, epochs=epochs, callbacks=callbacks)
    if callbacks:
        callbacks.trainer = trainer
    trainer.run()

from PySide6.QtCore import Qt, QTimer  # noqa: E402
from PySide6.QtWidgets import QApplication, QSplitter  # noqa: E402

app = QApplication([])
app.setStyle("Fusion")
from ui.document import Document  # noqa: E402
from ui.main_window import MainWindow  # noqa: E402

window = MainWindow(Document.from_file(path))
window.resize(1900, 1000)
window.show()
panel = window.runs_panel
panel.parentWidget().raise_()
window.resizeDocks([panel.parentWidget()], [430], Qt.Orientation.Vertical)


def shoot() -> None:
    for run in panel.model.runs:
        panel.model.set_checked(run.run_dir, True)
    panel.select_run(panel.model.runs[-1].run_dir)
    panel.metric_box.setCurrentText("accuracy")
    panel.findChild(QSplitter).setSizes([1180, 700])  # room for every column in the picture
    QTimer.singleShot(500, lambda: (panel.grab().save(sys.argv[1] if len(sys.argv) > 1 else "screenshot-runs.png"),
                                    app.quit()))


panel.refreshed.connect(shoot)
window.start_engine()
QTimer.singleShot(120_000, app.quit)
app.exec()
window.document.undo_stack.setClean()
window.shutdown()
