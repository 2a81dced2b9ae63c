"""Each epoch's checkpoint is written off the training step, from a mirror of the model, and holds exactly what the
model held at that epoch's end; a write that fails fails the run with its reason; a model that cannot be mirrored
is saved on the training thread as before."""
from __future__ import annotations

import json

import keras
import numpy as np
import pytest

from builder.errors import TrainingError
from builder.model import load_model_safely
from builder.training import Trainer
from builder.training.checkpoint_writer import CheckpointWriter
from tests.conftest import make_sine_project


def test_checkpoints_are_written_off_the_step_and_hold_the_model_and_its_optimizer(tmp_path):
    trainer = Trainer(make_sine_project(epochs=3, optimizer="adam"), run_dir=tmp_path)
    trainer.run()
    performance = json.loads((tmp_path / "run.json").read_text())["performance"]
    assert performance["checkpoint_written_off_step"] is True
    assert performance["checkpoint_write_s_per_epoch"] > 0 and performance["checkpoint_s_per_epoch"] >= 0
    saved = load_model_safely(tmp_path / "last.keras")
    for a, b in zip(saved.get_weights(), trainer.model.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)
    for a, b in zip(saved.optimizer.variables, trainer.model.optimizer.variables, strict=True):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))  # the moments and the step count
    assert int(saved.optimizer.iterations.numpy()) == int(trainer.model.optimizer.iterations.numpy()) > 0


def test_a_checkpoint_that_cannot_be_written_fails_the_run_with_its_reason(tmp_path):
    (tmp_path / "checkpoint.json").mkdir()  # the readable copy cannot replace a folder
    trainer = Trainer(make_sine_project(epochs=2), run_dir=tmp_path)
    with pytest.raises(TrainingError, match="checkpoint.json"):
        trainer.run()
    assert trainer.checkpoint_writer.background  # the failure came from the background thread, and was not lost


def test_a_mixed_precision_model_is_saved_on_the_training_thread_whole(tmp_path):
    """Its fitted LossScaleOptimizer's variables do not pair up with a fresh clone's: no mirror, the same file."""
    trainer = Trainer(make_sine_project(epochs=2, mixed_precision=True), run_dir=tmp_path)
    trainer.run()
    assert json.loads((tmp_path / "run.json").read_text())["performance"]["checkpoint_written_off_step"] is False
    saved = load_model_safely(tmp_path / "last.keras")
    for a, b in zip(saved.get_weights(), trainer.model.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)


class Doubler(keras.Model):  # a model class of its own: Keras cannot clone it into a mirror
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.dense = keras.layers.Dense(1)

    def call(self, x):
        return 2 * self.dense(x)


def test_a_model_that_cannot_be_mirrored_is_saved_on_the_training_thread():
    model = Doubler()
    model.compile("sgd", "mse")
    model.fit(np.ones((4, 2)), np.ones((4, 1)), verbose=0)
    saved = []
    writer = CheckpointWriter(model)
    writer.write(saved.append)
    assert saved == [model] and writer.background is False and writer.thread is None


def test_the_last_epoch_is_saved_right_away_so_a_one_epoch_run_makes_no_mirror(tmp_path):
    trainer = Trainer(make_sine_project(epochs=1), run_dir=tmp_path)
    trainer.run()
    assert trainer.checkpoint_writer.mirror is None  # the run waits for its last checkpoint anyway
    assert json.loads((tmp_path / "run.json").read_text())["performance"]["checkpoint_written_off_step"] is False
    for a, b in zip(load_model_safely(tmp_path / "last.keras").get_weights(), trainer.model.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)
