"""Import of saved Keras models: graph, params, weights, layout, refusals and the `import` command."""
import json

import numpy as np
import pytest

keras = pytest.importorskip("keras")
from keras import layers  # noqa: E402

from builder import blocks  # noqa: E402
from builder.cli import main  # noqa: E402
from builder.errors import LayerboardError  # noqa: E402
from builder.importer import comparable_config, import_model, project_from_model  # noqa: E402
from builder.model import build_model  # noqa: E402
from builder.project import load_project  # noqa: E402
from builder.model import apply_project_weights, load_node_weights, save_node_weights  # noqa: E402


def _leaf_layers(model):
    out = []
    for layer in model.layers:
        if isinstance(layer, keras.Model):
            out.extend(_leaf_layers(layer))
        elif not isinstance(layer, keras.layers.InputLayer):
            out.append(layer)
    return out


def randomize(model, seed=0):
    """Perturb every weight (a fresh model's biases and BatchNormalization statistics are all 0 and 1)."""
    rng = np.random.default_rng(seed)
    for variable in model.weights:
        w = np.asarray(variable)
        value = w * (1 + 0.2 * rng.standard_normal(w.shape)) + 0.02 * rng.standard_normal(w.shape)
        if "variance" in variable.path:
            value = np.abs(value) + 0.5
        variable.assign(value.astype(variable.dtype))
    return model


def _probe(model, names):
    """A model whose outputs are the outputs of the named (top-level) layers."""
    inputs = model.inputs[0] if len(model.inputs) == 1 else model.inputs
    return keras.Model(inputs, [model.get_layer(n).output for n in names])


def _inputs(model, seed=1, scale=1.0):
    rng = np.random.default_rng(seed)
    # the second sample is brighter: noise alone averages out in global pooling
    arrays = [(rng.random((2,) + tuple(t.shape[1:])) * scale + np.array([0.0, scale]).reshape((2,) + (1,) * (len(t.shape) - 1))
               ).astype("float32") for t in model.inputs]
    return arrays[0] if len(arrays) == 1 else arrays


def _outputs(model, x):
    return [np.asarray(t) for t in keras.tree.flatten(model(x, training=False))]


def round_trip(model, tmp_path, suffix=".keras", scale=1.0):
    """Save `model`, import it, load the project from disk, build it with its weights, compare."""
    randomize(model)
    source = tmp_path / f"source{suffix}"
    model.save(source)
    result = import_model(source, tmp_path / "imported.json", verify=False)
    assert (tmp_path / "imported.weights.h5").is_file()
    project = load_project(tmp_path / "imported.json")
    assert project.weights == "imported.weights.h5"
    rebuilt = build_model(project.graph, name=project.name)
    report = apply_project_weights(rebuilt, project)
    assert not report.skipped and not report.unused, report.summary()

    assert rebuilt.count_params() == model.count_params()
    leaves = _leaf_layers(model)
    assert len(result.layers) == len(leaves)  # one node per layer, nested models flattened
    by_id = {layer.name: layer for layer in rebuilt.layers}
    for node_id, source_layer in result.layers.items():
        twin = by_id[node_id]
        assert type(twin) is type(source_layer)
        assert comparable_config(type(twin).__name__, twin.get_config()) == \
            comparable_config(type(source_layer).__name__, source_layer.get_config()), node_id
        assert twin.trainable == source_layer.trainable, node_id
    x = _inputs(model, scale=scale)
    want, got = _outputs(model, x), _outputs(rebuilt, x)
    assert [w.shape for w in want] == [g.shape for g in got]
    for w, g in zip(want, got):
        assert np.max(np.abs(w - g)) < 1e-5
    # every top-level layer's output matches too (a deep random network's logits can be nearly
    # constant, so the final outputs alone would prove little)
    names = [layer.name for layer in model.layers
             if not isinstance(layer, (keras.Model, keras.layers.InputLayer)) and layer.name in by_id]
    inner_want, inner_got = _outputs(_probe(model, names), x), _outputs(_probe(rebuilt, names), x)
    for name, w, g in zip(names, inner_want, inner_got):
        np.testing.assert_allclose(g, w, rtol=1e-5, atol=1e-5, err_msg=name)
    assert max(float(np.std(w, axis=0).max()) for w in inner_want) > 1e-3  # activations depend on the input
    return project, rebuilt


APPLICATIONS = {
    "ResNet50": (32, 32, 3),
    "MobileNetV2": (32, 32, 3),
    "EfficientNetB0": (32, 32, 3),
    "DenseNet121": (32, 32, 3),
    "ConvNeXtTiny": (32, 32, 3),
}


@pytest.mark.parametrize("name", list(APPLICATIONS))
def test_keras_applications_round_trip(name, tmp_path):
    model = getattr(keras.applications, name)(weights=None, input_shape=APPLICATIONS[name], classes=10,
                                                classifier_activation=None)  # logits: softmax would flatten differences
    project, rebuilt = round_trip(model, tmp_path, scale=255.0 if name == "EfficientNetB0" else 1.0)
    graph = project.graph
    assert graph.input_nodes() == [model.inputs[0]._keras_history.operation.name]
    outputs = graph.output_nodes()
    assert len(outputs) == 1 and graph.nodes[outputs[0]].type == "Dense"
    # laid out top to bottom: every wire goes down, no two nodes on the same spot
    positions = {n: node.position for n, node in graph.nodes.items()}
    assert all(positions[e.target][1] > positions[e.source][1] for e in graph.edges)
    assert len(set(positions.values())) == len(positions)


def test_weights_matter(tmp_path):
    """The round trip's agreement comes from the imported weights, not from identical initialisation."""
    model = randomize(unet_model())
    result = project_from_model(model, "m")
    rebuilt = build_model(result.graph)
    x = _inputs(model)
    assert np.max(np.abs(_outputs(model, x)[0] - _outputs(rebuilt, x)[0])) > 1e-3
    save_node_weights(result.layers, tmp_path / "m.weights.h5")
    report = load_node_weights(rebuilt, tmp_path / "m.weights.h5")
    assert not report.skipped and len(report.loaded) == 8
    assert np.max(np.abs(_outputs(model, x)[0] - _outputs(rebuilt, x)[0])) < 1e-5


def multi_io_model():
    image = keras.Input((16, 16, 3), name="image")
    meta = keras.Input((5,), name="meta")
    x = layers.Conv2D(4, 3, padding="same", activation="relu", name="conv")(image)
    x = layers.MaxPooling2D(name="pool")(x)
    x = layers.Flatten(name="flat")(x)
    y = layers.Dense(8, activation="relu", name="meta_dense")(meta)
    features = layers.Dense(6, activation="tanh", name="features")(layers.Concatenate(name="joined")([x, y]))
    label = layers.Dense(3, activation="softmax", name="label")(features)
    score = layers.Dense(1, name="score")(layers.Dropout(0.3, name="drop")(features))
    # outputs in an order that is not the data-flow order; `features` also feeds other layers
    return keras.Model([image, meta], [score, features, label], name="multi_io")


def test_multi_input_multi_output(tmp_path):
    model = multi_io_model()
    project, rebuilt = round_trip(model, tmp_path)
    graph = project.graph
    assert graph.input_nodes() == ["image", "meta"]
    assert graph.output_nodes() == ["score", "features", "label"]
    assert graph.nodes["features"].output and not graph.nodes["label"].output
    assert [e.source for e in graph.incoming("joined")] == ["flat", "meta_dense"]
    assert rebuilt.output_names == ["score", "features", "label"]


def unet_model():
    inputs = keras.Input((32, 32, 1), name="image")
    c1 = layers.Conv2D(8, 3, padding="same", activation="relu")(inputs)
    c1 = layers.Conv2D(8, 3, padding="same", activation="relu")(c1)
    p1 = layers.MaxPooling2D()(c1)
    c2 = layers.Conv2D(16, 3, padding="same", activation="relu")(p1)
    p2 = layers.MaxPooling2D()(c2)
    b = layers.Conv2D(32, 3, padding="same", activation="relu")(p2)
    u2 = layers.Conv2DTranspose(16, 2, strides=2, padding="same")(b)
    c3 = layers.Conv2D(16, 3, padding="same", activation="relu")(layers.Concatenate()([u2, c2]))
    u1 = layers.UpSampling2D()(c3)
    c4 = layers.Conv2D(8, 3, padding="same", activation="relu")(layers.Concatenate()([u1, c1]))
    outputs = layers.Conv2D(1, 1, activation="sigmoid", name="mask")(c4)
    return keras.Model(inputs, outputs, name="unet")


def test_unet(tmp_path):
    project, _ = round_trip(unet_model(), tmp_path)
    assert project.graph.output_nodes() == ["mask"]


def lstm_model():
    inputs = keras.Input((12, 6), name="series")
    x = layers.LSTM(16, return_sequences=True, name="lstm_1")(inputs)
    x = layers.Bidirectional(layers.LSTM(8, return_sequences=True), name="bi")(x)
    x = layers.LSTM(8, name="lstm_3")(x)
    return keras.Model(inputs, layers.Dense(3, activation="softmax", name="out")(x), name="stacked_lstm")


def test_stacked_bidirectional_lstm(tmp_path):
    project, _ = round_trip(lstm_model(), tmp_path)
    inner = project.graph.nodes["bi"].params["layer"]
    assert inner["class_name"] == "LSTM" and inner["config"]["units"] == 8
    assert "module" not in inner and "registered_name" not in inner


def transformer_model():
    inputs = keras.Input((10, 16), name="tokens")
    attention = layers.MultiHeadAttention(num_heads=2, key_dim=8, name="attention")(inputs, inputs)
    x = layers.LayerNormalization(name="norm_1")(layers.Add(name="residual_1")([inputs, layers.Dropout(0.1)(attention)]))
    f = layers.Dense(32, activation="relu", name="ffn_1")(x)
    f = layers.Dense(16, name="ffn_2")(f)
    x = layers.LayerNormalization(name="norm_2")(layers.Add(name="residual_2")([x, f]))
    x = layers.GlobalAveragePooling1D(name="pool")(x)
    return keras.Model(inputs, layers.Dense(4, activation="softmax", name="out")(x), name="encoder")


def test_transformer_encoder(tmp_path):
    project, _ = round_trip(transformer_model(), tmp_path)
    ports = {blocks.input_ports("MultiHeadAttention")[e.target_port] for e in project.graph.incoming("attention")}
    assert {"query", "value"} <= ports


def test_frozen_layer_stays_frozen_and_h5_sequential(tmp_path):
    model = keras.Sequential([keras.Input((8,), name="features"), layers.Dense(6, activation="relu", name="hidden"),
                              layers.Dense(3, name="out")], name="seq")
    model.get_layer("hidden").trainable = False
    project, rebuilt = round_trip(model, tmp_path, suffix=".h5")
    assert project.graph.input_nodes() == ["features"]
    assert project.graph.nodes["hidden"].trainable is False
    assert json.loads((tmp_path / "imported.json").read_text())["graph"]["nodes"][1]["trainable"] is False
    assert rebuilt.get_layer("hidden").trainable is False and rebuilt.get_layer("out").trainable


def test_trainer_fine_tunes_from_the_imported_weights(tmp_path):
    from builder.training import Trainer

    model = keras.Sequential([keras.Input((8, 8, 1)), layers.Flatten(name="flat"),
                              layers.Dense(16, activation="relu", name="frozen"),
                              layers.Dense(10, activation="softmax", name="digit")])
    model.get_layer("frozen").trainable = False
    model.save(tmp_path / "m.keras")
    import_model(tmp_path / "m.keras", tmp_path / "p.json")
    project = load_project(tmp_path / "p.json")
    trainer = Trainer(project, run_dir=tmp_path / "run", epochs=1)
    trainer.run()
    # the frozen layer kept exactly the imported weights; the trainable one moved from them
    for got, want in zip(trainer.model.get_layer("frozen").get_weights(), model.get_layer("frozen").get_weights()):
        np.testing.assert_array_equal(got, want)
    assert not np.allclose(trainer.model.get_layer("digit").get_weights()[0], model.get_layer("digit").get_weights()[0])


def test_lambda_layer_is_refused(tmp_path):
    inputs = keras.Input((4,))
    x = layers.Lambda(lambda t: t * 2.0, name="double")(inputs)
    model = keras.Model(inputs, layers.Dense(2)(x))
    for suffix in (".keras", ".h5"):
        path = tmp_path / f"lambda{suffix}"
        model.save(path)
        with pytest.raises(LayerboardError, match="refuses Lambda layers because they run arbitrary Python code") as info:
            import_model(path, tmp_path / f"p{suffix}.json")
        assert "double" in str(info.value) and "Replace each Lambda" in str(info.value)
        assert not (tmp_path / f"p{suffix}.json").exists()


def test_unsupported_parts_are_reported_by_name_and_reason():
    inputs = keras.Input((4,), name="x")
    y = layers.Dense(4, name="dense")(inputs)
    z = keras.ops.sin(y)
    code = layers.Lambda(lambda t: t * 2, name="doubled")(layers.Flatten(name="flat")(z))
    model = keras.Model(inputs, layers.Dense(2, name="head")(code))
    with pytest.raises(LayerboardError) as info:
        project_from_model(model)
    message = str(info.value)
    assert "cannot represent 2 part(s)" in message
    assert "(a keras.ops.sin call, not a layer)" in message
    assert "doubled (Lambda): runs a Python function that a project file cannot hold" in message
    assert "\n" not in message


def test_unsupported_call_argument_is_reported():
    inputs = keras.Input((6, 8))
    x = layers.MultiHeadAttention(2, 4, name="causal")(inputs, inputs, use_causal_mask=True)
    model = keras.Model(inputs, x)
    with pytest.raises(LayerboardError, match=r"causal \(MultiHeadAttention\) is called with use_causal_mask=True"):
        project_from_model(model)


def test_weights_report_and_missing_file(tmp_path):
    model = keras.Sequential([keras.Input((4,)), layers.Dense(3, name="a"), layers.Dense(2, name="b")])
    save_node_weights(model, tmp_path / "w.weights.h5")
    changed = keras.Sequential([keras.Input((4,)), layers.Dense(5, name="a"), layers.Dense(2, name="c")])
    report = load_node_weights(changed, tmp_path / "w.weights.h5")
    assert report.loaded == []
    assert "shape changed" in report.skipped["a"] and "new layer" in report.skipped["c"]
    assert report.unused == ["b"]
    with pytest.raises(LayerboardError, match="does not exist.*remove the \"weights\" entry"):
        load_node_weights(changed, tmp_path / "missing.weights.h5")


def test_cli_import(tmp_path, capsys):
    model = multi_io_model()
    model.save(tmp_path / "m.keras")
    out = tmp_path / "proj.json"
    assert main(["import", str(tmp_path / "m.keras"), "-o", str(out)]) == 0
    text = capsys.readouterr().out
    assert "nodes:" in text and f"{model.count_params():,}" in text and "proj.weights.h5" in text
    assert "unsupported: none" in text
    assert main(["import", str(tmp_path / "m.keras"), "-o", str(out)]) == 1
    assert "already exists" in capsys.readouterr().err
    assert main(["import", str(tmp_path / "m.keras"), "-o", str(out), "--force", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["params"] == model.count_params() and report["outputs"] == ["score", "features", "label"]
    assert report["max_abs_diff"] < 1e-5 and report["unsupported"] == []
    assert main(["check", str(out)]) == 0
    capsys.readouterr()
    assert main(["import", str(tmp_path / "nope.keras"), "-o", str(tmp_path / "q.json")]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error:") and "does not exist" in err and err.count("\n") == 1
