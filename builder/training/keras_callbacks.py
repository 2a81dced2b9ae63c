"""Keras callbacks the trainer adds from the training config: early stopping and epoch-level TensorBoard logs."""
from __future__ import annotations

from pathlib import Path

from builder.errors import TrainingError
from builder.training.checkpoints import maximised


def early_stopping(config):
    if not config.early_stopping:
        return None
    import keras

    settings = {} if config.early_stopping is True else dict(config.early_stopping)
    allowed = {"patience", "restore_best_weights", "min_delta", "start_from_epoch", "baseline", "monitor"}
    unknown = set(settings) - allowed
    if unknown:
        raise TrainingError(f"training.early_stopping has no setting '{sorted(unknown)[0]}'; "
                            f"settings: {', '.join(sorted(allowed))}.")
    settings.setdefault("monitor", config.monitor)
    settings.setdefault("patience", 5)
    settings.setdefault("restore_best_weights", True)
    settings["mode"] = "max" if maximised(settings["monitor"]) else "min"
    return keras.callbacks.EarlyStopping(**settings)


def epoch_tensorboard(run_dir: Path):
    """Keras's TensorBoard callback writing epoch summaries. Its batch hooks are switched off: with
    update_freq="epoch" they write nothing, yet Keras 3 still prepares a summary per metric per batch, which
    cost 10-20 % of a small model's step time (bench/training_overhead.py)."""
    import keras

    class EpochTensorBoard(keras.callbacks.TensorBoard):
        def on_train_batch_begin(self, batch, logs=None):
            pass

        def on_train_batch_end(self, batch, logs=None):
            pass

        def on_test_batch_begin(self, batch, logs=None):
            pass

        def on_test_batch_end(self, batch, logs=None):
            pass

    return EpochTensorBoard(log_dir=str(run_dir / "logs"), write_graph=False, update_freq="epoch", profile_batch=0,
                            write_steps_per_second=False)
