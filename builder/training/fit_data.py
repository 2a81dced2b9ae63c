"""What the trainer feeds model.fit: pipelines, class weights, per-output targets, fitted Normalization blocks."""
from __future__ import annotations

import math
from dataclasses import replace

import numpy as np

from builder.data import Dataset, length, train_and_validation
from builder.errors import TrainingError


def class_weights(config, dataset: Dataset) -> dict[int, float] | None:
    """training.class_weight: None, "balanced" (computed from the training split) or {class: weight}."""
    spec = config.class_weight
    if spec is None:
        return None
    if dataset.is_regression:
        raise TrainingError("training.class_weight applies to classification; the dataset is a regression set.")
    if spec == "balanced":
        from sklearn.utils.class_weight import compute_class_weight

        y = np.asarray(dataset.y_train).reshape(-1).astype("int64")
        classes = np.unique(y)
        weights = compute_class_weight("balanced", classes=classes, y=y)
        return {int(c): float(w) for c, w in zip(classes, weights)}
    if isinstance(spec, dict):
        try:
            return {int(k): float(v) for k, v in spec.items()}
        except ValueError:
            raise TrainingError(f'training.class_weight keys must be class indices ("0", "1", ...); got {spec}.') from None
    raise TrainingError(f'training.class_weight must be "balanced" or {{"0": 1.0, "1": 5.0}}; got {spec!r}.')


def adapt_normalization(graph, model, dataset: Dataset) -> list[str]:
    """Fit every Normalization block that reads an Input directly and has no mean/variance set to the training
    split, so the saved model takes raw input. Returns the adapted node ids."""
    adapted = []
    for node in graph.nodes.values():
        if node.type != "Normalization" or node.params.get("mean") is not None:
            continue
        sources = [graph.nodes[e.source].type for e in graph.edges if e.target == node.id]
        if sources != ["Input"]:
            continue
        x = dataset.x_train
        if isinstance(x, dict):
            source = next(e.source for e in graph.edges if e.target == node.id)
            x = x.get(source)
            if x is None:
                continue
        model.get_layer(node.id).adapt(np.asarray(x, dtype="float32"))
        adapted.append(node.id)
    return adapted


def targets_per_output(dataset: Dataset, output_names: list[str]) -> Dataset:
    """A multi-output model trained on one target array gets that array for every output."""
    if len(output_names) < 2 or isinstance(dataset.y_train, dict):
        return dataset
    spread = {name: None for name in output_names}
    return replace(dataset, y_train={k: dataset.y_train for k in spread}, y_val={k: dataset.y_val for k in spread},
                   y_test={k: dataset.y_test for k in spread})


def fit_inputs(dataset: Dataset, config, one_hot: bool, start_epoch: int = 0):
    """(fit arguments, validation data, steps per epoch): tf.data pipelines on TensorFlow, arrays elsewhere."""
    import keras

    steps = math.ceil(length(dataset.x_train) / config.batch_size)
    if keras.backend.backend() == "tensorflow":
        train, validation = train_and_validation(dataset, config.batch_size, config.seed,
                                                 augmentation=config.augmentation or None, endless=True,
                                                 start_epoch=start_epoch)
        return (train,), validation, steps
    return (np.asarray(dataset.x_train), np.asarray(dataset.y_train)), \
        (np.asarray(dataset.x_val), np.asarray(dataset.y_val)), steps
