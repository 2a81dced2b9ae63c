import pytest

from builder.graph import Graph
from builder.model import build_model
from builder.errors import GraphError
from builder.model import ShapeInference, infer_shapes


def test_template_shapes_and_param_count_match_the_built_model(digits_project):
    report = infer_shapes(digits_project.graph)
    assert report.valid, report.summary()
    assert report.nodes["conv2d_1"].shape == (None, 8, 8, 16)
    assert report.nodes["max_pooling2d"].shape == (None, 4, 4, 16)
    assert report.nodes["digit"].shape == (None, 10)
    assert report.nodes["conv2d_1"].params == 3 * 3 * 1 * 16 + 16
    model = build_model(digits_project.graph)
    assert model.count_params() == report.total_params == 9930
    assert [layer.name for layer in model.layers][0] == "image"


def _chain(*specs):
    g = Graph()
    prev = None
    for block_type, params in specs:
        node = g.add_node(block_type, params)
        if prev:
            g.connect(prev.id, node.id)
        prev = node
    return g


def test_shape_mismatch_names_node_input_need_and_fix():
    g = _chain(("Input", {"shape": [64]}), ("Conv2D", {"filters": 4, "kernel_size": 3}))
    error = infer_shapes(g).nodes["conv2d_1"].error
    assert error == ("Conv2D 'conv2d_1' needs a 3-D input per sample (height, width, channels); it received "
                     "(None, 64). Add a Reshape before it, or use Conv1D/Dense for this input.")


def test_window_larger_than_input():
    g = _chain(("Input", {"shape": [2, 2, 1]}), ("Conv2D", {"filters": 4, "kernel_size": 3}))
    assert "smaller than its window" in infer_shapes(g).nodes["conv2d_1"].error


def test_unconnected_input_and_downstream_nodes_are_blocked():
    g = Graph()
    g.add_node("Input", {"shape": [4]})
    d1 = g.add_node("Dense", {"units": 3})
    d2 = g.add_node("Dense", {"units": 2})
    g.connect(d1.id, d2.id)
    report = infer_shapes(g)
    assert "has no input connected" in report.nodes[d1.id].error
    assert report.nodes[d2.id].blocked_by == d1.id
    assert "not connected to anything" in report.nodes["input_1"].error
    assert not report.valid


def test_no_input_and_cycle():
    g = Graph()
    a = g.add_node("Dense", {"units": 2})
    b = g.add_node("Dense", {"units": 2})
    g.connect(a.id, b.id)
    g.connect(b.id, a.id)
    report = infer_shapes(g)
    assert any("no Input block" in e for e in report.graph_errors)
    assert "part of a cycle" in report.nodes[a.id].error and "part of a cycle" in report.nodes[b.id].error


def test_merge_needs_equal_shapes_and_takes_inputs_in_port_order():
    g = Graph()
    a = g.add_node("Input", {"shape": [4]})
    b = g.add_node("Input", {"shape": [3]})
    add = g.add_node("Add")
    g.connect(a.id, add.id, target_port=0)
    g.connect(b.id, add.id, target_port=1)
    error = infer_shapes(g).nodes[add.id].error
    assert "Add 'add_1' needs two or more inputs of the same shape; it received (None, 4), (None, 3)." in error
    g.remove_node(add.id)
    cat = g.add_node("Concatenate")
    g.connect(b.id, cat.id, target_port=1)
    g.connect(a.id, cat.id, target_port=0)
    report = infer_shapes(g)
    assert report.nodes[cat.id].shape == (None, 7)
    model = build_model(g)
    assert [t.name for t in model.inputs] == ["input_1", "input_2"] and model.output.shape == (None, 7)


def test_invalid_parameter_is_reported_on_the_node():
    g = _chain(("Input", {"shape": [4]}), ("Dense", {"units": -3}))
    assert "Dense 'dense_1': Dense.units must be at least 1" in infer_shapes(g).nodes["dense_1"].error


def test_build_refuses_an_invalid_graph_with_node_errors():
    g = _chain(("Input", {"shape": [64]}), ("Conv2D", {"filters": 4, "kernel_size": 3}))
    with pytest.raises(GraphError) as info:
        build_model(g)
    assert "conv2d_1" in info.value.node_errors


def test_incremental_inference_recomputes_only_downstream(digits_project):
    inference = ShapeInference()
    inference.run(digits_project.graph)
    assert inference.computed == len(digits_project.graph.nodes)
    digits_project.graph.set_param("conv2d_2", "filters", 8)
    report = inference.run(digits_project.graph)
    assert inference.computed == 4  # conv2d_2, flatten, dropout, digit
    assert report.nodes["conv2d_2"].shape == (None, 4, 4, 8)
    assert report.nodes["digit"].params == 4 * 4 * 8 * 10 + 10
