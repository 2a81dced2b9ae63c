"""The CLI in-process (fast) for behaviour, plus real `python main.py` runs for exit codes and no tracebacks."""
import json
import subprocess
import sys
from pathlib import Path

import pytest

from builder.cli import main

ROOT = Path(__file__).resolve().parents[2]


def run_main(*args):
    return subprocess.run([sys.executable, str(ROOT / "main.py"), *args], capture_output=True, text=True,
                          cwd=ROOT, timeout=300)


def test_templates_and_new(tmp_path, capsys):
    assert main(["templates"]) == 0
    assert "digits_cnn" in capsys.readouterr().out
    out = tmp_path / "p.json"
    assert main(["new", "digits_cnn", "-o", str(out)]) == 0
    data = json.loads(out.read_text())
    assert data["format"] == "layerboard-project" and data["name"] == "p"
    assert main(["new", "digits_cnn", "-o", str(out)]) == 1
    assert "already exists" in capsys.readouterr().err
    assert main(["new", "nope", "-o", str(tmp_path / "q.json")]) == 1
    assert "No template named 'nope'" in capsys.readouterr().err


def test_templates_json_lists_every_gallery_field_and_the_measured_numbers(capsys):
    from builder.project import NUMBER_KEYS, list_templates, read_numbers

    assert main(["templates", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)["templates"]
    assert [t["name"] for t in listed] == [t.name for t in list_templates()]
    numbers = read_numbers()
    for entry in listed:
        assert {"name", "title", "teaches", "task", "architecture", "dataset", "description", "path"} <= set(entry)
        assert set(NUMBER_KEYS) <= set(entry)
        assert all(entry[key] == numbers.get(entry["name"], {}).get(key) for key in NUMBER_KEYS)
    assert main(["templates"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in lines] == [t["name"] for t in listed]


def test_check_valid_and_json(tmp_path, capsys):
    out = tmp_path / "p.json"
    main(["new", "digits_cnn", "-o", str(out)])
    capsys.readouterr()
    assert main(["check", str(out)]) == 0
    text = capsys.readouterr().out
    assert "conv2d_1" in text and "(None, 8, 8, 16)" in text and "total parameters: 9,930" in text
    assert main(["check", str(out), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["valid"] and report["total_params"] == 9930
    assert report["nodes"][2] == {"id": "conv2d_1", "type": "Conv2D", "output_shape": [None, 8, 8, 16],
                                  "params": 160, "shares": None, "error": None}


def test_check_invalid_exits_2_with_node_errors(tmp_path, capsys):
    out = tmp_path / "p.json"
    main(["new", "digits_cnn", "-o", str(out)])
    data = json.loads(out.read_text())
    data["graph"]["edges"] = [e for e in data["graph"]["edges"] if e["target"] != "conv2d_2"]
    out.write_text(json.dumps(data))
    capsys.readouterr()
    assert main(["check", str(out), "--json"]) == 2
    errors = {n["id"]: n["error"] for n in json.loads(capsys.readouterr().out)["nodes"] if n["error"]}
    assert "has no input connected" in errors["conv2d_2"]
    assert main(["check", str(out)]) == 2
    assert "INVALID" in capsys.readouterr().out


def test_train_then_export(tmp_path, capsys):
    project = tmp_path / "p.json"
    main(["new", "digits_cnn", "-o", str(project)])
    assert main(["export", str(project), "--format", "tflite", "-o", str(tmp_path / "m.tflite")]) == 1
    assert "no trained model yet" in capsys.readouterr().err
    run_dir = tmp_path / "run"
    assert main(["train", str(project), "--epochs", "2", "--run-dir", str(run_dir), "--json"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[0].startswith("epoch 1/2") and lines[1].startswith("epoch 2/2")
    final = json.loads(lines[-1])
    assert final["epochs_run"] == 2 and 0 <= final["final_metrics"]["val_accuracy"] <= 1
    assert final["performance"]["source"] == "default"  # the suite does not measure (LAYERBOARD_PERFORMANCE_PROBE)
    assert any(line.startswith("performance: jit_compile=auto, steps_per_execution=1 (Keras's defaults")
               for line in lines)
    assert (run_dir / "model.keras").exists() and (run_dir / "history.csv").exists()
    # The project's latest run is found under runs/<project>/ when trained without --run-dir.
    assert main(["export", str(project), "--run", str(run_dir), "--format", "tflite",
                 "-o", str(tmp_path / "m.tflite"), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["verified"] and report["max_abs_diff"] < 1e-4 and report["runtime"] == "LiteRT interpreter"
    assert main(["export", str(run_dir / "model.keras"), "--format", "keras", "-o", str(tmp_path / "copy.keras")]) == 0
    assert "verified" in capsys.readouterr().out


def test_export_uses_the_projects_latest_run(tmp_path, capsys):
    project = tmp_path / "p.json"
    main(["new", "digits_cnn", "-o", str(project)])
    assert main(["train", str(project), "--epochs", "1"]) == 0
    assert list((tmp_path / "runs" / "p").glob("*/model.keras"))
    assert main(["export", str(project), "--format", "savedmodel", "-o", str(tmp_path / "sm")]) == 0
    assert "savedmodel" in capsys.readouterr().out and (tmp_path / "sm" / "saved_model.pb").exists()


@pytest.mark.parametrize("args, code, message", [
    (["check", "missing.json"], 1, "missing.json: file not found"),
    (["frobnicate"], 2, "invalid choice: 'frobnicate'"),
    (["export", "x.keras", "--format", "zip", "-o", "y"], 2, "invalid choice: 'zip'"),
    (["train", "templates/digits_cnn.json", "--epochs", "many"], 2, "invalid int value: 'many'"),
])
def test_bad_input_is_one_line_and_no_traceback(args, code, message):
    run = run_main(*args)
    assert run.returncode == code
    errors = [line for line in run.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and message in errors[0]
    assert "Traceback" not in run.stderr


def test_malformed_project_via_main(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text('{"format": "layerboard-project", "version": 99, "graph": {}}')
    run = run_main("check", str(bad))
    assert run.returncode == 1 and "Traceback" not in run.stderr
    assert f"error: {bad}: version: unsupported version 99" in run.stderr


def test_export_python_writes_a_script_that_builds_the_project(tmp_path):
    import subprocess
    import sys

    from builder.cli import main

    project = tmp_path / "p.json"
    assert main(["new", "digits_cnn", "-o", str(project)]) == 0
    script = tmp_path / "model.py"
    assert main(["export", str(project), "--format", "python", "-o", str(script)]) == 0
    driver = (f"import importlib.util, json; s = importlib.util.spec_from_file_location('m', {str(script)!r}); "
              "m = importlib.util.module_from_spec(s); s.loader.exec_module(m); print(m.build_model().count_params())")
    out = subprocess.run([sys.executable, "-c", driver], capture_output=True, text=True, timeout=300)
    from builder.model import build_model
    from builder.project import load_project

    assert out.returncode == 0, out.stderr[-2000:]
    assert int(out.stdout.strip().splitlines()[-1]) == build_model(load_project(project).graph).count_params()
