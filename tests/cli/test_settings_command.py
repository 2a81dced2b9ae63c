"""`python main.py settings`: every training setting by group with its default and help, a project's values
beside them, as text or JSON; it answers without importing Keras."""
import json
import subprocess
import sys
from dataclasses import fields
from pathlib import Path

from builder.cli import main
from builder.project import TrainingConfig

ROOT = Path(__file__).resolve().parents[2]


def test_settings_json_lists_every_training_setting(capsys):
    assert main(["settings", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert sorted(r["name"] for r in rows) == sorted(f.name for f in fields(TrainingConfig))
    defaults = TrainingConfig().to_dict()
    for row in rows:
        assert row["default"] == defaults[row["name"]]
        assert row["group"] and row["help"] and row["kind"]
        assert "value" not in row


def test_settings_text_by_group(capsys):
    assert main(["settings"]) == 0
    out = capsys.readouterr().out
    groups = ["Basics:", "Optimizer and schedule:", "Regularisation:", "Callbacks:", "Augmentation:",
              "Performance:", "Distribution:"]
    assert [out.index(g) for g in groups] == sorted(out.index(g) for g in groups)
    assert "  learning_rate        default 0.001" in out
    assert "one of: \"auto\", \"none\", \"mirrored\", \"multiworker\"" in out
    assert "cosine: warmup_epochs (0), alpha (0.0)" in out
    assert ".patience (default 5)" in out


def test_settings_of_a_project(tmp_path, capsys):
    project = tmp_path / "p.json"
    assert main(["new", "digits_cnn", "-o", str(project)]) == 0
    capsys.readouterr()
    assert main(["settings", str(project)]) == 0
    out = capsys.readouterr().out
    assert "  epochs               default 10; project 15 (changed)" in out
    assert "  batch_size           default 32; project 32\n" in out
    assert main(["settings", str(project), "--json"]) == 0
    rows = {r["name"]: r for r in json.loads(capsys.readouterr().out)}
    assert rows["learning_rate"]["value"] == 0.003 and rows["learning_rate"]["default"] == 0.001
    assert main(["settings", str(tmp_path / "missing.json")]) == 1
    assert "missing.json" in capsys.readouterr().err


def test_settings_answers_without_keras():
    code = ("import sys, io, contextlib; from builder.cli import main; out = io.StringIO()\n"
            "with contextlib.redirect_stdout(out): assert main(['settings', '--json']) == 0\n"
            "assert 'keras' not in sys.modules and 'tensorflow' not in sys.modules, 'keras was imported'\n"
            "print(len(out.getvalue()))")
    run = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    assert int(run.stdout) > 1000
