"""Screenshot of the generated catalogue: the palette's Augmentation category (every image-augmentation layer of
keras.layers) and the inspector on a LayerNormalization whose axis is a list and whose dtype is a mixed-precision
policy (values Keras takes beyond the parameter's usual kind, shown as JSON / a policy choice).

Usage: xvfb-run -a python docs/make_catalogue_screenshot.py /tmp/screenshot-catalogue.png
"""
import sys
from pathlib import Path
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
import screenshot_window  # noqa: E402,F401 - the app's preferences in a temporary folder, not the user's
from PySide6.QtCore import QTimer  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402
app = QApplication([])
from ui.main_window import MainWindow  # noqa: E402
w = MainWindow(); w.resize(1400, 900); w.show()
g = w.document.graph
for n in list(g.nodes): g.remove_node(n)
g.add_node("Input", {"shape": [32, 32, 3]}, (0, 0), "image")
g.add_node("RandAugment", {"value_range": [0, 1]}, (0, 130), "rand_augment")
g.add_node("RandomErasing", {"value_range": [0, 1], "seed": 1}, (0, 260), "random_erasing")
g.add_node("Conv2D", {"filters": 16, "kernel_size": [3, 3], "lora_rank": 4}, (0, 390), "conv2d")
g.add_node("LayerNormalization", {"axis": [-3, -2, -1], "dtype": "mixed_float16"}, (0, 520), "layer_norm")
g.add_node("GlobalAveragePooling2D", {}, (0, 650), "pool")
for s, t in (("image", "rand_augment"), ("rand_augment", "random_erasing"), ("random_erasing", "conv2d"),
             ("conv2d", "layer_norm"), ("layer_norm", "pool")):
    g.connect(s, t)
palette = w.palette
if hasattr(palette, "tree"):
    tree = palette.tree
    for i in range(tree.topLevelItemCount()):
        item = tree.topLevelItem(i)
        item.setExpanded(item.text(0).startswith("Augmentation"))
w.start_engine()
def done(_r):
    w.scene.node_items["layer_norm"].setSelected(True)
    w.view.fit_graph()
    QTimer.singleShot(500, lambda: (w.grab().save(sys.argv[1] if len(sys.argv) > 1 else "/tmp/screenshot-catalogue.png"),
                                    app.quit()))
w.document.shapes.reportChanged.connect(done)
QTimer.singleShot(120000, app.quit)
app.exec()
w.document.undo_stack.setClean()
