"""The model canvas: a QGraphicsScene of node and wire items that follows the graph, and its view."""
