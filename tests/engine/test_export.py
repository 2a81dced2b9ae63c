import keras
import numpy as np
import pytest

from builder.errors import ExportError
from builder.export import export_model
from builder.export.tflite import run_tflite
from builder.export.verification import max_abs_diff, require_agreement


@pytest.mark.parametrize("fmt, name", [("keras", "m.keras"), ("savedmodel", "saved"), ("tflite", "m.tflite")])
def test_each_format_is_written_and_verified_in_its_runtime(trained_digits, tmp_path, fmt, name):
    project, result = trained_digits
    report = export_model(result.model_path, fmt, tmp_path / name, project=project)
    assert report.verified and report.max_abs_diff < 1e-4
    assert report.samples == 64 and "validation" in report.samples_source
    assert (tmp_path / name).exists() and report.size_bytes > 0
    assert sorted(p.name for p in tmp_path.iterdir()) == [name]  # nothing temporary left


def test_tflite_agrees_with_keras_on_validation_samples(trained_digits, tmp_path):
    from builder.datasets import load_dataset

    project, result = trained_digits
    export_model(result.model_path, "tflite", tmp_path / "m.tflite", project=project)
    model = keras.saving.load_model(result.model_path)
    x = load_dataset(project.dataset).x_val[:100]
    lite = run_tflite(tmp_path / "m.tflite", ["image"], [x])[0]
    np.testing.assert_allclose(lite, model.predict(x, verbose=0), atol=1e-5)
    assert (lite.argmax(1) == model.predict(x, verbose=0).argmax(1)).all()


def test_verification_catches_a_file_from_another_model(trained_digits, tmp_path):
    project, result = trained_digits
    export_model(result.model_path, "tflite", tmp_path / "m.tflite", project=project)
    other = keras.models.clone_model(keras.saving.load_model(result.model_path))  # same graph, new weights
    x = np.random.default_rng(0).random((8, 8, 8, 1), dtype=np.float32) * 16
    diff = max_abs_diff([other.predict(x, verbose=0)], run_tflite(tmp_path / "m.tflite", ["image"], [x]))
    with pytest.raises(ExportError, match="differ from the Keras model's"):
        require_agreement(diff, tmp_path / "wrong.tflite")


def test_export_errors(tmp_path, trained_digits):
    _, result = trained_digits
    with pytest.raises(ExportError, match="not found"):
        export_model(tmp_path / "missing.keras", "tflite", tmp_path / "m.tflite")
    with pytest.raises(ExportError, match="Unknown export format 'onnx2'"):
        export_model(result.model_path, "onnx2", tmp_path / "m.x")
    with pytest.raises(ExportError, match="must end in .tflite"):
        export_model(result.model_path, "tflite", tmp_path / "m.bin")
    assert list(tmp_path.iterdir()) == []
