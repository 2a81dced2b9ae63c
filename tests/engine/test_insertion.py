"""Inserting a node into a wire, putting a wire back at its place, and why a wire is refused (builder.graph.insertion)."""
import pytest

from builder.errors import GraphError
from builder.graph import (CYCLE_PROBLEM, SAME_NODE_PROBLEM, Edge, Graph, connect_at, downstream_nodes,
                           insert_node_on_edge, undo_insertion, upstream_nodes, wire_problem)


def chain() -> Graph:
    """in → a → b → out, plus a side wire a → out (port 1), so the split wire is not the last one."""
    graph = Graph()
    for node_id, block_type in (("inp", "Input"), ("a", "Dense"), ("b", "Dense"), ("out", "Concatenate")):
        graph.add_node(block_type, {}, (0, 0), node_id)
    graph.connect("inp", "a")
    graph.connect("a", "b")
    graph.connect("b", "out", 0, 0)
    graph.connect("a", "out", 0, 1)
    return graph


def test_inserting_a_node_rewires_source_node_target_and_undo_restores_the_exact_graph():
    graph = chain()
    before = graph.to_dict()
    graph.add_node("Dropout", {"rate": 0.5}, (5, 5), "drop")

    done = insert_node_on_edge(graph, Edge("a", "b"), "drop")

    assert Edge("a", "b") not in graph.edges
    assert Edge("a", "drop") in graph.edges and Edge("drop", "b") in graph.edges
    assert done.index == 1 and done.into_node == Edge("a", "drop") and done.out_of_node == Edge("drop", "b")
    undo_insertion(graph, done)
    graph.remove_node("drop")
    assert graph.to_dict() == before  # the split wire is back at its place, not at the end


def test_inserting_keeps_the_ports_of_the_split_wire():
    graph = chain()
    graph.add_node("Dense", {}, (0, 0), "d")
    insert_node_on_edge(graph, Edge("a", "out", 0, 1), "d")
    assert Edge("a", "d", 0, 0) in graph.edges and Edge("d", "out", 0, 1) in graph.edges


def test_an_insertion_that_would_make_a_cycle_changes_nothing():
    graph = chain()
    before = graph.to_dict()
    with pytest.raises(GraphError, match="cycle"):
        insert_node_on_edge(graph, Edge("inp", "a"), "b")  # b is downstream of a
    with pytest.raises(GraphError, match="same block"):
        insert_node_on_edge(graph, Edge("a", "b"), "a")
    assert graph.to_dict() == before


def test_connect_at_puts_a_wire_back_where_it_stood():
    graph = chain()
    before = graph.to_dict()
    graph.disconnect(Edge("inp", "a"))
    connect_at(graph, Edge("inp", "a"), 0)
    assert graph.to_dict() == before


def test_wire_problem_names_the_same_block_and_cycles_and_reachability_sets():
    graph = chain()
    assert wire_problem(graph, "a", "a") == SAME_NODE_PROBLEM
    assert wire_problem(graph, "out", "a") == CYCLE_PROBLEM
    assert wire_problem(graph, "b", "a") == CYCLE_PROBLEM
    assert wire_problem(graph, "inp", "b") is None
    # moving b → out's source end to out itself would loop; moving a → b onto b's own input is no cycle if ignored
    assert wire_problem(graph, "b", "a", ignoring=Edge("a", "b")) is None
    assert upstream_nodes(graph, "out") == {"inp", "a", "b"}
    assert downstream_nodes(graph, "a") == {"b", "out"}
    assert upstream_nodes(graph, "inp") == set()


def test_putting_the_first_wire_of_a_long_chain_back_is_one_event():
    graph = Graph()
    for i in range(50):
        graph.add_node("Dense", {}, (0, 0), f"n{i}")
        if i:
            graph.connect(f"n{i - 1}", f"n{i}")
    first = graph.edges[0]
    before = graph.to_dict()
    graph.disconnect(first)
    events = []
    graph.events.subscribe(events.append)
    connect_at(graph, first, 0)
    assert len(events) == 1 and graph.to_dict() == before
