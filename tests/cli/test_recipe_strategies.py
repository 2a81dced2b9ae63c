"""Every training recipe under tf.distribute: `python main.py train --strategy mirrored --cpu-devices 2` trains a
VAE, a GAN and a diffusion model on two logical CPU devices with finite losses and writes its model (issue 18: the
recipes' Keras models keep the engine's distribution working). Runs in subprocesses: the CPU must be split before
TensorFlow starts."""
from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest

from builder.project import save_project
from diffusion_projects import diffusion_project
from gan_projects import gan_project
from recipe_projects import vae_project

ROOT = Path(__file__).resolve().parents[2]
PROJECTS = {"vae": vae_project, "gan": gan_project, "diffusion": diffusion_project}


@pytest.mark.slow
@pytest.mark.processes
@pytest.mark.parametrize("recipe", list(PROJECTS))
def test_a_recipe_trains_mirrored_on_two_devices(recipe, tmp_path):
    project = PROJECTS[recipe]()
    path = save_project(project, tmp_path / f"{recipe}.json")
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "TF_CPP_MIN_LOG_LEVEL": "2", "CUDA_VISIBLE_DEVICES": ""}
    env.pop("TF_CONFIG", None)
    done = subprocess.run([sys.executable, "main.py", "train", str(path), "--run-dir", str(tmp_path / "run"),
                           "--strategy", "mirrored", "--cpu-devices", "2", "--epochs", "1", "--json"],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-4000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["epochs_run"] == 1 and Path(result["model"]).is_file()
    assert result["final_metrics"] and all(math.isfinite(v) for v in result["final_metrics"].values()), result
    record = json.loads((tmp_path / "run" / "run.json").read_text())
    assert record["replicas"] == 2, record
