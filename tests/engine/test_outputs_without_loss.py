"""Outputs without a loss: a per-output loss dict may leave an output out (an autoencoder's bottleneck); that output
gets no target, loss or metric, is not checked against the data, and is still a model output (predicted, exported)."""
from __future__ import annotations

import numpy as np
import pytest

from builder.data import check_against_dataset, load_dataset
from builder.errors import TrainingError
from builder.graph import Graph
from builder.project import DatasetRef, Project, TrainingConfig
from builder.training import compile_arguments, settings_problems


def autoencoder(**training) -> Project:
    """digits -> bottleneck (8, marked as an output) -> reconstruction (8, 8, 1)."""
    graph = Graph()
    graph.add_node("Input", {"shape": [8, 8, 1]}, node_id="image")
    graph.add_node("Flatten", node_id="flatten")
    graph.add_node("Dense", {"units": 8, "activation": "relu"}, node_id="bottleneck", output=True)
    graph.add_node("Dense", {"units": 64}, node_id="decode")
    graph.add_node("Reshape", {"target_shape": [8, 8, 1]}, node_id="reconstruction")
    for a, b in [("image", "flatten"), ("flatten", "bottleneck"), ("bottleneck", "decode"),
                 ("decode", "reconstruction")]:
        graph.connect(a, b)
    settings = {"epochs": 2, "batch_size": 64, "tensorboard": False, "loss": {"reconstruction": "reconstruction"},
                "metrics": ["mae"], **training}
    return Project(graph=graph, dataset=DatasetRef(name="digits"), name="ae", training=TrainingConfig(**settings))


def test_an_output_left_out_of_the_loss_dict_is_compiled_without_a_loss():
    project = autoencoder(loss_weights={"reconstruction": 2.0})
    args = compile_arguments(project.graph, ["bottleneck", "reconstruction"], project.training)
    assert args["loss"]["bottleneck"] is None and args["loss"]["reconstruction"] is not None
    assert set(args["metrics"]) == {"reconstruction"}  # no metric for the untrained output
    assert args["loss_weights"] == {"bottleneck": 0.0, "reconstruction": 2.0}  # Keras wants every output named


def test_settings_accept_a_left_out_output_but_not_a_made_up_or_untrained_key():
    assert settings_problems(autoencoder()) == []
    made_up = settings_problems(autoencoder(loss={"reconstruction": "reconstruction", "decode": "mse"}))
    assert made_up == ["training.loss: names 'decode', which is not an output node of the model (its outputs: "
                       "'bottleneck', 'reconstruction'); key it by an output's name"]
    untrained = settings_problems(autoencoder(metrics={"reconstruction": ["mae"], "bottleneck": ["mae"]}))
    assert untrained == ["training.metrics: names 'bottleneck', which has no loss and so is not trained: remove it "
                         "from training.metrics, or give 'bottleneck' a loss"]
    nothing = settings_problems(autoencoder(loss={}))
    assert any("gives none of the model's outputs" in p for p in nothing)
    with pytest.raises(TrainingError, match="not an output node"):
        compile_arguments(autoencoder().graph, ["bottleneck", "reconstruction"], TrainingConfig(loss={"x": "mse"}))


def test_the_untrained_output_is_not_checked_against_the_data():
    info = load_dataset(DatasetRef(name="digits")).describe()
    assert check_against_dataset(autoencoder(), info) == []
    # trained against the class ids, the 8-unit bottleneck would be refused
    trained = autoencoder(loss={"reconstruction": "reconstruction", "bottleneck": "sparse_categorical_crossentropy"})
    assert {m.node_id for m in check_against_dataset(trained, info)} == {"bottleneck"}


@pytest.mark.filterwarnings("ignore::UserWarning")
def test_reconstruction_with_a_second_output_trains_predicts_and_exports(tmp_path):
    from builder.export import export_model
    from builder.training import Trainer, evaluate, predict_files

    project = autoencoder()
    result = Trainer(project, run_dir=tmp_path / "run").run()
    history = result.history
    assert set(history) >= {"loss", "reconstruction_mae", "val_loss"} and not any("bottleneck" in k for k in history)
    assert history["loss"][-1] < history["loss"][0]
    evaluation = evaluate(project, result.model_path)
    assert evaluation.task == "regression" and evaluation.output == "reconstruction"
    assert evaluation.predictions.shape == (evaluation.samples, 64)  # compared with the images themselves
    np.save(tmp_path / "two.npy", load_dataset(DatasetRef(name="digits")).x_val[:2])
    rows = predict_files(project, result.model_path, [tmp_path / "two.npy"])
    assert [(r["index"], r["output"]) for r in rows][:2] == [(0, "bottleneck"), (0, "reconstruction")]
    assert len(rows[0]["prediction"]) == 8 and len(rows[1]["prediction"]) == 64
    report = export_model(result.model_path, "tflite", tmp_path / "ae.tflite", project=project, samples=32)
    assert report.verified and report.max_abs_diff < 1e-4  # both outputs exported and compared
