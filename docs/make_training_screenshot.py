"""Screenshot of the training panel watching a real run of the digits_cnn template.

Two runs train in the window: a first one of 2 epochs (its curves stay, faded, as the previous run), then one of
4 epochs whose learning rate is lowered from the panel after its first epoch (the marker on the curves).

Usage (needs a display): xvfb-run -a -s "-screen 0 1600x1000x24" python docs/make_training_screenshot.py \
    docs/screenshot-training.png
"""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
import screenshot_window  # noqa: E402,F401 - the app's preferences in a temporary folder, not the user's


def main() -> None:
    """Training runs in a spawned child process, which imports this file again: nothing happens at import."""
    from PySide6.QtCore import Qt, QTimer
    from PySide6.QtWidgets import QApplication

    app = QApplication([])
    app.setStyle("Fusion")
    from ui.main_window import MainWindow

    target = sys.argv[1] if len(sys.argv) > 1 else str(Path(__file__).with_name("screenshot-training.png"))
    w = MainWindow()
    w.resize(1500, 950)
    w.show()
    panel, training = w.training_panel, w.training
    panel.set_document(w.document)  # what the window does for each document
    w.resizeDocks([panel.parentWidget()], [330], Qt.Orientation.Vertical)  # the dock that holds the panel
    runs = []

    def engine_ready(*_):
        if not runs:
            runs.append(1)
            panel.epochs_box.setValue(2)
            panel.train_button.click()

    def epoch_ended(epoch, logs):
        if len(runs) == 2 and epoch == 0:
            panel.lr_box.setValue(2.5e-4)
            panel.lr_apply.click()

    def finished(result):
        if len(runs) == 1:
            runs.append(2)
            panel.epochs_box.setValue(4)
            QTimer.singleShot(300, panel.train_button.click)
        else:
            QTimer.singleShot(800, grab)

    def grab():
        panel.plots.readout.setText(panel.plots.readout_at("loss", 2.0))
        panel.grab().save(target)
        print("saved", target)
        app.quit()

    w.document.shapes.reportChanged.connect(engine_ready)
    training.epochEnded.connect(epoch_ended)
    training.finished.connect(finished)
    training.failed.connect(lambda message: (print("training failed:", message), app.quit()))
    w.start_engine()
    QTimer.singleShot(240_000, app.quit)
    app.exec()
    w.document.undo_stack.setClean()
    w.shutdown()


if __name__ == "__main__":
    main()
