"""Work off the GUI thread (or off its current event): Keras's import, training, exports and imports, shape
inference after edits, TFLite checks; each reports back through Qt signals on the GUI thread."""
