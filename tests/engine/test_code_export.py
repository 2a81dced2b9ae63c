"""`export --format python`: the generated script builds exactly what Layerboard's build_model builds.

Every script is run in a fresh interpreter (one subprocess for all of them, to pay for importing
Keras once) that knows nothing of Layerboard; what it reports is compared with build_model's
model built here.
"""
from __future__ import annotations

import ast
import json
import os
import subprocess
import sys

import numpy as np
import pytest

from builder import blocks
from builder.export.python_code import literal, python_source, write_python
from builder.errors import GraphError
from builder.graph import Graph
from builder.model import build_model
from builder.project import DatasetRef, Project, TrainingConfig
from builder.project import load_template

# The same description of a model, here and in the subprocess.
DESCRIBE = r'''
import json

def _strip_names(value):
    if isinstance(value, dict):
        return {k: _strip_names(v) for k, v in value.items() if k != "name"}
    if isinstance(value, (list, tuple)):
        return [_strip_names(v) for v in value]
    return value

def describe(model):
    layers = [
        [type(l).__name__, l.name, l.trainable,
         json.loads(json.dumps(_strip_names(l.get_config()), sort_keys=True, default=repr))]
        for l in model.layers
    ]
    return {
        "name": model.name,
        "params": int(model.count_params()),
        "trainable_params": int(sum(int(np.prod(w.shape)) for w in model.trainable_weights)),
        "inputs": [t.name for t in model.inputs],
        "outputs": list(model.output_names),
        "output_shapes": [list(t.shape) for t in model.outputs],
        "layers": layers,
    }
'''

DRIVER = r'''
import importlib.util, json, os, sys
import numpy as np
''' + DESCRIBE + r'''
results = {}
for case, path in json.loads(sys.argv[1]).items():
    spec = importlib.util.spec_from_file_location(f"exported_{case}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    results[case] = describe(module.build_model())
if sys.argv[2]:  # train one script briefly through its own main()
    spec = importlib.util.spec_from_file_location("exported_train", sys.argv[2])
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.EPOCHS = 1
    history = module.main()
    results["__train__"] = {"history": {k: [float(x) for x in v] for k, v in history.history.items()},
                            "saved": os.path.exists(module.MODEL_FILE)}
results["__builder_imported__"] = any(m == "builder" or m.startswith("builder.") for m in sys.modules)
print("RESULTS " + json.dumps(results))
'''

_describe_ns: dict = {"np": np}
exec(DESCRIBE, _describe_ns)
describe = _describe_ns["describe"]

# ---- the cases ---------------------------------------------------------------------------------
def _project(graph: Graph, name: str, dataset: str = "custom") -> Project:
    return Project(graph=graph, name=name, dataset=DatasetRef(name=dataset),
                   training=TrainingConfig(optimizer="rmsprop", learning_rate=0.01, loss="mse", metrics=["mae"]))


def multi_io() -> Project:
    """Two inputs, Concatenate, two heads; a hidden node also marked as an output."""
    g = Graph()
    a = g.add_node("Input", {"shape": [4]}, node_id="left")
    b = g.add_node("Input", {"shape": [6]}, node_id="right")
    da = g.add_node("Dense", {"units": 5, "activation": "relu"})
    db = g.add_node("Dense", {"units": 3, "use_bias": False})
    cat = g.add_node("Concatenate", {"axis": -1})
    h1 = g.add_node("Dense", {"units": 3, "activation": "softmax"}, node_id="class")  # a Python keyword
    h2 = g.add_node("Dense", {"units": 1}, node_id="score")
    g.connect(a.id, da.id)
    g.connect(b.id, db.id)
    g.connect(db.id, cat.id, target_port=1)  # wired out of order: port order must decide
    g.connect(da.id, cat.id, target_port=0)
    g.connect(cat.id, h1.id)
    g.connect(cat.id, h2.id)
    g.set_flag(da.id, "output", True)
    return _project(g, "multi io")


def skip_frozen() -> Project:
    """A residual connection with Add, and frozen layers (BatchNormalization and Dense)."""
    g = Graph()
    x = g.add_node("Input", {"shape": [8]})
    d1 = g.add_node("Dense", {"units": 8, "activation": "relu"})
    bn = g.add_node("BatchNormalization", {"momentum": 0.9})
    d2 = g.add_node("Dense", {"units": 8})
    add = g.add_node("Add")
    out = g.add_node("Dense", {"units": 2, "activation": "softmax"})
    for s, t in [(x, d1), (d1, bn), (bn, d2), (d2, out)]:
        g.connect(s.id, t.id)
    g.disconnect(g.incoming(out.id)[0])
    g.connect(d1.id, add.id, target_port=0)
    g.connect(d2.id, add.id, target_port=1)
    g.connect(add.id, out.id)
    g.set_flag(bn.id, "trainable", False)
    g.set_flag(d2.id, "trainable", False)
    return _project(g, "skip_frozen")


def lstm_state() -> Project:
    """LSTM with return_state: the sequence output and state_h feed Dense heads; state_c is an output."""
    g = Graph()
    x = g.add_node("Input", {"shape": [5, 3]}, node_id="seq")
    lstm = g.add_node("LSTM", {"units": 4, "return_state": True})
    y = g.add_node("Dense", {"units": 2}, node_id="y")
    h = g.add_node("Dense", {"units": 1}, node_id="from_state")
    g.connect(x.id, lstm.id)
    g.connect(lstm.id, y.id, source_port=0)
    g.connect(lstm.id, h.id, source_port=1)
    g.set_flag(lstm.id, "output", True)
    return _project(g, "lstm_state")


def attention() -> Project:
    """MultiHeadAttention called as (query=..., value=...)."""
    g = Graph()
    q = g.add_node("Input", {"shape": [4, 8]}, node_id="q")
    v = g.add_node("Input", {"shape": [6, 8]}, node_id="v")
    mha = g.add_node("MultiHeadAttention", {"num_heads": 2, "key_dim": 4})
    flat = g.add_node("Flatten")
    out = g.add_node("Dense", {"units": 3})
    g.connect(v.id, mha.id, target_port=1)
    g.connect(q.id, mha.id, target_port=0)
    g.connect(mha.id, flat.id)
    g.connect(flat.id, out.id)
    return _project(g, "attention")


def bidirectional() -> Project:
    """A wrapper: Bidirectional(LSTM(...)) written inline."""
    g = Graph()
    x = g.add_node("Input", {"shape": [7, 3]})
    bi = g.add_node("Bidirectional", {"layer": {"class_name": "LSTM", "config": {"units": 4, "dropout": 0.1}},
                                      "merge_mode": "sum"})
    out = g.add_node("Dense", {"units": 2, "activation": "sigmoid"})
    g.connect(x.id, bi.id)
    g.connect(bi.id, out.id)
    return _project(g, "bidirectional")


def awkward_names() -> Project:
    """Ids that are not identifiers (or clash with the script's names), quotes in strings, a non-keras.layers class."""
    g = Graph()
    x = g.add_node("Input", {"shape": [8]}, node_id="keras")
    d = g.add_node("Dense", {"units": 8, "activation": "relu"}, node_id="2 layers-deep")
    s = g.add_node("LayerScale", {"init_values": 0.5, "projection_dim": 8}, node_id="layers")
    e = g.add_node("Dense", {"units": 8}, node_id="2_layers_deep")  # collides with the cleaned-up id above
    o = g.add_node("Dense", {"units": 1, "activation": "linear"}, node_id="np")
    for a, b in [(x, d), (d, s), (s, e), (e, o)]:
        g.connect(a.id, b.id)
    project = _project(g, 'my "model\'s" name', dataset="my data")
    project.description = "line one\nline two \x00 with a NUL"
    return project


def composite() -> Project:
    """A shipped composite block (unexpanded in the graph) is written out layer by layer."""
    g = Graph()
    x = g.add_node("Input", {"shape": [8, 8, 16]})
    block = g.add_node("ResidualBlock", {"filters": 16})
    pool = g.add_node("GlobalAveragePooling2D", {})
    out = g.add_node("Dense", {"units": 3})
    for a, b in [(x, block), (block, pool), (pool, out)]:
        g.connect(a.id, b.id)
    return _project(g, "composite")


CASES = {
    "composite": (composite, set()),
    "digits": (lambda: load_template("digits_cnn"), set()),
    "multi_io": (multi_io, set()),
    "skip_frozen": (skip_frozen, set()),
    "lstm_state": (lstm_state, {"LSTM"}),
    "attention": (attention, {"MultiHeadAttention"}),
    "bidirectional": (bidirectional, {"Bidirectional", "LSTM"}),
    "awkward_names": (awkward_names, {"LayerScale"}),
}


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    """Every case written to a script and built in one fresh interpreter; digits also trained 1 epoch."""
    folder = tmp_path_factory.mktemp("code_export")
    projects, paths = {}, {}
    for case, (make, _) in CASES.items():
        projects[case] = make()
        paths[case] = str(write_python(projects[case], folder / f"{case}.py"))
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    proc = subprocess.run(
        [sys.executable, "-I", "-c", DRIVER, json.dumps(paths), paths["digits"]],
        cwd=folder, env=env, capture_output=True, text=True, timeout=150,
    )
    assert proc.returncode == 0, proc.stderr[-4000:]
    line = next(l for l in proc.stdout.splitlines() if l.startswith("RESULTS "))
    return projects, paths, json.loads(line[len("RESULTS "):]), folder


@pytest.mark.parametrize("case", list(CASES))
def test_script_builds_the_same_model_as_layerboard(exported, case):
    projects, paths, results, _ = exported
    project = projects[case]
    expected = describe(build_model(project.graph, name=project.name))
    got = results[case]
    assert got["params"] == expected["params"]
    assert got["trainable_params"] == expected["trainable_params"]
    assert got["inputs"] == expected["inputs"]
    assert got["outputs"] == expected["outputs"]
    assert got["output_shapes"] == expected["output_shapes"]
    assert got["name"] == expected["name"] == project.name
    assert [l[:3] for l in got["layers"]] == [l[:3] for l in expected["layers"]]  # class, name, trainable
    for mine, theirs in zip(got["layers"], expected["layers"]):
        assert mine[3] == theirs[3], f"config of {mine[1]} differs"


def test_script_is_standalone_and_trains(exported):
    _, paths, results, folder = exported
    assert results["__builder_imported__"] is False
    for path in paths.values():
        text = open(path, encoding="utf-8").read()
        assert "builder" not in text.replace("generated by Layerboard", "")
    train = results["__train__"]
    assert train["saved"] and (folder / "digits_cnn.keras").exists()
    assert len(train["history"]["loss"]) == 1 and "val_accuracy" in train["history"]
    assert train["history"]["accuracy"][0] > 0.3  # one epoch of 8x8 digits already learns


@pytest.mark.parametrize("case", list(CASES))
def test_valid_python_with_one_line_per_layer(exported, case):
    projects, paths, _, _ = exported
    project = projects[case]
    if case == "composite":  # the script holds the block's layers, one line each
        from builder.blocks.composites import expand_all

        project = _project(expand_all(project.graph), project.name)
    text = open(paths[case], encoding="utf-8").read()
    compile(text, paths[case], "exec")
    tree = ast.parse(text)
    build = next(f for f in tree.body if isinstance(f, ast.FunctionDef) and f.name == "build_model")
    body = text.splitlines()[build.lineno:build.end_lineno]
    for node_id in project.graph.nodes:
        lines = [l for l in body if f"name={literal(node_id)}" in l]
        assert len(lines) == 1, (node_id, lines)
    assert sum("name=" in l for l in body) == len(project.graph.nodes) + 1  # + keras.Model(...)
    assert text.startswith(f"# {project.name.splitlines()[0]}"[:20]) and "generated by Layerboard" in text.splitlines()[0]


def test_digits_script_reads_like_keras(exported):
    text = open(exported[1]["digits"], encoding="utf-8").read()
    assert ('conv2d_1 = layers.Conv2D(16, kernel_size=(3, 3), padding="same", activation="relu", '
            'name="conv2d_1")(rescaling)') in text
    assert 'max_pooling2d = layers.MaxPooling2D(name="max_pooling2d")(conv2d_1)' in text  # defaults left out
    assert 'return keras.Model(inputs=image, outputs=digit, name="digits_cnn")' in text
    assert "keras.optimizers.Adam(learning_rate=LEARNING_RATE)" in text and "LEARNING_RATE = 0.003" in text
    assert "EPOCHS = 15" in text and "BATCH_SIZE = 32" in text and "keras.utils.set_random_seed(SEED)" in text
    assert 'if __name__ == "__main__":\n    main()' in text


def test_layer_kinds_are_written_as_keras_code(exported):
    projects, paths, _, _ = exported
    text = {case: open(path, encoding="utf-8").read() for case, path in paths.items()}
    assert "concatenate_1 = layers.Concatenate(name=\"concatenate_1\")([dense_1, dense_2])" in text["multi_io"]
    assert "class_ = layers.Dense(3" in text["multi_io"]
    assert "outputs=[dense_1, class_, score]" in text["multi_io"]
    assert "inputs=[left, right]" in text["multi_io"]
    assert "add_1 = layers.Add(name=\"add_1\")([dense_1, dense_2])" in text["skip_frozen"]
    assert "dense_2_layer.trainable = False" in text["skip_frozen"]
    assert "dense_2 = dense_2_layer(batch_normalization_1)" in text["skip_frozen"]
    assert "batch_normalization_1_layer.trainable = False" in text["skip_frozen"]
    _, h, c = (f"lstm_1_{port}" for port in blocks.output_ports("LSTM", 3))  # the catalogue names the ports
    assert f"lstm_1, {h}, {c} = layers.LSTM(4, return_state=True" in text["lstm_state"]
    assert f"({h})" in text["lstm_state"] and f"outputs=[{c}, y, from_state]" in text["lstm_state"]
    assert "(query=q, value=v)" in text["attention"]
    assert ('layers.Bidirectional(layers.LSTM(4, dropout=0.1), merge_mode="sum", name="bidirectional_1")'
            in text["bidirectional"])
    awkward = text["awkward_names"]
    assert "from keras.src.applications.convnext import LayerScale" in awkward
    assert 'layers_2 = LayerScale(0.5, projection_dim=8, name="layers")(n_2_layers_deep)' in awkward
    assert 'n_2_layers_deep_2 = layers.Dense(8, name="2_layers_deep")(layers_2)' in awkward
    assert 'keras_2 = keras.Input(shape=(8,), name="keras")' in awkward


def test_placeholder_data_loader_and_split(exported):
    projects, paths, _, _ = exported
    namespace: dict = {"__name__": "exported"}
    exec(compile(open(paths["multi_io"], encoding="utf-8").read(), paths["multi_io"], "exec"), namespace)
    with pytest.raises(NotImplementedError, match="placeholder.*'custom' is not built in.*left \\(4,\\), right \\(6,\\)"):
        namespace["load_data"]()
    x = [np.arange(10).reshape(10, 1), np.arange(10, 20).reshape(10, 1)]
    y = np.arange(10)
    (x_train, y_train), (x_val, y_val) = namespace["split_data"](x, y)
    assert len(y_train) == 8 and len(y_val) == 2
    assert sorted(np.concatenate([y_train, y_val]).tolist()) == list(range(10))
    assert (x_train[1][:, 0] == y_train + 10).all()  # inputs and targets stay aligned


def test_literals_round_trip():
    values = ["plain", 'double " quote', "single ' quote", "both ' and \"", "back\\slash", "new\nline",
              "emoji \U0001F600 é", 0.1, 1e-7, -0.0, 3, True, None, [1, [2, None]], {"a": [1, "b"]}]
    for value in values:
        assert ast.literal_eval(literal(value)) == value
    assert literal([3, 3], top=True) == "(3, 3)" and literal([8], top=True) == "(8,)"
    assert literal("relu") == '"relu"'
    assert eval(literal(float("inf"))) == float("inf") and np.isnan(eval(literal(float("nan"))))


def test_invalid_graph_is_refused_and_nothing_written(tmp_path):
    g = Graph()
    g.add_node("Input", {"shape": [4]})
    g.add_node("Dense", {"units": 2})
    with pytest.raises(GraphError, match="not valid"):
        write_python(_project(g, "broken"), tmp_path / "broken.py")
    assert list(tmp_path.iterdir()) == []


def test_write_python_returns_the_path(tmp_path, digits_project):
    path = write_python(digits_project, tmp_path / "sub" / "digits.py")
    assert path == tmp_path / "sub" / "digits.py"
    assert path.read_text(encoding="utf-8") == python_source(digits_project)
    assert [p.name for p in path.parent.iterdir()] == ["digits.py"]


def test_script_keeps_the_optimizer_config_decay_and_clipping(digits_project):
    digits_project.training.optimizer = {"class_name": "SGD", "config": {"momentum": 0.9, "nesterov": True}}
    digits_project.training.clipnorm = 1.0
    digits_project.training.metrics = ["accuracy", "top_3_accuracy"]
    source = python_source(digits_project)
    assert "keras.optimizers.SGD(learning_rate=LEARNING_RATE, momentum=0.9, nesterov=True, clipnorm=1.0)" in source
    ast.parse(source)


def test_a_backbone_with_empty_weights_is_written_without_imagenet():
    """Layerboard reads an empty `weights` as none; Keras's own default would download ImageNet's weights."""
    from builder.export import python_source
    from builder.project import load_template

    project = load_template("shapes_transfer_mobilenetv2")
    backbone = next(n for n in project.graph.nodes.values() if n.type == "MobileNetV2")
    assert backbone.params["weights"] == "imagenet"
    assert "weights=" not in next(line for line in python_source(project).splitlines() if "MobileNetV2(" in line)
    backbone.params.pop("weights")
    assert "weights=None" in next(line for line in python_source(project).splitlines() if "MobileNetV2(" in line)
