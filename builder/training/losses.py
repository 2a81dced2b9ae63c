"""Losses and metrics of a training config, as Keras objects (per output node for multi-output models).

Loss names are Keras's ("sparse_categorical_crossentropy", "categorical_crossentropy", "binary_crossentropy",
"mse", "mae", "huber", ...), plus "reconstruction" (the model learns to reproduce its input; mean squared error).
Cross-entropy on an output without softmax/sigmoid is computed from logits. Metric names: "accuracy",
"top_k_accuracy" (or "top_5_accuracy"), "precision", "recall", "auc", "mae", "mse", "rmse", "binary_iou" (the IoU of
per-pixel masks), or any Keras metric.

Per output node (a model with several outputs), `loss`, `metrics` and `loss_weights` may be dicts keyed by output
node. An output that a loss dict leaves out is not trained: it gets no target, loss, metric or weight, and is still
a model output (predicted and exported), e.g. an autoencoder's bottleneck. Keras needs every output named in a loss
dict, so such an output is compiled with the loss None (and fed a placeholder target, builder.training.fit_data).
"""
from __future__ import annotations

import re
from typing import Any

from builder.errors import TrainingError
from builder.model import output_activation
from builder.project import RECONSTRUCTION

CROSSENTROPY = ("sparse_categorical_crossentropy", "categorical_crossentropy", "binary_crossentropy")
_PROBABILITY_ACTIVATIONS = {"softmax", "sigmoid", "log_softmax"}


def is_reconstruction(config) -> bool:
    return config.loss == RECONSTRUCTION


def trained_outputs(output_names: list[str], config) -> list[str]:
    """The outputs trained against a target: all of them, or those a per-output loss dict names."""
    if isinstance(config.loss, dict):
        return [o for o in output_names if o in config.loss]
    return list(output_names)


def per_output_problems(config, output_names: list[str]) -> list[str]:
    """What is wrong with the per-output dicts of loss, metrics and loss_weights for a model with these outputs,
    one line each naming the field: a key that is no output node, a loss dict that trains nothing, metrics or a
    weight for an output that has no loss."""
    if not output_names:
        return []
    problems = []
    outputs = ", ".join(repr(o) for o in output_names)
    trained = trained_outputs(output_names, config)
    for what in ("loss", "metrics", "loss_weights"):
        value = getattr(config, what)
        if not isinstance(value, dict):
            continue
        for key in value:
            if key not in output_names:
                problems.append(f"training.{what}: names {key!r}, which is not an output node of the model (its "
                                f"outputs: {outputs}); key it by an output's name")
            elif key not in trained:
                problems.append(f"training.{what}: names {key!r}, which has no loss and so is not trained: remove "
                                f"it from training.{what}, or give {key!r} a loss")
    if isinstance(config.loss, dict) and not trained:
        problems.append(f"training.loss: gives none of the model's outputs ({outputs}) a loss, so nothing would be "
                        "trained; name at least one output")
    return problems


def _per_output(value, outputs: list[str], default: Any) -> dict[str, Any]:
    """One value per output: a dict's own entries (`default` for the outputs it leaves out), or the one value."""
    if isinstance(value, dict):
        return {o: value.get(o, default) for o in outputs}
    return {o: value for o in outputs}


def _unknown_loss(name: str) -> str:
    return (f"Unknown loss '{name}'. Common losses: sparse_categorical_crossentropy, categorical_crossentropy, "
            "binary_crossentropy, mse, mae, huber, reconstruction.")


def _unknown_metric(name: str) -> str:
    return (f"Unknown metric '{name}'. Metrics: accuracy, top_k_accuracy, precision, recall, auc, mae, mse, rmse, "
            "binary_iou, or any Keras metric name.")


def loss_name_problem(name: str) -> str | None:
    """Why make_loss would refuse a loss name, or None; resolves the name as make_loss does, making nothing."""
    import keras

    if name == RECONSTRUCTION or name in CROSSENTROPY:
        return None
    try:
        keras.losses.get(name)  # a function, or a Loss object (which holds no variables)
    except ValueError:
        return _unknown_loss(name)
    return None


def metric_name_problem(name: str) -> str | None:
    """Why make_metric would refuse a metric name, or None, without making the metric (a Keras metric holds
    variables, and creating one would start TensorFlow's runtime before a distribution strategy is chosen)."""
    import keras

    from builder.training.keras_objects import NAMED_METRICS

    if re.fullmatch(r"top_(k|\d+)_accuracy", name) or name in ("precision", "recall", "auc", "rmse", "accuracy", "acc"):
        return None
    if name in NAMED_METRICS:
        return None
    if isinstance(getattr(keras.metrics, name, None), type):  # a class name: make_metric makes an instance
        return None
    if name[:1].islower():
        try:
            keras.metrics.get(name)  # a lower-case name resolves to a function
        except ValueError:
            return _unknown_metric(name)
        return None
    return _unknown_metric(name)


def make_loss(name: str, config, activation: str | None, one_hot_labels: bool = False):
    import keras

    from builder.training import keras_objects

    if name == RECONSTRUCTION:
        return keras.losses.MeanSquaredError()
    logits = name in CROSSENTROPY and activation not in _PROBABILITY_ACTIVATIONS
    smoothing = float(config.label_smoothing or 0.0)
    if name == "sparse_categorical_crossentropy" and one_hot_labels:
        name = "categorical_crossentropy"  # MixUp/CutMix mix one-hot labels
    if name == "sparse_categorical_crossentropy":
        if smoothing:
            return keras_objects.SmoothedSparseCategoricalCrossentropy(smoothing, from_logits=logits)
        return keras.losses.SparseCategoricalCrossentropy(from_logits=logits)
    if name == "categorical_crossentropy":
        return keras.losses.CategoricalCrossentropy(from_logits=logits, label_smoothing=smoothing)
    if name == "binary_crossentropy":
        return keras.losses.BinaryCrossentropy(from_logits=logits, label_smoothing=smoothing)
    try:
        return keras.losses.get(name)
    except ValueError:
        raise TrainingError(_unknown_loss(name)) from None


def make_metric(name: str, loss_name: str):
    import keras

    from builder.training import keras_objects

    sparse = loss_name == "sparse_categorical_crossentropy"
    top_k = re.fullmatch(r"top_(k|\d+)_accuracy", name)
    if top_k:
        k = 5 if top_k.group(1) == "k" else int(top_k.group(1))
        cls = keras.metrics.SparseTopKCategoricalAccuracy if sparse else keras.metrics.TopKCategoricalAccuracy
        return cls(k=k, name=name)
    named = {"precision": keras_objects.SparsePrecision, "recall": keras_objects.SparseRecall,
             "auc": keras_objects.SparseAUC}
    if name in named:
        return named[name](name=name) if sparse else getattr(keras.metrics, named[name].__name__[6:])(name=name)
    if name == "rmse":
        return keras.metrics.RootMeanSquaredError(name="rmse")
    if name in keras_objects.NAMED_METRICS:
        return keras_objects.NAMED_METRICS[name]()
    if name in ("accuracy", "acc"):
        return "accuracy"
    try:
        keras.metrics.get(name)
    except ValueError:
        raise TrainingError(_unknown_metric(name)) from None
    return name


def compile_arguments(graph, output_names: list[str], config, one_hot_labels: bool = False) -> dict[str, Any]:
    """loss, loss_weights and metrics for model.compile, one per output when the model has several; an output
    that a per-output loss dict leaves out gets the loss None, no metrics and no weight (it is not trained)."""
    problems = per_output_problems(config, output_names)
    if problems:
        raise TrainingError("; ".join(problems) + ".")
    trained = trained_outputs(output_names, config)
    losses = _per_output(config.loss, trained, None)
    metrics = _per_output(config.metrics, trained, [])
    built = {o: None for o in output_names}
    built.update({o: make_loss(losses[o], config, output_activation(graph, o) if o in graph.nodes else None,
                               one_hot_labels) for o in trained})
    built_metrics = {o: [make_metric(m, losses[o] if not one_hot_labels else "categorical_crossentropy")
                         for m in list(metrics[o])] for o in trained}
    weights = None
    if config.loss_weights:  # Keras wants a weight for every output named in the loss dict
        weights = {o: 0.0 for o in output_names}
        weights.update(_per_output(config.loss_weights, trained, 1.0))
    if len(output_names) == 1:
        only = output_names[0]
        return {"loss": built[only], "metrics": built_metrics[only],
                "loss_weights": [weights[only]] if weights else None}
    return {"loss": built, "metrics": built_metrics, "loss_weights": weights}
