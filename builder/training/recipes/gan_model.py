"""The GAN as a Keras model: a generator (noise → fake sample), a discriminator (sample → one logit, above 0 saying
"real") and the preprocessing the real samples pass through first (the dataset's Input up to the recipe's `real`
node), saved and loaded as one .keras file (registered as layerboard>GenerativeAdversarialNetwork).

Each training step makes `discriminator_steps` discriminator updates, then one generator update, each with its own
optimizer: `optimizer` (the engine's: its schedule and live changes) trains the generator, `discriminator_optimizer`
(a copy of it at `discriminator_learning_rate`, rescaled each step by the generator's current rate / its base
`learning_rate`) the discriminator. Both optimizers' states are saved in the checkpoint.

Losses (mean over the batch; l are logits, softplus(x) = log(1 + e^x)):
- gradient_penalty = 0, the non-saturating GAN losses (binary cross-entropy of logits):
  d_loss = (1 - s)·softplus(-l_real) + s·softplus(l_real) + softplus(l_fake)   (s: label_smoothing)
  g_loss = softplus(-l_fake)
- gradient_penalty = λ > 0, the WGAN-GP losses (the logit is a critic's score):
  d_loss = l_fake - l_real + λ·(‖∇x̂ D(x̂)‖₂ - 1)², x̂ = real + u·(fake - real), u ~ U(0, 1) per sample
  g_loss = -l_fake
`d_loss` and `g_loss` are logged, and `loss` = d_loss + g_loss so that progress, curves and the NaN guard have one
number: it is no quality figure (a GAN's losses do not fall as it learns; early stopping on it means little).
Validation (test_step) reports the same losses on validation samples without the gradient penalty.

Noise and the interpolation factors are drawn with the model's own SeedGenerator, whose state is saved in the
checkpoint, so a resumed run draws what an uninterrupted one would. The gradients are TensorFlow's
(gan_tensorflow_step): everything else here is backend-neutral.
"""
from __future__ import annotations

import keras
from keras import ops

from builder.training.recipes.recipe_model import RecipeModel


@keras.saving.register_keras_serializable(package="layerboard")
class GenerativeAdversarialNetwork(RecipeModel):
    """call(x) → the discriminator's logits of the real samples x; the generator is `generator`."""

    submodel_names = ("generator", "discriminator", "preprocessing")
    setting_names = ("discriminator_learning_rate", "learning_rate", "discriminator_steps", "gradient_penalty",
                     "label_smoothing", "seed")

    def __init__(self, generator, discriminator, preprocessing, discriminator_learning_rate=2e-4,
                 learning_rate=2e-4, discriminator_steps=1, gradient_penalty=0.0, label_smoothing=0.0, seed=None,
                 **kwargs):
        super().__init__(**kwargs)
        self.generator = generator
        self.discriminator = discriminator
        self.preprocessing = preprocessing
        self.discriminator_learning_rate = float(discriminator_learning_rate)
        self.learning_rate = float(learning_rate)  # the generator's base rate (the engine's training.learning_rate)
        self.discriminator_steps = int(discriminator_steps)
        self.gradient_penalty = float(gradient_penalty)
        self.label_smoothing = float(label_smoothing)
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)
        self.discriminator_optimizer = None
        self.loss_tracker = keras.metrics.Mean(name="loss")
        self.discriminator_tracker = keras.metrics.Mean(name="d_loss")
        self.generator_tracker = keras.metrics.Mean(name="g_loss")

    def build(self, input_shape):
        self.built = True

    @property
    def metrics(self):
        return [self.loss_tracker, self.discriminator_tracker, self.generator_tracker]

    # --- optimizers -----------------------------------------------------------------------------------------------

    def compile(self, optimizer="adam", **kwargs):
        """`optimizer` trains the generator; a copy of it at discriminator_learning_rate trains the discriminator.
        Both are built here, each for its network's variables (so a loaded checkpoint restores both)."""
        super().compile(optimizer=optimizer, **kwargs)
        self.discriminator_optimizer = self.optimizer_copy(self.optimizer)
        self.optimizer.build(self.generator.trainable_variables)
        self.discriminator_optimizer.build(self.discriminator.trainable_variables)

    def optimizer_copy(self, optimizer):
        inner = getattr(optimizer, "inner_optimizer", optimizer)  # under a mixed-precision loss scale
        config = {**inner.get_config(), "learning_rate": self.discriminator_learning_rate,
                  "name": f"discriminator_{inner.name}"}
        copy = type(inner).from_config(config)
        return keras.optimizers.LossScaleOptimizer(copy) if inner is not optimizer else copy

    def compile_from_config(self, config):
        self.compile(**keras.saving.deserialize_keras_object(config))

    def follow_learning_rate(self):
        """The discriminator's rate keeps its ratio to the generator's (a schedule or a live change moves both)."""
        ratio = self.discriminator_learning_rate / self.learning_rate if self.learning_rate > 0 else 1.0
        self.discriminator_optimizer.learning_rate = ops.cast(self.optimizer.learning_rate, "float32") * ratio

    # --- the pieces of a step (backend-neutral) -------------------------------------------------------------------

    def call(self, x, training=False):
        return self.discriminator(self.preprocessing(x, training=training), training=training)

    def real_samples(self, data):
        x = data[0] if isinstance(data, (tuple, list)) else data
        return ops.cast(self.preprocessing(x, training=False), "float32")

    def noise(self, batch):
        shape = tuple(self.generator.inputs[0].shape[1:])
        return keras.random.normal((batch, *shape), seed=self.seed_generator)

    def interpolation(self, real, fake):
        """Random points between real and fake samples, one factor per sample (WGAN-GP's x̂)."""
        batch = ops.shape(real)[0]
        u = keras.random.uniform((batch,) + (1,) * (len(real.shape) - 1), seed=self.seed_generator)
        return real + u * (ops.cast(fake, "float32") - real)

    def discriminator_loss(self, real_logits, fake_logits):
        real_logits, fake_logits = ops.cast(real_logits, "float32"), ops.cast(fake_logits, "float32")
        if self.gradient_penalty > 0:
            return ops.mean(fake_logits) - ops.mean(real_logits)
        s = self.label_smoothing
        real = (1.0 - s) * ops.softplus(-real_logits) + s * ops.softplus(real_logits)
        return ops.mean(real) + ops.mean(ops.softplus(fake_logits))

    def generator_loss(self, fake_logits):
        fake_logits = ops.cast(fake_logits, "float32")
        if self.gradient_penalty > 0:
            return -ops.mean(fake_logits)
        return ops.mean(ops.softplus(-fake_logits))

    @staticmethod
    def regularization(network):
        """The network's weight penalties (kernel_regularizer...) from its last call; 0 without any."""
        if not network.losses:
            return 0.0
        return ops.sum(ops.stack([ops.cast(v, "float32") for v in network.losses]))

    def record(self, d_loss, g_loss):
        self.discriminator_tracker.update_state(d_loss)
        self.generator_tracker.update_state(g_loss)
        self.loss_tracker.update_state(d_loss + g_loss)
        return {m.name: m.result() for m in self.metrics}

    # --- steps ------------------------------------------------------------------------------------------------------

    def train_step(self, data):
        if keras.backend.backend() != "tensorflow":
            raise RuntimeError(f"The GAN recipe trains with Keras's TensorFlow backend (its gradient step is "
                               f"TensorFlow's); this one runs {keras.backend.backend()}. Set KERAS_BACKEND="
                               "tensorflow.")
        from builder.training.recipes.gan_tensorflow_step import adversarial_step

        self.follow_learning_rate()
        d_loss, g_loss = adversarial_step(self, self.real_samples(data))
        return self.record(d_loss, g_loss)

    def test_step(self, data):
        real = self.real_samples(data)
        fake = self.generator(self.noise(ops.shape(real)[0]), training=False)
        real_logits = self.discriminator(real, training=False)
        fake_logits = self.discriminator(fake, training=False)
        return self.record(self.discriminator_loss(real_logits, fake_logits), self.generator_loss(fake_logits))
