"""Run a written export in a fresh Python process (runtime_check.py) and bring its outputs back."""
from __future__ import annotations

import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from builder.errors import ExportError
from builder.quiet_tensorflow import child_environment, without_chatter

SCRIPT = Path(__file__).with_name("runtime_check.py")
TIMEOUT_S = 300


@dataclass
class RuntimeRun:
    outputs: list[np.ndarray]
    latency_ms: float  # median time of one sample (batch 1) in that runtime
    runtime: str


def run_exported(fmt: str, artifact: Path, inputs: list[np.ndarray], input_names: list[str],
                 output_names: list[str]) -> RuntimeRun:
    """Load `artifact` in its own runtime in a new interpreter (`python -I`, so Layerboard is not importable)."""
    with tempfile.TemporaryDirectory(prefix="layerboard-verify-") as folder:
        feed, result = Path(folder) / "inputs.npz", Path(folder) / "outputs.npz"
        np.savez(feed, names=np.array(input_names), output_names=np.array(output_names),
                 **{f"input_{i}": x for i, x in enumerate(inputs)})
        env = child_environment()
        try:
            done = subprocess.run([sys.executable, "-I", str(SCRIPT), fmt, str(artifact), str(feed), str(result)],
                                  capture_output=True, text=True, timeout=TIMEOUT_S, env=env)
        except subprocess.TimeoutExpired:
            raise ExportError(f"Verification failed: loading the {fmt} file took more than {TIMEOUT_S} s.") from None
        if done.returncode != 0 or not result.exists():
            lines = [line for line in without_chatter(done.stderr).strip().splitlines() if line.strip()]
            reason = lines[-1] if lines else f"exit code {done.returncode}"
            raise ExportError(f"Verification failed: the written {fmt} file could not be run in its own runtime "
                              f"in a fresh process: {reason}")
        with np.load(result, allow_pickle=False) as data:
            count = len([k for k in data.files if k.startswith("output_")])
            return RuntimeRun([data[f"output_{i}"] for i in range(count)], float(data["latency_ms"]),
                              str(data["runtime"]))
