"""Never a traceback: expected faults (a nesting too deep, a NUL byte, a folder that cannot be written, a file in
the way) end in one line naming the path and the fix; a bug ends in one line saying so and where its traceback
was written; training writes the traceback of a fault to the run's error.log. LAYERBOARD_DEBUG=1 shows them."""
import json
import subprocess
import sys
from pathlib import Path

import pytest

from builder.cli import dispatch, main
from builder.cli.command import Command
from builder.errors import TrainingError
from builder.project import load_template
from builder.project.limits import MAX_DEPTH, MAX_NODES, MAX_STRING

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "templates" / "digits_cnn.json"


@pytest.fixture(autouse=True)
def no_debug(monkeypatch, tmp_path):
    monkeypatch.delenv("LAYERBOARD_DEBUG", raising=False)
    monkeypatch.setenv("LAYERBOARD_CACHE_DIR", str(tmp_path / "cache"))


def _one_clean_line(capsys, code, expected_code=1) -> str:
    err = capsys.readouterr().err
    assert code == expected_code, err
    assert "Traceback" not in err and err.count("\n") == 1 and err.startswith("error: "), err
    return err


def test_a_nesting_of_100000_brackets_is_refused_with_the_limit(tmp_path, capsys):
    deep = tmp_path / "deep.json"
    deep.write_text("[" * 100_000 + "]" * 100_000)
    err = _one_clean_line(capsys, main(["check", str(deep)]))
    assert str(deep) in err and f"at most {MAX_DEPTH} levels" in err


def test_a_deep_parameter_a_long_string_and_too_many_nodes_are_named(tmp_path, capsys):
    data = json.loads(TEMPLATE.read_text())
    nested: list = []
    inner = nested
    for _ in range(MAX_DEPTH + 5):
        inner.append([])
        inner = inner[0]
    data["graph"]["nodes"][1]["params"]["scale"] = nested
    path = tmp_path / "p.json"
    path.write_text(json.dumps(data))
    assert "graph.nodes[1].params.scale" in _one_clean_line(capsys, main(["check", str(path)]))

    data = json.loads(TEMPLATE.read_text())
    data["description"] = "x" * (MAX_STRING + 1)
    path.write_text(json.dumps(data))
    err = _one_clean_line(capsys, main(["check", str(path)]))
    assert "description" in err and f"{MAX_STRING:,}" in err

    data = json.loads(TEMPLATE.read_text())
    data["graph"]["nodes"] = [{"id": f"n{i}", "type": "Dense", "params": {}} for i in range(MAX_NODES + 1)]
    path.write_text(json.dumps(data))
    err = _one_clean_line(capsys, main(["check", str(path)]))
    assert "graph.nodes" in err and f"{MAX_NODES:,}" in err


def test_a_nul_byte_in_a_path_is_named(tmp_path, capsys):
    err = _one_clean_line(capsys, main(["check", str(tmp_path / "a\0b.json")]))
    assert "NUL byte" in err and "a\\x00b.json" in err
    err = _one_clean_line(capsys, main(["new", "digits_cnn", "-o", str(tmp_path / "a\0b.json")]))
    assert "NUL byte" in err


def test_outputs_that_cannot_be_written_are_named_before_any_work(tmp_path, capsys):
    err = _one_clean_line(capsys, main(["export", str(TEMPLATE), "--format", "python", "-o", "/proc/x.py"]))
    assert "/proc/x.py" in err and "cannot write in the folder /proc" in err
    blocker = tmp_path / "a_file"
    blocker.write_text("x")
    err = _one_clean_line(capsys, main(["new", "digits_cnn", "-o", str(blocker / "p.json")]))
    assert f"{blocker} is a file, not a folder" in err
    err = _one_clean_line(capsys, main(["train", str(TEMPLATE), "--run-dir", "/proc/run"]))
    assert "--run-dir /proc/run" in err
    assert not list(tmp_path.glob(".layerboard-probe.*"))  # the check leaves nothing behind


def _failing(monkeypatch, exc: Exception):
    def run(args):
        raise exc
    commands = tuple(Command(c.name, c.help, c.add_arguments, run) if c.name == "templates" else c
                     for c in dispatch.COMMANDS)
    monkeypatch.setattr(dispatch, "COMMANDS", commands)


def test_a_bug_is_one_line_with_the_file_holding_its_traceback(monkeypatch, tmp_path, capsys):
    _failing(monkeypatch, TypeError("unsupported operand"))
    err = _one_clean_line(capsys, main(["templates"]))
    assert "a bug in Layerboard" in err and "TypeError: unsupported operand" in err
    logs = list((tmp_path / "cache" / "logs").glob("error-*.log"))
    assert len(logs) == 1 and str(logs[0]) in err
    assert "Traceback (most recent call last)" in logs[0].read_text()


def test_an_os_error_is_plain_and_debug_shows_the_traceback(monkeypatch, tmp_path, capsys):
    _failing(monkeypatch, PermissionError(13, "Permission denied", str(tmp_path / "x")))
    err = _one_clean_line(capsys, main(["templates"]))
    assert f"'{tmp_path / 'x'}'" in err and "permission denied" in err
    monkeypatch.setenv("LAYERBOARD_DEBUG", "1")
    assert main(["templates"]) == 1
    err = capsys.readouterr().err
    assert "Traceback (most recent call last)" in err and err.rstrip().splitlines()[-1].startswith("error: ")


def test_no_traceback_in_a_real_process(tmp_path):
    deep = tmp_path / "deep.json"
    deep.write_text("{\"a\":" * 50_000 + "1" + "}" * 50_000)
    done = subprocess.run([sys.executable, str(ROOT / "main.py"), "check", str(deep)], capture_output=True,
                          text=True, timeout=120, env={k: v for k, v in __import__("os").environ.items()
                                                        if k != "LAYERBOARD_DEBUG"})
    assert done.returncode == 1 and done.stderr.startswith("error: ") and "Traceback" not in done.stderr


def test_a_fault_in_training_goes_to_the_runs_error_log(tmp_path, capfd):
    from builder.training import TrainingCallbacks, Trainer

    class Broken(TrainingCallbacks):
        def on_epoch_end(self, epoch, logs):
            raise RuntimeError("the callback broke")

    project = load_template("digits_cnn")
    with pytest.raises(TrainingError) as caught:
        Trainer(project, run_dir=tmp_path / "run", callbacks=Broken(), epochs=1).run()
    log = tmp_path / "run" / "error.log"
    assert "the callback broke" in str(caught.value) and str(log) in str(caught.value)
    assert "Traceback (most recent call last)" in log.read_text() and "the callback broke" in log.read_text()
    out, err = capfd.readouterr()
    assert "Traceback" not in out + err
