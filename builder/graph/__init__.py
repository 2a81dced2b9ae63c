"""The graph model: nodes, wires between numbered ports, change events, graph algorithms and layout."""
from builder.graph.algorithms import nodes_on_cycles, topological_order
from builder.graph.events import (EdgeAdded, EdgeRemoved, EventEmitter, FlagChanged, NodeAdded, NodeMoved,
                                  NodeRemoved, NodeRenamed, ParamChanged)
from builder.graph.elements import Edge, Node, call_id
from builder.graph.insertion import (CYCLE_PROBLEM, SAME_NODE_PROBLEM, Insertion, connect_at, downstream_nodes,
                                     insert_node_on_edge, undo_insertion, upstream_nodes, wire_problem)
from builder.graph.graph import MAX_NODE_ID_LENGTH, Graph, node_id_problem, snake_case
from builder.graph.layout import NODE_HEIGHT, NODE_WIDTH, apply_layout, layered_positions, make_room, place_clear

__all__ = [
    "Edge", "EdgeAdded", "EdgeRemoved", "EventEmitter", "FlagChanged", "Graph", "Node", "NodeAdded", "NodeMoved",
    "NodeRemoved", "ParamChanged", "NODE_HEIGHT", "NODE_WIDTH", "layered_positions", "make_room", "place_clear",
    "apply_layout", "call_id", "nodes_on_cycles", "snake_case", "topological_order",
    "MAX_NODE_ID_LENGTH", "NodeRenamed", "node_id_problem",
    "CYCLE_PROBLEM", "SAME_NODE_PROBLEM", "Insertion", "connect_at", "downstream_nodes", "insert_node_on_edge",
    "undo_insertion", "upstream_nodes", "wire_problem",
]
