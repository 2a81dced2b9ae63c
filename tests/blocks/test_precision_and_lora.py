"""Mixed-precision and LoRA layers import exactly and stay exact through every export: a model with float16 and
mixed_float16 dtype policies, and one with LoRA Dense/Conv2D/Embedding layers, import (weights included), rebuild with
the same dtype policies, configs, parameter count and outputs, generate a Python script that builds the same model,
and export to .keras/.h5/SavedModel/TFLite files that Layerboard's export verification accepts."""
from __future__ import annotations

import numpy as np
import pytest

keras = pytest.importorskip("keras")

from builder.export import export_model, python_source  # noqa: E402
from builder.importer import comparable_config, import_model  # noqa: E402
from builder.model import apply_project_weights, build_model  # noqa: E402
from builder.project import load_project, save_project  # noqa: E402

pytestmark = pytest.mark.catalogue

FLOAT16_ATOL = 1e-3  # float16 layers: same ops, but allow for a different fused kernel


def mixed_precision_model():
    """Conv2D and Dense under mixed_float16, a Dense computing in float16, a float32 head."""
    layers = keras.layers
    inputs = keras.Input((6, 6, 2), name="image")
    x = layers.Conv2D(4, 3, activation="relu", dtype="mixed_float16", name="conv")(inputs)
    x = layers.GlobalAveragePooling2D(dtype="mixed_float16", name="pool")(x)
    x = layers.Dense(8, activation="relu", dtype="float16", name="half")(x)
    x = layers.Dense(6, dtype="mixed_float16", name="mixed")(x)
    outputs = layers.Dense(3, dtype="float32", name="head")(x)
    return keras.Model(inputs, outputs, name="mixed")


def lora_model():
    """LoRA on Embedding, Conv2D (with lora_alpha) and Dense, in a two-input model."""
    layers = keras.layers
    tokens = keras.Input((5,), dtype="int32", name="tokens")
    image = keras.Input((6, 6, 2), name="image")
    t = layers.Flatten(name="flat_tokens")(layers.Embedding(2, 4, lora_rank=2, name="embed")(tokens))
    i = layers.Flatten(name="flat_image")(layers.Conv2D(3, 3, lora_rank=2, lora_alpha=4, name="conv")(image))
    x = layers.Concatenate(name="joined")([t, i])
    outputs = layers.Dense(4, lora_rank=2, name="head")(x)
    return keras.Model([tokens, image], outputs, name="lora")


MODELS = {"mixed_precision": (mixed_precision_model, FLOAT16_ATOL), "lora": (lora_model, 1e-5)}


def randomize(model, seed=0):
    """Perturb every float weight (LoRA's B starts at zero, so LoRA would otherwise change nothing)."""
    rng = np.random.default_rng(seed)
    for variable in model.weights:
        if "float" in str(variable.dtype):
            w = np.asarray(variable).astype("float64")
            value = w * (1 + 0.2 * rng.standard_normal(w.shape)) + 0.05 * rng.standard_normal(w.shape)
            variable.assign(value.astype(variable.dtype))
    return model


def feed(model, seed=1):
    """Random inputs in the model's input order: tokens 0 or 1 (the embedding has 2 rows), images in [0, 1)."""
    rng = np.random.default_rng(seed)
    arrays = [rng.integers(0, 2, (2,) + tuple(t.shape[1:])).astype("int32") if "int" in str(t.dtype)
              else rng.random((2,) + tuple(t.shape[1:])).astype("float32") for t in model.inputs]
    return arrays[0] if len(arrays) == 1 else arrays


def outputs(model, x) -> np.ndarray:
    return np.asarray(model(x, training=False)).astype("float64")


def assert_same_model(want, got, atol):
    """Same layers (class, dtype policy, config), parameter count and outputs."""
    assert got.count_params() == want.count_params()
    got_layers = {layer.name: layer for layer in got.layers}
    for layer in want.layers:
        twin = got_layers[layer.name]
        assert type(twin) is type(layer), layer.name
        assert twin.dtype_policy.name == layer.dtype_policy.name, layer.name
        kind = type(layer).__name__
        if kind != "InputLayer":
            assert comparable_config(kind, twin.get_config()) == comparable_config(kind, layer.get_config()), layer.name
    x = feed(want)
    diff = float(np.max(np.abs(outputs(want, x) - outputs(got, x))))
    assert diff < atol, diff


@pytest.fixture(params=list(MODELS))
def imported(request, tmp_path):
    """(source model, rebuilt project model with the imported weights, project, tolerance)."""
    make, atol = MODELS[request.param]
    keras.utils.set_random_seed(0)
    source = randomize(make())
    source.save(tmp_path / "source.keras")
    project_path = tmp_path / "imported.json"
    result = import_model(tmp_path / "source.keras", project_path, verify=True)  # the importer's own check
    assert result.verification["params"] == source.count_params()
    text = project_path.read_text(encoding="utf-8")
    project = load_project(project_path)
    save_project(project, project_path)
    assert project_path.read_text(encoding="utf-8") == text
    rebuilt = build_model(project.graph, name=project.name, folder=project.folder())
    report = apply_project_weights(rebuilt, project)
    assert report is not None and not (report.skipped or report.unused), report.summary()
    return source, rebuilt, project, atol


def test_import_rebuilds_the_dtype_policies_and_lora_layers(imported):
    source, rebuilt, project, atol = imported
    assert_same_model(source, rebuilt, atol)
    if source.name == "mixed":
        assert project.graph.nodes["conv"].params["dtype"] == "mixed_float16"
        assert project.graph.nodes["half"].params["dtype"] == "float16"
        assert rebuilt.get_layer("conv").compute_dtype == "float16"
        assert rebuilt.get_layer("conv").variable_dtype == "float32"
    else:
        assert project.graph.nodes["conv"].params["lora_rank"] == 2
        assert project.graph.nodes["conv"].params["lora_alpha"] == 4
        assert rebuilt.get_layer("embed").lora_enabled and rebuilt.get_layer("head").lora_enabled


def test_the_python_code_export_builds_the_same_model(imported):
    source, rebuilt, project, atol = imported
    namespace = {"__name__": "exported_model"}
    exec(compile(python_source(project), "exported_model.py", "exec"), namespace)  # noqa: S102 - our own script
    built = namespace["build_model"]()
    by_name = {layer.name: layer for layer in rebuilt.layers}
    for layer in built.layers:  # the script builds untrained layers: give them the imported weights
        layer.set_weights(by_name[layer.name].get_weights())
    assert_same_model(source, built, atol)


@pytest.mark.parametrize("fmt, name", [("keras", "m.keras"), ("h5", "m.h5"), ("savedmodel", "saved"),
                                       ("tflite", "m.tflite")])
def test_every_export_format_verifies(imported, fmt, name, tmp_path):
    source, rebuilt, project, atol = imported
    report = export_model(rebuilt, fmt, tmp_path / name, samples=4)
    assert report.verified and report.max_abs_diff <= max(atol, report.tolerance or 0), report.max_abs_diff
