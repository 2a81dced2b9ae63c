"""Layerboard's engine: graph, shapes, Keras build, data, training and export; no Qt."""
from builder.quiet_tensorflow import install as _quiet_tensorflow

_quiet_tensorflow()  # TensorFlow's start-up notices stay off the terminal (LAYERBOARD_DEBUG=1 shows them)
