"""An evaluation's samples: exactly those of one confusion-matrix cell, a regression's residual points, a split's
inputs by index, one sample predicted (Try it), and `evaluate --cell` / `--per-sample` on the command line."""
from __future__ import annotations

import json

import numpy as np
import pytest

from builder.cli import main
from builder.data import load_dataset
from builder.errors import LayerboardError
from builder.project import save_project
from builder.training import (
    Trainer, evaluate, predict_samples, residual_points, samples_in_cell, split_samples,
)


@pytest.fixture(scope="module")
def digits(trained_digits):
    project, result = trained_digits
    data = load_dataset(project.dataset)
    return project, result, data, evaluate(project, result.model_path, dataset=data)


@pytest.fixture(scope="module")
def sine(tmp_path_factory, sine_project):
    """A tiny regression model on the generated sine set, trained one epoch: (project, result, evaluation)."""
    project = sine_project()
    result = Trainer(project, run_dir=tmp_path_factory.mktemp("sine_run")).run()
    return project, result, evaluate(project, result.model_path)


def test_every_cell_lists_exactly_its_count_of_samples(digits):
    project, result, data, ev = digits
    matrix = np.array(ev.confusion_matrix)
    seen: list[int] = []
    for t in range(len(ev.class_names)):
        for p in range(len(ev.class_names)):
            indices = samples_in_cell(ev, t, p)
            assert len(indices) == matrix[t, p]
            assert all(data.y_val[i] == t for i in indices)
            seen.extend(indices)
    assert sorted(seen) == list(range(len(data.y_val)))  # every sample in exactly one cell


def test_cell_samples_are_what_the_model_predicts(digits):
    import keras

    project, result, data, ev = digits
    model = keras.saving.load_model(str(result.model_path), safe_mode=True)
    predicted = model.predict(data.x_val, verbose=0).argmax(axis=1)
    matrix = np.array(ev.confusion_matrix)
    off = np.argwhere(matrix - np.diag(np.diag(matrix)) > 0)
    t, p = (int(v) for v in (off[0] if len(off) else (0, 0)))  # a mistake when there is one
    indices = samples_in_cell(ev, str(ev.class_names[t]), ev.class_names[p])  # by name too
    assert indices == samples_in_cell(ev, t, p)
    assert [int(predicted[i]) for i in indices] == [p] * len(indices)
    x, y = split_samples(data, "validation", indices)
    assert np.array_equal(x, data.x_val[indices]) and list(y) == [t] * len(indices)
    per_sample = ev.to_dict(per_sample=True)["per_sample"]
    assert len(per_sample) == ev.samples
    assert [r["index"] for r in per_sample if r["true"] == ev.class_names[t]
            and r["predicted"] == ev.class_names[p]] == indices
    assert "per_sample" not in ev.to_dict()  # only when asked


def test_bad_cells_and_indices_say_what_exists(digits):
    project, result, data, ev = digits
    with pytest.raises(LayerboardError, match="No class 'cat'.*0, 1, 2.*index from 0 to 9"):
        samples_in_cell(ev, "cat", 1)
    with pytest.raises(LayerboardError, match="No class '10'"):
        samples_in_cell(ev, 10, 1)
    with pytest.raises(LayerboardError, match=f"Sample {len(data.y_val)} is not in the validation split"):
        split_samples(data, "validation", [0, len(data.y_val)])


def test_one_sample_predicted_gives_a_probability_per_class(digits):
    project, result, data, ev = digits
    x, _ = split_samples(data, "validation", [5])
    rows = predict_samples(result.model_path, x, data, name="validation", indices=[5])
    assert len(rows) == 1 and rows[0]["index"] == 5 and rows[0]["input"] == "validation"
    probs = rows[0]["probabilities"]
    assert len(probs) == 10 and sum(probs) == pytest.approx(1.0, abs=1e-4)
    assert rows[0]["prediction"] == data.class_names[int(np.argmax(probs))]
    assert ev.probabilities[5] == pytest.approx(probs, abs=1e-5)  # as the evaluation saw it
    with pytest.raises(LayerboardError, match=r"expects inputs of shape \(8, 8, 1\).*\(4,\)"):
        predict_samples(result.model_path, np.zeros((1, 4)), data)


def test_regression_keeps_each_target_and_prediction(sine):
    import keras

    project, result, ev = sine
    data = load_dataset(project.dataset)
    assert ev.task == "regression" and ev.targets.shape == (len(data.y_val), 1)
    model = keras.saving.load_model(str(result.model_path), safe_mode=True)
    expected = model.predict(data.x_val, verbose=0).reshape(-1)
    index, target, residual = residual_points(ev)
    assert list(index) == list(range(len(data.y_val)))
    assert np.allclose(target, data.y_val.reshape(-1))
    assert np.allclose(residual, expected - data.y_val.reshape(-1), atol=1e-5)
    assert np.abs(residual).mean() == pytest.approx(ev.mae)
    assert max(np.abs(residual)) == pytest.approx(ev.worst[0]["abs_error"])
    assert ev.worst[0]["index"] == int(np.argmax(np.abs(residual)))
    rows = ev.per_sample()
    assert rows[3] == {"index": 3, "target": pytest.approx(float(target[3])),
                       "prediction": pytest.approx(float(expected[3]), abs=1e-5)}
    with pytest.raises(LayerboardError, match="regression set: it has no confusion matrix"):
        samples_in_cell(ev, 0, 0)
    sample = predict_samples(result.model_path, data.x_val[:2], data)
    assert sample[0]["confidence"] is None and sample[0]["prediction"] == pytest.approx(float(expected[0]), abs=1e-5)


def test_cli_evaluate_cell_and_per_sample(digits, tmp_path, capsys):
    project, result, data, ev = digits
    path = tmp_path / "p.json"
    save_project(project, path)
    t, p = 3, 3
    expected = samples_in_cell(ev, t, p)
    assert main(["evaluate", str(path), "--run", str(result.run_dir), "--json", "--cell", "3", "3",
                 "--per-sample"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["cell"] == {"true": "3", "predicted": "3", "count": len(expected), "indices": expected}
    assert out["confusion_matrix"][t][p] == len(expected) and len(out["per_sample"]) == ev.samples
    assert main(["evaluate", str(path), "--run", str(result.run_dir), "--cell", "3", "3"]) == 0
    text = capsys.readouterr().out
    assert f"samples of true 3, predicted 3 ({len(expected)} in the validation split): " in text
    assert text.rstrip().endswith(" ".join(str(i) for i in expected))
    assert main(["evaluate", str(path), "--run", str(result.run_dir), "--cell", "cat", "3"]) == 1
    assert "No class 'cat'" in capsys.readouterr().err
