"""Large projects stay linear: a repeated block goes to Keras once, check infers shapes once, and a long
description is written into a Python script in one pass."""
import time

from builder.export import python_source
from builder.graph import Graph
from builder.model import ShapeInference, estimate, infer_shapes
from builder.project import load_template


def _chain(count: int, distinct: bool = False) -> Graph:
    graph = Graph()
    previous = graph.add_node("Input", {"shape": [16]}, node_id="input").id
    for i in range(1, count):
        kind, params = [("Dense", {"units": 8 + i if distinct else 16}), ("Dropout", {"rate": 0.1}),
                        ("LayerNormalization", {})][i % 3]
        node = graph.add_node(kind, params, node_id=f"n{i}")
        graph.connect(previous, node.id)
        previous = node.id
    return graph


def test_a_repeated_block_goes_to_keras_once_and_every_node_is_reported():
    graph = _chain(300)
    inference = ShapeInference()
    report = inference.run(graph)
    assert report.valid and inference.computed == 300  # every node re-inferred (the count tests rely on)...
    assert inference.sent_to_keras <= 6  # ...but Keras is asked once per distinct (type, params, inputs)
    assert {report.nodes[f"n{i}"].shape for i in range(1, 300)} == {(None, 16)}
    assert report.total_params == infer_shapes(_chain(300)).total_params
    distinct = ShapeInference()
    distinct.run(_chain(30, distinct=True))
    assert distinct.sent_to_keras == 30  # nothing is shared where every layer differs


def test_an_error_is_never_shared_between_nodes():
    graph = _chain(7)
    graph.set_param("n3", "units", -1)
    graph.set_param("n6", "units", -1)
    errors = infer_shapes(graph).node_errors()
    assert "'n3'" in errors["n3"] and "'n6'" not in errors["n3"]


def test_the_cost_estimate_reuses_the_report():
    project = load_template("digits_cnn")
    report = infer_shapes(project.graph, project.folder())
    assert estimate(project, report) == estimate(project)


def test_a_long_description_is_written_in_one_pass():
    project = load_template("digits_cnn")
    project.description = "x" * 4_000_000  # one word: textwrap took 5 s here and 20 s for 8 MB
    start = time.perf_counter()
    source = python_source(project)
    took = time.perf_counter() - start
    comment = [line[2:] for line in source.splitlines() if line.startswith("# x")]
    assert "".join(comment) == project.description and max(len(line) for line in comment) == 96
    assert took < 3, took
