"""The diffusion model as a Keras model: the denoiser ([x_t, t / T] → predicted noise) and the noise schedule, saved
and loaded as one .keras file (registered as layerboard>DiffusionModel).

Training (DDPM): each sample x (mapped from the data's training range to -1..1) gets a step t drawn uniformly from
1..T and noise ε from N(0, 1); the denoiser sees x_t = sqrt(ᾱ_t) x + sqrt(1 - ᾱ_t) ε and t / T, and the loss is the
mean squared error between ε and its prediction. t and ε come from the model's own SeedGenerator, whose state is
saved in the checkpoint, so a resumed run draws what an uninterrupted one would. Only keras.ops: any backend trains it.

The data's range (data_low, data_high) is measured on the training split when training starts (DataRange) and
kept as two non-trainable weights, so sampling maps -1..1 back to pixels.
"""
from __future__ import annotations

import keras
import numpy as np
from keras import ops

from builder.training.recipes.diffusion_schedule import ddim_sample, to_data_units
from builder.training.recipes.recipe_model import RecipeModel


@keras.saving.register_keras_serializable(package="layerboard")
class DiffusionModel(RecipeModel):
    """call(x) → (ε, ε̂): the noise added to x at a random step and the denoiser's prediction of it."""

    submodel_names = ("denoiser",)
    setting_names = ("alphas_cumprod", "schedule", "sampling_steps", "seed")

    def __init__(self, denoiser, alphas_cumprod, schedule="cosine", sampling_steps=50, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.denoiser = denoiser
        self.alphas_cumprod = [float(a) for a in alphas_cumprod]
        self.schedule = schedule
        self.sampling_steps = int(sampling_steps)
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)
        self.data_low = self.add_weight(shape=(), initializer="zeros", trainable=False, name="data_low")
        self.data_high = self.add_weight(shape=(), initializer="zeros", trainable=False, name="data_high")

    @property
    def timesteps(self) -> int:
        return len(self.alphas_cumprod)

    def build(self, input_shape):
        self.built = True

    def set_data_range(self, low: float, high: float) -> None:
        """The clean data's range (training split): it is mapped to -1..1 before noising."""
        self.data_low.assign(float(low))
        self.data_high.assign(float(high) if high > low else float(low) + 1.0)

    def range_measured(self) -> bool:
        return float(ops.convert_to_numpy(self.data_high)) > float(ops.convert_to_numpy(self.data_low))

    def data_range(self) -> tuple[float, float]:
        """The clean data's (low, high); (-1, 1) before it is measured."""
        if not self.range_measured():
            return -1.0, 1.0
        return float(ops.convert_to_numpy(self.data_low)), float(ops.convert_to_numpy(self.data_high))

    def call(self, x, training=False):
        x = ops.cast(x, "float32")
        data_low, data_high = ops.cast(self.data_low, "float32"), ops.cast(self.data_high, "float32")  # float16
        measured = data_high > data_low  # under a mixed policy, read back in the compute dtype
        low = ops.where(measured, data_low, -1.0)
        span = ops.where(measured, data_high - data_low, 2.0)
        clean = (x - low) / span * 2.0 - 1.0
        batch = ops.shape(clean)[0]
        steps = keras.random.randint((batch,), 0, self.timesteps, dtype="int32", seed=self.seed_generator)
        noise = keras.random.normal(ops.shape(clean), seed=self.seed_generator)
        alpha_bar = ops.take(ops.convert_to_tensor(np.asarray(self.alphas_cumprod, "float32")), steps)
        alpha_bar = ops.reshape(alpha_bar, (-1,) + (1,) * (len(clean.shape) - 1))
        noisy = ops.sqrt(alpha_bar) * clean + ops.sqrt(1.0 - alpha_bar) * noise
        time = ops.reshape(ops.cast(steps + 1, "float32") / float(self.timesteps), (-1, 1))
        return noise, self.denoiser([noisy, time], training=training)

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        noise, predicted = (ops.cast(t, "float32") for t in y_pred)
        return ops.mean(ops.square(noise - predicted))

    def generate(self, count: int, seed: int, steps: int | None = None) -> np.ndarray:
        """`count` new samples in the data's units: DDIM with `steps` steps (default sampling_steps) from seeded
        N(0, 1) noise; the same seed gives the same samples."""
        shape = tuple(self.denoiser.inputs[0].shape[1:])
        start = np.random.default_rng(seed).standard_normal((count, *shape))

        def predict_noise(x_t, time):
            return np.asarray(self.denoiser.predict_on_batch([x_t, time]))

        clean = ddim_sample(predict_noise, start, np.asarray(self.alphas_cumprod), steps or self.sampling_steps)
        return to_data_units(clean, *self.data_range())

    def schedule_facts(self) -> dict:
        """What a program needs beside the exported denoiser to sample: the schedule and the data's range."""
        low, high = self.data_range()
        return {"format": "layerboard-diffusion-schedule", "version": 1, "schedule": self.schedule,
                "timesteps": self.timesteps, "sampling_steps": self.sampling_steps,
                "alphas_cumprod": self.alphas_cumprod, "data_low": low, "data_high": high,
                "denoiser_inputs": ["x_t (the noisy sample, in -1..1 units)", "t / timesteps (shape (1,))"],
                "denoiser_output": "the predicted noise epsilon, of x_t's shape",
                "to_data": "x * (data_high - data_low) / 2 + (data_high + data_low) / 2"}


class DataRange(keras.callbacks.Callback):
    """Records the training split's range in the model when training starts (a resumed model keeps its own)."""

    def __init__(self, measure):
        super().__init__()
        self.measure = measure  # () -> (low, high) or None

    def on_train_begin(self, logs=None):
        measured = self.measure()
        if measured is not None and not self.model.range_measured():
            self.model.set_data_range(*measured)
