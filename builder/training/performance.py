"""Settings left on "auto", chosen by measuring: a short probe of each candidate at the start of a run, cached.

Keras's defaults are what a hand-written script gets: `jit_compile="auto"` (XLA wherever the model supports it —
on a CPU that measured about half the speed of no XLA for a small CNN) and `steps_per_execution=1`. For a setting
the project leaves on "auto", the Trainer asks `choose_performance` first: each candidate (XLA off / on, then more
steps per call with the faster of those) trains a copy of the model for a few epochs of a few batches on seeded
noise, and the fastest steady-state epoch decides. The probe runs before the run seeds its random state, so the
trained model is the same whether it ran or came from the cache. The choice is kept per model, batch size,
device and versions in the per-user data folder, so a second run of the same model pays nothing. A setting the
user gave (`jit_compile: false`, `steps_per_execution: 4`) is never changed; what was chosen and why goes into
run.json (`performance`) and the window's run details.
"""
from __future__ import annotations

import hashlib
import json
import logging
import os
import time
from dataclasses import asdict, dataclass, field
from typing import Any

from builder.files import atomic_write_text
from builder.project import Project, user_data_dir

log = logging.getLogger(__name__)
AUTO = "auto"
CACHE_FILE = ("cache", "performance.json")
PROBE_STEPS = 24  # batches per probe epoch
PROBE_EPOCHS = 3  # the first traces (and compiles); the fastest of the others counts
STEPS_CANDIDATE = 8  # the steps per execution tried against 1
MAX_CACHED = 200  # choices kept; the oldest go first
PROBE_VARIABLE = "LAYERBOARD_PERFORMANCE_PROBE"  # "off": "auto" settings take Keras's defaults, nothing is measured


@dataclass
class PerformanceChoice:
    """What a run trains with, and why: `source` is "probe", "cache", "setting" (the user's) or "default"."""

    jit_compile: bool | str
    steps_per_execution: int
    mixed_precision: bool
    source: str
    reason: str
    measured: dict[str, float] = field(default_factory=dict)  # candidate -> samples/s in the probe
    probe_s: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _explicit(config) -> tuple[bool, bool, bool]:
    return config.jit_compile != AUTO, config.steps_per_execution != AUTO, config.mixed_precision != AUTO


def mixed_precision_candidate(config, device: str) -> bool:
    """Whether mixed precision is measured: left on "auto", on a GPU (float16 units; a CPU has none, and computes
    float16 slower than float32)."""
    return config.mixed_precision == AUTO and "GPU" in device


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


def choose_performance(project: Project, device: str) -> PerformanceChoice:
    """The jit_compile and steps_per_execution a run uses: the user's where given, else the fastest measured (from
    the cache when this model was measured before on this device with these versions)."""
    config = project.training
    mixed = config.mixed_precision is True
    if all(_explicit(config)) or (not mixed_precision_candidate(config, device) and all(_explicit(config)[:2])):
        return PerformanceChoice(config.jit_compile, config.steps_per_execution, mixed, "setting",
                                 "set in the project (never changed)")
    default = PerformanceChoice(config.jit_compile, 1 if config.steps_per_execution == AUTO else
                                config.steps_per_execution, mixed, "default", "")
    problem = probe_problem(project)
    if problem is not None:
        default.reason = problem
        return default
    key = cache_key(project, device)
    cached = _read_cache().get(key)
    if cached is not None:
        return PerformanceChoice(**{**cached, "source": "cache"})
    try:
        choice = _probe(project, mixed_precision_candidate(config, device))
    except Exception as exc:  # a probe that fails must not fail the run: Keras's defaults, and why
        log.info("performance probe failed: %s", exc)
        default.reason = f"the probe failed ({type(exc).__name__}: {str(exc).splitlines()[0][:200]}): Keras's defaults"
        return default
    _write_cache(key, choice)
    return choice


Candidate = tuple  # (jit_compile, steps_per_execution, mixed_precision)


def _candidates(config) -> list[Candidate]:
    jit_given, steps_given, _ = _explicit(config)
    jits = [config.jit_compile] if jit_given else [False, True]
    steps = [config.steps_per_execution] if steps_given else [1]
    return [(j, s, config.mixed_precision is True) for j in jits for s in steps]


def _label(jit: bool | str, steps: int, mixed: bool) -> str:
    return f"jit_compile={jit}, steps_per_execution={steps}" + (", mixed_precision" if mixed else "")


def _probe(project: Project, try_mixed: bool) -> PerformanceChoice:
    """XLA off and on (unless given), then 8 steps per call with the faster (unless given), then mixed precision
    with the fastest so far (on a GPU, when left on auto)."""
    start = time.perf_counter()
    config = project.training
    measured: dict[str, float] = {}
    rates: dict[Candidate, float] = {}

    def measure(candidate: Candidate) -> None:
        rates[candidate] = measured[_label(*candidate)] = _samples_per_second(project, *candidate)

    for candidate in _candidates(config):
        measure(candidate)
    best = max(rates, key=rates.get)
    if config.steps_per_execution == AUTO:  # more batches per call, with the faster XLA choice
        measure((best[0], STEPS_CANDIDATE, best[2]))
        best = max(rates, key=rates.get)
    if try_mixed:
        measure((best[0], best[1], True))
        best = max(rates, key=rates.get)
    ordered = sorted(rates.items(), key=lambda item: -item[1])
    runner_up = ordered[1][1] if len(ordered) > 1 else ordered[0][1]
    reason = (f"measured fastest: {_label(*best)} at {rates[best]:,.0f} samples/s"
              + (f", {rates[best] / runner_up:.2f}x the next candidate" if len(ordered) > 1 else ""))
    return PerformanceChoice(best[0], best[1], best[2], "probe", reason,
                             {k: round(v, 1) for k, v in measured.items()}, round(time.perf_counter() - start, 2))


def _samples_per_second(project: Project, jit: bool | str, steps: int, mixed: bool) -> float:
    """Steady-state training speed of a copy of the project's model compiled this way (built under the
    mixed_float16 policy when `mixed`), on seeded noise."""
    import keras

    saved = keras.config.dtype_policy()
    keras.config.set_dtype_policy("mixed_float16" if mixed else "float32")
    try:
        return _timed_fit(project, jit, steps)
    finally:
        keras.config.set_dtype_policy(saved)


def _timed_fit(project: Project, jit: bool | str, steps: int) -> float:
    import keras
    import numpy as np

    from builder.model import build_model
    from builder.training.optimizers import make_optimizer

    config = project.training
    model = build_model(project.graph, name=project.name, folder=project.folder())
    rng = np.random.default_rng(0)
    count = config.batch_size * max(PROBE_STEPS, 2 * steps)
    x = [_noise(rng, tensor, count) for tensor in model.inputs]
    y = [np.zeros((count, *(d or 1 for d in tensor.shape[1:])), dtype="float32") for tensor in model.outputs]
    model.compile(optimizer=make_optimizer(config), loss=["mse"] * len(y), jit_compile=jit, steps_per_execution=steps)
    ends: list[float] = []

    class Timer(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            ends.append(time.perf_counter())

    begun = time.perf_counter()
    model.fit(x if len(x) > 1 else x[0], y if len(y) > 1 else y[0], batch_size=config.batch_size,
              epochs=PROBE_EPOCHS, verbose=0, shuffle=False, callbacks=[Timer()])
    epochs = [b - a for a, b in zip([begun, *ends], ends)][1:]
    del model
    return count / max(min(epochs), 1e-9)


def _noise(rng, tensor, count: int):
    import numpy as np

    shape = (count, *(d or 1 for d in tensor.shape[1:]))
    if "int" in str(tensor.dtype):
        return np.zeros(shape, dtype=str(tensor.dtype))  # token 0: valid for every embedding and lookup
    return rng.standard_normal(shape).astype("float32")


# ---- the cache ----------------------------------------------------------------------------------------------------
def cache_key(project: Project, device: str) -> str:
    """The key a performance choice is kept under: the model (graph without positions), batch size, optimizer,
    precision, the settings left on auto, the device and the versions of Keras, its backend and TensorFlow."""
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
            "mixed_precision": config.mixed_precision, "jit_compile": config.jit_compile,
            "steps_per_execution": config.steps_per_execution, "device": device, "keras": keras.__version__,
            "backend": keras.backend.backend(), "tensorflow": tf_version}
    return hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()[:24]


def _cache_path():
    return user_data_dir().joinpath(*CACHE_FILE)


def _read_cache() -> dict[str, dict[str, Any]]:
    try:
        data = json.loads(_cache_path().read_text(encoding="utf-8"))
    except (OSError, ValueError, UnicodeDecodeError):
        return {}
    wanted = {"jit_compile", "steps_per_execution", "mixed_precision", "source", "reason", "measured", "probe_s"}
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
