"""The CLI checks every setting before it runs: `check`, `train` and every `export` list each bad field (exit 2),
numeric flags out of range are refused by the parser, and `control` refuses out-of-range live values."""
import json
import subprocess
import sys
from pathlib import Path

import pytest

from builder.cli import main

ROOT = Path(__file__).resolve().parents[2]
BAD_SETTINGS = {"training": {"seed": "x", "early_stopping": "yes", "label_smoothing": "x", "learning_rate": -1,
                             "epochs": "ten", "mixed_precision": "false"},
                "dataset": {"options": [], "seed": 2**70}}
BAD_FIELDS = ["dataset.seed", "dataset.options", "training.learning_rate", "training.label_smoothing",
              "training.epochs", "training.seed", "training.early_stopping", "training.mixed_precision"]


def bad_project(tmp_path, capsys, name="p.json", graph=True):
    path = tmp_path / name
    assert main(["new", "digits_cnn", "-o", str(path)]) == 0
    data = json.loads(path.read_text())
    for section, values in BAD_SETTINGS.items():
        data[section].update(values)
    if not graph:
        data["graph"] = {"nodes": [], "edges": []}
    path.write_text(json.dumps(data))
    capsys.readouterr()
    return path


def problem_lines(text):
    return [line.strip() for line in text.splitlines() if line.strip().split(":")[0] in BAD_FIELDS
            or line.strip().lstrip("! ").split(":")[0] in BAD_FIELDS]


def test_check_lists_every_bad_setting_and_exits_2(tmp_path, capsys):
    path = bad_project(tmp_path, capsys)
    assert main(["check", str(path)]) == 2
    out = capsys.readouterr().out
    assert [line.lstrip("! ").split(":")[0] for line in problem_lines(out)] == BAD_FIELDS
    assert "INVALID" in out and '! training.mixed_precision: must be one of true, false, "auto"; got "false"' in out
    assert main(["check", str(path), "--json"]) == 2
    report = json.loads(capsys.readouterr().out)
    assert not report["valid"] and [p.split(":")[0] for p in report["problems"]] == BAD_FIELDS


def test_an_empty_graph_is_invalid(tmp_path, capsys):
    path = tmp_path / "p.json"
    main(["new", "digits_cnn", "-o", str(path)])
    data = json.loads(path.read_text())
    data["graph"] = {"nodes": [], "edges": []}
    path.write_text(json.dumps(data))
    capsys.readouterr()
    assert main(["check", str(path), "--json"]) == 2
    assert json.loads(capsys.readouterr().out)["problems"][0].startswith("graph: the graph is empty")


@pytest.mark.parametrize("command", [
    ["train"], ["export", "--format", "python", "-o", "{tmp}/m.py"], ["export", "--format", "tflite", "-o",
                                                                       "{tmp}/m.tflite"],
    ["export", "--format", "keras", "-o", "{tmp}/m.keras"], ["export", "--format", "savedmodel", "-o", "{tmp}/sm"],
    ["export", "--format", "onnx", "-o", "{tmp}/m.onnx"], ["export", "--format", "h5", "-o", "{tmp}/m.h5"],
])
def test_train_and_every_export_refuse_an_invalid_project_with_every_problem(tmp_path, capsys, command):
    path = bad_project(tmp_path, capsys)
    args = [command[0], str(path), *[a.replace("{tmp}", str(tmp_path)) for a in command[1:]]]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: {path} is not valid (8 problems)")
    assert [line.split(":")[0] for line in problem_lines(err)] == BAD_FIELDS
    assert not list(tmp_path.glob("m.*")) and not (tmp_path / "sm").exists() and not (tmp_path / "runs").exists()


def test_no_traceback_and_exit_2_from_a_real_process(tmp_path, capsys):
    path = bad_project(tmp_path, capsys, graph=False)
    for args in (["train", str(path)], ["export", str(path), "--format", "python", "-o", str(tmp_path / "m.py")]):
        run = subprocess.run([sys.executable, str(ROOT / "main.py"), *args], capture_output=True, text=True,
                             cwd=ROOT, timeout=300)
        assert run.returncode == 2 and "Traceback" not in run.stderr
        errors = [line for line in run.stderr.splitlines() if line.startswith("error:")]
        assert len(errors) == 1 and "is not valid (9 problems)" in errors[0]
        assert "graph: the graph is empty" in run.stderr


@pytest.mark.parametrize("args, message", [
    (["train", "p.json", "--cpu-devices", "-2"],
     "argument --cpu-devices: must be a whole number from 1 to 1,024; got -2"),
    (["train", "p.json", "--cpu-devices", "0"], "argument --cpu-devices: must be a whole number from 1"),
    (["train", "p.json", "--epochs", "0"], "argument --epochs: must be a whole number from 1 to 1,000,000; got 0"),
    (["train", "p.json", "--epochs", "many"], "argument --epochs: invalid int value: 'many'"),
    (["export", "p.json", "--format", "tflite", "-o", "m", "--samples", "-5"],
     "argument --samples: must be a whole number from 1"),
    (["export", "p.json", "--format", "tflite", "-o", "m", "--representative-samples", "0"],
     "argument --representative-samples: must be a whole number from 1"),
    (["export", "p.json", "--format", "tflite", "-o", "m", "--max-accuracy-drop", "nan"],
     "argument --max-accuracy-drop: must be a finite number from -100 to 100; got nan"),
    (["export", "p.json", "--format", "tflite", "-o", "m", "--max-accuracy-drop", "101"],
     "argument --max-accuracy-drop: must be a finite number from -100 to 100"),
    (["datasets", "iris", "--preview", "-5"], "argument --preview: must be a whole number from 0"),
    (["control", "run", "--learning-rate", "-5"], "argument --learning-rate: must be a finite number above 0 and at "
                                                 "most 10; got -5"),
    (["control", "run", "--learning-rate", "0"], "argument --learning-rate: must be a finite number above 0"),
    (["control", "run", "--learning-rate", "1e6"], "at most 10; got 1e6"),
    (["control", "run", "--learning-rate", "nan"], "argument --learning-rate: must be a finite number"),
    (["control", "run", "--learning-rate", "inf"], "argument --learning-rate: must be a finite number"),
    (["control", "run", "--learning-rate", "fast"], "argument --learning-rate: invalid float value: 'fast'"),
    (["control", "run", "--patience", "-4"], "argument --patience: must be a whole number from 0"),
    (["control", "run", "--patience", "inf"], "argument --patience: invalid int value: 'inf'"),
])
def test_numeric_flags_out_of_range_are_refused_by_the_parser(args, message, capsys):
    with pytest.raises(SystemExit) as caught:
        main(args)
    assert caught.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and message in err and len(err.strip().splitlines()) == 1


def test_control_writes_nothing_for_a_refused_value(tmp_path, capsys):
    with pytest.raises(SystemExit):
        main(["control", str(tmp_path), "--learning-rate", "-5", "--patience", "3"])
    assert not (tmp_path / "control.json").exists()
    assert main(["control", str(tmp_path), "--learning-rate", "10", "--patience", "0"]) == 0
    request = json.loads((tmp_path / "control.json").read_text())
    assert request["learning_rate"] == 10 and request["patience"] == 0
