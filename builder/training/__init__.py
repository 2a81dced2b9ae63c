"""Training: the Trainer and its progress callbacks, checkpoints, live control, evaluation, prediction, doctor.

Nothing here imports Keras or TensorFlow when imported; the first call that needs them does. Layerboard's own
Keras objects (the smoothed sparse loss, the sparse-label metrics) register themselves with Keras when their
module loads, so they are handed out on first use: `from builder.training import SparseAUC` imports Keras.
"""
from builder.training.checkpoints import clear_run_dir, maximised, read_checkpoint_epoch
from builder.training.distribution import STRATEGIES, is_chief, split_cpu
from builder.training.doctor import AND_CUDA, device_summary, diagnose, explain_devices, report_from_facts
from builder.training.evaluation import (
    Evaluation, class_index, evaluate, residual_points, samples_in_cell, split_samples,
)
from builder.training.failure_messages import explain_failure
from builder.training.fit_data import class_weights, targets_per_output
from builder.training.live_control import ControlRequest, read_control_request, write_control_request
from builder.training.losses import compile_arguments
from builder.training.optimizers import OPTIMIZERS, SCHEDULE_PARAMS, make_optimizer, make_schedule
from builder.training.prediction import format_predictions, load_input, predict_files, predict_samples
from builder.training.progress import TrainingCallbacks, TrainingResult
from builder.training.recipes import (
    Interpolation, can_interpolate, draws_samples, interpolation_grid, recipe_node_settings, refuse_interpolation,
    samples_path, write_png,
)
from builder.training.project_model import (
    PROJECT_WEIGHTS, ProjectModel, as_project_model, latest_run_model, project_model, run_model_file,
)
from builder.training.performance import PerformanceChoice, choose_performance
from builder.training.run_history import (FAILED, FINISHED, INTERRUPTED, STOPPED, RunSummary, adopt_runs, history,
                                          list_runs, performance_text, read_run)
from builder.training.settings_check import settings_problems, validate_settings
from builder.training.settings_schema import (GROUPS, OUTPUT_DEFAULTS, SETTINGS, Setting, SubSetting,
                                              dataset_output_kind, known_output_kind, output_defaults,
                                              schema_dicts, setting, setting_problems, unlisted_fields)
from builder.training.trainer import Trainer, new_run_dir
from builder.training.training_process import STOP_GRACE_S, TrainingProcess
from builder.training.training_process import job as training_job
from builder.training.training_process import result_from_dict as training_result_from_dict
from builder.training.training_process import result_from_disk as training_result_from_disk

KERAS_OBJECTS = ("SmoothedSparseCategoricalCrossentropy", "SparseAUC", "SparsePrecision", "SparseRecall")


def __getattr__(name: str):
    """Layerboard's Keras objects, imported on first use: their module imports Keras."""
    if name in KERAS_OBJECTS:
        from builder.training import keras_objects

        return getattr(keras_objects, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "AND_CUDA", "KERAS_OBJECTS", "OPTIMIZERS", "SCHEDULE_PARAMS", "STRATEGIES", "Evaluation", "Trainer",
    "TrainingCallbacks", "TrainingResult", "class_weights", "maximised", "targets_per_output", "clear_run_dir", "compile_arguments", "device_summary",
    "diagnose",
    "evaluate", "explain_devices", "explain_failure", "format_predictions", "is_chief", "make_optimizer",
    "make_schedule", "predict_files", "report_from_facts", "settings_problems", "split_cpu", "validate_settings", "write_control_request",
    # an evaluation's samples: one confusion cell's, a residual plot's points, a split's inputs; Try it:
    "class_index", "load_input", "predict_samples", "residual_points", "samples_in_cell", "split_samples",
    # a control.json, read with every check:
    "ControlRequest", "read_control_request",
    # the project's model (a run's, or the project with its own weights):
    "PROJECT_WEIGHTS", "ProjectModel", "as_project_model", "latest_run_model", "project_model", "run_model_file",
    # the project's runs read back from disk (the runs list), and taking them along when the project is saved:
    "FAILED", "FINISHED", "INTERRUPTED", "STOPPED", "RunSummary", "adopt_runs", "history", "list_runs", "performance_text",
    "PerformanceChoice", "choose_performance",
    "read_run",
    # a recipe's samples during training, and a walk through an autoencoder's or a VAE's latent space:
    "Interpolation", "can_interpolate", "draws_samples", "interpolation_grid", "refuse_interpolation", "samples_path",
    "write_png",
    # the training recipe's settings that name nodes (they follow a renamed node):
    "recipe_node_settings",
    # training in a child process:
    "STOP_GRACE_S", "TrainingProcess", "read_checkpoint_epoch", "new_run_dir", "training_job", "training_result_from_dict",
    "training_result_from_disk",
    # the training settings' schema (groups, kinds, defaults, help) and checking one setting as it is typed:
    "GROUPS", "OUTPUT_DEFAULTS", "SETTINGS", "Setting", "SubSetting", "dataset_output_kind", "known_output_kind",
    "output_defaults", "schema_dicts", "setting", "setting_problems", "unlisted_fields",
    # Keras objects (importing one imports Keras):
    "SmoothedSparseCategoricalCrossentropy", "SparseAUC", "SparsePrecision", "SparseRecall",
]
