"""A model with a shared layer (two calls, one set of weights) and a nested model (a composite block the project
carries) imports, and every export format — .keras, .h5, SavedModel, TFLite float32 and dynamic-range, the Python
script — is written from its imported weights and verified in its own runtime against the rebuilt model."""
from __future__ import annotations

import json

import numpy as np
import pytest

from builder.cli import main
from builder.model import build_model, load_node_weights
from builder.project import load_project

pytestmark = pytest.mark.catalogue


def _siamese_with_a_nested_head():
    import keras

    left, right = keras.Input((6,), name="left"), keras.Input((6,), name="right")
    shared = keras.layers.Dense(8, activation="relu", name="encoder")
    difference = keras.layers.Subtract(name="difference")([shared(left), shared(right)])
    head = keras.Sequential([keras.Input((8,)), keras.layers.Dense(4, activation="tanh", name="hidden"),
                             keras.layers.Dense(1, activation="sigmoid", name="score")], name="head")
    return keras.Model([left, right], head(difference), name="siamese")


def test_every_export_of_a_shared_and_nested_model_is_verified(tmp_path, capsys):
    model = _siamese_with_a_nested_head()
    model.save(tmp_path / "siamese.keras")
    project_path = tmp_path / "siamese.json"
    assert main(["import", str(tmp_path / "siamese.keras"), "-o", str(project_path), "--json"]) == 0
    capsys.readouterr()
    project = load_project(project_path)
    types = {n.type for n in project.graph.nodes.values()}
    assert any(n.shares == "encoder" for n in project.graph.nodes.values())
    assert any(t.startswith("Head") for t in types)  # the nested Sequential, one composite node

    for fmt, name, extra in (("keras", "m.keras", []), ("h5", "m.h5", []), ("savedmodel", "saved", []),
                             ("tflite", "m.tflite", []), ("tflite", "m_dynamic.tflite", ["--quantization", "dynamic"])):
        assert main(["export", str(project_path), "--format", fmt, "-o", str(tmp_path / name), "--json", *extra]) == 0, fmt
        report = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
        assert report["verified"], (fmt, report)
        assert report["max_abs_diff"] < (1e-2 if extra else 1e-4), (fmt, report["max_abs_diff"])

    assert main(["export", str(project_path), "--format", "python", "-o", str(tmp_path / "siamese.py")]) == 0
    namespace: dict = {}
    exec(compile((tmp_path / "siamese.py").read_text(), "siamese.py", "exec"), namespace)
    scripted = namespace["build_model"]()
    rebuilt = build_model(project.graph, name=project.name)
    assert scripted.count_params() == rebuilt.count_params() == model.count_params()
    load_node_weights(scripted, project.resolve(project.weights))
    sample = [np.random.default_rng(0).normal(size=(5, 6)).astype("float32") for _ in range(2)]
    np.testing.assert_allclose(scripted.predict(sample, verbose=0), model.predict(sample, verbose=0), atol=1e-5)
