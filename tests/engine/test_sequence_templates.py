"""The tabular, sequence and text templates draw what they teach: a Normalization fitted to the raw training data,
a deep MLP for the spirals, MNIST-1D three ways on one budget, a bidirectional LSTM stacked under a second LSTM, an
LSTM forecaster that regresses one value, and a text CNN that max-pools over the sequence."""
from __future__ import annotations

import json
import re

import numpy as np
import pytest

from builder.data import load_project_dataset
from builder.model import build_model, infer_shapes, load_model_safely
from builder.project import TASKS, load_template, list_templates
from builder.training import Trainer, TrainingCallbacks

NAMES = ["wine_mlp", "breast_cancer_mlp", "spirals_mlp", "mnist1d_mlp", "mnist1d_cnn", "mnist1d_gru",
         "sequences_lstm", "sine_lstm_forecaster", "sequences_conv1d"]
MNIST1D = ["mnist1d_mlp", "mnist1d_cnn", "mnist1d_gru"]


def _chain(graph) -> list[str]:
    """The node types from the Input to the output, for a graph that is one straight chain."""
    assert len(graph.edges) == len(graph.nodes) - 1
    node = next(n for n in graph.nodes.values() if n.type == "Input")
    types = [node.type]
    while graph.outgoing(node.id):
        (edge,) = graph.outgoing(node.id)
        node = graph.nodes[edge.target]
        types.append(node.type)
    return types


def test_each_template_has_a_gallery_card_right_after_its_description():
    infos = {t.name: t for t in list_templates()}
    for name in NAMES:
        info = infos[name]
        assert info.task in TASKS and info.title and info.teaches and info.architecture, name
        assert len(info.description) > 200, f"{name}: the description should say why each block is there"
        keys = list(json.loads(info.path.read_text()))
        assert keys[keys.index("description") + 1] == "gallery", name


@pytest.mark.parametrize("name", ["wine_mlp", "breast_cancer_mlp"])
def test_tabular_mlps_normalise_the_raw_input_with_an_unfitted_normalization(name):
    graph = load_template(name).graph
    assert _chain(graph)[:2] == ["Input", "Normalization"]  # the trainer adapts exactly this shape of graph
    assert graph.nodes["normalization"].params.get("mean") is None


def test_training_fits_the_wine_normalization_to_the_training_split_so_the_model_takes_raw_input(tmp_path):
    """One epoch of real training (142 samples): the saved model's Normalization holds the training split's
    mean and variance, per feature - the features span 0.1 to 1,680, so an unfitted one would be wrong."""
    project = load_template("wine_mlp")
    project.training.tensorboard = False
    dataset = load_project_dataset(project)
    result = Trainer(project, tmp_path / "run", TrainingCallbacks(), epochs=1).run()
    layer = load_model_safely(result.model_path).get_layer("normalization")
    x = np.asarray(dataset.x_train, dtype="float64")
    np.testing.assert_allclose(np.ravel(layer.mean), x.mean(axis=0), rtol=1e-4)
    np.testing.assert_allclose(np.ravel(layer.variance), x.var(axis=0), rtol=1e-3)
    assert x.max(axis=0).max() / x.max(axis=0).min() > 1000


def test_breast_cancer_has_one_sigmoid_unit_trained_with_binary_cross_entropy():
    project = load_template("breast_cancer_mlp")
    head = project.graph.nodes["diagnosis"]
    assert head.params == {"units": 1, "activation": "sigmoid"}
    assert project.training.loss == "binary_crossentropy"


def test_spirals_mlp_stacks_at_least_three_relu_layers():
    types = _chain(load_template("spirals_mlp").graph)
    hidden = [n for n in load_template("spirals_mlp").graph.nodes.values()
              if n.type == "Dense" and n.params.get("activation") == "relu"]
    assert types[0] == "Input" and set(types[1:]) == {"Dense"} and len(hidden) >= 3


def test_mnist1d_three_ways_share_data_and_budget_and_differ_in_the_block_that_reads_the_signal():
    projects = {name: load_template(name) for name in MNIST1D}
    assert {(p.dataset.name, p.dataset.validation_split, p.dataset.seed) for p in projects.values()} == {("mnist1d", 0.2, 42)}
    assert len({json.dumps(p.training.to_dict(), sort_keys=True) for p in projects.values()}) == 1  # same recipe
    params = {name: infer_shapes(p.graph).total_params for name, p in projects.items()}
    assert max(params.values()) < 2 * min(params.values()), params
    chains = {name: _chain(p.graph) for name, p in projects.items()}
    assert "Conv1D" not in chains["mnist1d_mlp"] and "GRU" not in chains["mnist1d_mlp"]
    assert chains["mnist1d_mlp"][1] == "Flatten"  # the MLP sees 40 unrelated numbers
    assert chains["mnist1d_cnn"][1] == "Conv1D" and chains["mnist1d_gru"][1] == "GRU"
    titles = [t.title for t in list_templates() if t.name in MNIST1D]
    assert sorted(titles) == ["MNIST-1D: 1-D CNN", "MNIST-1D: GRU", "MNIST-1D: MLP"]
    for name, p in projects.items():  # each description names the winner with the measured accuracies
        assert len(re.findall(r"\d+(?:\.\d)?\s?%", p.description)) >= 3, name


def test_sequences_lstm_stacks_a_bidirectional_lstm_that_returns_sequences_under_a_second_lstm():
    project = load_template("sequences_lstm")
    graph = project.graph
    assert _chain(graph) == ["Input", "Embedding", "Bidirectional", "LSTM", "Dense"]
    assert graph.nodes["tokens"].params["dtype"] == "int32"
    inner = graph.nodes["bidirectional_lstm"].params["layer"]
    assert inner["class_name"] == "LSTM" and inner["config"]["return_sequences"] is True
    model = build_model(graph, name=project.name)
    units = inner["config"]["units"]
    assert tuple(model.get_layer("bidirectional_lstm").output.shape) == (None, 20, 2 * units)  # both directions
    assert tuple(model.get_layer("lstm").output.shape) == (None, graph.nodes["lstm"].params["units"])
    assert graph.nodes["embedding"].params["input_dim"] == 50  # the sequences set's vocabulary


def test_sine_forecaster_regresses_one_value_and_its_description_quotes_the_real_last_value_baseline():
    project = load_template("sine_lstm_forecaster")
    assert _chain(project.graph) == ["Input", "LSTM", "Dense"]
    assert project.graph.nodes["next_value"].params == {"units": 1}  # linear: a value, not a class
    assert project.training.loss == "mse" and project.training.metrics == ["mae"]
    data = load_project_dataset(project)
    x_val, y_val = np.asarray(data.x_val), np.asarray(data.y_val)
    last_value_mae = float(np.mean(np.abs(x_val[:, -1, 0] - y_val)))
    assert f"{last_value_mae:.3f}" in project.description


def test_sequences_conv1d_reads_token_windows_and_max_pools_over_the_sequence():
    project = load_template("sequences_conv1d")
    assert project.graph.nodes["tokens"].params["dtype"] == "int32"
    assert _chain(project.graph) == ["Input", "Embedding", "Conv1D", "GlobalMaxPooling1D", "Dense"]
    report = infer_shapes(project.graph)
    assert tuple(report.nodes["conv1d"].shape[1:]) == (20, 32)  # one feature vector per token window
    assert tuple(report.nodes["global_max_pooling1d"].shape[1:]) == (32,)  # the sequence is gone
