"""Save As into another folder takes the project's weights file along; a Sequential model exports like any other."""
from __future__ import annotations

import json

import keras
import numpy as np

from builder.export import export_model
from builder.importer import import_model
from builder.project import load_project, save_project


def small_model(name: str):
    inputs = keras.Input((4,), name="x")
    return keras.Model(inputs, keras.layers.Dense(3, name=name)(inputs))


def test_save_as_into_another_folder_takes_the_weights_along(tmp_path):
    small_model("head").save(tmp_path / "m.keras")
    import_model(tmp_path / "m.keras", tmp_path / "a" / "p.json")
    project = load_project(tmp_path / "a" / "p.json")
    save_project(project, tmp_path / "b" / "p.json")
    moved = load_project(tmp_path / "b" / "p.json")
    weights = moved.resolve(moved.weights)
    assert weights.parent == (tmp_path / "b").resolve() and weights.read_bytes() == \
        (tmp_path / "a" / project.weights).read_bytes()


def test_save_as_keeps_a_different_weights_file_already_in_the_target_folder(tmp_path):
    small_model("head").save(tmp_path / "m.keras")
    import_model(tmp_path / "m.keras", tmp_path / "a" / "p.json")
    other = tmp_path / "b" / "p.weights.h5"
    other.parent.mkdir()
    other.write_bytes(b"someone else's weights")
    project = load_project(tmp_path / "a" / "p.json")
    save_project(project, tmp_path / "b" / "p.json")
    assert other.read_bytes() == b"someone else's weights"
    saved = json.loads((tmp_path / "b" / "p.json").read_text())
    assert saved["weights"] == "p.1.weights.h5" and (tmp_path / "b" / "p.1.weights.h5").is_file()


def test_a_sequential_model_exports_and_verifies(tmp_path):
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, name="d")])
    model.save(tmp_path / "s.keras")
    report = export_model(tmp_path / "s.keras", "tflite", tmp_path / "s.tflite")
    assert report.max_abs_diff < 1e-4
    assert np.isfinite(report.max_abs_diff)
