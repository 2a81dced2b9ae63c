"""What the engine will train on, and why: versions, devices, and — when no GPU is found — the likely fix.

`diagnose()` gathers facts (it imports TensorFlow, so call it only when asked); `explain_devices(facts)` turns
facts into reasons and is a pure function, so every platform can be tested without TensorFlow.
"""
from __future__ import annotations

import os
import platform
import shutil
import sys
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

AND_CUDA = 'pip install "tensorflow[and-cuda]"'
WSL_NVIDIA_SMI = Path("/usr/lib/wsl/lib/nvidia-smi")
DRIVER_VERSION_FILE = Path("/proc/driver/nvidia/version")


@dataclass
class Reason:
    problem: str
    fix: str

    def to_dict(self) -> dict:
        return {"problem": self.problem, "fix": self.fix}


@dataclass
class Report:
    python: str
    keras: str | None
    tensorflow: str | None
    backend: str | None
    platform: str
    devices: list[dict] = field(default_factory=list)  # [{"name": ..., "kind": "CPU" | "GPU" | ...}]
    gpu_available: bool = False
    built_with_cuda: bool = False
    reasons: list[Reason] = field(default_factory=list)
    will_train_on: str = "CPU"

    def to_dict(self) -> dict:
        return {
            "python": self.python,
            "keras": self.keras,
            "tensorflow": self.tensorflow,
            "backend": self.backend,
            "platform": self.platform,
            "devices": [dict(d) for d in self.devices],
            "gpu_available": self.gpu_available,
            "built_with_cuda": self.built_with_cuda,
            "reasons": [r.to_dict() for r in self.reasons],
            "will_train_on": self.will_train_on,
        }

    def summary(self) -> list[str]:
        lines = [
            f"python:          {self.python}",
            f"keras:           {self.keras or 'not installed'}",
            f"tensorflow:      {self.tensorflow or 'not installed'}",
            f"backend:         {self.backend or 'unknown'}",
            f"platform:        {self.platform}",
            f"built with CUDA: {'yes' if self.built_with_cuda else 'no'}",
            "devices:",
        ]
        lines += [f"  {d['kind']:<5} {d['name']}" + (f"  ({d['model']})" if d.get("model") else "")
                  for d in self.devices] or ["  (none)"]
        lines.append(f"will train on:   {self.will_train_on}")
        for r in self.reasons:
            lines.append(f"! {r.problem}")
            lines.append(f"  fix: {r.fix}")
        return lines


def _version(dist: str) -> str | None:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return None


def _tf_older_than(version: str | None, major: int, minor: int) -> bool:
    try:
        parts = [int(p) for p in (version or "").split(".")[:2]]
        return tuple(parts) < (major, minor)
    except ValueError:
        return False


def _is_wsl() -> bool:
    if not sys.platform.startswith("linux"):
        return False
    if os.environ.get("WSL_DISTRO_NAME"):
        return True
    try:
        return "microsoft" in Path("/proc/version").read_text().lower()
    except OSError:
        return False


def _nvidia_driver() -> bool:
    """An NVIDIA driver is installed: nvidia-smi on PATH, the kernel module's version file, or WSL2's passthrough."""
    try:
        return bool(shutil.which("nvidia-smi")) or DRIVER_VERSION_FILE.exists() or WSL_NVIDIA_SMI.exists()
    except OSError:
        return False


def gather_facts() -> dict:
    """Everything explain_devices() needs. Imports TensorFlow and Keras (slow); never raises for a missing package."""
    facts: dict = {
        "python": platform.python_version(),
        "platform": sys.platform,
        "machine": platform.machine(),
        "wsl": _is_wsl(),
        "nvidia_driver": _nvidia_driver(),
        "cuda_visible_devices": os.environ.get("CUDA_VISIBLE_DEVICES"),
        "tensorflow": None,
        "tensorflow_cpu_package": _version("tensorflow-cpu") is not None,
        "cuda_libraries": _version("nvidia-cudnn-cu12") is not None or _version("nvidia-cudnn-cu11") is not None,
        "metal_plugin": _version("tensorflow-metal") is not None,
        "keras": None,
        "backend": None,
        "built_with_cuda": False,
        "cuda_version": None,
        "devices": [],
        "error": None,
    }
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    try:
        import tensorflow as tf
    except Exception as exc:  # not installed, or a broken install: report it, don't crash
        facts["error"] = f"{type(exc).__name__}: {exc}".strip().splitlines()[0]
    else:
        facts["tensorflow"] = tf.__version__
        try:
            facts["built_with_cuda"] = bool(tf.test.is_built_with_cuda())
            facts["cuda_version"] = dict(tf.sysconfig.get_build_info()).get("cuda_version")
        except Exception:
            pass
        try:
            facts["devices"] = [_device_entry(tf, d) for d in tf.config.list_physical_devices()]
        except Exception as exc:
            facts["error"] = f"listing devices failed: {type(exc).__name__}: {exc}".splitlines()[0]
    try:
        import keras

        facts["keras"] = keras.__version__
        facts["backend"] = keras.backend.backend()
    except Exception:
        facts["keras"] = _version("keras")
        facts["backend"] = os.environ.get("KERAS_BACKEND")
    return facts


def _device_entry(tf, device) -> dict:
    """A physical device as the report lists it; a GPU also with its model ("NVIDIA H200") when TensorFlow says."""
    entry = {"name": device.name, "kind": device.device_type}
    if device.device_type == "GPU":
        try:
            model = tf.config.experimental.get_device_details(device).get("device_name")
        except Exception:  # details are a nicety: a device that cannot say still trains
            model = None
        if model:
            entry["model"] = str(model)
    return entry


def device_summary() -> str:
    """The devices training runs on, in one line: "2 x GPU (GPU:0, GPU:1)" or "CPU"."""
    import tensorflow as tf

    gpus = [d.name.replace("/physical_device:", "") for d in tf.config.list_physical_devices("GPU")]
    return f"{len(gpus)} x GPU ({', '.join(gpus)})" if gpus else "CPU"


def _has_gpu(facts: dict) -> bool:
    return any(d.get("kind") == "GPU" for d in facts.get("devices", []))


def explain_devices(facts: dict) -> list[Reason]:
    """Why the engine will (not) use a GPU, each with a fix. Pure: depends only on `facts` (see gather_facts)."""
    reasons: list[Reason] = []
    backend = facts.get("backend")
    if backend and backend != "tensorflow":
        reasons.append(Reason(f"Keras uses the '{backend}' backend; Layerboard trains and exports with TensorFlow.",
                              "Unset KERAS_BACKEND or set KERAS_BACKEND=tensorflow (and check ~/.keras/keras.json)."))
    if not facts.get("tensorflow"):
        detail = f" ({facts['error']})" if facts.get("error") else ""
        reasons.append(Reason(f"TensorFlow could not be imported{detail}.",
                              "pip install tensorflow  (Linux/WSL2 with an NVIDIA GPU: " + AND_CUDA + ")"))
        return reasons
    if _has_gpu(facts):
        return reasons

    plat = facts.get("platform", "")
    cvd = facts.get("cuda_visible_devices")
    if cvd is not None and cvd.strip() in ("", "-1"):
        reasons.append(Reason(f"CUDA_VISIBLE_DEVICES is set to '{cvd}', which hides every GPU.",
                              "Unset CUDA_VISIBLE_DEVICES (or set it to the GPU index, e.g. 0)."))

    if plat == "win32":
        if _tf_older_than(facts.get("tensorflow"), 2, 11):
            reasons.append(Reason("No GPU visible to TensorFlow on Windows.",
                                  "Install the NVIDIA driver, CUDA 11.2 and cuDNN 8.1 for TensorFlow 2.10, "
                                  "or better: use WSL2 with " + AND_CUDA + "."))
        else:
            reasons.append(Reason(f"TensorFlow {facts.get('tensorflow')} has no GPU support on native Windows "
                                  "(dropped after 2.10).",
                                  "Use WSL2: install the NVIDIA driver on Windows, then inside WSL2 (Ubuntu) run "
                                  + AND_CUDA + " and start Layerboard there."))
        return reasons

    if plat == "darwin":
        if facts.get("machine") != "arm64":
            reasons.append(Reason("This Mac has an Intel CPU; TensorFlow has no CUDA support on macOS.",
                                  "Train on the CPU, or install tensorflow-metal if the Mac has an AMD GPU: "
                                  "pip install tensorflow-metal"))
        elif not facts.get("metal_plugin"):
            reasons.append(Reason("TensorFlow on macOS uses the Apple GPU only through the Metal plugin, "
                                  "which is not installed.", "pip install tensorflow-metal"))
        else:
            reasons.append(Reason("tensorflow-metal is installed but TensorFlow sees no GPU; the plugin and "
                                  f"TensorFlow {facts.get('tensorflow')} are probably incompatible versions.",
                                  "pip install -U tensorflow tensorflow-metal  (or pin the TensorFlow version "
                                  "the plugin's release notes list)"))
        return reasons

    # Linux (and WSL2)
    if not facts.get("nvidia_driver"):
        where = ("Install the NVIDIA driver on Windows (not inside WSL2); /usr/lib/wsl/lib/nvidia-smi should then work."
                 if facts.get("wsl") else
                 "Install the NVIDIA driver for your GPU (e.g. `sudo ubuntu-drivers install`), reboot, "
                 "and check that `nvidia-smi` lists the GPU. Without an NVIDIA GPU, training runs on the CPU.")
        reasons.append(Reason("No NVIDIA driver found (no `nvidia-smi` on PATH, no /proc/driver/nvidia/version).",
                              where))
    if facts.get("tensorflow_cpu_package") or not facts.get("built_with_cuda"):
        reasons.append(Reason("This TensorFlow build is CPU-only (built without CUDA).",
                              ("pip uninstall tensorflow-cpu && " if facts.get("tensorflow_cpu_package") else "")
                              + AND_CUDA))
    elif facts.get("nvidia_driver") and not facts.get("cuda_libraries"):
        reasons.append(Reason("TensorFlow is built with CUDA but the CUDA/cuDNN libraries it loads are not installed.",
                              AND_CUDA))
    elif facts.get("nvidia_driver") and not any(r.problem.startswith("CUDA_VISIBLE_DEVICES") for r in reasons):
        cuda = facts.get("cuda_version") or "the version TensorFlow was built for"
        reasons.append(Reason("An NVIDIA driver and CUDA libraries are installed, but TensorFlow could not use the GPU.",
                              f"Run `nvidia-smi`: the driver must support CUDA {cuda}; update the driver, then "
                              f"reinstall with {AND_CUDA}. Run with TF_CPP_MIN_LOG_LEVEL=0 to see TensorFlow's error."))
    return reasons


def report_from_facts(facts: dict) -> Report:
    devices = [{"name": d.get("name"), "kind": d.get("kind"), **({"model": d["model"]} if d.get("model") else {})}
               for d in facts.get("devices", [])]
    gpu = _has_gpu(facts)
    wsl = " (WSL2)" if facts.get("wsl") else ""
    return Report(
        python=facts.get("python") or platform.python_version(),
        keras=facts.get("keras"),
        tensorflow=facts.get("tensorflow"),
        backend=facts.get("backend"),
        platform=f"{facts.get('platform', '')} {facts.get('machine', '')}".strip() + wsl,
        devices=devices,
        gpu_available=gpu,
        built_with_cuda=bool(facts.get("built_with_cuda")),
        reasons=explain_devices(facts),
        will_train_on="GPU" if gpu else "CPU",
    )


def diagnose() -> Report:
    """The report for this machine (imports TensorFlow)."""
    return report_from_facts(gather_facts())
