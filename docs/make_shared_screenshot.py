"""Screenshot of a siamese graph: one encoder (two Dense layers) called on two inputs; the second calls share the
first calls' layers, marked on the canvas by a stripe in the layer's colour and "shares weights of …".

Usage: xvfb-run -a python docs/make_shared_screenshot.py /tmp/screenshot-shared.png (or QT_QPA_PLATFORM=offscreen)
"""
import sys
from pathlib import Path
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
import screenshot_window  # noqa: E402,F401 - the app's preferences in a temporary folder, not the user's
from PySide6.QtCore import QTimer  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402
app = QApplication([])
from ui.main_window import MainWindow  # noqa: E402
w = MainWindow(); w.resize(1300, 820); w.show()
g = w.document.graph
for n in list(g.nodes): g.remove_node(n)
g.add_node("Input", {"shape": [32]}, (0, 0), "left")
g.add_node("Input", {"shape": [32]}, (300, 0), "right")
g.add_node("Dense", {"units": 64, "activation": "relu"}, (0, 130), "encoder")
g.add_node("Dense", {}, (300, 130), "encoder_call2", shares="encoder")
g.add_node("Dense", {"units": 16}, (0, 260), "embedding")
g.add_node("Dense", {}, (300, 260), "embedding_call2", shares="embedding")
g.add_node("Subtract", {}, (150, 390), "difference")
g.add_node("Dense", {"units": 1, "activation": "sigmoid"}, (150, 520), "same")
for s, t in (("left", "encoder"), ("right", "encoder_call2"), ("encoder", "embedding"),
             ("encoder_call2", "embedding_call2"), ("difference", "same")):
    g.connect(s, t)
g.connect("embedding", "difference", 0, 0); g.connect("embedding_call2", "difference", 0, 1)
w.start_engine()
def done(_r):
    w.scene.node_items["encoder_call2"].setSelected(True)
    w.view.fit_graph()
    QTimer.singleShot(500, lambda: (w.grab().save(sys.argv[1] if len(sys.argv) > 1 else "/tmp/screenshot-shared.png"),
                                    app.quit()))
w.document.shapes.reportChanged.connect(done)
QTimer.singleShot(120000, app.quit)
app.exec()
w.document.undo_stack.setClean()
