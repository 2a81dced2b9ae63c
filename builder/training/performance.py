"""Settings left on "auto", chosen by measuring: a short probe of each candidate at the start of a run, cached.

Keras's defaults are what a hand-written script gets: `jit_compile="auto"` (no XLA on a machine with only CPUs,
XLA wherever the model supports it with a GPU; yet XLA doubles the speed of some models on a CPU and halves that
of others) and `steps_per_execution=1` (one Python round trip per batch, a large share of a small model's step).
For a setting the project leaves on "auto", the Trainer asks `choose_performance` first: each candidate (XLA off /
on, then more steps per call with the faster of those, then on a GPU mixed precision and prefetching batches into
the GPU's memory) trains a copy of the model for a few epochs of a few batches on seeded noise, fed through the
run's kind of tf.data pipeline; its steady speed and what its first epoch took more (tracing, compiling) are
weighed over the run's length, and the fastest run decides (`probe_plan` says which settings are measured, `probe`
how); leaving Keras's default must gain 5%, and a rule table of measured losers (XLA for convolutions on a CPU,
`xla_ruled_out`) is not tried. The Trainer seeds its random state again
after the probe, so the trained model is the same whether it ran or came from the cache. The choice is kept per
model, batch size, run length, device and versions in the per-user data folder, so a second run of the same model
pays nothing. A setting the user gave (`jit_compile: false`, `steps_per_execution: 4`) is never changed; what was
chosen and why goes into run.json (`performance`) and the window's run details.
"""
from __future__ import annotations

import hashlib
import json
import logging
import math
import os
import statistics
import time
from dataclasses import asdict, dataclass, field
from typing import Any, NamedTuple

from builder.files import atomic_write_text
from builder.project import Project, user_data_dir

log = logging.getLogger(__name__)
AUTO = "auto"
CACHE_FILE = ("cache", "performance.json")
PROBE_STEPS = 32  # batches per probe epoch
PROBE_EPOCHS = 4  # the first traces (and compiles); the median of the others counts
PROBE_TIMED_S = 0.6  # ... and more epochs (up to PROBE_MAX_EPOCHS) until those others took this long: a small
PROBE_MAX_EPOCHS = 12  # model's epochs of 32 batches last 0.05 s, inside the noise of a shared machine
STEPS_LADDER = (8, 32)  # steps per execution tried after 1, each only while the one before it won
MIN_GAIN = 1.05  # leaving the XLA default of the device, and more than 8 steps per call: only when 5% faster
# The rule table, measured (bench/auto_settings.py and the probe's own tables on a 2-core CPU): on a machine without
# a GPU, XLA trains convolutions at 0.4-0.6x the speed without it (digits_cnn 0.45x, shapes_cnn 0.44x, mnist1d_cnn
# 0.40-0.60x), while the probe's short epochs once measured it 1.05x for shapes_cnn. It is not tried there.
CPU_SLOWER_WITH_XLA = "Convolution"  # the catalogue category of Conv*D, SeparableConv, DepthwiseConv, ...Transpose
BACKBONES = "keras.applications:"  # a block of a keras.applications model (MobileNetV2): convolutions too
MAX_CACHED = 200  # choices kept; the oldest go first
PROBE_VERSION = 8  # part of the cache key: a changed probe measures again
PROBE_VARIABLE = "LAYERBOARD_PERFORMANCE_PROBE"  # "off": "auto" settings take Keras's defaults, nothing is measured


@dataclass
class PerformanceChoice:
    """What a run trains with, and why: `source` is "probe", "cache", "setting" (the user's) or "default"."""

    jit_compile: bool | str
    steps_per_execution: int
    mixed_precision: bool
    source: str
    reason: str
    measured: dict[str, float] = field(default_factory=dict)  # candidate -> steady samples/s in the probe
    probe_s: float = 0.0
    prefetch_to_device: bool = False  # training batches prefetched into the GPU's memory
    compile_s: dict[str, float] = field(default_factory=dict)  # candidate -> its first epoch's extra seconds

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def has_gpu(device: str) -> bool:
    """Whether a device line (builder.training.device_summary) names a GPU."""
    return "GPU" in device


def mixed_precision_candidate(config, device: str) -> bool:
    """Whether mixed precision is measured: left on "auto", on a GPU (float16 units; a CPU has none, and computes
    float16 slower than float32)."""
    return config.mixed_precision == AUTO and has_gpu(device)


def prefetch_candidate(config, device: str) -> bool:
    """Whether prefetching batches into the accelerator's memory is measured: left on "auto", on a GPU (on a CPU
    the batches are where the model runs already)."""
    return config.prefetch_to_device == AUTO and has_gpu(device)


def probe_plan(config, device: str) -> list[str]:
    """The settings a run measures, in the order the probe measures them: those left on "auto" that can differ on
    this device. Empty: nothing is measured (the project's settings and Keras's defaults are used)."""
    plan = [name for name in ("jit_compile", "steps_per_execution") if getattr(config, name) == AUTO]
    if mixed_precision_candidate(config, device):
        plan.append("mixed_precision")
    if prefetch_candidate(config, device):
        plan.append("prefetch_to_device")
    return plan


class Candidate(NamedTuple):
    """One way of compiling and feeding the model that the probe times."""

    jit_compile: bool | str
    steps_per_execution: int
    mixed_precision: bool
    prefetch_to_device: bool


def starting_candidate(config, device: str) -> Candidate:
    """What the run uses where nothing is measured: the project's settings, Keras's defaults for those on "auto"
    (XLA "auto", one step per call), full precision, and no prefetching into a device the machine lacks."""
    return Candidate(config.jit_compile,
                     1 if config.steps_per_execution == AUTO else config.steps_per_execution,
                     config.mixed_precision is True,
                     config.prefetch_to_device is True and has_gpu(device))


def probe_problem(project: Project) -> str | None:
    """Why this project's run is not probed (Keras's defaults are kept), or None when it can be."""
    from builder import blocks
    from builder.training.recipes import SUPERVISED, project_recipe

    config = project.training
    if os.environ.get(PROBE_VARIABLE, "on").strip().lower() in ("off", "0", "false", "no"):
        return f"measuring is off ({PROBE_VARIABLE}=off): Keras's defaults are kept"
    if project_recipe(project).name != SUPERVISED:
        return "a training recipe builds its own model: Keras's defaults are kept"
    if config.strategy not in ("auto", "none"):
        return f"the {config.strategy} strategy trains on several devices: Keras's defaults are kept"
    for node in project.graph.nodes.values():
        if node.type == "Input" and node.params.get("dtype") == "string":
            return f"input '{node.id}' holds text: Keras's defaults are kept"
        if blocks.file_params(node.type) and any(isinstance(node.params.get(p), str) for p in blocks.file_params(node.type)):
            return f"'{node.id}' reads a file: Keras's defaults are kept"
    return None


def xla_ruled_out(project: Project, device: str) -> str | None:
    """Why XLA is not measured for this model on this device (the rule table: a convolution block or a
    keras.applications backbone, on a machine without a GPU), or None. The inside of a composite block is not
    looked at: such a model is measured."""
    from builder import blocks

    if has_gpu(device):
        return None
    for node in project.graph.nodes.values():
        try:
            convolution = (blocks.block_spec(node.type).category == CPU_SLOWER_WITH_XLA
                           or (blocks.class_path(node.type) or "").startswith(BACKBONES))
        except Exception:  # noqa: BLE001 - a block the catalogue cannot describe is judged by measuring
            continue
        if convolution:
            return (f"XLA not tried: on a CPU it trains convolutions ('{node.id}', {node.type}) at 0.4-0.6x the "
                    f"speed without it (measured)")
    return None


def choose_performance(project: Project, device: str, run_samples: int | None = None) -> PerformanceChoice:
    """The jit_compile and steps_per_execution a run uses: the user's where given, else the fastest measured (from
    the cache when this model was measured before on this device with these versions). run_samples: the samples
    the run will train on (epochs x training samples); given, each candidate's tracing and compiling time is
    weighed against it (XLA that compiles for 5 s does not pay in a run of 10 s)."""
    config = project.training
    start = starting_candidate(config, device)
    plan = probe_plan(config, device)
    if not plan:
        reason = "set in the project (never changed)"
        if config.prefetch_to_device is True and not start.prefetch_to_device:
            reason += "; no GPU to prefetch batches to"
        return PerformanceChoice(*start[:3], "setting", reason, prefetch_to_device=start.prefetch_to_device)
    default = PerformanceChoice(*start[:3], "default", "", prefetch_to_device=start.prefetch_to_device)
    problem = probe_problem(project)
    if problem is not None:
        default.reason = problem
        return default
    key = cache_key(project, device, run_samples)
    cached = _read_cache().get(key)
    if cached is not None:
        return PerformanceChoice(**{**cached, "source": "cache"})
    try:
        choice = probe(project, start, plan, run_samples=run_samples, device=device)
    except Exception as exc:  # a probe that fails must not fail the run: Keras's defaults, and why
        log.info("performance probe failed: %s", exc)
        default.reason = f"the probe failed ({type(exc).__name__}: {str(exc).splitlines()[0][:200]}): Keras's defaults"
        return default
    _write_cache(key, choice)
    return choice


def _label(candidate: Candidate) -> str:
    return (f"jit_compile={candidate.jit_compile}, steps_per_execution={candidate.steps_per_execution}"
            + (", mixed_precision" if candidate.mixed_precision else "")
            + (", prefetch_to_device" if candidate.prefetch_to_device else ""))


def probe(project: Project, start: Candidate, plan: list[str], measure=None, device: str | None = None,
          run_samples: int | None = None) -> PerformanceChoice:
    """Measure the settings of `plan` in order, each with the fastest choice of the ones before: XLA off and on;
    8 steps per call when faster, then 32 when faster by MIN_GAIN; mixed precision; prefetching to the GPU.
    `measure(project, candidate)` -> (steady samples/s, seconds the first epoch took more) (default: a short fit of
    a copy of the model on noise). "Faster" is over the whole run when `run_samples` is given (compiling counted),
    else in the steady state."""
    measure = measure or _samples_per_second
    began = time.perf_counter()
    rates: dict[Candidate, float] = {}  # what decides: samples/s over the run (or steady)
    steady: dict[Candidate, float] = {}
    compiling: dict[Candidate, float] = {}

    def timed(candidate: Candidate) -> float:
        if candidate not in rates:
            measured = measure(project, candidate)
            rate, extra = measured if isinstance(measured, tuple) else (measured, 0.0)
            steady[candidate], compiling[candidate] = rate, max(extra, 0.0)
            rates[candidate] = (run_samples / (compiling[candidate] + run_samples / rate) if run_samples
                                else rate)
        return rates[candidate]

    ruled_out = xla_ruled_out(project, device) if "jit_compile" in plan and device is not None else None
    # what won by less than MIN_GAIN against the default before it (not worth it), and what it was
    passed_over: dict[Candidate, str] = {}
    without_xla = start._replace(jit_compile=False) if "jit_compile" in plan else start
    timed(without_xla)
    if "jit_compile" in plan and ruled_out is None:
        with_xla = start._replace(jit_compile=True)
        timed(with_xla)
        # leaving Keras's default on this device must pay for itself: no XLA on a CPU, XLA on a GPU
        default, other = (with_xla, without_xla) if has_gpu(device or "") else (without_xla, with_xla)
        if rates[default] < rates[other] < MIN_GAIN * rates[default]:
            passed_over[other] = "XLA" if other is with_xla else "turning XLA off"

    def fastest() -> Candidate:
        return max((c for c in rates if c not in passed_over), key=rates.get)

    if "steps_per_execution" in plan:
        previous = fastest()
        for steps in STEPS_LADDER:
            candidate = previous._replace(steps_per_execution=steps)
            needed = 1.0 if previous.steps_per_execution == 1 else MIN_GAIN  # coarser progress must pay for itself
            if timed(candidate) < needed * rates[previous]:
                if rates[candidate] > rates[previous]:
                    passed_over[candidate] = f"{steps} steps per call"  # faster, by less than MIN_GAIN
                break
            previous = candidate
    for setting in ("mixed_precision", "prefetch_to_device"):
        if setting in plan:
            try:
                timed(fastest()._replace(**{setting: True}))
            except Exception as exc:  # noqa: BLE001 - a GPU-only option that fails is not chosen; the rest stands
                log.info("performance probe: %s not measured: %s", setting, exc)
    best = fastest()
    others = [rate for c, rate in rates.items() if c != best and c not in passed_over]
    reason = (f"measured fastest{f' over a run of {run_samples:,} samples' if run_samples else ''}: {_label(best)} "
              f"at {steady[best]:,.0f} samples/s after {compiling[best]:.1f} s of tracing and compiling"
              + (f", {rates[best] / max(others):.2f}x the next candidate" if others else "")
              + "".join(f"; {what} gained under {MIN_GAIN - 1:.0%} (not taken)" for what in passed_over.values())
              + (f"; {ruled_out}" if ruled_out else ""))
    return PerformanceChoice(best.jit_compile, best.steps_per_execution, best.mixed_precision, "probe", reason,
                             {_label(k): round(v, 1) for k, v in steady.items()}, round(time.perf_counter() - began, 2),
                             best.prefetch_to_device, {_label(k): round(v, 2) for k, v in compiling.items()})


def _samples_per_second(project: Project, candidate: Candidate) -> tuple[float, float]:
    """Steady-state training speed of a copy of the project's model compiled this way (built under the
    mixed_float16 policy when `mixed_precision`), on seeded noise."""
    import keras

    saved = keras.config.dtype_policy()
    keras.config.set_dtype_policy("mixed_float16" if candidate.mixed_precision else "float32")
    try:
        return _timed_fit(project, candidate)
    finally:
        keras.config.set_dtype_policy(saved)


def _timed_fit(project: Project, candidate: Candidate) -> tuple[float, float]:
    import keras
    import numpy as np

    from builder.model import build_model
    from builder.training.optimizers import make_optimizer

    config = project.training
    steps = candidate.steps_per_execution
    model = build_model(project.graph, name=project.name, folder=project.folder())
    rng = np.random.default_rng(0)
    # whole batches and a last, partial one, in training and in validation, as most runs have: XLA compiles the
    # steps again for that batch's shape (a probe without it priced XLA too low for the LSTM and the spirals MLP)
    count = config.batch_size * max(PROBE_STEPS, 2 * steps) + max(config.batch_size // 2, 1)
    # keyed by the Inputs' and outputs' names, as a run feeds several (a tf.data pipeline takes no list of arrays)
    x = {tensor.name: _noise(rng, tensor, count) for tensor in model.inputs}
    y = {name: np.zeros((count, *(d or 1 for d in tensor.shape[1:])), dtype="float32")
         for name, tensor in zip(model.output_names, model.outputs)}
    model.compile(optimizer=make_optimizer(config), loss={name: "mse" for name in y} if len(y) > 1 else "mse",
                  jit_compile=candidate.jit_compile, steps_per_execution=steps)
    ends: list[float] = []

    class Timer(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            float((logs or {}).get("loss", 0.0))  # as a run reads each call's loss (progress, the NaN check)

        def on_epoch_end(self, epoch, logs=None):
            ends.append(time.perf_counter())
            timed = ends[-1] - ends[0] if len(ends) > 1 else 0.0  # the epochs after the first
            if len(ends) >= PROBE_EPOCHS and timed >= PROBE_TIMED_S:
                self.model.stop_training = True

    x, y = (x if len(x) > 1 else next(iter(x.values()))), (y if len(y) > 1 else next(iter(y.values())))
    # validated each epoch on a quarter as many samples, as a run is (its first epoch compiles a test step), with a
    # partial last batch too
    held = config.batch_size * max(count // (4 * config.batch_size), 1) + max(config.batch_size // 2, 1)
    x_val, y_val = ({k: a[:held] for k, a in part.items()} if isinstance(part, dict) else part[:held]
                    for part in (x, y))
    if keras.backend.backend() == "tensorflow":
        # fed as the run feeds it (builder.training.fit_data): an endless shuffled tf.data pipeline, steps per epoch
        # given, and a validation pipeline; the array adapter a plain script gets times more steps per call wrongly
        from builder.data import make_pipeline, prefetch_to_accelerator

        pipeline = make_pipeline(x, y, config.batch_size, True, 0, endless=True)
        arguments = {"x": prefetch_to_accelerator(pipeline) if candidate.prefetch_to_device else pipeline,
                     "steps_per_epoch": -(-count // config.batch_size), "shuffle": False,
                     "validation_data": make_pipeline(x_val, y_val, config.batch_size, False, None)}
    elif candidate.prefetch_to_device:
        raise ValueError("prefetching to the device is a tf.data step: TensorFlow backend only")
    else:
        arguments = {"x": x, "y": y, "batch_size": config.batch_size, "shuffle": False,
                     "validation_data": (x_val, y_val)}
    begun = time.perf_counter()
    model.fit(**arguments, epochs=PROBE_MAX_EPOCHS, verbose=0, callbacks=[Timer()])
    epochs = [b - a for a, b in zip([begun, *ends], ends)]
    del model
    # the median epoch after the first: robust to a slow one, and not favouring the candidates whose short epochs
    # were timed more often (the fastest of 11 epochs is faster than the fastest of 3 of the same speed)
    typical = max(statistics.median(epochs[1:]), 1e-9)
    return count / typical, epochs[0] - typical  # steady samples/s, and what tracing and compiling added


def _noise(rng, tensor, count: int):
    import numpy as np

    shape = (count, *(d or 1 for d in tensor.shape[1:]))
    if "int" in str(tensor.dtype):
        return np.zeros(shape, dtype=str(tensor.dtype))  # token 0: valid for every embedding and lookup
    return rng.standard_normal(shape).astype("float32")


# ---- the cache ----------------------------------------------------------------------------------------------------
def cache_key(project: Project, device: str, run_samples: int | None = None) -> str:
    """The key a performance choice is kept under: the model (graph without positions), batch size, optimizer,
    precision, the settings left on auto, the device, the versions of Keras, its backend and TensorFlow, and the
    probe's own version."""
    import keras

    graph = project.graph.to_dict()
    for node in graph["nodes"]:
        node.pop("position", None)
    try:
        import tensorflow as tf

        tf_version = tf.__version__
    except ImportError:
        tf_version = None
    config = project.training
    data = {"graph": graph, "batch_size": config.batch_size, "optimizer": config.optimizer,
            "mixed_precision": config.mixed_precision, "prefetch_to_device": config.prefetch_to_device,
            "jit_compile": config.jit_compile,
            "steps_per_execution": config.steps_per_execution, "device": device, "keras": keras.__version__,
            "backend": keras.backend.backend(), "tensorflow": tf_version, "probe": PROBE_VERSION,
            "run_scale": round(math.log2(run_samples)) if run_samples else None}
    return hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()[:24]


def _cache_path():
    return user_data_dir().joinpath(*CACHE_FILE)


def _read_cache() -> dict[str, dict[str, Any]]:
    try:
        data = json.loads(_cache_path().read_text(encoding="utf-8"))
    except (OSError, ValueError, UnicodeDecodeError):
        return {}
    wanted = {"jit_compile", "steps_per_execution", "mixed_precision", "source", "reason", "measured", "probe_s",
              "prefetch_to_device", "compile_s"}
    return {k: v for k, v in data.items() if isinstance(v, dict) and set(v) == wanted} if isinstance(data, dict) else {}


def _write_cache(key: str, choice: PerformanceChoice) -> None:
    data = _read_cache()
    data.pop(key, None)
    data[key] = choice.to_dict()
    data = dict(list(data.items())[-MAX_CACHED:])
    try:
        atomic_write_text(_cache_path(), json.dumps(data, indent=1) + "\n")
    except Exception as exc:  # a read-only folder only means measuring again next time
        log.info("could not keep the performance choice: %s", exc)
