"""Each training control changes what it should, on tiny real Keras runs (iris / spirals MLPs)."""
import csv
import json
import math

import keras
import numpy as np
import pytest

from builder.data import Dataset
from builder.errors import TrainingError
from builder.graph import Graph
from builder.project import DatasetRef, Project, TrainingConfig
from builder.training import (Trainer, TrainingCallbacks, class_weights, make_optimizer, make_schedule,
                              write_control_request)


def mlp_project(dataset="iris", units=3, activation="softmax", normalize=False, **training) -> Project:
    graph = Graph()
    features = {"iris": 4, "spirals": 2, "wine": 13}[dataset]
    graph.add_node("Input", {"shape": [features]}, node_id="input")
    previous = "input"
    if normalize:
        graph.add_node("Normalization", {}, node_id="norm")
        graph.connect("input", "norm")
        previous = "norm"
    graph.add_node("Dense", {"units": 16, "activation": "relu"}, node_id="hidden")
    graph.add_node("Dense", {"units": units, "activation": activation}, node_id="out")
    graph.connect(previous, "hidden")
    graph.connect("hidden", "out")
    settings = {"epochs": 3, "batch_size": 16, "learning_rate": 0.01, "tensorboard": False, **training}
    return Project(graph=graph, dataset=DatasetRef(name=dataset), training=TrainingConfig(**settings), name="mlp")


def history_rows(run_dir):
    return list(csv.DictReader((run_dir / "history.csv").open()))


# --- schedules -------------------------------------------------------------------------------------------------

def test_schedules_follow_keras_formulas():
    cosine = make_schedule({"name": "cosine", "warmup_epochs": 2, "alpha": 0.1}, 0.01, steps_per_epoch=10, epochs=10)
    reference = keras.optimizers.schedules.CosineDecay(0.0, decay_steps=80, alpha=0.1, warmup_target=0.01,
                                                       warmup_steps=20)
    for step in (0, 5, 20, 50, 100):
        assert cosine.rate(step) == pytest.approx(float(reference(step)), rel=1e-5, abs=1e-9)
    exponential = make_schedule({"name": "exponential", "decay_rate": 0.5, "decay_epochs": 2}, 0.1, 10, 5)
    reference = keras.optimizers.schedules.ExponentialDecay(0.1, decay_steps=20, decay_rate=0.5)
    assert exponential.rate(30) == pytest.approx(float(reference(30)), rel=1e-6)
    step = make_schedule({"name": "step", "every_epochs": 2, "factor": 0.1}, 1.0, 10, 10)
    assert [step.rate(s) for s in (0, 19, 20, 40)] == pytest.approx([1.0, 1.0, 0.1, 0.01])
    cycle = make_schedule({"name": "one_cycle", "max_learning_rate": 0.1, "pct_start": 0.25}, 0.01, 10, 4)
    rates = [cycle.rate(s) for s in range(40)]
    assert int(np.argmax(rates)) == 10 and rates[0] == pytest.approx(0.1 / 25) and rates[-1] < rates[0]


def test_unknown_schedule_or_setting_is_named():
    with pytest.raises(TrainingError, match="Schedules: constant"):
        make_schedule({"name": "warp"}, 0.1, 1, 1)
    with pytest.raises(TrainingError, match="no setting 'gamma'"):
        make_schedule({"name": "step", "gamma": 0.1}, 0.1, 1, 1)


def test_step_schedule_changes_the_learning_rate_the_run_records(tmp_path):
    project = mlp_project(schedule={"name": "step", "every_epochs": 1, "factor": 0.5}, learning_rate=0.02)
    result = Trainer(project, run_dir=tmp_path).run()
    assert result.history["learning_rate"] == pytest.approx([0.02, 0.01, 0.005])
    assert [float(r["learning_rate"]) for r in history_rows(tmp_path)] == pytest.approx([0.02, 0.01, 0.005])


def test_reduce_on_plateau_lowers_the_rate_and_logs_why(tmp_path):
    schedule = {"name": "reduce_on_plateau", "factor": 0.5, "patience": 1, "min_delta": 100.0}  # never "improves"
    result = Trainer(mlp_project(schedule=schedule, epochs=3, learning_rate=0.04), run_dir=tmp_path).run()
    rates = result.history["learning_rate"]
    assert rates[0] == pytest.approx(0.04) and rates[-1] < rates[0]
    log = list(csv.DictReader((tmp_path / "control.csv").open()))
    assert log and "reduce_on_plateau" in log[0]["reason"]


# --- optimizers, losses, metrics --------------------------------------------------------------------------------

def test_optimizer_from_keras_config_with_decay_and_clipping():
    config = TrainingConfig(optimizer={"class_name": "SGD", "config": {"momentum": 0.9, "nesterov": True}},
                            learning_rate=0.05, clipnorm=1.0)
    sgd = make_optimizer(config)
    assert isinstance(sgd, keras.optimizers.SGD) and sgd.momentum == 0.9 and sgd.nesterov and sgd.clipnorm == 1.0
    assert float(sgd.learning_rate) == pytest.approx(0.05)
    adamw = make_optimizer(TrainingConfig(optimizer="adamw", weight_decay=0.01, clipvalue=0.5))
    assert isinstance(adamw, keras.optimizers.AdamW) and adamw.weight_decay == 0.01 and adamw.clipvalue == 0.5
    for name in ("rmsprop", "adagrad", "nadam", "lion"):
        assert make_optimizer(TrainingConfig(optimizer=name)).__class__.__name__.lower() == name
    with pytest.raises(TrainingError, match="Unknown optimizer 'adamx'.*Lion"):
        make_optimizer(TrainingConfig(optimizer="adamx"))


def test_metrics_and_label_smoothing_on_sparse_labels(tmp_path):
    project = mlp_project(metrics=["accuracy", "top_2_accuracy", "precision", "recall", "auc"], label_smoothing=0.1,
                          epochs=2)
    result = Trainer(project, run_dir=tmp_path).run()
    for name in ("accuracy", "top_2_accuracy", "precision", "recall", "auc"):
        assert 0.0 <= result.history[f"val_{name}"][-1] <= 1.0
    assert result.history["top_2_accuracy"][-1] >= result.history["accuracy"][-1]
    from builder.training import SmoothedSparseCategoricalCrossentropy

    y, p = np.array([0, 2]), np.array([[0.7, 0.2, 0.1], [0.1, 0.3, 0.6]], "float32")
    smoothed = SmoothedSparseCategoricalCrossentropy(0.1)(y, p)
    reference = keras.losses.CategoricalCrossentropy(label_smoothing=0.1)(np.eye(3)[y], p)
    assert float(smoothed) == pytest.approx(float(reference), rel=1e-5)
    model = keras.saving.load_model(result.run_dir / "model.keras")  # custom loss and metrics load back
    assert model.loss.label_smoothing == pytest.approx(0.1)


def test_linear_output_uses_logits():
    from builder.training import compile_arguments

    project = mlp_project(activation=None)
    loss = compile_arguments(project.graph, ["out"], project.training)["loss"]
    assert loss.get_config()["from_logits"] is True
    softmax_then_dropout = mlp_project()
    softmax_then_dropout.graph.add_node("Dropout", {"rate": 0.1}, node_id="drop")
    softmax_then_dropout.graph.connect("out", "drop")
    loss = compile_arguments(softmax_then_dropout.graph, ["drop"], softmax_then_dropout.training)["loss"]
    assert loss.get_config()["from_logits"] is False  # the probabilities pass through Dropout


def test_regression_metrics(tmp_path, sine_project):
    project = sine_project(loss="huber", metrics=["mae", "rmse"])
    result = Trainer(project, run_dir=tmp_path).run()
    assert {"mae", "rmse", "val_mae", "val_rmse"} <= set(result.history)


def two_output_project(**training) -> Project:
    graph = Graph()
    graph.add_node("Input", {"shape": [4]}, node_id="input")
    graph.add_node("Dense", {"units": 8, "activation": "relu"}, node_id="trunk")
    graph.add_node("Dense", {"units": 3, "activation": "softmax"}, node_id="species")
    graph.add_node("Dense", {"units": 3, "activation": "softmax"}, node_id="aux")
    graph.connect("input", "trunk")
    graph.connect("trunk", "species")
    graph.connect("trunk", "aux")
    return Project(graph=graph, dataset=DatasetRef(name="iris"), name="two", training=TrainingConfig(**{
        "epochs": 1, "tensorboard": False, **training}))


def test_per_output_losses_and_weights(tmp_path):
    project = two_output_project(loss={"species": "sparse_categorical_crossentropy",
                                       "aux": "sparse_categorical_crossentropy"},
                                 loss_weights={"species": 1.0, "aux": 0.0}, metrics={"species": ["accuracy"],
                                                                                      "aux": []})
    result = Trainer(project, run_dir=tmp_path).run()
    assert "species_accuracy" in result.history and "aux_accuracy" not in result.history
    # aux has weight 0: the total loss is the species loss alone
    total, species, aux = (result.history[k][-1] for k in ("loss", "species_loss", "aux_loss"))
    assert total == pytest.approx(species, rel=0.02) and abs(total - species) < 0.2 * aux
    with pytest.raises(TrainingError, match="not an output node"):  # an output may be left out, not made up
        Trainer(two_output_project(loss={"trunk": "sparse_categorical_crossentropy"}), run_dir=tmp_path / "b").run()


def test_class_weight_balanced_is_computed_from_the_training_split():
    y = np.array([0] * 90 + [1] * 10)
    data = Dataset("skewed", np.zeros((100, 2), "float32"), y, np.zeros((4, 2), "float32"), np.array([0, 1, 0, 1]),
                   ["a", "b"])
    weights = class_weights(TrainingConfig(class_weight="balanced"), data)
    assert weights[1] == pytest.approx(5.0) and weights[0] == pytest.approx(100 / 180)
    assert class_weights(TrainingConfig(class_weight={"1": 3}), data) == {1: 3.0}


def test_reconstruction_trains_to_reproduce_the_input(tmp_path):
    project = mlp_project(units=4, activation=None, loss="reconstruction", metrics=["mae"], epochs=2)
    result = Trainer(project, run_dir=tmp_path).run()
    assert result.history["loss"][-1] < result.history["loss"][0]


def test_normalization_is_fitted_on_the_training_split_and_saved(tmp_path):
    project = mlp_project(dataset="wine", normalize=True, epochs=1)
    trainer = Trainer(project, run_dir=tmp_path)
    trainer.run()
    from builder.data import load_project_dataset

    data = load_project_dataset(project)
    saved = keras.saving.load_model(tmp_path / "model.keras").get_layer("norm")
    assert np.asarray(saved.mean).reshape(-1) == pytest.approx(data.x_train.mean(axis=0), rel=1e-3)


# --- early stopping, checkpoints, resume -------------------------------------------------------------------------

def test_early_stopping_stops_and_live_patience_is_recorded(tmp_path):
    project = mlp_project(epochs=20, early_stopping={"patience": 5, "min_delta": 100.0})

    class ShortenPatience(TrainingCallbacks):
        def on_batch_end(self, epoch, batch, logs):
            if epoch == 0 and batch == 0:
                trainer.set_patience(1)

    trainer = Trainer(project, run_dir=tmp_path, callbacks=ShortenPatience())
    result = trainer.run()
    assert result.epochs_run == 2  # the first epoch sets the best, one epoch of patience, then stop
    log = list(csv.DictReader((tmp_path / "control.csv").open()))
    assert log[0]["setting"] == "patience" and float(log[0]["value"]) == 1


def test_best_and_last_checkpoints_each_epoch(tmp_path):
    result = Trainer(mlp_project(epochs=3), run_dir=tmp_path).run()
    state = json.loads((tmp_path / "checkpoint.json").read_text())
    assert state["epoch"] == 3 and state["monitor"] == "val_loss"
    assert state["best"] == pytest.approx(min(result.history["val_loss"]))
    assert (tmp_path / "best.keras").exists() and (tmp_path / "last.keras").exists()
    assert not list(tmp_path.glob(".*partial*"))


def test_resume_continues_epochs_optimizer_step_and_schedule(tmp_path):
    project = mlp_project(epochs=2, schedule={"name": "step", "every_epochs": 1, "factor": 0.5})
    first = Trainer(project, run_dir=tmp_path).run()
    steps = math.ceil(120 / 16)
    trainer = Trainer(project, run_dir=tmp_path, epochs=4, resume=True)
    second = trainer.run()
    assert second.epochs_run == 4 and trainer.resumed_from == 2
    assert int(trainer.model.optimizer.iterations.numpy()) == 4 * steps
    assert second.history["learning_rate"] == pytest.approx([0.0025, 0.00125])  # the schedule continued
    assert [int(r["epoch"]) for r in history_rows(tmp_path)] == [0, 1, 2, 3]
    assert first.history["learning_rate"] == pytest.approx([0.01, 0.005])
    with pytest.raises(TrainingError, match="already trained 4 epochs"):
        Trainer(project, run_dir=tmp_path, epochs=4, resume=True).run()
    with pytest.raises(TrainingError, match="no checkpoint"):
        Trainer(project, run_dir=tmp_path / "empty", resume=True).run()


def test_nan_loss_stops_with_causes_and_keeps_the_last_good_checkpoint(tmp_path):
    project = mlp_project(epochs=1, units=1, activation=None, loss="mse", metrics=[])
    x = np.ones((64, 4), "float32")
    good = Dataset("ok", x, np.ones(64, "float32"), x[:8], np.ones(8, "float32"), output="regression")
    Trainer(project, run_dir=tmp_path, dataset=good).run()
    before = (tmp_path / "last.keras").read_bytes()
    y = np.full(64, 1e30, "float32")  # the squared error overflows float32
    bad = Dataset("huge", x, y, x[:8], y[:8], output="regression")
    with pytest.raises(TrainingError, match="loss became inf.*learning rate"):
        Trainer(project, run_dir=tmp_path, dataset=bad, epochs=3, resume=True).run()
    assert (tmp_path / "last.keras").read_bytes() == before


# --- live changes --------------------------------------------------------------------------------------------------

def test_live_learning_rate_change_takes_effect_at_the_next_batch(tmp_path):
    seen = []

    class Rescue(TrainingCallbacks):
        def on_batch_end(self, epoch, batch, logs):
            seen.append(float(trainer.model.optimizer.learning_rate.numpy()))
            if epoch == 0 and batch == 1:
                trainer.set_learning_rate(0.001)

    trainer = Trainer(mlp_project(epochs=2, learning_rate=0.05), run_dir=tmp_path, callbacks=Rescue())
    result = trainer.run()
    assert seen[1] == pytest.approx(0.05) and seen[2] == pytest.approx(0.001)
    assert result.history["learning_rate"] == pytest.approx([0.001, 0.001])
    row = list(csv.DictReader((tmp_path / "control.csv").open()))[0]
    assert row["setting"] == "learning_rate" and row["epoch"] == "1" and row["batch"] == "1"


def test_control_file_changes_a_running_training(tmp_path):
    import time

    class WriteRequest(TrainingCallbacks):
        def on_epoch_end(self, epoch, logs):
            if epoch == 0:
                write_control_request(tmp_path, learning_rate=0.002)
                time.sleep(0.6)  # the trainer looks at control.json at most twice a second

    result = Trainer(mlp_project(epochs=2), run_dir=tmp_path, callbacks=WriteRequest()).run()
    assert result.history["learning_rate"] == pytest.approx([0.01, 0.002])


# --- switches ----------------------------------------------------------------------------------------------------

def test_mixed_precision_xla_steps_per_execution_and_tensorboard(tmp_path):
    project = mlp_project(epochs=1, mixed_precision=True, jit_compile=False, steps_per_execution=4,
                          tensorboard=True)
    trainer = Trainer(project, run_dir=tmp_path)
    trainer.run()
    assert trainer.model.get_layer("hidden").dtype_policy.name == "mixed_float16"
    assert keras.config.dtype_policy().name == "float32"  # the global policy is restored
    assert list((tmp_path / "logs").rglob("events.out.tfevents.*"))
    record = json.loads((tmp_path / "run.json").read_text())
    assert record["device"] and record["replicas"] == 1 and record["dataset"]["train_size"] == 120


def test_bad_settings_are_named(tmp_path):
    with pytest.raises(TrainingError, match="training.strategy"):
        Trainer(mlp_project(strategy="cluster"), run_dir=tmp_path).run()
    with pytest.raises(TrainingError, match="early_stopping has no setting 'wait'"):
        Trainer(mlp_project(early_stopping={"wait": 3}), run_dir=tmp_path).run()


def test_mixup_and_erasing_train_on_one_hot_labels_and_evaluate(digits_project, tmp_path):
    from builder.training import evaluate

    digits_project.training.augmentation = {"RandomErasing": {"factor": [1.0, 1.0], "value_range": [0, 16]},
                                            "MixUp": {"alpha": 0.2}}
    digits_project.dataset.test_split = 0.1
    trainer = Trainer(digits_project, run_dir=tmp_path, epochs=1)
    result = trainer.run()
    assert trainer.model.loss.name == "categorical_crossentropy" and result.final_metrics["val_accuracy"] > 0.1
    report = evaluate(digits_project, result.model_path)
    assert report.split == "test" and report.samples == 180 and 0.0 <= report.accuracy <= 1.0


def test_pause_waits_between_batches_and_resume_continues(tmp_path):
    import threading
    import time

    stamps = []

    class PauseOnce(TrainingCallbacks):
        def on_batch_end(self, epoch, batch, logs):
            stamps.append(time.monotonic())
            if epoch == 0 and batch == 1:
                trainer.pause()
                threading.Timer(0.5, trainer.resume).start()

    trainer = Trainer(mlp_project(epochs=1), run_dir=tmp_path, callbacks=PauseOnce())
    result = trainer.run()
    gaps = np.diff(stamps)
    assert result.epochs_run == 1 and not result.stopped and len(stamps) == 8
    assert gaps[1] >= 0.45 and max(np.delete(gaps, 1)) < 0.45  # only the paused batch waited


def test_out_of_memory_names_a_smaller_batch_size():
    import tensorflow as tf

    from builder.training import explain_failure

    project = mlp_project(batch_size=256)
    error = tf.errors.ResourceExhaustedError(None, None, "OOM when allocating tensor with shape[256,4096]")
    message = explain_failure(error, project)
    assert "Out of memory with batch size 256" in message and "Try batch size 128" in message


def test_resumed_run_equals_an_uninterrupted_one(tmp_path):
    """Same seed: 1 epoch + resume to 3 gives the weights of 3 epochs in one go (data order, optimizer state)."""
    project = mlp_project(epochs=3, schedule={"name": "exponential", "decay_rate": 0.5})
    whole = Trainer(project, run_dir=tmp_path / "whole")
    whole.run()
    Trainer(project, run_dir=tmp_path / "parts", epochs=1).run()
    parts = Trainer(project, run_dir=tmp_path / "parts", epochs=3, resume=True)
    parts.run()
    for a, b in zip(whole.model.get_weights(), parts.model.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
