"""Every export format, verified in its own runtime in a fresh process, for the four kinds of model people ship."""
import json

import keras
import numpy as np
import pytest

from builder.errors import ExportError
from builder.export import ExportOptions, export_model
from builder.export.pipeline import verify_artifact
from builder.export.verification import verification_data
from builder.model import input_names, output_names

NAMES = {"keras": "m.keras", "h5": "m.h5", "savedmodel": "saved", "tflite": "m.tflite", "onnx": "m.onnx"}


def model_of(kind: str) -> keras.Model:
    keras.utils.set_random_seed(1)
    if kind == "mlp":
        inputs = keras.Input((12,), name="features")
        x = keras.layers.Dense(32, activation="relu")(inputs)
        outputs = keras.layers.Dense(4, activation="softmax", name="probs")(x)
    elif kind == "cnn":
        inputs = keras.Input((16, 16, 3), name="image")
        x = keras.layers.Conv2D(8, 3, activation="relu")(inputs)
        x = keras.layers.MaxPooling2D()(x)
        x = keras.layers.BatchNormalization()(x)
        x = keras.layers.GlobalAveragePooling2D()(x)
        outputs = keras.layers.Dense(5, activation="softmax", name="probs")(x)
    elif kind == "lstm":
        inputs = keras.Input((20, 8), name="sequence")
        x = keras.layers.LSTM(16)(inputs)
        outputs = keras.layers.Dense(3, activation="softmax", name="probs")(x)
    else:  # attention
        inputs = keras.Input((10, 16), name="tokens")
        x = keras.layers.MultiHeadAttention(num_heads=2, key_dim=8)(inputs, inputs)
        x = keras.layers.LayerNormalization()(x)
        x = keras.layers.GlobalAveragePooling1D()(x)
        outputs = keras.layers.Dense(3, activation="softmax", name="probs")(x)
    return keras.Model(inputs, outputs, name=kind)


@pytest.mark.parametrize("kind", ["mlp", "cnn", "lstm", "attention"])
@pytest.mark.parametrize("fmt", ["keras", "h5", "savedmodel", "tflite", "onnx"])
def test_every_format_of_every_model_kind_is_verified_in_its_runtime(tmp_path, fmt, kind):
    report = export_model(model_of(kind), fmt, tmp_path / NAMES[fmt], samples=16)
    assert report.verified and report.max_abs_diff < 1e-4 and report.tolerance == 1e-4
    assert report.samples == 16 and report.samples_source == "random" and report.latency_ms_per_sample > 0
    expected_runtime = {"keras": "keras", "h5": "keras", "savedmodel": "saved_model", "tflite": "LiteRT",
                        "onnx": "onnxruntime"}[fmt]
    assert expected_runtime in report.runtime
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([NAMES[fmt], "export_report.json"])
    saved = json.loads((tmp_path / "export_report.json").read_text())
    assert saved["format"] == fmt and saved["verified"] and saved["size_bytes"] == report.size_bytes > 0


def test_tflite_float32_of_a_trained_classifier_agrees_on_every_class(trained_digits, tmp_path):
    from builder.export.tflite_metadata import read_metadata

    project, result = trained_digits
    report = export_model(result.model_path, "tflite", tmp_path / "digits.tflite", project=project)
    assert report.samples == 360 and report.class_agreement == 1.0 and report.accuracy_drop == 0.0
    assert (tmp_path / "labels.txt").read_text().split() == [str(d) for d in range(10)]
    metadata = read_metadata(tmp_path / "digits.tflite")
    assert metadata["labels"] == [str(d) for d in range(10)]
    assert metadata["inputs"][0]["name"] == "image" and metadata["outputs"][0]["name"] == "digit"


@pytest.mark.parametrize("quantization", ["float16", "dynamic", "int8"])
def test_quantised_tflite_keeps_accuracy_and_reports_it(trained_digits, tmp_path, quantization):
    project, result = trained_digits
    options = ExportOptions(quantization=quantization, representative_samples=100)
    report = export_model(result.model_path, "tflite", tmp_path / "q.tflite", project=project, options=options)
    assert report.quantization == quantization and report.verified
    assert report.class_agreement >= 0.97 and report.accuracy_drop <= 1.0
    assert report.max_accuracy_drop == (1.0 if quantization == "int8" else None)
    assert 0.0 < report.accuracy_export <= 1.0 and report.tolerance is None


def test_int8_io_types_for_micro_controllers(trained_digits, tmp_path):
    from ai_edge_litert.interpreter import Interpreter

    project, result = trained_digits
    options = ExportOptions(quantization="int8", io_type="uint8", representative_samples=100)
    report = export_model(result.model_path, "tflite", tmp_path / "u8.tflite", project=project, options=options)
    assert report.verified and report.class_agreement >= 0.95
    details = Interpreter(model_path=str(tmp_path / "u8.tflite")).get_input_details()
    assert details[0]["dtype"] == np.uint8


def test_accuracy_gate_refuses_and_names_the_layers_that_lose_most(trained_digits, tmp_path):
    project, result = trained_digits
    options = ExportOptions(quantization="int8", representative_samples=50, max_accuracy_drop=-100.0)
    with pytest.raises(ExportError, match="Refused: .*drop of .*Layers that lose the most in int8") as info:
        export_model(result.model_path, "tflite", tmp_path / "q.tflite", project=project, options=options)
    listed = str(info.value).split("lose the most in int8: ")[1].split(". Keep")[0]
    names = [item.rsplit(" (error ", 1)[0] for item in listed.split("), ")]
    blocks = set(project.graph.nodes) | {"model output (digit)"}
    assert names and set(names) <= blocks, names  # the graph's block ids, not TFLite's fused tensor names
    assert set(names) & {"conv2d_1", "conv2d_2", "digit"}
    assert list(tmp_path.iterdir()) == []  # nothing half-written


def test_verification_catches_a_file_written_from_another_model(trained_digits, tmp_path):
    from builder.export.pipeline import ExportContext
    from builder.export.writers import write_tflite

    project, result = trained_digits
    model = keras.saving.load_model(result.model_path)
    other = keras.models.clone_model(model)  # same graph, other weights
    data = verification_data(model, project, 32)
    context = ExportContext(ExportOptions(), input_names(model), output_names(model), data.class_names)
    wrong = tmp_path / "wrong.tflite"
    write_tflite(other, wrong, context)
    with pytest.raises(ExportError, match="differ from the Keras model's"):
        verify_artifact("tflite", wrong, model, data, context, tmp_path / "m.tflite")


def test_export_errors(tmp_path, trained_digits):
    project, result = trained_digits
    with pytest.raises(ExportError, match="not found"):
        export_model(tmp_path / "missing.keras", "tflite", tmp_path / "m.tflite")
    with pytest.raises(ExportError, match="Unknown export format 'onnx2'"):
        export_model(result.model_path, "onnx2", tmp_path / "m.x")
    with pytest.raises(ExportError, match="must end in .tflite"):
        export_model(result.model_path, "tflite", tmp_path / "m.bin")
    with pytest.raises(ExportError, match="Quantization is a TFLite option"):
        export_model(result.model_path, "onnx", tmp_path / "m.onnx", options=ExportOptions(quantization="int8"))
    with pytest.raises(ExportError, match="needs full-integer quantization"):
        export_model(result.model_path, "tflite", tmp_path / "m.tflite", options=ExportOptions(io_type="int8"))
    assert list(tmp_path.iterdir()) == []


def test_savedmodel_signature_is_named_after_the_graph(trained_digits, tmp_path):
    import tensorflow as tf

    project, result = trained_digits
    export_model(result.model_path, "savedmodel", tmp_path / "saved", project=project, samples=8)
    serving = tf.saved_model.load(str(tmp_path / "saved")).signatures["serving_default"]
    assert list(serving.structured_input_signature[1]) == ["image"]
    assert list(serving.structured_outputs) == ["digit"]


def test_int8_tensor_names_map_to_the_block_they_come_from():
    """Tracing suffixes every name in the model's scope with _1: a layer 'dense' is 'm_1/dense_1/…' and a layer
    'dense_1' is 'm_1/dense_1_1/…' — the refusal must name the block the tensor really comes from."""
    from builder.export.accuracy_check import layer_of_tensor

    inputs = keras.Input((4,), name="x")
    hidden = keras.layers.Dense(3, activation="relu", name="dense")(inputs)
    model = keras.Model(inputs, keras.layers.Dense(2, name="dense_1")(hidden), name="m")
    assert layer_of_tensor("m_1/dense_1/MatMul;m_1/dense_1/Relu", model) == "dense"
    assert layer_of_tensor("m_1/dense_1_1/MatMul;m_1/dense_1_1/BiasAdd", model) == "dense_1"
    assert layer_of_tensor("StatefulPartitionedCall:0", model) == "model output (dense_1)"
    assert layer_of_tensor("tfl.quantize", model) == "tfl.quantize"
