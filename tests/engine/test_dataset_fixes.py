"""Fix proposals for dataset mismatches (builder.data.suggest_fixes): each removes its mismatch, as plain data."""
from __future__ import annotations

import copy
import json

import pytest

from builder.cli.dispatch import main
from builder.data import (
    DatasetFix, ParamChange, check_against_dataset, combine_fixes, describe, suggest_fixes,
)
from builder.graph import Graph
from builder.model import infer_shapes
from builder.project import Project, TrainingConfig, load_template, save_project


@pytest.fixture(scope="module")
def info():
    return {name: describe(name) for name in ("digits", "iris", "sine", "spirals")}


def chain(layers, loss="sparse_categorical_crossentropy", shape=(4,)) -> Project:
    """Input(shape) -> layers...; a layer is (type, params[, id])."""
    graph = Graph()
    previous = graph.add_node("Input", {"shape": list(shape)}, node_id="input").id
    for layer in layers:
        node = graph.add_node(layer[0], layer[1], node_id=layer[2] if len(layer) > 2 else None)
        graph.connect(previous, node.id)
        previous = node.id
    return Project(graph=graph, training=TrainingConfig(loss=loss))


def apply(project: Project, fix: DatasetFix) -> Project:
    """A copy of the project with the fix applied, as the window's undo commands apply it."""
    changed = copy.deepcopy(project)
    for change in fix.params:
        changed.graph.set_param(change.node_id, change.param, change.value)
    for name, value in fix.training.items():
        setattr(changed.training, name, value)
    return changed


def test_a_fitting_model_needs_no_fix(info):
    assert suggest_fixes(load_template("digits_cnn"), info["digits"]) == []


def test_input_shape_fix_is_the_datasets_sample_shape(info):
    project = load_template("digits_cnn")
    project.graph.set_param("image", "shape", [28, 28, 1])
    (fix,) = suggest_fixes(project, info["digits"])
    assert fix.mismatch.node_id == "image" and "(28, 28, 1)" in fix.mismatch.message
    assert fix.params == (ParamChange("image", "shape", [8, 8, 1]),) and fix.training == {}
    assert fix.to_dict() == {"node_id": "image", "message": fix.mismatch.message,
                             "params": [{"node_id": "image", "param": "shape", "value": [8, 8, 1]}],
                             "training": {}, "fix": "set image.shape to [8, 8, 1]"}
    assert check_against_dataset(apply(project, fix), info["digits"]) == []


def test_every_output_mismatch_gets_its_own_fix_and_all_together_fit(info):
    project = load_template("digits_cnn")
    project.graph.set_param("digit", "units", 3)
    project.graph.set_param("digit", "activation", "relu")
    project.training.loss = "binary_crossentropy"
    fixes = suggest_fixes(project, info["digits"])
    assert [f.mismatch for f in fixes] == check_against_dataset(project, info["digits"])  # one per mismatch, in order
    assert [(f.params, f.training) for f in fixes] == [
        ((ParamChange("digit", "units", 10),), {}),
        ((ParamChange("digit", "activation", "softmax"),), {}),
        ((), {"loss": "sparse_categorical_crossentropy"}),
    ]
    for fix in fixes:  # each removes its own mismatch
        assert fix.mismatch not in check_against_dataset(apply(project, fix), info["digits"])
    everything = combine_fixes(fixes)
    assert check_against_dataset(apply(project, everything), info["digits"]) == []


def test_one_sigmoid_unit_for_two_classes_gets_sigmoid_and_binary_crossentropy(info):
    project = chain([("Dense", {"units": 8, "activation": "relu"}),
                     ("Dense", {"units": 1, "activation": "softmax"}, "out")], shape=(2,))
    fixes = suggest_fixes(project, info["spirals"])
    assert [(f.params, f.training) for f in fixes] == [
        ((ParamChange("out", "activation", "sigmoid"),), {}),
        ((), {"loss": "binary_crossentropy"}),
    ]
    assert check_against_dataset(apply(project, combine_fixes(fixes)), info["spirals"]) == []


def test_the_activation_is_changed_where_it_is_set_behind_a_dropout(info):
    project = chain([("Dense", {"units": 3, "activation": "sigmoid"}, "scores"), ("Dropout", {"rate": 0.1}, "drop")])
    (fix,) = suggest_fixes(project, info["iris"])
    assert fix.mismatch.node_id == "drop"
    assert fix.params == (ParamChange("scores", "activation", "softmax"),)


def test_logits_are_kept_when_only_the_units_are_wrong(info):
    project = chain([("Dense", {"units": 5}, "logits")])
    (fix,) = suggest_fixes(project, info["iris"])
    assert fix.params == (ParamChange("logits", "units", 3),)


def test_a_loss_per_output_keeps_the_other_outputs_losses(info):
    project = chain([("Dense", {"units": 3, "activation": "softmax"}, "species")])
    project.training.loss = {"species": "mean_squared_error", "other": "huber"}
    (fix,) = suggest_fixes(project, info["iris"])
    assert fix.training == {"loss": {"species": "sparse_categorical_crossentropy", "other": "huber"}}


def test_regression_gets_a_linear_output_and_a_regression_loss(info):
    project = chain([("LSTM", {"units": 8}), ("Dense", {"units": 2, "activation": "softmax"}, "next")], shape=(32, 1))
    fixes = suggest_fixes(project, info["sine"])
    assert [(f.params, f.training) for f in fixes] == [
        ((ParamChange("next", "units", 1),), {}),
        ((ParamChange("next", "activation", "linear"),), {}),
        ((), {"loss": "mean_squared_error"}),
    ]
    assert check_against_dataset(apply(project, combine_fixes(fixes)), info["sine"]) == []


def test_float_data_into_an_integer_input_gets_float32(info):
    project = chain([("Dense", {"units": 3, "activation": "softmax"})])
    project.graph.set_param("input", "dtype", "int32")
    (fix,) = suggest_fixes(project, info["iris"])
    assert fix.params == (ParamChange("input", "dtype", "float32"),)


def test_mismatches_that_need_new_blocks_have_no_automatic_fix(info):
    # An output of rank 3 needs a Flatten; float data into an Embedding needs another model: words only.
    project = chain([("Embedding", {"input_dim": 50, "output_dim": 4}, "embed"),
                     ("Dense", {"units": 3, "activation": "softmax"}, "out")])
    fixes = suggest_fixes(project, info["iris"])
    assert {f.mismatch.node_id for f in fixes} == {"embed", "out"}
    assert not any(f.fixable for f in fixes)
    assert all(f.describe().startswith("no automatic fix") and f.to_dict()["fix"] is None for f in fixes)
    assert combine_fixes(fixes) is None


def test_a_given_report_is_used_and_a_half_built_graph_is_no_error(info):
    project = load_template("digits_cnn")
    project.graph.set_param("digit", "units", 4)
    report = infer_shapes(project.graph)
    assert [f.params for f in suggest_fixes(project, info["digits"], report)] == [(ParamChange("digit", "units", 10),)]
    project.graph.disconnect(project.graph.incoming("digit")[0])  # the output is no longer reachable from the Input
    suggest_fixes(project, info["digits"])  # no exception; shape inference reports the wiring


def test_check_prints_a_fix_under_each_dataset_problem(tmp_path, capsys):
    project = load_template("digits_cnn")
    project.graph.set_param("image", "shape", [28, 28, 1])
    project.graph.set_param("digit", "units", 4)
    save_project(project, tmp_path / "p.json")

    assert main(["check", str(tmp_path / "p.json"), "--fix-suggestions", "--json"]) == 2
    data = json.loads(capsys.readouterr().out)
    assert len(data["dataset_problems"]) == 2 and not data["valid"]
    assert [f["params"] for f in data["dataset_fixes"]] == [
        [{"node_id": "image", "param": "shape", "value": [8, 8, 1]}],
        [{"node_id": "digit", "param": "units", "value": 10}]]
    assert {"nodes", "problems", "estimates"} <= set(data)  # the old keys stay

    main(["check", str(tmp_path / "p.json"), "--fix-suggestions"])
    lines = capsys.readouterr().out.splitlines()
    at = lines.index(next(line for line in lines if line.startswith("! dataset: node 'image'")))
    assert lines[at + 1] == "  fix: set image.shape to [8, 8, 1]"
    assert "  fix: set digit.units to 10" in lines
