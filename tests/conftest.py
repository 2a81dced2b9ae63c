"""Shared fixtures: a fresh digits project and a small trained model, made once per session."""
from __future__ import annotations

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest

from builder.project import load_template


# A run measures the "auto" performance settings first (seconds per model): the suite trains hundreds of models,
# so measuring is off for every test (session fixtures and the processes tests start too); the tests of the probe
# (tests/engine/test_performance_choices.py) turn it on.
os.environ["LAYERBOARD_PERFORMANCE_PROBE"] = "off"


@pytest.fixture(autouse=True)
def user_blocks(tmp_path, monkeypatch):
    """Every test gets an empty "My blocks" folder (never the user's real one); yields its path."""
    from builder.blocks import composites

    folder = tmp_path / "my_blocks"
    monkeypatch.setenv("LAYERBOARD_BLOCKS_DIR", str(folder))
    composites.refresh()
    yield folder
    composites.refresh()


@pytest.fixture(autouse=True)
def user_data(tmp_path, monkeypatch):
    """Every test gets an empty per-user data folder (LAYERBOARD_DATA_DIR: where an unsaved project's runs go),
    never the user's real one nor the folder the tests were started from; yields its path."""
    folder = tmp_path / "user_data"
    monkeypatch.setenv("LAYERBOARD_DATA_DIR", str(folder))
    yield folder


@pytest.fixture(scope="session")
def sine_project():
    """A maker of tiny regression projects; call it (with TrainingConfig overrides) for a fresh one."""
    return make_sine_project


def make_sine_project(**training):
    """A tiny regression project on the generated sine set: Input (32, 1) → Flatten → Dense(1); `training` overrides
    its settings (default: mean squared error, MAE, one epoch, no TensorBoard)."""
    from builder.graph import Graph
    from builder.project import DatasetRef, Project, TrainingConfig

    graph = Graph()
    graph.add_node("Input", {"shape": [32, 1]}, node_id="input")
    graph.add_node("Flatten", {}, node_id="flat")
    graph.add_node("Dense", {"units": 1}, node_id="out")
    graph.connect("input", "flat")
    graph.connect("flat", "out")
    settings = {"loss": "mean_squared_error", "metrics": ["mae"], "epochs": 1, "tensorboard": False, **training}
    return Project(graph=graph, dataset=DatasetRef(name="sine"), name="sine", training=TrainingConfig(**settings))


@pytest.fixture
def digits_project():
    return load_template("digits_cnn")


@pytest.fixture(scope="session")
def trained_digits(tmp_path_factory):
    """The digits template trained for 3 epochs; returns (project, TrainingResult)."""
    from builder.training import Trainer

    project = load_template("digits_cnn")
    result = Trainer(project, run_dir=tmp_path_factory.mktemp("run"), epochs=3).run()
    return project, result
