"""The docked panels and dialogs around the canvas: palette, inspector and its parameter editors, training, export."""
