"""End to end: `python main.py train` keeps going while another shell writes garbage into its control.json, and
then stops when `python main.py control --patience 0` asks it to (early stopping that never fires by itself)."""
import csv
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from builder.graph import Graph
from builder.project import DatasetRef, Project, TrainingConfig, save_project

ROOT = Path(__file__).resolve().parents[2]
GARBAGE = [b"[1, 2]", b"null", b'"fast"', "folder", b'{"request_id": "abc", "learning_rate": 0.001}',
           b'{"learning_rate": "fast"}', b'{"learning_rate": {"nested": [1]}}', b'{"learning_rate": NaN}',
           b'{"learning_rate": -5}', b'{"patience": -4}']


def main_py(*args, **kwargs):
    return subprocess.Popen([sys.executable, str(ROOT / "main.py"), *args], cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, **kwargs)


def refused_rows(run_dir: Path) -> list[dict]:
    """The refusals control.csv holds so far (none before the trainer writes it)."""
    try:
        with (run_dir / "control.csv").open(encoding="utf-8") as handle:
            return [r for r in csv.DictReader(handle) if r["reason"].startswith("refused: ")]
    except FileNotFoundError:
        return []


@pytest.mark.slow
@pytest.mark.processes  # kills or drives a real training process (make test-processes)
def test_a_cli_training_survives_garbage_and_obeys_a_good_request(tmp_path):
    graph = Graph()
    graph.add_node("Input", {"shape": [4]}, node_id="input")
    graph.add_node("Dense", {"units": 3, "activation": "softmax"}, node_id="out")
    graph.connect("input", "out")
    never = {"patience": 100_000, "min_delta": 100.0}  # no epoch improves by 100: stops only when told
    training = TrainingConfig(epochs=100_000, batch_size=4, tensorboard=False, early_stopping=never)
    project = save_project(Project(graph=graph, dataset=DatasetRef(name="iris"), training=training, name="mlp"),
                           tmp_path / "p.json")
    run_dir = tmp_path / "run"
    train = main_py("train", str(project), "--run-dir", str(run_dir))
    try:
        deadline = time.monotonic() + 240
        while not (run_dir / "history.csv").exists():  # fitting has started
            assert train.poll() is None, train.communicate()
            assert time.monotonic() < deadline
            time.sleep(0.2)
        control = run_dir / "control.json"
        for payload in GARBAGE:
            if control.is_dir():
                control.rmdir()
            if payload == "folder":
                control.unlink(missing_ok=True)
                control.mkdir()
            else:
                tmp = run_dir / "c.tmp"
                tmp.write_bytes(payload)
                os.replace(tmp, control)
            seen = len(refused_rows(run_dir))
            while len(refused_rows(run_dir)) == seen:  # the trainer looks twice a second and refuses it
                assert train.poll() is None, train.communicate()  # still training
                assert time.monotonic() < deadline, payload
                time.sleep(0.05)
        if control.is_dir():
            control.rmdir()
        ask = main_py("control", str(run_dir), "--patience", "0")
        assert ask.wait(120) == 0, ask.communicate()
        out, err = train.communicate(timeout=240)
    finally:
        if train.poll() is None:
            train.kill()
    assert train.returncode == 0, err
    assert "Traceback" not in err and not [line for line in err.splitlines() if line.startswith("error:")]
    assert "saved" in out
    rows = list(csv.DictReader((run_dir / "control.csv").open(encoding="utf-8")))
    refused = [r for r in rows if r["reason"].startswith("refused: ")]
    assert len(refused) >= len(GARBAGE)
    assert rows[-1]["setting"] == "patience" and rows[-1]["value"] == "0" and rows[-1]["reason"] == "user"
    assert json.loads((run_dir / "run.json").read_text())
