"""One validation of a whole project: its graph, dataset and training settings, every problem at once.

`project_problems(project)` lists each bad setting as "place: what it must be; got VALUE" (the value as the
project file writes it); `validate_project(project)` raises InvalidProjectError with all of them. It runs in
`check`, before `train` and every `export` (the CLI's and the window's: the Trainer, the export pipeline and the
Python code export call it). The shape of the graph (what each node computes) is builder.model's job; names that
only Keras knows (an optimizer, a loss) are checked when training builds them.

The live changes of a running training use the same ranges: `learning_rate_problem` and `patience_problem`.
"""
from __future__ import annotations

import json
import math
from typing import Any, Callable

from builder.errors import InvalidProjectError, LayerboardError
from builder.project.record import resolve_inside

# The ranges of the settings, as the README's project-file table gives them.
MAX_LEARNING_RATE = 10.0  # of a live change (control, Trainer.set_learning_rate)
MAX_SEED = 2**32 - 1  # NumPy's and scikit-learn's seeds are 32-bit
MAX_EPOCHS = 1_000_000
MAX_BATCH_SIZE = 1 << 24
MAX_NAME_LENGTH = 200
NAME_FORBIDDEN = set('/\\{}')
STRATEGIES = ("auto", "none", "mirrored", "multiworker")
EARLY_STOPPING_SETTINGS = ("baseline", "min_delta", "monitor", "patience", "restore_best_weights", "start_from_epoch")

Check = Callable[[Any], "str | None"]  # None when the value is good, else what it must be


def shown(value: Any, limit: int = 60) -> str:
    """A value as the project file (JSON) writes it, cut to `limit` characters."""
    try:
        text = json.dumps(value, ensure_ascii=True)
    except (TypeError, ValueError, RecursionError):
        text = ascii(value)
    return text if len(text) <= limit else text[:limit - 3] + "..."


def _key(key: Any) -> str:
    """A key of the user's object as a place in a message: as is when plain, else quoted (JSON)."""
    return key if isinstance(key, str) and key.isprintable() and 0 < len(key) <= 60 else shown(key)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _is_whole(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def number(low: float | None = None, high: float | None = None, low_open: bool = False,
           high_open: bool = False, none: bool = False) -> Check:
    """A finite number in [low, high] (open ends when asked), or null when `none`."""
    parts = []
    if low is not None:
        parts.append(f"{'above' if low_open else 'at least'} {low:g}")
    if high is not None:
        parts.append(f"{'below' if high_open else 'at most'} {high:g}")
    wanted = "a finite number" + (" " + " and ".join(parts) if parts else "") + (" or null" if none else "")

    def check(value: Any) -> str | None:
        if value is None and none:
            return None
        if not _is_number(value) or (isinstance(value, float) and not math.isfinite(value)):
            return wanted  # (an int is finite, and may be too large for math.isfinite)
        if low is not None and (value <= low if low_open else value < low):
            return wanted
        if high is not None and (value >= high if high_open else value > high):
            return wanted
        return None

    return check


def whole(low: int = 0, high: int | None = None, none: bool = False) -> Check:
    """A whole number (not true/false) from low to high, or null when `none`."""
    wanted = f"a whole number from {low:,}" + (f" to {high:,}" if high is not None else " up") + \
        (" or null" if none else "")

    def check(value: Any) -> str | None:
        if value is None and none:
            return None
        if not _is_whole(value) or value < low or (high is not None and value > high):
            return wanted
        return None

    return check


def boolean(value: Any) -> str | None:
    return None if isinstance(value, bool) else "true or false (not a string)"


def one_of(*choices: Any) -> Check:
    def check(value: Any) -> str | None:
        if any(value is c or (type(value) is type(c) and value == c) for c in choices):
            return None
        return "one of " + ", ".join(shown(c) for c in choices)

    return check


def text(empty: bool = False) -> Check:
    def check(value: Any) -> str | None:
        if not isinstance(value, str) or (not value.strip() and not empty):
            return "a non-empty string" if not empty else "a string"
        if "\x00" in value:
            return "a string without a NUL character"
        return None

    return check


def learning_rate_problem(value: Any) -> str | None:
    """None for a live change of the learning rate (finite, above 0, at most MAX_LEARNING_RATE: a typed-in value
    beyond that is a slip that would wreck a run going well), else the rule. A project's own learning rate only
    has to be finite and above 0 (a test may start a run at 1e9 on purpose)."""
    return number(0, MAX_LEARNING_RATE, low_open=True)(value)


def patience_problem(value: Any) -> str | None:
    """None for an early-stopping patience (a whole number of epochs >= 0), else the rule."""
    return whole(0, MAX_EPOCHS)(value)


def name_problem(value: Any) -> str | None:
    """None for a model/project name Keras and file names accept, else the rule."""
    if not isinstance(value, str) or not value.strip():
        return "a non-empty string"
    if len(value) > MAX_NAME_LENGTH:
        return f"at most {MAX_NAME_LENGTH} characters"
    bad = sorted({c for c in value if c in NAME_FORBIDDEN or ord(c) < 32 or ord(c) == 127})
    if bad:
        return f"a name without /, \\, {{, }} or control characters (it has {', '.join(ascii(c) for c in bad)})"
    return None


# Each schedule's settings and their ranges (builder.training.optimizers holds their defaults and formulas).
SCHEDULE_SETTINGS: dict[str, dict[str, Check]] = {
    "constant": {},
    "step": {"every_epochs": number(0, low_open=True), "factor": number(0, low_open=True)},
    "exponential": {"decay_rate": number(0, low_open=True), "decay_epochs": number(0, low_open=True)},
    "cosine": {"warmup_epochs": number(0), "alpha": number(0, 1)},
    "one_cycle": {"max_learning_rate": number(0, low_open=True, none=True),
                  "pct_start": number(0, 1, low_open=True, high_open=True), "div_factor": number(0, low_open=True),
                  "final_div_factor": number(0, low_open=True)},
    "reduce_on_plateau": {"factor": number(0, 1, low_open=True, high_open=True), "patience": whole(0),
                          "min_lr": number(0), "min_delta": number(0)},
}

_EARLY_STOPPING: dict[str, Check] = {
    "patience": whole(0, MAX_EPOCHS), "restore_best_weights": boolean, "min_delta": number(0),
    "start_from_epoch": whole(0), "baseline": number(none=True), "monitor": text(),
}


class _Problems:
    def __init__(self) -> None:
        self.items: list[str] = []

    def add(self, place: str, wanted: str | None, value: Any) -> None:
        if wanted is not None:
            self.items.append(f"{place}: must be {wanted}; got {shown(value)}")

    def say(self, place: str, message: str) -> None:
        self.items.append(f"{place}: {message}")

    def check(self, place: str, value: Any, check: Check) -> bool:
        wanted = check(value)
        self.add(place, wanted, value)
        return wanted is None


def _keyed(problems: _Problems, place: str, value: Any, item: Check, what: str) -> None:
    """An object {name: value} whose keys are non-empty strings and values pass `item`."""
    if not isinstance(value, dict):
        problems.add(place, what, value)
        return
    for key, entry in value.items():
        if not isinstance(key, str) or not key:
            problems.add(place, what, value)
            return
        problems.check(f"{place}.{_key(key)}", entry, item)


def _string_list(value: Any) -> str | None:
    if isinstance(value, list) and all(isinstance(v, str) and v for v in value):
        return None
    return 'a list of names (["accuracy"])'


def _dataset(problems: _Problems, ref) -> None:
    p = "dataset"
    problems.check(f"{p}.name", ref.name, text())
    valid = problems.check(f"{p}.validation_split", ref.validation_split, number(0, 1, True, True))
    valid &= problems.check(f"{p}.test_split", ref.test_split, number(0, 1, high_open=True))
    if valid and ref.validation_split + ref.test_split >= 1:
        problems.say(f"{p}.test_split", f"validation_split + test_split must be below 1, leaving samples to train "
                                        f"on; got {shown(ref.validation_split)} + {shown(ref.test_split)}")
    problems.check(f"{p}.seed", ref.seed, whole(0, MAX_SEED))
    if ref.path is not None:
        problems.check(f"{p}.path", ref.path, text())
    if not isinstance(ref.options, dict):
        problems.add(f"{p}.options", 'an object of the source\'s settings ({"target": "price"})', ref.options)
    problems.check(f"{p}.use_named_split", ref.use_named_split, boolean)


def _optimizer(problems: _Problems, spec: Any) -> None:
    wanted = 'a Keras optimizer name ("adam") or {"class_name": "SGD", "config": {...}}'
    if isinstance(spec, str):
        problems.check("training.optimizer", spec, text())
    elif not isinstance(spec, dict) or set(spec) - {"class_name", "config"} or \
            not isinstance(spec.get("class_name"), str) or not spec["class_name"] or \
            not isinstance(spec.get("config", {}), (dict, type(None))):
        problems.add("training.optimizer", wanted, spec)


def _schedule(problems: _Problems, spec: Any) -> None:
    place = "training.schedule"
    if spec is None:
        return
    spec = {"name": spec} if isinstance(spec, str) else spec
    if not isinstance(spec, dict):
        problems.add(place, '{"name": "cosine", ...} or null', spec)
        return
    name = spec.get("name", "constant")
    if not isinstance(name, str) or name not in SCHEDULE_SETTINGS:
        problems.add(f"{place}.name", "one of " + ", ".join(SCHEDULE_SETTINGS), name)
        return
    for key, value in spec.items():
        if key == "name":
            continue
        if key not in SCHEDULE_SETTINGS[name]:
            known = ", ".join(SCHEDULE_SETTINGS[name]) or "none"
            problems.say(f"{place}.{_key(key)}", f"schedule '{name}' has no such setting; its settings: {known}")
        else:
            problems.check(f"{place}.{key}", value, SCHEDULE_SETTINGS[name][key])


def _early_stopping(problems: _Problems, spec: Any) -> None:
    place = "training.early_stopping"
    if spec is None or isinstance(spec, bool):
        return
    if not isinstance(spec, dict):
        problems.add(place, 'null, true, false or {"patience": 5, "restore_best_weights": true, ...}', spec)
        return
    for key, value in spec.items():
        if key not in _EARLY_STOPPING:
            problems.say(f"{place}.{_key(key)}", f"early_stopping has no setting '{_key(key)}'; its settings: "
                                                 f"{', '.join(EARLY_STOPPING_SETTINGS)}")
        else:
            problems.check(f"{place}.{key}", value, _EARLY_STOPPING[key])


def _training(problems: _Problems, config) -> None:
    p = "training"
    _optimizer(problems, config.optimizer)
    problems.check(f"{p}.learning_rate", config.learning_rate, number(0, low_open=True))
    _schedule(problems, config.schedule)
    problems.check(f"{p}.weight_decay", config.weight_decay, number(0, none=True))
    problems.check(f"{p}.clipnorm", config.clipnorm, number(0, low_open=True, none=True))
    problems.check(f"{p}.clipvalue", config.clipvalue, number(0, low_open=True, none=True))
    if isinstance(config.loss, dict):
        _keyed(problems, f"{p}.loss", config.loss, text(), "a loss name or {output node: loss name}")
    else:
        problems.check(f"{p}.loss", config.loss, text())
    if config.loss_weights is not None:
        _keyed(problems, f"{p}.loss_weights", config.loss_weights, number(0),
               "null or {output node: weight}")
    problems.check(f"{p}.label_smoothing", config.label_smoothing, number(0, 1, high_open=True))
    if isinstance(config.metrics, dict):
        _keyed(problems, f"{p}.metrics", config.metrics, _string_list, "a list of metric names or one per output")
    else:
        problems.check(f"{p}.metrics", config.metrics, _string_list)
    problems.check(f"{p}.epochs", config.epochs, whole(1, MAX_EPOCHS))
    problems.check(f"{p}.batch_size", config.batch_size, whole(1, MAX_BATCH_SIZE))
    problems.check(f"{p}.seed", config.seed, whole(0, MAX_SEED))
    weights = config.class_weight
    if weights is not None and weights != "balanced":
        wanted = 'null, "balanced" or {"0": 1.0, "1": 5.0} (class index: weight)'
        if not isinstance(weights, dict) or not all(isinstance(k, str) and k.strip().isdigit() for k in weights):
            problems.add(f"{p}.class_weight", wanted, weights)
        else:
            _keyed(problems, f"{p}.class_weight", weights, number(0), wanted)
    problems.check(f"{p}.monitor", config.monitor, text())
    _early_stopping(problems, config.early_stopping)
    if not isinstance(config.augmentation, dict) or not all(
            isinstance(k, str) and isinstance(v, dict) for k, v in config.augmentation.items()):
        problems.add(f"{p}.augmentation", '{"RandomFlip": {"mode": "horizontal"}, ...} (a layer: its settings)',
                     config.augmentation)
    problems.check(f"{p}.mixed_precision", config.mixed_precision, one_of(True, False, "auto"))
    problems.check(f"{p}.jit_compile", config.jit_compile, one_of(True, False, "auto"))
    problems.check(f"{p}.prefetch_to_device", config.prefetch_to_device, one_of(True, False, "auto"))
    if config.steps_per_execution != "auto":
        problems.check(f"{p}.steps_per_execution", config.steps_per_execution, whole(1, 1_000_000))
    problems.check(f"{p}.tensorboard", config.tensorboard, boolean)
    problems.check(f"{p}.strategy", config.strategy, one_of(*STRATEGIES))
    recipe = config.recipe  # its name and keys are checked against the recipes in builder.training.recipes
    if recipe is not None and not (isinstance(recipe, dict) and isinstance(recipe.get("name"), str)):
        problems.add(f"{p}.recipe", 'null or {"name": "supervised" | "autoencoder" | "vae" | "gan" | "diffusion" | "distillation", its settings}', recipe)


def project_problems(project) -> list[str]:
    """Every problem of the project's name, graph, dataset and training settings, one line each."""
    problems = _Problems()
    problems.add("name", name_problem(project.name), project.name)
    if not isinstance(project.description, str):
        problems.add("description", "a string", project.description)
    if not project.graph.nodes:
        problems.say("graph", "the graph is empty; add an Input block (Core > Input) and the layers it feeds")
    _dataset(problems, project.dataset)
    _inside_folder(problems, project)
    _training(problems, project.training)
    return problems.items


def _inside_folder(problems: _Problems, project) -> None:
    """dataset.path resolves inside the project's folder, as a dataset loader needs it (checked here too, so
    `check` and every export refuse it before any data is read)."""
    path = project.dataset.path
    if isinstance(path, str) and path and "\x00" not in path:  # a NUL byte is named by _dataset
        try:
            resolve_inside(project.folder(), path)
        except LayerboardError as exc:
            problems.say("dataset.path", str(exc))


def validate_project(project) -> None:
    """Raise InvalidProjectError listing every problem of the project (see project_problems)."""
    problems = project_problems(project)
    if problems:
        source = str(project.path) if project.path else f"project {shown(project.name)}"
        raise InvalidProjectError(source, problems)
