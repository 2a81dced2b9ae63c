"""A command's process ends without Python's module teardown once TensorFlow/Keras is loaded
(builder/cli/process_exit.py) — yet with its exit code, its output, its log and every exit handler kept."""
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


def _run(tmp_path: Path, imports: str, ending: str) -> tuple[subprocess.CompletedProcess, dict[str, str | None]]:
    files = {name: tmp_path / name for name in ("torn", "log", "handler")}
    script = COMMAND.format(root=str(ROOT), imports=imports, ending=ending, **{k: str(v) for k, v in files.items()})
    done = subprocess.run([sys.executable, "-c", textwrap.dedent(script)], capture_output=True, text=True,
                          timeout=120, env={"TF_CPP_MIN_LOG_LEVEL": "3", "CUDA_VISIBLE_DEVICES": "",
                                            "PATH": "/usr/bin:/bin"})
    return done, {k: (v.read_text() if v.exists() else None) for k, v in files.items()}


@PROCESSES
def test_a_command_that_loaded_keras_exits_without_teardown_keeping_its_code_output_log_and_handlers(tmp_path):
    done, files = _run(tmp_path, "import keras", "return 3")
    assert done.returncode == 3, done.stderr
    assert done.stdout == "the last words, without a newline"  # flushed: a pipe buffers it
    assert files["log"] == "written before the exit\n"
    assert files["handler"] == "ran"
    assert files["torn"] is None  # the module teardown was skipped


@PROCESSES
def test_a_command_without_tensorflow_or_one_that_fails_ends_as_python_ends(tmp_path):
    done, files = _run(tmp_path, "pass", "return 0")
    assert done.returncode == 0 and files["torn"] == "torn down"  # nothing slow loaded: the usual teardown
    failed, files = _run(tmp_path, "import keras", "raise RuntimeError('broken')")
    assert failed.returncode == 1 and "RuntimeError: broken" in failed.stderr
    assert failed.stdout == "the last words, without a newline" and files["handler"] == "ran"
    assert files["torn"] == "torn down"
