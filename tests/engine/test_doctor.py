"""`doctor`: what training runs on and why. explain() is pure, so each platform is a dict of facts."""
import json

import pytest

from builder.cli import main
from builder.training import AND_CUDA, diagnose, report_from_facts
from builder.training import explain_devices as explain

JSON_KEYS = {"python", "keras", "tensorflow", "backend", "devices", "gpu_available", "built_with_cuda",
             "reasons", "will_train_on"}
CPU = {"name": "/physical_device:CPU:0", "kind": "CPU"}
GPU = {"name": "/physical_device:GPU:0", "kind": "GPU"}


def facts(**overrides):
    base = {"python": "3.11.7", "platform": "linux", "machine": "x86_64", "wsl": False, "nvidia_driver": True,
            "cuda_visible_devices": None, "tensorflow": "2.21.0", "tensorflow_cpu_package": False,
            "cuda_libraries": True, "metal_plugin": False, "keras": "3.15.1", "backend": "tensorflow",
            "built_with_cuda": True, "cuda_version": "12.5.1", "devices": [CPU], "error": None}
    base.update(overrides)
    return base


def fixes(reasons):
    return " ".join(r.fix for r in reasons)


@pytest.fixture(scope="module")
def report():
    return diagnose()


def test_diagnose_on_this_machine_trains_on_cpu_with_a_reason(report):
    if report.gpu_available:  # a machine with a working GPU: nothing to explain
        assert report.will_train_on == "GPU" and report.reasons == []
        pytest.skip("this machine has a GPU")
    data = report.to_dict()
    assert JSON_KEYS <= set(data)
    assert data["will_train_on"] == "CPU" and data["gpu_available"] is False
    assert data["backend"] == "tensorflow" and data["tensorflow"] and data["keras"]
    assert {"name": "/physical_device:CPU:0", "kind": "CPU"} in data["devices"]
    assert data["reasons"] and all(r["problem"] and r["fix"] for r in data["reasons"])
    json.dumps(data)  # serialisable as-is
    text = "\n".join(report.summary())
    assert "will train on:   CPU" in text and "fix:" in text


def test_gpu_present_means_no_reasons():
    f = facts(devices=[CPU, GPU])
    assert explain(f) == []
    r = report_from_facts(f)
    assert r.will_train_on == "GPU" and r.gpu_available and r.reasons == []


def test_native_windows_points_to_wsl2():
    reasons = explain(facts(platform="win32", machine="AMD64", built_with_cuda=False))
    assert len(reasons) == 1
    assert "native Windows" in reasons[0].problem and "WSL2" in reasons[0].fix
    assert "WSL2" in fixes(explain(facts(platform="win32", tensorflow="2.10.1")))


def test_no_driver_on_linux():
    reasons = explain(facts(nvidia_driver=False, cuda_libraries=False))
    assert [r.problem for r in reasons][0].startswith("No NVIDIA driver")
    assert "nvidia-smi" in reasons[0].fix
    wsl = explain(facts(nvidia_driver=False, wsl=True))
    assert "Windows" in wsl[0].fix


def test_cpu_only_build_suggests_and_cuda():
    reasons = explain(facts(built_with_cuda=False))
    assert len(reasons) == 1 and "CPU-only" in reasons[0].problem and reasons[0].fix == AND_CUDA
    assert "uninstall tensorflow-cpu" in fixes(explain(facts(tensorflow_cpu_package=True)))


def test_cuda_build_without_cuda_libraries():
    assert explain(facts(cuda_libraries=False))[0].fix == AND_CUDA


def test_driver_and_libraries_but_no_gpu_and_hidden_gpus():
    assert "nvidia-smi" in fixes(explain(facts()))
    hidden = explain(facts(cuda_visible_devices="-1"))
    assert len(hidden) == 1 and "CUDA_VISIBLE_DEVICES" in hidden[0].problem


def test_macos_metal():
    assert "tensorflow-metal" in explain(facts(platform="darwin", machine="arm64", built_with_cuda=False))[0].fix
    assert "incompatible" in explain(facts(platform="darwin", machine="arm64", metal_plugin=True))[0].problem


def test_missing_tensorflow_and_other_backend():
    reasons = explain(facts(tensorflow=None, devices=[], backend="jax", error="ModuleNotFoundError: tensorflow"))
    assert "KERAS_BACKEND" in reasons[0].fix and "pip install tensorflow" in reasons[1].fix
    assert report_from_facts(facts(tensorflow=None, devices=[])).will_train_on == "CPU"


def test_cli_doctor_text_and_json(capsys, report):
    if report.gpu_available:
        pytest.skip("this machine has a GPU")
    assert main(["doctor"]) == 0
    out = capsys.readouterr().out
    assert "tensorflow:" in out and "will train on:   CPU" in out and "fix:" in out
    assert main(["doctor", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert JSON_KEYS <= set(data) and data["will_train_on"] == "CPU" and data["reasons"]
