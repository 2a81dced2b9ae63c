"""Settings left on "auto" are measured: a short probe of each candidate (XLA off/on, then 8 steps per call) at the
start of a run, kept per model, device and versions so a second run pays nothing; the user's settings are never
changed; the run records what was chosen and why; the probe does not change what the run trains."""
from __future__ import annotations

import json
import time

import numpy as np
import pytest

from builder.training.performance import PROBE_VARIABLE, choose_performance, mixed_precision_candidate, probe_problem
from tests.conftest import make_sine_project


@pytest.fixture
def probing(monkeypatch):
    monkeypatch.setenv(PROBE_VARIABLE, "on")


def test_auto_settings_are_measured_once_then_read_from_the_cache(probing):
    project = make_sine_project(batch_size=16)
    first = choose_performance(project, "CPU")
    assert first.source == "probe" and first.probe_s > 0
    assert set(first.measured) == {"jit_compile=False, steps_per_execution=1", "jit_compile=True, steps_per_execution=1",
                                   f"jit_compile={first.jit_compile}, steps_per_execution=8"}
    assert all(rate > 0 for rate in first.measured.values())
    fastest = max(first.measured, key=first.measured.get)
    assert fastest == f"jit_compile={first.jit_compile}, steps_per_execution={first.steps_per_execution}"
    assert "measured fastest" in first.reason
    start = time.perf_counter()
    again = choose_performance(project, "CPU")
    assert time.perf_counter() - start < 1.0
    assert again.source == "cache" and (again.jit_compile, again.steps_per_execution) == (first.jit_compile,
                                                                                          first.steps_per_execution)
    from builder.training.performance import cache_key

    assert cache_key(project, "1 x GPU (GPU:0)") != cache_key(project, "CPU")  # another device: measured there


def test_mixed_precision_is_measured_on_a_gpu_only_when_left_on_auto():
    """The decision, on this CPU machine: a GPU (float16 units) measures mixed precision; a CPU does not (it computes
    float16 slower than float32); a project's true or false is kept."""
    assert mixed_precision_candidate(make_sine_project().training, "1 x GPU (GPU:0)")
    assert not mixed_precision_candidate(make_sine_project().training, "CPU")
    assert not mixed_precision_candidate(make_sine_project(mixed_precision=False).training, "1 x GPU (GPU:0)")
    assert not mixed_precision_candidate(make_sine_project(mixed_precision=True).training, "1 x GPU (GPU:0)")


def test_a_setting_the_user_gave_is_never_changed(probing):
    both = choose_performance(make_sine_project(jit_compile=False, steps_per_execution=4), "CPU")
    assert (both.jit_compile, both.steps_per_execution, both.mixed_precision, both.source) == (False, 4, False, "setting")
    kept = choose_performance(make_sine_project(jit_compile=False, steps_per_execution=4, mixed_precision=True), "CPU")
    assert kept.mixed_precision is True and kept.source == "setting"
    one = choose_performance(make_sine_project(jit_compile=True), "CPU")  # steps_per_execution still "auto"
    assert one.jit_compile is True and set(one.measured) == {"jit_compile=True, steps_per_execution=1",
                                                            "jit_compile=True, steps_per_execution=8"}


def test_what_is_not_probed_keeps_kerass_defaults_and_says_why(monkeypatch):
    project = make_sine_project()
    choice = choose_performance(project, "CPU")  # the suite's default: probing off
    assert (choice.jit_compile, choice.steps_per_execution, choice.mixed_precision, choice.source) == (
        "auto", 1, False, "default")
    assert "LAYERBOARD_PERFORMANCE_PROBE=off" in choice.reason
    monkeypatch.setenv(PROBE_VARIABLE, "on")
    assert "strategy" in probe_problem(make_sine_project(strategy="mirrored"))
    assert "recipe" in probe_problem(make_sine_project(recipe={"name": "autoencoder", "bottleneck": "flat"}))
    assert probe_problem(project) is None


def test_a_run_records_its_choice_and_trains_the_same_model_whether_probed_or_cached(probing, tmp_path):
    from builder.training import Trainer

    runs = []
    for name in ("probed", "cached"):
        trainer = Trainer(make_sine_project(epochs=2, batch_size=16), run_dir=tmp_path / name)
        trainer.run()
        runs.append((trainer, json.loads((tmp_path / name / "run.json").read_text())))
    (first, record), (second, again) = runs
    assert record["performance"]["source"] == "probe" and again["performance"]["source"] == "cache"
    assert record["performance"]["jit_compile"] == again["performance"]["jit_compile"]
    for a, b in zip(first.model.get_weights(), second.model.get_weights()):
        np.testing.assert_array_equal(a, b)  # the probe ran before the run seeded its random state
    from builder.training import performance_text, read_run

    listed = read_run(tmp_path / "probed")
    assert listed.performance["source"] == "probe"
    assert performance_text(listed.performance).startswith(f"jit_compile={record['performance']['jit_compile']}, ")
    assert "measured at its start: measured fastest" in performance_text(listed.performance)
