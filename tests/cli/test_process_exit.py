"""A command that loaded TensorFlow/Keras and succeeded ends its process without Python's module teardown
(builder/cli/process_exit.py) — yet with its output, its log and every exit handler kept; a failing one ends as
Python always ends."""
from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent.parent

PROCESSES = pytest.mark.processes  # a real Keras import in a fresh process (make test-processes; CI runs it)

COMMAND = """
import atexit, logging, sys
sys.path.insert(0, {root!r})
from builder.cli import run_then_exit


class Teardown:
    def __del__(self, open=open):  # runs when Python tears its modules down (builtins may be gone by then)
        open({torn!r}, "w").write("torn down")


kept = Teardown()


def command():
    {imports}
    log = logging.getLogger("layerboard.test")
    log.addHandler(logging.FileHandler({log!r}))
    log.warning("written before the exit")
    atexit.register(lambda: open({handler!r}, "w").write("ran"))
    sys.stdout.write("the last words, without a newline")
    {ending}


run_then_exit(command)
"""


def _run(folder: Path, imports: str, ending: str) -> tuple[subprocess.CompletedProcess, dict[str, str | None]]:
    folder.mkdir()
    files = {name: folder / name for name in ("torn", "log", "handler")}
    script = COMMAND.format(root=str(ROOT), imports=imports, ending=ending, **{k: str(v) for k, v in files.items()})
    done = subprocess.run([sys.executable, "-c", textwrap.dedent(script)], capture_output=True, text=True,
                          timeout=120, env={"TF_CPP_MIN_LOG_LEVEL": "3", "CUDA_VISIBLE_DEVICES": "",
                                            "PATH": "/usr/bin:/bin"})
    return done, {k: (v.read_text() if v.exists() else None) for k, v in files.items()}


@PROCESSES
def test_a_command_that_loaded_keras_and_succeeded_exits_without_teardown_keeping_output_log_and_handlers(tmp_path):
    done, files = _run(tmp_path / "ok", "import keras", "return 0")
    assert done.returncode == 0, done.stderr
    assert done.stdout == "the last words, without a newline"  # flushed: a pipe buffers it
    assert files["log"] == "written before the exit\n"
    assert files["handler"] == "ran"
    assert files["torn"] is None  # the module teardown was skipped


@PROCESSES
def test_a_command_without_tensorflow_or_one_that_fails_ends_as_python_ends(tmp_path):
    done, files = _run(tmp_path / "no-keras", "pass", "return 0")
    assert done.returncode == 0 and files["torn"] == "torn down"  # nothing slow loaded: the usual teardown
    failed, files = _run(tmp_path / "reported", "import keras", "return 3")  # an error the CLI reported
    assert failed.returncode == 3 and files["handler"] == "ran" and files["torn"] == "torn down"
    raised, files = _run(tmp_path / "raised", "import keras", "raise RuntimeError('broken')")
    assert raised.returncode == 1 and "RuntimeError: broken" in raised.stderr
    assert raised.stdout == "the last words, without a newline" and files["handler"] == "ran"
    assert files["torn"] == "torn down"
