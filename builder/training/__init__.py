"""Training: the Trainer and its progress callbacks, checkpoints, live control, evaluation, prediction, doctor.

Nothing here imports Keras or TensorFlow when imported; the first call that needs them does. Layerboard's own
Keras objects (the smoothed sparse loss, the sparse-label metrics) register themselves with Keras when their
module loads, so they are handed out on first use: `from builder.training import SparseAUC` imports Keras.
"""
from builder.training.checkpoints import clear_run_dir
from builder.training.distribution import STRATEGIES, is_chief, split_cpu
from builder.training.doctor import AND_CUDA, device_summary, diagnose, explain_devices, report_from_facts
from builder.training.evaluation import Evaluation, evaluate
from builder.training.failure_messages import explain_failure
from builder.training.fit_data import class_weights
from builder.training.live_control import ControlRequest, read_control_request, write_control_request
from builder.training.losses import compile_arguments
from builder.training.optimizers import OPTIMIZERS, SCHEDULE_PARAMS, make_optimizer, make_schedule
from builder.training.prediction import format_predictions, predict_files
from builder.training.progress import TrainingCallbacks, TrainingResult
from builder.training.project_model import PROJECT_WEIGHTS, ProjectModel, latest_run_model, project_model
from builder.training.settings_check import settings_problems, validate_settings
from builder.training.trainer import Trainer

KERAS_OBJECTS = ("SmoothedSparseCategoricalCrossentropy", "SparseAUC", "SparsePrecision", "SparseRecall")


def __getattr__(name: str):
    """Layerboard's Keras objects, imported on first use: their module imports Keras."""
    if name in KERAS_OBJECTS:
        from builder.training import keras_objects

        return getattr(keras_objects, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "AND_CUDA", "KERAS_OBJECTS", "OPTIMIZERS", "SCHEDULE_PARAMS", "STRATEGIES", "Evaluation", "Trainer",
    "TrainingCallbacks", "TrainingResult", "class_weights", "clear_run_dir", "compile_arguments", "device_summary",
    "diagnose",
    "evaluate", "explain_devices", "explain_failure", "format_predictions", "is_chief", "make_optimizer",
    "make_schedule", "predict_files", "report_from_facts", "settings_problems", "split_cpu", "validate_settings", "write_control_request",
    # a control.json, read with every check:
    "ControlRequest", "read_control_request",
    # the project's model (a run's, or the project with its own weights):
    "PROJECT_WEIGHTS", "ProjectModel", "latest_run_model", "project_model",
    # Keras objects (importing one imports Keras):
    "SmoothedSparseCategoricalCrossentropy", "SparseAUC", "SparsePrecision", "SparseRecall",
]
