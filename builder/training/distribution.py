"""tf.distribute strategies for training (TensorFlow-specific, so it lives apart from the Keras-only trainer).

- "auto": every GPU it finds — MirroredStrategy when there are several, the default device otherwise;
- "none": the default device;
- "mirrored": MirroredStrategy over all GPUs, or over the logical CPU devices when there is no GPU
  (`python main.py train --cpu-devices 2 --strategy mirrored` tries it on one machine);
- "multiworker": MultiWorkerMirroredStrategy configured by the standard TF_CONFIG environment variable.
"""
from __future__ import annotations

import contextlib
import json
import os

from builder.errors import TrainingError
from builder.project import STRATEGIES  # the one list: project validation checks training.strategy against it


def split_cpu(count: int) -> None:
    """Make the CPU appear as `count` logical devices; must run before TensorFlow touches a device."""
    import tensorflow as tf

    cpu = tf.config.list_physical_devices("CPU")[0]
    try:
        tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * int(count))
    except RuntimeError as exc:
        raise TrainingError(f"Cannot split the CPU into {count} devices after TensorFlow has started ({exc}).") from None


def make_strategy(name: str):
    """The tf.distribute strategy for a training config's `strategy`, or None for the default device."""
    if name not in STRATEGIES:
        raise TrainingError(f"Unknown strategy '{name}'; strategies: {', '.join(STRATEGIES)}.")
    if name == "none":
        return None
    import tensorflow as tf

    if name == "multiworker":
        if not os.environ.get("TF_CONFIG"):
            raise TrainingError("--strategy multiworker needs the TF_CONFIG environment variable (the cluster's "
                                'workers and this one\'s index), e.g. TF_CONFIG=\'{"cluster": {"worker": '
                                '["host1:12345", "host2:12345"]}, "task": {"type": "worker", "index": 0}}\'.')
        return tf.distribute.MultiWorkerMirroredStrategy()
    gpus = [d.name for d in tf.config.list_logical_devices("GPU")]
    if name == "auto":
        return tf.distribute.MirroredStrategy(gpus) if len(gpus) > 1 else None
    devices = gpus or [d.name for d in tf.config.list_logical_devices("CPU")]
    return tf.distribute.MirroredStrategy(devices)


def scope(strategy):
    return strategy.scope() if strategy is not None else contextlib.nullcontext()


def replicas(strategy) -> int:
    return strategy.num_replicas_in_sync if strategy is not None else 1


def is_chief() -> bool:
    """True unless TF_CONFIG names this process as a non-chief worker (only the chief writes files)."""
    raw = os.environ.get("TF_CONFIG")
    if not raw:
        return True
    try:
        config = json.loads(raw)
    except ValueError:
        return True
    task = config.get("task", {})
    kind, index = task.get("type", "worker"), int(task.get("index", 0))
    has_chief = bool(config.get("cluster", {}).get("chief"))
    return kind == "chief" or (not has_chief and kind == "worker" and index == 0)


def prepare_multiworker_fit(model, strategy, train_ds) -> None:
    """Work around Keras 3's fit() under MultiWorkerMirroredStrategy (tensorflow/tensorflow#72388; still in
    Keras 3.15): fit() peeks at one batch and averages it across workers, which fails for an (x, y) tuple, and
    averages the scalar logs of each step along axis 0, which a scalar does not have. Here the model's loss and
    metrics are built from the pipeline's element spec instead of a peeked batch, and scalar logs are averaged
    with axis=None. Only multi-worker runs go through this; it touches Keras's TensorFlow trainer internals, so
    it checks they are what it expects and otherwise leaves Keras alone."""
    import keras
    import tensorflow as tf
    from keras.src.backend.tensorflow import trainer as tf_trainer

    if not isinstance(strategy, tf.distribute.MultiWorkerMirroredStrategy):
        return
    if not all(hasattr(tf_trainer, name) for name in ("reduce_per_replica", "_collective_all_reduce_multi_worker")) \
            or not hasattr(model, "_symbolic_build"):
        return
    spec = tf.nest.map_structure(lambda s: keras.KerasTensor(s.shape, s.dtype.name), train_ds.element_spec)
    with strategy.scope():
        model._symbolic_build(data_batch=spec)
    model._maybe_symbolic_build = lambda iterator=None, data_batch=None: None
    if getattr(tf_trainer, "_layerboard_scalar_mean", False):
        return
    original = tf_trainer.reduce_per_replica

    def reduce_per_replica(values, strategy, reduction):
        if reduction in ("auto", "mean") and tf_trainer._collective_all_reduce_multi_worker(strategy):
            def mean(v):
                rank = getattr(getattr(v, "shape", None), "rank", None)
                return strategy.reduce("MEAN", v, axis=None if rank == 0 else 0)

            return tf.nest.map_structure(mean, values)
        return original(values, strategy, reduction)

    tf_trainer.reduce_per_replica = reduce_per_replica
    tf_trainer._layerboard_scalar_mean = True
