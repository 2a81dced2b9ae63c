"""Renaming a node: the graph keeps its wires and order and emits one event; the project's references follow."""
from __future__ import annotations

import pytest

from builder.errors import GraphError
from builder.graph import Edge, Graph, NodeRenamed


def _branching_graph() -> Graph:
    graph = Graph()
    graph.add_node("Input", {"shape": [4]}, (0, 0), "inp")
    graph.add_node("Dense", {"units": 3}, (0, 100), "a")
    graph.add_node("Dense", {"units": 2}, (200, 100), "b")
    graph.add_node("Concatenate", {}, (100, 200), "cat")
    graph.connect("inp", "a")
    graph.connect("inp", "b")
    graph.connect("b", "cat", 0, 1)
    graph.connect("a", "cat", 0, 0)
    return graph


def test_rename_node_keeps_wires_order_and_emits_one_event():
    graph = _branching_graph()
    before = graph.to_dict()
    events = []
    graph.events.subscribe(events.append)
    node = graph.node("b")
    graph.rename_node("b", "branch")
    assert [type(e) for e in events] == [NodeRenamed]
    assert events[0].node is node and node.id == "branch" and events[0].old_id == "b"
    assert list(graph.nodes) == ["inp", "a", "branch", "cat"]
    assert graph.edges == (Edge("inp", "a"), Edge("inp", "branch"), Edge("branch", "cat", 0, 1), Edge("a", "cat"))
    assert events[0].edges == ((Edge("inp", "b"), Edge("inp", "branch")),
                               (Edge("b", "cat", 0, 1), Edge("branch", "cat", 0, 1)))
    assert graph.incoming("cat") == [Edge("a", "cat"), Edge("branch", "cat", 0, 1)]
    assert graph.outgoing("inp") == [Edge("inp", "a"), Edge("inp", "branch")]
    assert graph.outgoing("branch") == [Edge("branch", "cat", 0, 1)] and graph.incoming("branch") == [Edge("inp", "branch")]
    assert graph.outgoing("b") == [] and "b" not in graph.nodes
    graph.rename_node("branch", "b")
    assert graph.to_dict() == before
    graph.disconnect(Edge("b", "cat", 0, 1))  # the per-node indexes hold the re-made edges
    assert graph.incoming("cat") == [Edge("a", "cat")] and graph.outgoing("b") == []


@pytest.mark.parametrize("bad, words", [
    ("class", "keyword"), ("match", "keyword"), ("1abc", "not a valid name"), ("a b", "not a valid name"),
    ("", "a name is needed"), ("x" * 201, "at most 200"), ("café", "not a valid name"), ("a", "already exists"),
])
def test_rename_node_refuses_bad_names_and_changes_nothing(bad, words):
    graph = _branching_graph()
    before = graph.to_dict()
    events = []
    graph.events.subscribe(events.append)
    with pytest.raises(GraphError, match=words):
        graph.rename_node("b", bad)
    assert graph.to_dict() == before and events == []


def test_rename_message_names_the_fix():
    graph = _branching_graph()
    with pytest.raises(GraphError) as info:
        graph.rename_node("b", "conv 1")
    assert str(info.value) == ("Cannot rename 'b': 'conv 1' is not a valid name: use letters, digits and _, "
                               "not starting with a digit (e.g. 'conv_1').")
    with pytest.raises(GraphError, match="no node 'zz'"):
        graph.rename_node("zz", "y")


def _two_output_project():
    from builder.project import Project, TrainingConfig

    graph = _branching_graph()
    graph.add_node("Dense", {"units": 1}, (0, 300), "head")
    graph.connect("cat", "head")
    graph.add_node("Dense", {"units": 1}, (0, 300), "b_1")  # its id starts with "b_": monitors must not confuse them
    graph.connect("a", "b_1")
    training = TrainingConfig(loss={"head": "mse", "b_1": "mae"}, loss_weights={"head": 1.0, "b_1": 0.5},
                              metrics={"head": ["mae"], "b_1": ["mse"]}, monitor="val_head_loss",
                              early_stopping={"patience": 3, "monitor": "b_1_mse"})
    return Project(graph=graph, training=training)


def test_project_rename_moves_every_reference_and_undo_restores_it_exactly():
    from builder.project import project_to_dict, rename_node, undo_renaming

    project = _two_output_project()
    before = project_to_dict(project)
    renaming = rename_node(project, "head", "price")
    t = project.training
    assert list(t.loss) == ["price", "b_1"] and t.loss["price"] == "mse"
    assert t.loss_weights == {"price": 1.0, "b_1": 0.5} and t.metrics == {"price": ["mae"], "b_1": ["mse"]}
    assert t.monitor == "val_price_loss" and t.early_stopping == {"patience": 3, "monitor": "b_1_mse"}
    assert renaming.changes_settings and set(renaming.training) == {"loss", "loss_weights", "metrics", "monitor"}
    assert ("cat", "price") in [(e.source, e.target) for e in project.graph.edges]
    undo_renaming(project, renaming)
    assert project_to_dict(project) == before


def test_monitor_of_another_node_with_a_longer_matching_id_is_left_alone():
    from builder.project import rename_node

    project = _two_output_project()
    project.training.monitor = "val_b_1_loss"
    renaming = rename_node(project, "b", "side")
    assert project.training.monitor == "val_b_1_loss" and project.training.early_stopping["monitor"] == "b_1_mse"
    assert not renaming.changes_settings and list(project.training.loss) == ["head", "b_1"]
    rename_node(project, "b_1", "aux")
    assert project.training.monitor == "val_aux_loss" and project.training.early_stopping["monitor"] == "aux_mse"
    assert list(project.training.loss) == ["head", "aux"]


def test_project_rename_refused_changes_nothing():
    from builder.project import plan_rename, project_to_dict

    project = _two_output_project()
    before = project_to_dict(project)
    for bad in ("b_1", "for", "2nd", "my head"):
        with pytest.raises(GraphError, match="Cannot rename 'head'"):
            plan_rename(project, "head", bad)
    assert project_to_dict(project) == before


def test_nodes_and_wires_put_back_at_their_index_restore_the_exact_graph():
    """What an undo of a multi-node delete (cut) relies on: add_node/connect with `index`."""
    graph = _branching_graph()
    before = graph.to_dict()
    order, wires = list(graph.nodes), list(graph.edges)
    removed = {n: (order.index(n), graph.node(n)) for n in ("a", "b")}
    lost = sorted((i, e) for i, e in enumerate(wires) if {e.source, e.target} & {"a", "b"})
    for n in removed:
        graph.remove_node(n)
    for n, (i, node) in sorted(removed.items(), key=lambda kv: kv[1][0]):
        graph.add_node(node.type, node.params, node.position, n, index=i)
    for i, e in lost:
        graph.connect(e.source, e.target, e.source_port, e.target_port, index=i)
    assert graph.to_dict() == before
    assert graph.incoming("cat") == [Edge("a", "cat"), Edge("b", "cat", 0, 1)]
    assert graph.outgoing("inp") == [Edge("inp", "a"), Edge("inp", "b")]


def test_rename_command_renames_in_the_file_and_refuses_a_bad_name(tmp_path, capsys):
    import argparse
    import json

    from builder.cli.rename_command import RENAME
    from builder.project import save_project

    path = save_project(_two_output_project(), tmp_path / "two.json")
    parser = argparse.ArgumentParser()
    RENAME.add_arguments(parser)
    assert RENAME.run(parser.parse_args([str(path), "head", "price"])) == 0
    assert "renamed head to price" in capsys.readouterr().out
    saved = json.loads(path.read_text())
    assert "price" in [n["id"] for n in saved["graph"]["nodes"]] and saved["training"]["monitor"] == "val_price_loss"
    assert {"source": "cat", "source_port": 0, "target": "price", "target_port": 0} in saved["graph"]["edges"]
    with pytest.raises(GraphError, match="'my price' is not a valid name"):
        RENAME.run(parser.parse_args([str(path), "price", "my price"]))
    assert json.loads(path.read_text()) == saved


def test_a_renamed_imported_layer_keeps_its_stored_weights(tmp_path):
    """The weights file keeps a renamed node's weights under its old name; the project says which group it reads,
    saved and loaded with it, and undo takes that back."""
    import keras
    import numpy as np

    from builder.importer import import_model
    from builder.model import apply_project_weights, build_model
    from builder.project import load_project, save_project
    from builder.project.renaming import rename_node, undo_renaming

    inputs = keras.Input((3,), name="x")
    model = keras.Model(inputs, keras.layers.Dense(2, name="head")(inputs))
    model.save(tmp_path / "m.keras")
    import_model(tmp_path / "m.keras", tmp_path / "p.json")
    project = load_project(tmp_path / "p.json")
    renaming = rename_node(project, "head", "scores")
    assert project.weight_groups == {"scores": "head"}
    save_project(project, tmp_path / "p.json")
    again = load_project(tmp_path / "p.json")
    assert again.weight_groups == {"scores": "head"}
    rebuilt = build_model(again.graph)
    report = apply_project_weights(rebuilt, again)
    assert report.loaded == ["scores"] and not report.skipped and not report.unused
    np.testing.assert_allclose(rebuilt.get_layer("scores").get_weights()[0], model.get_layer("head").get_weights()[0])
    rename_node(again, "scores", "head")  # back to the stored name: no entry left
    assert again.weight_groups == {}
    undo_renaming(project, renaming)
    assert project.weight_groups == {}


def test_renaming_a_node_a_recipe_names_renames_it_in_the_recipe_and_undo_restores_it():
    """A VAE's mean, decoder Input...: the recipe's node settings follow the node; its name, choices (a schedule
    named like a node) and a teacher path never change."""
    from builder.project import apply_renaming, plan_rename, undo_renaming
    from builder.training import recipe_node_settings
    from recipe_projects import VAE, vae_project

    project = vae_project()
    nodes = recipe_node_settings(project.training.recipe)
    assert nodes == ["mean", "log_var", "decoder_input", "output", "target"]
    renaming = plan_rename(project, "z_mean", "mu", nodes)
    apply_renaming(project, renaming)
    assert project.training.recipe["mean"] == "mu" and project.training.recipe["log_var"] == "z_log_var"
    undo_renaming(project, renaming)
    assert project.training.recipe == VAE
    project.graph.rename_node("dense_1", "cosine")  # a node whose id is a choice of another setting
    project.training.recipe = {"name": "diffusion", "schedule": "cosine", "image_input": "image"}
    nodes = recipe_node_settings(project.training.recipe)
    assert plan_rename(project, "cosine", "hidden", nodes).training == {}
    assert plan_rename(project, "image", "picture", nodes).training["recipe"][1]["image_input"] == "picture"
    project.training.recipe = {"name": "distillation", "teacher": "hidden"}  # a path that looks like an id
    assert "recipe" not in plan_rename(project, "cosine", "hidden2", recipe_node_settings(project.training.recipe)).training
