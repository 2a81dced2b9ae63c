"""The VAE as a Keras model: an encoder (x → mean, log-variance, the target) and a decoder (z → reconstruction),
saved and loaded as one .keras file (registered as layerboard>VariationalAutoencoder).

Loss per batch: mean over samples of the per-sample reconstruction loss (sum over every value of the squared
error, or of the binary cross-entropy) + kl_weight · warm-up factor · KL(N(mean, exp(log_var)) ‖ N(0, 1)). The
warm-up factor is min(1, epoch / kl_warmup_epochs) (1 without warm-up), set by KlWarmup at each epoch's start.
`reconstruction_loss` and `kl_loss` are logged beside `loss`. z is drawn with the model's own SeedGenerator, whose
state is saved in the checkpoint, so a resumed run draws what an uninterrupted one would.
"""
from __future__ import annotations

import keras
from keras import ops

from builder.training.recipes.recipe_model import RecipeModel


@keras.saving.register_keras_serializable(package="layerboard")
class VariationalAutoencoder(RecipeModel):
    """encoder(x) → (mean, log_var, target); call(x) → decoder(mean + exp(log_var / 2) · ε)."""

    submodel_names = ("encoder", "decoder")
    setting_names = ("kl_weight", "kl_warmup_epochs", "reconstruction_loss", "seed")

    def __init__(self, encoder, decoder, kl_weight=1.0, kl_warmup_epochs=0, reconstruction_loss="squared_error",
                 seed=None, **kwargs):
        super().__init__(**kwargs)
        self.encoder = encoder
        self.decoder = decoder
        self.kl_weight = float(kl_weight)
        self.kl_warmup_epochs = int(kl_warmup_epochs)
        self.reconstruction_loss = reconstruction_loss
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)
        self.kl_factor = self.add_weight(shape=(), initializer="ones", trainable=False, name="kl_factor")
        self.reconstruction_tracker = keras.metrics.Mean(name="reconstruction_loss")
        self.kl_tracker = keras.metrics.Mean(name="kl_loss")

    def build(self, input_shape):
        self.built = True

    def warmup_factor(self, epoch: int) -> float:
        if self.kl_warmup_epochs <= 0:
            return 1.0
        return min(1.0, epoch / self.kl_warmup_epochs)

    def call(self, x, training=False):
        mean, log_var, target = self.encoder(x, training=training)
        epsilon = keras.random.normal(ops.shape(mean), seed=self.seed_generator)
        z = ops.cast(mean, "float32") + ops.exp(0.5 * ops.cast(log_var, "float32")) * epsilon
        return self.decoder(z, training=training), mean, log_var, target

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        reconstruction, mean, log_var, target = (ops.cast(t, "float32") for t in y_pred)
        target = ops.reshape(target, (ops.shape(target)[0], -1))
        reconstruction = ops.reshape(reconstruction, (ops.shape(reconstruction)[0], -1))
        if self.reconstruction_loss == "binary_crossentropy":
            per_value = keras.losses.binary_crossentropy(target[..., None], reconstruction[..., None])
        else:
            per_value = ops.square(target - reconstruction)
        reconstruction_loss = ops.mean(ops.sum(per_value, axis=-1))
        kl = -0.5 * ops.sum(1.0 + log_var - ops.square(mean) - ops.exp(log_var), axis=-1)
        kl_loss = ops.mean(kl)
        self.reconstruction_tracker.update_state(reconstruction_loss)
        self.kl_tracker.update_state(kl_loss)
        return reconstruction_loss + self.kl_weight * self.kl_factor * kl_loss


class KlWarmup(keras.callbacks.Callback):
    """Sets the model's KL warm-up factor at the start of each epoch (from the epoch number, so resume agrees)."""

    def on_epoch_begin(self, epoch, logs=None):
        self.model.kl_factor.assign(self.model.warmup_factor(epoch))
