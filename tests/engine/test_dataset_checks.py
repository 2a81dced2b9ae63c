"""The model against its dataset: Input shape/dtype, output size, activation and loss (builder.data.check_against_dataset)."""
from __future__ import annotations

import dataclasses

import pytest

from builder.data import DatasetMismatch, check_against_dataset, dataset_problems_text, describe
from builder.graph import Graph
from builder.project import Project, TrainingConfig
from builder.model import infer_shapes
from builder.project import load_template


@pytest.fixture(scope="module")
def info():
    """The real DatasetInfo of the built-in sets, loaded once."""
    return {name: describe(name) for name in ("digits", "sine", "sequences", "iris")}


def chain(layers, loss="sparse_categorical_crossentropy", input_params=None) -> Project:
    """A project whose graph is Input -> layers[0] -> layers[1] ... ; layers are (type, params[, id])."""
    graph = Graph()
    previous = graph.add_node("Input", input_params or {}, node_id="input").id
    for layer in layers:
        block, params = layer[0], layer[1]
        node = graph.add_node(block, params, node_id=layer[2] if len(layer) > 2 else None)
        graph.connect(previous, node.id)
        previous = node.id
    return Project(graph=graph, training=TrainingConfig(loss=loss))


def iris_mlp(units=3, activation="softmax", loss="sparse_categorical_crossentropy", input_params=None, extra=()):
    return chain([("Dense", {"units": 16, "activation": "relu"}),
                  ("Dense", {"units": units, **({"activation": activation} if activation else {})}, "species"),
                  *extra],
                 loss=loss, input_params=input_params or {"shape": [4]})


def sine_lstm(units=1, activation=None, loss="mean_squared_error", return_sequences=False, shape=(32, 1)):
    lstm = {"units": 8, **({"return_sequences": True} if return_sequences else {})}
    dense = {"units": units, **({"activation": activation} if activation else {})}
    return chain([("LSTM", lstm), ("Dense", dense, "next_value")], loss=loss, input_params={"shape": list(shape)})


def sequence_model(units=2, activation="softmax", loss="sparse_categorical_crossentropy", dtype=None):
    params = {"shape": [20], **({"dtype": dtype} if dtype else {})}
    return chain([("Embedding", {"input_dim": 50, "output_dim": 8}), ("GlobalAveragePooling1D", {}),
                  ("Dense", {"units": units, "activation": activation}, "label")], loss=loss, input_params=params)


def messages(project, dataset_info, **kw) -> list[str]:
    return [m.message for m in check_against_dataset(project, dataset_info, **kw)]


def only(project, dataset_info, **kw) -> DatasetMismatch:
    found = check_against_dataset(project, dataset_info, **kw)
    assert len(found) == 1, found
    return found[0]


# ---- models that fit ----------------------------------------------------------------------------------------------

def test_matching_template_gives_no_messages(info):
    assert check_against_dataset(load_template("digits_cnn"), info["digits"]) == []


@pytest.mark.parametrize("make, name", [
    (lambda: iris_mlp(), "iris"),
    (lambda: iris_mlp(activation=None), "iris"),  # logits
    (lambda: sine_lstm(), "sine"),
    (lambda: sequence_model(), "sequences"),  # int32 tokens into the default float32 Input, then Embedding
    (lambda: sequence_model(dtype="int32"), "sequences"),
    (lambda: sequence_model(units=1, activation="sigmoid", loss="binary_crossentropy"), "sequences"),
])
def test_matching_models_give_no_messages(info, make, name):
    assert check_against_dataset(make(), info[name]) == []


def test_none_dimensions_of_the_input_match_anything(info):
    assert check_against_dataset(sine_lstm(shape=(None, 1)), info["sine"]) == []


# ---- Input shape and dtype ----------------------------------------------------------------------------------------

def test_input_shape_differs_from_the_samples(info):
    project = load_template("digits_cnn")
    project.graph.set_param("image", "shape", [28, 28, 1])
    found = only(project, info["digits"])
    assert found.node_id == "image"
    assert found.message == ("Input 'image' has shape (28, 28, 1) but dataset 'digits' gives samples of shape "
                             "(8, 8, 1): set the Input's shape to [8, 8, 1].")


def test_an_extra_axis_is_still_a_mismatch(info):
    found = check_against_dataset(iris_mlp(input_params={"shape": [4, 1]}), info["iris"])
    input_messages = [m for m in found if m.node_id == "input"]
    assert len(input_messages) == 1
    assert "(4, 1)" in input_messages[0].message and "set the Input's shape to [4]" in input_messages[0].message


def test_float_data_into_an_integer_input(info):
    found = only(iris_mlp(input_params={"shape": [4], "dtype": "int32"}), info["iris"])
    assert found.node_id == "input"
    assert "int32" in found.message and "float32" in found.message and "set the Input's dtype to float32" in found.message


def test_float_data_into_an_embedding(info):
    project = chain([("Embedding", {"input_dim": 50, "output_dim": 4}, "embed"), ("Flatten", {}),
                     ("Dense", {"units": 3, "activation": "softmax"})], input_params={"shape": [4]})
    found = only(project, info["iris"])
    assert found.node_id == "embed"
    assert "integer token ids" in found.message and "Dense" in found.message


def test_text_data_needs_a_string_input(info):
    text = dataclasses.replace(info["sequences"], name="reviews", dtype="<U40", input_shape=(1,))
    project = chain([("Dense", {"units": 2, "activation": "softmax"})], input_params={"shape": [1]})
    found = [m for m in check_against_dataset(project, text) if m.node_id == "input"]
    assert len(found) == 1
    assert "text" in found[0].message and "dtype to 'string'" in found[0].message
    assert "TextVectorization" in found[0].message


def test_numbers_into_a_string_input(info):
    project = chain([("StringLookup", {"num_oov_indices": 1}), ("Dense", {"units": 3, "activation": "softmax"})],
                    input_params={"shape": [4], "dtype": "string"})
    found = [m for m in check_against_dataset(project, info["iris"]) if m.node_id == "input"]
    assert any("dtype to float32" in m.message for m in found), found


# ---- classification outputs ---------------------------------------------------------------------------------------

def test_units_differ_from_the_number_of_classes(info):
    project = load_template("digits_cnn")
    project.graph.set_param("digit", "units", 12)
    found = only(project, info["digits"])
    assert found.node_id == "digit"
    assert found.message == "Dense 'digit' has 12 units but 'digits' has 10 classes: set units to 10."


def test_sigmoid_with_more_than_two_classes(info):
    found = only(iris_mlp(activation="sigmoid"), info["iris"])
    assert found.node_id == "species"
    assert "sigmoid" in found.message and "3 classes" in found.message and "use softmax" in found.message


@pytest.mark.parametrize("activation", ["relu", "tanh"])
def test_relu_or_tanh_on_a_classification_output(info, activation):
    found = only(iris_mlp(activation=activation), info["iris"])
    assert activation in found.message and "use softmax" in found.message


def test_activation_is_found_behind_dropout_and_in_a_softmax_layer(info):
    behind = iris_mlp(activation="relu", extra=[("Dropout", {"rate": 0.2}, "drop")])
    found = only(behind, info["iris"])
    assert found.node_id == "drop" and "use softmax" in found.message
    assert check_against_dataset(iris_mlp(activation=None, extra=[("Softmax", {})]), info["iris"]) == []


def test_classification_output_must_be_one_vector_per_sample(info):
    project = load_template("digits_cnn")
    graph = project.graph
    for edge in list(graph.edges):
        if edge.source in ("conv2d_2", "flatten", "dropout"):
            graph.disconnect(edge)
    graph.remove_node("flatten")
    graph.remove_node("dropout")
    graph.connect("conv2d_2", "digit")
    found = only(project, info["digits"])
    assert "(None, 4, 4, 10)" in found.message and "Flatten" in found.message and "(None, 10)" in found.message


def test_binary_single_unit_wants_binary_crossentropy(info):
    found = only(sequence_model(units=1, activation="sigmoid"), info["sequences"])
    assert found.node_id == "label"
    assert "binary_crossentropy" in found.message and "sparse_categorical_crossentropy" in found.message


def test_binary_single_unit_with_softmax(info):
    found = messages(sequence_model(units=1, activation="softmax", loss="binary_crossentropy"), info["sequences"])
    assert len(found) == 1 and "use activation sigmoid" in found[0]


def test_binary_crossentropy_with_many_classes(info):
    found = only(iris_mlp(loss="binary_crossentropy"), info["iris"])
    assert "binary_crossentropy" in found.message and "set the loss to sparse_categorical_crossentropy" in found.message


def test_categorical_crossentropy_with_class_ids(info):
    found = only(iris_mlp(loss="categorical_crossentropy"), info["iris"])
    assert "one-hot" in found.message and "sparse_categorical_crossentropy" in found.message


def test_per_output_loss_is_read_for_the_output_node(info):
    found = only(iris_mlp(loss={"species": "mse"}), info["iris"])
    assert "regression loss" in found.message and "sparse_categorical_crossentropy" in found.message
    assert check_against_dataset(iris_mlp(loss={"species": "sparse_categorical_crossentropy"}), info["iris"]) == []


# ---- regression outputs -------------------------------------------------------------------------------------------

def test_regression_wants_one_unit(info):
    found = only(sine_lstm(units=4), info["sine"])
    assert found.node_id == "next_value"
    assert found.message == ("Dense 'next_value' has 4 units but 'sine' predicts 1 value per sample (regression): "
                             "set units to 1.")


def test_regression_with_vector_targets(info):
    assert check_against_dataset(sine_lstm(units=4), info["sine"], target_shape=(4,)) == []
    found = only(sine_lstm(units=1), info["sine"], target_shape=(4,))
    assert "set units to 4" in found.message


def test_softmax_on_a_regression_output(info):
    found = only(sine_lstm(activation="softmax"), info["sine"])
    assert "softmax" in found.message and "regression" in found.message and "linear" in found.message


@pytest.mark.parametrize("loss", ["sparse_categorical_crossentropy", "binary_crossentropy", "CategoricalCrossentropy"])
def test_crossentropy_loss_on_regression(info, loss):
    found = only(sine_lstm(loss=loss), info["sine"])
    assert loss in found.message and "mean_squared_error" in found.message


@pytest.mark.parametrize("loss", ["mse", "mae", "huber", "mean_squared_error", "MeanAbsoluteError", "log_cosh"])
def test_regression_losses_are_accepted(info, loss):
    assert check_against_dataset(sine_lstm(loss=loss), info["sine"]) == []


def test_regression_output_per_time_step_is_flagged(info):
    found = only(sine_lstm(return_sequences=True), info["sine"])
    assert "(None, 32, 1)" in found.message and "return_sequences" in found.message and "(None, 1)" in found.message


# ---- several inputs or outputs, broken graphs ---------------------------------------------------------------------

def test_several_inputs_give_one_message(info):
    graph = Graph()
    graph.add_node("Input", {"shape": [4]}, node_id="a")
    graph.add_node("Input", {"shape": [2]}, node_id="b")
    graph.add_node("Concatenate", {}, node_id="join")
    graph.add_node("Dense", {"units": 3, "activation": "softmax"}, node_id="out")
    graph.connect("a", "join", target_port=0)
    graph.connect("b", "join", target_port=1)
    graph.connect("join", "out")
    found = only(Project(graph=graph), info["iris"])
    assert found.node_id is None
    assert "2 Inputs" in found.message and "'a'" in found.message and "'b'" in found.message
    assert "single input of shape (4,)" in found.message


def test_each_of_several_outputs_is_checked_against_the_one_target(info):
    project = iris_mlp()
    head = project.graph.add_node("Dense", {"units": 3, "activation": "softmax"}, node_id="second_head")
    project.graph.connect("dense_1", head.id)
    assert check_against_dataset(project, info["iris"]) == []  # the trainer feeds the target to both heads
    project.graph.set_param("second_head", "units", 4)
    found = only(project, info["iris"])
    assert found.node_id == "second_head" and "set units to 3" in found.message


def test_nodes_with_unknown_shapes_get_no_messages(info):
    project = load_template("digits_cnn")
    project.graph.set_param("conv2d_1", "padding", "valid")
    project.graph.set_param("conv2d_1", "kernel_size", [9, 9])  # larger than the 8x8 image: shape error
    project.graph.set_param("digit", "units", 12)  # would be a mismatch, but its shape is unknown now
    assert not infer_shapes(project.graph).valid
    assert check_against_dataset(project, info["digits"]) == []


def test_unwired_graph_does_not_crash(info):
    graph = Graph()
    graph.add_node("Input", {"shape": [4]}, node_id="input")
    graph.add_node("Dense", {"units": 7}, node_id="lonely")
    assert check_against_dataset(Project(graph=graph), info["iris"]) == []
    assert check_against_dataset(Project(), info["iris"]) == []


def test_a_shape_report_can_be_reused(info):
    project = load_template("digits_cnn")
    project.graph.set_param("digit", "units", 12)
    report = infer_shapes(project.graph)
    assert check_against_dataset(project, info["digits"], report=report) == check_against_dataset(
        project, info["digits"])


def test_problems_text_names_the_node(info):
    project = load_template("digits_cnn")
    project.graph.set_param("digit", "units", 12)
    lines = dataset_problems_text(check_against_dataset(project, info["digits"]))
    assert lines == ["node 'digit': Dense 'digit' has 12 units but 'digits' has 10 classes: set units to 10."]
    assert dataset_problems_text([DatasetMismatch(None, "whole model")]) == ["whole model"]


def test_text_samples_of_shape_empty_or_one_fit_a_string_input(info):
    text = dataclasses.replace(info["sequences"], name="reviews", dtype="object", input_shape=())
    for shape in ([], [1]):
        project = chain([("StringLookup", {"num_oov_indices": 1}), ("Dense", {"units": 2, "activation": "softmax"})],
                        input_params={"shape": shape, "dtype": "string"})
        assert [m for m in check_against_dataset(project, text) if m.node_id == "input"] == []


def test_reconstruction_loss_compares_the_output_with_the_samples(info):
    autoencoder = chain([("Dense", {"units": 2}), ("Dense", {"units": 4}, "decoded")], loss="reconstruction",
                        input_params={"shape": [4]})
    assert check_against_dataset(autoencoder, info["iris"]) == []
    autoencoder.graph.set_param("decoded", "units", 5)
    found = only(autoencoder, info["iris"])
    assert "(None, 5)" in found.message and "(None, 4)" in found.message
