"""Keras objects Layerboard adds, registered so that saved models load anywhere this module is imported.

Sparse (integer) labels work with every classification control: label smoothing, and precision, recall and AUC
on a softmax output (micro-averaged over the one-hot labels, as Keras computes them on one-hot data).
"""
from __future__ import annotations

import keras
from keras import ops

PACKAGE = "layerboard"


def _one_hot(y_true, y_pred):
    classes = ops.shape(y_pred)[-1]
    return ops.one_hot(ops.cast(ops.reshape(y_true, (-1,)), "int32"), classes, dtype=y_pred.dtype)


@keras.saving.register_keras_serializable(PACKAGE)
class SmoothedSparseCategoricalCrossentropy(keras.losses.Loss):
    """Sparse categorical cross-entropy with label smoothing (Keras's sparse loss has none)."""

    def __init__(self, label_smoothing=0.0, from_logits=False, name="sparse_categorical_crossentropy", **kwargs):
        super().__init__(name=name, **kwargs)
        self.label_smoothing, self.from_logits = float(label_smoothing), bool(from_logits)

    def call(self, y_true, y_pred):
        return keras.losses.categorical_crossentropy(
            _one_hot(y_true, y_pred), y_pred, from_logits=self.from_logits, label_smoothing=self.label_smoothing)

    def get_config(self):
        return {**super().get_config(), "label_smoothing": self.label_smoothing, "from_logits": self.from_logits}


def _sparse_metric(base):
    class SparseLabels(base):
        def update_state(self, y_true, y_pred, sample_weight=None):
            if y_pred.shape[-1] is not None and y_pred.shape[-1] > 1 and len(y_true.shape) < len(y_pred.shape) \
                    or (len(y_true.shape) == len(y_pred.shape) and y_true.shape[-1] == 1 and y_pred.shape[-1] > 1):
                y_true = _one_hot(y_true, y_pred)
            return super().update_state(y_true, y_pred, sample_weight)

    SparseLabels.__name__ = SparseLabels.__qualname__ = f"Sparse{base.__name__}"
    return keras.saving.register_keras_serializable(PACKAGE)(SparseLabels)


SparsePrecision = _sparse_metric(keras.metrics.Precision)
SparseRecall = _sparse_metric(keras.metrics.Recall)
SparseAUC = _sparse_metric(keras.metrics.AUC)


def binary_iou(name: str = "binary_iou") -> keras.metrics.BinaryIoU:
    """The overlap of predicted and true masks over their union, for one sigmoid value per pixel (or sample)
    thresholded at 0.5. Only the positive class (1, the object) counts: the background's IoU is near 1 whatever
    the model does, and averaging it in (Keras's default) would flatter a model that finds nothing."""
    return keras.metrics.BinaryIoU(target_class_ids=[1], threshold=0.5, name=name)


# Metric names Layerboard adds to Keras's own (training.metrics): each name and the function that makes it.
NAMED_METRICS = {"binary_iou": binary_iou}
