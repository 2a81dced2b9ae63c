"""File > Export before any training: an imported project's own weights are exported, and the report says so."""
from __future__ import annotations


def test_an_imported_project_exports_without_training(window, qtbot, tmp_path):
    import keras

    x = keras.Input((8, 8, 1), name="image")
    y = keras.layers.Dense(10, activation="softmax", name="digit")(keras.layers.Flatten(name="flat")(x))
    keras.Model(x, y).save(tmp_path / "small.keras")
    with qtbot.waitSignal(window.import_actions.task.succeeded, timeout=120_000):
        window.import_actions.import_model_file(tmp_path / "small.keras", tmp_path / "small.json")
    assert window.training.last_result is None
    target = tmp_path / "small_export.keras"
    with qtbot.waitSignal(window.export_actions.finished, timeout=120_000) as exported:
        assert window.export_actions.export("keras", target)
    report = exported.args[0]
    assert target.exists() and report.verified
    assert "the project's own weights (small.weights.h5" in report.weights
