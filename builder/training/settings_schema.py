"""Every training setting the engine has, described once: its group, the kind of value it takes, its default
(read from TrainingConfig itself), the values it allows and its help text.

The window's settings form and `python main.py settings` are both built from `SETTINGS`; a value typed in the
form is checked by `setting_problems`, which runs the engine's own validation (builder.project's ranges, and
once Keras is loaded the names only Keras knows, as `check` and `train` resolve them). Nothing here imports
Keras until `setting_problems(..., names=True)` or `dataset_output_kind` needs it.

Kinds of value (what a form shows for each):

    whole             a whole number                       epochs, batch_size, seed, steps_per_execution
    number            a finite number                      learning_rate, label_smoothing
    optional_number   a number, or null (off)              weight_decay, clipnorm, clipvalue
    switch            true or false                        tensorboard
    choice            one of `choices`                     jit_compile, mixed_precision, strategy
    name              a name; `choices` are suggestions    loss (or one per output), monitor
    names             a list of names                      metrics (or one list per output)
    optimizer         a name, or {"class_name", "config"}  optimizer
    schedule          null or {"name": ..., settings}      schedule (`sub_settings`: each schedule's)
    output_weights    null or {output: weight}             loss_weights
    class_weight      null, "balanced" or {class: weight}  class_weight
    early_stopping    null/false (off), true or settings   early_stopping (`sub_settings`)
    augmentation      {layer: {its arguments}}             augmentation
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, fields
from typing import Any

from builder.data import CLASSES, ONLINE_SETS, REGRESSION, SOURCES
from builder.graph import Graph
from builder.project import RECONSTRUCTION, STRATEGIES, Project, TrainingConfig, project_problems
from builder.training.optimizers import OPTIMIZERS, SCHEDULE_PARAMS
from builder.training.recipes import RECIPES, spec_problems
from builder.training.settings_check import settings_problems

# The form's groups, in order.
BASICS = "Basics"
OPTIMIZER = "Optimizer and schedule"
REGULARISATION = "Regularisation"
CALLBACKS = "Callbacks"
AUGMENTATION = "Augmentation"
PERFORMANCE = "Performance"
DISTRIBUTION = "Distribution"
GROUPS = (BASICS, OPTIMIZER, REGULARISATION, CALLBACKS, AUGMENTATION, PERFORMANCE, DISTRIBUTION)

KINDS = ("whole", "number", "optional_number", "switch", "choice", "name", "names", "optimizer", "schedule",
         "output_weights", "class_weight", "early_stopping", "augmentation")

# Names offered for the open kinds (any other name Keras knows is accepted too).
LOSS_NAMES = ("sparse_categorical_crossentropy", "categorical_crossentropy", "binary_crossentropy", "mse", "mae",
              "huber", RECONSTRUCTION)
METRIC_NAMES = ("accuracy", "top_k_accuracy", "precision", "recall", "auc", "mae", "mse", "rmse", "binary_iou")
MONITOR_NAMES = ("val_loss", "val_accuracy", "loss", "accuracy", "val_auc", "val_mae")


@dataclass(frozen=True)
class SubSetting:
    """One setting inside a setting's object (a schedule's `factor`, early stopping's `patience`)."""

    name: str
    kind: str  # whole, number, optional_number, switch or name
    default: Any  # None: unset (the help says what is used instead)
    help: str


@dataclass(frozen=True)
class Setting:
    """One field of TrainingConfig as a form shows it."""

    name: str
    group: str
    kind: str
    label: str
    help: str
    choices: tuple[Any, ...] = ()  # the allowed values of a choice; suggested names of a name/names/optimizer
    per_output: bool = False  # may be given one per output node ({output: value})

    @property
    def default(self) -> Any:
        """TrainingConfig's own default (a fresh copy each time)."""
        return getattr(TrainingConfig(), self.name)

    def sub_settings(self, variant: str | None = None) -> tuple[SubSetting, ...]:
        """The settings inside this one's object: a schedule's (`variant` = its name), early stopping's."""
        if self.kind == "schedule" and self.name == "recipe":
            return RECIPE_SETTINGS.get(variant or "supervised", ())
        if self.kind == "schedule":
            return SCHEDULE_SETTINGS.get(variant or "constant", ())
        if self.kind == "early_stopping":
            return EARLY_STOPPING_SETTINGS
        return ()

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"name": self.name, "group": self.group, "kind": self.kind, "label": self.label,
                                "default": self.default, "help": self.help}
        if self.choices:
            data["choices" if self.kind == "choice" else "suggestions"] = list(self.choices)
        if self.per_output:
            data["per_output"] = True
        if self.name == "recipe":
            data["recipes"] = {name: [dataclasses.asdict(s) for s in subs] for name, subs in RECIPE_SETTINGS.items()}
        elif self.kind == "schedule":
            data["schedules"] = {name: [dataclasses.asdict(s) for s in subs] for name, subs in SCHEDULE_SETTINGS.items()}
        elif self.kind == "early_stopping":
            data["settings"] = [dataclasses.asdict(s) for s in EARLY_STOPPING_SETTINGS]
        return data


_SCHEDULE_HELP = {
    "every_epochs": "multiply the rate by `factor` every this many epochs",
    "factor": "what the rate is multiplied by",
    "decay_rate": "the rate is learning_rate · decay_rate^(epoch / decay_epochs)",
    "decay_epochs": "epochs over which the rate is multiplied once by decay_rate",
    "warmup_epochs": "linear warm-up from 0 to learning_rate over this many epochs (0: none)",
    "alpha": "the rate decays to alpha · learning_rate (0 to 1)",
    "max_learning_rate": "the peak rate (empty: learning_rate)",
    "pct_start": "the part of the run spent rising to the peak (between 0 and 1)",
    "div_factor": "the run starts at max_learning_rate / div_factor",
    "final_div_factor": "and ends at the start rate / final_div_factor",
    "patience": "epochs without improvement of `monitor` before the rate is lowered",
    "min_lr": "the rate is never lowered below this",
    "min_delta": "a change of `monitor` smaller than this is no improvement",
}
_SCHEDULE_FACTOR_HELP = {"reduce_on_plateau": "what the rate is multiplied by when `monitor` stops improving "
                                              "(between 0 and 1)"}


def _sub_kind(default: Any, name: str) -> str:
    if default is None:
        return "optional_number"
    return "whole" if name == "patience" else "number"


# Each schedule's settings with builder.training.optimizers' defaults.
SCHEDULE_SETTINGS: dict[str, tuple[SubSetting, ...]] = {
    schedule: tuple(SubSetting(key, _sub_kind(default, key), default,
                               (_SCHEDULE_FACTOR_HELP.get(schedule) if key == "factor" else None)
                               or _SCHEDULE_HELP[key])
                    for key, default in params.items())
    for schedule, params in SCHEDULE_PARAMS.items()
}

def _recipe_sub(item) -> SubSetting:
    if isinstance(item.default, str) or item.node:
        kind = "name"
    else:
        kind = "whole" if isinstance(item.default, int) and not isinstance(item.default, bool) else "number"
    return SubSetting(item.name, kind, item.default, item.help)


# Each recipe's settings (a node id is a name; a required one has the default None).
RECIPE_SETTINGS: dict[str, tuple[SubSetting, ...]] = {
    name: tuple(_recipe_sub(item) for item in recipe.settings) for name, recipe in RECIPES.items()
}

# Early stopping's settings; the defaults are those builder.training's keras_callbacks.early_stopping sets
# (a test checks they agree).
EARLY_STOPPING_SETTINGS: tuple[SubSetting, ...] = (
    SubSetting("patience", "whole", 5, "epochs without improvement before training stops (changeable while a run "
                                       "goes on)"),
    SubSetting("restore_best_weights", "switch", True, "end with the weights of the best epoch, not the last"),
    SubSetting("min_delta", "number", 0.0, "a change of the monitored value smaller than this is no improvement"),
    SubSetting("start_from_epoch", "whole", 0, "epochs to wait before watching at all (a warm-up)"),
    SubSetting("baseline", "optional_number", None, "stop if the monitored value does not beat this (empty: none)"),
    SubSetting("monitor", "name", None, "what to watch (empty: training.monitor)"),
)

SETTINGS: tuple[Setting, ...] = (
    # --- basics --------------------------------------------------------------------------------------------
    Setting("epochs", BASICS, "whole", "Epochs", "How many passes over the training split (1 to 1,000,000)."),
    Setting("batch_size", BASICS, "whole", "Batch size",
            "Samples per training step; with several GPUs it is the global batch, split between them."),
    Setting("loss", BASICS, "name", "Loss",
            "A Keras loss name (sparse_categorical_crossentropy for integer class labels, mse for regression), "
            "\"reconstruction\" (the model learns to reproduce its input), or one per output node. Cross-entropy "
            "on an output without softmax/sigmoid is computed from logits.", LOSS_NAMES, per_output=True),
    Setting("metrics", BASICS, "names", "Metrics",
            "Metric names, comma-separated: accuracy, top_k_accuracy (k = 5) or top_3_accuracy…, precision, "
            "recall, auc, mae, mse, rmse, binary_iou (how well per-pixel masks overlap: IoU of the 1s at threshold "
            "0.5) or any Keras metric; or one list per output node.", METRIC_NAMES,
            per_output=True),
    Setting("loss_weights", BASICS, "output_weights", "Loss weights",
            "How much each output's loss counts in the total, per output node (empty: 1 each). For models with "
            "several outputs."),
    Setting("class_weight", BASICS, "class_weight", "Class weights",
            "Weigh the loss of rare classes up: \"balanced\" computes the weights from the training split "
            "(scikit-learn), or give one per class index, {\"0\": 1.0, \"1\": 5.0}."),
    Setting("seed", BASICS, "whole", "Seed",
            "Seeds the weights, the shuffling of the training data and augmentation: the same seed gives the "
            "same run (0 to 4,294,967,295)."),
    # --- optimizer and schedule -----------------------------------------------------------------------------
    Setting("optimizer", OPTIMIZER, "optimizer", "Optimizer",
            "A Keras optimizer (adam, sgd, adamw, rmsprop, …), with its own settings as a Keras config, e.g. "
            "{\"momentum\": 0.9, \"nesterov\": true} for SGD.", tuple(OPTIMIZERS)),
    Setting("learning_rate", OPTIMIZER, "number", "Learning rate",
            "The (peak) learning rate: a finite number above 0. It can be changed while a run goes on."),
    Setting("schedule", OPTIMIZER, "schedule", "Schedule",
            "How the learning rate changes over the run: constant, step, exponential, cosine (with warm-up), "
            "one_cycle or reduce_on_plateau; epochs in its settings are converted to steps.",
            tuple(SCHEDULE_PARAMS)),
    Setting("clipnorm", OPTIMIZER, "optional_number", "Clip norm",
            "Clip each gradient to this norm (empty: no clipping); above 0."),
    Setting("clipvalue", OPTIMIZER, "optional_number", "Clip value",
            "Clip each gradient value to ±this (empty: no clipping); above 0."),
    # --- regularisation -------------------------------------------------------------------------------------
    Setting("weight_decay", REGULARISATION, "optional_number", "Weight decay",
            "The optimizer's decoupled weight decay (empty: none); 0 or more."),
    Setting("label_smoothing", REGULARISATION, "number", "Label smoothing",
            "Soften the targets of the cross-entropy losses (the sparse one too): from 0, below 1."),
    # --- callbacks --------------------------------------------------------------------------------------------
    Setting("monitor", CALLBACKS, "name", "Monitor",
            "What the best checkpoint (best.keras), early stopping and reduce-on-plateau watch; val_accuracy, "
            "val_auc… are maximised, losses minimised.", MONITOR_NAMES),
    Setting("early_stopping", CALLBACKS, "early_stopping", "Early stopping",
            "Stop when the monitored value stops improving (Keras's EarlyStopping); off when empty."),
    Setting("tensorboard", CALLBACKS, "switch", "TensorBoard logs",
            "Write TensorBoard logs to the run's logs/ folder (tensorboard --logdir runs/)."),
    Setting("recipe", BASICS, "schedule", "Recipe",
            "How the graph is trained: supervised (outputs against the dataset's targets); autoencoder (the output "
            "reproduces the input; its encoder ends at the bottleneck node); vae (an encoder to a latent mean and "
            "log-variance, a decoder from its own Input); gan (a generator from a noise Input against a "
            "discriminator of the dataset's samples); diffusion (a denoiser of a noisy sample and its time step); "
            "distillation (the graph is a student taught by a trained teacher). The canvas outlines each role. "
            "`python main.py sample` draws from a VAE, GAN or diffusion model.",
            tuple(RECIPES)),
    # --- augmentation -------------------------------------------------------------------------------------------
    Setting("augmentation", AUGMENTATION, "augmentation", "Augmentation",
            "Keras preprocessing layers run on training batches only, each with its arguments as JSON ({} keeps "
            "the defaults). Per-image layers run in the order given, MixUp and CutMix last (they need a "
            "classification dataset and switch to the categorical loss). Images only."),
    # --- performance ---------------------------------------------------------------------------------------------
    Setting("mixed_precision", PERFORMANCE, "choice", "Mixed precision",
            "Train under Keras's mixed_float16 policy: faster on recent GPUs, slow on CPUs. \"auto\" measures it "
            "on a GPU at the start of the first run (off on a CPU).", ("auto", False, True)),
    Setting("jit_compile", PERFORMANCE, "choice", "XLA (jit_compile)",
            "XLA compilation, as model.compile(jit_compile=…): \"auto\" measures the model with and without XLA at "
            "the start of the first run on this device and keeps the faster (run.json says what it measured).",
            ("auto", True, False)),
    Setting("steps_per_execution", PERFORMANCE, "whole", "Steps per execution",
            "Batches per compiled call (progress is then reported per call); \"auto\" measures 1 and 8, then 32 "
            "(taken only when 5% faster than 8), at the start of the first run on this device and keeps the "
            "fastest; a number is used as it is."),
    Setting("prefetch_to_device", PERFORMANCE, "choice", "Prefetch to the GPU",
            "Copy the next training batches into the GPU's memory while it trains on this one "
            "(tf.data's prefetch_to_device): \"auto\" measures it on a GPU at the start of the first run (off on a "
            "CPU, where the batches already are where the model runs).", ("auto", False, True)),
    # --- distribution ---------------------------------------------------------------------------------------------
    Setting("strategy", DISTRIBUTION, "choice", "Strategy",
            "auto: every GPU found; none: the default device only; mirrored: every GPU of this machine (or the "
            "logical CPU devices); multiworker: several machines, configured by TF_CONFIG.", tuple(STRATEGIES)),
)

_BY_NAME = {s.name: s for s in SETTINGS}


def setting(name: str) -> Setting:
    """The schema entry of a TrainingConfig field; KeyError names the known ones."""
    try:
        return _BY_NAME[name]
    except KeyError:
        raise KeyError(f"no training setting {name!r}; settings: {', '.join(_BY_NAME)}") from None


def settings_in(group: str) -> list[Setting]:
    return [s for s in SETTINGS if s.group == group]


def unlisted_fields() -> list[str]:
    """TrainingConfig's fields the schema does not describe (empty when every one has an entry)."""
    return [f.name for f in fields(TrainingConfig) if f.name not in _BY_NAME]


def schema_dicts() -> list[dict[str, Any]]:
    """The schema as plain data (what `settings --json` prints)."""
    return [s.to_dict() for s in SETTINGS]


# --- validation --------------------------------------------------------------------------------------------------

def _about(line: str, name: str) -> bool:
    place = f"training.{name}"
    return line.startswith(place + ":") or line.startswith(place + ".")


def _checked_project(config: TrainingConfig) -> Project:
    """A project around `config` whose other parts are valid, so only the settings' own problems are listed."""
    graph = Graph()
    graph.add_node("Input", {"shape": [1]}, node_id="input")
    return Project(graph=graph, training=config)


def setting_problems(config: TrainingConfig, name: str, value: Any, names: bool = False) -> list[str]:
    """The engine's problems with `value` as the setting `name` of `config` (empty when good), one line each.

    The ranges are builder.project's validation; `names=True` also resolves the names only Keras knows (an
    optimizer, losses, metrics, augmentation layers) as `check` and `train` do, which imports Keras.
    """
    setting(name)
    candidate = dataclasses.replace(config, **{name: value})
    project = _checked_project(candidate)
    if name == "recipe":  # its node ids are looked up in the project's graph by `check` and `train`, not here
        return [line for line in project_problems(project) if _about(line, name)] or spec_problems(value, None)
    problems = settings_problems(project, data=False) if names else project_problems(project)
    return [line for line in problems if _about(line, name)]


# --- loss and metrics from the dataset's output kind ----------------------------------------------------------

# What a new dataset of each output kind trains with, unless the user chose a loss of their own.
OUTPUT_DEFAULTS: dict[str, dict[str, Any]] = {
    CLASSES: {"loss": "sparse_categorical_crossentropy", "metrics": ["accuracy"]},
    REGRESSION: {"loss": "mse", "metrics": ["mae"]},
}
_SAME_LOSS = {"mse": ("mse", "mean_squared_error"), "sparse_categorical_crossentropy": ("sparse_categorical_crossentropy",)}


def _is_output_default(config: TrainingConfig, kind: str) -> bool:
    default = OUTPUT_DEFAULTS[kind]
    return config.loss in _SAME_LOSS[default["loss"]] and config.metrics == default["metrics"]


def output_defaults(config: TrainingConfig, kind: str) -> dict[str, Any]:
    """The loss and metrics to set for a dataset whose targets are `kind` (classes or regression): empty when
    the config already has them, or when its loss and metrics are the user's own choice (not the default of
    some output kind), which is never overwritten."""
    if kind not in OUTPUT_DEFAULTS or _is_output_default(config, kind):
        return {}
    if not any(_is_output_default(config, other) for other in OUTPUT_DEFAULTS):
        return {}
    return {key: list(value) if isinstance(value, list) else value for key, value in OUTPUT_DEFAULTS[kind].items()}


def known_output_kind(dataset_name: str) -> str | None:
    """The output kind of a built-in or online dataset without loading it; None for a user's file (load it)."""
    if dataset_name in SOURCES:
        return SOURCES[dataset_name].output
    if dataset_name in ONLINE_SETS:
        return CLASSES  # every online set has class labels
    return None


def dataset_output_kind(project) -> str:
    """The output kind of the project's dataset (classes or regression); a user's file is loaded to find it
    (slow, may import Keras: call it off the GUI thread). Raises the loader's DatasetError."""
    kind = known_output_kind(project.dataset.name)
    if kind is not None:
        return kind
    from builder.data import load_dataset

    return load_dataset(project.dataset, project.folder()).output
