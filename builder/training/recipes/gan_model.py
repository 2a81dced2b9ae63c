"""The GAN as a Keras model (being built)."""
