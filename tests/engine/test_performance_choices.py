"""Settings left on "auto" are measured: a short probe of each candidate (XLA off/on, then 8 and 32 steps per call,
on a GPU mixed precision and prefetching to the device) at the start of a run, kept per model, device and versions so a second run pays nothing; the user's settings are never
changed; the run records what was chosen and why; the probe does not change what the run trains."""
from __future__ import annotations

import json
import time

import numpy as np
import pytest

from builder.training.performance import (PROBE_VARIABLE, Candidate, choose_performance, mixed_precision_candidate,
                                          prefetch_candidate, probe, probe_plan, probe_problem)
from tests.conftest import make_sine_project


@pytest.fixture
def probing(monkeypatch):
    monkeypatch.setenv(PROBE_VARIABLE, "on")


def test_auto_settings_are_measured_once_then_read_from_the_cache(probing):
    project = make_sine_project(batch_size=16)
    first = choose_performance(project, "CPU")
    assert first.source == "probe" and first.probe_s > 0
    ladder = {f"jit_compile={first.jit_compile}, steps_per_execution={steps}" for steps in (8, 32)}
    assert {"jit_compile=False, steps_per_execution=1", "jit_compile=True, steps_per_execution=1"} < set(first.measured)
    assert set(first.measured) - {"jit_compile=False, steps_per_execution=1",
                                  "jit_compile=True, steps_per_execution=1"} <= ladder
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


def test_prefetching_to_the_device_is_measured_on_a_gpu_only_when_left_on_auto():
    gpu = "1 x GPU (GPU:0)"
    assert prefetch_candidate(make_sine_project().training, gpu)
    assert not prefetch_candidate(make_sine_project().training, "CPU")
    assert not prefetch_candidate(make_sine_project(prefetch_to_device=False).training, gpu)
    assert probe_plan(make_sine_project().training, gpu) == ["jit_compile", "steps_per_execution", "mixed_precision",
                                                             "prefetch_to_device"]
    assert probe_plan(make_sine_project().training, "CPU") == ["jit_compile", "steps_per_execution"]
    assert probe_plan(make_sine_project(jit_compile=False, steps_per_execution=2).training, "CPU") == []
    assert probe_plan(make_sine_project(jit_compile=False, mixed_precision=True).training, gpu) == [
        "steps_per_execution", "prefetch_to_device"]


def test_the_probe_keeps_the_fastest_of_each_setting_with_the_best_before_it(probing):
    """The decision logic on this CPU machine, with the speeds a GPU might measure: XLA first, then more steps per
    call while more wins by 5%, then mixed precision and prefetching each tried with the best so far."""
    def speed(candidate: Candidate) -> float:
        rate = 1000.0 * (1.5 if candidate.jit_compile is True else 1.0)
        rate *= {1: 1.0, 8: 1.3, 32: 1.32}[candidate.steps_per_execution]  # 32 gains under 5% over 8
        rate *= 1.8 if candidate.mixed_precision else 1.0
        return rate * (1.1 if candidate.prefetch_to_device else 1.0)

    tried = []
    project = make_sine_project()
    start = Candidate("auto", 1, False, False)
    choice = probe(project, start, probe_plan(project.training, "1 x GPU (GPU:0)"),
                    measure=lambda _, c: tried.append(c) or speed(c))
    assert tried == [Candidate(False, 1, False, False), Candidate(True, 1, False, False),
                     Candidate(True, 8, False, False), Candidate(True, 32, False, False),
                     Candidate(True, 8, True, False), Candidate(True, 8, True, True)]
    assert (choice.jit_compile, choice.steps_per_execution, choice.mixed_precision, choice.prefetch_to_device) == (
        True, 8, True, True)
    assert choice.source == "probe" and "prefetch_to_device" in choice.reason and len(choice.measured) == 6
    tried.clear()  # a user's XLA and mixed precision are never measured against anything else
    given = make_sine_project(jit_compile=False, mixed_precision=True)
    probe(given, Candidate(False, 1, True, False), probe_plan(given.training, "1 x GPU (GPU:0)"),
           measure=lambda _, c: tried.append(c) or speed(c))
    assert all(c.jit_compile is False and c.mixed_precision is True for c in tried)


def test_compiling_time_is_weighed_against_the_runs_length(probing):
    """XLA 1.5x faster once compiled, after 10 s of compiling: not worth it for a run of 20,000 samples at
    ~1,000 samples/s, worth it for 2,000,000; without the run's length the steady speed decides."""
    def speed(candidate: Candidate):
        return (1500.0, 10.0) if candidate.jit_compile is True else (1000.0, 0.5)

    project = make_sine_project(steps_per_execution=1)
    plan = probe_plan(project.training, "CPU")
    start = Candidate("auto", 1, False, False)
    short = probe(project, start, plan, measure=lambda _, c: speed(c), run_samples=20_000)
    long = probe(project, start, plan, measure=lambda _, c: speed(c), run_samples=2_000_000)
    steady = probe(project, start, plan, measure=lambda _, c: speed(c))
    assert (short.jit_compile, long.jit_compile, steady.jit_compile) == (False, True, True)
    assert short.compile_s == {"jit_compile=False, steps_per_execution=1": 0.5,
                               "jit_compile=True, steps_per_execution=1": 10.0}
    assert "over a run of 20,000 samples" in short.reason and short.measured[
        "jit_compile=True, steps_per_execution=1"] == 1500.0  # the steady speed is what is recorded


def test_a_project_asking_to_prefetch_on_a_cpu_is_told_there_is_no_gpu(probing):
    choice = choose_performance(make_sine_project(jit_compile=False, steps_per_execution=1, prefetch_to_device=True),
                                "CPU")
    assert choice.prefetch_to_device is False and "no GPU to prefetch" in choice.reason


def test_batches_prefetched_to_a_device_train_the_same_model(tmp_path):
    """The pipeline the Trainer feeds on a GPU when prefetching won, here onto this machine's CPU device: Keras
    trains on it and gets the same weights as from the plain pipeline."""
    import keras

    from builder.data import make_pipeline, prefetch_to_accelerator

    rng = np.random.default_rng(0)
    x, y = rng.standard_normal((64, 3)).astype("float32"), rng.standard_normal((64, 1)).astype("float32")
    weights = []
    for to_device in (False, True):
        keras.utils.set_random_seed(1)
        model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
        model.compile("sgd", "mse")
        pipeline = make_pipeline(x, y, 16, True, 3, endless=True)  # as the Trainer feeds it: steps_per_epoch given
        model.fit(prefetch_to_accelerator(pipeline, "/cpu:0") if to_device else pipeline, epochs=2, steps_per_epoch=4,
                  verbose=0)
        weights.append(model.get_weights())
    for a, b in zip(*weights):
        np.testing.assert_array_equal(a, b)
    import tensorflow as tf

    if not tf.config.list_logical_devices("GPU"):
        assert prefetch_to_accelerator(pipeline) is pipeline  # no GPU: nothing to prefetch to


def test_a_setting_the_user_gave_is_never_changed(probing):
    both = choose_performance(make_sine_project(jit_compile=False, steps_per_execution=4), "CPU")
    assert (both.jit_compile, both.steps_per_execution, both.mixed_precision, both.source) == (False, 4, False, "setting")
    kept = choose_performance(make_sine_project(jit_compile=False, steps_per_execution=4, mixed_precision=True), "CPU")
    assert kept.mixed_precision is True and kept.source == "setting"
    one = choose_performance(make_sine_project(jit_compile=True), "CPU")  # steps_per_execution still "auto"
    assert one.jit_compile is True and {"jit_compile=True, steps_per_execution=1",
                                        "jit_compile=True, steps_per_execution=8"} <= set(one.measured)
    assert all(label.startswith("jit_compile=True, ") for label in one.measured)


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


def test_the_rule_table_keeps_xla_off_for_convolutions_on_a_cpu_and_xla_must_gain_five_percent(probing):
    """Measured on this CPU: XLA trains convolutions at 0.4-0.6x (the probe's short epochs once said 1.05x): on a
    CPU it is not tried for a convolutional model; on a GPU it is. Elsewhere XLA must beat Keras's CPU default (no
    XLA) by 5%, as more steps per call must: a gain inside the noise is not taken."""
    from builder.project import load_template

    def speed(candidate: Candidate) -> float:
        return 1000.0 * (1.04 if candidate.jit_compile is True else 1.0)

    cnn = load_template("digits_cnn")
    plan = probe_plan(cnn.training, "CPU")
    tried = []
    choice = probe(cnn, Candidate("auto", 1, False, False), plan, measure=lambda _, c: tried.append(c) or speed(c),
                   device="CPU")
    assert all(c.jit_compile is False for c in tried) and choice.jit_compile is False
    assert "XLA not tried: on a CPU it trains convolutions ('conv2d_1', Conv2D)" in choice.reason
    tried.clear()
    probe(cnn, Candidate("auto", 1, False, False), plan, measure=lambda _, c: tried.append(c) or speed(c),
          device="1 x GPU (GPU:0)")
    assert Candidate(True, 1, False, False) in tried  # on a GPU XLA is measured
    mlp = make_sine_project()
    close = probe(mlp, Candidate("auto", 1, False, False), probe_plan(mlp.training, "CPU"),
                  measure=lambda _, c: speed(c), device="CPU")
    assert close.jit_compile is False and "XLA gained under 5% (not taken)" in close.reason
    clear = probe(mlp, Candidate("auto", 1, False, False), probe_plan(mlp.training, "CPU"),
                  measure=lambda _, c: 1000.0 * (1.5 if c.jit_compile is True else 1.0), device="CPU")
    assert clear.jit_compile is True


def test_on_a_gpu_turning_xla_off_must_gain_five_percent_and_each_passed_over_choice_is_named(probing):
    """Keras's default with a GPU is XLA: there, turning it off must pay for itself. The reason names what was
    passed over, also when the user fixed the steps per call."""
    def xla_slightly_slower(candidate: Candidate) -> float:
        return 1000.0 * (1.0 if candidate.jit_compile is True else 1.04)

    mlp = make_sine_project(steps_per_execution=8)
    plan = probe_plan(mlp.training, "1 x GPU (GPU:0)")
    on_gpu = probe(mlp, Candidate("auto", 8, False, False), ["jit_compile"], measure=lambda _, c: xla_slightly_slower(c),
                   device="1 x GPU (GPU:0)")
    assert on_gpu.jit_compile is True and "turning XLA off gained under 5% (not taken)" in on_gpu.reason
    assert "steps_per_execution" not in plan and "8 steps per call gained" not in on_gpu.reason
    on_cpu = probe(mlp, Candidate("auto", 8, False, False), ["jit_compile"],
                   measure=lambda _, c: 1000.0 * (1.04 if c.jit_compile is True else 1.0), device="CPU")
    assert on_cpu.jit_compile is False and "; XLA gained under 5% (not taken)" in on_cpu.reason


def test_the_rule_table_names_convolution_blocks_and_keras_applications_backbones_only():
    from builder.project import load_template
    from builder.training.performance import xla_ruled_out

    backbone = load_template("shapes_transfer_mobilenetv2")
    assert "('mobilenet_v2', MobileNetV2)" in xla_ruled_out(backbone, "CPU")
    assert xla_ruled_out(backbone, "1 x GPU (GPU:0)") is None
    assert "('stem_conv', Conv2D)" in xla_ruled_out(load_template("shapes_mobilenetv2"), "CPU")
    layer_scale = make_sine_project()
    layer_scale.graph.add_node("LayerScale", {"init_values": 0.1, "projection_dim": 1}, node_id="scale")
    assert xla_ruled_out(layer_scale, "CPU") is None  # in the Applications category, yet no convolution
    assert xla_ruled_out(make_sine_project(), "CPU") is None


def test_a_model_with_two_inputs_and_two_outputs_is_measured(probing):
    """The probe feeds several Inputs and outputs by name through the run's kind of pipeline (a tuple of arrays
    would be stacked into one tensor)."""
    from builder.project import load_template

    project = load_template("digits_two_heads")
    start = Candidate(False, 1, False, False)
    choice = probe(project, start, [], device="CPU")
    assert choice.measured["jit_compile=False, steps_per_execution=1"] > 0 and choice.source == "probe"
