"""CLI paths of the data and training engine: datasets, check --dataset, train --resume, control, evaluate --split."""
import csv
import json

from builder.cli import main


def new_project(tmp_path, capsys, **changes):
    path = tmp_path / "p.json"
    main(["new", "digits_cnn", "-o", str(path)])
    data = json.loads(path.read_text())
    for section, values in changes.items():
        data[section].update(values)
    path.write_text(json.dumps(data))
    capsys.readouterr()
    return path


def test_datasets_lists_and_describes_with_a_preview(tmp_path, capsys):
    assert main(["datasets"]) == 0
    listing = capsys.readouterr().out
    for name in ("digits", "mnist1d", "csv", "hdf5", "image_folder", "mnist", "imdb"):
        assert name in listing
    assert main(["datasets", "iris", "--preview", "2"]) == 0
    text = capsys.readouterr().out
    assert "3 classes: setosa, versicolor, virginica" in text and "train 120, validation 30, test 0" in text
    assert main(["datasets", "mnist1d", "--json", "--preview", "1"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["input_shape"] == [40, 1] and info["test_size"] == 1000 and len(info["preview"]) == 1


def test_check_dataset_names_the_fix(tmp_path, capsys):
    path = new_project(tmp_path, capsys)
    assert main(["check", str(path), "--dataset"]) == 0
    assert "valid" in capsys.readouterr().out
    data = json.loads(path.read_text())
    data["dataset"]["name"] = "iris"
    path.write_text(json.dumps(data))
    assert main(["check", str(path), "--dataset", "--json"]) == 2
    report = json.loads(capsys.readouterr().out)
    assert not report["valid"] and any("set the Input's shape to [4]" in p for p in report["dataset_problems"])


def test_train_resume_and_evaluate_test_split(tmp_path, capsys):
    path = new_project(tmp_path, capsys, training={"epochs": 1, "tensorboard": False}, dataset={"test_split": 0.1})
    run = tmp_path / "run"
    assert main(["train", str(path), "--run-dir", str(run), "--json"]) == 0
    assert main(["train", str(path), "--resume", str(run), "--epochs", "2", "--json"]) == 0
    out = capsys.readouterr().out
    assert "epoch 2/2" in out and json.loads(out.strip().splitlines()[-1])["epochs_run"] == 2
    assert [r["epoch"] for r in csv.DictReader((run / "history.csv").open())] == ["0", "1"]
    assert main(["evaluate", str(path), "--run", str(run), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["split"] == "test" and report["samples"] == 180
    assert main(["evaluate", str(path), "--run", str(run), "--split", "validation", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["samples"] == 360


def test_control_writes_a_request_the_trainer_reads(tmp_path, capsys):
    assert main(["control", str(tmp_path), "--learning-rate", "0.0005"]) == 0
    request = json.loads((tmp_path / "control.json").read_text())
    assert request["learning_rate"] == 0.0005 and request["request_id"] > 0
    assert main(["control", str(tmp_path)]) == 1
    assert "--learning-rate" in capsys.readouterr().err
    assert main(["control", str(tmp_path / "missing"), "--patience", "3"]) == 1


def test_export_quantised_tflite_with_report_and_gate(trained_digits, tmp_path, capsys):
    from builder.project import save_project

    project, result = trained_digits
    path = save_project(project, tmp_path / "digits.json")
    out = tmp_path / "out" / "digits.tflite"
    assert main(["export", str(path), "--run", str(result.run_dir), "--format", "tflite", "--quantization", "int8",
                 "--representative-samples", "64", "-o", str(out), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["quantization"] == "int8" and report["verified"] and report["accuracy_drop"] <= 1.0
    assert report["max_accuracy_drop"] == 1.0 and report["latency_ms_per_sample"] > 0
    assert json.loads((out.parent / "export_report.json").read_text()) == report
    assert (out.parent / "labels.txt").exists()
    refused = tmp_path / "refused" / "digits.tflite"
    assert main(["export", str(path), "--run", str(result.run_dir), "--format", "tflite", "--quantization", "int8",
                 "--max-accuracy-drop", "-100", "-o", str(refused)]) == 1
    assert "Refused" in capsys.readouterr().err and not refused.parent.exists()  # no trace, not even its folder
