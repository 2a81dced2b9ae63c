"""An imported project is a model: its own weights are exported, evaluated and used to predict without a training
run, and each report says which weights it used; a run, once there, is used instead."""
import json

import numpy as np
import pytest

keras = pytest.importorskip("keras")

from builder.cli import main  # noqa: E402
from builder.data import load_project_dataset  # noqa: E402
from builder.project import load_project  # noqa: E402
from builder.training import PROJECT_WEIGHTS, project_model  # noqa: E402


@pytest.fixture
def imported(tmp_path, capsys):
    """A small digits classifier with set (non-initial) weights, saved and imported: (project path, source model)."""
    keras.utils.set_random_seed(3)
    inputs = keras.Input((8, 8, 1))
    x = keras.layers.Flatten()(inputs)
    outputs = keras.layers.Dense(10, activation="softmax")(x)
    model = keras.Model(inputs, outputs)
    rng = np.random.default_rng(0)
    for variable in model.weights:
        variable.assign(rng.standard_normal(variable.shape).astype("float32"))
    model.save(tmp_path / "source.keras")
    project = tmp_path / "imported.json"
    assert main(["import", str(tmp_path / "source.keras"), "-o", str(project)]) == 0
    capsys.readouterr()
    return project, model


def test_an_imported_project_is_exported_to_tflite_without_training(imported, tmp_path, capsys):
    project, model = imported
    out = tmp_path / "m.tflite"
    assert main(["export", str(project), "--format", "tflite", "-o", str(out), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["verified"] and out.exists()
    assert "the project's own weights (imported.weights.h5" in report["weights"]
    # the file holds the imported weights, not freshly initialised ones
    interpreter = __import__("tensorflow").lite.Interpreter(model_path=str(out))
    interpreter.allocate_tensors()
    x = load_project_dataset(load_project(project)).x_val[:1].astype("float32")
    interpreter.set_tensor(interpreter.get_input_details()[0]["index"], x)
    interpreter.invoke()
    got = interpreter.get_tensor(interpreter.get_output_details()[0]["index"])
    assert np.allclose(got, model.predict(x, verbose=0), atol=1e-4)


def test_an_imported_project_is_evaluated_and_predicts_with_its_own_weights(imported, tmp_path, capsys):
    project, model = imported
    assert main(["evaluate", str(project), "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert "the project's own weights" in result["weights"] and result["samples"] > 0
    x = load_project_dataset(load_project(project)).x_val[:4].astype("float32")
    np.save(tmp_path / "x.npy", x)
    assert main(["predict", str(project), str(tmp_path / "x.npy"), "--json"]) == 0
    captured = capsys.readouterr()
    rows = json.loads(captured.out)
    assert "weights: the project's own weights" in captured.err
    assert np.allclose([r["probabilities"] for r in rows], model.predict(x, verbose=0), atol=1e-5)
    assert project_model(load_project(project)).source == PROJECT_WEIGHTS


def test_a_run_is_used_once_there(imported, capsys):
    project, _ = imported
    run = project.parent / "runs" / "imported" / "r1"
    assert main(["train", str(project), "--epochs", "1", "--run-dir", str(run)]) == 0
    capsys.readouterr()
    chosen = project_model(load_project(project))
    assert chosen.path == run / "model.keras" and "run" in chosen.weights
    assert main(["evaluate", str(project), "--json"]) == 0
    assert str(run) in json.loads(capsys.readouterr().out)["weights"]
    # the imported weights stay reachable once runs exist: export --own-weights, project_model(own_weights=True)
    assert project_model(load_project(project), own_weights=True).source == PROJECT_WEIGHTS
    out = project.parent / "own.keras"
    assert main(["export", str(project), "--format", "keras", "-o", str(out), "--own-weights", "--json"]) == 0
    assert "the project's own weights" in json.loads(capsys.readouterr().out)["weights"]


def test_own_weights_of_a_project_without_any_is_refused_with_the_fix(digits_project, tmp_path):
    from builder.errors import LayerboardError

    with pytest.raises(LayerboardError, match="no weights of its own"):
        project_model(digits_project, own_weights=True)
