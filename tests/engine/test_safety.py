"""Opening a project never runs code from it and never reads outside the project's folder."""
from __future__ import annotations

import json

import pytest

from builder.errors import GraphError, LayerboardError, ProjectFileError
from builder.graph import Graph
from builder.model import build_model
from builder.project import Project, resolve_inside
from builder.project import load_project, project_to_dict, save_project


def write(tmp_path, data, name="p.json"):
    path = tmp_path / name
    path.write_text(json.dumps(data))
    return path


def test_weights_path_that_leaves_the_project_folder_is_an_error(tmp_path):
    data = project_to_dict(Project())
    data["weights"] = "../../etc/model.weights.h5"
    with pytest.raises(ProjectFileError, match=r"weights.*outside the project's folder"):
        load_project(write(tmp_path, data))
    data["weights"] = "/tmp/model.weights.h5"
    with pytest.raises(ProjectFileError, match="absolute path"):
        load_project(write(tmp_path, data))


def test_weights_path_inside_the_folder_round_trips(tmp_path):
    project = Project()
    project.weights = "weights/model.weights.h5"
    path = save_project(project, tmp_path / "p.json")
    loaded = load_project(path)
    assert loaded.weights == "weights/model.weights.h5"
    assert loaded.resolve(loaded.weights) == (tmp_path / "weights" / "model.weights.h5").resolve()


def test_resolve_inside_refuses_escapes_through_subfolders(tmp_path):
    assert resolve_inside(tmp_path, "a/../b.h5") == (tmp_path / "b.h5").resolve()
    with pytest.raises(LayerboardError, match="outside"):
        resolve_inside(tmp_path, "a/../../b.h5")


def test_lambda_blocks_are_refused_with_the_reason(tmp_path):
    data = project_to_dict(Project())
    data["graph"] = {"nodes": [{"id": "f", "type": "Lambda", "params": {"function": "print"}}], "edges": []}
    with pytest.raises(ProjectFileError, match="arbitrary Python code"):
        load_project(write(tmp_path, data))


def test_a_wrapper_cannot_name_a_class_outside_the_catalogue():
    graph = Graph()
    graph.add_node("Input", {"shape": [5, 3]}, node_id="x")
    graph.add_node("Bidirectional", {"layer": {"class_name": "LSTM", "config": {"units": 2}}}, node_id="bi")
    graph.connect("x", "bi")
    assert build_model(graph).count_params() > 0  # a catalogue class inside the wrapper builds
    graph.set_param("bi", "layer", {"class_name": "os.system", "config": {"command": "echo hacked"}})
    with pytest.raises(GraphError, match="os.system"):
        build_model(graph)


def test_node_switches_round_trip(tmp_path):
    graph = Graph()
    graph.add_node("Input", {"shape": [4]}, node_id="x")
    graph.add_node("Dense", {"units": 3}, node_id="hidden")
    graph.add_node("Dense", {"units": 2}, node_id="head")
    graph.connect("x", "hidden")
    graph.connect("hidden", "head")
    graph.set_flag("hidden", "trainable", False)
    graph.set_flag("hidden", "output", True)
    path = save_project(Project(graph=graph), tmp_path / "p.json")
    loaded = load_project(path).graph
    assert loaded.nodes["hidden"].trainable is False and loaded.nodes["hidden"].output is True
    assert loaded.output_nodes() == ["hidden", "head"]
    model = build_model(loaded)
    assert [tuple(t.shape) for t in model.outputs] == [(None, 3), (None, 2)]
    assert model.get_layer("hidden").trainable is False
    assert model.get_layer("head").trainable is True
    bad = project_to_dict(Project(graph=graph))
    bad["graph"]["nodes"][1]["trainable"] = "no"
    with pytest.raises(ProjectFileError, match=r"nodes\[1\]\.trainable"):
        load_project(write(tmp_path, bad, "bad.json"))


def test_an_empty_graph_is_a_graph_error_not_a_keras_crash():
    with pytest.raises(GraphError, match="empty"):
        build_model(Graph())
