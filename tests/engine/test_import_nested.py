"""Models inside models: a keras.applications backbone used as one layer imports as that backbone block, any other
nested functional or Sequential model as a composite block the project file carries; weights and trainable kept."""
import copy
import json

import numpy as np
import pytest

keras = pytest.importorskip("keras")
from keras import layers  # noqa: E402

from builder.blocks import composites  # noqa: E402
from builder.errors import LayerboardError, ProjectFileError  # noqa: E402
from builder.importer import import_model, project_from_model  # noqa: E402
from builder.model import apply_project_weights, build_model  # noqa: E402
from builder.project import load_project, save_project  # noqa: E402

pytestmark = pytest.mark.catalogue  # make test-catalogue (CI): import of nested and shared models


def _outputs(model, x):
    return [np.asarray(t) for t in keras.tree.flatten(model(x, training=False))]


def _rebuilt(project):
    model = build_model(project.graph, name=project.name, folder=project.folder())
    report = apply_project_weights(model, project)
    assert not report.skipped and not report.unused, report.summary()
    return model


def _assert_same(source, rebuilt, x):
    want, got = _outputs(source, x), _outputs(rebuilt, x)
    assert [w.shape for w in want] == [g.shape for g in got]
    assert max(float(np.std(w, axis=0).max()) for w in want) > 1e-4  # the outputs depend on the input
    for w, g in zip(want, got):
        assert np.max(np.abs(w - g)) < 1e-5
    assert rebuilt.count_params() == source.count_params()


def test_frozen_backbone_imports_as_one_block_and_trains_only_the_head(tmp_path):
    base = keras.applications.MobileNetV2(input_shape=(32, 32, 3), alpha=0.35, include_top=False, weights=None,
                                          pooling="avg")
    rng = np.random.default_rng(0)
    for variable in base.weights:  # weights a fresh backbone does not have (BatchNormalization's 0 and 1)
        w = np.asarray(variable)  # (small variances: a random deep network's features would not vary otherwise)
        value = w * (1 + 0.2 * rng.standard_normal(w.shape)) + 0.02 * rng.standard_normal(w.shape)
        variable.assign((np.abs(value) * 0.01 + 0.002 if "variance" in variable.path else value).astype("float32"))
    base.trainable = False
    image = keras.Input((32, 32, 3), name="image")
    model = keras.Model(image, layers.Dense(3, name="head")(base(image, training=False)))
    model.save(tmp_path / "transfer.keras")

    result = import_model(tmp_path / "transfer.keras", tmp_path / "transfer.json")
    assert result.verification["max_abs_diff"] < 1e-5
    project = load_project(tmp_path / "transfer.json")
    nodes = list(project.graph.nodes.values())
    assert [n.type for n in nodes] == ["Input", "MobileNetV2", "Dense"]
    backbone = nodes[1]
    assert backbone.params == {"input_shape": [32, 32, 3], "alpha": 0.35, "include_top": False, "pooling": "avg"}
    assert backbone.trainable is False and nodes[2].trainable is True
    assert "blocks" not in json.loads((tmp_path / "transfer.json").read_text())
    assert any("catalogue's MobileNetV2 block" in note and "(frozen)" in note for note in result.notes)

    rebuilt = _rebuilt(project)
    x = rng.random((4, 32, 32, 3)).astype("float32") * 2 - 1
    _assert_same(model, rebuilt, x)
    assert [w.path for w in rebuilt.trainable_weights] == ["head/kernel", "head/bias"]  # a frozen base
    before = [keras.ops.convert_to_numpy(w).copy() for w in rebuilt.weights]
    rebuilt.compile(optimizer=keras.optimizers.SGD(0.1), loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    rebuilt.fit(x, np.array([0, 1, 2, 0]), epochs=1, batch_size=2, verbose=0)
    changed = {w.path for w, old in zip(rebuilt.weights, before) if not np.array_equal(np.asarray(w), old)}
    assert changed == {"head/kernel", "head/bias"}


def test_model_shaped_like_a_backbone_but_not_one_becomes_a_block():
    """Layer names alone do not make a backbone: the backbone block must build exactly the nested model."""
    inner_in = keras.Input((8, 8, 3))
    fake = keras.Model(inner_in, layers.ReLU(name="out_relu")(layers.Conv2D(16, 3, name="Conv1")(inner_in)),
                       name="mobilenetv2_0.50_8")
    x = keras.Input((8, 8, 3))
    result = project_from_model(keras.Model(x, layers.Flatten(name="flat")(fake(x))))
    block = result.graph.nodes["mobilenetv2_0_50_8"]
    assert composites.is_composite(block.type) and block.type.startswith("Mobilenetv20508")
    assert sorted(result.layers) == ["flat", "mobilenetv2_0_50_8_Conv1", "mobilenetv2_0_50_8_out_relu"]


def nested_model():
    """A functional sub-model with two outputs, then a frozen Sequential head (with a Sequential inside)."""
    features = keras.Input((6,), name="features")
    wide = layers.Dense(5, activation="tanh", name="wide")(features)
    narrow = layers.Dense(4, name="narrow")(wide)
    pair = keras.Model(features, [wide, narrow], name="pair")
    inner = keras.Sequential([layers.Dense(3, name="last")], name="inner")
    head = keras.Sequential([layers.Dense(8, activation="relu", name="hidden"), inner], name="head")
    head.trainable = False
    x = keras.Input((6,), name="x")
    a, b = pair(x)
    joined = layers.Concatenate(name="joined")([a, b])
    return keras.Model(x, [head(joined), layers.Dense(2, name="side")(b)])


def test_nested_models_import_as_blocks_the_project_carries(tmp_path):
    model = nested_model()
    model.save(tmp_path / "nested.keras")
    result = import_model(tmp_path / "nested.keras", tmp_path / "nested.json")
    assert result.verification["max_abs_diff"] < 1e-5
    data = json.loads((tmp_path / "nested.json").read_text())
    graph = load_project(tmp_path / "nested.json").graph
    pair, head = graph.nodes["pair"], graph.nodes["head"]
    assert pair.type.startswith("Pair") and head.type.startswith("Head")
    assert pair.trainable is True and head.trainable is False
    assert [e.source_port for e in graph.outgoing("pair")] == [0, 1, 1]  # both outputs of the block are wired
    # the project carries both blocks and the one inside the head, inner blocks first
    carried = list(data["blocks"])
    inner_type = next(n["type"] for n in data["blocks"][head.type]["graph"]["nodes"] if n["id"] == "inner")
    assert set(carried) == {pair.type, head.type, inner_type} and carried.index(inner_type) < carried.index(head.type)
    assert sorted(result.layers) == ["head_hidden", "head_inner_last", "joined", "pair_narrow", "pair_wide", "side"]

    # a project whose blocks no library knows: the file is self-contained (a renamed block is registered on read)
    text = (tmp_path / "nested.json").read_text().replace(head.type, "RenamedHead")
    (tmp_path / "renamed.json").write_text(text)
    project = load_project(tmp_path / "renamed.json")
    assert project.graph.nodes["head"].type == "RenamedHead" and composites.is_composite("RenamedHead")
    x = np.random.default_rng(1).random((3, 6)).astype("float32")
    _assert_same(model, _rebuilt(project), x)

    # expanded (the window's "expand" command), it builds the same model with the same weights
    composites.expand(project.graph, "head")
    assert {"head_hidden", "head_inner"} <= set(project.graph.nodes)
    assert project.graph.nodes["head_hidden"].trainable is False
    composites.expand(project.graph, "head_inner")
    assert project.graph.nodes["head_inner_last"].trainable is False
    _assert_same(model, _rebuilt(project), x)
    save_project(project, tmp_path / "expanded.json")  # expanded, it needs only the pair's block
    assert list(json.loads((tmp_path / "expanded.json").read_text())["blocks"]) == [pair.type]

    # renamed, the block's inner layers still read their weights
    again = load_project(tmp_path / "nested.json")
    again.graph.rename_node("pair", "encoder")
    again.weight_groups = {"encoder": "pair"}
    _assert_same(model, _rebuilt(again), x)


def _block(name="BrokenBlock"):
    return {"format": "layerboard-block", "version": 1, "name": name, "description": "", "inputs": ["input"],
            "outputs": [{"name": "output", "node": "dense", "port": 0}],
            "graph": {"nodes": [{"id": "input", "type": "Input", "params": {"shape": [4]}},
                                {"id": "dense", "type": "Dense", "params": {"units": 2}}],
                      "edges": [{"source": "input", "target": "dense"}]}}


def _project(blocks, node_type="BrokenBlock"):
    return {"format": "layerboard-project", "version": 1, "name": "p", "blocks": blocks,
            "graph": {"nodes": [{"id": "x", "type": "Input", "params": {"shape": [4]}},
                                {"id": "b", "type": node_type, "params": {}}],
                      "edges": [{"source": "x", "target": "b"}]}}


@pytest.mark.parametrize("change, place, words", [
    (lambda b: b["BrokenBlock"].update(outputs=[{"name": "output", "node": "nowhere"}]), "blocks.BrokenBlock.outputs[0]",
     "inner node id"),
    (lambda b: b["BrokenBlock"].update(name="Other"), "blocks.BrokenBlock.name", 'must be the block\'s key'),
    (lambda b: b.update(Dense={**b.pop("BrokenBlock"), "name": "Dense"}), "blocks.Dense.name", "catalogue layer"),
    (lambda b: b.update(BrokenBlock=[1, 2]), "blocks.BrokenBlock", "expected a block definition"),
    (lambda b: b["BrokenBlock"]["graph"]["nodes"][1].update(type="NoSuchBlock"), "blocks.BrokenBlock.graph",
     "NoSuchBlock"),
])
def test_malformed_carried_block_is_a_clear_error(tmp_path, change, place, words):
    blocks = {"BrokenBlock": _block()}
    change(blocks)
    path = tmp_path / "p.json"
    path.write_text(json.dumps(_project(blocks)))
    with pytest.raises(ProjectFileError) as info:
        load_project(path)
    assert info.value.place.startswith(place) and words in str(info.value), str(info.value)
    assert "\n" not in str(info.value)


def test_one_name_is_one_block(tmp_path):
    """A block registered by one project cannot mean something else in another; the same definition is welcome, and
    so is a new definition from the same file (edited, or read again after a refused load)."""
    path = tmp_path / "p.json"
    path.write_text(json.dumps(_project({"SessionBlock": _block("SessionBlock")}, "SessionBlock")))
    assert load_project(path).graph.nodes["b"].type == "SessionBlock"
    assert load_project(path).graph.nodes["b"].type == "SessionBlock"  # read again: the same definition
    other = copy.deepcopy(_block("SessionBlock"))
    other["graph"]["nodes"][1]["params"]["units"] = 3
    elsewhere = tmp_path / "other.json"
    elsewhere.write_text(json.dumps(_project({"SessionBlock": other}, "SessionBlock")))
    with pytest.raises(ProjectFileError, match="defined differently by another project"):
        load_project(elsewhere)
    path.write_text(json.dumps(_project({"SessionBlock": other}, "SessionBlock")))  # its own file, edited: welcome
    assert load_project(path).graph.nodes["b"].type == "SessionBlock"
    path.write_text(json.dumps(_project({"ResidualBlock": _block("ResidualBlock")}, "ResidualBlock")))
    with pytest.raises(ProjectFileError, match="also a block of the library"):
        load_project(path)


def test_a_nested_model_called_twice_is_refused_by_name():
    twice = keras.Sequential([layers.Dense(3, name="inner_dense")], name="twice")
    x = keras.Input((3,))
    model = keras.Model(x, layers.Add(name="sum")([twice(x), twice(layers.Dense(3, name="pre")(x))]))
    with pytest.raises(LayerboardError, match=r"twice \(a nested model called more than once"):
        project_from_model(model)
