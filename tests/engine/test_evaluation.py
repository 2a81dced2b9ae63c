"""Evaluation on the validation split and `evaluate` / `predict` on the command line, on the trained digits model."""
import json

import numpy as np
import pytest

from builder.cli import main
from builder.data import load_dataset
from builder.training import evaluate


@pytest.fixture(scope="module")
def evaluated(trained_digits):
    project, result = trained_digits
    return project, result, evaluate(project, result.model_path)


@pytest.fixture(scope="module")
def model(trained_digits):
    import keras

    return keras.saving.load_model(str(trained_digits[1].model_path), safe_mode=True)


@pytest.fixture
def project_file(trained_digits, tmp_path):
    from builder.project import save_project

    project, result = trained_digits
    path = tmp_path / "p.json"
    save_project(project, path)
    return path, str(result.run_dir)


def test_numbers_are_consistent(evaluated, model):
    project, result, ev = evaluated
    data = load_dataset(project.dataset)
    matrix = np.array(ev.confusion_matrix)
    assert ev.task == "classification" and ev.split == "validation" and ev.class_names == data.class_names
    assert matrix.shape == (10, 10) and matrix.sum() == len(data.x_val) == ev.samples
    expected = model.evaluate(data.x_val, data.y_val, verbose=0, return_dict=True)
    assert abs(np.trace(matrix) / matrix.sum() - expected["accuracy"]) < 1e-6
    assert abs(ev.accuracy - expected["accuracy"]) < 1e-6 and abs(ev.metrics["accuracy"] - expected["accuracy"]) < 1e-6
    assert abs(ev.loss - expected["loss"]) < 1e-4
    for i, row in enumerate(ev.per_class):
        assert row["class"] == data.class_names[i] and row["support"] == matrix[i].sum()
        assert row["recall"] == pytest.approx(matrix[i, i] / matrix[i].sum())
        assert row["precision"] == pytest.approx(matrix[i, i] / max(1, matrix[:, i].sum()))
    # The worst samples really have the lowest probability of their true class.
    probs = model.predict(data.x_val, verbose=0)
    true_p = probs[np.arange(len(data.y_val)), data.y_val]
    assert len(ev.worst) == 10
    worst_p = [w["true_probability"] for w in ev.worst]
    assert worst_p == sorted(worst_p)
    assert worst_p[-1] <= np.sort(true_p)[10] + 1e-6
    for w in ev.worst:
        assert w["true_probability"] == pytest.approx(true_p[w["index"]], abs=1e-5)
        assert w["true"] == data.class_names[data.y_val[w["index"]]]
        assert w["predicted"] == data.class_names[int(probs[w["index"]].argmax())]
    json.dumps(ev.to_dict())  # JSON-safe


def test_cli_evaluate_json_and_text(project_file, evaluated, capsys):
    path, run = project_file
    assert main(["evaluate", str(path), "--run", run, "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["split"] == "validation" and data["task"] == "classification"
    assert data["accuracy"] == pytest.approx(evaluated[2].accuracy)
    assert {"loss", "metrics", "confusion_matrix", "per_class", "worst", "class_names"} <= set(data)
    assert main(["evaluate", str(path), "--run", run]) == 0
    text = capsys.readouterr().out
    assert "validation split" in text and "confusion matrix" in text and "precision" in text


def test_cli_evaluate_without_a_run(tmp_path, capsys):
    path = tmp_path / "p.json"
    main(["new", "digits_cnn", "-o", str(path)])
    capsys.readouterr()
    assert main(["evaluate", str(path)]) == 1
    assert "no trained model yet" in capsys.readouterr().err


def _expected(model, x):
    probs = model.predict(np.asarray(x, dtype="float32"), verbose=0)
    return [str(int(p.argmax())) for p in probs], probs


def _write_png(path, pixels):
    try:
        from PIL import Image

        Image.fromarray(pixels, mode="L").save(path)
    except ImportError:
        import tensorflow as tf

        path.write_bytes(tf.io.encode_png(pixels[:, :, np.newaxis]).numpy())


def test_cli_predict_npy_csv_png(project_file, trained_digits, model, tmp_path, capsys):
    path, run = project_file
    data = load_dataset(trained_digits[0].dataset)
    x = data.x_val[:5]
    np.save(tmp_path / "one.npy", x[0])
    np.save(tmp_path / "batch.npy", x)
    np.savetxt(tmp_path / "rows.csv", x[:3].reshape(3, 64), delimiter=",")
    pixels = (x[3, :, :, 0] * 15).astype("uint8")
    _write_png(tmp_path / "digit.png", pixels)
    files = [str(tmp_path / n) for n in ("one.npy", "batch.npy", "rows.csv", "digit.png")]
    assert main(["predict", str(path), "--run", run, *files, "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [(r["input"], r["index"]) for r in rows] == (
        [(files[0], 0)] + [(files[1], i) for i in range(5)] + [(files[2], i) for i in range(3)] + [(files[3], 0)])
    arrays = np.concatenate([x[:1], x, x[:3], pixels[np.newaxis, :, :, np.newaxis].astype("float32")])
    labels, probs = _expected(model, arrays)
    assert [r["prediction"] for r in rows] == labels
    for r, p in zip(rows, probs):
        assert np.allclose(r["probabilities"], p, atol=1e-5) and r["confidence"] == pytest.approx(p.max(), abs=1e-5)
    # A larger image is resized to the model's 8x8 input.
    _write_png(tmp_path / "big.png", np.kron(pixels, np.ones((2, 2), dtype="uint8")))
    assert main(["predict", str(path), "--run", run, str(tmp_path / "big.png"), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)[0]["prediction"] == labels[-1]
    assert main(["predict", str(path), "--run", run, files[0]]) == 0
    line = capsys.readouterr().out.strip()
    assert line.startswith(f"{files[0]}[0]  {labels[0]}  (") and line.endswith("%)")


def test_cli_predict_wrong_shape(project_file, tmp_path, capsys):
    path, run = project_file
    np.save(tmp_path / "bad.npy", np.zeros((3, 4), dtype="float32"))
    assert main(["predict", str(path), "--run", run, str(tmp_path / "bad.npy")]) == 1
    err = capsys.readouterr().err
    assert "expects one sample of shape (8, 8, 1)" in err and "got an array of shape (3, 4)" in err
    (tmp_path / "short.csv").write_text("1,2,3\n")
    assert main(["predict", str(path), "--run", run, str(tmp_path / "short.csv")]) == 1
    assert "must hold 64 numbers" in capsys.readouterr().err


def test_residual_points_of_a_million_mask_pixels_are_a_seeded_sample_in_split_order():
    from builder.training import Evaluation, residual_points

    rng = np.random.default_rng(1)
    targets = rng.random((1000, 1024))
    predictions = targets + rng.normal(0, 0.1, targets.shape)
    ev = Evaluation(model_path="", dataset="shapes_masks", task="regression", split="validation", samples=1000,
                    loss=None, targets=targets, predictions=predictions)
    index, target, residual = residual_points(ev, 20_000)
    assert len(index) == len(target) == len(residual) == 20_000
    assert np.all(np.diff(index) >= 0) and len(set(index.tolist())) > 900  # split order, spread over the masks
    flat_target, flat_residual = targets.reshape(-1), (predictions - targets).reshape(-1)
    rows = [np.flatnonzero(targets[i] == t)[0] for i, t in zip(index[:50], target[:50])]
    assert np.allclose(residual[:50], (predictions - targets)[index[:50], rows])
    again = residual_points(ev, 20_000)
    assert all(np.array_equal(a, b) for a, b in zip((index, target, residual), again))  # seeded: the same sample
    whole = residual_points(ev)
    assert len(whole[0]) == 1_024_000 and np.array_equal(whole[2], flat_residual) and np.array_equal(whole[1], flat_target)
    assert len(residual_points(ev, 2_000_000)[0]) == 1_024_000  # a limit above the count keeps every point
