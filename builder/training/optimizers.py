"""Optimizers from the training config, and learning-rate schedules as plain functions of the training step.

The optimizer is any Keras optimizer, named as Keras names it ("adam", "SGD") or given as a Keras config
({"class_name": "SGD", "config": {"momentum": 0.9, "nesterov": true}}); `weight_decay`, `clipnorm` and
`clipvalue` from the training config are the Keras optimizer arguments of the same names.

Schedules are evaluated in Python by the run controller (builder.training.live_control) and written to the optimizer's
learning-rate variable, so a user can rescale the rate while a run goes on and a resumed run continues from the
saved step. Their formulas are Keras's own (tests compare them with keras.optimizers.schedules).

    {"name": "constant"}
    {"name": "step", "every_epochs": 10, "factor": 0.5}
    {"name": "exponential", "decay_rate": 0.9, "decay_epochs": 1}
    {"name": "cosine", "warmup_epochs": 1, "alpha": 0.0}          # warm-up from 0 to learning_rate, then cosine
    {"name": "one_cycle", "max_learning_rate": 0.01, "pct_start": 0.3, "div_factor": 25, "final_div_factor": 1e4}
    {"name": "reduce_on_plateau", "factor": 0.1, "patience": 5, "min_lr": 0.0, "min_delta": 0.0}
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Callable

from builder.errors import TrainingError

OPTIMIZERS = ["SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "Nadam", "Lion", "Adamax", "Adadelta", "Ftrl", "Lamb"]

SCHEDULE_PARAMS: dict[str, dict[str, Any]] = {
    "constant": {},
    "step": {"every_epochs": 10, "factor": 0.5},
    "exponential": {"decay_rate": 0.9, "decay_epochs": 1},
    "cosine": {"warmup_epochs": 0, "alpha": 0.0},
    "one_cycle": {"max_learning_rate": None, "pct_start": 0.3, "div_factor": 25.0, "final_div_factor": 1e4},
    "reduce_on_plateau": {"factor": 0.1, "patience": 5, "min_lr": 0.0, "min_delta": 0.0},
}


def _identifier(spec: Any) -> tuple[str, dict[str, Any]]:
    """The optimizer's name and settings: a name ("adam") or {"class_name": "SGD", "config": {...}}."""
    if isinstance(spec, str):
        return spec, {}
    if isinstance(spec, dict) and isinstance(spec.get("class_name"), str):
        return spec["class_name"], dict(spec.get("config") or {})
    raise TrainingError('training.optimizer must be a name ("adam") or {"class_name": "SGD", "config": {...}}; '
                        f"got {spec!r}.")


def _unknown_optimizer(identifier: str) -> str:
    return f"Unknown optimizer '{identifier}'. Keras optimizers: {', '.join(OPTIMIZERS)}."


def optimizer_name_problem(spec: Any) -> str | None:
    """Why make_optimizer would refuse the optimizer's name, or None, without making it (an optimizer holds
    variables, and creating one would start TensorFlow's runtime before a distribution strategy is chosen)."""
    import keras

    try:
        identifier, _ = _identifier(spec)
    except TrainingError as exc:
        return str(exc)
    classes = {name.lower() for name in dir(keras.optimizers)
               if isinstance(getattr(keras.optimizers, name), type) and name not in ("Optimizer", "OptimizerMap")}
    return None if identifier.lower().replace("_", "") in classes else _unknown_optimizer(identifier)


def make_optimizer(config) -> Any:
    """The Keras optimizer of a TrainingConfig, with its learning rate, weight decay and clipping."""
    import keras

    identifier, params = _identifier(config.optimizer)
    extra = {k: getattr(config, k) for k in ("weight_decay", "clipnorm", "clipvalue") if getattr(config, k) is not None}
    try:
        cls = type(keras.optimizers.get(identifier))
    except ValueError:
        raise TrainingError(_unknown_optimizer(identifier)) from None
    params.setdefault("learning_rate", config.learning_rate)
    params.update(extra)
    try:
        return cls(**params)
    except (TypeError, ValueError) as exc:
        raise TrainingError(f"Optimizer {cls.__name__} refused its settings {params}: {exc}") from None


@dataclass(frozen=True)
class Schedule:
    """A learning-rate schedule: `rate(step)` for per-step schedules; plateau settings for reduce-on-plateau."""

    name: str
    params: dict[str, Any]
    rate: Callable[[int], float]

    @property
    def on_plateau(self) -> bool:
        return self.name == "reduce_on_plateau"


def make_schedule(spec: dict[str, Any] | None, learning_rate: float, steps_per_epoch: int, epochs: int) -> Schedule:
    """The schedule a training config asks for; epochs in its settings are converted to steps."""
    spec = {"name": spec} if isinstance(spec, str) else dict(spec or {"name": "constant"})
    name = spec.pop("name", "constant")
    if name not in SCHEDULE_PARAMS:
        raise TrainingError(f"Unknown learning-rate schedule '{name}'. Schedules: {', '.join(SCHEDULE_PARAMS)}.")
    unknown = set(spec) - set(SCHEDULE_PARAMS[name])
    if unknown:
        known = ", ".join(SCHEDULE_PARAMS[name]) or "none"
        raise TrainingError(f"Schedule '{name}' has no setting '{sorted(unknown)[0]}'; its settings: {known}.")
    params = {**SCHEDULE_PARAMS[name], **spec}
    steps_per_epoch = max(1, int(steps_per_epoch))
    total = max(1, steps_per_epoch * int(epochs))
    lr = float(learning_rate)
    if name in ("constant", "reduce_on_plateau"):
        return Schedule(name, params, lambda step: lr)
    if name == "step":
        every = _positive(params, "every_epochs") * steps_per_epoch
        return Schedule(name, params, lambda step: lr * params["factor"] ** math.floor(step / every))
    if name == "exponential":
        steps = _positive(params, "decay_epochs") * steps_per_epoch
        return Schedule(name, params, lambda step: lr * params["decay_rate"] ** (step / steps))
    if name == "cosine":
        return Schedule(name, params, _cosine(lr, total, int(params["warmup_epochs"] * steps_per_epoch),
                                              float(params["alpha"])))
    return Schedule(name, params, _one_cycle(params, lr, total))


def _positive(params: dict, key: str) -> float:
    value = params[key]
    if not isinstance(value, (int, float)) or value <= 0:
        raise TrainingError(f"Schedule setting '{key}' must be a positive number of epochs; got {value!r}.")
    return float(value)


def _cosine(lr: float, total: int, warmup: int, alpha: float) -> Callable[[int], float]:
    """keras.optimizers.schedules.CosineDecay with warmup_target=lr, warmup_steps=warmup (from 0)."""
    decay_steps = max(1, total - warmup)

    def rate(step: int) -> float:
        if step < warmup:
            return lr * step / warmup
        progress = min(step - warmup, decay_steps) / decay_steps
        return lr * ((1 - alpha) * 0.5 * (1 + math.cos(math.pi * progress)) + alpha)

    return rate


def _one_cycle(params: dict, lr: float, total: int) -> Callable[[int], float]:
    """Smith's one-cycle policy (cosine annealing up to max_learning_rate, then down), as in PyTorch's OneCycleLR."""
    peak = float(params["max_learning_rate"] or lr)
    start, end = peak / params["div_factor"], peak / params["div_factor"] / params["final_div_factor"]
    up = max(1, int(params["pct_start"] * total))
    down = max(1, total - up)

    def anneal(a: float, b: float, fraction: float) -> float:
        return b + (a - b) * 0.5 * (1 + math.cos(math.pi * min(1.0, fraction)))

    def rate(step: int) -> float:
        return anneal(start, peak, step / up) if step < up else anneal(peak, end, (step - up) / down)

    return rate
