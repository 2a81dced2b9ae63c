"""Knowledge distillation as a Keras model: a student (the project's graph, a softmax classifier) trained against
the dataset's labels and a frozen teacher's softened outputs, saved and loaded as one .keras file (registered as
layerboard>DistillationModel).

The teacher is saved inside the checkpoint (its config and weights), so a resumed run continues with exactly the
teacher it started with, whatever happens to the teacher's file afterwards; it is never trained.

Loss per batch: alpha · CE(y, student) + (1 − alpha) · T² · KL(softmax(t / T) ‖ softmax(s / T)), where t and s
are the teacher's and the student's logits, log(p + ε) of their softmax outputs. `student_loss` (the true-label
part) and `distillation_loss` (the KL term, times T²) are logged beside `loss` and the compiled metrics.
"""
from __future__ import annotations

import keras
from keras import ops

from builder.training.recipes.recipe_model import RecipeModel

EPSILON = 1e-7


def logits(probabilities):
    """Logits of a softmax output, up to a constant: log(p + ε)."""
    return ops.log(ops.cast(probabilities, "float32") + EPSILON)


@keras.saving.register_keras_serializable(package="layerboard")
class DistillationModel(RecipeModel):
    """call(x) → student(x); the teacher only enters the loss."""

    submodel_names = ("student", "teacher")
    setting_names = ("temperature", "alpha", "one_hot")

    def __init__(self, student, teacher, temperature=4.0, alpha=0.1, one_hot=False, **kwargs):
        super().__init__(**kwargs)
        self.student = student
        self.teacher = teacher
        self.teacher.trainable = False
        self.temperature = float(temperature)
        self.alpha = float(alpha)
        self.one_hot = bool(one_hot)  # labels are one-hot vectors (categorical_crossentropy) rather than indices
        self.student_tracker = keras.metrics.Mean(name="student_loss")
        self.distillation_tracker = keras.metrics.Mean(name="distillation_loss")

    def build(self, input_shape):
        self.built = True

    def call(self, x, training=False):
        return self.student(x, training=training)

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        student = ops.cast(y_pred, "float32")
        if self.one_hot:
            true_label = keras.losses.categorical_crossentropy(ops.cast(y, "float32"), student)
        else:
            true_label = keras.losses.sparse_categorical_crossentropy(y, student)
        student_loss = ops.mean(true_label)
        t = self.temperature
        teacher = ops.softmax(logits(self.teacher(x, training=False)) / t, axis=-1)
        student_log = ops.log_softmax(logits(student) / t, axis=-1)
        kl = ops.sum(teacher * (ops.log(teacher + EPSILON) - student_log), axis=-1)
        distillation_loss = t * t * ops.mean(kl)
        self.student_tracker.update_state(student_loss)
        self.distillation_tracker.update_state(distillation_loss)
        loss = self.alpha * student_loss + (1.0 - self.alpha) * distillation_loss
        if self.losses:  # the student's regularisation penalties
            loss = loss + ops.sum(ops.stack([ops.cast(v, "float32") for v in self.losses]))
        return loss
