"""The GAN's gradient step, TensorFlow-specific: Keras 3 has no backend-neutral gradient API, so the two updates
(tf.GradientTape) and the WGAN-GP gradient penalty live here; gan_model holds the losses, the noise and the rest,
backend-neutral. Called inside Keras's compiled train function (a tf.function)."""
from __future__ import annotations

import tensorflow as tf


def adversarial_step(model, real):
    """`model.discriminator_steps` discriminator updates then one generator update on a batch of real samples (as
    the discriminator sees them); returns (d_loss of the last discriminator update, g_loss)."""
    generator, discriminator = model.generator, model.discriminator
    batch = tf.shape(real)[0]
    d_loss = None
    for _ in range(model.discriminator_steps):
        fake = generator(model.noise(batch), training=True)
        with tf.GradientTape() as tape:
            real_logits = discriminator(real, training=True)
            fake_logits = discriminator(fake, training=True)
            d_loss = model.discriminator_loss(real_logits, fake_logits) + model.regularization(discriminator)
            if model.gradient_penalty > 0:
                d_loss = d_loss + model.gradient_penalty * gradient_penalty(discriminator, model.interpolation(real,
                                                                                                         fake))
            scaled = model.discriminator_optimizer.scale_loss(d_loss)
        variables = discriminator.trainable_variables
        model.discriminator_optimizer.apply(tape.gradient(scaled, variables), variables)
    with tf.GradientTape() as tape:
        fake_logits = discriminator(generator(model.noise(batch), training=True), training=True)
        g_loss = model.generator_loss(fake_logits) + model.regularization(generator)
        scaled = model.optimizer.scale_loss(g_loss)
    variables = generator.trainable_variables
    model.optimizer.apply(tape.gradient(scaled, variables), variables)
    return d_loss, g_loss


def gradient_penalty(discriminator, points):
    """Mean over the batch of (‖∂D/∂x at `points`‖₂ − 1)² (WGAN-GP)."""
    with tf.GradientTape() as tape:
        tape.watch(points)
        logits = tf.cast(discriminator(points, training=True), tf.float32)
    gradients = tf.reshape(tape.gradient(logits, points), (tf.shape(points)[0], -1))
    norms = tf.sqrt(tf.reduce_sum(tf.square(gradients), axis=1) + 1e-12)
    return tf.reduce_mean(tf.square(norms - 1.0))
