"""Layerboard's engine: graph, shapes, Keras build, data, training and export; no Qt."""
