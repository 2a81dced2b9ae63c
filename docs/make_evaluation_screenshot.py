"""Save a screenshot of the evaluation panel: the digits template trained a few epochs, evaluated in the real
window, with the gallery of one confusion-matrix cell beside it.

Usage (needs a display, e.g. under xvfb-run -a -s "-screen 0 1600x1000x24"):
    python docs/make_evaluation_screenshot.py docs/screenshot-evaluation.png
"""
from __future__ import annotations

import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
import screenshot_window  # noqa: E402,F401 - the app's preferences in a temporary folder, not the user's

import numpy as np  # noqa: E402
from PySide6.QtCore import QEventLoop, QTimer  # noqa: E402
from PySide6.QtGui import QColor, QPainter, QPixmap  # noqa: E402
from PySide6.QtWidgets import QApplication, QDockWidget  # noqa: E402

EPOCHS = 3


def wait_for(signal, seconds: float = 180) -> list:
    """Run the event loop until `signal` fires; its arguments."""
    loop, got = QEventLoop(), []

    def done(*args):
        got.extend(args)
        loop.quit()

    signal.connect(done)
    QTimer.singleShot(int(seconds * 1000), loop.quit)
    loop.exec()
    signal.disconnect(done)
    return got


def settle(ms: int = 300) -> None:
    loop = QEventLoop()
    QTimer.singleShot(ms, loop.quit)
    loop.exec()


def main(target: str) -> int:
    app = QApplication.instance() or QApplication(sys.argv)
    from ui.main_window import MainWindow

    window = MainWindow()
    window.show()
    window.start_engine()
    wait_for(window.engine.ready)

    from builder.training import Trainer

    run_dir = Path(tempfile.mkdtemp(prefix="layerboard-eval-")) / "run"
    result = Trainer(window.document.project, run_dir=run_dir, epochs=EPOCHS).run()

    panel = window.evaluation_panel
    dock = panel.parentWidget()
    assert isinstance(dock, QDockWidget)
    dock.setFloating(True)
    dock.resize(1100, 520)
    panel.show_run(str(result.run_dir))
    (evaluation,) = wait_for(panel.evaluated)
    matrix = np.array(evaluation.confusion_matrix)
    off = matrix - np.diag(np.diag(matrix))
    true_class, predicted_class = np.unravel_index(int(off.argmax()), off.shape)
    panel.classification_side.setCurrentIndex(1)  # the worst predicted, with their pictures
    panel.open_cell(int(true_class), int(predicted_class))
    panel.gallery.resize(460, 520)
    settle()

    left, right = panel.grab(), panel.gallery.grab()
    canvas = QPixmap(left.width() + right.width() + 12, max(left.height(), right.height()))
    canvas.fill(QColor("#e5e7eb"))
    painter = QPainter(canvas)
    painter.drawPixmap(0, 0, left)
    painter.drawPixmap(left.width() + 12, 0, right)
    painter.end()
    canvas.save(target)
    print(f"saved {target} (run {result.run_dir}, cell true {true_class} / predicted {predicted_class})")
    window.document.undo_stack.setClean()
    window.close()
    app.processEvents()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else str(Path(__file__).with_name("screenshot-evaluation.png"))))
