"""python main.py runs PROJECT [--json]: every run of a project read back from disk, in a fresh process (as after
a restart), and the runs it lists used by evaluate --run."""
from __future__ import annotations

import json

import pytest

from builder.project import load_template, save_project
from builder.training import Trainer
from cli_processes import run_command

pytestmark = pytest.mark.slow


@pytest.fixture
def project_file(tmp_path):
    path = tmp_path / "p.json"
    save_project(load_template("digits_cnn"), path)
    return path


@pytest.mark.processes  # kills or drives a real training process (make test-processes)
def test_runs_lists_a_finished_and_a_killed_run_and_evaluate_uses_one(project_file):
    from builder.project import load_project

    finished = Trainer(load_project(project_file), epochs=1).run()
    killed = run_command("train", str(project_file), "--epochs", "3", kill_at="batch 2:0")
    assert killed.returncode != 0  # SIGKILL in the second epoch: the first one's checkpoint is committed

    done = run_command("runs", str(project_file), "--json")
    assert done.returncode == 0, done.stderr
    listing = json.loads(done.stdout)
    assert listing["runs_dir"] == str(project_file.parent / "runs" / "p")
    first, second = listing["runs"]
    assert first["run_dir"] == str(finished.run_dir)
    assert first["state"] == "finished" and first["epochs_run"] == 1 and first["device"]
    assert first["final_metrics"]["val_loss"] == pytest.approx(finished.final_metrics["val_loss"])
    assert first["model"].endswith("model.keras") and first["differences"] == {} and not first["problems"]
    assert second["state"] == "interrupted" and second["epochs_run"] == 1 and second["resumable"]
    assert second["model"].endswith("best.keras") and second["duration_s"] is None

    text = run_command("runs", str(project_file))
    assert text.returncode == 0, text.stderr
    lines = text.stdout.splitlines()
    assert lines[0] == f"2 runs in {project_file.parent / 'runs' / 'p'}:"
    assert "finished" in lines[1] and "1 epoch " in lines[1] and "val_loss" in lines[1]
    assert lines[2].strip().startswith("performance: jit_compile=auto")  # what the finished run trained with
    assert "interrupted" in lines[3] and "(can be continued)" in lines[3]
    assert "--resume RUN_DIR" in lines[-1]

    evaluated = run_command("evaluate", str(project_file), "--run", first["run_dir"], "--json")
    assert evaluated.returncode == 0, evaluated.stderr
    assert 0.0 <= json.loads(evaluated.stdout)["metrics"]["accuracy"] <= 1.0


def test_no_runs_yet_says_how_to_train_one(project_file):
    done = run_command("runs", str(project_file))
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == (f"no runs yet in {project_file.parent / 'runs' / 'p'}; train one: "
                                   f"python main.py train {project_file}")
    listing = json.loads(run_command("runs", str(project_file), "--json").stdout)
    assert listing["runs"] == []


def test_a_broken_run_is_listed_with_its_problem(project_file):
    run = project_file.parent / "runs" / "p" / "20250102-030405"
    run.mkdir(parents=True)
    (run / "run.json").write_text('{"epochs_run": 3, "stopped": "maybe", "final_metrics": [1]}')
    (run / "history.csv").write_text("epoch,loss,val_loss\n0,0.9,1.0\n1,0.7,0.8\n2,0.5,0.6\n")
    done = run_command("runs", str(project_file))
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr + done.stdout
    assert "20250102-030405  2025-01-02 03:04  finished  3 epochs" in done.stdout
    assert "problem: run.json's stopped is \"maybe\", not true or false; it was left out." in done.stdout
    assert "problem: run.json's final_metrics is [1], not an object of metric values" in done.stdout
