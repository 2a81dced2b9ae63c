"""File > Import Keras Model: the import runs off the GUI thread, then the project opens."""
from __future__ import annotations

from PySide6.QtWidgets import QMessageBox


def _small_model(path):
    import keras

    x = keras.Input((6,), name="features")
    h = keras.layers.Dense(4, activation="relu", name="hidden")(x)
    y = keras.layers.Dense(2, name="scores")(h)
    keras.Model(x, y).save(path)


def test_import_opens_the_imported_project(window, qtbot, tmp_path):
    source = tmp_path / "small.keras"
    _small_model(source)
    target = tmp_path / "small.json"
    with qtbot.waitSignal(window.import_actions.task.succeeded, timeout=120_000):
        window.import_actions.import_model_file(source, target)
    assert window.document.path == target
    graph = window.document.graph
    assert set(graph.nodes) == {"features", "hidden", "scores"}
    assert set(window.scene.node_items) == {"features", "hidden", "scores"}
    assert window.document.project.weights == "small.weights.h5"
    assert (tmp_path / "small.weights.h5").exists()


def test_a_failed_import_says_why(window, qtbot, tmp_path):
    before = set(window.document.graph.nodes)
    with qtbot.waitSignal(window.import_actions.task.failed, timeout=120_000) as blocker:
        window.import_actions.import_model_file(tmp_path / "missing.keras", tmp_path / "out.json")
    assert "missing.keras" in blocker.args[0]
    assert set(window.document.graph.nodes) == before  # the open project is untouched
    assert any(isinstance(b, QMessageBox) and b.isVisible() for b in window.findChildren(QMessageBox))
