"""A run killed with SIGKILL at any point (mid-epoch, between the writes of a checkpoint) and resumed ends with the
weights of an uninterrupted run (CPU), keeps a consistent checkpoint, and says when checkpoint.json lagged.

Real `python main.py train` subprocesses, killed through the test-only hook LAYERBOARD_KILL_AT
(builder/training/checkpoints.py) at named points, and once by an outside `kill -9` at an arbitrary moment.
"""
from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from builder.graph import Graph
from cli_processes import keras_file_weights, run_command, trained
from builder.project import DatasetRef, Project, TrainingConfig, save_project
from builder.training.checkpoints import embedded_state

ROOT = Path(__file__).resolve().parents[2]
EPOCHS = 4
pytestmark = pytest.mark.slow
PROCESSES = pytest.mark.processes  # make test-processes (CI runs it); one kill point stays in make test


def dropout_project(path: Path, **training) -> Path:
    """An iris MLP with Dropout (a random generator in the model), a decaying schedule and early stopping."""
    graph = Graph()
    graph.add_node("Input", {"shape": [4]}, node_id="input")
    graph.add_node("Dense", {"units": 32, "activation": "relu"}, node_id="hidden")
    graph.add_node("Dropout", {"rate": 0.3}, node_id="drop")
    graph.add_node("Dense", {"units": 3, "activation": "softmax"}, node_id="out")
    graph.connect("input", "hidden")
    graph.connect("hidden", "drop")
    graph.connect("drop", "out")
    settings = {"epochs": EPOCHS, "batch_size": 16, "learning_rate": 0.01, "tensorboard": False, "seed": 7,
                "schedule": {"name": "exponential", "decay_rate": 0.7},
                "early_stopping": {"patience": 10, "restore_best_weights": False}, **training}
    save_project(Project(graph=graph, dataset=DatasetRef(name="iris"), training=TrainingConfig(**settings),
                         name="killed"), path)
    return path


def train(*args: str, kill_at: str | None = None):
    return run_command("train", *args, kill_at=kill_at)


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory):
    folder = tmp_path_factory.mktemp("whole")
    project = dropout_project(folder / "p.json")
    return project, trained(project, folder / "run")


def history_epochs(run: Path) -> list[str]:
    return [row["epoch"] for row in csv.DictReader((run / "history.csv").open())]


@pytest.mark.parametrize("point", ["batch 2:3", *(pytest.param(point, marks=PROCESSES) for point in (
    "before-best 2", "before-last 2", "before-state 3", "batch 1:0"))])
def test_killed_and_resumed_run_equals_the_uninterrupted_one(uninterrupted, tmp_path, point):
    project, whole = uninterrupted
    run = tmp_path / "run"
    killed = train(str(project), "--run-dir", str(run), kill_at=point)
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    if point == "batch 1:0":  # killed before any checkpoint: nothing to resume, and the message says so
        refused = train(str(project), "--resume", str(run))
        assert refused.returncode == 1 and "has no checkpoint to resume from" in refused.stderr
        return
    committed = embedded_state(run / "last.keras")["epoch"]
    assert committed == {"batch 2:3": 1, "before-best 2": 1, "before-last 2": 1, "before-state 3": 3}[point]
    resumed = train(str(project), "--resume", str(run))
    assert resumed.returncode == 0, resumed.stderr
    assert ("checkpoint.json said epoch 2" in resumed.stderr) == (point == "before-state 3")
    assert history_epochs(run) == [str(e) for e in range(EPOCHS)]
    for a, b in zip(keras_file_weights(whole / "model.keras"), keras_file_weights(run / "model.keras"),
                    strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    state = json.loads((run / "checkpoint.json").read_text())
    assert state["epoch"] == EPOCHS and state == {k: v for k, v in embedded_state(run / "last.keras").items()
                                                  if k != "random_states"}
    assert not [p for p in run.iterdir() if p.name.startswith(".")]  # the next writes cleaned the kill's leftovers


@PROCESSES
def test_an_outside_kill_at_any_moment_resumes_exactly(uninterrupted, tmp_path):
    project, whole = uninterrupted
    run = tmp_path / "run"
    env = {**os.environ, "CUDA_VISIBLE_DEVICES": "", "TF_CPP_MIN_LOG_LEVEL": "3"}
    env.pop("LAYERBOARD_KILL_AT", None)
    child = subprocess.Popen([sys.executable, "main.py", "train", str(project), "--run-dir", str(run)], cwd=ROOT,
                             env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        assert child.stdout.readline().startswith("epoch 1/")
        assert child.stdout.readline().startswith("epoch 2/")  # printed after epoch 1's checkpoint committed
        time.sleep(0.05)
        os.kill(child.pid, signal.SIGKILL)
    finally:
        child.wait(timeout=60)
    if (run / "model.keras").exists():
        pytest.skip("the run finished before the kill")
    resumed = train(str(project), "--resume", str(run))
    assert resumed.returncode == 0, resumed.stderr
    for a, b in zip(keras_file_weights(whole / "model.keras"), keras_file_weights(run / "model.keras"),
                    strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


@PROCESSES
def test_a_checkpoint_whose_state_disagrees_with_its_model_is_refused(uninterrupted, tmp_path):
    """Runs of earlier versions kept the state only in checkpoint.json: a model at another step is refused."""
    project, _ = uninterrupted
    run = tmp_path / "run"
    assert train(str(project), "--run-dir", str(run), "--epochs", "2").returncode == 0
    import zipfile

    legacy = run / "legacy.keras"
    with zipfile.ZipFile(run / "last.keras") as source, zipfile.ZipFile(legacy, "w") as target:
        for name in source.namelist():
            if name != "layerboard_checkpoint.json":
                target.writestr(name, source.read(name))
    legacy.replace(run / "last.keras")
    state = json.loads((run / "checkpoint.json").read_text())
    (run / "checkpoint.json").write_text(json.dumps({**state, "epoch": 1, "step": state["step"] // 2}))
    refused = train(str(project), "--resume", str(run))
    assert refused.returncode == 1
    assert f"is at optimizer step {state['step']} but its checkpoint state says epoch 1" in refused.stderr


@PROCESSES
def test_restore_best_weights_survives_a_kill(tmp_path):
    """Early stopping restores the best epoch's weights at the end; when that epoch came before the kill, the
    resumed run gets them from best.keras (val_accuracy peaks at epoch 5 of 6 here; killed in epoch 6)."""
    project = dropout_project(tmp_path / "p.json", epochs=6, monitor="val_accuracy",
                              early_stopping={"patience": 10, "restore_best_weights": True})
    whole = tmp_path / "whole"
    assert train(str(project), "--run-dir", str(whole)).returncode == 0
    accuracy = [float(row["val_accuracy"]) for row in csv.DictReader((whole / "history.csv").open())]
    best = accuracy.index(max(accuracy))
    assert best == 4  # the case this test is about: the best epoch is before the kill, and not the last
    run = tmp_path / "run"
    assert train(str(project), "--run-dir", str(run), kill_at="batch 6:1").returncode == -signal.SIGKILL
    resumed = train(str(project), "--resume", str(run))
    assert resumed.returncode == 0, resumed.stderr
    for a, b in zip(keras_file_weights(whole / "model.keras"), keras_file_weights(run / "model.keras"),
                    strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
