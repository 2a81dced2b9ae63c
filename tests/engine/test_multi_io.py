"""A multi-input, multi-output dataset (digits_halves: inputs left/right, targets digit/even) end to end: its
description, the checks that match Inputs and outputs by name, training, evaluation and a verified TFLite export."""
from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest

from builder.data import check_against_dataset, load_dataset, suggest_fixes
from builder.errors import LayerboardError
from builder.project import DatasetRef, load_template


@pytest.fixture(scope="module")
def data():
    return load_dataset(DatasetRef(name="digits_halves"))


@pytest.fixture()
def project():
    return load_template("digits_two_heads")


def test_the_dataset_describes_each_input_and_target(data):
    info = data.describe()
    assert info.input_shapes == {"left": (8, 4, 1), "right": (8, 4, 1)}
    assert {k: t.num_classes for k, t in info.targets.items()} == {"digit": 10, "even": 2}
    assert info.target("even").class_names == ("odd", "even") and info.target("nope") is None
    assert info.to_dict()["targets"]["even"]["num_classes"] == 2
    preview = data.preview(2)
    assert set(preview.x) == {"left", "right"} and preview.x["left"].shape == (2, 8, 4, 1)
    digit, even = int(preview.y["digit"][0]), int(preview.y["even"][0])
    assert preview.labels[0] == f"digit: {digit}, even: {['odd', 'even'][even]}" and even == (digit % 2 == 0)


def test_the_template_fits_the_dataset_by_name(data, project):
    assert check_against_dataset(project, data.describe()) == []


def test_a_misnamed_input_and_output_are_named_with_their_fix(data, project):
    project.graph.rename_node("right", "right_half")
    project.graph.rename_node("even", "parity")
    project.training.loss = {"digit": "sparse_categorical_crossentropy", "parity": "binary_crossentropy"}
    found = {m.node_id: m.message for m in check_against_dataset(project, data.describe())}
    assert set(found) == {"right_half", "parity"}
    assert "no array in dataset 'digits_halves'" in found["right_half"]
    assert "rename the Input to 'right'" in found["right_half"]
    assert "no target 'parity'" in found["parity"] and "'digit', 'even'" in found["parity"]
    # left out of the loss, the misnamed output is not trained and not checked
    project.training.loss = {"digit": "sparse_categorical_crossentropy"}
    assert [m.node_id for m in check_against_dataset(project, data.describe())] == ["right_half"]


def test_each_head_is_checked_against_its_own_target(data, project):
    project.graph.set_param("even", "units", 10)
    project.graph.set_param("even", "activation", "softmax")
    found = check_against_dataset(project, data.describe())
    assert {m.node_id for m in found} == {"even"}
    assert any("'digits_halves' target 'even' has 2 classes" in m.message for m in found)
    fixes = suggest_fixes(project, data.describe())
    assert fixes[0].fixable and ("even", "units", 2) in {(c.node_id, c.param, c.value) for c in fixes[0].params}
    project.graph.set_param("left", "shape", [8, 8, 1])
    found = {m.node_id: m.message for m in check_against_dataset(project, data.describe())}
    assert "input 'left' of dataset 'digits_halves' gives samples of shape (8, 4, 1)" in found["left"]


@pytest.mark.filterwarnings("ignore::UserWarning")
def test_two_heads_train_evaluate_and_export_with_dict_inputs(data, project, tmp_path, capsys):
    from builder.export import ExportOptions, export_model
    from builder.training import Trainer, evaluate

    small = dataclasses.replace(data, x_train={k: v[:256] for k, v in data.x_train.items()},
                                y_train={k: v[:256] for k, v in data.y_train.items()})
    project.training.epochs = 2
    result = Trainer(project, run_dir=tmp_path / "run", dataset=small).run()
    history = result.history
    assert {"digit_loss", "even_loss", "val_digit_accuracy", "val_even_accuracy"} <= set(history)
    assert history["loss"][-1] < history["loss"][0] and np.isfinite(history["loss"]).all()
    # the weights count: total = 1.0 * digit + 0.5 * even
    assert history["loss"][-1] == pytest.approx(history["digit_loss"][-1] + 0.5 * history["even_loss"][-1], rel=0.05)

    evaluation = evaluate(project, result.model_path, dataset=small)
    assert evaluation.output == "digit" and len(evaluation.class_names) == 10
    assert "even_accuracy" in evaluation.metrics and evaluation.samples == len(small.x_val["left"])
    even = evaluate(project, result.model_path, dataset=small, output="even")
    assert even.class_names == ["odd", "even"] and np.asarray(even.confusion_matrix).shape == (2, 2)
    # the CLI's evaluate --output picks the same output, and names the trained ones when asked for another
    from builder.cli import main
    from builder.project import save_project

    saved = save_project(project, tmp_path / "two.json")
    assert main(["evaluate", str(saved), "--run", str(result.run_dir), "--output", "even", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["output"] == "even"
    assert main(["evaluate", str(saved), "--run", str(result.run_dir), "--output", "nope"]) == 1
    assert "the model's outputs with a loss: digit, even" in capsys.readouterr().err

    options = ExportOptions(quantization="int8", representative_samples=64, max_accuracy_drop=100.0)
    report = export_model(result.model_path, "tflite", tmp_path / "two.tflite", project=project, samples=64,
                          options=options)
    assert report.verified and report.samples_source == "'digits_halves' validation"
    assert report.accuracy_keras is not None  # the digit head's labels reach the accuracy check


def test_predict_refuses_files_for_a_multi_input_model_and_runs_split_samples(data, project, tmp_path):
    from builder.model import build_model
    from builder.training import predict_files, predict_samples, split_samples

    model = build_model(project.graph)
    np.save(tmp_path / "one.npy", np.zeros((8, 4, 1), "float32"))
    with pytest.raises(LayerboardError, match=r"2 inputs \('left', 'right'\); predict reads one file"):
        predict_files(project, model, [tmp_path / "one.npy"], dataset=data)
    x, _ = split_samples(data, "validation", [0, 1])
    rows = predict_samples(model, x, data, indices=[0, 1])
    assert [(r["index"], r["output"]) for r in rows] == [(0, "digit"), (0, "even"), (1, "digit"), (1, "even")]
    assert len(rows[0]["probabilities"]) == 10 and rows[1]["prediction"] in ("odd", "even")
