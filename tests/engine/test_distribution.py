"""Distributed training on CPU: MirroredStrategy over two logical CPU devices, MultiWorkerMirroredStrategy over two
local worker processes (TF_CONFIG on 127.0.0.1), each compared with a single-device run of the same seed.

Real training runs in subprocesses (`python main.py train ...`): splitting the CPU and configuring collective ops
must happen before TensorFlow starts, which a pytest process has long done.
"""
from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from builder.training import is_chief

ROOT = Path(__file__).resolve().parents[2]
TIMEOUT_S = 240
# Two replicas each average the gradient of half a batch and the all-reduce averages those: the full-batch
# gradient up to float32 rounding (measured ~3e-8 on the weights after 16 steps). The tolerance leaves room for
# Adam's update amplifying that rounding, while a one-batch shift in the data order moves weights by ~1e-2.
RTOL, ATOL = 1e-4, 1e-5


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "TF_CONFIG"}
    env.update(QT_QPA_PLATFORM="offscreen", TF_CPP_MIN_LOG_LEVEL="2", CUDA_VISIBLE_DEVICES="")
    env.update(extra)
    return env


def _train_cmd(project: Path, run_dir: Path, *options: str) -> list[str]:
    return [sys.executable, "main.py", "train", str(project), "--run-dir", str(run_dir), "--json", *options]


def _train(project: Path, run_dir: Path, *options: str) -> dict:
    done = subprocess.run(_train_cmd(project, run_dir, *options), cwd=ROOT, env=_env(), capture_output=True,
                          text=True, timeout=TIMEOUT_S)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-4000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def _weights(run_dir: Path) -> list[np.ndarray]:
    import keras

    return keras.saving.load_model(run_dir / "model.keras").get_weights()


def _assert_same_weights(a: Path, b: Path) -> None:
    wa, wb = _weights(a), _weights(b)
    assert [w.shape for w in wa] == [w.shape for w in wb]
    for x, y in zip(wa, wb):
        np.testing.assert_allclose(y, x, rtol=RTOL, atol=ATOL)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    """An iris MLP: 120 training samples, batch 16 (7 full batches and one of 8, all split evenly in two), 2 epochs."""
    from builder.project import DatasetRef, Project, TrainingConfig
    from builder.project import save_project

    project = Project(name="iris_mlp")
    graph = project.graph
    graph.add_node("Input", {"shape": [4]}, node_id="measurements")
    graph.add_node("Dense", {"units": 16, "activation": "relu"}, node_id="hidden")
    graph.add_node("Dense", {"units": 3, "activation": "softmax"}, node_id="species")
    graph.connect("measurements", "hidden")
    graph.connect("hidden", "species")
    project.dataset = DatasetRef(name="iris", validation_split=0.2, seed=1)
    project.training = TrainingConfig(optimizer="adam", learning_rate=0.01, epochs=2, batch_size=16, seed=7,
                                      tensorboard=False)
    return save_project(project, tmp_path_factory.mktemp("project") / "iris_mlp.json")


@pytest.fixture(scope="module")
def single_run(project, tmp_path_factory) -> tuple[Path, dict]:
    run_dir = tmp_path_factory.mktemp("single")
    return run_dir, _train(project, run_dir, "--strategy", "none")


# --- is_chief ----------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("tf_config, chief", [
    (None, True),
    ("", True),
    ("not json", True),
    ('{"cluster": {"worker": ["a:1", "b:1"]}, "task": {"type": "worker", "index": 0}}', True),
    ('{"cluster": {"worker": ["a:1", "b:1"]}, "task": {"type": "worker", "index": 1}}', False),
    ('{"cluster": {"chief": ["c:1"], "worker": ["a:1"]}, "task": {"type": "chief", "index": 0}}', True),
    ('{"cluster": {"chief": ["c:1"], "worker": ["a:1"]}, "task": {"type": "worker", "index": 0}}', False),
    ('{"cluster": {"worker": ["a:1"], "evaluator": ["e:1"]}, "task": {"type": "evaluator", "index": 0}}', False),
])
def test_is_chief_follows_tf_config(monkeypatch, tf_config, chief):
    if tf_config is None:
        monkeypatch.delenv("TF_CONFIG", raising=False)
    else:
        monkeypatch.setenv("TF_CONFIG", tf_config)
    assert is_chief() is chief


# --- command line ------------------------------------------------------------------------------------------------

def test_multiworker_without_tf_config_fails_naming_it(project, tmp_path):
    done = subprocess.run(_train_cmd(project, tmp_path / "run", "--strategy", "multiworker"), cwd=ROOT, env=_env(),
                          capture_output=True, text=True, timeout=TIMEOUT_S)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "TF_CONFIG" in done.stderr
    assert not (tmp_path / "run" / "model.keras").exists()


def test_mirrored_on_two_cpu_devices_matches_one_device(project, single_run, tmp_path):
    single_dir, single = single_run
    assert json.loads((single_dir / "run.json").read_text())["replicas"] == 1
    mirrored = _train(project, tmp_path, "--strategy", "mirrored", "--cpu-devices", "2")
    assert json.loads((tmp_path / "run.json").read_text())["replicas"] == 2
    assert mirrored["epochs_run"] == single["epochs_run"] == 2
    _assert_same_weights(single_dir, tmp_path)
    assert mirrored["final_metrics"]["val_loss"] == pytest.approx(single["final_metrics"]["val_loss"], rel=1e-4)


def test_two_local_workers_match_one_device(project, single_run, tmp_path):
    single_dir, _ = single_run
    ports = [_free_port(), _free_port()]
    cluster = {"worker": [f"127.0.0.1:{port}" for port in ports]}
    workers, run_dirs = [], [tmp_path / "worker0", tmp_path / "worker1"]
    for index, run_dir in enumerate(run_dirs):
        tf_config = json.dumps({"cluster": cluster, "task": {"type": "worker", "index": index}})
        workers.append(subprocess.Popen(_train_cmd(project, run_dir, "--strategy", "multiworker"), cwd=ROOT,
                                        env=_env(TF_CONFIG=tf_config), stdout=subprocess.PIPE,
                                        stderr=subprocess.PIPE, text=True))
    outputs = []
    try:
        for worker in workers:
            outputs.append(worker.communicate(timeout=TIMEOUT_S))
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.kill()
                worker.communicate()
    for worker, (out, err) in zip(workers, outputs):
        assert worker.returncode == 0, out[-2000:] + err[-4000:]
    chief, other = run_dirs
    assert (chief / "model.keras").exists() and (chief / "run.json").exists()
    assert json.loads((chief / "run.json").read_text())["replicas"] == 2
    assert not list(other.glob("*.keras")) and not (other / "run.json").exists()
    _assert_same_weights(single_dir, chief)
