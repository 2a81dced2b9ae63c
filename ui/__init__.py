"""Layerboard's Qt view: draws and edits the engine's graph; imports builder, never the reverse."""
