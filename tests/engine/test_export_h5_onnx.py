"""Legacy HDF5 and ONNX export: real round trips on small Keras models, and the refusals."""
import sys

import keras
import numpy as np
import pytest

from builder.errors import ExportError
from builder.export.h5_file import run_h5, write_h5
from builder.export.onnx_file import OPSET, run_onnx, write_onnx


def _mlp():
    i = keras.Input((6,), name="features")
    x = keras.layers.Dense(16, activation="relu")(i)
    x = keras.layers.Dropout(0.3)(x)
    return keras.Model(i, keras.layers.Dense(3, activation="softmax", name="probs")(x))


def _cnn():
    i = keras.Input((8, 8, 1), name="image")
    x = keras.layers.Conv2D(4, 3, padding="same", activation="relu")(i)
    x = keras.layers.BatchNormalization()(x)
    x = keras.layers.MaxPooling2D()(x)
    x = keras.layers.Flatten()(x)
    x = keras.layers.Dropout(0.2)(x)
    return keras.Model(i, keras.layers.Dense(5, name="logits")(x))


def _lstm():
    i = keras.Input((7, 3), name="sequence")
    x = keras.layers.LSTM(6)(i)
    return keras.Model(i, keras.layers.Dense(2, name="value")(x))


def _attention():
    i = keras.Input((4, 8), name="tokens")
    a = keras.layers.MultiHeadAttention(num_heads=2, key_dim=4)(i, i)
    x = keras.layers.LayerNormalization()(keras.layers.Add()([a, i]))
    return keras.Model(i, keras.layers.GlobalAveragePooling1D(name="pooled")(x))


def _two_in_two_out():
    a = keras.Input((3,), name="left")
    b = keras.Input((2,), name="right")
    x = keras.layers.Concatenate()([a, b])
    return keras.Model([a, b], [keras.layers.Dense(2, name="zeta")(x), keras.layers.Dense(1, name="alpha")(x)])


MODELS = {"mlp": _mlp, "cnn": _cnn, "lstm": _lstm, "attention": _attention, "two_in_two_out": _two_in_two_out}


def _sample(model, count=5):
    rng = np.random.default_rng(0)
    return [rng.standard_normal((count,) + tuple(t.shape[1:])).astype("float32") for t in model.inputs]


def _keras(model, inputs):
    out = model.predict(inputs if len(inputs) > 1 else inputs[0], verbose=0)
    return [np.asarray(o) for o in (out if isinstance(out, (list, tuple)) else [out])]


def _names(model):
    return [t.name for t in model.inputs]


@pytest.fixture(scope="module", params=sorted(MODELS))
def model(request):
    keras.utils.set_random_seed(1)
    m = MODELS[request.param]()
    if request.param == "cnn":  # non-trivial BatchNormalization statistics
        bn = next(layer for layer in m.layers if isinstance(layer, keras.layers.BatchNormalization))
        bn.moving_mean.assign(np.full(4, 0.3, "float32"))
        bn.moving_variance.assign(np.full(4, 2.0, "float32"))
    return m


def test_h5_round_trip_matches_keras(model, tmp_path):
    inputs = _sample(model)
    path = tmp_path / "model.h5"
    write_h5(model, path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.h5"]  # nothing temporary left
    _assert_outputs_close(run_h5(path, inputs), _keras(model, inputs), 1e-5)


def test_h5_is_written_at_exactly_the_path_given(tmp_path):
    model = _mlp()
    path = tmp_path / ".model.h5.partial"  # a temporary name that does not end in .h5
    write_h5(model, path)
    assert path.is_file() and sorted(p.name for p in tmp_path.iterdir()) == [path.name]
    inputs = _sample(model)
    np.testing.assert_allclose(run_h5(path, inputs)[0], _keras(model, inputs)[0], atol=1e-5)


def test_onnx_runs_in_onnxruntime_with_the_keras_names(model, tmp_path):
    import onnx

    inputs = _sample(model)
    path = tmp_path / "model.onnx"
    write_onnx(model, path, _names(model), list(model.output_names))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.onnx"]
    proto = onnx.load(str(path))
    assert [i.name for i in proto.graph.input] == _names(model)
    assert [o.name for o in proto.graph.output] == list(model.output_names)
    assert {o.domain: o.version for o in proto.opset_import}[""] == OPSET
    _assert_outputs_close(run_onnx(path, inputs, _names(model)), _keras(model, inputs), 1e-4)


def test_onnx_takes_a_feed_by_input_name_and_any_batch_size(tmp_path):
    import onnxruntime as ort

    model = _cnn()
    write_onnx(model, tmp_path / "m.onnx", ["image"], ["logits"])
    session = ort.InferenceSession(str(tmp_path / "m.onnx"), providers=["CPUExecutionProvider"])
    for batch in (1, 9):
        x = _sample(model, batch)[0]
        (out,) = session.run(["logits"], {"image": x})
        np.testing.assert_allclose(out, _keras(model, [x])[0], atol=1e-4)


def test_h5_into_a_missing_folder_is_an_export_error(tmp_path):
    with pytest.raises(ExportError, match="does not exist"):
        write_h5(_mlp(), tmp_path / "missing" / "m.h5")
    with pytest.raises(ExportError, match="does not exist"):
        write_onnx(_mlp(), tmp_path / "missing" / "m.onnx", ["features"], ["probs"])


def test_h5_refuses_a_raw_keras_op_and_suggests_keras(tmp_path):
    i = keras.Input((4,), name="x")
    model = keras.Model(i, keras.layers.Dense(4, name="d")(i) + i)  # `+` is a keras.ops node, not a layer
    with pytest.raises(ExportError, match=r"'add\S*'.*\.keras"):
        write_h5(model, tmp_path / "m.h5")
    assert list(tmp_path.iterdir()) == []


def test_h5_refuses_a_lambda_layer_it_could_not_load_safely(tmp_path):
    i = keras.Input((4,), name="x")
    model = keras.Model(i, keras.layers.Lambda(lambda t: t * 2.0, name="double")(i))
    with pytest.raises(ExportError, match=r"'double'.*\.keras"):
        write_h5(model, tmp_path / "m.h5")
    assert list(tmp_path.iterdir()) == []


def test_missing_onnx_packages_say_what_to_install(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "tf2onnx", None)
    with pytest.raises(ExportError, match="pip install tf2onnx onnxruntime"):
        write_onnx(_mlp(), tmp_path / "m.onnx", ["features"], ["probs"])
    monkeypatch.setitem(sys.modules, "onnxruntime", None)
    with pytest.raises(ExportError, match="pip install tf2onnx onnxruntime"):
        run_onnx(tmp_path / "m.onnx", [np.zeros((1, 6), "float32")], ["features"])


def test_onnx_names_must_match_the_model(tmp_path):
    with pytest.raises(ExportError, match="1 inputs and 1 outputs"):
        write_onnx(_mlp(), tmp_path / "m.onnx", ["a", "b"], ["probs"])


def test_onnx_keeps_captured_constants_out_of_the_graph_inputs(tmp_path):
    i = keras.Input((4,), name="features")
    x = keras.layers.Normalization(mean=1.0, variance=2.0)(i)  # mean/variance are captured constant tensors
    model = keras.Model(i, keras.layers.Dense(2, name="score")(x))
    write_onnx(model, tmp_path / "m.onnx", ["features"], ["score"])
    x = _sample(model)[0]
    np.testing.assert_allclose(run_onnx(tmp_path / "m.onnx", [x], ["features"])[0], _keras(model, [x])[0], atol=1e-4)


def test_onnx_refuses_a_tensorflow_op_with_no_onnx_equivalent(tmp_path):
    import tensorflow as tf

    class Bessel(keras.layers.Layer):
        def call(self, t):
            return tf.math.bessel_i0e(t)

    i = keras.Input((4,), name="x")
    model = keras.Model(i, Bessel(name="bessel")(i))
    with pytest.raises(ExportError, match=r"BesselI0e.*bessel"):
        write_onnx(model, tmp_path / "m.onnx", ["x"], list(model.output_names))
    assert list(tmp_path.iterdir()) == []


def _assert_outputs_close(outputs, expected, atol):
    assert len(outputs) == len(expected)
    for e, o in zip(expected, outputs):
        np.testing.assert_allclose(o, e, atol=atol)
