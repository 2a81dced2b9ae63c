"""Running `python main.py COMMAND` in a fresh process (optionally killed at a named point, LAYERBOARD_KILL_AT),
and reading the weights a saved .keras file holds: shared by the kill, resume and overwrite tests."""
from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent


def run_command(command: str, *args: str, kill_at: str | None = None) -> subprocess.CompletedProcess:
    """`python main.py COMMAND ARGS…` on the CPU; `kill_at` names the point where the process kills itself."""
    env = {**os.environ, "CUDA_VISIBLE_DEVICES": "", "TF_CPP_MIN_LOG_LEVEL": "3"}
    env.pop("LAYERBOARD_KILL_AT", None)
    if kill_at:
        env["LAYERBOARD_KILL_AT"] = kill_at
    return subprocess.run([sys.executable, "main.py", command, *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=300)


def keras_file_weights(model_path: Path) -> list[np.ndarray]:
    """Every weight array in a .keras file, in the order of their names."""
    import h5py

    arrays = []
    with zipfile.ZipFile(model_path) as archive, archive.open("model.weights.h5") as raw:
        with h5py.File(raw, "r") as f:
            f.visititems(lambda name, obj: arrays.append((name, obj[()])) if hasattr(obj, "shape") else None)
    return [a for _, a in sorted(arrays, key=lambda pair: pair[0])]


def trained(project: Path, run_dir: Path, *args: str) -> Path:
    """Train the project into run_dir in a fresh process (it must succeed); returns run_dir."""
    done = run_command("train", str(project), "--run-dir", str(run_dir), *args)
    assert done.returncode == 0, done.stderr
    return run_dir
