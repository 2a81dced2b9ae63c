"""Every command that writes refuses an existing target unless --force, never replaces what is not a regular
file, writes through symbolic links; import --force over a project is all new or nothing new."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from builder.cli import main
from builder.graph import Graph
from cli_processes import run_command
from builder.project import DatasetRef, Project, TrainingConfig, load_project, save_project

ROOT = Path(__file__).resolve().parents[2]


def iris_project(tmp_path, capsys=None) -> Path:
    graph = Graph()
    graph.add_node("Input", {"shape": [4]}, node_id="input")
    graph.add_node("Dense", {"units": 3, "activation": "softmax"}, node_id="out")
    graph.connect("input", "out")
    project = Project(graph=graph, dataset=DatasetRef(name="iris"), name="iris",
                      training=TrainingConfig(epochs=1, batch_size=16, tensorboard=False))
    return save_project(project, tmp_path / "p.json")


def test_export_python_refuses_an_existing_file_unless_force(tmp_path, capsys):
    project = iris_project(tmp_path, capsys)
    script = tmp_path / "model.py"
    script.write_text("# mine\n")
    assert main(["export", str(project), "--format", "python", "-o", str(script)]) == 1
    assert f"{script} already exists; choose another name, or pass --force" in capsys.readouterr().err
    assert script.read_text() == "# mine\n"
    assert main(["export", str(project), "--format", "python", "-o", str(script), "--force"]) == 0
    assert "def build_model" in script.read_text()


@pytest.mark.parametrize("fmt, name", [("keras", "m.keras"), ("tflite", "m.tflite"), ("h5", "m.h5"),
                                       ("onnx", "m.onnx"), ("savedmodel", "sm")])
def test_export_of_every_format_refuses_an_existing_target(tmp_path, capsys, fmt, name):
    """Refused before the model is even loaded (the source here does not exist)."""
    target = tmp_path / name
    if fmt == "savedmodel":
        target.mkdir()
        (target / "saved_model.pb").write_text("mine")
    else:
        target.write_text("mine")
    assert main(["export", str(tmp_path / "missing.keras"), "--format", fmt, "-o", str(target)]) == 1
    assert "already exists" in capsys.readouterr().err
    assert (target / "saved_model.pb" if fmt == "savedmodel" else target).read_text() == "mine"


def test_export_never_replaces_a_device_or_a_folder_of_other_things(tmp_path, capsys):
    project = iris_project(tmp_path, capsys)
    assert main(["export", str(project), "--format", "python", "-o", "/dev/null", "--force"]) == 1
    assert "/dev/null is a character device, not a regular file" in capsys.readouterr().err
    folder = tmp_path / "photos"
    folder.mkdir()
    (folder / "cat.jpg").write_text("mine")
    assert main(["export", str(tmp_path / "missing.keras"), "--format", "savedmodel", "-o", str(folder),
                 "--force"]) == 1
    assert "does not hold a SavedModel" in capsys.readouterr().err and (folder / "cat.jpg").exists()
    assert main(["export", str(project), "--format", "python", "-o", str(folder), "--force"]) == 1
    assert f"{folder} is a folder" in capsys.readouterr().err


def test_new_never_replaces_a_device_and_writes_through_a_symlink(tmp_path, capsys):
    assert main(["new", "digits_cnn", "-o", "/dev/null", "--force"]) == 1
    assert "is a character device, not a regular file" in capsys.readouterr().err
    real = tmp_path / "keep" / "real.json"
    real.parent.mkdir()
    real.write_text("{}")
    link = tmp_path / "link.json"
    link.symlink_to(real)
    assert main(["new", "digits_cnn", "-o", str(link), "--force"]) == 0
    assert link.is_symlink() and json.loads(real.read_text())["format"] == "layerboard-project"


@pytest.mark.slow
def test_train_refuses_a_run_dir_that_holds_a_run(tmp_path, capsys):
    project = iris_project(tmp_path, capsys)
    run = tmp_path / "run"
    assert main(["train", str(project), "--run-dir", str(run)]) == 0
    before = (run / "model.keras").read_bytes()
    (run / "notes.txt").write_text("mine")
    capsys.readouterr()
    assert main(["train", str(project), "--run-dir", str(run)]) == 1
    err = capsys.readouterr().err
    assert f"{run} already holds a run" in err and "--resume" in err and "--force" in err
    assert (run / "model.keras").read_bytes() == before
    assert main(["train", str(project), "--resume", str(run), "--epochs", "2"]) == 0  # continues it
    assert main(["train", str(project), "--run-dir", str(run), "--force"]) == 0  # replaces it
    assert [line.split(",")[0] for line in (run / "history.csv").read_text().splitlines()[1:]] == ["0"]
    assert (run / "notes.txt").read_text() == "mine"  # the user's own files stay
    file = tmp_path / "file"
    file.write_text("x")
    assert main(["train", str(project), "--run-dir", str(file), "--force"]) == 1
    assert "is not a folder" in capsys.readouterr().err


def small_model(path: Path, units: int) -> Path:
    import keras

    inputs = keras.Input((4,), name="x")
    model = keras.Model(inputs, keras.layers.Dense(2, name="out")(keras.layers.Dense(units, name="hidden")(inputs)))
    model.save(path)
    return path


def import_cli(*args: str, kill_at: str | None = None):
    return run_command("import", *args, kill_at=kill_at)


def loads_its_weights(project_path: Path) -> int:
    """The hidden layer's width the project's weights file holds (and the project agrees)."""
    import h5py

    project = load_project(project_path)
    with h5py.File(project_path.parent / project.weights, "r") as f:
        width = f["hidden"]["0"].shape[1]
    assert project.graph.nodes["hidden"].params["units"] == width  # the project and its weights belong together
    return width


@pytest.mark.slow
@pytest.mark.processes
@pytest.mark.parametrize("point", ["import: weights written", "import: project written", None])
def test_import_force_is_all_new_or_nothing_new(tmp_path, point):
    old, new = small_model(tmp_path / "old.keras", 3), small_model(tmp_path / "new.keras", 5)
    project = tmp_path / "p.json"
    assert main(["import", str(old), "-o", str(project)]) == 0
    assert loads_its_weights(project) == 3
    done = import_cli(str(new), "-o", str(project), "--force", kill_at=point)
    assert done.returncode == (-signal.SIGKILL if point else 0), done.stderr
    expected = 3 if point == "import: weights written" else 5
    assert loads_its_weights(project) == expected
    if point != "import: project written":  # the old weights go once the new project is in place
        assert sorted(p.name for p in tmp_path.glob("p*.weights.h5")) == [load_project(project).weights] \
            or point == "import: weights written"
    # the next import --force leaves exactly one weights file, the one the project points at
    assert import_cli(str(old), "-o", str(project), "--force").returncode == 0
    assert loads_its_weights(project) == 3
    assert [p.name for p in tmp_path.glob("p*.weights.h5")] == [load_project(project).weights]


def run_cli(*args: str, kill_at: str | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "CUDA_VISIBLE_DEVICES": "", "TF_CPP_MIN_LOG_LEVEL": "3"}
    env.pop("LAYERBOARD_KILL_AT", None)
    if kill_at:
        env["LAYERBOARD_KILL_AT"] = kill_at
    return subprocess.run([sys.executable, "main.py", *args], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=300)


def _age_all_hidden(folder: Path) -> None:
    import time

    then = time.time() - 3600
    for path in folder.glob(".*"):
        os.utime(path, (then, then))


@pytest.mark.slow
@pytest.mark.processes
def test_new_force_and_export_force_killed_before_the_rename_lose_nothing(tmp_path):
    """A kill after the new content is staged and before it is renamed into place: the old file is intact, and
    the next write into that folder removes the staging folder the kill left."""
    project = tmp_path / "p.json"
    project.write_text('{"mine": true}\n')
    killed = run_cli("new", "digits_cnn", "-o", str(project), "--force", kill_at="before-rename p.json")
    assert killed.returncode == -signal.SIGKILL
    assert project.read_text() == '{"mine": true}\n' and list(tmp_path.glob(".p.json.*"))
    _age_all_hidden(tmp_path)
    assert run_cli("new", "digits_cnn", "-o", str(project), "--force").returncode == 0
    assert load_project(project).name and not list(tmp_path.glob(".*"))

    model = small_model(tmp_path / "model.keras", 3)
    target = tmp_path / "out.keras"
    target.write_bytes(b"the user's")
    killed = run_cli("export", str(model), "--format", "keras", "-o", str(target), "--force",
                     kill_at="before-rename out.keras")
    assert killed.returncode == -signal.SIGKILL and target.read_bytes() == b"the user's"
    _age_all_hidden(tmp_path)
    done = run_cli("export", str(model), "--format", "keras", "-o", str(target), "--force")
    assert done.returncode == 0, done.stderr
    assert target.read_bytes()[:2] == b"PK" and not list(tmp_path.glob(".*"))
