"""Renaming a node: the graph keeps its wires and order and emits one event; the project's references follow."""
from __future__ import annotations

import pytest

from builder.errors import GraphError
from builder.graph import Edge, Graph, NodeRenamed


def _branching_graph() -> Graph:
    graph = Graph()
    graph.add_node("Input", {"shape": [4]}, (0, 0), "inp")
    graph.add_node("Dense", {"units": 3}, (0, 100), "a")
    graph.add_node("Dense", {"units": 2}, (200, 100), "b")
    graph.add_node("Concatenate", {}, (100, 200), "cat")
    graph.connect("inp", "a")
    graph.connect("inp", "b")
    graph.connect("b", "cat", 0, 1)
    graph.connect("a", "cat", 0, 0)
    return graph


def test_rename_node_keeps_wires_order_and_emits_one_event():
    graph = _branching_graph()
    before = graph.to_dict()
    events = []
    graph.events.subscribe(events.append)
    node = graph.node("b")
    graph.rename_node("b", "branch")
    assert [type(e) for e in events] == [NodeRenamed]
    assert events[0].node is node and node.id == "branch" and events[0].old_id == "b"
    assert list(graph.nodes) == ["inp", "a", "branch", "cat"]
    assert graph.edges == (Edge("inp", "a"), Edge("inp", "branch"), Edge("branch", "cat", 0, 1), Edge("a", "cat"))
    assert events[0].edges == ((Edge("inp", "b"), Edge("inp", "branch")),
                               (Edge("b", "cat", 0, 1), Edge("branch", "cat", 0, 1)))
    assert graph.incoming("cat") == [Edge("a", "cat"), Edge("branch", "cat", 0, 1)]
    assert graph.outgoing("inp") == [Edge("inp", "a"), Edge("inp", "branch")]
    assert graph.outgoing("branch") == [Edge("branch", "cat", 0, 1)] and graph.incoming("branch") == [Edge("inp", "branch")]
    assert graph.outgoing("b") == [] and "b" not in graph.nodes
    graph.rename_node("branch", "b")
    assert graph.to_dict() == before
    graph.disconnect(Edge("b", "cat", 0, 1))  # the per-node indexes hold the re-made edges
    assert graph.incoming("cat") == [Edge("a", "cat")] and graph.outgoing("b") == []


@pytest.mark.parametrize("bad, words", [
    ("class", "keyword"), ("match", "keyword"), ("1abc", "not a valid name"), ("a b", "not a valid name"),
    ("", "a name is needed"), ("x" * 201, "at most 200"), ("café", "not a valid name"), ("a", "already exists"),
])
def test_rename_node_refuses_bad_names_and_changes_nothing(bad, words):
    graph = _branching_graph()
    before = graph.to_dict()
    events = []
    graph.events.subscribe(events.append)
    with pytest.raises(GraphError, match=words):
        graph.rename_node("b", bad)
    assert graph.to_dict() == before and events == []


def test_rename_message_names_the_fix():
    graph = _branching_graph()
    with pytest.raises(GraphError) as info:
        graph.rename_node("b", "conv 1")
    assert str(info.value) == ("Cannot rename 'b': 'conv 1' is not a valid name: use letters, digits and _, "
                               "not starting with a digit (e.g. 'conv_1').")
    with pytest.raises(GraphError, match="no node 'zz'"):
        graph.rename_node("zz", "y")
