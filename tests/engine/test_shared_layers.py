"""Shared layers: nodes that call one Keras layer (a siamese encoder, tied weights) keep one set of arguments and
weights in the graph, the project file, the built model, the shape report, the cost, the weights file and the
Python code export."""
from __future__ import annotations

import json

import numpy as np
import pytest

from builder.errors import GraphError, ProjectFileError
from builder.graph import FlagChanged, Graph, ParamChanged
from builder.project import Project, load_project, save_project


def siamese(units: int = 6) -> Graph:
    """Two Inputs, one Dense called on each (dense_2 shares dense_1's layer), their difference."""
    g = Graph()
    g.add_node("Input", {"shape": [4]}, node_id="left")
    g.add_node("Input", {"shape": [4]}, node_id="right")
    g.add_node("Dense", {"units": units, "activation": "relu"}, node_id="encoder")
    g.add_node("Dense", {}, node_id="encoder_call2", shares="encoder")
    g.add_node("Subtract", node_id="diff")
    g.connect("left", "encoder")
    g.connect("right", "encoder_call2")
    g.connect("encoder", "diff", target_port=0)
    g.connect("encoder_call2", "diff", target_port=1)
    return g


# ---- the graph's rules (no Keras) --------------------------------------------------------------
def test_a_sharing_node_takes_its_owners_params_and_one_edit_sets_them_on_all():
    g = siamese()
    assert g.nodes["encoder_call2"].params == {"units": 6, "activation": "relu"}
    assert g.sharing_group("encoder_call2") == g.sharing_group("encoder") == ["encoder", "encoder_call2"]
    events = []
    g.events.subscribe(events.append)
    g.set_param("encoder_call2", "units", 9)
    assert [n.params["units"] for n in g.nodes.values() if n.type == "Dense"] == [9, 9]
    assert {(type(e), e.node.id) for e in events} == {(ParamChanged, "encoder"), (ParamChanged, "encoder_call2")}
    g.set_flag("encoder", "trainable", False)  # one layer: frozen together
    assert not g.nodes["encoder_call2"].trainable
    g.set_flag("encoder", "output", True)  # a call's output is its own
    assert not g.nodes["encoder_call2"].output


def test_renaming_the_owner_follows_and_removing_it_hands_the_layer_on():
    g = siamese()
    g.add_node("Dense", node_id="encoder_call3", shares="encoder")
    g.rename_node("encoder", "enc")
    assert g.nodes["encoder_call2"].shares == g.nodes["encoder_call3"].shares == "enc"
    events = []
    g.events.subscribe(events.append)
    g.remove_node("enc")
    assert g.nodes["encoder_call2"].shares is None  # the first sharing node owns the layer now
    assert g.nodes["encoder_call3"].shares == "encoder_call2"
    assert g.nodes["encoder_call3"].params == g.nodes["encoder_call2"].params == {"units": 6, "activation": "relu"}
    assert FlagChanged(g.nodes["encoder_call2"], "shares") in events


@pytest.mark.parametrize("node, owner, says", [
    ("encoder_call2", "nowhere", "there is no such node"),
    ("encoder_call2", "diff", "both nodes must be of the same type"),
    ("encoder_call2", "encoder_call2", "cannot share weights with itself"),
    ("encoder", "encoder_call2", "'encoder_call2' already calls the layer of 'encoder'"),  # a loop
    ("encoder", "other", "other nodes share its own layer"),  # a chain behind it
    ("other", "encoder_call2", "name 'encoder' instead"),  # a chain
    ("left", "right", "an Input has no layer to share"),
])
def test_a_bad_share_is_refused_with_what_to_do(node, owner, says):
    g = siamese()
    g.add_node("Dense", {"units": 6}, node_id="other")
    assert says in g.share_problem(node, owner)
    with pytest.raises(GraphError, match=says):
        g.set_shares(node, owner)
    assert g.nodes[node].shares == siamese().nodes[node].shares if node in siamese().nodes else g.nodes[node].shares is None


def test_a_new_node_is_held_to_the_same_rules():
    g = siamese()
    with pytest.raises(GraphError, match="name 'encoder' instead"):
        g.add_node("Dense", node_id="encoder_call3", shares="encoder_call2")
    assert "encoder_call3" not in g.nodes
    g.add_node("Dense", {"units": 99}, node_id="encoder_call3", shares="encoder")  # the given params give way
    assert g.nodes["encoder_call3"].params == g.nodes["encoder"].params


def test_the_project_file_keeps_who_shares(tmp_path):
    path = save_project(Project(graph=siamese(), name="siamese"), tmp_path / "s.json")
    data = json.loads(path.read_text())
    written = {n["id"]: n for n in data["graph"]["nodes"]}
    assert written["encoder_call2"]["shares"] == "encoder" and "shares" not in written["encoder"]
    again = load_project(path).graph
    assert again.to_dict() == siamese().to_dict()
    # an owner written after its sharing node still loads
    data["graph"]["nodes"].sort(key=lambda n: n["id"] != "encoder_call2")
    path.write_text(json.dumps(data))
    assert load_project(path).graph.nodes["encoder_call2"].shares == "encoder"


@pytest.mark.parametrize("edit, place, says", [
    (lambda n: n["encoder_call2"].update(shares="nowhere"), "graph.nodes[3].shares", "there is no such node"),
    (lambda n: n["encoder_call2"].update(shares="diff"), "graph.nodes[3].shares", "same type"),
    (lambda n: n["left"].update(shares="right"), "graph.nodes[0].shares", "an Input has no layer"),
    (lambda n: n["encoder"].update(shares="encoder_call2"), "graph.nodes[3].shares", "already calls the layer"),
    (lambda n: n["encoder_call2"].update(shares=3), "graph.nodes[3].shares", "expected the id of the node"),
    (lambda n: n["encoder_call2"]["params"].update(units=7), "graph.nodes[3].params", "units differ"),
])
def test_a_bad_shares_in_the_file_is_refused_naming_the_node(tmp_path, edit, place, says):
    path = save_project(Project(graph=siamese(), name="siamese"), tmp_path / "s.json")
    data = json.loads(path.read_text())
    edit({n["id"]: n for n in data["graph"]["nodes"]})
    path.write_text(json.dumps(data))
    with pytest.raises(ProjectFileError) as error:
        load_project(path)
    assert place in str(error.value) and says in str(error.value)


# ---- Keras: one layer, weights counted once ---------------------------------------------------
def test_the_model_calls_one_layer_and_counts_its_weights_once(tmp_path):
    from builder.model import build_model, estimate, infer_shapes, load_node_weights, save_node_weights

    g = siamese()
    model = build_model(g)
    dense = [layer for layer in model.layers if type(layer).__name__ == "Dense"]
    assert [layer.name for layer in dense] == ["encoder"] and len(dense[0]._inbound_nodes) == 2
    assert model.count_params() == 4 * 6 + 6
    report = infer_shapes(g)
    assert report.nodes["encoder"].params == 30 and report.nodes["encoder_call2"].params == 0
    assert report.nodes["encoder_call2"].shares == "encoder"
    assert report.total_params == report.trainable_params(g) == estimate(g, report).params == model.count_params()

    x = [np.random.default_rng(0).normal(size=(3, 4)).astype("float32") for _ in range(2)]
    weights = save_node_weights(model, tmp_path / "s.weights.h5")
    rebuilt = build_model(siamese())
    loaded = load_node_weights(rebuilt, weights)
    assert loaded.loaded == ["encoder"] and not loaded.skipped and not loaded.unused
    np.testing.assert_allclose(rebuilt(x), model(x), atol=1e-6)


def test_a_shared_layer_fed_another_shape_is_named_with_the_fix():
    from builder.model import infer_shapes

    g = siamese()
    g.set_param("right", "shape", [5])
    report = infer_shapes(g)
    assert report.nodes["encoder"].ok
    error = report.nodes["encoder_call2"].error
    assert "shares the layer of 'encoder'" in error and "(None, 4)" in error and "(None, 5)" in error


def test_the_python_code_calls_the_same_layer_variable_again():
    from builder.export.python_code import python_source
    from builder.model import build_model

    project = Project(graph=siamese(), name="siamese")
    source = python_source(project)
    assert "encoder_layer = layers.Dense(" in source
    assert "encoder = encoder_layer(left)" in source and "encoder_call2 = encoder_layer(right)" in source
    namespace: dict = {}
    exec(compile(source, "siamese.py", "exec"), namespace)
    model = namespace["build_model"]()
    assert model.count_params() == build_model(project.graph).count_params() == 30
    assert [type(layer).__name__ for layer in model.layers].count("Dense") == 1


def test_removing_the_owner_hands_its_stored_weights_to_the_node_that_takes_the_layer(tmp_path):
    """An imported siamese model: deleting the owner keeps the trained layer (its first caller reads the weights
    stored under the owner's name), and a deleted node's weight group leaves the project file."""
    from builder.model import apply_project_weights, build_model, save_node_weights
    from builder.project import weight_groups_after_removal

    g = siamese()
    model = build_model(g)
    save_node_weights(model, tmp_path / "s.weights.h5")
    project = Project(graph=g, name="s", weights="s.weights.h5", weight_groups={"diff": "diff"})
    path = save_project(project, tmp_path / "s.json")
    project = load_project(path)
    removed = ["encoder", "diff", "left"]
    groups = weight_groups_after_removal(project.graph, project.weight_groups, removed)
    assert groups == {"encoder_call2": "encoder"}  # the owner's weights go on; the deleted 'diff' entry goes
    for node_id in removed:
        project.graph.remove_node(node_id)
    project.graph.add_node("Dense", {"units": 1}, node_id="out")
    project.graph.connect("encoder_call2", "out")
    project.weight_groups = groups
    rebuilt = build_model(project.graph)
    report = apply_project_weights(rebuilt, project)
    assert "encoder_call2" in report.loaded
    np.testing.assert_allclose(rebuilt.get_layer("encoder_call2").get_weights()[0],
                               model.get_layer("encoder").get_weights()[0])
    project.weight_groups = {**groups, "left": "left"}  # a stale entry is not written: the file names only its nodes
    save_project(project, path)
    assert json.loads(path.read_text())["weight_groups"] == {"encoder_call2": "encoder"}
    assert load_project(path).weight_groups == {"encoder_call2": "encoder"}


def test_a_sharing_node_may_name_its_type_by_a_keras_alias(tmp_path):
    data = {"format": "layerboard-project", "version": 1, "graph": {"nodes": [
        {"id": "a", "type": "Input", "params": {"shape": [8, 8, 1]}},
        {"id": "b", "type": "Input", "params": {"shape": [8, 8, 1]}},
        {"id": "c1", "type": "Convolution2D", "params": {"filters": 2, "kernel_size": 3}},
        {"id": "c2", "type": "Convolution2D", "shares": "c1"},
        {"id": "sum", "type": "Add"}],
        "edges": [{"source": "a", "target": "c1"}, {"source": "b", "target": "c2"},
                  {"source": "c1", "target": "sum"}, {"source": "c2", "target": "sum", "target_port": 1}]}}
    path = tmp_path / "alias.json"
    path.write_text(json.dumps(data))
    graph = load_project(path).graph
    assert graph.nodes["c2"].type == "Conv2D" and graph.nodes["c2"].shares == "c1"
