"""The upstream chain of a block that is red because of a shape (builder.model.trace_shape)."""
from builder.graph import Edge, Graph
from builder.model import infer_shapes, trace_shape


def test_a_rank_error_is_traced_back_to_where_the_rank_last_changed():
    graph = Graph()
    graph.add_node("Input", {"shape": [8, 8, 1]}, (0, 0), "image")
    graph.add_node("Flatten", {}, (0, 0), "flatten")
    graph.add_node("Dense", {"units": 16}, (0, 0), "dense")
    graph.add_node("Dropout", {"rate": 0.2}, (0, 0), "dropout")
    graph.add_node("Conv2D", {"filters": 4, "kernel_size": 3}, (0, 0), "conv")
    graph.add_node("Dense", {"units": 2}, (0, 0), "side")  # not upstream of conv
    for source, target in (("image", "flatten"), ("flatten", "dense"), ("dense", "dropout"), ("dropout", "conv"),
                           ("image", "side")):
        graph.connect(source, target)
    report = infer_shapes(graph)
    assert "received (None, 16)" in report.nodes["conv"].error

    trace = trace_shape(graph, report, "conv")

    assert trace.nodes == {"image", "flatten", "dense", "dropout"}
    assert trace.edges == {Edge("image", "flatten"), Edge("flatten", "dense"), Edge("dense", "dropout"),
                           Edge("dropout", "conv")}
    # Dense and Dropout kept the rank (2); Flatten made it: the chain stops there.
    assert trace.chain_nodes == {"dropout", "dense", "flatten"}
    assert trace.origins == {"flatten"}
    assert Edge("image", "flatten") not in trace.chain_edges and Edge("flatten", "dense") in trace.chain_edges

    # A valid node: only its upstream, no chain; no report yet: the same.
    fine = trace_shape(graph, report, "dropout")
    assert fine.nodes == {"image", "flatten", "dense"} and not fine.chain_nodes and not fine.origins
    assert trace_shape(graph, None, "conv").chain_nodes == frozenset()
