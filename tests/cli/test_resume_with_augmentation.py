"""A run with training-time augmentation (RandomFlip, RandomRotation, MixUp), killed or stopped and resumed, ends
with the weights of an uninterrupted run (CPU): each batch's augmentation is seeded by its index in the run, so
neither the pipeline's prefetching nor the fresh pipeline of a resumed run changes what a batch sees.

Real `python main.py train` subprocesses; the kill uses the test-only hook LAYERBOARD_KILL_AT (builder/files.py).
"""
from __future__ import annotations

import random
import signal
from pathlib import Path

import numpy as np
import pytest

from builder.data import build_augmenter, make_pipeline
from builder.graph import Graph
from cli_processes import keras_file_weights, run_command, trained
from builder.project import DatasetRef, Project, TrainingConfig, save_project
from builder.training.checkpoints import embedded_state

ROOT = Path(__file__).resolve().parents[2]
EPOCHS = 3
AUGMENTATION = {"RandomFlip": {}, "RandomRotation": {"factor": 0.1}, "MixUp": {"alpha": 0.4}}


def image_project(path: Path) -> Path:
    """A small CNN on the 8x8 digits with flips, rotations and MixUp."""
    graph = Graph()
    graph.add_node("Input", {"shape": [8, 8, 1]}, node_id="image")
    graph.add_node("Rescaling", {"scale": 0.0625}, node_id="rescale")
    graph.add_node("Conv2D", {"filters": 8, "kernel_size": [3, 3], "activation": "relu"}, node_id="conv")
    graph.add_node("Flatten", {}, node_id="flat")
    graph.add_node("Dense", {"units": 10, "activation": "softmax"}, node_id="digit")
    for a, b in [("image", "rescale"), ("rescale", "conv"), ("conv", "flat"), ("flat", "digit")]:
        graph.connect(a, b)
    settings = {"epochs": EPOCHS, "batch_size": 64, "learning_rate": 0.01, "tensorboard": False, "seed": 11,
                "augmentation": AUGMENTATION}
    save_project(Project(graph=graph, dataset=DatasetRef(name="digits"), training=TrainingConfig(**settings),
                         name="augmented"), path)
    return path


def train(*args: str, kill_at: str | None = None):
    return run_command("train", *args, kill_at=kill_at)


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory):
    folder = tmp_path_factory.mktemp("whole")
    project = image_project(folder / "p.json")
    return project, trained(project, folder / "run")


@pytest.mark.slow
@pytest.mark.processes
@pytest.mark.parametrize("how", ["kill", "stop"])
def test_a_resumed_augmented_run_equals_the_uninterrupted_one(uninterrupted, tmp_path, how):
    """kill: SIGKILL in the middle of epoch 2 (epoch 1 committed); stop: a 1-epoch run, then --resume to 3."""
    project, whole = uninterrupted
    run = tmp_path / "run"
    if how == "kill":
        killed = train(str(project), "--run-dir", str(run), kill_at="batch 2:7")
        assert killed.returncode == -signal.SIGKILL, killed.stderr
    else:
        assert train(str(project), "--run-dir", str(run), "--epochs", "1").returncode == 0
    assert embedded_state(run / "last.keras")["epoch"] == 1
    resumed = train(str(project), "--resume", str(run), "--epochs", str(EPOCHS))
    assert resumed.returncode == 0, resumed.stderr
    for a, b in zip(keras_file_weights(whole / "model.keras"), keras_file_weights(run / "model.keras"),
                    strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("augmentation", [AUGMENTATION, {"AugMix": {"value_range": [0, 1]}},
                                          {"RandAugment": {"value_range": [0, 1]}, "CutMix": {}}],
                         ids=["flip-rotation-mixup", "augmix", "randaugment-cutmix"])
def test_each_batch_is_augmented_by_its_index_in_the_run(augmentation):
    """A pipeline started at epoch 1 (a resume) yields exactly the batches the whole run's pipeline yields from
    epoch 1 on, augmentation included; and the same batch position gets different draws in another epoch."""
    rng = np.random.default_rng(0)
    x = rng.uniform(0, 1, (20, 8, 8, 3)).astype("float32")
    y = np.arange(20) % 3

    def batches(start_epoch: int, count: int, python_seed: int):
        random.seed(python_seed)  # another process, another state of Python's random (AugMix draws from it)
        augmenter = build_augmenter(augmentation, 5, input_shape=(8, 8, 3), num_classes=3)
        ds = make_pipeline(x, y, 6, True, 5, augment=augmenter, endless=True, start_epoch=start_epoch)
        return [(a.numpy(), b.numpy()) for a, b in ds.take(count)]

    whole, resumed = batches(0, 12, 1), batches(1, 8, 2)  # 4 batches per epoch
    for (wx, wy), (rx, ry) in zip(whole[4:], resumed, strict=True):
        np.testing.assert_array_equal(wx, rx)
        np.testing.assert_array_equal(wy, ry)
    again = batches(0, 12, 3)
    for (wx, _), (ax, _) in zip(whole, again, strict=True):
        np.testing.assert_array_equal(wx, ax)  # the same run twice: the same batches
    # unshuffled images of one epoch, augmented in two epochs: different draws
    augmenter = build_augmenter({"RandomRotation": {"factor": 0.2}}, 5, input_shape=(8, 8, 3))
    plain = make_pipeline(x, y, 20, False, 5, augment=augmenter, endless=True)
    first, second = [a.numpy() for a, _ in plain.take(2)]
    assert not np.allclose(first, second)
