"""Screenshot of an attention + LSTM graph: named input ports, one output port per LSTM output, a frozen block.

Usage: xvfb-run -a python docs/make_ports_screenshot.py docs/screenshot-ports.png
"""
import sys
from pathlib import Path
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
import screenshot_window  # noqa: E402,F401 - the app's preferences in a temporary folder, not the user's
from PySide6.QtWidgets import QApplication
from PySide6.QtCore import QTimer
from builder.graph import Graph
from builder.project import Project
app = QApplication([])
from ui.main_window import MainWindow
w = MainWindow(); w.resize(1500, 900); w.show()
g = w.document.graph
for n in list(g.nodes): g.remove_node(n)
g.add_node("Input", {"shape": [16, 32]}, (60, 0), "tokens")
g.add_node("MultiHeadAttention", {"num_heads": 4, "key_dim": 8}, (60, 130), "self_attention")
g.add_node("Add", {}, (0, 260), "residual")
g.add_node("LayerNormalization", {}, (0, 390), "norm")
g.add_node("LSTM", {"units": 32, "return_state": True}, (0, 520), "lstm")
g.add_node("Dense", {"units": 10, "activation": "softmax"}, (-120, 660), "classes")
g.add_node("Dense", {"units": 1}, (150, 660), "from_state")
g.connect("tokens", "self_attention", 0, 0); g.connect("tokens", "self_attention", 0, 1)
g.connect("tokens", "residual", 0, 0); g.connect("self_attention", "residual", 0, 1)
g.connect("residual", "norm"); g.connect("norm", "lstm")
g.connect("lstm", "classes", 0, 0); g.connect("lstm", "from_state", 1, 0)
g.set_flag("norm", "trainable", False)
w.start_engine()
def done(_r):
    w.scene.node_items["self_attention"].setSelected(True)
    QTimer.singleShot(500, lambda: (w.grab().save(sys.argv[1]), app.quit()))
w.document.shapes.reportChanged.connect(done)
QTimer.singleShot(120000, app.quit)
app.exec()
w.document.undo_stack.setClean()
