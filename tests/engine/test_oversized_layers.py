"""Shape inference builds layers for their shapes only: a layer too big to build is named at once, with its size
in bytes and the machine's memory, and no weight is ever allocated (none is left for Keras to fill in later)."""
import time

from builder.model import build_model, infer_shapes
from builder.project import load_template


def _with(node_id: str, **params):
    project = load_template("digits_cnn")
    project.graph.set_param(node_id, next(iter(params)), next(iter(params.values())))
    return project


def test_a_dense_layer_of_a_trillion_units_is_named_with_its_size_at_once():
    project = _with("digit", units=10**12)
    start = time.perf_counter()
    report = infer_shapes(project.graph)
    took = time.perf_counter() - start
    errors = report.node_errors()
    assert list(errors) == ["digit"], errors  # not 'rescaling', not any other node
    message = errors["digit"]
    assert "Dense 'digit'" in message and "2,052,000,000,000,000 bytes" in message and "memory" in message
    assert took < 10, took  # it used to try to allocate 2 PB (about 30 s, then an OOM blamed elsewhere)


def test_a_conv_layer_of_a_billion_filters_is_named():
    project = _with("conv2d_1", filters=10**9)
    errors = infer_shapes(project.graph).node_errors()
    assert "conv2d_1" in errors and "bytes" in errors["conv2d_1"], errors
    assert all("OOM" not in e for e in errors.values())


def test_after_an_oversized_layer_the_next_model_builds_normally():
    infer_shapes(_with("digit", units=10**12).graph)
    model = build_model(load_template("digits_cnn").graph)  # would fill in left-over deferred weights (OOM)
    assert model.count_params() == 9930
    assert infer_shapes(load_template("digits_cnn").graph).valid


def test_an_oversized_layer_inside_a_composite_block_is_named():
    from builder.graph import Graph

    graph = Graph()
    graph.add_node("Input", {"shape": [8, 8, 16]}, node_id="image")
    graph.add_node("InvertedResidualBlock", {"filters": 16, "expanded_filters": 10**9}, node_id="block")
    graph.connect("image", "block")
    errors = infer_shapes(graph).node_errors()
    assert list(errors) == ["block"], errors
    assert "InvertedResidualBlock 'block'" in errors["block"] and "bytes" in errors["block"]
