"""What the trainer feeds model.fit: pipelines, class weights, per-output targets, fitted Normalization blocks."""
from __future__ import annotations

import math
from dataclasses import replace

import numpy as np

from builder.data import Dataset, length, prefetch_to_accelerator, train_and_validation
from builder.errors import TrainingError
from builder.project import RECONSTRUCTION
from builder.training.losses import trained_outputs


def class_weights(config, dataset: Dataset) -> dict[int, float] | None:
    """training.class_weight: None, "balanced" (computed from the training split) or {class: weight}."""
    spec = config.class_weight
    if spec is None:
        return None
    if dataset.is_regression:
        raise TrainingError("training.class_weight applies to classification; the dataset is a regression set.")
    if isinstance(dataset.y_train, dict):  # Keras weighs classes of one output only
        raise TrainingError("training.class_weight applies to a model trained against one target; this model has "
                            f"several ({', '.join(dataset.y_train)}): set class_weight to null.")
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


def targets_per_output(dataset: Dataset, output_names: list[str], config,
                       input_names: list[str] | None = None) -> Dataset:
    """The dataset as model.fit takes it: y holds, per output with a loss, its target (the target of its name in a
    multi-output set, else the one target array; the inputs for the loss "reconstruction"), and a placeholder for
    each output that is not trained (Keras wants a y entry per output; its loss is None, so nothing reads it).
    With one output y is that output's target. A multi-input set keeps the arrays the model's Inputs read
    (`input_names`)."""
    trained = trained_outputs(output_names, config)
    losses = config.loss if isinstance(config.loss, dict) else {o: config.loss for o in output_names}

    def inputs(x):
        if isinstance(x, dict) and input_names is not None:
            return {name: x[name] for name in input_names if name in x}
        return x

    def target(x, y, output: str):
        if output not in trained:
            return np.zeros((length(x),), "float32")
        if losses[output] == RECONSTRUCTION:
            return _reconstruction_target(x, output)
        if isinstance(y, dict):
            if output not in y:
                raise TrainingError(f"Output '{output}' has a loss but dataset '{dataset.name}' has no target of that "
                                    f"name (its targets: {', '.join(y)}): rename the output, or leave it out of the "
                                    "per-output training.loss so it is not trained.")
            return y[output]
        return y

    def targets(x, y):
        per_output = {o: target(x, y, o) for o in output_names}
        return per_output[output_names[0]] if len(output_names) == 1 else per_output

    return replace(dataset, x_train=inputs(dataset.x_train), x_val=inputs(dataset.x_val),
                   x_test=inputs(dataset.x_test), y_train=targets(dataset.x_train, dataset.y_train),
                   y_val=targets(dataset.x_val, dataset.y_val), y_test=targets(dataset.x_test, dataset.y_test))


def _reconstruction_target(x, output: str):
    """The samples themselves: the input array, or the only one of a multi-input set."""
    if not isinstance(x, dict):
        return x
    if len(x) == 1:
        return next(iter(x.values()))
    raise TrainingError(f"Output '{output}' has the loss 'reconstruction', which compares it with the model's one "
                        f"input, but the dataset feeds {len(x)} inputs ({', '.join(x)}); give it another loss.")


def fit_inputs(dataset: Dataset, config, one_hot: bool, start_epoch: int = 0, to_device: bool = False):
    """(fit arguments, validation data, steps per epoch): tf.data pipelines on TensorFlow, arrays elsewhere.
    to_device: the training batches are prefetched into the GPU's memory (on TensorFlow, when there is a GPU)."""
    import keras

    steps = math.ceil(length(dataset.x_train) / config.batch_size)
    if keras.backend.backend() == "tensorflow":
        train, validation = train_and_validation(dataset, config.batch_size, config.seed,
                                                 augmentation=config.augmentation or None, endless=True,
                                                 start_epoch=start_epoch)
        return (prefetch_to_accelerator(train) if to_device else train,), validation, steps
    return (np.asarray(dataset.x_train), np.asarray(dataset.y_train)), \
        (np.asarray(dataset.x_val), np.asarray(dataset.y_val)), steps
