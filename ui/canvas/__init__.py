"""The canvas: a scene of node and wire items that follows the graph's events, the interactions that edit the
graph through undo commands, and the view (zoom, pan)."""
