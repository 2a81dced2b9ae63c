"""The diffusion model as a Keras model (being built)."""
