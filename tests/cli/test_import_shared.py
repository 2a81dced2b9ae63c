"""Importing models with shared layers (a siamese encoder called on two inputs, an embedding tied between two token
inputs): the project has one node per call, the later calls share the first's layer, and the project rebuilds the
source exactly — same parameter count, same outputs — as does its exported Python script."""
import json

import numpy as np
import pytest

keras = pytest.importorskip("keras")

from builder.cli import main  # noqa: E402
from builder.export.python_code import python_source  # noqa: E402
from builder.importer import import_model  # noqa: E402
from builder.importer.verification import compare_outputs  # noqa: E402
from builder.model import apply_project_weights, build_model, load_node_weights  # noqa: E402
from builder.project import load_project  # noqa: E402

pytestmark = pytest.mark.catalogue  # make test-catalogue (CI): import of nested and shared models


def _set_weights(model) -> None:
    """Non-initial weights (a zero bias would hide a bias that is not shared)."""
    rng = np.random.default_rng(0)
    for variable in model.weights:
        variable.assign(rng.standard_normal(variable.shape).astype("float32") * 0.3)


def siamese_model():
    left, right = keras.Input((6,), name="left"), keras.Input((6,), name="right")
    hidden = keras.layers.Dense(12, activation="relu", name="encoder")
    project = keras.layers.Dense(4, name="projection")
    a, b = project(hidden(left)), project(hidden(right))
    distance = keras.layers.Subtract(name="difference")([a, b])
    model = keras.Model([left, right], keras.layers.Dense(1, activation="sigmoid", name="same")(distance))
    _set_weights(model)
    return model


def tied_embedding_model():
    query, document = keras.Input((5,), dtype="int32", name="query"), keras.Input((7,), dtype="int32", name="document")
    embed = keras.layers.Embedding(30, 8, name="tokens")
    conv = keras.layers.Conv1D(6, 3, padding="same", activation="tanh", name="context")
    pool = keras.layers.GlobalAveragePooling1D(name="pool")
    q, d = pool(conv(embed(query))), pool(conv(embed(document)))
    model = keras.Model([query, document], keras.layers.Dot(axes=1, name="score")([q, d]))
    _set_weights(model)
    return model


def test_a_siamese_model_imports_with_one_set_of_shared_weights(tmp_path, capsys):
    model = siamese_model()
    model.save(tmp_path / "siamese.keras")
    path = tmp_path / "siamese.json"
    assert main(["import", str(tmp_path / "siamese.keras"), "-o", str(path), "--json"]) == 0
    capsys.readouterr()
    graph = load_project(path).graph
    assert {n: node.shares for n, node in graph.nodes.items() if node.shares} == {
        "encoder_call2": "encoder", "projection_call2": "projection"}
    assert {graph.incoming(n)[0].source for n in ("encoder", "encoder_call2")} == {"left", "right"}
    assert main(["check", str(path)]) == 0
    assert "= calls the layer of 'encoder'" in capsys.readouterr().out

    project = load_project(path)
    rebuilt = build_model(project.graph, name=project.name)
    report = apply_project_weights(rebuilt, project)
    assert sorted(report.loaded) == ["encoder", "projection", "same"] and not report.skipped
    assert rebuilt.count_params() == model.count_params() == 6 * 12 + 12 + 12 * 4 + 4 + 5
    assert compare_outputs(model, rebuilt) < 1e-5

    # the exported script calls each shared layer's variable twice and, with the imported weights, agrees
    assert main(["export", str(path), "--format", "python", "-o", str(tmp_path / "siamese.py")]) == 0
    source = (tmp_path / "siamese.py").read_text()
    assert source.count("encoder_layer(") == 2 and source.count("projection_layer(") == 2
    namespace: dict = {}
    exec(compile(source, "siamese.py", "exec"), namespace)
    scripted = namespace["build_model"]()
    assert scripted.count_params() == model.count_params()
    load_node_weights(scripted, project.resolve(project.weights))
    assert compare_outputs(model, scripted) < 1e-5

    # renamed, the owner keeps reading the shared weights, and its calls follow the new name
    assert main(["rename", str(path), "encoder", "shared_encoder"]) == 0
    project = load_project(path)
    assert project.graph.nodes["encoder_call2"].shares == "shared_encoder"
    rebuilt = build_model(project.graph, name=project.name)
    assert "shared_encoder" in apply_project_weights(rebuilt, project).loaded
    assert compare_outputs(model, rebuilt) < 1e-5


def test_a_tied_embedding_model_imports_and_verifies(tmp_path):
    model = tied_embedding_model()
    model.save(tmp_path / "tied.keras")
    result = import_model(tmp_path / "tied.keras", tmp_path / "tied.json", verify=True)
    assert result.verification["max_abs_diff"] < 1e-5
    assert result.verification["params"] == model.count_params() == 30 * 8 + 3 * 8 * 6 + 6
    shares = {n: node.shares for n, node in result.graph.nodes.items() if node.shares}
    assert shares == {"tokens_call2": "tokens", "context_call2": "context", "pool_call2": "pool"}
    data = json.loads((tmp_path / "tied.json").read_text())
    assert sum(1 for n in data["graph"]["nodes"] if n.get("shares")) == 3
    # the Python code of the tied model builds the same model too
    scripted_ns: dict = {}
    exec(compile(python_source(result.project), "tied.py", "exec"), scripted_ns)
    assert scripted_ns["build_model"]().count_params() == model.count_params()
