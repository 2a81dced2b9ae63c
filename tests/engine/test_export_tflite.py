"""TFLite conversion variants, metadata and the quantisation report, checked in the real LiteRT interpreter."""
from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

keras = pytest.importorskip("keras")
pytest.importorskip("ai_edge_litert")

from builder.errors import ExportError  # noqa: E402
from builder.export.tflite_convert import IO_TYPES, QUANTIZATIONS, convert, quantization_report  # noqa: E402
from builder.export.tflite_metadata import add_metadata, metadata_for, read_metadata  # noqa: E402


def interpreter(content: bytes):
    from ai_edge_litert.interpreter import Interpreter

    return Interpreter(model_content=content)


def run_tflite(content: bytes, model, arrays: list[np.ndarray]) -> list[np.ndarray]:
    """Run sample by sample through the serving signature, called with the Keras input names."""
    runner = interpreter(content).get_signature_runner()
    names = [t.name for t in model.inputs]
    rows = []
    for i in range(len(arrays[0])):
        out = runner(**{n: a[i:i + 1] for n, a in zip(names, arrays)})
        assert set(out) == set(model.output_names)
        rows.append([out[n] for n in model.output_names])
    return [np.concatenate([r[k] for r in rows]) for k in range(len(model.output_names))]


def _mlp():
    i = keras.Input((16,), name="features")
    x = keras.layers.Dense(32, activation="relu")(i)
    return keras.Model(i, keras.layers.Dense(3, activation="softmax", name="probs")(x), name="mlp")


def _cnn():
    i = keras.Input((12, 12, 1), name="image")
    x = keras.layers.Conv2D(8, 3, activation="relu")(i)
    x = keras.layers.MaxPooling2D()(x)
    x = keras.layers.Flatten()(x)
    return keras.Model(i, keras.layers.Dense(4, activation="softmax")(x), name="cnn")


def _lstm():
    i = keras.Input((20, 8), name="sequence")
    return keras.Model(i, keras.layers.Dense(3, activation="softmax")(keras.layers.LSTM(16)(i)), name="lstm")


def _attention():
    i = keras.Input((10, 16), name="tokens")
    x = keras.layers.MultiHeadAttention(num_heads=2, key_dim=8)(i, i)
    x = keras.layers.GlobalAveragePooling1D()(x)
    return keras.Model(i, keras.layers.Dense(3, activation="softmax")(x), name="attention")


BUILDERS = {"mlp": _mlp, "cnn": _cnn, "lstm": _lstm, "attention": _attention}


@pytest.fixture(scope="module")
def models():
    keras.utils.set_random_seed(0)
    return {name: build() for name, build in BUILDERS.items()}


def _samples(model, n, seed=1):
    rng = np.random.default_rng(seed)
    return [rng.standard_normal((n,) + tuple(t.shape[1:])).astype("float32") for t in model.inputs]


@pytest.mark.parametrize("quantization,tol", [("float32", 1e-4), ("float16", 5e-2), ("dynamic", 5e-2)])
@pytest.mark.parametrize("kind", list(BUILDERS))
def test_float_variants_match_keras(models, kind, quantization, tol):
    model = models[kind]
    result = convert(model, quantization)
    assert result.content[4:8] == b"TFL3"
    assert not result.select_tf_ops, result.options  # everything here runs on builtins (no Flex in LiteRT)
    signature = interpreter(result.content).get_signature_list()
    assert signature["serving_default"]["inputs"] == [t.name for t in model.inputs]
    assert sorted(signature["serving_default"]["outputs"]) == sorted(model.output_names)
    x = _samples(model, 4)
    expected = model.predict(x[0], verbose=0)
    (got,) = run_tflite(result.content, model, x)
    assert np.max(np.abs(got - expected)) <= tol
    if kind == "lstm":  # the LSTM's while loop only lowers to builtins with a fixed batch
        assert "batch_size=1" in result.options


@pytest.fixture(scope="module")
def digits_model():
    """A wide MLP trained for a few epochs on sklearn's digits (8x8 images as 64 features)."""
    from sklearn.datasets import load_digits

    keras.utils.set_random_seed(0)
    x, y = load_digits(return_X_y=True)
    x = (x / 16.0).astype("float32")
    rng = np.random.default_rng(0)
    order = rng.permutation(len(x))
    x, y = x[order], y[order]
    i = keras.Input((64,), name="pixels")
    h = keras.layers.Dense(512, activation="relu")(i)
    h = keras.layers.Dense(512, activation="relu")(h)
    model = keras.Model(i, keras.layers.Dense(10, activation="softmax", name="digit")(h), name="digits")
    model.compile("adam", "sparse_categorical_crossentropy")
    model.fit(x[:1200], y[:1200], epochs=4, batch_size=64, verbose=0)
    return model, x[:200], x[1200:1500]


def test_int8_agrees_with_float_and_is_small(digits_model):
    model, representative, test_x = digits_model
    float_result = convert(model, "float32")
    result = convert(model, "int8", [representative])
    assert "TFLITE_BUILTINS_INT8" in result.options
    assert len(result.content) <= 0.3 * len(float_result.content)
    expected = model.predict(test_x, verbose=0).argmax(1)
    (got,) = run_tflite(result.content, model, [test_x])
    assert np.mean(got.argmax(1) == expected) >= 0.9


@pytest.mark.parametrize("io_type", [t for t in IO_TYPES if t != "float32"])
def test_int8_io_types(digits_model, io_type):
    model, representative, test_x = digits_model
    it = interpreter(convert(model, "int8", [representative], io_type=io_type).content)
    runner = it.get_signature_runner()
    detail = runner.get_input_details()["pixels"]
    assert detail["dtype"] == np.dtype(io_type)
    assert runner.get_output_details()["digit"]["dtype"] == np.dtype(io_type)
    scale, zero = detail["quantization"]
    q = np.clip(np.round(test_x[:50] / scale + zero), np.iinfo(io_type).min, np.iinfo(io_type).max).astype(io_type)
    got = np.concatenate([runner(pixels=q[i:i + 1])["digit"] for i in range(len(q))])
    expected = model.predict(test_x[:50], verbose=0).argmax(1)
    assert np.mean(got.argmax(1) == expected) >= 0.9


def test_int8_recurrent_model_is_unrolled_and_runs(models):
    model = models["lstm"]
    x = _samples(model, 20)
    result = convert(model, "int8", x)
    assert "unroll=True (recurrent layers)" in result.options and not result.select_tf_ops
    (got,) = run_tflite(result.content, model, [x[0][:5]])
    assert np.max(np.abs(got - model.predict(x[0][:5], verbose=0))) < 0.1


def test_bad_arguments_are_refused(models):
    model = models["mlp"]
    assert QUANTIZATIONS == ("float32", "float16", "dynamic", "int8")
    with pytest.raises(ExportError, match="representative"):
        convert(model, "int8")
    with pytest.raises(ExportError, match="quantisation"):
        convert(model, "int4")
    with pytest.raises(ExportError, match="int8 quantisation"):
        convert(model, "float32", io_type="uint8")


def test_metadata_round_trip_and_file_still_runs(models, tmp_path):
    model = models["mlp"]
    content = convert(model).content
    assert read_metadata(content) is None
    metadata = metadata_for(model, ["cat", "dog", "bird"])
    assert metadata["inputs"] == [{"name": "features", "shape": [-1, 16], "dtype": "float32"}]
    assert metadata["outputs"][0]["name"] == "probs" and metadata["labels"] == ["cat", "dog", "bird"]
    tagged = add_metadata(add_metadata(content, {"labels": ["old"]}), metadata)  # second write replaces
    assert read_metadata(tagged) == metadata
    x = _samples(model, 3)
    np.testing.assert_allclose(run_tflite(tagged, model, x)[0], model.predict(x[0], verbose=0), atol=1e-5)
    path = tmp_path / "m.tflite"
    path.write_bytes(tagged)
    code = ("import sys; from builder.export.tflite_metadata import read_metadata; "
            f"m = read_metadata({str(path)!r}); assert m['labels'] == ['cat', 'dog', 'bird'], m; "
            "assert not any(k.startswith('tensorflow') for k in sys.modules), 'tensorflow was imported'")
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr


def test_quantization_report_is_sorted_worst_first(digits_model):
    model, representative, _ = digits_model
    report = quantization_report(model, [representative[:50]])
    assert report, getattr(report, "reason", "")
    errors = [e.rmse_per_scale for e in report]
    assert errors == sorted(errors, reverse=True)
    assert all(e.name and e.scale > 0 for e in report)
    assert any(e.op == "FULLY_CONNECTED" for e in report)


def test_quantization_report_explains_an_empty_result(models):
    report = quantization_report(models["mlp"], None)
    assert report == [] and "representative" in report.reason


@pytest.mark.parametrize("rnn", ["GRU", "Bidirectional"])
def test_other_recurrent_layers_convert_to_builtins(rnn, capfd):
    i = keras.Input((20, 8), name="sequence")
    layer = keras.layers.GRU(16) if rnn == "GRU" else keras.layers.Bidirectional(keras.layers.LSTM(16))
    model = keras.Model(i, keras.layers.Dense(3, activation="softmax")(layer(i)))
    result = convert(model)
    assert result.options == ["batch_size=1"] and not result.select_tf_ops
    # the first attempt's failure (free batch) is the converter's C++ diagnostics, kept off the terminal
    assert "Lowering tensor list ops is failed" not in capfd.readouterr().err
    x = _samples(model, 2)
    np.testing.assert_allclose(run_tflite(result.content, model, x)[0], model.predict(x[0], verbose=0), atol=1e-4)


def test_int8_calibrates_each_input_of_a_two_input_model_by_name():
    """A denoiser-shaped model (an image and a time step): the converted signature lists its inputs in another
    order than the model's, so calibration samples go by input name; the int8 file follows the float model."""
    image = keras.Input((8, 8, 1), name="image")
    time = keras.Input((1,), name="time")
    features = keras.layers.Conv2D(4, 3, padding="same", activation="relu")(image)
    shift = keras.layers.Reshape((1, 1, 4))(keras.layers.Dense(4)(time))
    out = keras.layers.Conv2D(1, 3, padding="same", name="noise")(keras.layers.Add()([features, shift]))
    model = keras.Model([image, time], out)
    rng = np.random.default_rng(0)
    x, t = rng.standard_normal((64, 8, 8, 1)).astype("float32"), rng.random((64, 1)).astype("float32")
    result = convert(model, "int8", [x, t])
    (got,) = run_tflite(result.content, model, [x[:16], t[:16]])
    expected = model.predict([x[:16], t[:16]], verbose=0)
    assert np.abs(got - expected).max() < 0.1 * np.abs(expected).max()
