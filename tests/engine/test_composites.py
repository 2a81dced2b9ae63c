"""Composite blocks: shipped blocks infer and build, expanding changes nothing in the built model,
selections save as blocks and load back, names are checked, projects keep their blocks."""
from __future__ import annotations

import json

import numpy as np
import pytest

from builder.blocks import composites

from builder.model import save_selection
from builder import blocks
from builder.cli import main as cli_main
from builder.errors import GraphError, LayerboardError
from builder.graph import Graph
from builder.model import build_model
from builder.project import Project
from builder.project import load_project, save_project
from builder.model import infer_shapes
from builder.project import load_template

SHIPPED = ["InvertedResidualBlock", "PatchEmbedding", "ResidualBlock", "TransformerEncoderBlock"]


def standalone(name: str, params: dict | None = None, head: str | None = None) -> Graph:
    """Input(s) with the block's example shapes -> the block [-> a head layer]."""
    defn = composites.definition(name)
    inner = defn.graph()
    g = Graph()
    for i, input_name in enumerate(defn.inputs):
        g.add_node("Input", dict(inner.nodes[input_name].params), (i * 240, 0), node_id=f"in_{input_name}")
    node = g.add_node(name, params or {}, (0, 90))
    for port, input_name in enumerate(defn.inputs):
        g.connect(f"in_{input_name}", node.id, 0, port)
    if head:
        g.add_node(head, blocks.initial_params(head), (0, 180), node_id="head")
        g.connect(node.id, "head")
    return g


def layer_signature(model) -> list[tuple[str, str, dict]]:
    return [(layer.name, type(layer).__name__, layer.get_config()) for layer in model.layers]


# ---- shipped blocks ------------------------------------------------------------------------------
def test_shipped_blocks_load_and_show_in_the_palette():
    assert sorted(composites.definitions()) == SHIPPED
    assert composites.load_problems() == []
    assert blocks.palette()["Blocks"] == SHIPPED
    assert "My blocks" not in blocks.palette()
    assert set(SHIPPED) <= set(blocks.block_types())
    for name in SHIPPED:
        assert blocks.is_known(name)
        assert blocks.input_ports(name) == ["input"] and blocks.required_inputs(name) == 1
        assert blocks.output_ports(name) == ["output"]
        assert blocks.initial_params(name) == {}


@pytest.mark.parametrize("name", SHIPPED)
def test_every_shipped_block_infers_shapes_and_builds(name):
    g = standalone(name)
    report = infer_shapes(g)
    assert report.valid, report.summary()
    node_id = [n for n in g.nodes if g.nodes[n].type == name][0]
    result = report.nodes[node_id]
    assert result.params > 0
    model = build_model(g)
    assert model.count_params() == result.params
    assert tuple(model.output.shape) == result.shape
    assert all(layer.name.startswith(f"{node_id}_") for layer in model.layers if not layer.name.startswith("in_"))


EXPECTED = {  # shape of the block's output and its parameter count, worked out by hand from the layers
    "ResidualBlock": ((None, 16, 16, 32), 2 * (3 * 3 * 32 * 32) + 2 * 4 * 32),
    "InvertedResidualBlock": ((None, 16, 16, 24), 24 * 144 + 4 * 144 + 9 * 144 + 4 * 144 + 144 * 24 + 4 * 24),
    "TransformerEncoderBlock": ((None, 16, 64), 4 * (64 * 64 + 64) + 2 * 128 + (64 * 128 + 128) + (128 * 64 + 64)),
    "PatchEmbedding": ((None, 64, 64), 4 * 4 * 3 * 64 + 64 * 64 + 64 * 64),
}


@pytest.mark.parametrize("name", SHIPPED)
def test_shipped_blocks_have_the_textbook_shapes_and_sizes(name):
    result = [r for n, r in infer_shapes(standalone(name)).nodes.items() if not n.startswith("in_")][0]
    assert (result.shape, result.params) == EXPECTED[name]


@pytest.mark.parametrize("name,head", [("ResidualBlock", "Flatten"), ("InvertedResidualBlock", None),
                                       ("TransformerEncoderBlock", "Dense"), ("PatchEmbedding", "Dense")])
def test_the_built_model_is_the_same_expanded_or_not(name, head):
    compact = standalone(name, head=head)
    expanded = Graph.from_dict(compact.to_dict())
    node_id = [n for n, node in compact.nodes.items() if node.type == name][0]
    composites.expand(expanded, node_id)
    assert not composites.has_composites(expanded)

    a, b = build_model(compact), build_model(expanded)
    assert layer_signature(a) == layer_signature(b)
    assert a.count_params() == b.count_params() == infer_shapes(compact).total_params
    assert a.output_names == b.output_names
    b.set_weights(a.get_weights())
    x = np.random.default_rng(0).normal(size=(2, *a.input.shape[1:])).astype("float32")
    np.testing.assert_allclose(a.predict(x, verbose=0), b.predict(x, verbose=0), rtol=1e-5, atol=1e-5)


def test_exposed_parameters_set_the_inner_layers_and_mistakes_name_the_inner_layer():
    g = Graph()
    g.add_node("Input", {"shape": [8, 8, 16]}, node_id="x")
    g.add_node("ResidualBlock", {"filters": 16, "kernel_size": [5, 5]}, node_id="res")
    g.connect("x", "res")
    result = infer_shapes(g).nodes["res"]
    assert result.ok and result.shape == (None, 8, 8, 16)
    assert result.params == 2 * (5 * 5 * 16 * 16) + 2 * 4 * 16
    model = build_model(g)
    assert model.get_layer("res_conv_1").get_config()["kernel_size"] == (5, 5)

    g.set_param("res", "filters", 8)  # the skip Add now sees 8 and 16 channels
    error = infer_shapes(g).nodes["res"].error
    assert "res_add" in error and "(None, 8, 8, 8)" in error and "Expand the block" in error
    with pytest.raises(LayerboardError, match="at least 1"):
        blocks.check_param("ResidualBlock", "filters", 0)


def test_a_block_as_model_output_and_with_a_frozen_switch():
    g = standalone("ResidualBlock")
    g.set_flag("residual_block_1", "trainable", False)
    model = build_model(g)
    assert model.output_names == ["residual_block_1_relu_out"]
    assert model.trainable_weights == []
    plan = composites.expand(g, "residual_block_1")
    assert all(not n.trainable for n in plan.nodes)
    assert g.output_nodes() == ["residual_block_1_relu_out"]


def test_expansion_is_reversible_and_wires_the_neighbours():
    g = load_template("digits_cnn").graph
    g.disconnect(g.incoming("flatten")[0])
    g.add_node("ResidualBlock", {"filters": 32}, (0, 400), node_id="res")
    g.connect("conv2d_2", "res")
    g.connect("res", "flatten")
    before = g.to_dict()
    plan = composites.plan_expansion(g, "res")
    composites.apply_expansion(g, plan)
    assert "res" not in g.nodes and "res_conv_1" in g.nodes
    assert [e.source for e in g.incoming("res_conv_1")] == ["conv2d_2"]
    assert sorted(e.source for e in g.incoming("res_add")) == ["conv2d_2", "res_bn_2"]
    assert [e.source for e in g.incoming("flatten")] == ["res_relu_out"]
    assert infer_shapes(g).valid
    composites.undo_expansion(g, plan)
    after = g.to_dict()
    assert sorted(map(json.dumps, after["nodes"])) == sorted(map(json.dumps, before["nodes"]))
    assert sorted(map(json.dumps, after["edges"])) == sorted(map(json.dumps, before["edges"]))


def test_expanding_needs_a_block_with_its_inputs_wired():
    g = Graph()
    g.add_node("ResidualBlock", node_id="res")
    g.add_node("Dense", {"units": 2}, node_id="d")
    with pytest.raises(GraphError, match="Wire the 'input' input"):
        composites.expand(g, "res")
    with pytest.raises(GraphError, match="not a composite block"):
        composites.expand(g, "d")
    with pytest.raises(LayerboardError, match="composite block, not a Keras layer"):
        blocks.keras_class("ResidualBlock")


# ---- saving a selection ----------------------------------------------------------------------
def test_save_selection_round_trip(user_blocks):
    original = load_template("digits_cnn").graph
    data = save_selection(original, ["conv2d_1", "max_pooling2d", "conv2d_2"], "ConvStack", "two convs")
    assert data["inputs"] == ["input"]
    assert data["outputs"] == [{"name": "output", "node": "conv2d_2", "port": 0}]
    inner_input = [n for n in data["graph"]["nodes"] if n["type"] == "Input"][0]
    assert inner_input["params"]["shape"] == [8, 8, 1]  # the example shape comes from shape inference
    path = composites.save_block(data)
    assert path == user_blocks / "ConvStack.json"
    assert json.loads(path.read_text())["format"] == "layerboard-block"
    assert blocks.palette()["My blocks"] == ["ConvStack"]
    assert composites.definition("ConvStack").description == "two convs"

    # The same model with the three layers replaced by the block.
    g = load_template("digits_cnn").graph
    for node_id in ("conv2d_1", "max_pooling2d", "conv2d_2"):
        g.remove_node(node_id)
    g.add_node("ConvStack", {}, (0, 200), node_id="stack")
    g.connect("rescaling", "stack")
    g.connect("stack", "flatten")
    report = infer_shapes(g)
    assert report.valid, report.summary()
    assert report.nodes["stack"].shape == (None, 4, 4, 32)
    assert build_model(g).count_params() == build_model(original).count_params() == report.total_params
    assert "stack_conv2d_1" in [layer.name for layer in build_model(g).layers]


def test_save_selection_with_a_shared_input_and_two_outputs():
    g = Graph()
    g.add_node("Input", {"shape": [6]}, node_id="x")
    g.add_node("Dense", {"units": 6}, node_id="a")
    g.add_node("Dense", {"units": 6}, node_id="b")
    g.add_node("Add", {}, node_id="sum")
    g.add_node("Dense", {"units": 3}, node_id="tail")
    g.add_node("Dense", {"units": 2}, node_id="side")
    for s, t, port in [("x", "a", 0), ("x", "b", 0), ("a", "sum", 0), ("b", "sum", 1), ("sum", "tail", 0),
                       ("a", "side", 0)]:
        g.connect(s, t, 0, port)
    data = save_selection(g, ["a", "b", "sum"], "TwoWay")
    assert data["inputs"] == ["input"]  # x feeds both a and b: one input
    assert [(o["name"], o["node"]) for o in data["outputs"]] == [("output_1", "a"), ("output_2", "sum")]
    composites.save_block(data)
    assert blocks.output_ports("TwoWay", 2) == ["output_1", "output_2"]

    h = Graph()
    h.add_node("Input", {"shape": [6]}, node_id="x")
    h.add_node("TwoWay", node_id="two")
    h.add_node("Dense", {"units": 3}, node_id="tail")
    h.add_node("Dense", {"units": 2}, node_id="side")
    h.connect("x", "two")
    h.connect("two", "side", 0, 0)
    h.connect("two", "tail", 1, 0)
    report = infer_shapes(h)
    assert report.valid, report.summary()
    assert report.nodes["two"].output_shapes == [(None, 6), (None, 6)]
    assert build_model(h).count_params() == build_model(g).count_params()


@pytest.mark.parametrize("name,message", [
    ("myBlock", "not a valid block name"),
    ("My Block", "not a valid block name"),
    ("", "not a valid block name"),
    ("Dense", "already a Keras layer"),
    ("ResidualBlock", "already a shipped block"),
])
def test_bad_block_names_are_refused(name, message):
    g = load_template("digits_cnn").graph
    with pytest.raises(composites.BlockError, match=message):
        save_selection(g, ["conv2d_1"], name)


def test_bad_selections_are_refused_with_the_reason():
    g = load_template("digits_cnn").graph
    with pytest.raises(composites.BlockError, match="Select the blocks"):
        save_selection(g, [], "Empty")
    with pytest.raises(composites.BlockError, match="is an Input"):
        save_selection(g, ["image", "rescaling"], "WithInput")
    with pytest.raises(composites.BlockError, match="gap: 'max_pooling2d'"):
        save_selection(g, ["conv2d_1", "conv2d_2"], "Gappy")
    with pytest.raises(GraphError, match="no node 'nope'"):
        save_selection(g, ["nope"], "Missing")


def test_a_saved_name_is_not_overwritten_by_accident(user_blocks):
    g = load_template("digits_cnn").graph
    composites.save_block(save_selection(g, ["conv2d_1"], "OneConv"))
    with pytest.raises(composites.BlockError, match="already exists"):
        composites.save_block(save_selection(g, ["conv2d_2"], "OneConv"))
    composites.save_block(save_selection(g, ["conv2d_2"], "OneConv"), overwrite=True)
    assert composites.definition("OneConv").graph().nodes["conv2d_2"].params["filters"] == 32


def test_broken_block_files_are_skipped_with_a_reason(user_blocks):
    user_blocks.mkdir()
    (user_blocks / "Broken.json").write_text("{not json")
    (user_blocks / "Dense.json").write_text(json.dumps({**composites.definition("ResidualBlock").to_dict(),
                                                         "name": "Dense"}))
    composites.refresh()
    problems = composites.load_problems()
    assert any("Broken.json" in p and "malformed JSON" in p for p in problems)
    assert any("Dense.json" in p and "catalogue layer" in p for p in problems)
    assert sorted(composites.definitions()) == SHIPPED


def test_a_block_can_use_another_block():
    g = Graph()
    g.add_node("Input", {"shape": [8, 8, 16]}, node_id="x")
    g.add_node("ResidualBlock", {"filters": 16}, node_id="r1")
    g.add_node("ResidualBlock", {"filters": 16}, node_id="r2")
    g.add_node("Flatten", node_id="f")
    for s, t in [("x", "r1"), ("r1", "r2"), ("r2", "f")]:
        g.connect(s, t)
    composites.save_block(save_selection(g, ["r1", "r2"], "TwoResiduals"))
    h = Graph()
    h.add_node("Input", {"shape": [8, 8, 16]}, node_id="x")
    h.add_node("TwoResiduals", node_id="two")
    h.connect("x", "two")
    assert infer_shapes(h).nodes["two"].params == infer_shapes(g).total_params
    names = [layer.name for layer in build_model(h).layers]
    assert "two_r1_conv_1" in names and "two_r2_relu_out" in names


# ---- projects, CLI, no Keras for the palette ----------------------------------------------------
def test_project_save_and_load_keep_a_composite_node(tmp_path):
    g = standalone("TransformerEncoderBlock", {"num_heads": 2, "dropout": 0.2}, head="Dense")
    path = save_project(Project(graph=g, name="t"), tmp_path / "t.json")
    loaded = load_project(path)
    assert loaded.graph.to_dict() == g.to_dict()
    node = loaded.graph.nodes["transformer_encoder_block_1"]
    assert node.type == "TransformerEncoderBlock" and node.params == {"num_heads": 2, "dropout": 0.2}
    model = build_model(loaded.graph)
    assert model.get_layer("transformer_encoder_block_1_attention").num_heads == 2
    assert model.get_layer("transformer_encoder_block_1_dropout_2").rate == 0.2


def test_cli_lists_and_saves_blocks(tmp_path, user_blocks, capsys):
    assert cli_main(["blocks"]) == 0
    out = capsys.readouterr().out
    assert "TransformerEncoderBlock" in out and "Blocks" in out
    project = tmp_path / "p.json"
    cli_main(["new", "digits_cnn", "-o", str(project)])
    capsys.readouterr()
    assert cli_main(["blocks", "save", str(project), "--nodes", "conv2d_1,max_pooling2d", "--name", "ConvPool",
                     "--description", "conv then pool"]) == 0
    assert "saved block ConvPool" in capsys.readouterr().out
    assert (user_blocks / "ConvPool.json").exists()
    assert cli_main(["blocks", "--json"]) == 0
    listed = {b["name"]: b for b in json.loads(capsys.readouterr().out)["blocks"]}
    assert listed["ConvPool"]["category"] == "My blocks" and listed["ConvPool"]["description"] == "conv then pool"
    assert cli_main(["blocks", "save", str(project), "--nodes", "conv2d_1", "--name", "bad name"]) == 1
    assert "not a valid block name" in capsys.readouterr().err



@pytest.mark.slow
def test_the_shipped_patch_embedding_runs_in_tflite(tmp_path):
    """Its position embedding is an einsum TFLite's XNNPack can run (abc,c->abc failed to reshape there)."""
    from builder.export import export_model

    g = Graph()
    g.add_node("Input", {"shape": [32, 32, 3]}, node_id="image")
    g.add_node("PatchEmbedding", {}, node_id="patches")
    g.add_node("GlobalAveragePooling1D", {}, node_id="pool")
    g.add_node("Dense", {"units": 5, "activation": "softmax"}, node_id="shape")
    g.connect("image", "patches"), g.connect("patches", "pool"), g.connect("pool", "shape")
    path = tmp_path / "patches.keras"
    build_model(g).save(path)
    report = export_model(path, "tflite", tmp_path / "patches.tflite")
    assert report.verified and report.max_abs_diff < 1e-4
