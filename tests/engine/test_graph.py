import pytest

from builder.errors import GraphError
from builder.graph import EdgeAdded, EdgeRemoved, Graph, NodeAdded, NodeRemoved, ParamChanged, topological_order


def test_edits_emit_events_in_order():
    g = Graph()
    seen = []
    g.events.subscribe(lambda e: seen.append(type(e).__name__))
    a = g.add_node("Input", {"shape": [4]})
    b = g.add_node("Dense", {"units": 3})
    edge = g.connect(a.id, b.id)
    g.set_param(b.id, "units", 5)
    g.remove_node(b.id)
    assert seen == ["NodeAdded", "NodeAdded", "EdgeAdded", "ParamChanged", "EdgeRemoved", "NodeRemoved"]
    assert edge not in g.edges and b.id not in g.nodes


def test_ids_follow_keras_style_and_stay_unique():
    g = Graph()
    assert g.add_node("Conv2D").id == "conv2d_1"
    assert g.add_node("Conv2D").id == "conv2d_2"
    assert g.add_node("MaxPooling2D").id == "max_pooling2d_1"
    with pytest.raises(GraphError, match="already exists"):
        g.add_node("Dense", node_id="conv2d_1")


def test_one_wire_per_input_port_and_ports_in_order():
    g = Graph()
    a, b, c = (g.add_node("Input", {"shape": [2]}) for _ in range(3))
    add = g.add_node("Add")
    g.connect(b.id, add.id, target_port=1)
    g.connect(a.id, add.id, target_port=0)
    with pytest.raises(GraphError, match="already connected"):
        g.connect(c.id, add.id, target_port=0)
    assert [e.source for e in g.incoming(add.id)] == [a.id, b.id]


def test_set_param_none_restores_keras_default():
    g = Graph()
    n = g.add_node("Dense", {"units": 3, "activation": "relu"})
    g.set_param(n.id, "activation", None)
    assert n.params == {"units": 3}


def test_topological_order_reports_cycle():
    g = Graph()
    i = g.add_node("Input", {"shape": [2]})
    a = g.add_node("Dense", {"units": 2})
    b = g.add_node("Dense", {"units": 2})
    g.connect(i.id, a.id)
    g.connect(a.id, b.id)
    g.connect(b.id, a.id, target_port=1)
    order, stuck = topological_order(g)
    assert order == [i.id] and stuck == {a.id, b.id}


def test_dict_round_trip():
    g = Graph()
    a = g.add_node("Input", {"shape": [2]}, (1, 2))
    b = g.add_node("Dense", {"units": 2}, (3, 4))
    g.connect(a.id, b.id)
    assert Graph.from_dict(g.to_dict()).to_dict() == g.to_dict()


def test_a_copy_is_independent_and_emits_nothing():
    graph = Graph()
    graph.add_node("Input", {"shape": [4]}, node_id="x")
    graph.add_node("Dense", {"units": 3}, node_id="d")
    graph.connect("x", "d")
    events = []
    graph.events.subscribe(events.append)
    other = graph.copy()
    assert other.to_dict() == graph.to_dict() and events == []
    other.set_param("d", "units", 9)
    other.disconnect(other.edges[0])
    other.add_node("Dense", {}, node_id="e")
    assert graph.nodes["d"].params == {"units": 3} and len(graph.edges) == 1 and "e" not in graph.nodes
    assert graph.incoming("d") and not other.incoming("d") and events == []
