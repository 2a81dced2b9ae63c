"""The runs of a project read back from disk (builder.training.list_runs / history / adopt_runs): real short
trainings, runs cut short, and run folders holding broken or hostile files."""
from __future__ import annotations

import json
import math
import os
import shutil
import sys
from pathlib import Path

import pytest

from builder.project import Project, load_template, save_project
from builder.project.user_data import folder_name, unsaved_runs_dir, user_data_dir
from builder.training import (FAILED, FINISHED, INTERRUPTED, STOPPED, Trainer, TrainingCallbacks, adopt_runs,
                              history, list_runs, read_run)

pytestmark = pytest.mark.slow


class StopAfterFirstBatch(TrainingCallbacks):
    """Asks the run to stop as soon as its first batch ends (the user's Stop)."""

    def __init__(self) -> None:
        self.trainer = None

    def on_batch_end(self, epoch, batch, logs):
        self.trainer.stop()


def train(project: Project, epochs: int = 1, stop: bool = False):
    callbacks = StopAfterFirstBatch() if stop else None
    trainer = Trainer(project, callbacks=callbacks, epochs=epochs)
    if callbacks:
        callbacks.trainer = trainer
    return trainer.run()


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory):
    """A saved digits project trained twice: 2 epochs at learning rate 0.003, then stopped at 0.01.
    Returns (project file, first result, second result)."""
    folder = tmp_path_factory.mktemp("project")
    project = load_template("digits_cnn")
    save_project(project, folder / "p.json")
    first = train(project, epochs=2)
    project.training.learning_rate = 0.01
    project.training.batch_size = 64
    second = train(project, epochs=3, stop=True)
    return folder / "p.json", first, second


def copy_run(result, runs_dir: Path, name: str) -> Path:
    target = runs_dir / name
    shutil.copytree(result.run_dir, target)
    return target


# ---- real runs ------------------------------------------------------------------------------------------------
def test_lists_every_run_with_its_state_metrics_device_and_changed_settings(two_runs):
    from builder.project import load_project

    path, first, second = two_runs
    project = load_project(path)
    project.training.learning_rate = 0.01
    project.training.batch_size = 64  # the project now has the second run's settings
    runs = list_runs(project)
    assert [r.run_dir for r in runs] == [first.run_dir, second.run_dir]
    one, two = runs
    assert one.state == FINISHED and one.epochs_run == 2
    assert two.state == STOPPED and two.epochs_run == 1
    assert one.final_metrics == pytest.approx(first.final_metrics)
    assert two.final_metrics == pytest.approx(second.final_metrics)
    assert one.duration_s == pytest.approx(first.duration_s, abs=0.01) and one.duration_s > 0
    assert one.device and one.device == two.device  # "CPU" here, "GPU:0 (…)" on a GPU
    assert one.differences == {"training.learning_rate": (0.003, 0.01), "training.batch_size": (32, 64)}
    assert two.differences == {}
    assert one.model_path == first.run_dir / "model.keras" and one.resumable
    assert one.started is not None and one.started <= two.started
    assert not one.problems and not two.problems
    assert runs[0].to_dict()["differences"]["training.learning_rate"] == {"run": 0.003, "project": 0.01}


def test_history_is_the_runs_curves_by_epoch(two_runs):
    _, first, _ = two_runs
    curves = history(first.run_dir)
    assert curves["epoch"] == [1, 2]
    for name in ("loss", "val_loss", "accuracy", "val_accuracy"):
        assert curves[name] == pytest.approx(first.history[name], rel=1e-6)
    assert history(first.run_dir / "nothing here") == {}


def test_a_killed_run_is_listed_from_its_checkpoint_and_history(two_runs, tmp_path):
    """A run killed after its first epoch has no run.json nor model.keras: its checkpoint and history remain."""
    _, first, _ = two_runs
    run = copy_run(first, tmp_path / "runs", "20250101-120000")
    for name in ("run.json", "model.keras"):
        (run / name).unlink()
    (run / "checkpoint.json").write_text(json.dumps({"epoch": 2, "step": 90}))
    [summary] = list_runs(load_template("digits_cnn"), tmp_path / "runs")
    assert summary.state == INTERRUPTED and summary.epochs_run == 2 and summary.resumable
    assert summary.model_path == run / "best.keras"
    assert summary.final_metrics["val_loss"] == pytest.approx(first.final_metrics["val_loss"])
    assert summary.duration_s is None and summary.device is None and summary.differences == {}
    assert summary.started.year == 2025 and summary.started.hour == 12  # from the folder's name


def test_a_run_that_failed_before_its_first_epoch(tmp_path):
    run = tmp_path / "runs" / "crashed"
    run.mkdir(parents=True)
    (run / "error.log").write_text("Traceback ...\n")
    [summary] = list_runs(Project(), tmp_path / "runs")
    assert summary.state == FAILED and not summary.resumable and summary.model_path is None
    assert summary.started is not None  # the file's time when the name holds none


def test_no_runs_folder_is_no_runs(tmp_path):
    assert list_runs(Project(), tmp_path / "missing") == []
    project = load_template("digits_cnn")
    assert list_runs(project) == []


# ---- broken and hostile files ---------------------------------------------------------------------------------
def broken_runs(first, runs: Path) -> dict[str, Path]:
    made = {}

    def run(name: str) -> Path:
        made[name] = copy_run(first, runs, name)
        return made[name]

    (run("garbage") / "run.json").write_bytes(b"\xff\xfe\x00garbage{{")
    (run("not_json") / "run.json").write_text("{\"epochs_run\": 2,,}")
    (run("a_list") / "run.json").write_text("[1, 2, 3]")
    (run("deep") / "run.json").write_text("[" * 100_000 + "]" * 100_000)
    (run("wrong_types") / "run.json").write_text(json.dumps({
        "epochs_run": "many", "stopped": "no", "final_metrics": {"loss": "low", "val_loss": 0.5},
        "duration_s": -3, "device": ["GPU"], "training": "fast", "dataset": {"seed": "x"}}))
    huge = run("huge_history") / "history.csv"
    with open(huge, "r+b") as handle:
        handle.truncate(65 * 1024 * 1024)  # sparse: no disk used
    (run("no_epoch_column") / "history.csv").write_text("a,b\n1,2\n")
    (run("bad_cells") / "history.csv").write_text("epoch,loss,val_loss\n0,0.5,oops\nx,1,1\n1,0.4\n")
    if hasattr(os, "mkfifo"):
        fifo_run = run("fifo")
        (fifo_run / "run.json").unlink()
        os.mkfifo(fifo_run / "run.json")
    (runs / "not_a_run").mkdir()
    (runs / "not_a_run" / "notes.txt").write_text("hello")
    (runs / "a_file.txt").write_text("not a folder")
    (runs / "linked").symlink_to(first.run_dir, target_is_directory=True)
    return made


def test_broken_files_never_stop_the_listing_and_are_named(two_runs, tmp_path):
    _, first, _ = two_runs
    runs = tmp_path / "runs"
    made = broken_runs(first, runs)
    listed = {r.name: r for r in list_runs(load_template("digits_cnn"), runs)}
    assert set(listed) == set(made)  # not the folder without run files, the plain file, nor the link
    def problems(name):
        return " ".join(listed[name].problems)

    assert "run.json is not UTF-8" in problems("garbage")
    assert "run.json is not valid JSON" in problems("not_json")
    assert "run.json holds list, not a JSON object" in problems("a_list")
    assert "run.json" in problems("deep")
    wrong = listed["wrong_types"]
    for field in ("epochs_run", "stopped", "final_metrics.loss", "duration_s", "device", "training"):
        assert f"run.json's {field} is" in problems("wrong_types"), field
    assert wrong.final_metrics == {"val_loss": 0.5} and wrong.duration_s is None and wrong.device is None
    assert wrong.differences == {"dataset.seed": ("x", 42)}
    assert "history.csv is 68,157,440 bytes" in problems("huge_history")
    assert history(made["huge_history"]) == {}
    assert "no 'epoch' column" in problems("no_epoch_column")
    curves = history(made["bad_cells"])
    assert curves["epoch"] == [1, 2] and curves["loss"] == [0.5, 0.4]
    assert math.isnan(curves["val_loss"][0]) and math.isnan(curves["val_loss"][1])  # "oops", and a short row
    if "fifo" in made:
        assert "is a FIFO" in problems("fifo")
    # What could be read is still shown: the checkpoint, the model, the history.
    for name in ("garbage", "not_json", "a_list"):
        assert listed[name].resumable and listed[name].model_path is not None
        assert listed[name].epochs_run == 2 and "val_loss" in listed[name].final_metrics
    json.dumps([r.to_dict() for r in listed.values()])  # every summary serialises


# ---- where an unsaved project's runs go, and taking them along when it is saved -------------------------------
def test_an_unsaved_projects_runs_go_to_the_user_data_folder(user_data, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    project = load_template("digits_cnn")
    assert project.default_runs_dir() == user_data / "runs" / "digits_cnn"
    result = train(project)
    assert result.run_dir.parent == user_data / "runs" / "digits_cnn"
    assert not (tmp_path / "runs").exists()  # never the folder the program was started from
    assert [r.run_dir for r in list_runs(project)] == [result.run_dir]

    old = project.default_runs_dir()
    (tmp_path / "saved").mkdir()
    save_project(project, tmp_path / "saved" / "mine.json")
    moved = adopt_runs(project, old)
    assert moved == [tmp_path / "saved" / "runs" / "mine" / result.run_dir.name]
    assert not old.exists() and not result.run_dir.exists()
    [summary] = list_runs(project)
    assert summary.run_dir == moved[0] and summary.state == FINISHED and summary.model_path.is_file()
    assert adopt_runs(project, old) == []  # nothing left to take


def test_save_as_copies_the_runs_and_the_old_project_keeps_them(two_runs, tmp_path):
    from builder.project import load_project

    path, first, second = two_runs
    project = load_project(path)
    old = project.default_runs_dir()
    target = tmp_path / "copy.json"
    (tmp_path / "runs" / "copy" / first.run_dir.name).mkdir(parents=True)  # a name already taken there
    save_project(project, target)
    copied = adopt_runs(project, old, move=False)
    assert [p.name for p in copied] == [f"{first.run_dir.name}-2", second.run_dir.name]
    assert first.run_dir.is_dir() and second.run_dir.is_dir()  # the old project still has its runs
    assert [r.run_dir for r in list_runs(load_project(path))] == [first.run_dir, second.run_dir]
    new_runs = {r.run_dir.name: r for r in list_runs(project)}
    assert new_runs[f"{first.run_dir.name}-2"].final_metrics == pytest.approx(first.final_metrics)
    history_copy = copied[0] / "history.csv"
    assert not history_copy.samefile(first.run_dir / "history.csv")  # a resume appends to it: never shared


def test_the_user_data_folder(monkeypatch, tmp_path):
    monkeypatch.setenv("LAYERBOARD_DATA_DIR", str(tmp_path / "mine"))
    assert user_data_dir() == tmp_path / "mine"
    monkeypatch.delenv("LAYERBOARD_DATA_DIR")
    if sys.platform.startswith("linux"):
        monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
        assert user_data_dir() == tmp_path / "xdg" / "layerboard"
        monkeypatch.delenv("XDG_DATA_HOME")
        assert user_data_dir() == Path.home() / ".local" / "share" / "layerboard"
    assert user_data_dir() != Path.cwd()


@pytest.mark.parametrize("name, expected", [("digits_cnn", "digits_cnn"), ("..", "untitled"), ("", "untitled"),
                                            ("../../etc", ".._.._etc"), ("a/b\\c", "a_b_c"), ("x\0y", "x_y")])
def test_a_project_name_is_one_folder_inside_the_runs_folder(monkeypatch, tmp_path, name, expected):
    monkeypatch.setenv("LAYERBOARD_DATA_DIR", str(tmp_path))
    assert folder_name(name) == expected
    folder = unsaved_runs_dir(name)
    assert folder.parent == tmp_path / "runs"
    assert Project(name=name).default_runs_dir() == folder


def test_read_run_without_a_project_compares_nothing(two_runs):
    _, first, _ = two_runs
    summary = read_run(first.run_dir)
    assert summary.state == FINISHED and summary.differences == {}
