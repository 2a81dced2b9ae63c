"""Start-up: the window appears before Keras is imported, then shapes arrive once it has loaded."""
from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

from ui.canvas.node_item import PENDING

ROOT = Path(__file__).resolve().parents[2]


def _run(code: str) -> subprocess.CompletedProcess:
    env = {"QT_QPA_PLATFORM": "offscreen", "PATH": "/usr/bin:/bin"}
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)


def test_main_window_module_does_not_import_keras():
    run = _run("""
        import sys
        import ui.app, ui.main_window
        assert 'keras' not in sys.modules and 'tensorflow' not in sys.modules, 'keras was imported'
    """)
    assert run.returncode == 0, run.stderr


def test_window_opens_with_the_template_before_keras_is_imported():
    run = _run("""
        import sys
        from PySide6.QtWidgets import QApplication
        from ui.main_window import MainWindow
        app = QApplication([])
        window = MainWindow()
        window.show()
        app.processEvents()
        items = window.scene.node_items
        assert 'keras' not in sys.modules and 'tensorflow' not in sys.modules, 'keras was imported'
        assert len(items) == 8, items
        assert items['flatten'].shape_text == '…', items['flatten'].shape_text
        assert window.statusBar().currentMessage() == 'Loading Keras…'
        assert window.windowTitle().startswith('digits_cnn (unsaved)'), window.windowTitle()
        window.close()
        from ui.app import dispose
        dispose(window)  # as the app does when its event loop ends
    """)
    assert run.returncode == 0, run.stderr


def test_shapes_and_inspector_editors_appear_once_keras_is_loaded(window, qtbot):
    flatten = window.scene.node_items["flatten"]
    assert flatten.shape_text == PENDING
    assert not window.training_panel.train_button.isEnabled()
    window.scene.node_items["conv2d_1"].setSelected(True)
    assert window.inspector.editors == {}  # no specs before Keras: values are listed as text

    with qtbot.waitSignal(window.document.shapes.reportChanged, timeout=90_000):
        window.start_engine()

    assert flatten.shape_text == "(None, 512)"
    assert window.scene.node_items["digit"].params_text == "5,130 params"
    assert window.training_panel.train_button.isEnabled()
    assert "filters" in window.inspector.editors
    assert "9,930 parameters" in window.model_summary.full_text()
    assert "valid" in window.model_summary.full_text()
