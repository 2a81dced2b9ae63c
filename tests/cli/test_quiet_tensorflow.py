"""TensorFlow's native start-up notices (oneDNN, CUDA drivers, absl::InitializeLog, cuInit) stay off the terminal
unless LAYERBOARD_DEBUG=1; a level the user set is kept."""
import os
import subprocess
import sys
from pathlib import Path

from builder.quiet_tensorflow import child_environment, is_chatter, without_chatter

ROOT = Path(__file__).resolve().parents[2]

NOTICES = [
    "WARNING: All log messages before absl::InitializeLog() is called are written to STDERR",
    "I0000 00:00:1796087891.464384   12572 port.cc:153] oneDNN custom operations are on. You may see slightly "
    "different numerical results due to floating-point round-off errors from different computation orders. To turn "
    "them off, set the environment variable `TF_ENABLE_ONEDNN_OPTS=0`.",
    "I0000 00:00:1796087891.464799   12572 cudart_stub.cc:31] Could not find cuda drivers on your machine, GPU will "
    "not be used.",
    "E0000 00:00:1796087894.842681   12572 cuda_platform.cc:52] failed call to cuInit: INTERNAL: CUDA error: Failed "
    "call to cuInit: UNKNOWN ERROR (303)",
]


def _check(env_changes: dict[str, str | None]):
    env = dict(os.environ)
    for key in ("TF_CPP_MIN_LOG_LEVEL", "LAYERBOARD_DEBUG"):
        env.pop(key, None)
    for key, value in env_changes.items():
        if value is not None:
            env[key] = value
    return subprocess.run([sys.executable, str(ROOT / "main.py"), "check", "templates/digits_cnn.json"],
                          capture_output=True, text=True, cwd=ROOT, env=env, timeout=300)


def test_notices_are_recognised_and_real_errors_kept(monkeypatch):
    monkeypatch.delenv("LAYERBOARD_DEBUG", raising=False)
    assert all(is_chatter(line) for line in NOTICES)
    real = "Traceback (most recent call last):\nValueError: a real problem\n"
    assert without_chatter("\n".join(NOTICES) + "\n" + real) == real
    assert not is_chatter("E0000 00:00:1.0 1 conv_ops.cc:12] a real kernel error")


def test_check_prints_no_tensorflow_chatter():
    done = _check({})
    assert done.returncode == 0, done.stderr
    assert "valid" in done.stdout
    assert done.stderr == "", done.stderr  # check imports TensorFlow (shape inference): not a line of its notices


def test_debug_shows_the_chatter_and_a_users_level_is_kept():
    debug = _check({"LAYERBOARD_DEBUG": "1"})
    assert debug.returncode == 0
    assert any(is_chatter(line) for line in debug.stderr.splitlines()), debug.stderr
    assert child_environment({"X": "1"})["X"] == "1"
    mine = _check({"TF_CPP_MIN_LOG_LEVEL": "0"})  # the user's level holds: Layerboard hides nothing then
    assert any(is_chatter(line) for line in mine.stderr.splitlines()), mine.stderr


def test_tensorflows_python_warnings_are_quiet_too():
    env = {k: v for k, v in os.environ.items() if k not in ("TF_CPP_MIN_LOG_LEVEL", "LAYERBOARD_DEBUG")}
    code = "import logging, builder, tensorflow; print(logging.getLogger('tensorflow').level)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, env=env, timeout=300)
    assert done.stdout.strip() == "40" and done.stderr == "", done.stderr  # logging.ERROR
