"""A model with a shared layer (two calls, one set of weights) and a nested model (a composite block the project
carries), and a transfer-learning model (a frozen keras.applications backbone used as one layer under a new head),
import, and every export format — .keras, .h5, SavedModel, TFLite float32 and dynamic-range, the Python script —
is written from the imported weights and verified in its own runtime against the rebuilt model."""
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


def _frozen_backbone_with_a_head():
    import keras

    base = keras.applications.MobileNetV2(input_shape=(32, 32, 3), alpha=0.35, include_top=False, weights=None,
                                          pooling="avg")
    base.trainable = False
    image = keras.Input((32, 32, 3), name="image")
    return keras.Model(image, keras.layers.Dense(3, activation="softmax", name="head")(base(image)), name="transfer")


def _imported_as_expected(name: str, project) -> None:
    nodes = project.graph.nodes.values()
    if name == "siamese":
        assert any(n.shares == "encoder" for n in nodes)
        assert any(n.type.startswith("Head") for n in nodes)  # the nested Sequential, one composite node
    else:
        (backbone,) = [n for n in nodes if n.type == "MobileNetV2"]
        assert not backbone.trainable


@pytest.mark.parametrize("name, make", [("siamese", _siamese_with_a_nested_head),
                                        ("transfer", _frozen_backbone_with_a_head)])
def test_every_export_of_an_imported_shared_or_nested_model_is_verified(name, make, tmp_path, capsys):
    model = make()
    model.save(tmp_path / f"{name}.keras")
    project_path = tmp_path / f"{name}.json"
    assert main(["import", str(tmp_path / f"{name}.keras"), "-o", str(project_path), "--json"]) == 0
    capsys.readouterr()
    project = load_project(project_path)
    _imported_as_expected(name, project)

    for fmt, name, extra in (("keras", "m.keras", []), ("h5", "m.h5", []), ("savedmodel", "saved", []),
                             ("tflite", "m.tflite", []), ("tflite", "m_dynamic.tflite", ["--quantization", "dynamic"])):
        assert main(["export", str(project_path), "--format", fmt, "-o", str(tmp_path / name), "--json", *extra]) == 0, fmt
        report = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
        assert report["verified"], (fmt, report)
        assert report["max_abs_diff"] < (1e-2 if extra else 1e-4), (fmt, report["max_abs_diff"])

    assert main(["export", str(project_path), "--format", "python", "-o", str(tmp_path / "model.py")]) == 0
    namespace: dict = {}
    exec(compile((tmp_path / "model.py").read_text(), "model.py", "exec"), namespace)
    scripted = namespace["build_model"]()
    rebuilt = build_model(project.graph, name=project.name)
    assert scripted.count_params() == rebuilt.count_params() == model.count_params()
    load_node_weights(scripted, project.resolve(project.weights))
    sample = [np.random.default_rng(0).normal(size=(5, *t.shape[1:])).astype("float32") for t in model.inputs]
    np.testing.assert_allclose(scripted.predict(sample, verbose=0), model.predict(sample, verbose=0), atol=1e-5)
